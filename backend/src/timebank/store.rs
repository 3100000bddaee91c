//! Queries of the time bank's ledger. Called inside the domain's transactions.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    timebank_accounts, timebank_banks, timebank_entries, timebank_transfers, users,
};
use crate::db::{cached, cached_as, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = timebank_banks)]
pub struct BankRow {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub credit_limit_minutes: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = timebank_accounts)]
pub struct AccountRow {
    pub id: i64,
    pub bank_id: i64,
    pub user_id: Option<i64>,
    pub balance_minutes: i64,
    pub credit_limit_minutes: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = timebank_transfers)]
pub struct TransferRow {
    pub id: i64,
    pub bank_id: i64,
    pub kind: String,
    pub initiated_by: Option<i64>,
    pub on_behalf_operator: Option<i64>,
    pub memo: String,
    pub reverses_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// An entry with the member whose account it touches (`None`: the bank's own account).
#[derive(Debug, Clone, Queryable)]
pub struct EntryRow {
    pub id: i64,
    pub transfer_id: i64,
    pub account_id: i64,
    pub user_id: Option<i64>,
    pub minutes: i64,
    pub balance_after: i64,
}

/// The city-wide bank (the first; later banks may be scoped to estates).
pub fn default_bank(conn: &mut DbConn) -> AppResult<BankRow> {
    timebank_banks::table
        .order(timebank_banks::id)
        .select(BankRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no time bank exists")))
}

pub fn bank(conn: &mut DbConn, id: i64) -> AppResult<Option<BankRow>> {
    Ok(timebank_banks::table
        .find(id)
        .select(BankRow::as_select())
        .first(conn)
        .optional()?)
}

/// The bank's own account (the other side of adjustments).
pub fn system_account(conn: &mut DbConn, bank_id: i64) -> AppResult<i64> {
    timebank_accounts::table
        .filter(timebank_accounts::bank_id.eq(bank_id))
        .filter(timebank_accounts::user_id.is_null())
        .order(timebank_accounts::id)
        .select(timebank_accounts::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("bank {bank_id} has no own account")))
}

pub fn account_of(conn: &mut DbConn, bank_id: i64, user_id: i64) -> AppResult<Option<AccountRow>> {
    Ok(timebank_accounts::table
        .filter(timebank_accounts::bank_id.eq(bank_id))
        .filter(timebank_accounts::user_id.eq(user_id))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?)
}

/// Opens a member's account (if not already open) with the bank's credit limit; returns its id.
pub fn open_account(
    conn: &mut DbConn,
    bank: &BankRow,
    user_id: i64,
    now: NaiveDateTime,
) -> AppResult<i64> {
    // The bank's limit as of now: on PostgreSQL read under a share lock, so that a concurrent
    // change of the limit (which updates the bank's row first) either waits for this account
    // or is seen by it. SQLite's writer already holds the database.
    let limit = match conn {
        DbConn::Postgres(c) => timebank_banks::table
            .find(bank.id)
            .select(timebank_banks::credit_limit_minutes)
            .for_share()
            .first::<i64>(c)?,
        DbConn::Sqlite(_) => bank.credit_limit_minutes,
    };
    crate::on_backend!(conn, c => diesel::insert_into(timebank_accounts::table)
        .values((
            timebank_accounts::bank_id.eq(bank.id),
            timebank_accounts::user_id.eq(user_id),
            timebank_accounts::balance_minutes.eq(0),
            timebank_accounts::credit_limit_minutes.eq(limit),
            timebank_accounts::created_at.eq(now),
        ))
        .on_conflict((timebank_accounts::bank_id, timebank_accounts::user_id))
        .do_nothing()
        .execute(c))?;
    account_of(conn, bank.id, user_id)?
        .map(|a| a.id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("account of user {user_id} not opened")))
}

/// Adds `minutes` to an account's balance and returns the new balance. With `limited`, a debit
/// that would take the balance below the account's credit limit changes nothing and returns
/// `None`. The row stays locked until the transaction ends.
pub fn apply(
    conn: &mut DbConn,
    account_id: i64,
    minutes: i64,
    limited: bool,
) -> AppResult<Option<i64>> {
    let target = timebank_accounts::table.filter(timebank_accounts::id.eq(account_id));
    let balance = timebank_accounts::balance_minutes;
    // Both statements run at every payment: kept prepared, found by a marker (`db::cached`).
    struct Debit;
    struct Credit;
    Ok(if limited && minutes < 0 {
        crate::on_backend!(conn, c => cached_as::<Debit, _>(diesel::update(
                target.filter((balance + minutes).ge(timebank_accounts::credit_limit_minutes)),
            )
            .set(balance.eq(balance + minutes))
            .returning(balance))
            .get_result::<i64>(c)
            .optional())?
    } else {
        crate::on_backend!(conn, c => cached_as::<Credit, _>(diesel::update(target)
            .set(balance.eq(balance + minutes))
            .returning(balance))
            .get_result::<i64>(c)
            .optional())?
    })
}

pub struct NewTransferRow<'a> {
    pub bank_id: i64,
    pub kind: &'a str,
    pub initiated_by: Option<i64>,
    pub on_behalf_operator: Option<i64>,
    pub memo: &'a str,
    pub reverses_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

pub fn insert_transfer(conn: &mut DbConn, t: &NewTransferRow<'_>) -> AppResult<i64> {
    struct InsertTransfer;
    Ok(
        crate::on_backend!(conn, c => cached_as::<InsertTransfer, _>(diesel::insert_into(timebank_transfers::table)
        .values((
            timebank_transfers::bank_id.eq(t.bank_id),
            timebank_transfers::kind.eq(t.kind),
            timebank_transfers::initiated_by.eq(t.initiated_by),
            timebank_transfers::on_behalf_operator.eq(t.on_behalf_operator),
            timebank_transfers::memo.eq(t.memo),
            timebank_transfers::reverses_id.eq(t.reverses_id),
            timebank_transfers::created_at.eq(t.created_at),
        ))
        .returning(timebank_transfers::id))
        .get_result::<i64>(c))?,
    )
}

/// Writes the entries of a transfer: (account, minutes, balance after).
pub fn insert_entries(
    conn: &mut DbConn,
    transfer_id: i64,
    entries: &[(i64, i64, i64)],
) -> AppResult<()> {
    let rows: Vec<_> = entries
        .iter()
        .map(|(account, minutes, after)| {
            (
                timebank_entries::transfer_id.eq(transfer_id),
                timebank_entries::account_id.eq(*account),
                timebank_entries::minutes.eq(*minutes),
                timebank_entries::balance_after.eq(*after),
            )
        })
        .collect();
    match conn {
        // One statement (one round trip); one text per number of entries, and a group
        // payment has a few: kept prepared.
        DbConn::Postgres(c) => {
            cached(diesel::insert_into(timebank_entries::table).values(&rows)).execute(c)?;
        }
        // No round trips to save: one prepared single-row statement per entry.
        DbConn::Sqlite(c) => {
            struct InsertEntry;
            for row in rows {
                cached_as::<InsertEntry, _>(
                    diesel::insert_into(timebank_entries::table).values(row),
                )
                .execute(c)?;
            }
        }
    }
    Ok(())
}

pub fn transfer(conn: &mut DbConn, id: i64) -> AppResult<Option<TransferRow>> {
    Ok(timebank_transfers::table
        .find(id)
        .select(TransferRow::as_select())
        .first(conn)
        .optional()?)
}

/// The transfer reversing `id`, if any.
pub fn reversal_of(conn: &mut DbConn, id: i64) -> AppResult<Option<i64>> {
    Ok(timebank_transfers::table
        .filter(timebank_transfers::reverses_id.eq(id))
        .select(timebank_transfers::id)
        .first(conn)
        .optional()?)
}

/// The entries of these transfers, in the order they were written.
pub fn entries_of(conn: &mut DbConn, transfer_ids: &[i64]) -> AppResult<Vec<EntryRow>> {
    Ok(timebank_entries::table
        .inner_join(timebank_accounts::table)
        .filter(timebank_entries::transfer_id.eq_any(transfer_ids))
        .order(timebank_entries::id)
        .select((
            timebank_entries::id,
            timebank_entries::transfer_id,
            timebank_entries::account_id,
            timebank_accounts::user_id,
            timebank_entries::minutes,
            timebank_entries::balance_after,
        ))
        .load(conn)?)
}

/// One line of a statement, before counterparties are added.
#[derive(Debug, Clone, Queryable)]
pub struct StatementRow {
    pub entry_id: i64,
    pub transfer_id: i64,
    pub minutes: i64,
    pub balance_after: i64,
    pub kind: String,
    pub memo: String,
    pub created_at: NaiveDateTime,
}

/// Entries of an account, newest first, older than `before` (an entry id), at most `limit`.
pub fn statement(
    conn: &mut DbConn,
    account_id: i64,
    before: Option<i64>,
    limit: Option<i64>,
) -> AppResult<Vec<StatementRow>> {
    let mut q = timebank_entries::table
        .inner_join(timebank_transfers::table)
        .filter(timebank_entries::account_id.eq(account_id))
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(timebank_entries::id.lt(before));
    }
    if let Some(limit) = limit {
        q = q.limit(limit);
    }
    Ok(q.order(timebank_entries::id.desc())
        .select((
            timebank_entries::id,
            timebank_entries::transfer_id,
            timebank_entries::minutes,
            timebank_entries::balance_after,
            timebank_transfers::kind,
            timebank_transfers::memo,
            timebank_transfers::created_at,
        ))
        .load(conn)?)
}

/// Display names of users.
pub fn names(conn: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// What the ledger needs to know about a user: name, fiscal code, whether active, and their
/// account in the bank if it is open.
#[derive(Debug, Clone, Queryable)]
pub struct UserBrief {
    pub id: i64,
    pub display_name: String,
    pub fiscal_code: Option<String>,
    pub disabled: bool,
    pub erased_at: Option<NaiveDateTime>,
    pub account_id: Option<i64>,
}

impl UserBrief {
    pub fn active(&self) -> bool {
        !self.disabled && self.erased_at.is_none()
    }
}

/// These users and their accounts in the bank, in one query (it runs at every payment).
pub fn members_brief(
    conn: &mut DbConn,
    bank_id: i64,
    ids: &[i64],
) -> AppResult<HashMap<i64, UserBrief>> {
    let joined = users::table.left_join(
        timebank_accounts::table.on(timebank_accounts::user_id
            .eq(users::id.nullable())
            .and(timebank_accounts::bank_id.eq(bank_id))),
    );
    let select = (
        users::id,
        users::display_name,
        users::fiscal_code,
        users::disabled,
        users::erased_at,
        timebank_accounts::id.nullable(),
    );
    let rows: Vec<UserBrief> = if let [one] = ids {
        // The common case, as a statement the connection keeps prepared.
        joined
            .filter(users::id.eq(*one))
            .select(select)
            .load(conn)?
    } else {
        joined
            .filter(users::id.eq_any(ids))
            .select(select)
            .load(conn)?
    };
    Ok(rows.into_iter().map(|u| (u.id, u)).collect())
}

/// A user and their account in the default bank (see [`members_in_default_bank`]).
#[derive(Debug, Clone, Queryable)]
pub struct Member {
    pub id: i64,
    pub display_name: String,
    pub disabled: bool,
    pub erased_at: Option<NaiveDateTime>,
    pub account_id: Option<i64>,
    pub bank_id: Option<i64>,
}

impl Member {
    pub fn active(&self) -> bool {
        !self.disabled && self.erased_at.is_none()
    }
}

/// These users and their accounts in the default bank (the first, as [`default_bank`]), in
/// one statement kept prepared (one text per number of users): the payment's fast path.
pub fn members_in_default_bank(conn: &mut DbConn, ids: &[i64]) -> AppResult<Vec<Member>> {
    let first_bank = timebank_banks::table
        .select(diesel::dsl::min(timebank_banks::id))
        .single_value();
    let joined = users::table.left_join(
        timebank_accounts::table.on(timebank_accounts::user_id
            .eq(users::id.nullable())
            .and(timebank_accounts::bank_id.nullable().eq(first_bank))),
    );
    let select = (
        users::id,
        users::display_name,
        users::disabled,
        users::erased_at,
        timebank_accounts::id.nullable(),
        timebank_accounts::bank_id.nullable(),
    );
    struct PayerAndOne;
    Ok(if let [a, b] = ids {
        // The common case, one payer and one recipient: found in the cache by its marker.
        crate::on_backend!(conn, c => cached_as::<PayerAndOne, _>(
            joined
                .filter(users::id.eq(*a).or(users::id.eq(*b)))
                .select(select),
        )
        .load(c))?
    } else {
        crate::on_backend!(conn, c => cached(joined.filter(users::id.eq_any(ids)).select(select))
            .load(c))?
    })
}
