// A real SMTP server on loopback for Cortile's tests (npm smtp-server).
//
// PORT: where to listen (127.0.0.1). OUT_DIR: every message accepted is written there as
// <n>.json: {"from": "...", "to": ["..."], "data": "<the raw message>"}.
// Prints one line "ready <port>" when listening; exits when stdin closes or on SIGTERM.
// FAIL_FIRST=N: refuse the first N messages with a temporary error (451), to test retries.

import { SMTPServer } from 'smtp-server';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const port = Number(process.env.PORT || 2525);
const outDir = process.env.OUT_DIR || '.';
let failFirst = Number(process.env.FAIL_FIRST || 0);
let count = 0;

const server = new SMTPServer({
  secure: false,
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      if (failFirst > 0) {
        failFirst -= 1;
        const err = new Error('try again later');
        err.responseCode = 451;
        return callback(err);
      }
      count += 1;
      const message = {
        from: session.envelope.mailFrom && session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((r) => r.address),
        data: Buffer.concat(chunks).toString('utf8'),
      };
      writeFileSync(join(outDir, `${String(count).padStart(6, '0')}.json`), JSON.stringify(message));
      callback();
    });
  },
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
