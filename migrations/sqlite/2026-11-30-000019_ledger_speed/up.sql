-- Issue 5, the ledger's speed: a transfer no longer writes a page of an index of reversals.
-- `reverses_id` was a column UNIQUE, so every transfer (NULL there: not a reversal) added an
-- entry to its index, one more dirty page per payment; a partial unique index holds only the
-- reversals and keeps the rule (a transfer is reversed at most once).
-- SQLite cannot drop a column's UNIQUE: the table is rebuilt (the documented steps: foreign
-- keys off, new table, copy, drop, rename, indexes and triggers, check), in one transaction of
-- its own (see metadata.toml).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE timebank_transfers_new (
    id INTEGER PRIMARY KEY NOT NULL,
    bank_id INTEGER NOT NULL REFERENCES timebank_banks (id),
    kind TEXT NOT NULL CHECK (kind IN ('transfer', 'exchange', 'adjustment', 'reversal')),
    -- The member who paid, or the staff member who corrected (the resident in assisted mode).
    initiated_by INTEGER REFERENCES users (id),
    -- The operator at the keyboard in assisted mode.
    on_behalf_operator INTEGER REFERENCES users (id),
    memo TEXT NOT NULL,
    -- A reversal names the transfer it reverses; a transfer is reversed at most once
    -- (timebank_transfers_reverses).
    reverses_id INTEGER REFERENCES timebank_transfers (id),
    created_at TIMESTAMP NOT NULL
);
INSERT INTO timebank_transfers_new
    (id, bank_id, kind, initiated_by, on_behalf_operator, memo, reverses_id, created_at)
SELECT id, bank_id, kind, initiated_by, on_behalf_operator, memo, reverses_id, created_at
FROM timebank_transfers;
DROP TABLE timebank_transfers;
ALTER TABLE timebank_transfers_new RENAME TO timebank_transfers;
CREATE UNIQUE INDEX timebank_transfers_reverses ON timebank_transfers (reverses_id)
WHERE reverses_id IS NOT NULL;
CREATE TRIGGER timebank_transfers_immutable BEFORE UPDATE ON timebank_transfers
BEGIN SELECT RAISE(ABORT, 'timebank_transfers are immutable'); END;
CREATE TRIGGER timebank_transfers_undeletable BEFORE DELETE ON timebank_transfers
BEGIN SELECT RAISE(ABORT, 'timebank_transfers are immutable'); END;
COMMIT;
PRAGMA foreign_keys = ON;
