// A real OpenID provider (npm `oidc-provider`) on loopback, for Cortile's login tests.
//
//   PORT=4000 CLIENT_ID=cortile CLIENT_SECRET=s3cret \
//   REDIRECT_URIS=http://127.0.0.1:8080/api/v1/auth/oidc/callback \
//   ACCOUNTS_FILE=accounts.json node server.mjs
//
// ACCOUNTS_FILE holds [{"login","password","sub","given_name","family_name","fiscal_number"}];
// `fiscal_number` is the code alone (RSSMRA80A01F205X) or already as SPID/CIE send it
// (TINIT-RSSMRA80A01F205X); the claim always carries the TINIT- form.
//
// Optional: TOKEN_ENDPOINT_AUTH_METHOD (client_secret_basic, the default, or client_secret_post);
// SIGNING_ALG of the ID tokens (ES256, the default, or RS256); ID_TOKEN_CLAIMS=1 to put the
// profile claims in the ID token too (by default, as the spec says for the code flow, they come
// only from the userinfo endpoint).
//
// The login form (GET /interaction/<uid>) posts `login` and `password` to
// /interaction/<uid>/login; consent is given automatically. Prints `ready <issuer>` on stdout when
// listening; exits when stdin closes or on SIGTERM.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const FISCAL_NUMBER = 'https://attributes.eid.gov.it/fiscal_number';

function env(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`oidc-provider: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

const port = Number.parseInt(env('PORT'), 10);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(readFileSync(env('ACCOUNTS_FILE'), 'utf8'));
const bySub = new Map(accounts.map((a) => [a.sub, a]));

function tinit(code) {
  return /^TINIT-/i.test(code) ? code : `TINIT-${code}`;
}

// A fresh signing key per run: the relying party must fetch the JWKS to validate ID tokens.
// ES256 by default: an RSA key takes OpenSSL 3 from a fraction of a second to, on a loaded
// machine running many providers at once, over thirty seconds to generate.
const signingAlg = env('SIGNING_ALG', 'ES256');
const keyTypes = {
  ES256: ['ec', { namedCurve: 'P-256' }],
  RS256: ['rsa', { modulusLength: 2048 }],
};
if (!keyTypes[signingAlg]) {
  console.error(`oidc-provider: SIGNING_ALG ${signingAlg} is neither ES256 nor RS256`);
  process.exit(2);
}
const { privateKey } = generateKeyPairSync(...keyTypes[signingAlg]);
const signingKey = {
  ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: signingAlg, use: 'sig',
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    redirect_uris: env('REDIRECT_URIS').split(',').map((u) => u.trim()).filter(Boolean),
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: env('TOKEN_ENDPOINT_AUTH_METHOD', 'client_secret_basic'),
    id_token_signed_response_alg: signingAlg,
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile'],
  claims: {
    openid: ['sub'],
    profile: ['given_name', 'family_name', FISCAL_NUMBER],
  },
  conformIdTokenClaims: process.env.ID_TOKEN_CLAIMS !== '1',
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = bySub.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          given_name: account.given_name,
          family_name: account.family_name,
          [FISCAL_NUMBER]: tinit(account.fiscal_number),
        };
      },
    };
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<p role="alert">${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`);
  },
});

provider.on('server_error', (ctx, err) => console.error('oidc-provider: server error', err));

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body>
<main>
<h1>${escape(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function loginPage(uid, error) {
  return page('Sign in', `${error ? `<p role="alert">${escape(error)}</p>\n` : ''}\
<form method="post" action="/interaction/${escape(uid)}/login">
<p><label for="login">Login</label> <input id="login" type="text" name="login" autocomplete="username" required></p>
<p><label for="password">Password</label> <input id="password" type="password" name="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>`);
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Grants whatever the authorization request asked for (a first-party client: no consent screen).
async function consent(req, res, details) {
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  if (prompt.details.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, {
    mergeWithLastSubmission: true,
  });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, page('Error', '<p role="alert">This sign-in has expired; start again.</p>'));
    return;
  }
  const { name } = details.prompt;
  if (req.method === 'GET' && action === undefined) {
    if (name === 'login') send(res, 200, loginPage(uid));
    else if (name === 'consent') await consent(req, res, details);
    else send(res, 501, page('Error', `<p role="alert">Prompt ${escape(name)} is not supported.</p>`));
    return;
  }
  if (req.method === 'POST' && action === 'login' && name === 'login') {
    const form = await readForm(req);
    const account = accounts.find((a) => a.login === form.get('login'));
    if (!account || account.password !== form.get('password')) {
      send(res, 401, loginPage(uid, 'Wrong login or password.'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, {
      mergeWithLastSubmission: false,
    });
    return;
  }
  send(res, 405, page('Error', '<p role="alert">Method not allowed.</p>'));
}

const handleProvider = provider.callback();

const server = createServer((req, res) => {
  const match = /^\/interaction\/([^/?]+)(?:\/([^/?]+))?(?:\?.*)?$/.exec(req.url ?? '');
  if (!match) {
    handleProvider(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((err) => {
    console.error('oidc-provider: interaction failed', err);
    if (!res.headersSent) send(res, 400, page('Error', `<p role="alert">${escape(err.message)}</p>`));
    else res.end();
  });
});

function stop() {
  server.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
