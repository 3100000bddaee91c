//! Reviews after a confirmed exchange: each side reviews the other, once.

use chrono::NaiveDateTime;
use cortile_shared::auth::UserRef;
use cortile_shared::community::NotificationKind;
use cortile_shared::market::{ExchangeState, MemberReviews, NewReview, Review, MAX_MESSAGE_LEN};
use cortile_shared::{ErrorCode, ExchangeId, FieldError, UserId};
use diesel::prelude::*;
use serde_json::json;

use super::exchanges::{is_unique_violation, link};
use super::{check_text, stored_time};
use crate::auth::account::utc;
use crate::auth::policy::{authorize, can, Action, ExchangeParty, Step};
use crate::auth::Actor;
use crate::db::schema::{market_exchanges, market_listings, market_reviews, users};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};

type ReviewTuple = (i64, i64, i64, i64, i64, i32, String, NaiveDateTime);

/// Reviews of an exchange or of a member, newest first, each with its listing's title where
/// the reader may see that listing.
fn load_reviews(
    conn: &mut DbConn,
    actor: &Actor,
    exchange: Option<i64>,
    subject: Option<i64>,
) -> AppResult<Vec<Review>> {
    let mut q = market_reviews::table
        .inner_join(market_exchanges::table)
        .into_boxed();
    if let Some(e) = exchange {
        q = q.filter(market_reviews::exchange_id.eq(e));
    }
    if let Some(s) = subject {
        q = q.filter(market_reviews::subject_id.eq(s));
    }
    let rows: Vec<ReviewTuple> = q
        .order(market_reviews::id.desc())
        .limit(200)
        .select((
            market_reviews::id,
            market_reviews::exchange_id,
            market_exchanges::listing_id,
            market_reviews::author_id,
            market_reviews::subject_id,
            market_reviews::rating,
            market_reviews::body,
            market_reviews::created_at,
        ))
        .load(conn)?;
    let mut ids: Vec<i64> = rows.iter().flat_map(|r| [r.3, r.4]).collect();
    ids.sort_unstable();
    ids.dedup();
    let names = crate::timebank::store::names(conn, &ids)?;
    let mut listing_ids: Vec<i64> = rows.iter().map(|r| r.2).collect();
    listing_ids.sort_unstable();
    listing_ids.dedup();
    let listings = super::listing_rows(conn, &listing_ids)?;
    let title = |listing: i64| {
        listings
            .get(&listing)
            .filter(|l| can(actor, &Action::ViewListing(super::listing_ctx(l))))
            .map(|l| l.title.clone())
    };
    let user_ref = |id: i64| UserRef {
        id: UserId(id),
        display_name: names.get(&id).cloned().unwrap_or_default(),
    };
    Ok(rows
        .into_iter()
        .map(
            |(id, exchange_id, listing, author, subject, rating, body, at)| Review {
                id,
                exchange_id: ExchangeId(exchange_id),
                listing_title: title(listing),
                author: user_ref(author),
                subject: user_ref(subject),
                rating,
                body,
                created_at: utc(at),
            },
        )
        .collect())
}

/// `POST /api/v1/market/exchanges/{id}/reviews`: a party reviews the other after the
/// exchange was confirmed; one review per side.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    new: &NewReview,
    now: NaiveDateTime,
) -> AppResult<Review> {
    let me = actor.require()?.principal.id.0;
    let my_name = actor.require()?.principal.display_name.clone();
    let hidden = || AppError::not_found(format!("exchange {id} does not exist"));
    let row = super::store::exchange(conn, id)?.ok_or_else(hidden)?;
    let party = ExchangeParty {
        provider: row.provider_id == me,
        receiver: row.receiver_id == me,
        proposer: row.proposed_by == me,
    };
    authorize(
        actor,
        &Action::ViewExchange {
            party: party.provider || party.receiver,
        },
    )
    .map_err(|_| hidden())?;
    authorize(
        actor,
        &Action::ExchangeStep {
            step: Step::Review,
            party,
        },
    )?;
    let mut errors = Vec::new();
    if !(1..=5).contains(&new.rating) {
        errors.push(FieldError::new(
            "rating",
            "out_of_range",
            "the rating is from 1 to 5",
        ));
    }
    let body = check_text("body", &new.body, 0, MAX_MESSAGE_LEN, true, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    if row.state != ExchangeState::Confirmed.as_str() {
        return Err(AppError::new(ErrorCode::InvalidTransition)
            .with_detail("reviews come after the exchange is confirmed"));
    }
    let subject = if party.provider {
        row.receiver_id
    } else {
        row.provider_id
    };
    let now = stored_time(now);
    let result = write_tx(conn, |conn| -> AppResult<i64> {
        let done: i64 = market_reviews::table
            .filter(market_reviews::exchange_id.eq(id))
            .filter(market_reviews::author_id.eq(me))
            .count()
            .get_result(conn)?;
        if done > 0 {
            return Err(already_reviewed());
        }
        let review_id = crate::insert_returning_id!(
            conn,
            market_reviews::table,
            market_reviews::id,
            (
                market_reviews::exchange_id.eq(id),
                market_reviews::author_id.eq(me),
                market_reviews::subject_id.eq(subject),
                market_reviews::rating.eq(new.rating),
                market_reviews::body.eq(&body),
                market_reviews::created_at.eq(now),
            )
        )?;
        super::exchanges::audit_exchange(conn, actor, "market.review", id, now)?;
        let title: String = market_listings::table
            .find(row.listing_id)
            .select(market_listings::title)
            .first(conn)?;
        crate::notifications::notify(
            conn,
            subject,
            NotificationKind::ReviewReceived,
            json!({"actor": my_name, "title": title, "rating": new.rating, "exchange_id": id}),
            &link(id),
            now,
        )?;
        Ok(review_id)
    });
    let review_id = match result {
        Err(e) if is_unique_violation(&e) => return Err(already_reviewed()),
        other => other?,
    };
    load_reviews(conn, actor, Some(id), None)?
        .into_iter()
        .find(|r| r.id == review_id)
        .ok_or_else(hidden)
}

fn already_reviewed() -> AppError {
    AppError::new(ErrorCode::AlreadyReviewed).with_detail("you have reviewed this exchange already")
}

/// `GET /api/v1/market/exchanges/{id}/reviews`: the reviews of an exchange (its parties, staff).
pub fn of_exchange(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Vec<Review>> {
    let me = actor.require()?.principal.id.0;
    let hidden = || AppError::not_found(format!("exchange {id} does not exist"));
    let row = super::store::exchange(conn, id)?.ok_or_else(hidden)?;
    authorize(
        actor,
        &Action::ViewExchange {
            party: row.provider_id == me || row.receiver_id == me,
        },
    )
    .map_err(|_| hidden())?;
    load_reviews(conn, actor, Some(id), None)
}

/// Whether two people had an exchange together.
fn exchanged_with(conn: &mut DbConn, me: i64, other: i64) -> AppResult<bool> {
    let n: i64 = market_exchanges::table
        .filter(
            market_exchanges::provider_id
                .eq(me)
                .and(market_exchanges::receiver_id.eq(other))
                .or(market_exchanges::provider_id
                    .eq(other)
                    .and(market_exchanges::receiver_id.eq(me))),
        )
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Whether `user_id` wrote a listing the reader may see.
fn publishes_for(conn: &mut DbConn, actor: &Actor, user_id: i64) -> AppResult<bool> {
    let ids: Vec<i64> = market_listings::table
        .filter(market_listings::author_id.eq(user_id))
        .select(market_listings::id)
        .limit(200)
        .load(conn)?;
    Ok(super::listing_rows(conn, &ids)?
        .values()
        .any(|l| can(actor, &Action::ViewListing(super::listing_ctx(l)))))
}

/// `GET /api/v1/market/members/{id}/reviews`: what others said of a member (reviews are how
/// neighbours learn whom to trust). Any signed-in reader, of a member who has been reviewed
/// or who publishes a listing the reader may see (else 404: not a way to learn names).
pub fn of_member(conn: &mut DbConn, actor: &Actor, user_id: i64) -> AppResult<MemberReviews> {
    let me = actor.require()?.principal.id.0;
    let name: Option<(String, Option<NaiveDateTime>)> = users::table
        .find(user_id)
        .select((users::display_name, users::erased_at))
        .first(conn)
        .optional()?;
    let Some((display_name, None)) = name else {
        return Err(AppError::not_found(format!(
            "member {user_id} does not exist"
        )));
    };
    let (count, sum): (i64, Option<i64>) = market_reviews::table
        .filter(market_reviews::subject_id.eq(user_id))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::sum(market_reviews::rating),
        ))
        .first(conn)?;
    if count == 0
        && user_id != me
        && !publishes_for(conn, actor, user_id)?
        && !exchanged_with(conn, me, user_id)?
        && !can(actor, &Action::MediateExchanges)
    {
        return Err(AppError::not_found(format!(
            "member {user_id} does not exist"
        )));
    }
    let reviews = load_reviews(conn, actor, None, Some(user_id))?;
    Ok(MemberReviews {
        member: UserRef {
            id: UserId(user_id),
            display_name,
        },
        count,
        average: (count > 0).then(|| sum.unwrap_or(0) as f64 / count as f64),
        reviews,
    })
}
