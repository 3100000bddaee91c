//! A member's payment in as few statements as the database allows: the common case of
//! `POST /api/v1/timebank/transfers` (issue 5's speed goal). Anything out of the ordinary — an
//! account to open, someone not an active member, a key already used, a refused debit, an
//! operator acting for the resident — writes nothing here and answers `None`: the caller then
//! takes the general path ([`super::transfer`]: claim the key, check, open accounts, post), which
//! gives every answer and every error. So every rule is the general path's, and this is only a
//! shortcut to the same result.
//!
//! - PostgreSQL: one read of the members and their accounts (outside any transaction: it writes
//!   nothing, and accounts are never deleted nor change hands) and one call of the SQL function
//!   `timebank_pay` (migration 000019), a statement that is its own transaction: the key with its
//!   answer, both balances, the transfer and its entries — two round trips where the general path
//!   makes ten. The answer is serialised before the call with the transfer's id left out
//!   (`{"id":` is its first member) and completed by the function with the id it draws.
//! - SQLite: one `BEGIN IMMEDIATE` transaction of seven statements (members and their accounts
//!   in the default bank, both balances, the transfer, its two entries, the key with its answer),
//!   where the general path runs nine; the key is written last, and a key already used rolls the
//!   transaction back (a writer holds the database alone, so this is a retry, never a race).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use cortile_shared::timebank::{Transfer, TransferKind};
use cortile_shared::TransferId;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamp};

use super::{
    payment_lines, payment_view, post, store, Line, PayLeg, Payment, Posting, SCOPE_TRANSFER,
};
use crate::db::{cached, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::idempotency::{self, IdempotencyKey, Stored};

/// The serialised answer starts with its id: `{"id":<id>` then the rest.
const ID_PREFIX: &str = "{\"id\":";

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
        DbConn::Postgres(c) => {
            // The function's statement must be its own transaction (a refusal rolls it back
            // whole); inside a caller's transaction take the general path.
            use diesel::connection::{AnsiTransactionManager, TransactionManager};
            let depth =
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()?;
            if depth.is_some() {
                return Ok(None);
            }
            let Some(plan) = plan(conn, p)? else {
                return Ok(None);
            };
            postgres(conn, p, &plan)
        }
        DbConn::Sqlite(_) => sqlite(conn, p),
    }
}

/// What the members' read found: the lines to post and the answer without its id.
struct Plan {
    bank_id: i64,
    lines: Vec<Line>,
    transfer: Transfer,
}

/// Reads the payer and the recipients with their accounts in the default bank (the first):
/// `None` unless every one is an active member with an open account.
fn plan(conn: &mut DbConn, p: &FastPayment<'_>) -> AppResult<Option<Plan>> {
    let ids: Vec<i64> = std::iter::once(p.payer)
        .chain(p.legs.iter().map(|l| l.to))
        .collect();
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
    let payment = Payment {
        payer: p.payer,
        legs: p.legs,
        kind: TransferKind::Transfer,
        memo: p.memo,
        on_behalf_operator: None,
    };
    // The id is drawn when the transfer is written.
    let transfer = payment_view(0, bank_id, &payment, &names, p.now);
    Ok(Some(Plan {
        bank_id,
        lines,
        transfer,
    }))
}

#[derive(QueryableByName)]
struct Paid {
    #[diesel(sql_type = BigInt)]
    transfer_id: i64,
    #[diesel(sql_type = BigInt)]
    #[allow(dead_code)]
    payer_balance: i64,
}

fn postgres(conn: &mut DbConn, p: &FastPayment<'_>, plan: &Plan) -> AppResult<Option<Stored>> {
    let DbConn::Postgres(c) = conn else {
        return Ok(None);
    };
    // The answer with id 0, cut after the id: the function puts the real one in front.
    let zero = serde_json::to_string(&plan.transfer).map_err(AppError::internal)?;
    let Some(tail) = zero.strip_prefix("{\"id\":0") else {
        return Ok(None);
    };
    let accounts: Vec<i64> = plan.lines.iter().map(|l| l.account_id).collect();
    let minutes: Vec<i64> = plan.lines.iter().map(|l| l.minutes).collect();
    let paid = cached(
        diesel::sql_query(
            "SELECT transfer_id, payer_balance \
             FROM timebank_pay($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind::<BigInt, _>(plan.bank_id)
        .bind::<BigInt, _>(p.payer)
        .bind::<Array<BigInt>, _>(&accounts)
        .bind::<Array<BigInt>, _>(&minutes)
        .bind::<Text, _>(p.memo)
        .bind::<Timestamp, _>(p.now)
        .bind::<Text, _>(p.key.as_str())
        .bind::<Text, _>(SCOPE_TRANSFER)
        .bind::<Text, _>(p.hash)
        .bind::<Text, _>(tail),
    )
    .get_result::<Paid>(c)
    .optional();
    match paid {
        Ok(Some(paid)) => Ok(Some(Stored {
            status: 201,
            body: format!("{ID_PREFIX}{}{tail}", paid.transfer_id),
            replayed: false,
        })),
        // The key was used before: the general path answers it.
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
