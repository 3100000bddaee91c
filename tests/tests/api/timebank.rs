//! The time bank's ledger over HTTP, on both databases: payments and their rules, idempotent
//! retries, group payments, statements, staff corrections (audited), and the bank test —
//! 32 concurrent clients, 10,000 transfers among 100 accounts, 10% retried with the same key.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use cortile::db::schema::{idempotency_keys, timebank_transfers, users};
use cortile_shared::tenancy::AuditEntry;
use cortile_shared::timebank::{Account, Bank, StatementLine, Transfer, TransferKind};
use cortile_shared::{ErrorCode, Page};
use cortile_tests::ledger::{self, Member};
use cortile_tests::{expect_problem, json_of, people_test, Session, TestApp};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

const TRANSFERS: &str = "/api/v1/timebank/transfers";

async fn audit(app: &TestApp, action: &str) -> Vec<AuditEntry> {
    let admin = app.login("admin").await;
    let page: Page<AuditEntry> = admin
        .get_json(&format!("/api/v1/audit?action={action}&limit=200"))
        .await;
    page.items
}

async fn members(app: &TestApp, n: usize) -> (Vec<Member>, Vec<Session>) {
    let mut conn = app.connect();
    let members = ledger::residents_with_sessions(&mut conn, n);
    let mut sessions = Vec::new();
    for m in &members {
        sessions.push(app.session_for(m).await);
    }
    (members, sessions)
}

async fn account(s: &Session) -> Account {
    s.get_json("/api/v1/timebank/accounts/me").await
}

fn key_rows(app: &TestApp) -> i64 {
    idempotency_keys::table
        .count()
        .get_result(&mut app.connect())
        .expect("keys")
}

fn check_ledger_lib(app: &TestApp) {
    let report =
        cortile::timebank::check::check_ledger(&mut app.connect()).expect("the ledger reads");
    assert!(report.ok(), "ledger problems: {:#?}", report.problems);
}

fn fields(p: &cortile_shared::Problem) -> Vec<(String, String)> {
    p.errors
        .iter()
        .map(|e| (e.field.clone(), e.code.clone()))
        .collect()
}

people_test!(
    async fn payments_follow_the_rules(app) {
        let (m, s) = members(app, 4).await;
        let (a, b, c, d) = (&s[0], &s[1], &s[2], &s[3]);
        let acc = account(a).await;
        assert_eq!((acc.balance_minutes, acc.credit_limit_minutes, acc.available_minutes), (0, -600, 600));

        // No key: refused before anything is read or written.
        let p = expect_problem(
            a.post(TRANSFERS, json!({"to": m[1].user_id, "minutes": 30})).await,
            400,
        )
        .await;
        assert_eq!(p.code, ErrorCode::IdempotencyKeyMissing);
        assert_eq!(p.errors[0].field, "Idempotency-Key");
        let p = expect_problem(
            a.post_keyed(TRANSFERS, "has space", json!({"to": m[1].user_id, "minutes": 30})).await,
            400,
        )
        .await;
        assert_eq!(p.code, ErrorCode::IdempotencyKeyMissing);

        // Bad input: each field named, nothing written.
        let bad = [
            (json!({"to": m[1].user_id, "minutes": 0}), vec![("minutes", "out_of_range")]),
            (json!({"to": m[1].user_id, "minutes": 6001}), vec![("minutes", "out_of_range")]),
            (json!({"to": m[1].user_id}), vec![("minutes", "required")]),
            (json!({"to": m[0].user_id, "minutes": 5}), vec![("to", "self_transfer")]),
            (json!({"to": 99_999_999, "minutes": 5}), vec![("to", "not_a_member")]),
            (
                json!({"to": m[1].user_id, "minutes": 5, "memo": "x".repeat(281)}),
                vec![("memo", "too_long")],
            ),
            (
                json!({"to": [{"to": m[1].user_id, "minutes": 5}], "minutes": 5}),
                vec![("minutes", "not_allowed")],
            ),
            (json!({"to": []}), vec![("to", "required")]),
            (
                json!({"to": [{"to": m[1].user_id, "minutes": 5}, {"to": m[1].user_id, "minutes": -2}]}),
                vec![("to[1].minutes", "out_of_range"), ("to[1].to", "duplicate")],
            ),
        ];
        for (i, (body, want)) in bad.iter().enumerate() {
            let p = expect_problem(a.post_keyed(TRANSFERS, &format!("bad-{i}"), body.clone()).await, 422).await;
            assert_eq!(p.code, ErrorCode::ValidationFailed, "{body}");
            let want: Vec<(String, String)> =
                want.iter().map(|(f, c)| ((*f).to_owned(), (*c).to_owned())).collect();
            assert_eq!(fields(&p), want, "{body}");
        }
        let p = expect_problem(a.post_keyed(TRANSFERS, "bad-shape", json!({"to": "nobody", "minutes": 5})).await, 400).await;
        assert_eq!(p.code, ErrorCode::BadRequest);
        assert_eq!(account(a).await.balance_minutes, 0);
        assert_eq!(key_rows(app), 0, "refused requests keep no key");
        assert!(ledger::transfer_ids(&mut app.connect(), "transfer").is_empty());

        // A payment, then its retry: the same answer, nothing moves twice.
        let body = json!({"to": m[1].user_id, "minutes": 30, "memo": "la spesa del sabato"});
        let res = a.post_keyed(TRANSFERS, "k1", body.clone()).await;
        assert!(!res.headers().contains_key("idempotent-replayed"));
        let first_text = res.text().await.expect("body");
        let first: Transfer = serde_json::from_str(&first_text).expect("a transfer");
        assert_eq!(first.kind, TransferKind::Transfer);
        assert_eq!(first.memo, "la spesa del sabato");
        let legs: Vec<(Option<i64>, i64)> =
            first.entries.iter().map(|e| (e.user.as_ref().map(|u| u.id.0), e.minutes)).collect();
        assert_eq!(legs, [(Some(m[0].user_id), -30), (Some(m[1].user_id), 30)]);
        let again = a.post_keyed(TRANSFERS, "k1", body.clone()).await;
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers().get("idempotent-replayed").map(|v| v.as_bytes()), Some(&b"true"[..]));
        assert_eq!(again.text().await.expect("body"), first_text, "the first answer, byte for byte");
        // The same key for another payment is refused.
        let p = expect_problem(
            a.post_keyed(TRANSFERS, "k1", json!({"to": m[1].user_id, "minutes": 31, "memo": "la spesa del sabato"})).await,
            422,
        )
        .await;
        assert_eq!(p.code, ErrorCode::IdempotencyKeyReused);
        // Keys belong to their owner: another member may use the same string.
        json_of::<Transfer>(b.post_keyed(TRANSFERS, "k1", json!({"to": m[2].user_id, "minutes": 5})).await, 201, "b k1").await;
        assert_eq!(account(a).await.balance_minutes, -30);
        assert_eq!(account(b).await.balance_minutes, 25);
        assert_eq!(ledger::transfer_ids(&mut app.connect(), "transfer").len(), 2);

        // Below the credit limit: refused, nothing changes, the key is not spent.
        let p = expect_problem(a.post_keyed(TRANSFERS, "k2", json!({"to": m[2].user_id, "minutes": 571})).await, 409).await;
        assert_eq!(p.code, ErrorCode::InsufficientBalance);
        assert!(p.detail.as_deref().unwrap_or("").contains("-600"), "{p:?}");
        assert_eq!(account(a).await.balance_minutes, -30);
        assert_eq!(account(c).await.balance_minutes, 5);
        // Exactly down to the limit is allowed. Both accounts are open now: the payment takes
        // the short path (`timebank::fast`), whose answer is the same as the general path's —
        // read back alike, replayed byte for byte.
        let res = a.post_keyed(TRANSFERS, "k3", json!({"to": m[2].user_id, "minutes": 570})).await;
        assert_eq!(res.status(), 201);
        let k3_text = res.text().await.expect("body");
        let k3: Transfer = serde_json::from_str(&k3_text).expect("a transfer");
        let legs: Vec<(Option<i64>, i64)> =
            k3.entries.iter().map(|e| (e.user.as_ref().map(|u| u.id.0), e.minutes)).collect();
        assert_eq!(legs, [(Some(m[0].user_id), -570), (Some(m[2].user_id), 570)]);
        assert_eq!(k3.initiated_by.as_ref().map(|u| u.id.0), Some(m[0].user_id));
        let seen: Transfer = a.get_json(&format!("/api/v1/timebank/transfers/{}", k3.id)).await;
        assert_eq!(seen, k3, "read back as it was answered");
        let again = a.post_keyed(TRANSFERS, "k3", json!({"to": m[2].user_id, "minutes": 570})).await;
        assert_eq!(again.headers().get("idempotent-replayed").map(|v| v.as_bytes()), Some(&b"true"[..]));
        assert_eq!(again.text().await.expect("body"), k3_text, "the first answer, byte for byte");
        let p = expect_problem(
            a.post_keyed(TRANSFERS, "k3", json!({"to": m[2].user_id, "minutes": 571})).await,
            422,
        )
        .await;
        assert_eq!(p.code, ErrorCode::IdempotencyKeyReused);
        let acc = account(a).await;
        assert_eq!((acc.balance_minutes, acc.available_minutes), (-600, 0));

        // A group activity: one transfer pays several people.
        let group: Transfer = json_of(
            b.post_keyed(
                TRANSFERS,
                "corso-1",
                json!({"to": [{"to": m[2].user_id, "minutes": 10}, {"to": m[3].user_id, "minutes": 15}],
                       "memo": "corso di cucina"}),
            )
            .await,
            201,
            "group",
        )
        .await;
        assert_eq!(group.entries.len(), 3);
        assert_eq!(group.entries.iter().map(|e| e.minutes).sum::<i64>(), 0);
        assert_eq!(account(b).await.balance_minutes, 0);
        assert_eq!(account(d).await.balance_minutes, 15);

        // The statement: newest first, with counterparties and memos, page by page.
        let page: Page<StatementLine> = c.get_json("/api/v1/timebank/accounts/me/statement?limit=2").await;
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[0].transfer_id, group.id);
        assert_eq!(page.items[0].minutes, 10);
        assert_eq!(page.items[0].balance_after, 585);
        assert_eq!(page.items[0].memo, "corso di cucina");
        assert_eq!(page.items[0].counterparties.iter().map(|u| u.id.0).collect::<Vec<_>>(), [m[1].user_id]);
        assert_eq!(page.items[1].minutes, 570);
        assert_eq!(page.items[1].counterparties[0].id.0, m[0].user_id);
        let next = page.next.expect("a third line");
        let rest: Page<StatementLine> =
            c.get_json(&format!("/api/v1/timebank/accounts/me/statement?limit=2&after={next}")).await;
        assert_eq!(rest.items.len(), 1);
        assert_eq!(rest.items[0].minutes, 5);
        assert!(rest.next.is_none());
        let p = expect_problem(c.get("/api/v1/timebank/accounts/me/statement?after=%%%").await, 422).await;
        assert_eq!(p.errors[0].field, "after");
        let b_lines: Page<StatementLine> = b.get_json("/api/v1/timebank/accounts/me/statement").await;
        let ids: HashSet<i64> = b_lines.items[0].counterparties.iter().map(|u| u.id.0).collect();
        assert_eq!(ids, HashSet::from([m[2].user_id, m[3].user_id]), "the payer sees everyone paid");
        // As CSV, oldest first: in Italian unless asked for English.
        for (path, header, last) in [
            ("/api/v1/timebank/accounts/me/statement.csv", "\u{feff}Data;Operazione n.;Tipo;Minuti;", ";Trasferimento;10;585;"),
            ("/api/v1/timebank/accounts/me/statement?format=csv", "\u{feff}Data;Operazione n.;Tipo;Minuti;", ";Trasferimento;10;585;"),
            ("/api/v1/timebank/accounts/me/statement.csv?lang=en", "\u{feff}Date,Transfer no.,Kind,Minutes,", ",Transfer,10,585,"),
            ("/api/v1/timebank/accounts/me/statement?format=csv&lang=en", "\u{feff}Date,Transfer no.,Kind,Minutes,", ",Transfer,10,585,"),
        ] {
            let res = c.get(path).await;
            assert_eq!(res.status(), 200);
            assert!(res.headers()["content-type"].to_str().expect("type").starts_with("text/csv"));
            let text = res.text().await.expect("csv");
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 4, "{text}");
            assert!(lines[0].starts_with(header), "{path}: {text}");
            assert!(lines[3].contains("corso di cucina") && lines[3].contains(last), "{path}: {text}");
        }
        for path in ["/api/v1/timebank/accounts/me/statement.csv?lang=xx", "/api/v1/timebank/accounts/me/statement?format=csv&lang=fr"] {
            let p = expect_problem(c.get(path).await, 422).await;
            assert_eq!(fields(&p), [("lang".to_owned(), "invalid_value".to_owned())], "{path}");
        }

        // A transfer is seen by the people it touches only.
        let seen: Transfer = b.get_json(&format!("/api/v1/timebank/transfers/{}", first.id)).await;
        assert_eq!(seen, first, "read back as it was answered");
        assert_eq!(expect_problem(d.get(&format!("/api/v1/timebank/transfers/{}", first.id)).await, 404).await.code, ErrorCode::NotFound);

        // Residents only: staff hold no account.
        let staff = app.login("staff").await;
        assert_eq!(expect_problem(staff.get("/api/v1/timebank/accounts/me").await, 403).await.code, ErrorCode::Forbidden);
        let p = expect_problem(staff.post_keyed(TRANSFERS, "s1", json!({"to": m[0].user_id, "minutes": 5})).await, 403).await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        // A recipient who is not a resident is not a member.
        let p = expect_problem(a.post_keyed(TRANSFERS, "k4", json!({"to": staff.me.id, "minutes": 5})).await, 422).await;
        assert_eq!(fields(&p), [("to".to_owned(), "not_a_member".to_owned())]);

        let balances = ledger::balances(&mut app.connect());
        assert_eq!(balances.values().sum::<i64>(), 0);
        check_ledger_lib(app);
    }
);

people_test!(
    async fn staff_corrections_are_reversals_and_adjustments_and_audited(app) {
        let (m, s) = members(app, 2).await;
        let (a, b) = (&s[0], &s[1]);
        let staff = app.login("staff").await;
        let paid: Transfer = json_of(a.post_keyed(TRANSFERS, "t1", json!({"to": m[1].user_id, "minutes": 60, "memo": "bici"})).await, 201, "t1").await;
        let adjust = format!("/api/v1/timebank/accounts/{}/adjustments", m[0].user_id);
        let reverse = format!("/api/v1/timebank/transfers/{}/reversal", paid.id);

        // Residents correct nothing.
        for (path, body) in [
            (adjust.clone(), json!({"minutes": 100, "reason": "regalo"})),
            (reverse.clone(), json!({"reason": "errore"})),
        ] {
            assert_eq!(expect_problem(a.post(&path, body).await, 403).await.code, ErrorCode::Forbidden);
        }
        let res = a.send(Method::PUT, "/api/v1/timebank/banks/1/credit-limit", Some(json!({"credit_limit_minutes": -60}))).await;
        assert_eq!(expect_problem(res, 403).await.code, ErrorCode::Forbidden);

        // Adjustments: with a reason, never zero, against the bank's own account; audited.
        let p = expect_problem(staff.post(&adjust, json!({"minutes": 0, "reason": " "})).await, 422).await;
        assert_eq!(fields(&p), [("minutes".to_owned(), "out_of_range".to_owned()), ("reason".to_owned(), "required".to_owned())]);
        let p = expect_problem(staff.post("/api/v1/timebank/accounts/99999999/adjustments", json!({"minutes": 5, "reason": "x"})).await, 404).await;
        assert_eq!(p.code, ErrorCode::NotFound);
        let res = staff.post_keyed(&adjust, "adj-1", json!({"minutes": 120, "reason": "ore di volontariato registrate a mano"})).await;
        let text = res.text().await.expect("body");
        let adj: Transfer = serde_json::from_str(&text).expect("an adjustment");
        assert_eq!(adj.kind, TransferKind::Adjustment);
        let legs: Vec<(Option<i64>, i64)> = adj.entries.iter().map(|e| (e.user.as_ref().map(|u| u.id.0), e.minutes)).collect();
        assert_eq!(legs, [(Some(m[0].user_id), 120), (None, -120)]);
        // Retried with its key: the same answer, no second adjustment.
        let again = staff.post_keyed(&adjust, "adj-1", json!({"minutes": 120, "reason": "ore di volontariato registrate a mano"})).await;
        assert_eq!(again.text().await.expect("body"), text);
        assert_eq!(account(a).await.balance_minutes, 60);
        let audited = audit(app, "timebank.adjust").await;
        assert_eq!(audited.len(), 1);
        assert_eq!(audited[0].actor.as_ref().map(|u| u.id), Some(staff.me.id));
        assert_eq!(audited[0].purpose.as_deref(), Some("ore di volontariato registrate a mano"));
        assert_eq!(audited[0].object_id, Some(adj.id.0));
        // A debit adjustment respects the limit too.
        let p = expect_problem(staff.post(&adjust, json!({"minutes": -661, "reason": "storno"})).await, 409).await;
        assert_eq!(p.code, ErrorCode::InsufficientBalance);
        // Minutes out of any range, even where their absolute value overflows: refused.
        for minutes in [i64::MIN, i64::MAX, -6_001] {
            let p = expect_problem(staff.post(&adjust, json!({"minutes": minutes, "reason": "x"})).await, 422).await;
            assert_eq!(fields(&p), [("minutes".to_owned(), "out_of_range".to_owned())], "{minutes}");
        }
        // Staff never adjust their own account.
        let own = format!("/api/v1/timebank/accounts/{}/adjustments", staff.me.id.0);
        let p = expect_problem(staff.post(&own, json!({"minutes": 60, "reason": "mie ore"})).await, 403).await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        // An operator assisting the account of a member of staff acts without staff rights.
        diesel::update(users::table.find(staff.me.id.0))
            .set(users::fiscal_code.eq(Some("STFSTF80A01F205X")))
            .execute(&mut app.connect())
            .expect("a fiscal code for the staff account");
        let operator = app.login("operatore").await;
        let res = operator.post("/api/v1/assist", json!({"user_id": staff.me.id, "purpose": "prova di accesso"})).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
        let p = expect_problem(operator.post(&adjust, json!({"minutes": 600, "reason": "regalo"})).await, 403).await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        assert_eq!(expect_problem(operator.post(&reverse, json!({"reason": "errore"})).await, 403).await.code, ErrorCode::Forbidden);
        assert_eq!(operator.delete("/api/v1/assist").await.status(), 200);
        assert_eq!(audit(app, "timebank.adjust").await.len(), 1, "only the first adjustment");

        // A reversal: a new transfer negating the original; once only; never of a reversal.
        let rev: Transfer = json_of(staff.post(&reverse, json!({"reason": "pagato per errore"})).await, 201, "reverse").await;
        assert_eq!(rev.kind, TransferKind::Reversal);
        assert_eq!(rev.reverses, Some(paid.id));
        let legs: Vec<(Option<i64>, i64)> = rev.entries.iter().map(|e| (e.user.as_ref().map(|u| u.id.0), e.minutes)).collect();
        assert_eq!(legs, [(Some(m[0].user_id), 60), (Some(m[1].user_id), -60)]);
        let p = expect_problem(staff.post(&reverse, json!({"reason": "ancora"})).await, 409).await;
        assert_eq!(p.code, ErrorCode::AlreadyReversed);
        let p = expect_problem(staff.post(&format!("/api/v1/timebank/transfers/{}/reversal", rev.id), json!({"reason": "x"})).await, 409).await;
        assert_eq!(p.code, ErrorCode::Conflict);
        assert_eq!(expect_problem(staff.post("/api/v1/timebank/transfers/99999999/reversal", json!({"reason": "x"})).await, 404).await.code, ErrorCode::NotFound);
        assert_eq!(account(a).await.balance_minutes, 120);
        assert_eq!(account(b).await.balance_minutes, 0);
        let audited = audit(app, "timebank.reverse").await;
        assert_eq!(audited.len(), 1);
        assert_eq!(audited[0].object_id, Some(paid.id.0));
        // The original is untouched: read back as first answered.
        let original: Transfer = a.get_json(&format!("/api/v1/timebank/transfers/{}", paid.id)).await;
        assert_eq!(original, paid);
        // Staff read any transfer.
        let _: Transfer = staff.get_json(&format!("/api/v1/timebank/transfers/{}", paid.id)).await;

        // The credit limit of the bank: within range; not above a member's balance.
        json_of::<Transfer>(a.post_keyed(TRANSFERS, "t2", json!({"to": m[1].user_id, "minutes": 200})).await, 201, "t2").await;
        let put = |limit: i64| staff.send(Method::PUT, "/api/v1/timebank/banks/1/credit-limit", Some(json!({"credit_limit_minutes": limit})));
        let p = expect_problem(put(5).await, 422).await;
        assert_eq!(p.errors[0].field, "credit_limit_minutes");
        let p = expect_problem(put(-60).await, 409).await;
        assert_eq!(p.code, ErrorCode::Conflict);
        let bank: Bank = json_of(put(-100).await, 200, "limit").await;
        assert_eq!(bank.credit_limit_minutes, -100);
        assert_eq!(account(a).await.credit_limit_minutes, -100);
        assert_eq!(account(b).await.credit_limit_minutes, -100);
        let p = expect_problem(a.post_keyed(TRANSFERS, "t3", json!({"to": m[1].user_id, "minutes": 21})).await, 409).await;
        assert_eq!(p.code, ErrorCode::InsufficientBalance);
        assert_eq!(audit(app, "timebank.credit_limit").await.len(), 1);
        let res = staff.send(Method::PUT, "/api/v1/timebank/banks/999/credit-limit", Some(json!({"credit_limit_minutes": -100}))).await;
        assert_eq!(expect_problem(res, 404).await.code, ErrorCode::NotFound);

        // The ledger is append-only, even to someone with the database at hand.
        let mut conn = app.connect();
        let edit = diesel::update(timebank_transfers::table.find(paid.id.0))
            .set(timebank_transfers::memo.eq("riscritto"))
            .execute(&mut conn);
        assert!(edit.is_err(), "transfers are immutable");
        let delete = diesel::delete(timebank_transfers::table.find(paid.id.0)).execute(&mut conn);
        assert!(delete.is_err(), "transfers are not deleted");
        check_ledger_lib(app);
    }
);

people_test!(
    async fn an_operator_pays_for_a_resident_and_both_are_recorded(app) {
        let resident = app.login("inquilino").await;
        let (m, _) = members(app, 1).await;
        let operator = app.login("operatore").await;
        let res = operator
            .post("/api/v1/assist", json!({"user_id": resident.me.id, "purpose": "telefonata: pagare la vicina"}))
            .await;
        assert_eq!(res.status(), 200);
        let t: Transfer = json_of(
            operator.post_keyed(TRANSFERS, "op-1", json!({"to": m[0].user_id, "minutes": 45, "memo": "compagnia"})).await,
            201,
            "assisted transfer",
        )
        .await;
        assert_eq!(t.initiated_by.as_ref().map(|u| u.id), Some(resident.me.id));
        assert_eq!(t.on_behalf_operator.as_ref().map(|u| u.id), Some(operator.me.id));
        let acts = audit(app, "timebank.transfer").await;
        assert_eq!(acts.len(), 1);
        assert_eq!(acts[0].actor.as_ref().map(|u| u.id), Some(operator.me.id));
        assert_eq!(acts[0].on_behalf_of.as_ref().map(|u| u.id), Some(resident.me.id));
        assert_eq!(account(&resident).await.balance_minutes, -45);
        // The operator holds no account of their own.
        let _ = operator.delete("/api/v1/assist").await;
        assert_eq!(expect_problem(operator.get("/api/v1/timebank/accounts/me").await, 403).await.code, ErrorCode::Forbidden);
    }
);

/// Settings of the bank test.
const BANK_CLIENTS: usize = 32;
const BANK_TRANSFERS: usize = 10_000;
const BANK_ACCOUNTS: usize = 100;

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One planned payment of the bank test.
struct Plan {
    payer: usize,
    payee: usize,
    minutes: i64,
    /// 0: sent once; 1: retried after the answer; 2: sent twice at the same time.
    retry: u8,
}

fn plan(i: usize) -> Plan {
    let mut rng = Rng(i as u64 ^ 0x5EED);
    let payer = rng.below(BANK_ACCOUNTS);
    let payee = (payer + 1 + rng.below(BANK_ACCOUNTS - 1)) % BANK_ACCOUNTS;
    Plan {
        payer,
        payee,
        minutes: 1 + rng.below(120) as i64,
        retry: match i % 20 {
            0 => 1,
            10 => 2,
            _ => 0,
        },
    }
}

people_test!(
    async fn bank_test_concurrent_clients_idempotent_retries(app) {
        let members = {
            let mut conn = app.connect();
            Arc::new(ledger::residents_with_sessions(&mut conn, BANK_ACCOUNTS))
        };
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(BANK_CLIENTS)
            .build()
            .expect("client");
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..BANK_CLIENTS {
            let (client, members, next, base) = (client.clone(), members.clone(), next.clone(), app.address.clone());
            workers.push(tokio::spawn(async move {
                let mut answers: Vec<(usize, Vec<ledger::Answer>)> = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= BANK_TRANSFERS {
                        break;
                    }
                    let p = plan(i);
                    let payer = &members[p.payer];
                    let key = format!("bank-{i}");
                    let body = json!({"to": members[p.payee].user_id, "minutes": p.minutes, "memo": format!("scambio {i}")});
                    let got = match p.retry {
                        0 => vec![ledger::pay(&client, &base, payer, &key, &body).await.expect("answer")],
                        1 => {
                            let first = ledger::pay(&client, &base, payer, &key, &body).await.expect("answer");
                            let second = ledger::pay(&client, &base, payer, &key, &body).await.expect("retry");
                            vec![first, second]
                        }
                        _ => {
                            let (x, y) = tokio::join!(
                                ledger::pay(&client, &base, payer, &key, &body),
                                ledger::pay(&client, &base, payer, &key, &body)
                            );
                            vec![x.expect("answer"), y.expect("duplicate")]
                        }
                    };
                    answers.push((i, got));
                }
                answers
            }));
        }
        let mut answers: Vec<(usize, Vec<ledger::Answer>)> = Vec::new();
        for w in workers {
            answers.extend(w.await.expect("worker"));
        }
        let elapsed = started.elapsed();
        let requests: usize = answers.iter().map(|(_, a)| a.len()).sum();
        eprintln!(
            "bank test on {:?}: {BANK_TRANSFERS} transfers ({requests} requests) by {BANK_CLIENTS} clients in {:.1} s ({:.0} requests/s)",
            app.backend,
            elapsed.as_secs_f64(),
            requests as f64 / elapsed.as_secs_f64()
        );
        assert_eq!(answers.len(), BANK_TRANSFERS);

        // Every answer is an accepted transfer or a refusal below the limit; retries agree.
        let mut accepted: HashMap<String, Transfer> = HashMap::new();
        let mut expected: HashMap<i64, i64> = HashMap::new();
        let mut refused = 0;
        let mut replays = 0;
        for (i, got) in &answers {
            for a in got {
                assert!(a.status == 201 || a.status == 409, "transfer {i}: {} {}", a.status, a.body);
                if a.status == 409 {
                    assert!(a.body.contains("insufficient_balance"), "transfer {i}: {}", a.body);
                }
                replays += usize::from(a.replayed);
            }
            let ok: Vec<&ledger::Answer> = got.iter().filter(|a| a.status == 201).collect();
            if let Some(first) = ok.first() {
                assert!(ok.iter().all(|a| a.body == first.body), "transfer {i}: two different answers to one key");
                // A sequential retry of an accepted payment is a replay.
                if plan(*i).retry == 1 && got[0].status == 201 {
                    assert!(got[1].replayed && got[1].status == 201, "transfer {i}: retry not replayed");
                }
                let t: Transfer = serde_json::from_str(&first.body).expect("a transfer");
                for e in &t.entries {
                    *expected.entry(e.user.as_ref().expect("members").id.0).or_insert(0) += e.minutes;
                }
                accepted.insert(format!("bank-{i}"), t);
            } else {
                refused += 1;
            }
        }
        eprintln!("bank test on {:?}: {} accepted, {refused} refused (credit limit), {replays} replays", app.backend, accepted.len());
        assert!(accepted.len() > BANK_TRANSFERS / 2, "most payments go through");

        // Exactly one ledger transfer per accepted key, and no other.
        let mut conn = app.connect();
        let in_ledger: HashSet<i64> = ledger::transfer_ids(&mut conn, "transfer").into_iter().collect();
        let answered: HashSet<i64> = accepted.values().map(|t| t.id.0).collect();
        assert_eq!(answered.len(), accepted.len(), "one transfer per key");
        assert_eq!(in_ledger, answered, "the ledger holds exactly the accepted transfers");
        let keys: Vec<(String, Option<i64>)> = idempotency_keys::table
            .select((idempotency_keys::key, idempotency_keys::resource_id))
            .load(&mut conn)
            .expect("keys");
        assert_eq!(keys.len(), accepted.len(), "refused payments keep no key");
        for (key, resource) in keys {
            assert_eq!(resource, accepted.get(&key).map(|t| t.id.0), "key {key}");
        }
        // Balances: what the answers add up to; the sum unchanged; none under its limit.
        let balances = ledger::balances(&mut conn);
        for m in members.iter() {
            assert_eq!(
                balances.get(&m.user_id).copied().unwrap_or(0),
                expected.get(&m.user_id).copied().unwrap_or(0),
                "balance of user {}",
                m.user_id
            );
        }
        assert_eq!(balances.values().sum::<i64>(), 0, "the sum of the balances never changes");
        assert!(ledger::below_limit(&mut conn).is_empty(), "no balance under its limit");
        check_ledger_lib(app);
        let (ok, out) = ledger::run_check_ledger(&app.db.url_string(), &app.db.dir.join("data"));
        assert!(ok, "cortile check-ledger: {out}");
        assert!(out.contains("ledger OK"), "{out}");
    }
);

people_test!(
    /// The short path (`timebank::fast`; on PostgreSQL one call of `timebank_pay`, which fills
    /// the names into the answer) answers as the ledger reads, whatever the names and the memo
    /// hold; someone no longer active sends the payment to the general path, which refuses it.
    async fn the_short_path_answers_as_the_ledger_reads(app) {
        use cortile::db::schema::users;

        let (m, s) = members(app, 4).await;
        // Every account open: each member is paid once (the general path opens accounts).
        for i in 0..4 {
            let to = m[(i + 1) % 4].user_id;
            json_of::<Transfer>(s[i].post_keyed(TRANSFERS, &format!("open-{i}"), json!({"to": to, "minutes": 5})).await, 201, "open").await;
        }
        // Names that JSON must escape.
        let names = [
            "Zoë \"la nonna\" O'Brien \\ 🚲".to_owned(),
            "Tab\there\u{1}".to_owned(),
            "\"display_name\":\"\"".to_owned(),
        ];
        let mut conn = app.connect();
        for (i, name) in names.iter().enumerate() {
            diesel::update(users::table.find(m[i].user_id))
                .set(users::display_name.eq(name))
                .execute(&mut conn)
                .expect("renamed");
        }
        let memo = "\"display_name\":\"\" {\"id\":0,\"bank_id\":0 \\\" corso";
        let body = json!({"to": [{"to": m[1].user_id, "minutes": 20}, {"to": m[2].user_id, "minutes": 30},
                                 {"to": m[3].user_id, "minutes": 40}], "memo": memo});
        let res = s[0].post_keyed(TRANSFERS, "group", body.clone()).await;
        assert_eq!(res.status(), 201);
        let text = res.text().await.expect("body");
        let t: Transfer = serde_json::from_str(&text).expect("a transfer");
        assert_eq!(t.memo, memo);
        assert_eq!(t.initiated_by.as_ref().map(|u| u.display_name.as_str()), Some(names[0].as_str()));
        let named: Vec<(i64, String, i64)> = t
            .entries
            .iter()
            .map(|e| {
                let u = e.user.as_ref().expect("a member");
                (u.id.0, u.display_name.clone(), e.minutes)
            })
            .collect();
        assert_eq!(
            named,
            [
                (m[0].user_id, names[0].clone(), -90),
                (m[1].user_id, names[1].clone(), 20),
                (m[2].user_id, names[2].clone(), 30),
                (m[3].user_id, t.entries[3].user.as_ref().expect("a member").display_name.clone(), 40),
            ]
        );
        assert_eq!(t.bank_id, account(&s[0]).await.bank_id, "paid in the member's bank");
        let seen: Transfer = s[0].get_json(&format!("/api/v1/timebank/transfers/{}", t.id)).await;
        assert_eq!(seen, t, "read back as it was answered");
        let again = s[0].post_keyed(TRANSFERS, "group", body).await;
        assert_eq!(again.headers().get("idempotent-replayed").map(|v| v.as_bytes()), Some(&b"true"[..]));
        assert_eq!(again.text().await.expect("body"), text, "the first answer, byte for byte");
        assert_eq!(account(&s[0]).await.balance_minutes, -90);

        // A recipient disabled since: nothing is written, the general path says why.
        diesel::update(users::table.find(m[3].user_id))
            .set(users::disabled.eq(true))
            .execute(&mut conn)
            .expect("disabled");
        let p = expect_problem(s[0].post_keyed(TRANSFERS, "to-disabled", json!({"to": m[3].user_id, "minutes": 5})).await, 422).await;
        assert_eq!(fields(&p), [("to".to_owned(), "not_a_member".to_owned())]);
        assert_eq!(account(&s[0]).await.balance_minutes, -90);
        assert_eq!(ledger::transfer_ids(&mut conn, "transfer").len(), 5);
        check_ledger_lib(app);
    }
);

people_test!(
    async fn check_ledger_names_what_is_wrong(app) {
        use cortile::db::schema::{timebank_accounts, timebank_entries};

        let (m, s) = members(app, 2).await;
        let t: Transfer = json_of(
            s[0].post_keyed(TRANSFERS, "c1", json!({"to": m[1].user_id, "minutes": 30})).await,
            201,
            "pay",
        )
        .await;
        let (url, data) = (app.db.url_string(), app.db.dir.join("data"));
        let (ok, out) = ledger::run_check_ledger(&url, &data);
        assert!(ok && out.contains("ledger OK") && out.contains("1 transfers"), "{out}");

        // A balance edited behind the ledger's back.
        let mut conn = app.connect();
        let account: i64 = timebank_accounts::table
            .filter(timebank_accounts::user_id.eq(m[0].user_id))
            .select(timebank_accounts::id)
            .first(&mut conn)
            .expect("account");
        diesel::update(timebank_accounts::table.find(account))
            .set(timebank_accounts::balance_minutes.eq(timebank_accounts::balance_minutes + 7))
            .execute(&mut conn)
            .expect("tamper");
        let (ok, out) = ledger::run_check_ledger(&url, &data);
        assert!(!ok, "{out}");
        assert!(
            out.contains(&format!("account {account} (user {}, bank 1): balance -23 but its entries sum to -30", m[0].user_id)),
            "{out}"
        );
        assert!(out.contains("bank 1: balances sum to 7"), "{out}");
        diesel::update(timebank_accounts::table.find(account))
            .set(timebank_accounts::balance_minutes.eq(-30))
            .execute(&mut conn)
            .expect("mend");

        // An entry slipped into a transfer: it no longer sums to zero.
        diesel::insert_into(timebank_entries::table)
            .values((
                timebank_entries::transfer_id.eq(t.id.0),
                timebank_entries::account_id.eq(account),
                timebank_entries::minutes.eq(5),
                timebank_entries::balance_after.eq(-25),
            ))
            .execute(&mut conn)
            .expect("an extra entry");
        let (ok, out) = ledger::run_check_ledger(&url, &data);
        assert!(!ok, "{out}");
        assert!(out.contains(&format!("transfer {}: entries sum to 5, not 0", t.id)), "{out}");
    }
);
