//! The time bank's ledger: hours (in minutes) that are never lost.
//!
//! - Double entry: every transfer writes entries that sum to zero — one account debited, one
//!   or more credited (a group activity pays several people in one transfer). The sum of a
//!   bank's balances, the bank's own account included, is always zero.
//! - Balances live on the accounts and change only through [`post`], in the transaction that
//!   writes the transfer: each account is updated with one conditional `UPDATE … RETURNING`
//!   in ascending account id (so concurrent transfers on PostgreSQL lock rows in one order and
//!   cannot deadlock); a debit that would take a member below the credit limit updates
//!   nothing and the whole transaction rolls back (`insufficient_balance`).
//! - Transfers and entries are immutable (database triggers refuse updates and deletes):
//!   corrections are reversing transfers and staff adjustments against the bank's own
//!   account, both audited.
//! - Member payments carry an `Idempotency-Key` ([`crate::idempotency`]), claimed first in the
//!   same transaction: a retry gets the first answer and moves nothing. The common payment
//!   takes a shorter path to the same result first (`fast`: one SQL function call on
//!   PostgreSQL, fewer statements on SQLite) and comes back here for anything else.
//! - [`check::check_ledger`] (`cortile check-ledger`) recomputes everything from the entries.
//!
//! Exchanges (a later step) confirm by calling [`pay`] with [`TransferKind::Exchange`] inside
//! their own write transaction.

pub mod check;
mod fast;
pub mod routes;
pub mod store;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use cortile_shared::auth::UserRef;
use cortile_shared::locale::Locale;
use cortile_shared::timebank::{
    check_leg_minutes, Account, Bank, NewAdjustment, NewReversal, NewTransfer, Recipients,
    SetCreditLimit, StatementLine, Transfer, TransferEntry, TransferKind, MAX_LEG_MINUTES,
    MAX_MEMO_LEN, MAX_REASON_LEN, MAX_RECIPIENTS, MIN_CREDIT_LIMIT_MINUTES,
};
use cortile_shared::{BankId, ErrorCode, FieldError, Page, TransferId, UserId};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Object};
use crate::auth::policy::{authorize, not_concerning_oneself, Action};
use crate::auth::Actor;
use crate::db::schema::timebank_accounts;
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::idempotency::{self, Claim, IdempotencyKey, Stored};
use store::{BankRow, EntryRow, TransferRow};

/// Idempotency scopes of the ledger's writes.
pub const SCOPE_TRANSFER: &str = "timebank.transfer";
pub const SCOPE_ADJUST: &str = "timebank.adjust";
pub const SCOPE_REVERSE: &str = "timebank.reverse";

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::<Utc>::from_naive_utc_and_offset(t, Utc)
}

/// Times are stored to the microsecond (PostgreSQL's precision), so an answer built before
/// the write and one read back later agree.
fn stored_time(now: NaiveDateTime) -> NaiveDateTime {
    now.trunc_subsecs(6)
}

/// One line of a posting: an account and the minutes added to it (negative: a debit).
/// `limited` debits may not take the account below its credit limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub account_id: i64,
    pub minutes: i64,
    pub limited: bool,
}

/// A transfer to write.
#[derive(Debug, Clone)]
pub struct Posting<'a> {
    pub bank_id: i64,
    pub kind: TransferKind,
    pub initiated_by: Option<i64>,
    pub on_behalf_operator: Option<i64>,
    pub memo: &'a str,
    pub reverses_id: Option<i64>,
    pub lines: Vec<Line>,
}

/// Writes a transfer and moves the balances. Must run inside a write transaction
/// ([`write_tx`]); on any error the caller's transaction rolls back and nothing has moved.
/// Returns the transfer's id and each line's balance after it.
pub fn post(
    conn: &mut DbConn,
    posting: &Posting<'_>,
    now: NaiveDateTime,
) -> AppResult<(i64, Vec<i64>)> {
    let lines = &posting.lines;
    let sum: i64 = lines.iter().map(|l| l.minutes).sum();
    let distinct: HashSet<i64> = lines.iter().map(|l| l.account_id).collect();
    if lines.len() < 2
        || sum != 0
        || lines.iter().any(|l| l.minutes == 0)
        || distinct.len() != lines.len()
    {
        return Err(AppError::internal(anyhow::anyhow!(
            "unbalanced posting refused: {lines:?}"
        )));
    }
    // Lock and update in ascending account id: one order for every transaction.
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|&i| lines[i].account_id);
    let mut after = vec![0_i64; lines.len()];
    for i in order {
        let line = lines[i];
        match store::apply(conn, line.account_id, line.minutes, line.limited)? {
            Some(balance) => after[i] = balance,
            None => return Err(insufficient(conn, line)?),
        }
    }
    let id = store::insert_transfer(
        conn,
        &store::NewTransferRow {
            bank_id: posting.bank_id,
            kind: posting.kind.as_str(),
            initiated_by: posting.initiated_by,
            on_behalf_operator: posting.on_behalf_operator,
            memo: posting.memo,
            reverses_id: posting.reverses_id,
            created_at: now,
        },
    )?;
    let entries: Vec<(i64, i64, i64)> = lines
        .iter()
        .zip(&after)
        .map(|(l, a)| (l.account_id, l.minutes, *a))
        .collect();
    store::insert_entries(conn, id, &entries)?;
    Ok((id, after))
}

/// The problem of a refused debit, with the numbers.
fn insufficient(conn: &mut DbConn, line: Line) -> AppResult<AppError> {
    let (balance, limit): (i64, i64) = timebank_accounts::table
        .find(line.account_id)
        .select((
            timebank_accounts::balance_minutes,
            timebank_accounts::credit_limit_minutes,
        ))
        .first(conn)?;
    Ok(AppError::new(ErrorCode::InsufficientBalance).with_detail(format!(
        "paying {} minutes would take the balance from {balance} to {} minutes, below the credit limit of {limit}",
        -line.minutes,
        balance + line.minutes
    )))
}

/// One person to pay, with the request fields to blame if they cannot be paid.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PayLeg {
    pub to: i64,
    pub minutes: i64,
    #[serde(skip)]
    pub field: String,
}

/// A payment from one member to others.
#[derive(Debug, Clone)]
pub struct Payment<'a> {
    pub payer: i64,
    pub legs: &'a [PayLeg],
    pub kind: TransferKind,
    pub memo: &'a str,
    pub on_behalf_operator: Option<i64>,
}

/// What [`pay`] wrote.
#[derive(Debug, Clone)]
pub struct Paid {
    pub transfer: Transfer,
    pub payer_balance: i64,
}

/// Pays members from a member's account, inside the caller's write transaction: opens the
/// accounts that are not open yet (residents only), checks that every recipient is an active
/// member, and posts the transfer. The payer's right to pay is the caller's to check.
pub fn pay(
    conn: &mut DbConn,
    bank: &BankRow,
    payment: &Payment<'_>,
    now: NaiveDateTime,
) -> AppResult<Paid> {
    let now = stored_time(now);
    let ids: Vec<i64> = std::iter::once(payment.payer)
        .chain(payment.legs.iter().map(|l| l.to))
        .collect();
    let people = store::members_brief(conn, bank.id, &ids)?;
    let mut accounts: HashMap<i64, i64> = people
        .values()
        .filter_map(|u| u.account_id.map(|a| (u.id, a)))
        .collect();
    let mut errors = Vec::new();
    let mut to_open = Vec::new();
    for (i, user) in ids.iter().enumerate() {
        let field = match i {
            0 => None,
            _ => Some(payment.legs[i - 1].field.as_str()),
        };
        let Some(brief) = people.get(user).filter(|u| u.active()) else {
            match field {
                Some(f) => errors.push(not_a_member(f, *user)),
                None => return Err(AppError::not_found("no such account")),
            }
            continue;
        };
        if accounts.contains_key(user) {
            continue;
        }
        let resident = match &brief.fiscal_code {
            Some(code) => crate::auth::store::residence_of(conn, code)?.is_some(),
            None => false,
        };
        if !resident {
            match field {
                Some(f) => errors.push(not_a_member(f, *user)),
                None => {
                    return Err(AppError::new(ErrorCode::Forbidden)
                        .with_detail("only residents hold time bank accounts"))
                }
            }
            continue;
        }
        to_open.push(*user);
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    // New accounts in ascending user id: two payments opening the same two accounts on
    // PostgreSQL wait for each other in one order, never in a cycle.
    to_open.sort_unstable();
    for user in to_open {
        accounts.insert(user, store::open_account(conn, bank, user, now)?);
    }
    let lines = payment_lines(payment.payer, payment.legs, &accounts);
    let (id, after) = post(
        conn,
        &Posting {
            bank_id: bank.id,
            kind: payment.kind,
            initiated_by: Some(payment.payer),
            on_behalf_operator: payment.on_behalf_operator,
            memo: payment.memo,
            reverses_id: None,
            lines,
        },
        now,
    )?;
    let mut names: HashMap<i64, String> = people
        .into_values()
        .map(|u| (u.id, u.display_name))
        .collect();
    if let Some(op) = payment.on_behalf_operator {
        if !names.contains_key(&op) {
            names.extend(store::names(conn, &[op])?);
        }
    }
    Ok(Paid {
        transfer: payment_view(id, bank.id, payment, &names, now),
        payer_balance: after[0],
    })
}

/// The people of a payment in line order: the payer, then each recipient.
fn payment_people(payer: i64, legs: &[PayLeg]) -> Vec<i64> {
    std::iter::once(payer)
        .chain(legs.iter().map(|l| l.to))
        .collect()
}

/// The minutes of a payment in line order: the payer's debit of the total, then each credit.
fn payment_minutes(legs: &[PayLeg]) -> Vec<i64> {
    let total: i64 = legs.iter().map(|l| l.minutes).sum();
    std::iter::once(-total)
        .chain(legs.iter().map(|l| l.minutes))
        .collect()
}

/// The lines of a payment: the payer's debit of the total (kept above the credit limit), then
/// a credit per leg; `accounts` maps each person to their account.
fn payment_lines(payer: i64, legs: &[PayLeg], accounts: &HashMap<i64, i64>) -> Vec<Line> {
    payment_people(payer, legs)
        .into_iter()
        .zip(payment_minutes(legs))
        .enumerate()
        .map(|(i, (person, minutes))| Line {
            account_id: accounts[&person],
            minutes,
            limited: i == 0,
        })
        .collect()
}

/// The wire form of a payment just written as transfer `id` (`names`: the people's names).
fn payment_view(
    id: i64,
    bank_id: i64,
    payment: &Payment<'_>,
    names: &HashMap<i64, String>,
    now: NaiveDateTime,
) -> Transfer {
    let user_ref = |id: i64| UserRef {
        id: UserId(id),
        display_name: names.get(&id).cloned().unwrap_or_default(),
    };
    let total: i64 = payment.legs.iter().map(|l| l.minutes).sum();
    let entries = std::iter::once(TransferEntry {
        user: Some(user_ref(payment.payer)),
        minutes: -total,
    })
    .chain(payment.legs.iter().map(|l| TransferEntry {
        user: Some(user_ref(l.to)),
        minutes: l.minutes,
    }))
    .collect();
    Transfer {
        id: TransferId(id),
        bank_id: BankId(bank_id),
        kind: payment.kind,
        memo: payment.memo.to_owned(),
        created_at: utc(now),
        initiated_by: Some(user_ref(payment.payer)),
        on_behalf_operator: payment.on_behalf_operator.map(user_ref),
        reverses: None,
        entries,
    }
}

fn not_a_member(field: &str, user: i64) -> FieldError {
    FieldError::new(
        field,
        "not_a_member",
        format!("user {user} is not a member of the time bank"),
    )
}

/// Checks a memo or reason: trimmed, no control characters, at most `max` characters.
fn check_note(field: &str, raw: &str, max: usize, required: bool) -> Result<String, FieldError> {
    let text = raw.trim();
    if required && text.is_empty() {
        return Err(FieldError::new(
            field,
            "required",
            format!("give a {field}"),
        ));
    }
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("{field} must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(text.to_owned())
}

/// Checks a transfer request without the database: the legs to pay and the memo, or every
/// invalid field.
pub fn validate_transfer(req: &NewTransfer, payer: i64) -> AppResult<(Vec<PayLeg>, String)> {
    let mut errors = Vec::new();
    let mut legs = Vec::new();
    match &req.to {
        Recipients::One(to) => match req.minutes {
            None => errors.push(FieldError::new(
                "minutes",
                "required",
                "give the minutes to pay",
            )),
            Some(m) => {
                errors.extend(check_leg_minutes("minutes", m));
                legs.push(PayLeg {
                    to: to.0,
                    minutes: m,
                    field: "to".into(),
                });
            }
        },
        Recipients::Many(list) => {
            if req.minutes.is_some() {
                errors.push(FieldError::new(
                    "minutes",
                    "not_allowed",
                    "with a list of recipients, give the minutes of each",
                ));
            }
            if list.is_empty() {
                errors.push(FieldError::new(
                    "to",
                    "required",
                    "name at least one recipient",
                ));
            }
            if list.len() > MAX_RECIPIENTS {
                errors.push(FieldError::new(
                    "to",
                    "too_many",
                    format!("at most {MAX_RECIPIENTS} recipients per transfer"),
                ));
            }
            for (i, leg) in list.iter().enumerate() {
                errors.extend(check_leg_minutes(&format!("to[{i}].minutes"), leg.minutes));
                legs.push(PayLeg {
                    to: leg.to.0,
                    minutes: leg.minutes,
                    field: format!("to[{i}].to"),
                });
            }
        }
    }
    let mut seen = HashSet::new();
    for leg in &legs {
        if leg.to == payer {
            errors.push(FieldError::new(
                leg.field.clone(),
                "self_transfer",
                "you cannot pay yourself",
            ));
        } else if leg.to <= 0 {
            errors.push(not_a_member(&leg.field, leg.to));
        } else if !seen.insert(leg.to) {
            errors.push(FieldError::new(
                leg.field.clone(),
                "duplicate",
                "each recipient appears once",
            ));
        }
    }
    let memo = match check_note("memo", &req.memo, MAX_MEMO_LEN, false) {
        Ok(m) => m,
        Err(e) => {
            errors.push(e);
            String::new()
        }
    };
    if errors.is_empty() {
        Ok((legs, memo))
    } else {
        Err(AppError::validation(errors))
    }
}

/// `POST /api/v1/timebank/transfers`: a member pays one or several members.
pub fn transfer(
    conn: &mut DbConn,
    actor: &Actor,
    key: &IdempotencyKey,
    req: &NewTransfer,
    now: NaiveDateTime,
) -> AppResult<Stored> {
    authorize(actor, &Action::UseTimeBank)?;
    let me = actor.require()?.principal.id.0;
    let operator = actor.operator().map(|o| o.id.0);
    let (legs, memo) = validate_transfer(req, me)?;
    let hash = idempotency::request_hash(SCOPE_TRANSFER, &(&legs, &memo));
    // The common case first, in as few statements as the database allows; anything else
    // (accounts to open, errors, retries, assisted payments) writes nothing there and comes
    // here.
    if operator.is_none() {
        let fast = fast::FastPayment {
            payer: me,
            key,
            legs: &legs,
            memo: &memo,
            hash: &hash,
            now: stored_time(now),
        };
        if let Some(stored) = fast::transfer(conn, &fast)? {
            return Ok(stored);
        }
    }
    write_tx(conn, |conn| {
        let claim = match idempotency::claim(conn, me, key, SCOPE_TRANSFER, &hash, now)? {
            Claim::Replay(stored) => return Ok(stored),
            Claim::New(id) => id,
        };
        let bank = store::default_bank(conn)?;
        let paid = pay(
            conn,
            &bank,
            &Payment {
                payer: me,
                legs: &legs,
                kind: TransferKind::Transfer,
                memo: &memo,
                on_behalf_operator: operator,
            },
            now,
        )?;
        let id = paid.transfer.id.0;
        if operator.is_some() {
            audit::record(
                conn,
                actor,
                "timebank.transfer",
                Some(Object {
                    kind: "timebank_transfer",
                    id,
                }),
                None,
                json!({"minutes": legs.iter().map(|l| l.minutes).sum::<i64>()}),
                now,
            )?;
        }
        let body = serde_json::to_string(&paid.transfer).map_err(AppError::internal)?;
        idempotency::complete(conn, claim, 201, &body, Some(id))
    })
}

/// Builds the wire form of a stored transfer.
fn transfer_view(
    conn: &mut DbConn,
    row: &TransferRow,
    entries: &[EntryRow],
) -> AppResult<Transfer> {
    let mut ids: Vec<i64> = entries.iter().filter_map(|e| e.user_id).collect();
    ids.extend(row.initiated_by);
    ids.extend(row.on_behalf_operator);
    ids.sort_unstable();
    ids.dedup();
    let names = store::names(conn, &ids)?;
    let user_ref = |id: i64| UserRef {
        id: UserId(id),
        display_name: names.get(&id).cloned().unwrap_or_default(),
    };
    Ok(Transfer {
        id: TransferId(row.id),
        bank_id: BankId(row.bank_id),
        kind: TransferKind::parse(&row.kind).unwrap_or(TransferKind::Transfer),
        memo: row.memo.clone(),
        created_at: utc(row.created_at),
        initiated_by: row.initiated_by.map(user_ref),
        on_behalf_operator: row.on_behalf_operator.map(user_ref),
        reverses: row.reverses_id.map(TransferId),
        entries: entries
            .iter()
            .filter(|e| e.transfer_id == row.id)
            .map(|e| TransferEntry {
                user: e.user_id.map(user_ref),
                minutes: e.minutes,
            })
            .collect(),
    })
}

/// `GET /api/v1/timebank/transfers/{id}`: for the people it touches, and staff.
pub fn get_transfer(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Transfer> {
    let me = actor.require()?.principal.id.0;
    let hidden = || AppError::not_found(format!("transfer {id} does not exist"));
    let row = store::transfer(conn, id)?.ok_or_else(hidden)?;
    let entries = store::entries_of(conn, &[id])?;
    let party = row.initiated_by == Some(me) || entries.iter().any(|e| e.user_id == Some(me));
    authorize(actor, &Action::ViewTransfer { party }).map_err(|e| match e.code {
        ErrorCode::NotFound => hidden(),
        _ => e,
    })?;
    transfer_view(conn, &row, &entries)
}

/// Claims a key when one was given (staff corrections take it optionally).
fn claim_optional(
    conn: &mut DbConn,
    user: i64,
    key: Option<&IdempotencyKey>,
    scope: &str,
    hash: &str,
    now: NaiveDateTime,
) -> AppResult<Result<Option<i64>, Stored>> {
    match key {
        None => Ok(Ok(None)),
        Some(key) => Ok(
            match idempotency::claim(conn, user, key, scope, hash, now)? {
                Claim::New(id) => Ok(Some(id)),
                Claim::Replay(stored) => Err(stored),
            },
        ),
    }
}

fn finish(conn: &mut DbConn, claim: Option<i64>, transfer: &Transfer) -> AppResult<Stored> {
    let body = serde_json::to_string(transfer).map_err(AppError::internal)?;
    match claim {
        Some(c) => idempotency::complete(conn, c, 201, &body, Some(transfer.id.0)),
        None => Ok(Stored {
            status: 201,
            body,
            replayed: false,
        }),
    }
}

/// `POST /api/v1/timebank/accounts/{user_id}/adjustments` (staff): minutes between the bank's
/// own account and a member's, with a reason, in the audit log.
pub fn adjust(
    conn: &mut DbConn,
    actor: &Actor,
    user_id: i64,
    req: &NewAdjustment,
    key: Option<&IdempotencyKey>,
    now: NaiveDateTime,
) -> AppResult<Stored> {
    authorize(actor, &Action::ManageTimeBank)?;
    let me = actor.require()?.principal.id.0;
    let mut errors = Vec::new();
    // `unsigned_abs`: the absolute value of `i64::MIN` does not fit an `i64`.
    if req.minutes == 0 || req.minutes.unsigned_abs() > MAX_LEG_MINUTES.unsigned_abs() {
        errors.push(FieldError::new(
            "minutes",
            "out_of_range",
            format!("minutes must be from -{MAX_LEG_MINUTES} to {MAX_LEG_MINUTES}, not zero"),
        ));
    }
    let reason = check_note("reason", &req.reason, MAX_REASON_LEN, true)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    not_concerning_oneself(actor, &[user_id], "adjust their own account")?;
    let hash = idempotency::request_hash(SCOPE_ADJUST, &(user_id, req.minutes, &reason));
    let now = stored_time(now);
    write_tx(conn, |conn| {
        let claim = match claim_optional(conn, me, key, SCOPE_ADJUST, &hash, now)? {
            Ok(c) => c,
            Err(stored) => return Ok(stored),
        };
        let bank = store::default_bank(conn)?;
        let hidden = || AppError::not_found(format!("user {user_id} has no time bank account"));
        let account = match store::account_of(conn, bank.id, user_id)? {
            Some(a) => a.id,
            None => {
                let brief = store::members_brief(conn, bank.id, &[user_id])?;
                let code = brief
                    .get(&user_id)
                    .filter(|u| u.active())
                    .and_then(|u| u.fiscal_code.clone())
                    .ok_or_else(hidden)?;
                if crate::auth::store::residence_of(conn, &code)?.is_none() {
                    return Err(hidden());
                }
                store::open_account(conn, &bank, user_id, now)?
            }
        };
        let system = store::system_account(conn, bank.id)?;
        let (id, _) = post(
            conn,
            &Posting {
                bank_id: bank.id,
                kind: TransferKind::Adjustment,
                initiated_by: Some(me),
                on_behalf_operator: None,
                memo: &reason,
                reverses_id: None,
                lines: vec![
                    Line {
                        account_id: account,
                        minutes: req.minutes,
                        limited: true,
                    },
                    Line {
                        account_id: system,
                        minutes: -req.minutes,
                        limited: false,
                    },
                ],
            },
            now,
        )?;
        audit::record(
            conn,
            actor,
            "timebank.adjust",
            Some(Object {
                kind: "timebank_transfer",
                id,
            }),
            Some(&reason),
            json!({"user_id": user_id, "minutes": req.minutes}),
            now,
        )?;
        let row = store::transfer(conn, id)?.ok_or_else(hidden)?;
        let entries = store::entries_of(conn, &[id])?;
        let view = transfer_view(conn, &row, &entries)?;
        finish(conn, claim, &view)
    })
}

/// `POST /api/v1/timebank/transfers/{id}/reversal` (staff): a new transfer with every entry
/// of the original negated. A transfer is reversed at most once; reversals are not reversed.
pub fn reverse(
    conn: &mut DbConn,
    actor: &Actor,
    transfer_id: i64,
    req: &NewReversal,
    key: Option<&IdempotencyKey>,
    now: NaiveDateTime,
) -> AppResult<Stored> {
    authorize(actor, &Action::ManageTimeBank)?;
    let me = actor.require()?.principal.id.0;
    let reason = check_note("reason", &req.reason, MAX_REASON_LEN, true)
        .map_err(|e| AppError::validation(vec![e]))?;
    let hash = idempotency::request_hash(SCOPE_REVERSE, &(transfer_id, &reason));
    let now = stored_time(now);
    let result = write_tx(conn, |conn| {
        let claim = match claim_optional(conn, me, key, SCOPE_REVERSE, &hash, now)? {
            Ok(c) => c,
            Err(stored) => return Ok(stored),
        };
        let hidden = || AppError::not_found(format!("transfer {transfer_id} does not exist"));
        let original = store::transfer(conn, transfer_id)?.ok_or_else(hidden)?;
        if original.kind == TransferKind::Reversal.as_str() {
            return Err(AppError::new(ErrorCode::Conflict)
                .with_detail("a reversal is not reversed; make an adjustment instead"));
        }
        if let Some(by) = store::reversal_of(conn, transfer_id)? {
            return Err(already_reversed(transfer_id, Some(by)));
        }
        let entries = store::entries_of(conn, &[transfer_id])?;
        let touched: Vec<i64> = entries.iter().filter_map(|e| e.user_id).collect();
        not_concerning_oneself(actor, &touched, "reverse a transfer of their own account")?;
        let lines = entries
            .iter()
            .map(|e| Line {
                account_id: e.account_id,
                minutes: -e.minutes,
                limited: e.user_id.is_some(),
            })
            .collect();
        let (id, _) = post(
            conn,
            &Posting {
                bank_id: original.bank_id,
                kind: TransferKind::Reversal,
                initiated_by: Some(me),
                on_behalf_operator: None,
                memo: &reason,
                reverses_id: Some(transfer_id),
                lines,
            },
            now,
        )?;
        audit::record(
            conn,
            actor,
            "timebank.reverse",
            Some(Object {
                kind: "timebank_transfer",
                id: transfer_id,
            }),
            Some(&reason),
            json!({"reversal_id": id}),
            now,
        )?;
        let row = store::transfer(conn, id)?.ok_or_else(hidden)?;
        let new_entries = store::entries_of(conn, &[id])?;
        let view = transfer_view(conn, &row, &new_entries)?;
        finish(conn, claim, &view)
    });
    // Two reversals racing on PostgreSQL: the second meets the unique `reverses_id`.
    match result {
        Err(e) if is_unique_violation(&e) => Err(already_reversed(transfer_id, None)),
        other => other,
    }
}

fn already_reversed(id: i64, by: Option<i64>) -> AppError {
    AppError::new(ErrorCode::AlreadyReversed).with_detail(match by {
        Some(by) => format!("transfer {id} was already reversed by transfer {by}"),
        None => format!("transfer {id} was already reversed"),
    })
}

fn is_unique_violation(e: &AppError) -> bool {
    e.source.as_ref().is_some_and(|s| {
        matches!(
            s.downcast_ref::<diesel::result::Error>(),
            Some(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    })
}

/// `PUT /api/v1/timebank/banks/{id}/credit-limit` (staff): the lowest balance of every member
/// of the bank. Refused while a member's balance is below the new limit.
pub fn set_credit_limit(
    conn: &mut DbConn,
    actor: &Actor,
    bank_id: i64,
    req: &SetCreditLimit,
    now: NaiveDateTime,
) -> AppResult<Bank> {
    use crate::db::schema::timebank_banks;

    authorize(actor, &Action::ManageTimeBank)?;
    let limit = req.credit_limit_minutes;
    if !(MIN_CREDIT_LIMIT_MINUTES..=0).contains(&limit) {
        return Err(AppError::invalid(
            "credit_limit_minutes",
            "out_of_range",
            format!("the credit limit is from {MIN_CREDIT_LIMIT_MINUTES} to 0 minutes"),
        ));
    }
    write_tx(conn, |conn| {
        let bank = store::bank(conn, bank_id)?
            .ok_or_else(|| AppError::not_found(format!("bank {bank_id} does not exist")))?;
        // The bank's row first: accounts being opened read it under a share lock, so they
        // wait for this change (or this change waits for them) before any account is locked.
        diesel::update(timebank_banks::table.find(bank_id))
            .set(timebank_banks::credit_limit_minutes.eq(limit))
            .execute(conn)?;
        // Then the bank's accounts, in the transfers' order (PostgreSQL; SQLite's writer
        // holds the database already).
        if let DbConn::Postgres(c) = conn {
            timebank_accounts::table
                .filter(timebank_accounts::bank_id.eq(bank_id))
                .order(timebank_accounts::id)
                .select(timebank_accounts::id)
                .for_update()
                .load::<i64>(c)?;
        }
        let below: i64 = timebank_accounts::table
            .filter(timebank_accounts::bank_id.eq(bank_id))
            .filter(timebank_accounts::user_id.is_not_null())
            .filter(timebank_accounts::balance_minutes.lt(limit))
            .count()
            .get_result(conn)?;
        if below > 0 {
            return Err(AppError::new(ErrorCode::Conflict).with_detail(format!(
                "{below} member(s) have a balance below {limit} minutes; the limit cannot be raised above it yet"
            )));
        }
        diesel::update(
            timebank_accounts::table
                .filter(timebank_accounts::bank_id.eq(bank_id))
                .filter(timebank_accounts::user_id.is_not_null()),
        )
        .set(timebank_accounts::credit_limit_minutes.eq(limit))
        .execute(conn)?;
        audit::record(
            conn,
            actor,
            "timebank.credit_limit",
            Some(Object {
                kind: "timebank_bank",
                id: bank_id,
            }),
            None,
            json!({"from": bank.credit_limit_minutes, "to": limit}),
            now,
        )?;
        Ok(Bank {
            id: BankId(bank.id),
            name: bank.name,
            scope: bank.scope,
            credit_limit_minutes: limit,
        })
    })
}

/// `GET /api/v1/timebank/accounts/me`: an account not opened yet reads as empty.
pub fn my_account(conn: &mut DbConn, actor: &Actor) -> AppResult<Account> {
    authorize(actor, &Action::UseTimeBank)?;
    let p = &actor.require()?.principal;
    let bank = store::default_bank(conn)?;
    let (balance, limit) = match store::account_of(conn, bank.id, p.id.0)? {
        Some(a) => (a.balance_minutes, a.credit_limit_minutes),
        None => (0, bank.credit_limit_minutes),
    };
    Ok(Account {
        bank_id: BankId(bank.id),
        bank_name: bank.name,
        user: UserRef {
            id: p.id,
            display_name: p.display_name.clone(),
        },
        balance_minutes: balance,
        credit_limit_minutes: limit,
        available_minutes: (balance - limit).max(0),
    })
}

/// Lines of my statement, newest first: a page (`limit`) older than `before`, or all.
fn statement_lines(
    conn: &mut DbConn,
    actor: &Actor,
    before: Option<i64>,
    limit: Option<i64>,
) -> AppResult<(Vec<StatementLine>, bool)> {
    authorize(actor, &Action::UseTimeBank)?;
    let me = actor.require()?.principal.id.0;
    let bank = store::default_bank(conn)?;
    let Some(account) = store::account_of(conn, bank.id, me)? else {
        return Ok((Vec::new(), false));
    };
    let mut rows = store::statement(conn, account.id, before, limit.map(|l| l + 1))?;
    let more = limit.is_some_and(|l| rows.len() as i64 > l);
    if let Some(l) = limit {
        rows.truncate(usize::try_from(l).unwrap_or(0));
    }
    let mut transfer_ids: Vec<i64> = rows.iter().map(|r| r.transfer_id).collect();
    transfer_ids.sort_unstable();
    transfer_ids.dedup();
    let mut others: Vec<EntryRow> = Vec::new();
    for chunk in transfer_ids.chunks(500) {
        others.extend(
            store::entries_of(conn, chunk)?
                .into_iter()
                .filter(|e| e.account_id != account.id),
        );
    }
    let mut ids: Vec<i64> = others.iter().filter_map(|e| e.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut names = HashMap::new();
    for chunk in ids.chunks(500) {
        names.extend(store::names(conn, chunk)?);
    }
    let mut by_transfer: HashMap<i64, Vec<&EntryRow>> = HashMap::new();
    for e in &others {
        by_transfer.entry(e.transfer_id).or_default().push(e);
    }
    let lines = rows
        .into_iter()
        .map(|r| StatementLine {
            entry_id: r.entry_id,
            transfer_id: TransferId(r.transfer_id),
            at: utc(r.created_at),
            kind: TransferKind::parse(&r.kind).unwrap_or(TransferKind::Transfer),
            minutes: r.minutes,
            balance_after: r.balance_after,
            counterparties: by_transfer
                .get(&r.transfer_id)
                .map(|v| {
                    v.iter()
                        .filter(|e| e.minutes.signum() != r.minutes.signum())
                        .filter_map(|e| e.user_id)
                        .map(|id| UserRef {
                            id: UserId(id),
                            display_name: names.get(&id).cloned().unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            memo: r.memo,
        })
        .collect();
    Ok((lines, more))
}

/// `GET /api/v1/timebank/accounts/me/statement`: keyset-paginated by entry, newest first.
pub fn statement(
    conn: &mut DbConn,
    actor: &Actor,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Page<StatementLine>> {
    let (items, more) = statement_lines(conn, actor, after, Some(limit))?;
    let next = if more {
        items
            .last()
            .map(|l| crate::pagination::encode_cursor(&l.entry_id))
    } else {
        None
    };
    Ok(Page { items, next })
}

/// `GET /api/v1/timebank/accounts/me/statement.csv`: the whole statement, oldest first.
pub fn statement_csv(conn: &mut DbConn, actor: &Actor, locale: Locale) -> AppResult<String> {
    let (mut lines, _) = statement_lines(conn, actor, None, None)?;
    lines.reverse();
    csv_of(&lines, locale)
}

/// The statement as a spreadsheet in `locale` opens it: a UTF-8 byte order mark (so that
/// accents survive), the column names and the kinds in words, times in Rome; cells separated
/// by `;` in Italian (a spreadsheet set up for Italy reads `,` as the decimal comma), by `,` in
/// English. Minutes stay whole numbers, to be summed.
fn csv_of(lines: &[StatementLine], locale: Locale) -> AppResult<String> {
    let it = locale == Locale::It;
    let mut w = csv::WriterBuilder::new()
        .delimiter(if it { b';' } else { b',' })
        .from_writer(Vec::new());
    let io = |e: csv::Error| AppError::internal(e);
    let header = if it {
        [
            "Data",
            "Operazione n.",
            "Tipo",
            "Minuti",
            "Saldo dopo (minuti)",
            "Con",
            "Causale",
        ]
    } else {
        [
            "Date",
            "Transfer no.",
            "Kind",
            "Minutes",
            "Balance after (minutes)",
            "With",
            "Memo",
        ]
    };
    w.write_record(header).map_err(io)?;
    for l in lines {
        let names: Vec<&str> = l
            .counterparties
            .iter()
            .map(|u| u.display_name.as_str())
            .collect();
        let local = cortile_shared::dates::rome_time(l.at);
        w.write_record([
            local
                .format(if it {
                    "%d/%m/%Y %H:%M"
                } else {
                    "%Y-%m-%d %H:%M"
                })
                .to_string(),
            l.transfer_id.to_string(),
            kind_words(l.kind, locale).to_owned(),
            l.minutes.to_string(),
            l.balance_after.to_string(),
            spreadsheet_safe(&names.join(", ")),
            spreadsheet_safe(&l.memo),
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    let text = String::from_utf8(bytes).map_err(AppError::internal)?;
    Ok(format!("\u{feff}{text}"))
}

/// A transfer's kind as the statement page says it.
fn kind_words(kind: TransferKind, locale: Locale) -> &'static str {
    match (kind, locale) {
        (TransferKind::Transfer, Locale::It) => "Trasferimento",
        (TransferKind::Exchange, Locale::It) => "Scambio",
        (TransferKind::Adjustment, Locale::It) => "Rettifica",
        (TransferKind::Reversal, Locale::It) => "Storno",
        (TransferKind::Transfer, Locale::En) => "Transfer",
        (TransferKind::Exchange, Locale::En) => "Exchange",
        (TransferKind::Adjustment, Locale::En) => "Adjustment",
        (TransferKind::Reversal, Locale::En) => "Reversal",
    }
}

/// Text cells that a spreadsheet would run as a formula get a leading apostrophe.
fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use cortile_shared::timebank::Leg;

    use super::*;

    fn req(to: Recipients, minutes: Option<i64>) -> NewTransfer {
        NewTransfer {
            to,
            minutes,
            memo: "spesa".into(),
        }
    }

    fn fields(e: AppError) -> Vec<(String, String)> {
        e.errors.into_iter().map(|f| (f.field, f.code)).collect()
    }

    #[test]
    fn one_recipient_needs_minutes_in_range() {
        let e =
            validate_transfer(&req(Recipients::One(UserId(2)), None), 1).expect_err("no minutes");
        assert_eq!(fields(e), [("minutes".into(), "required".into())]);
        let e = validate_transfer(&req(Recipients::One(UserId(2)), Some(0)), 1).expect_err("zero");
        assert_eq!(fields(e), [("minutes".into(), "out_of_range".into())]);
        let e = validate_transfer(&req(Recipients::One(UserId(1)), Some(5)), 1).expect_err("self");
        assert_eq!(fields(e), [("to".into(), "self_transfer".into())]);
        let (legs, memo) =
            validate_transfer(&req(Recipients::One(UserId(2)), Some(30)), 1).expect("valid");
        assert_eq!(legs.len(), 1);
        assert_eq!(memo, "spesa");
    }

    #[test]
    fn group_payments_name_the_bad_leg() {
        let list = vec![
            Leg {
                to: UserId(2),
                minutes: 30,
            },
            Leg {
                to: UserId(3),
                minutes: -1,
            },
            Leg {
                to: UserId(2),
                minutes: 10,
            },
        ];
        let e = validate_transfer(&req(Recipients::Many(list), None), 1).expect_err("bad");
        assert_eq!(
            fields(e),
            [
                ("to[1].minutes".into(), "out_of_range".into()),
                ("to[2].to".into(), "duplicate".into())
            ]
        );
    }

    #[test]
    fn memos_are_bounded() {
        let mut r = req(Recipients::One(UserId(2)), Some(5));
        r.memo = "x".repeat(MAX_MEMO_LEN + 1);
        let e = validate_transfer(&r, 1).expect_err("long");
        assert_eq!(fields(e), [("memo".into(), "too_long".into())]);
        r.memo = "a\u{7}b".into();
        assert!(validate_transfer(&r, 1).is_err());
    }

    #[test]
    fn csv_cells_do_not_become_formulas() {
        assert_eq!(spreadsheet_safe("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(spreadsheet_safe("spesa"), "spesa");
    }

    #[test]
    fn the_csv_is_written_as_a_spreadsheet_in_its_language_opens_it() {
        let line = StatementLine {
            entry_id: 1,
            transfer_id: TransferId(42),
            // 23:30 UTC on 31 July: 01:30 the next day in Rome (summer time).
            at: "2026-07-31T23:30:00Z".parse().expect("a time"),
            kind: TransferKind::Exchange,
            minutes: -90,
            balance_after: -30,
            counterparties: vec![
                UserRef {
                    id: UserId(7),
                    display_name: "Nicolò Ferrè".into(),
                },
                UserRef {
                    id: UserId(8),
                    display_name: "Ada".into(),
                },
            ],
            memo: "-1 ora; grazie, \"davvero\"".into(),
        };
        let it = csv_of(std::slice::from_ref(&line), Locale::It).expect("csv");
        assert_eq!(
            it,
            "\u{feff}Data;Operazione n.;Tipo;Minuti;Saldo dopo (minuti);Con;Causale\n\
             01/08/2026 01:30;42;Scambio;-90;-30;Nicolò Ferrè, Ada;\"'-1 ora; grazie, \"\"davvero\"\"\"\n"
        );
        let en = csv_of(&[line], Locale::En).expect("csv");
        assert_eq!(
            en,
            "\u{feff}Date,Transfer no.,Kind,Minutes,Balance after (minutes),With,Memo\n\
             2026-08-01 01:30,42,Exchange,-90,-30,\"Nicolò Ferrè, Ada\",\"'-1 ora; grazie, \"\"davvero\"\"\"\n"
        );
    }
}
