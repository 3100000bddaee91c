//! A member's payment in as few statements as the database allows: the common case of
//! `POST /api/v1/timebank/transfers` (issue 5's speed goal). Anything out of the ordinary — an
//! account to open, someone not an active member, a key already used, a refused debit, an
//! operator acting for the resident — writes nothing here and answers `None`: the caller then
//! takes the general path ([`super::transfer`]: claim the key, check, open accounts, post), which
//! gives every answer and every error. So every rule is the general path's, and this is only a
//! shortcut to the same result.
//!
//! - PostgreSQL: one call of the SQL function `timebank_pay` (migration 000020), a statement
//!   that is its own transaction: it finds the members and their accounts, writes the key with
//!   its answer, both balances, the transfer and its entries — one round trip where the general
//!   path makes ten. The answer is serialised before the call with the id, the bank and the
//!   names left blank, and completed by the function with what it draws and reads.
//! - SQLite: one `BEGIN IMMEDIATE` transaction of seven statements (members and their accounts
//!   in the default bank, both balances, the transfer, its two entries, the key with its answer),
//!   where the general path runs nine; the key is written last, and a key already used rolls the
//!   transaction back (a writer holds the database alone, so this is a retry, never a race).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use cortile_shared::timebank::{Transfer, TransferKind};
use cortile_shared::TransferId;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text, Timestamp};

use super::{
    payment_lines, payment_minutes, payment_people, payment_view, post, store, Line, PayLeg,
    Payment, Posting, SCOPE_TRANSFER,
};
use crate::db::{cached, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::idempotency::{self, IdempotencyKey, Stored};

/// A payment to try: the payer, the legs and the memo (validated), the request's hash.
pub(super) struct FastPayment<'a> {
    pub payer: i64,
    pub key: &'a IdempotencyKey,
    pub legs: &'a [PayLeg],
    pub memo: &'a str,
    pub hash: &'a str,
    /// Already at the stored precision.
    pub now: NaiveDateTime,
}

/// Pays if the case is the common one; `None`: nothing was written, take the general path.
pub(super) fn transfer(conn: &mut DbConn, p: &FastPayment<'_>) -> AppResult<Option<Stored>> {
    match conn {
        DbConn::Postgres(_) => postgres(conn, p),
        DbConn::Sqlite(_) => sqlite(conn, p),
    }
}

/// What the members' read found: the lines to post and the answer without its id.
struct Plan {
    bank_id: i64,
    lines: Vec<Line>,
    transfer: Transfer,
}

/// SQLite: reads the payer and the recipients with their accounts in the default bank (the
/// first): `None` unless every one is an active member with an open account.
fn plan(conn: &mut DbConn, p: &FastPayment<'_>) -> AppResult<Option<Plan>> {
    let ids = payment_people(p.payer, p.legs);
    let people = store::members_in_default_bank(conn, &ids)?;
    // Every account read is in the default bank.
    let mut bank_id = None;
    let mut accounts: HashMap<i64, i64> = HashMap::new();
    let mut names: HashMap<i64, String> = HashMap::new();
    for u in people {
        if let (true, Some(account), Some(bank)) = (u.active(), u.account_id, u.bank_id) {
            bank_id = Some(bank);
            accounts.insert(u.id, account);
            names.insert(u.id, u.display_name);
        }
    }
    let Some(bank_id) = bank_id.filter(|_| ids.iter().all(|id| accounts.contains_key(id))) else {
        return Ok(None);
    };
    let lines = payment_lines(p.payer, p.legs, &accounts);
    // The id is drawn when the transfer is written.
    let transfer = payment_view(0, bank_id, &payment(p), &names, p.now);
    Ok(Some(Plan {
        bank_id,
        lines,
        transfer,
    }))
}

/// The payment as the general path writes it.
fn payment<'a>(p: &FastPayment<'a>) -> Payment<'a> {
    Payment {
        payer: p.payer,
        legs: p.legs,
        kind: TransferKind::Transfer,
        memo: p.memo,
        on_behalf_operator: None,
    }
}

/// The member every `"display_name"` of a payment's answer names, in the order they are
/// written: who initiated it (the payer), then each entry's (the payer's debit, each credit);
/// as positions in the users `[payer, recipients…]`, counted from 1.
fn named_in_answer(legs: &[PayLeg]) -> Vec<i32> {
    [1, 1].into_iter().chain((2..).take(legs.len())).collect()
}

/// The answer cut for `timebank_pay` (migration 000020), which fills in the id, the bank and
/// the names: the text after `{"id":0,"bank_id":0`, cut at each `"display_name":""`. That
/// member is structural (inside a JSON string every quote is escaped, and the memo is the only
/// free text here), so the cuts are the names' places. `None` if the answer does not have the
/// expected shape.
fn answer_pieces(p: &FastPayment<'_>) -> AppResult<Option<Vec<String>>> {
    let blank = payment_view(0, 0, &payment(p), &HashMap::new(), p.now);
    let text = serde_json::to_string(&blank).map_err(AppError::internal)?;
    let Some(tail) = text.strip_prefix("{\"id\":0,\"bank_id\":0") else {
        return Ok(None);
    };
    let pieces: Vec<String> = tail
        .split("\"display_name\":\"\"")
        .map(str::to_owned)
        .collect();
    Ok((pieces.len() == named_in_answer(p.legs).len() + 1).then_some(pieces))
}

/// What `timebank_pay` answers that the caller needs: the answer, complete.
#[derive(QueryableByName)]
struct Paid {
    #[diesel(sql_type = Text)]
    body: String,
}

/// PostgreSQL: one call of `timebank_pay`, a statement that is its own transaction.
fn postgres(conn: &mut DbConn, p: &FastPayment<'_>) -> AppResult<Option<Stored>> {
    let DbConn::Postgres(c) = conn else {
        return Ok(None);
    };
    // The function's statement must be its own transaction (a refusal rolls it back whole);
    // inside a caller's transaction take the general path.
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if AnsiTransactionManager::transaction_manager_status_mut(c)
        .transaction_depth()?
        .is_some()
    {
        return Ok(None);
    }
    let Some(pieces) = answer_pieces(p)? else {
        return Ok(None);
    };
    let users = payment_people(p.payer, p.legs);
    let minutes = payment_minutes(p.legs);
    let paid = cached(
        diesel::sql_query("SELECT body FROM timebank_pay($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind::<Array<BigInt>, _>(&users)
            .bind::<Array<BigInt>, _>(&minutes)
            .bind::<Text, _>(p.memo)
            .bind::<Timestamp, _>(p.now)
            .bind::<Text, _>(p.key.as_str())
            .bind::<Text, _>(SCOPE_TRANSFER)
            .bind::<Text, _>(p.hash)
            .bind::<Array<Text>, _>(&pieces)
            .bind::<Array<Integer>, _>(named_in_answer(p.legs)),
    )
    .get_result::<Paid>(c)
    .optional();
    match paid {
        Ok(Some(paid)) => Ok(Some(Stored {
            status: 201,
            body: paid.body,
            replayed: false,
        })),
        // Someone is not an active member with an open account, or the key was used before:
        // the general path answers.
        Ok(None) => Ok(None),
        // A debit below the credit limit: rolled back; the general path says why.
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().starts_with("timebank_pay: refused") =>
        {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Why the SQLite transaction stopped: take the general path, or a real failure.
enum Stop {
    GeneralPath,
    Failed(AppError),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::Failed(e.into())
    }
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        Stop::Failed(e)
    }
}

fn sqlite(conn: &mut DbConn, p: &FastPayment<'_>) -> AppResult<Option<Stored>> {
    let result = write_tx(conn, |conn| -> Result<Stored, Stop> {
        let Some(mut plan) = plan(conn, p)? else {
            return Err(Stop::GeneralPath);
        };
        // A refused debit (or anything else) rolls back; the general path answers it.
        let (id, _) = post(
            conn,
            &Posting {
                bank_id: plan.bank_id,
                kind: TransferKind::Transfer,
                initiated_by: Some(p.payer),
                on_behalf_operator: None,
                memo: p.memo,
                reverses_id: None,
                lines: std::mem::take(&mut plan.lines),
            },
            p.now,
        )
        .map_err(|_| Stop::GeneralPath)?;
        plan.transfer.id = TransferId(id);
        let body = serde_json::to_string(&plan.transfer).map_err(AppError::internal)?;
        let recorded = idempotency::record(
            conn,
            p.payer,
            p.key,
            SCOPE_TRANSFER,
            p.hash,
            201,
            &body,
            Some(id),
            p.now,
        )?;
        if !recorded {
            // A retry: rolled back, answered by the general path.
            return Err(Stop::GeneralPath);
        }
        Ok(Stored {
            status: 201,
            body,
            replayed: false,
        })
    });
    match result {
        Ok(stored) => Ok(Some(stored)),
        Err(Stop::GeneralPath) => Ok(None),
        Err(Stop::Failed(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `timebank_pay` puts the id, the bank and each name in the pieces' cuts, in the order
    /// of [`named_in_answer`]; done here as the function does it (names quoted by JSON), the
    /// result must be the general path's answer, byte for byte, whatever the memo holds.
    #[test]
    fn the_answer_pieces_rebuild_the_answer() {
        let key = IdempotencyKey::parse(Some("k1")).expect("a key");
        let names: HashMap<i64, String> = [
            (7, "Zoë \"la nonna\" O'Brien \\ 🚲".to_owned()),
            (8, "a\nb\tc\u{1}".to_owned()),
            (9, String::new()),
            (10, "\"display_name\":\"\"".to_owned()),
        ]
        .into();
        let now = chrono::DateTime::from_timestamp(1_790_000_000, 123_456_000)
            .expect("a time")
            .naive_utc();
        for (memo, to) in [
            ("", vec![8]),
            (
                "\"display_name\":\"\" {\"id\":0,\"bank_id\":0 \\\"",
                vec![8, 9, 10],
            ),
            ("la spesa \"del\" sabato", vec![10]),
        ] {
            let legs: Vec<PayLeg> = to
                .iter()
                .map(|&to| PayLeg {
                    to,
                    minutes: 15,
                    field: "to".into(),
                })
                .collect();
            let p = FastPayment {
                payer: 7,
                key: &key,
                legs: &legs,
                memo,
                hash: "",
                now,
            };
            let pieces = answer_pieces(&p).expect("serialised").expect("the shape");
            let users: Vec<i64> = std::iter::once(7).chain(to.iter().copied()).collect();
            let mut rebuilt = format!("{{\"id\":42,\"bank_id\":3{}", pieces[0]);
            for (i, at) in named_in_answer(&legs).into_iter().enumerate() {
                let name = &names[&users[usize::try_from(at - 1).expect("a position")]];
                rebuilt.push_str("\"display_name\":");
                rebuilt.push_str(&serde_json::to_string(name).expect("a string"));
                rebuilt.push_str(&pieces[i + 1]);
            }
            let answer = payment_view(42, 3, &payment(&p), &names, now);
            assert_eq!(
                rebuilt,
                serde_json::to_string(&answer).expect("json"),
                "{memo}"
            );
        }
    }
}
