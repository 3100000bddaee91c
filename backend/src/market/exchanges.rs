//! Exchanges: proposed → accepted → completed (by the provider) → confirmed (by the
//! receiver), or cancelled (before completion), or disputed (after acceptance) until staff
//! resolve it, confirming or cancelling.
//!
//! Every step runs in one write transaction that first locks the exchange's row (PostgreSQL:
//! `SELECT … FOR UPDATE`; SQLite: the write lock of `BEGIN IMMEDIATE`) and reads its state, so
//! two confirmations racing see each other: the first pays, the second finds the exchange
//! confirmed and answers it as it is. Repeating a step already taken (a retry) answers the
//! exchange and changes nothing. Each step tells the other party
//! ([`crate::notifications::notify`], same transaction).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use cortile_shared::auth::UserRef;
use cortile_shared::community::NotificationKind;
use cortile_shared::market::{
    Exchange, ExchangeAbilities, ExchangeMessage, ExchangeState, ListingKind, ListingStatus,
    NewExchange, NewMessage, Outcome, PriceType, Resolution, MAX_EXCHANGE_MINUTES, MAX_MESSAGE_LEN,
    MAX_REASON_LEN,
};
use cortile_shared::timebank::TransferKind;
use cortile_shared::{ErrorCode, ExchangeId, FieldError, ListingId, Page, TransferId, UserId};
use diesel::prelude::*;
use serde_json::json;

use super::store::{self, ExchangeRow};
use super::{check_text, load_listing, stored_time};
use crate::audit::{self, Object};
use crate::auth::account::utc;
use crate::auth::policy::{authorize, can, not_concerning_oneself, Action, ExchangeParty, Step};
use crate::auth::Actor;
use crate::db::schema::{market_exchange_messages, market_exchanges, market_listings};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::timebank::{self, PayLeg, Payment};

/// The page of an exchange in the web app.
pub fn link(id: i64) -> String {
    format!("/banca-del-tempo/scambi/{id}")
}

/// Exchange states in which a pair may not open another exchange on the same listing.
const LIVE: [&str; 4] = ["proposed", "accepted", "completed", "disputed"];

/// Messages a person may write in [`RATE_WINDOW`].
const MAX_MESSAGES_PER_WINDOW: i64 = 30;
const RATE_WINDOW: chrono::Duration = chrono::Duration::minutes(10);

fn party_of(row: &ExchangeRow, me: i64) -> ExchangeParty {
    ExchangeParty {
        provider: row.provider_id == me,
        receiver: row.receiver_id == me,
        proposer: row.proposed_by == me,
    }
}

fn state_of(row: &ExchangeRow) -> ExchangeState {
    ExchangeState::parse(&row.state).unwrap_or(ExchangeState::Cancelled)
}

/// The state a step leads to, and the states it may start from.
fn rule(step: Step) -> (ExchangeState, &'static [ExchangeState]) {
    use ExchangeState::*;
    match step {
        Step::Accept => (Accepted, &[Proposed]),
        Step::Complete => (Completed, &[Accepted]),
        Step::Confirm => (Confirmed, &[Completed]),
        Step::Cancel => (Cancelled, &[Proposed, Accepted]),
        Step::Dispute => (Disputed, &[Accepted, Completed]),
        // Not state changes.
        Step::Message | Step::Review => (Confirmed, &[]),
    }
}

fn step_name(step: Step) -> &'static str {
    match step {
        Step::Accept => "accept",
        Step::Complete => "complete",
        Step::Confirm => "confirm",
        Step::Cancel => "cancel",
        Step::Dispute => "dispute",
        Step::Message => "message",
        Step::Review => "review",
    }
}

fn invalid_transition(step: &str, state: ExchangeState) -> AppError {
    AppError::new(ErrorCode::InvalidTransition).with_detail(format!(
        "cannot {step} an exchange that is {}",
        state.as_str()
    ))
}

fn hidden(id: i64) -> AppError {
    AppError::not_found(format!("exchange {id} does not exist"))
}

/// The exchange, locked, if the reader may see it; 404 otherwise.
fn load_for_update(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<ExchangeRow> {
    let me = actor.require()?.principal.id.0;
    let row = store::exchange_for_update(conn, id)?.ok_or_else(|| hidden(id))?;
    let p = party_of(&row, me);
    authorize(
        actor,
        &Action::ViewExchange {
            party: p.provider || p.receiver,
        },
    )
    .map_err(|_| hidden(id))?;
    Ok(row)
}

fn load(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<ExchangeRow> {
    let me = actor.require()?.principal.id.0;
    let row = store::exchange(conn, id)?.ok_or_else(|| hidden(id))?;
    let p = party_of(&row, me);
    authorize(
        actor,
        &Action::ViewExchange {
            party: p.provider || p.receiver,
        },
    )
    .map_err(|_| hidden(id))?;
    Ok(row)
}

/// Audits an act on an exchange that an operator does for a resident (assisted mode).
pub(super) fn audit_exchange(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    let object = Object {
        kind: "market_exchange",
        id,
    };
    audit::record_if_assisted(conn, actor, action, object, json!({}), now)
}

/// A person's account is erased (inside its transaction): their exchanges that may still be
/// cancelled (proposed, accepted) are cancelled in their name, and the other party is told.
/// Completed or disputed ones stay: the other party may still be paid, or staff decide.
pub(crate) fn cancel_all_of(
    conn: &mut DbConn,
    user_id: i64,
    name: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let (_, from) = rule(Step::Cancel);
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let rows: Vec<ExchangeRow> = market_exchanges::table
        .filter(
            market_exchanges::provider_id
                .eq(user_id)
                .or(market_exchanges::receiver_id.eq(user_id)),
        )
        .filter(market_exchanges::state.eq_any(&from))
        .select(ExchangeRow::as_select())
        .load(conn)?;
    let now = stored_time(now);
    for row in rows {
        // Conditional on the state read: one the other party moved on meanwhile (completed,
        // say) is left as it now is, and the erasure goes on.
        let moved = diesel::update(
            market_exchanges::table
                .find(row.id)
                .filter(market_exchanges::state.eq_any(&from)),
        )
        .set((
            market_exchanges::state.eq(ExchangeState::Cancelled.as_str()),
            market_exchanges::updated_at.eq(now),
            market_exchanges::cancelled_at.eq(Some(now)),
            market_exchanges::cancelled_by.eq(Some(user_id)),
        ))
        .execute(conn)?;
        if moved == 0 {
            continue;
        }
        let other = if row.provider_id == user_id {
            row.receiver_id
        } else {
            row.provider_id
        };
        let title = listing_title(conn, row.listing_id)?;
        tell(
            conn,
            other,
            NotificationKind::ExchangeCancelled,
            name,
            &row,
            &title,
            json!({"reason": ""}),
            now,
        )?;
    }
    Ok(())
}

/// Tells `to` about an exchange's step, in the step's transaction.
#[allow(clippy::too_many_arguments)]
fn tell(
    conn: &mut DbConn,
    to: i64,
    kind: NotificationKind,
    actor_name: &str,
    row: &ExchangeRow,
    title: &str,
    extra: serde_json::Value,
    now: NaiveDateTime,
) -> AppResult<()> {
    let mut data = json!({"actor": actor_name, "title": title, "exchange_id": row.id});
    if let (Some(obj), serde_json::Value::Object(more)) = (data.as_object_mut(), extra) {
        obj.extend(more);
    }
    crate::notifications::notify(conn, to, kind, data, &link(row.id), now)
}

fn listing_title(conn: &mut DbConn, listing_id: i64) -> AppResult<String> {
    Ok(market_listings::table
        .find(listing_id)
        .select(market_listings::title)
        .first(conn)?)
}

fn check_minutes(field: &str, minutes: i64, errors: &mut Vec<FieldError>) {
    if !(1..=MAX_EXCHANGE_MINUTES).contains(&minutes) {
        errors.push(FieldError::new(
            field,
            "out_of_range",
            format!("{field} must be from 1 to {MAX_EXCHANGE_MINUTES} minutes"),
        ));
    }
}

/// `POST /api/v1/market/listings/{id}/exchanges`: asks for an offer (the reader receives) or
/// offers help with a request (the reader provides). A request collects offers from several
/// people: one exchange each.
pub fn propose(
    conn: &mut DbConn,
    actor: &Actor,
    listing_id: i64,
    req: &NewExchange,
    now: NaiveDateTime,
) -> AppResult<Exchange> {
    let listing = load_listing(conn, actor, listing_id)?;
    authorize(
        actor,
        &Action::ProposeExchange(super::listing_ctx(&listing)),
    )?;
    let me = actor.require()?.principal.id.0;
    let mut errors = Vec::new();
    let hours = listing.price_type == PriceType::Hours.as_str();
    let minutes = match (hours, req.minutes) {
        (true, m) => {
            let m = m.or(listing.price_amount).unwrap_or(0);
            check_minutes("minutes", m, &mut errors);
            m
        }
        (false, None | Some(0)) => 0,
        (false, Some(_)) => {
            errors.push(FieldError::new(
                "minutes",
                "not_allowed",
                "only listings priced in hours agree minutes",
            ));
            0
        }
    };
    let message = check_text(
        "message",
        &req.message,
        0,
        MAX_MESSAGE_LEN,
        true,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    if listing.status != ListingStatus::Open.as_str() {
        return Err(AppError::new(ErrorCode::ListingClosed)
            .with_detail(format!("listing {listing_id} is closed")));
    }
    let (provider, receiver) = if listing.kind == ListingKind::Offer.as_str() {
        (listing.author_id, me)
    } else {
        (me, listing.author_id)
    };
    let now = stored_time(now);
    let my_name = actor.require()?.principal.display_name.clone();
    let result = write_tx(conn, |conn| -> AppResult<i64> {
        // Again inside the transaction: a close that came in meanwhile wins.
        if store::listing_status_locked(conn, listing_id)?.as_deref()
            != Some(ListingStatus::Open.as_str())
        {
            return Err(AppError::new(ErrorCode::ListingClosed)
                .with_detail(format!("listing {listing_id} is closed")));
        }
        let live: i64 = market_exchanges::table
            .filter(market_exchanges::listing_id.eq(listing_id))
            .filter(market_exchanges::provider_id.eq(provider))
            .filter(market_exchanges::receiver_id.eq(receiver))
            .filter(market_exchanges::state.eq_any(LIVE))
            .count()
            .get_result(conn)?;
        if live > 0 {
            return Err(already_proposed());
        }
        let id = crate::insert_returning_id!(
            conn,
            market_exchanges::table,
            market_exchanges::id,
            (
                market_exchanges::listing_id.eq(listing_id),
                market_exchanges::provider_id.eq(provider),
                market_exchanges::receiver_id.eq(receiver),
                market_exchanges::proposed_by.eq(me),
                market_exchanges::estate_id.eq(listing.estate_id),
                market_exchanges::minutes.eq(minutes),
                market_exchanges::state.eq(ExchangeState::Proposed.as_str()),
                market_exchanges::proposed_at.eq(now),
                market_exchanges::updated_at.eq(now),
            )
        )?;
        diesel::update(market_listings::table.find(listing_id))
            .set(market_listings::exchanges_count.eq(market_listings::exchanges_count + 1))
            .execute(conn)?;
        if !message.is_empty() {
            insert_message(conn, id, me, &message, now)?;
        }
        let row = store::exchange(conn, id)?.ok_or_else(|| hidden(id))?;
        tell(
            conn,
            listing.author_id,
            NotificationKind::ExchangeProposed,
            &my_name,
            &row,
            &listing.title,
            json!({}),
            now,
        )?;
        audit_exchange(conn, actor, "market.exchange.propose", id, now)?;
        Ok(id)
    });
    let id = match result {
        Err(e) if is_unique_violation(&e) => return Err(already_proposed()),
        other => other?,
    };
    get(conn, actor, id)
}

fn already_proposed() -> AppError {
    AppError::new(ErrorCode::Conflict)
        .with_detail("you already have an exchange under way on this listing")
}

pub(crate) fn is_unique_violation(e: &AppError) -> bool {
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

fn insert_message(
    conn: &mut DbConn,
    exchange_id: i64,
    author: i64,
    body: &str,
    now: NaiveDateTime,
) -> AppResult<i64> {
    Ok(crate::insert_returning_id!(
        conn,
        market_exchange_messages::table,
        market_exchange_messages::id,
        (
            market_exchange_messages::exchange_id.eq(exchange_id),
            market_exchange_messages::author_id.eq(author),
            market_exchange_messages::body.eq(body),
            market_exchange_messages::created_at.eq(now),
        )
    )?)
}

/// Moves the exchange from `from` to `to` (a conditional update: nothing if the state moved).
fn set_state(
    conn: &mut DbConn,
    id: i64,
    from: ExchangeState,
    to: ExchangeState,
    now: NaiveDateTime,
) -> AppResult<()> {
    let target = market_exchanges::table
        .find(id)
        .filter(market_exchanges::state.eq(from.as_str()));
    let n = diesel::update(target)
        .set((
            market_exchanges::state.eq(to.as_str()),
            market_exchanges::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n != 1 {
        return Err(
            AppError::new(ErrorCode::Conflict).with_detail("the exchange changed meanwhile")
        );
    }
    Ok(())
}

/// Pays an exchange through the ledger (receiver → provider); returns the transfer's id, or
/// `None` when nothing is paid (no minutes).
fn pay_exchange(
    conn: &mut DbConn,
    row: &ExchangeRow,
    minutes: i64,
    title: &str,
    operator: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<Option<i64>> {
    if minutes == 0 {
        return Ok(None);
    }
    let bank = timebank::store::default_bank(conn)?;
    let memo: String = format!("Scambio {}: {title}", row.id)
        .chars()
        .take(280)
        .collect();
    let legs = [PayLeg {
        to: row.provider_id,
        minutes,
        field: "provider".into(),
    }];
    let paid = timebank::pay(
        conn,
        &bank,
        &Payment {
            payer: row.receiver_id,
            legs: &legs,
            kind: TransferKind::Exchange,
            memo: &memo,
            on_behalf_operator: operator,
        },
        now,
    )?;
    Ok(Some(paid.transfer.id.0))
}

/// `POST /api/v1/market/exchanges/{id}/{accept|complete|confirm|cancel|dispute}`.
pub fn step(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    step: Step,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<Exchange> {
    let me = actor.require()?.principal.id.0;
    let my_name = actor.require()?.principal.display_name.clone();
    let operator = actor.operator().map(|o| o.id.0);
    let mut errors = Vec::new();
    let required = usize::from(step == Step::Dispute);
    let reason = check_text(
        "reason",
        reason,
        required,
        MAX_REASON_LEN,
        true,
        &mut errors,
    );
    let now = stored_time(now);
    write_tx(conn, |conn| -> AppResult<()> {
        let row = load_for_update(conn, actor, id)?;
        let party = party_of(&row, me);
        authorize(actor, &Action::ExchangeStep { step, party })?;
        let state = state_of(&row);
        let (to, from) = rule(step);
        if state == to {
            // Taken already (a retry, or the other party did it): nothing changes.
            return Ok(());
        }
        if !from.contains(&state) {
            return Err(invalid_transition(step_name(step), state));
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let title = listing_title(conn, row.listing_id)?;
        let other = if party.provider {
            row.receiver_id
        } else {
            row.provider_id
        };
        set_state(conn, id, state, to, now)?;
        let ts = Some(now);
        let (kind, extra) = match step {
            Step::Accept => {
                diesel::update(market_exchanges::table.find(id))
                    .set(market_exchanges::accepted_at.eq(ts))
                    .execute(conn)?;
                (NotificationKind::ExchangeAccepted, json!({}))
            }
            Step::Complete => {
                diesel::update(market_exchanges::table.find(id))
                    .set(market_exchanges::completed_at.eq(ts))
                    .execute(conn)?;
                (NotificationKind::ExchangeCompleted, json!({}))
            }
            Step::Confirm => {
                let transfer = pay_exchange(conn, &row, row.minutes, &title, operator, now)?;
                diesel::update(market_exchanges::table.find(id))
                    .set((
                        market_exchanges::confirmed_at.eq(ts),
                        market_exchanges::transfer_id.eq(transfer),
                    ))
                    .execute(conn)?;
                (
                    NotificationKind::ExchangeConfirmed,
                    json!({"minutes": row.minutes}),
                )
            }
            Step::Cancel => {
                diesel::update(market_exchanges::table.find(id))
                    .set((
                        market_exchanges::cancelled_at.eq(ts),
                        market_exchanges::cancelled_by.eq(Some(me)),
                    ))
                    .execute(conn)?;
                if !reason.is_empty() {
                    insert_message(conn, id, me, &reason, now)?;
                }
                (
                    NotificationKind::ExchangeCancelled,
                    json!({"reason": reason}),
                )
            }
            Step::Dispute => {
                diesel::update(market_exchanges::table.find(id))
                    .set((
                        market_exchanges::disputed_at.eq(ts),
                        market_exchanges::disputed_by.eq(Some(me)),
                        market_exchanges::dispute_reason.eq(Some(&reason)),
                    ))
                    .execute(conn)?;
                (
                    NotificationKind::ExchangeDisputed,
                    json!({"reason": reason}),
                )
            }
            Step::Message | Step::Review => return Err(invalid_transition("step", state)),
        };
        tell(conn, other, kind, &my_name, &row, &title, extra, now)?;
        audit_exchange(
            conn,
            actor,
            &format!("market.exchange.{}", step_name(step)),
            id,
            now,
        )?;
        Ok(())
    })?;
    get(conn, actor, id)
}

/// `POST /api/v1/market/exchanges/{id}/resolution` (staff): ends a dispute by confirming
/// (the receiver pays the minutes agreed, or those staff decide) or cancelling; audited, both
/// parties told. Repeating the same decision answers the exchange as it is.
pub fn resolve(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    res: &Resolution,
    now: NaiveDateTime,
) -> AppResult<Exchange> {
    authorize(actor, &Action::MediateExchanges)?;
    let mut errors = Vec::new();
    let note = check_text("note", &res.note, 1, MAX_REASON_LEN, true, &mut errors);
    if let (Outcome::Confirm, Some(m)) = (res.outcome, res.minutes) {
        if !(0..=MAX_EXCHANGE_MINUTES).contains(&m) {
            errors.push(FieldError::new(
                "minutes",
                "out_of_range",
                format!("minutes must be from 0 to {MAX_EXCHANGE_MINUTES}"),
            ));
        }
    }
    if res.outcome == Outcome::Cancel && res.minutes.is_some() {
        errors.push(FieldError::new(
            "minutes",
            "not_allowed",
            "a cancelled exchange pays nothing",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let now = stored_time(now);
    write_tx(conn, |conn| -> AppResult<()> {
        let row = load_for_update(conn, actor, id)?;
        let state = state_of(&row);
        let target = match res.outcome {
            Outcome::Confirm => ExchangeState::Confirmed,
            Outcome::Cancel => ExchangeState::Cancelled,
        };
        if row.resolved_at.is_some() && state == target {
            return Ok(());
        }
        if state != ExchangeState::Disputed {
            return Err(invalid_transition("resolve", state));
        }
        not_concerning_oneself(
            actor,
            &[row.provider_id, row.receiver_id],
            "resolve a dispute they are a party of",
        )?;
        let me = actor.require()?.principal.id.0;
        let title = listing_title(conn, row.listing_id)?;
        // What was agreed, not what the listing says now (its author may have changed the
        // price type since): an exchange in hours agreed at least a minute.
        let hours = row.minutes > 0;
        let minutes = match res.outcome {
            Outcome::Confirm => res.minutes.unwrap_or(row.minutes),
            Outcome::Cancel => 0,
        };
        if minutes > 0 && !hours {
            return Err(AppError::invalid(
                "minutes",
                "not_allowed",
                "only listings priced in hours pay minutes",
            ));
        }
        if minutes == 0 && hours && res.outcome == Outcome::Confirm {
            return Err(AppError::invalid(
                "minutes",
                "out_of_range",
                format!(
                    "an exchange in hours is confirmed with 1 to {MAX_EXCHANGE_MINUTES} minutes; to pay nothing, cancel it"
                ),
            ));
        }
        set_state(conn, id, state, target, now)?;
        let ts = Some(now);
        let transfer = match res.outcome {
            Outcome::Confirm => pay_exchange(conn, &row, minutes, &title, None, now)?,
            Outcome::Cancel => None,
        };
        diesel::update(market_exchanges::table.find(id))
            .set((
                market_exchanges::resolved_at.eq(ts),
                market_exchanges::resolved_by.eq(Some(me)),
                market_exchanges::resolution_note.eq(Some(&note)),
                // A cancellation keeps the minutes that were agreed (the exchange stays one
                // in hours); a confirmation records those paid.
                market_exchanges::minutes.eq(match res.outcome {
                    Outcome::Confirm => minutes.max(0),
                    Outcome::Cancel => row.minutes,
                }),
                market_exchanges::transfer_id.eq(transfer),
            ))
            .execute(conn)?;
        match res.outcome {
            Outcome::Confirm => diesel::update(market_exchanges::table.find(id))
                .set(market_exchanges::confirmed_at.eq(ts))
                .execute(conn)?,
            Outcome::Cancel => diesel::update(market_exchanges::table.find(id))
                .set(market_exchanges::cancelled_at.eq(ts))
                .execute(conn)?,
        };
        audit::record(
            conn,
            actor,
            "market.exchange.resolve",
            Some(Object {
                kind: "market_exchange",
                id,
            }),
            Some(&note),
            json!({"outcome": res.outcome.as_str(), "minutes": minutes,
                   "transfer_id": transfer, "agreed_minutes": row.minutes}),
            now,
        )?;
        let staff_name = actor.require()?.principal.display_name.clone();
        for to in [row.provider_id, row.receiver_id] {
            tell(
                conn,
                to,
                NotificationKind::ExchangeResolved,
                &staff_name,
                &row,
                &title,
                json!({"outcome": res.outcome.as_str(), "reason": note, "minutes": minutes}),
                now,
            )?;
        }
        Ok(())
    })?;
    get(conn, actor, id)
}

/// `GET /api/v1/market/exchanges/{id}`.
/// `GET /api/v1/market/exchanges/{id}`: as [`get`], and staff reading an exchange they are
/// not a party of (its dispute) leave a record in the audit log.
pub fn read(conn: &mut DbConn, actor: &Actor, id: i64, now: NaiveDateTime) -> AppResult<Exchange> {
    let row = load(conn, actor, id)?;
    audit_mediator_read(conn, actor, &row, "market.exchange.read", now)?;
    to_exchanges(conn, actor, vec![row])?
        .pop()
        .ok_or_else(|| hidden(id))
}

/// A reader who is not a party sees an exchange only as staff mediating it: recorded.
fn audit_mediator_read(
    conn: &mut DbConn,
    actor: &Actor,
    row: &ExchangeRow,
    action: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let p = party_of(row, actor.require()?.principal.id.0);
    if !(p.provider || p.receiver) {
        audit::record(
            conn,
            actor,
            action,
            Some(Object {
                kind: "market_exchange",
                id: row.id,
            }),
            None,
            json!({}),
            stored_time(now),
        )?;
    }
    Ok(())
}

pub fn get(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Exchange> {
    let row = load(conn, actor, id)?;
    to_exchanges(conn, actor, vec![row])?
        .pop()
        .ok_or_else(|| hidden(id))
}

/// Rows into exchanges for this reader (names, the listing, what they may do).
pub(crate) fn to_exchanges(
    conn: &mut DbConn,
    actor: &Actor,
    rows: Vec<ExchangeRow>,
) -> AppResult<Vec<Exchange>> {
    let me = actor.require()?.principal.id.0;
    let mut users: Vec<i64> = rows
        .iter()
        .flat_map(|r| [r.provider_id, r.receiver_id])
        .collect();
    users.sort_unstable();
    users.dedup();
    let names = crate::timebank::store::names(conn, &users)?;
    let mut listing_ids: Vec<i64> = rows.iter().map(|r| r.listing_id).collect();
    listing_ids.sort_unstable();
    listing_ids.dedup();
    let listings = super::listing_rows(conn, &listing_ids)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let reviewed = store::reviewed_by(conn, me, &ids)?;
    let mediator = can(actor, &Action::MediateExchanges);
    let user_ref = |id: i64| UserRef {
        id: UserId(id),
        display_name: names.get(&id).cloned().unwrap_or_default(),
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let party = party_of(&r, me);
            let state = state_of(&r);
            let may = |step: Step| {
                can(actor, &Action::ExchangeStep { step, party }) && rule(step).1.contains(&state)
            };
            let listing = listings.get(&r.listing_id);
            let is_reviewed = reviewed.contains(&r.id);
            let either = party.provider || party.receiver;
            Exchange {
                id: ExchangeId(r.id),
                listing_id: ListingId(r.listing_id),
                listing_title: listing.map(|l| l.title.clone()).unwrap_or_default(),
                listing_kind: listing
                    .and_then(|l| ListingKind::parse(&l.kind))
                    .unwrap_or(ListingKind::Offer),
                // What was agreed, whatever the listing says now: an exchange in hours agreed
                // minutes; one that agreed none is in euro or free.
                price_type: match listing.and_then(|l| PriceType::parse(&l.price_type)) {
                    _ if r.minutes > 0 => PriceType::Hours,
                    Some(PriceType::Hours) | None => PriceType::Free,
                    Some(other) => other,
                },
                provider: user_ref(r.provider_id),
                receiver: user_ref(r.receiver_id),
                proposed_by: UserId(r.proposed_by),
                minutes: r.minutes,
                state,
                proposed_at: utc(r.proposed_at),
                accepted_at: r.accepted_at.map(utc),
                completed_at: r.completed_at.map(utc),
                confirmed_at: r.confirmed_at.map(utc),
                cancelled_at: r.cancelled_at.map(utc),
                disputed_at: r.disputed_at.map(utc),
                dispute_reason: r.dispute_reason.clone(),
                resolved_at: r.resolved_at.map(utc),
                resolution_note: r.resolution_note.clone(),
                transfer_id: r.transfer_id.map(TransferId),
                reviewed: is_reviewed,
                can: ExchangeAbilities {
                    accept: may(Step::Accept),
                    complete: may(Step::Complete),
                    confirm: may(Step::Confirm),
                    cancel: may(Step::Cancel),
                    dispute: may(Step::Dispute),
                    // Never in one's own dispute.
                    resolve: mediator && !either && state == ExchangeState::Disputed,
                    review: either && state == ExchangeState::Confirmed && !is_reviewed,
                    message: can(
                        actor,
                        &Action::ExchangeStep {
                            step: Step::Message,
                            party,
                        },
                    ),
                },
            }
        })
        .collect())
}

/// `GET /api/v1/market/exchanges`: mine (as provider or receiver), newest first, optionally
/// in one state; keyset-paginated by id.
pub fn mine(
    conn: &mut DbConn,
    actor: &Actor,
    state: Option<ExchangeState>,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Page<Exchange>> {
    let me = actor.require()?.principal.id.0;
    let mut q = market_exchanges::table
        .filter(
            market_exchanges::provider_id
                .eq(me)
                .or(market_exchanges::receiver_id.eq(me)),
        )
        .into_boxed();
    if let Some(s) = state {
        q = q.filter(market_exchanges::state.eq(s.as_str()));
    }
    if let Some(a) = after {
        q = q.filter(market_exchanges::id.lt(a));
    }
    let rows: Vec<ExchangeRow> = q
        .order(market_exchanges::id.desc())
        .limit(limit + 1)
        .select(ExchangeRow::as_select())
        .load(conn)?;
    page(conn, actor, rows, limit)
}

fn page(
    conn: &mut DbConn,
    actor: &Actor,
    mut rows: Vec<ExchangeRow>,
    limit: i64,
) -> AppResult<Page<Exchange>> {
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = if more {
        rows.last().map(|r| crate::pagination::encode_cursor(&r.id))
    } else {
        None
    };
    Ok(Page {
        items: to_exchanges(conn, actor, rows)?,
        next,
    })
}

/// `GET /api/v1/market/listings/{id}/exchanges`: for its author, every exchange on the
/// listing (the offers a request collected); for others, their own.
pub fn of_listing(conn: &mut DbConn, actor: &Actor, listing_id: i64) -> AppResult<Vec<Exchange>> {
    let listing = load_listing(conn, actor, listing_id)?;
    let me = actor.require()?.principal.id.0;
    let mut q = market_exchanges::table
        .filter(market_exchanges::listing_id.eq(listing_id))
        .into_boxed();
    let all = listing.author_id == me
        || listing
            .organisation_id
            .map(|o| store::is_member(conn, o, me))
            .transpose()?
            .unwrap_or(false)
        || can(actor, &Action::MediateExchanges);
    if !all {
        q = q.filter(
            market_exchanges::provider_id
                .eq(me)
                .or(market_exchanges::receiver_id.eq(me)),
        );
    }
    let rows: Vec<ExchangeRow> = q
        .order(market_exchanges::id.desc())
        .limit(500)
        .select(ExchangeRow::as_select())
        .load(conn)?;
    // Staff and the author's organisation see the exchange's view as it is; those who are
    // not parties see what the policy lets them.
    let rows = rows
        .into_iter()
        .filter(|r| {
            let p = party_of(r, me);
            p.provider || p.receiver || can(actor, &Action::MediateExchanges) || all
        })
        .collect();
    to_exchanges(conn, actor, rows)
}

/// `GET /api/v1/market/disputes` (staff): exchanges waiting for a decision, oldest first.
pub fn disputes(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Exchange>> {
    authorize(actor, &Action::MediateExchanges)?;
    let rows: Vec<ExchangeRow> = market_exchanges::table
        .filter(market_exchanges::state.eq(ExchangeState::Disputed.as_str()))
        .order(market_exchanges::id)
        .limit(500)
        .select(ExchangeRow::as_select())
        .load(conn)?;
    to_exchanges(conn, actor, rows)
}

/// `GET /api/v1/market/exchanges/{id}/messages`: the thread, oldest first.
pub fn messages(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<Vec<ExchangeMessage>> {
    let row = load(conn, actor, id)?;
    audit_mediator_read(conn, actor, &row, "market.exchange.read_messages", now)?;
    let rows: Vec<(i64, i64, String, NaiveDateTime)> = market_exchange_messages::table
        .filter(market_exchange_messages::exchange_id.eq(id))
        .order(market_exchange_messages::id)
        .select((
            market_exchange_messages::id,
            market_exchange_messages::author_id,
            market_exchange_messages::body,
            market_exchange_messages::created_at,
        ))
        .load(conn)?;
    let mut ids: Vec<i64> = rows.iter().map(|r| r.1).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<i64, String> = crate::timebank::store::names(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(id, author, body, at)| ExchangeMessage {
            id,
            author: UserRef {
                id: UserId(author),
                display_name: names.get(&author).cloned().unwrap_or_default(),
            },
            body,
            created_at: utc(at),
        })
        .collect())
}

/// `POST /api/v1/market/exchanges/{id}/messages`: plain text from a party (or staff
/// mediating); the others are told.
pub fn post_message(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    new: &NewMessage,
    now: NaiveDateTime,
) -> AppResult<ExchangeMessage> {
    let me = actor.require()?.principal.id.0;
    let my_name = actor.require()?.principal.display_name.clone();
    let row = load(conn, actor, id)?;
    authorize(
        actor,
        &Action::ExchangeStep {
            step: Step::Message,
            party: party_of(&row, me),
        },
    )?;
    let mut errors = Vec::new();
    let body = check_text("body", &new.body, 1, MAX_MESSAGE_LEN, true, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let now = stored_time(now);
    let since = now - RATE_WINDOW;
    let times: Vec<NaiveDateTime> = market_exchange_messages::table
        .filter(market_exchange_messages::author_id.eq(me))
        .filter(market_exchange_messages::created_at.gt(since))
        .order(market_exchange_messages::created_at.desc())
        .limit(MAX_MESSAGES_PER_WINDOW)
        .select(market_exchange_messages::created_at)
        .load(conn)?;
    if let Some(oldest) = times
        .last()
        .filter(|_| times.len() as i64 >= MAX_MESSAGES_PER_WINDOW)
    {
        let wait = (*oldest + RATE_WINDOW - now).num_seconds().max(1);
        return Err(AppError::rate_limited(u64::try_from(wait).unwrap_or(60)));
    }
    let msg_id = write_tx(conn, |conn| -> AppResult<i64> {
        let msg_id = insert_message(conn, id, me, &body, now)?;
        let title = listing_title(conn, row.listing_id)?;
        for to in [row.provider_id, row.receiver_id] {
            if to != me {
                tell(
                    conn,
                    to,
                    NotificationKind::ExchangeMessage,
                    &my_name,
                    &row,
                    &title,
                    json!({}),
                    now,
                )?;
            }
        }
        audit_exchange(conn, actor, "market.exchange.message", id, now)?;
        Ok(msg_id)
    })?;
    Ok(ExchangeMessage {
        id: msg_id,
        author: UserRef {
            id: UserId(me),
            display_name: my_name,
        },
        body,
        created_at: utc(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_start_from_their_states() {
        use ExchangeState::*;
        assert_eq!(rule(Step::Confirm), (Confirmed, &[Completed][..]));
        assert!(rule(Step::Cancel).1.contains(&Accepted));
        assert!(!rule(Step::Cancel).1.contains(&Completed));
        assert!(rule(Step::Dispute).1.contains(&Completed));
        assert!(!rule(Step::Dispute).1.contains(&Proposed));
    }
}
