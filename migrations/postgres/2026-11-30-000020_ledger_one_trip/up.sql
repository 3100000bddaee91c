-- Issue 5, the ledger's speed: a member's payment in one round trip. `timebank_pay` (000019)
-- took account ids, so the caller first read the members and their accounts (a round trip of
-- its own). It now takes the users and finds them itself, in the same statement:
-- - every user must be an active member (not disabled, not erased) with an open account in the
--   default bank (the first); otherwise nothing is written and no row is returned, and the
--   caller takes the general path (which opens accounts and gives every error), exactly as for
--   a key already used;
-- - the answer is built here, with the names read here: the caller serialises it with id 0,
--   bank 0 and every display name empty, cuts it after `{"id":0,"bank_id":0` and at each
--   `"display_name":""` (a structural member: inside a JSON string every quote is escaped), and
--   passes the pieces with, for each cut, the position in p_users of the person named there.
--   `to_json(text)` escapes as serde_json does (quote, backslash, \b \f \n \r \t, other
--   control characters as \u00xx).
-- The rest is 000019's, in the same order: the key with its answer first (a key already used
-- writes nothing), each balance by one conditional UPDATE in ascending account id (the payer's
-- debit kept at or above the credit limit, else 'timebank_pay: refused' rolls the statement
-- back whole), then the transfer and its entries. Returns the transfer's id, the payer's
-- balance after it and the answer.
DROP FUNCTION timebank_pay(BIGINT, BIGINT, BIGINT[], BIGINT[], TEXT, TIMESTAMP, TEXT, TEXT, TEXT, TEXT);

CREATE FUNCTION timebank_pay(
    p_users BIGINT[],
    p_minutes BIGINT[],
    p_memo TEXT,
    p_now TIMESTAMP,
    p_key TEXT,
    p_scope TEXT,
    p_hash TEXT,
    p_body TEXT[],
    p_body_names INT[]
) RETURNS TABLE (transfer_id BIGINT, payer_balance BIGINT, body TEXT)
LANGUAGE plpgsql AS $$
DECLARE
    n INT := cardinality(p_users);
    v_bank BIGINT;
    v_accounts BIGINT[];
    v_names TEXT[];
    v_found INT;
    -- Line numbers in ascending account id (the lock order), and the balances after.
    v_order INT[] := ARRAY[1];
    v_after BIGINT[] := p_minutes;
    v_sum BIGINT := p_minutes[1];
    v_transfer BIGINT;
    v_balance BIGINT;
    v_body TEXT;
    i INT;
    j INT;
BEGIN
    -- A balanced posting only: the payer's debit first, then credits.
    IF n < 2 OR cardinality(p_minutes) <> n OR p_minutes[1] >= 0
        OR cardinality(p_body) <> cardinality(p_body_names) + 1 THEN
        RAISE EXCEPTION 'timebank_pay: unbalanced posting refused';
    END IF;
    FOR i IN 2..n LOOP
        IF p_minutes[i] <= 0 THEN
            RAISE EXCEPTION 'timebank_pay: unbalanced posting refused';
        END IF;
        v_sum := v_sum + p_minutes[i];
    END LOOP;
    IF v_sum <> 0 THEN
        RAISE EXCEPTION 'timebank_pay: unbalanced posting refused';
    END IF;
    -- The people, active, with their accounts in the default bank.
    SELECT min(id) INTO v_bank FROM timebank_banks;
    SELECT array_agg(a.id ORDER BY x.o), array_agg(u.display_name ORDER BY x.o), count(*)
    INTO v_accounts, v_names, v_found
    FROM unnest(p_users) WITH ORDINALITY AS x(uid, o)
    JOIN users u ON u.id = x.uid AND NOT u.disabled AND u.erased_at IS NULL
    JOIN timebank_accounts a ON a.user_id = u.id AND a.bank_id = v_bank;
    IF v_found <> n THEN
        RETURN;
    END IF;
    -- The lock order: an insertion sort of at most 21 lines; an account twice is refused.
    FOR i IN 2..n LOOP
        j := i - 1;
        v_order := v_order || i;
        WHILE j >= 1 AND v_accounts[v_order[j]] > v_accounts[i] LOOP
            v_order[j + 1] := v_order[j];
            j := j - 1;
        END LOOP;
        IF j >= 1 AND v_accounts[v_order[j]] = v_accounts[i] THEN
            RAISE EXCEPTION 'timebank_pay: an account appears twice';
        END IF;
        v_order[j + 1] := i;
    END LOOP;
    v_transfer := nextval('timebank_transfers_id_seq');
    v_body := '{"id":' || v_transfer || ',"bank_id":' || v_bank || p_body[1];
    FOR i IN 1..cardinality(p_body_names) LOOP
        v_body := v_body || '"display_name":' || to_json(v_names[p_body_names[i]])::text
            || p_body[i + 1];
    END LOOP;
    INSERT INTO idempotency_keys
        (user_id, key, scope, request_hash, response_status, response_body, resource_id, created_at)
    VALUES
        (p_users[1], p_key, p_scope, p_hash, 201, v_body, v_transfer, p_now)
    ON CONFLICT (user_id, key) DO NOTHING;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    FOREACH i IN ARRAY v_order LOOP
        IF i = 1 THEN
            UPDATE timebank_accounts SET balance_minutes = balance_minutes + p_minutes[i]
            WHERE id = v_accounts[i] AND balance_minutes + p_minutes[i] >= credit_limit_minutes
            RETURNING balance_minutes INTO v_balance;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'timebank_pay: refused';
            END IF;
        ELSE
            UPDATE timebank_accounts SET balance_minutes = balance_minutes + p_minutes[i]
            WHERE id = v_accounts[i]
            RETURNING balance_minutes INTO v_balance;
        END IF;
        v_after[i] := v_balance;
    END LOOP;
    INSERT INTO timebank_transfers
        (id, bank_id, kind, initiated_by, on_behalf_operator, memo, reverses_id, created_at)
    VALUES (v_transfer, v_bank, 'transfer', p_users[1], NULL, p_memo, NULL, p_now);
    INSERT INTO timebank_entries (transfer_id, account_id, minutes, balance_after)
    SELECT v_transfer, t.a, t.m, t.b
    FROM unnest(v_accounts, p_minutes, v_after) WITH ORDINALITY AS t(a, m, b, o)
    ORDER BY t.o;
    transfer_id := v_transfer;
    payer_balance := v_after[1];
    body := v_body;
    RETURN NEXT;
END;
$$;
