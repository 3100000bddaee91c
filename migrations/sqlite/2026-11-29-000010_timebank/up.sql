-- The time bank's ledger: banks, accounts (one per member and bank, plus the bank's own),
-- immutable transfers with their double entries, and the generic idempotency keys of
-- retryable writes.
-- Kept in step with the other backend's tree; a test compares the two.
-- The hot tables use INTEGER PRIMARY KEY without AUTOINCREMENT: ledger rows are never deleted
-- and no one refers to a key by id, so reuse cannot happen or harm; each payment spares a
-- write to sqlite_sequence.

CREATE TABLE timebank_banks (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    -- city | estate:<id>
    scope TEXT NOT NULL UNIQUE,
    -- The lowest a member's balance may go; copied to every member account of the bank.
    credit_limit_minutes INTEGER NOT NULL DEFAULT -600 CHECK (credit_limit_minutes <= 0),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE timebank_accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    bank_id INTEGER NOT NULL REFERENCES timebank_banks (id),
    -- NULL: the bank's own account, the other side of staff adjustments.
    user_id INTEGER REFERENCES users (id),
    -- Kept by conditional updates in the transfer's transaction; `cortile check-ledger`
    -- recomputes it from the entries.
    balance_minutes INTEGER NOT NULL DEFAULT 0,
    credit_limit_minutes INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (bank_id, user_id)
);

CREATE TABLE timebank_transfers (
    id INTEGER PRIMARY KEY NOT NULL,
    bank_id INTEGER NOT NULL REFERENCES timebank_banks (id),
    kind TEXT NOT NULL CHECK (kind IN ('transfer', 'exchange', 'adjustment', 'reversal')),
    -- The member who paid, or the staff member who corrected (the resident in assisted mode).
    initiated_by INTEGER REFERENCES users (id),
    -- The operator at the keyboard in assisted mode.
    on_behalf_operator INTEGER REFERENCES users (id),
    memo TEXT NOT NULL,
    -- A reversal names the transfer it reverses; a transfer is reversed at most once.
    reverses_id INTEGER UNIQUE REFERENCES timebank_transfers (id),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE timebank_entries (
    id INTEGER PRIMARY KEY NOT NULL,
    transfer_id INTEGER NOT NULL REFERENCES timebank_transfers (id),
    account_id INTEGER NOT NULL REFERENCES timebank_accounts (id),
    -- Credit (positive) or debit (negative); the entries of a transfer sum to zero.
    minutes INTEGER NOT NULL CHECK (minutes <> 0),
    -- The account's balance right after this entry.
    balance_after INTEGER NOT NULL
);
CREATE INDEX timebank_entries_account ON timebank_entries (account_id, id);
CREATE INDEX timebank_entries_transfer ON timebank_entries (transfer_id);

-- The ledger is append-only: corrections are reversing transfers, never edits.
CREATE TRIGGER timebank_transfers_immutable BEFORE UPDATE ON timebank_transfers
BEGIN SELECT RAISE(ABORT, 'timebank_transfers are immutable'); END;
CREATE TRIGGER timebank_transfers_undeletable BEFORE DELETE ON timebank_transfers
BEGIN SELECT RAISE(ABORT, 'timebank_transfers are immutable'); END;
CREATE TRIGGER timebank_entries_immutable BEFORE UPDATE ON timebank_entries
BEGIN SELECT RAISE(ABORT, 'timebank_entries are immutable'); END;
CREATE TRIGGER timebank_entries_undeletable BEFORE DELETE ON timebank_entries
BEGIN SELECT RAISE(ABORT, 'timebank_entries are immutable'); END;

-- Retryable writes: the first answer to a key is kept and given again to every retry.
-- Generic: `scope` names the operation (e.g. timebank.transfer).
CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY NOT NULL,
    -- Whose key: the principal (the resident, in assisted mode).
    user_id INTEGER NOT NULL REFERENCES users (id),
    key TEXT NOT NULL,
    scope TEXT NOT NULL,
    -- SHA-256 of the operation and its normalised request.
    request_hash TEXT NOT NULL,
    -- Written in the same transaction as the effect.
    response_status INTEGER,
    response_body TEXT,
    -- The object the request created (e.g. the transfer).
    resource_id INTEGER,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, key)
);

-- The city-wide bank and its own account.
INSERT INTO timebank_banks (name, scope, credit_limit_minutes, created_at)
VALUES ('Banca del tempo', 'city', -600, CURRENT_TIMESTAMP);
INSERT INTO timebank_accounts (bank_id, user_id, balance_minutes, credit_limit_minutes, created_at)
SELECT id, NULL, 0, 0, CURRENT_TIMESTAMP FROM timebank_banks WHERE scope = 'city';
