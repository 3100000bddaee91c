-- Issue 5, the ledger's speed: PostgreSQL's `timebank_pay` finds the members itself (one round
-- trip per payment). SQLite has no stored functions and no round trips: nothing to change
-- here; the migration keeps the two trees in step.
SELECT 1;
