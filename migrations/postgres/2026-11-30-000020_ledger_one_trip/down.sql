DROP FUNCTION timebank_pay(BIGINT[], BIGINT[], TEXT, TIMESTAMP, TEXT, TEXT, TEXT, TEXT[], INT[]);
-- 000019's function, as it was.
CREATE FUNCTION timebank_pay(
    p_bank BIGINT,
    p_payer BIGINT,
    p_accounts BIGINT[],
    p_minutes BIGINT[],
    p_memo TEXT,
    p_now TIMESTAMP,
    p_key TEXT,
    p_scope TEXT,
    p_hash TEXT,
    p_body_tail TEXT
) RETURNS TABLE (transfer_id BIGINT, payer_balance BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    n INT := cardinality(p_accounts);
    -- Line numbers in ascending account id (the lock order), and the balances after.
    v_order INT[] := ARRAY[1];
    v_after BIGINT[] := p_minutes;
    v_sum BIGINT := p_minutes[1];
    v_transfer BIGINT;
    v_balance BIGINT;
    i INT;
    j INT;
BEGIN
    -- A balanced posting only: the payer's debit first, then credits, on distinct accounts.
    -- (Checked in plain PL/pgSQL, without queries: an insertion sort of at most 21 lines.)
    IF n < 2 OR cardinality(p_minutes) <> n OR p_minutes[1] >= 0 THEN
        RAISE EXCEPTION 'timebank_pay: unbalanced posting refused';
    END IF;
    FOR i IN 2..n LOOP
        IF p_minutes[i] <= 0 THEN
            RAISE EXCEPTION 'timebank_pay: unbalanced posting refused';
        END IF;
        v_sum := v_sum + p_minutes[i];
        j := i - 1;
        v_order := v_order || i;
        WHILE j >= 1 AND p_accounts[v_order[j]] > p_accounts[i] LOOP
            v_order[j + 1] := v_order[j];
            j := j - 1;
        END LOOP;
        IF j >= 1 AND p_accounts[v_order[j]] = p_accounts[i] THEN
            RAISE EXCEPTION 'timebank_pay: an account appears twice';
        END IF;
        v_order[j + 1] := i;
    END LOOP;
    IF v_sum <> 0 THEN
        RAISE EXCEPTION 'timebank_pay: unbalanced posting refused';
    END IF;
    v_transfer := nextval('timebank_transfers_id_seq');
    INSERT INTO idempotency_keys
        (user_id, key, scope, request_hash, response_status, response_body, resource_id, created_at)
    VALUES
        (p_payer, p_key, p_scope, p_hash, 201, '{"id":' || v_transfer || p_body_tail, v_transfer, p_now)
    ON CONFLICT (user_id, key) DO NOTHING;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    FOREACH i IN ARRAY v_order LOOP
        IF i = 1 THEN
            UPDATE timebank_accounts SET balance_minutes = balance_minutes + p_minutes[i]
            WHERE id = p_accounts[i] AND balance_minutes + p_minutes[i] >= credit_limit_minutes
            RETURNING balance_minutes INTO v_balance;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'timebank_pay: refused';
            END IF;
        ELSE
            UPDATE timebank_accounts SET balance_minutes = balance_minutes + p_minutes[i]
            WHERE id = p_accounts[i]
            RETURNING balance_minutes INTO v_balance;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'timebank_pay: no account %', p_accounts[i];
            END IF;
        END IF;
        v_after[i] := v_balance;
    END LOOP;
    INSERT INTO timebank_transfers
        (id, bank_id, kind, initiated_by, on_behalf_operator, memo, reverses_id, created_at)
    VALUES (v_transfer, p_bank, 'transfer', p_payer, NULL, p_memo, NULL, p_now);
    INSERT INTO timebank_entries (transfer_id, account_id, minutes, balance_after)
    SELECT v_transfer, t.a, t.m, t.b
    FROM unnest(p_accounts, p_minutes, v_after) WITH ORDINALITY AS t(a, m, b, o)
    ORDER BY t.o;
    transfer_id := v_transfer;
    payer_balance := v_after[1];
    RETURN NEXT;
END;
$$;
