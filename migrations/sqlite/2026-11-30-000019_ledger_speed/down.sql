PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE timebank_transfers_old (
    id INTEGER PRIMARY KEY NOT NULL,
    bank_id INTEGER NOT NULL REFERENCES timebank_banks (id),
    kind TEXT NOT NULL CHECK (kind IN ('transfer', 'exchange', 'adjustment', 'reversal')),
    initiated_by INTEGER REFERENCES users (id),
    on_behalf_operator INTEGER REFERENCES users (id),
    memo TEXT NOT NULL,
    reverses_id INTEGER UNIQUE REFERENCES timebank_transfers (id),
    created_at TIMESTAMP NOT NULL
);
INSERT INTO timebank_transfers_old
    (id, bank_id, kind, initiated_by, on_behalf_operator, memo, reverses_id, created_at)
SELECT id, bank_id, kind, initiated_by, on_behalf_operator, memo, reverses_id, created_at
FROM timebank_transfers;
DROP TABLE timebank_transfers;
ALTER TABLE timebank_transfers_old RENAME TO timebank_transfers;
CREATE TRIGGER timebank_transfers_immutable BEFORE UPDATE ON timebank_transfers
BEGIN SELECT RAISE(ABORT, 'timebank_transfers are immutable'); END;
CREATE TRIGGER timebank_transfers_undeletable BEFORE DELETE ON timebank_transfers
BEGIN SELECT RAISE(ABORT, 'timebank_transfers are immutable'); END;
COMMIT;
PRAGMA foreign_keys = ON;
