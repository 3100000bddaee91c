-- Accounts and access: users, their login identities, role grants with scopes, server-side
-- sessions, login attempts (for rate limiting), the audit log, registry change requests
-- proposed by committees, and pending OpenID Connect logins.
-- Kept in step with the other backend's tree; a test compares the two.

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- Local login name (lower case); NULL for accounts that only log in through OpenID Connect.
    username TEXT UNIQUE,
    display_name TEXT NOT NULL,
    -- argon2id PHC string; NULL when the account has no local password.
    password_hash TEXT,
    -- Verified fiscal code (canonical form): links the account to the tenant registry.
    fiscal_code TEXT UNIQUE,
    locale TEXT NOT NULL DEFAULT 'it',
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    -- Set when the person erased their account (GDPR); the row stays, pseudonymised.
    erased_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- External identities (OpenID Connect issuer + subject) that log in as a user.
CREATE TABLE identities (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_login_at TIMESTAMP,
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_user ON identities (user_id);

-- Roles granted explicitly (staff, operators, committees…). Resident and applicant access is
-- not stored here: it follows from the registry at each request.
CREATE TABLE role_grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('resident', 'applicant', 'committee_member', 'custodian',
        'building_admin', 'social_worker', 'operator', 'staff', 'moderator', 'admin')),
    -- global | estate | building | community
    scope_kind TEXT NOT NULL CHECK (scope_kind IN ('global', 'estate', 'building', 'community')),
    -- The estate, building or community id; NULL for global.
    scope_id INTEGER,
    granted_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX role_grants_user ON role_grants (user_id);

-- Server-side sessions. The cookie holds a random token; only its SHA-256 digest is stored.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Assisted mode: the resident an operator is acting for, and why.
    assisted_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    assist_purpose TEXT,
    -- local | oidc
    method TEXT NOT NULL,
    user_agent TEXT,
    ip TEXT,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    -- Absolute expiry (12 hours after login); idle expiry is last_seen_at + 30 minutes.
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Every login attempt, for rate limiting across processes.
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_username ON login_attempts (username, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);

-- Who did what to whom, on whose behalf, when and why. Never updated, never deleted.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at TIMESTAMP NOT NULL,
    -- The person at the keyboard (an operator in assisted mode).
    actor_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- The resident an operator acted for, in assisted mode.
    on_behalf_of_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    object_kind TEXT,
    object_id INTEGER,
    purpose TEXT,
    detail TEXT NOT NULL,
    request_id TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_user_id);

-- Corrections of the registry proposed by committees (or staff), decided by staff.
CREATE TABLE registry_change_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    household_id INTEGER NOT NULL REFERENCES households (id) ON DELETE RESTRICT,
    -- member_left | contact_changed
    kind TEXT NOT NULL CHECK (kind IN ('member_left', 'contact_changed')),
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE RESTRICT,
    -- The proposed values (JSON), for kinds that carry some.
    payload TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- pending | approved | rejected
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    proposed_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    decided_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    decided_at TIMESTAMP,
    decision_note TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX registry_change_requests_household ON registry_change_requests (household_id);
CREATE INDEX registry_change_requests_status ON registry_change_requests (status);

-- OpenID Connect logins started and not finished: state, nonce and PKCE verifier, kept in the
-- database so that any process can finish a login another one started.
CREATE TABLE oidc_pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    state TEXT NOT NULL UNIQUE,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
