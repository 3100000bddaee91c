DROP FUNCTION timebank_pay(BIGINT, BIGINT, BIGINT[], BIGINT[], TEXT, TIMESTAMP, TEXT, TEXT, TEXT, TEXT);
DROP INDEX timebank_transfers_reverses;
ALTER TABLE timebank_transfers ADD CONSTRAINT timebank_transfers_reverses_id_key UNIQUE (reverses_id);
