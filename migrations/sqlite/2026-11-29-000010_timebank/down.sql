DROP TABLE idempotency_keys;
DROP TABLE timebank_entries;
DROP TABLE timebank_transfers;
DROP TABLE timebank_accounts;
DROP TABLE timebank_banks;
