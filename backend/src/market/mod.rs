//! The marketplace (issue 5), on top of the time bank's ledger ([`crate::timebank`]).
//!
//! - Listings (`mod.rs`): one catalogue of offers and requests, priced in hours, euro or free,
//!   with a category, a place (an estate or a point) and a reach (the author's building, the
//!   estate, the city). Residents publish; so do members of organisations verified by staff
//!   (in euro or free: the ledger's accounts are residents'). Descriptions are markdown,
//!   rendered once and sanitised (the communities' renderer). Browsing filters by category,
//!   kind, price type, reach and distance from the reader's home (Haversine, `geo`).
//! - Exchanges (`exchanges.rs`): the state machine, messages, disputes mediated by staff.
//!   Confirmation pays the agreed minutes through [`crate::timebank::pay`] inside the same
//!   write transaction, once: the exchange row is locked and its state checked first, and the
//!   transfer's id is kept on it.
//! - Reviews (`reviews.rs`), organisations (`organisations.rs`), the monthly report per
//!   estate (`report.rs`).
//!
//! Who may do what is decided by [`crate::auth::policy`]; which step follows which is decided
//! here.

pub mod exchanges;
pub mod organisations;
pub mod report;
pub mod reviews;
pub mod routes;
pub mod store;

use std::collections::HashMap;

use chrono::{NaiveDateTime, SubsecRound};
use cortile_shared::auth::UserRef;
use cortile_shared::geo::LatLon;
use cortile_shared::market::{
    Category, EstateName, Listing, ListingInput, ListingKind, ListingPlace, ListingReach,
    ListingStatus, OrganisationKind, OrganisationRef, PriceType, MAX_AVAILABILITY_LEN,
    MAX_DESCRIPTION_LEN, MAX_DISTANCE_M, MAX_EURO_CENTS, MAX_EXCHANGE_MINUTES, MAX_TITLE_LEN,
};
use cortile_shared::{EstateId, FieldError, ListingId, OrganisationId, Page, UserId};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Object};
use crate::auth::account::utc;
use crate::auth::policy::{authorize, can, Action, ListingCtx};
use crate::auth::Actor;
use crate::db::schema::{market_listings, market_organisation_members};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::idempotency::{self, Claim, IdempotencyKey, Stored};
use crate::uploads::Attachment;
use store::ListingRow;

/// Times are stored to the microsecond (PostgreSQL's precision).
pub(crate) fn stored_time(now: NaiveDateTime) -> NaiveDateTime {
    now.trunc_subsecs(6)
}

/// Checks a text: trimmed length within `min..=max` characters, no control characters (but
/// line breaks where `multiline`).
pub(crate) fn check_text(
    field: &str,
    raw: &str,
    min: usize,
    max: usize,
    multiline: bool,
    errors: &mut Vec<FieldError>,
) -> String {
    let text = raw.trim();
    let n = text.chars().count();
    if n < min {
        errors.push(FieldError::new(
            field,
            "required",
            if min <= 1 {
                format!("{field} is required")
            } else {
                format!("{field} must have at least {min} characters")
            },
        ));
    } else if n > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("{field} must have at most {max} characters"),
        ));
    } else if text
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    {
        errors.push(FieldError::new(
            field,
            "invalid_characters",
            format!("{field} must not contain control characters"),
        ));
    }
    text.to_owned()
}

/// A listing's input, checked without the database.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedListing {
    pub title: String,
    pub description: String,
    pub availability: String,
    pub price_amount: Option<i64>,
    pub estimated_minutes: Option<i64>,
    pub point: Option<LatLon>,
}

/// Checks every field of a listing; all the invalid ones are reported together.
pub fn check_listing(input: &ListingInput) -> AppResult<CheckedListing> {
    let mut errors = Vec::new();
    let title = check_text("title", &input.title, 3, MAX_TITLE_LEN, false, &mut errors);
    let description = check_text(
        "description",
        &input.description,
        0,
        MAX_DESCRIPTION_LEN,
        true,
        &mut errors,
    );
    let availability = check_text(
        "availability",
        &input.availability,
        0,
        MAX_AVAILABILITY_LEN,
        false,
        &mut errors,
    );
    let range = |field: &str, v: i64, max: i64, unit: &str, errors: &mut Vec<FieldError>| {
        if !(1..=max).contains(&v) {
            errors.push(FieldError::new(
                field,
                "out_of_range",
                format!("{field} must be from 1 to {max} {unit}"),
            ));
        }
    };
    let price_amount = match (input.price_type, input.price_amount) {
        (PriceType::Free, None | Some(0)) => None,
        (PriceType::Free, Some(_)) => {
            errors.push(FieldError::new(
                "price_amount",
                "not_allowed",
                "a free listing has no price",
            ));
            None
        }
        (PriceType::Hours | PriceType::Euro, None) => {
            errors.push(FieldError::new(
                "price_amount",
                "required",
                "give the price: minutes for hours, cents for euro",
            ));
            None
        }
        (PriceType::Hours, Some(m)) => {
            range(
                "price_amount",
                m,
                MAX_EXCHANGE_MINUTES,
                "minutes",
                &mut errors,
            );
            Some(m)
        }
        (PriceType::Euro, Some(c)) => {
            range("price_amount", c, MAX_EURO_CENTS, "cents", &mut errors);
            Some(c)
        }
    };
    if let Some(images) = &input.images {
        crate::uploads::check_refs(images, &mut errors);
    }
    if let Some(m) = input.estimated_minutes {
        range(
            "estimated_minutes",
            m,
            MAX_EXCHANGE_MINUTES,
            "minutes",
            &mut errors,
        );
    }
    let point = match input.place {
        Some(ListingPlace::Point { lat, lon }) => match LatLon::new(lat, lon) {
            Ok(p) => Some(p),
            Err(e) => {
                let field = match e {
                    cortile_shared::geo::LatLonError::Latitude(_) => "place.lat",
                    cortile_shared::geo::LatLonError::Longitude(_) => "place.lon",
                };
                errors.push(FieldError::new(field, "out_of_range", e.to_string()));
                None
            }
        },
        _ => None,
    };
    if errors.is_empty() {
        Ok(CheckedListing {
            title,
            description,
            availability,
            price_amount,
            estimated_minutes: input.estimated_minutes,
            point,
        })
    } else {
        Err(AppError::validation(errors))
    }
}

pub(crate) fn listing_ctx(row: &ListingRow) -> ListingCtx {
    ListingCtx {
        author_id: row.author_id,
        reach: ListingReach::parse(&row.reach).unwrap_or(ListingReach::City),
        estate_id: row.estate_id,
        home_building_id: row.home_building_id,
    }
}

/// A listing the reader may see, or 404.
pub(crate) fn load_listing(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<ListingRow> {
    actor.require()?;
    let hidden = || AppError::not_found(format!("listing {id} does not exist"));
    let row = store::listing(conn, id)?.ok_or_else(hidden)?;
    authorize(actor, &Action::ViewListing(listing_ctx(&row))).map_err(|_| hidden())?;
    Ok(row)
}

/// Whether the reader wrote the listing, or belongs to its organisation.
fn authored(conn: &mut DbConn, actor: &Actor, row: &ListingRow) -> AppResult<bool> {
    let me = actor.require()?.principal.id.0;
    if row.author_id == me {
        return Ok(true);
    }
    match row.organisation_id {
        Some(org) => store::is_member(conn, org, me),
        None => Ok(false),
    }
}

/// Where a listing is: its estate (if any) and its point.
struct Placed {
    place_kind: &'static str,
    estate_id: Option<i64>,
    lat: f64,
    lon: f64,
}

/// Resolves the place of a listing against the registry and the author's home.
fn place(
    conn: &mut DbConn,
    input: &ListingInput,
    point: Option<LatLon>,
    home: Option<(i64, i64)>,
) -> AppResult<Placed> {
    match (input.place, point) {
        (Some(ListingPlace::Estate { estate_id }), _) => {
            let (lat, lon) = store::estate_centre(conn, estate_id.0)?.ok_or_else(|| {
                AppError::invalid(
                    "place.estate_id",
                    "unknown",
                    format!("estate {estate_id} does not exist"),
                )
            })?;
            Ok(Placed {
                place_kind: "estate",
                estate_id: Some(estate_id.0),
                lat,
                lon,
            })
        }
        (Some(ListingPlace::Point { .. }), Some(p)) => Ok(Placed {
            place_kind: "point",
            estate_id: home.map(|(estate, _)| estate),
            lat: p.lat,
            lon: p.lon,
        }),
        _ => {
            let Some((estate, _)) = home else {
                return Err(AppError::invalid(
                    "place",
                    "required",
                    "say where: an estate or a point (you have no home in the registry)",
                ));
            };
            let (lat, lon) = store::estate_centre(conn, estate)?
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("estate {estate} vanished")))?;
            Ok(Placed {
                place_kind: "estate",
                estate_id: Some(estate),
                lat,
                lon,
            })
        }
    }
}

/// Checks the organisation of a listing (if any) and the author's right to publish.
fn check_publisher(conn: &mut DbConn, actor: &Actor, input: &ListingInput) -> AppResult<()> {
    let me = actor.require()?.principal.id.0;
    let organisation = match input.organisation_id {
        None => None,
        Some(id) => {
            let org = store::organisation(conn, id.0)?;
            let ok = match &org {
                Some(o) => o.verified_at.is_some() && store::is_member(conn, o.id, me)?,
                None => false,
            };
            Some(ok)
        }
    };
    authorize(actor, &Action::PublishListing { organisation })?;
    if organisation.is_some() && input.price_type == PriceType::Hours {
        return Err(AppError::invalid(
            "price_type",
            "not_allowed",
            "organisations price in euro or offer for free: hours are between residents",
        ));
    }
    Ok(())
}

/// Checks the reach against the place: a building's reach needs the author's building, an
/// estate's reach an estate.
fn check_reach(reach: ListingReach, placed: &Placed, home: Option<(i64, i64)>) -> AppResult<()> {
    let ok = match reach {
        ListingReach::City => true,
        ListingReach::Estate => placed.estate_id.is_some(),
        ListingReach::Building => home.is_some(),
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "reach",
            "unavailable",
            "this reach needs a home (building) or an estate (estate)",
        ))
    }
}

/// The author's home: (estate, building).
fn home_of(actor: &Actor) -> Option<(i64, i64)> {
    actor
        .principal()
        .and_then(|p| p.residence.as_ref())
        .map(|r| (r.home.estate_id.0, r.home.building_id.0))
}

/// The idempotency scope of publishing a listing.
const SCOPE_LISTING: &str = "market.listing";

/// `POST /api/v1/market/listings`.
///
/// With an idempotency key, a retry of the same request (an answer lost on the way) answers the
/// listing first made and makes no second one; the key is claimed first in the transaction, so
/// the retry is answered before its photos (attached by then) are looked at again.
pub fn create_listing(
    conn: &mut DbConn,
    actor: &Actor,
    input: &ListingInput,
    key: Option<&IdempotencyKey>,
    now: NaiveDateTime,
) -> AppResult<Stored> {
    check_publisher(conn, actor, input)?;
    let checked = check_listing(input)?;
    let home = home_of(actor);
    let placed = place(conn, input, checked.point, home)?;
    check_reach(input.reach, &placed, home)?;
    let me = actor.require()?.principal.id.0;
    let now = stored_time(now);
    let html = crate::communities::markdown::render(&checked.description);
    let hash = idempotency::request_hash(SCOPE_LISTING, input);
    write_tx(conn, |conn| -> AppResult<Stored> {
        let claim = match key {
            Some(k) => match idempotency::claim(conn, me, k, SCOPE_LISTING, &hash, now)? {
                Claim::Replay(stored) => return Ok(stored),
                Claim::New(c) => Some(c),
            },
            None => None,
        };
        let id = crate::insert_returning_id!(
            conn,
            market_listings::table,
            market_listings::id,
            (
                market_listings::kind.eq(input.kind.as_str()),
                market_listings::category.eq(input.category.as_str()),
                market_listings::title.eq(&checked.title),
                market_listings::description_md.eq(&checked.description),
                market_listings::description_html.eq(&html),
                market_listings::price_type.eq(input.price_type.as_str()),
                market_listings::price_amount.eq(checked.price_amount),
                market_listings::estimated_minutes.eq(checked.estimated_minutes),
                market_listings::availability.eq(&checked.availability),
                market_listings::place_kind.eq(placed.place_kind),
                market_listings::estate_id.eq(placed.estate_id),
                market_listings::lat.eq(placed.lat),
                market_listings::lon.eq(placed.lon),
                market_listings::reach.eq(input.reach.as_str()),
                market_listings::home_building_id.eq(home.map(|(_, b)| b)),
                market_listings::author_id.eq(me),
                market_listings::organisation_id.eq(input.organisation_id.map(|o| o.0)),
                market_listings::status.eq(ListingStatus::Open.as_str()),
                market_listings::exchanges_count.eq(0_i64),
                market_listings::created_at.eq(now),
                market_listings::updated_at.eq(now),
            )
        )?;
        if let Some(images) = input.images.as_deref().filter(|i| !i.is_empty()) {
            crate::uploads::attach(conn, me, Attachment::Listing(id), images, now)?;
        }
        audit_listing(conn, actor, "market.listing.create", id, now)?;
        let body =
            serde_json::to_string(&get_listing(conn, actor, id)?).map_err(AppError::internal)?;
        match claim {
            Some(c) => idempotency::complete(conn, c, 201, &body, Some(id)),
            None => Ok(Stored {
                status: 201,
                body,
                replayed: false,
            }),
        }
    })
}

/// `PUT /api/v1/market/listings/{id}`: its author (or a member of its organisation) changes
/// it, closes it or opens it again. The kind and the organisation do not change.
pub fn update_listing(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    input: &ListingInput,
    now: NaiveDateTime,
) -> AppResult<Listing> {
    let hidden = || AppError::not_found(format!("listing {id} does not exist"));
    let row = store::listing(conn, id)?.ok_or_else(hidden)?;
    let author = authored(conn, actor, &row)?;
    authorize(
        actor,
        &Action::EditListing {
            ctx: listing_ctx(&row),
            author,
        },
    )?;
    // An edit (or opening a closed listing again) publishes anew: the right to publish is
    // checked again (a resident who moved out, an organisation's prices not in hours); closing
    // needs no such right. (A changed organisation is refused below.)
    if input.organisation_id.map(|o| o.0) == row.organisation_id
        && input.status != Some(ListingStatus::Closed)
    {
        check_publisher(conn, actor, input)?;
    }
    let mut errors = Vec::new();
    if input.kind.as_str() != row.kind {
        errors.push(FieldError::new(
            "kind",
            "immutable",
            "an offer stays an offer and a request a request",
        ));
    }
    if input.organisation_id.map(|o| o.0) != row.organisation_id {
        errors.push(FieldError::new(
            "organisation_id",
            "immutable",
            "the organisation of a listing does not change",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    if row.organisation_id.is_some() && input.price_type == PriceType::Hours {
        return Err(AppError::invalid(
            "price_type",
            "not_allowed",
            "organisations price in euro or offer for free: hours are between residents",
        ));
    }
    let checked = check_listing(input)?;
    // The home the listing was written from stays its home (a building-wide listing stays
    // with that building).
    let home = match row.home_building_id {
        Some(b) => store::building_estate(conn, b)?.map(|e| (e, b)),
        None => None,
    };
    let placed = place(conn, input, checked.point, home)?;
    check_reach(input.reach, &placed, home)?;
    let me = actor.require()?.principal.id.0;
    let status = input
        .status
        .unwrap_or(ListingStatus::parse(&row.status).unwrap_or(ListingStatus::Open));
    let now = stored_time(now);
    // A listing closed before stays closed since then.
    let closed_at = match (status, row.closed_at) {
        (ListingStatus::Closed, Some(at)) if row.status == ListingStatus::Closed.as_str() => {
            Some(at)
        }
        (ListingStatus::Closed, _) => Some(now),
        (ListingStatus::Open, _) => None,
    };
    let html = crate::communities::markdown::render(&checked.description);
    write_tx(conn, |conn| -> AppResult<()> {
        diesel::update(market_listings::table.find(id))
            .set((
                market_listings::category.eq(input.category.as_str()),
                market_listings::title.eq(&checked.title),
                market_listings::description_md.eq(&checked.description),
                market_listings::description_html.eq(&html),
                market_listings::price_type.eq(input.price_type.as_str()),
                market_listings::price_amount.eq(checked.price_amount),
                market_listings::estimated_minutes.eq(checked.estimated_minutes),
                market_listings::availability.eq(&checked.availability),
                market_listings::place_kind.eq(placed.place_kind),
                market_listings::estate_id.eq(placed.estate_id),
                market_listings::lat.eq(placed.lat),
                market_listings::lon.eq(placed.lon),
                market_listings::reach.eq(input.reach.as_str()),
                market_listings::status.eq(status.as_str()),
                market_listings::closed_at.eq(closed_at),
                market_listings::updated_at.eq(now),
            ))
            .execute(conn)?;
        if let Some(images) = &input.images {
            crate::uploads::attach(conn, me, Attachment::Listing(id), images, now)?;
        }
        audit_listing(conn, actor, "market.listing.update", id, now)?;
        Ok(())
    })?;
    get_listing(conn, actor, id)
}

/// `DELETE /api/v1/market/listings/{id}`: closes it (exchanges under way go on; it takes no
/// new ones). Closing a closed listing changes nothing.
pub fn close_listing(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    let hidden = || AppError::not_found(format!("listing {id} does not exist"));
    let row = store::listing(conn, id)?.ok_or_else(hidden)?;
    let author = authored(conn, actor, &row)?;
    authorize(
        actor,
        &Action::EditListing {
            ctx: listing_ctx(&row),
            author,
        },
    )?;
    let now = stored_time(now);
    write_tx(conn, |conn| -> AppResult<()> {
        store::close_open(conn, &[id], now)?;
        audit_listing(conn, actor, "market.listing.close", id, now)?;
        Ok(())
    })
}

/// `GET /api/v1/market/listings/{id}`.
pub fn get_listing(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Listing> {
    let row = load_listing(conn, actor, id)?;
    let home = home_point(conn, actor)?;
    let mut list = to_listings(conn, actor, vec![row], home)?;
    list.pop()
        .ok_or_else(|| AppError::not_found(format!("listing {id} does not exist")))
}

/// The reader's home on the map (their building), if the registry gives them one.
pub(crate) fn home_point(conn: &mut DbConn, actor: &Actor) -> AppResult<Option<LatLon>> {
    match home_of(actor) {
        Some((_, building)) => Ok(store::building_point(conn, building)?
            .and_then(|(lat, lon)| LatLon::new(lat, lon).ok())),
        None => Ok(None),
    }
}

/// Metres between two points on the globe (Haversine).
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    use geo::{Distance, Haversine, Point};
    Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// Rows into listings for this reader: names, estates, organisations, distances.
fn to_listings(
    conn: &mut DbConn,
    actor: &Actor,
    rows: Vec<ListingRow>,
    home: Option<LatLon>,
) -> AppResult<Vec<Listing>> {
    let me = actor.require()?.principal.id.0;
    let mut users: Vec<i64> = rows.iter().map(|r| r.author_id).collect();
    users.sort_unstable();
    users.dedup();
    let names = crate::timebank::store::names(conn, &users)?;
    let mut estate_ids: Vec<i64> = rows.iter().filter_map(|r| r.estate_id).collect();
    estate_ids.sort_unstable();
    estate_ids.dedup();
    let estates = store::estate_names(conn, &estate_ids)?;
    let org_ids: Vec<i64> = rows.iter().filter_map(|r| r.organisation_id).collect();
    let orgs = store::organisations_by_ids(conn, &org_ids)?;
    let my_orgs = if org_ids.is_empty() {
        Vec::new()
    } else {
        store::memberships(conn, me)?
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut images = crate::uploads::listing_images(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let place = match (r.place_kind.as_str(), r.estate_id) {
                ("estate", Some(e)) => ListingPlace::Estate {
                    estate_id: EstateId(e),
                },
                _ => ListingPlace::Point {
                    lat: r.lat,
                    lon: r.lon,
                },
            };
            let distance = home.and_then(|h| {
                LatLon::new(r.lat, r.lon)
                    .ok()
                    .map(|p| distance_m(h, p).round())
            });
            let mine = r.author_id == me;
            let can_edit = mine || r.organisation_id.is_some_and(|o| my_orgs.contains(&o));
            Listing {
                id: ListingId(r.id),
                kind: ListingKind::parse(&r.kind).unwrap_or(ListingKind::Offer),
                category: Category::parse(&r.category).unwrap_or(Category::Other),
                title: r.title,
                description_html: r.description_html,
                description: can_edit.then_some(r.description_md),
                price_type: PriceType::parse(&r.price_type).unwrap_or(PriceType::Free),
                price_amount: r.price_amount,
                estimated_minutes: r.estimated_minutes,
                availability: r.availability,
                place,
                estate: r.estate_id.map(|e| EstateName {
                    id: EstateId(e),
                    name: estates.get(&e).cloned().unwrap_or_default(),
                }),
                lat: r.lat,
                lon: r.lon,
                reach: ListingReach::parse(&r.reach).unwrap_or(ListingReach::City),
                author: UserRef {
                    id: UserId(r.author_id),
                    display_name: names.get(&r.author_id).cloned().unwrap_or_default(),
                },
                organisation: r.organisation_id.and_then(|o| orgs.get(&o)).map(|o| {
                    OrganisationRef {
                        id: OrganisationId(o.id),
                        name: o.name.clone(),
                        kind: OrganisationKind::parse(&o.kind)
                            .unwrap_or(OrganisationKind::SocialEnterprise),
                    }
                }),
                status: ListingStatus::parse(&r.status).unwrap_or(ListingStatus::Open),
                exchanges_count: r.exchanges_count,
                distance_m: distance,
                mine,
                can_edit,
                images: images.remove(&r.id).unwrap_or_default(),
                created_at: utc(r.created_at),
                updated_at: utc(r.updated_at),
            }
        })
        .collect())
}

/// The filters of `GET /api/v1/market/listings`, parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Browse {
    pub kind: Option<ListingKind>,
    pub category: Option<Category>,
    pub price_type: Option<PriceType>,
    pub reach: Option<ListingReach>,
    /// Metres from the reader's home.
    pub max_distance_m: Option<i64>,
    /// Only mine (open and closed).
    pub mine: bool,
}

/// Rows read per round while filling a page (visibility and distance filter in Rust).
const BATCH: i64 = 200;

/// Where a page of listings starts: after this id (newest first), or, with a distance filter,
/// after this (distance in metres, id) (nearest first).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum ListingCursor {
    Newest(i64),
    Nearest(f64, i64),
}

fn bad_cursor() -> AppError {
    AppError::invalid(
        "after",
        "invalid_cursor",
        "after must be a `next` value returned by this list, with the same filters",
    )
}

/// `GET /api/v1/market/listings`: open listings the reader may see, filtered; newest first,
/// keyset-paginated by id; with `max_distance_m`, nearest first, keyset-paginated by
/// (distance, id).
///
/// Distances are computed here (Haversine), not in SQL, so the nearest-first order reads every
/// candidate in the circle's bounding box for each page (at most [`MAX_DISTANCE_M`] around
/// the home: a city's listings), then sorts them; the cursor keeps pages disjoint and in order
/// while listings come and go.
pub fn browse(
    conn: &mut DbConn,
    actor: &Actor,
    filters: &Browse,
    after: Option<ListingCursor>,
    limit: i64,
) -> AppResult<Page<Listing>> {
    let me = actor.require()?.principal.id.0;
    let home = home_point(conn, actor)?;
    if let Some(d) = filters.max_distance_m {
        if !(1..=MAX_DISTANCE_M).contains(&d) {
            return Err(AppError::invalid(
                "max_distance_m",
                "out_of_range",
                format!("max_distance_m is from 1 to {MAX_DISTANCE_M} metres"),
            ));
        }
        if home.is_none() {
            return Err(AppError::invalid(
                "max_distance_m",
                "no_home",
                "distances are from your home, and the registry gives you none",
            ));
        }
    }
    // A box around the home holding the circle: a cheap filter in SQL before Haversine.
    let bbox = filters.max_distance_m.zip(home).map(|(d, h)| {
        let dlat = d as f64 / 111_320.0 * 1.01;
        let dlon = dlat / h.lat.to_radians().cos().max(0.01);
        (h.lat - dlat, h.lat + dlat, h.lon - dlon, h.lon + dlon)
    });
    if let (Some(d), Some(h), Some(bbox)) = (filters.max_distance_m, home, bbox) {
        let after = match after {
            None => None,
            Some(ListingCursor::Nearest(dist, id)) if dist.is_finite() => Some((dist, id)),
            Some(_) => return Err(bad_cursor()),
        };
        return browse_nearest(conn, actor, filters, (d, h, bbox), after, limit);
    }
    let after = match after {
        None => None,
        Some(ListingCursor::Newest(id)) => Some(id),
        Some(ListingCursor::Nearest(..)) => return Err(bad_cursor()),
    };
    let mut found: Vec<ListingRow> = Vec::new();
    let mut cursor = after;
    let want = usize::try_from(limit).unwrap_or(50) + 1;
    loop {
        let mut q = filtered(actor, filters, me);
        if let Some(c) = cursor {
            q = q.filter(market_listings::id.lt(c));
        }
        let rows: Vec<ListingRow> = q
            .order(market_listings::id.desc())
            .limit(BATCH)
            .select(ListingRow::as_select())
            .load(conn)?;
        let exhausted = (rows.len() as i64) < BATCH;
        cursor = rows.last().map(|r| r.id).or(cursor);
        for r in rows {
            if !can(actor, &Action::ViewListing(listing_ctx(&r))) {
                continue;
            }
            found.push(r);
            if found.len() == want {
                break;
            }
        }
        if found.len() == want || exhausted {
            break;
        }
    }
    let more = found.len() == want;
    found.truncate(want - 1);
    let next = if more {
        found
            .last()
            .map(|r| crate::pagination::encode_cursor(&ListingCursor::Newest(r.id)))
    } else {
        None
    };
    let items = to_listings(conn, actor, found, home)?;
    Ok(Page { items, next })
}

/// The listings query with the filters of SQL and the reader's reach (so that a page does not
/// read the listings of other buildings only to drop them; each row is still checked by the
/// policy), not the distance.
fn filtered<'a>(
    actor: &Actor,
    filters: &Browse,
    me: i64,
) -> market_listings::BoxedQuery<'a, crate::db::MultiBackend> {
    let mut q = market_listings::table.into_boxed();
    if let Some((estate, building)) = crate::auth::policy::listing_reach(actor) {
        q = q.filter(
            market_listings::reach
                .eq(ListingReach::City.as_str())
                .or(market_listings::author_id.eq(me))
                .or(market_listings::reach
                    .eq(ListingReach::Estate.as_str())
                    .and(market_listings::estate_id.eq(estate)))
                .or(market_listings::reach
                    .eq(ListingReach::Building.as_str())
                    .and(market_listings::home_building_id.eq(building))),
        );
    }
    if filters.mine {
        q = q.filter(market_listings::author_id.eq(me));
    } else {
        q = q.filter(market_listings::status.eq(ListingStatus::Open.as_str()));
    }
    if let Some(k) = filters.kind {
        q = q.filter(market_listings::kind.eq(k.as_str()));
    }
    if let Some(c) = filters.category {
        q = q.filter(market_listings::category.eq(c.as_str()));
    }
    if let Some(p) = filters.price_type {
        q = q.filter(market_listings::price_type.eq(p.as_str()));
    }
    if let Some(r) = filters.reach {
        q = q.filter(market_listings::reach.eq(r.as_str()));
    }
    q
}

/// A box around the home, and the circle's radius.
type Circle = (i64, LatLon, (f64, f64, f64, f64));

/// The nearest-first pages of [`browse`]: every candidate in the box, kept when visible and
/// within the circle, sorted by (distance, id), then the page after the cursor.
fn browse_nearest(
    conn: &mut DbConn,
    actor: &Actor,
    filters: &Browse,
    (radius, home, (s, n, w, e)): Circle,
    after: Option<(f64, i64)>,
    limit: i64,
) -> AppResult<Page<Listing>> {
    let me = actor.require()?.principal.id.0;
    let rows: Vec<ListingRow> = filtered(actor, filters, me)
        .filter(market_listings::lat.between(s, n))
        .filter(market_listings::lon.between(w, e))
        .select(ListingRow::as_select())
        .load(conn)?;
    let mut near: Vec<(f64, ListingRow)> = rows
        .into_iter()
        .filter(|r| can(actor, &Action::ViewListing(listing_ctx(r))))
        .filter_map(|r| {
            let d = distance_m(home, LatLon::new(r.lat, r.lon).ok()?);
            (d <= radius as f64).then_some((d, r))
        })
        .filter(|(d, r)| after.is_none_or(|(ad, aid)| (*d, r.id) > (ad, aid)))
        .collect();
    near.sort_by(|(da, a), (db, b)| da.total_cmp(db).then(a.id.cmp(&b.id)));
    let want = usize::try_from(limit).unwrap_or(50);
    let next = (near.len() > want)
        .then(|| near.get(want - 1))
        .flatten()
        .map(|(d, r)| crate::pagination::encode_cursor(&ListingCursor::Nearest(*d, r.id)));
    near.truncate(want);
    let items = to_listings(
        conn,
        actor,
        near.into_iter().map(|(_, r)| r).collect(),
        Some(home),
    )?;
    Ok(Page { items, next })
}

/// Listings by id, for the exchanges' views (title, kind, price type).
/// A person's account is erased (inside its transaction): the listings they wrote close, an
/// organisation's too (an exchange is always with a listing's author, and nobody can offer to
/// a person who is gone), then their exchanges not yet done are cancelled (the other party
/// told, under `name`), and they leave their organisations.
pub(crate) fn erase_person(
    conn: &mut DbConn,
    user_id: i64,
    name: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let now = stored_time(now);
    // First the listings (waiting for any proposal holding one), so that no new exchange
    // arrives after the cancelling.
    let written: Vec<i64> = market_listings::table
        .filter(market_listings::author_id.eq(user_id))
        .filter(market_listings::status.eq(ListingStatus::Open.as_str()))
        .select(market_listings::id)
        .load(conn)?;
    store::close_open(conn, &written, now)?;
    exchanges::cancel_all_of(conn, user_id, name, now)?;
    diesel::delete(
        market_organisation_members::table.filter(market_organisation_members::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Audits an act on a listing that an operator does for a resident (assisted mode).
fn audit_listing(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    let object = Object {
        kind: "market_listing",
        id,
    };
    audit::record_if_assisted(conn, actor, action, object, json!({}), now)
}

pub(crate) fn listing_rows(conn: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, ListingRow>> {
    store::listings_by_ids(conn, ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ListingInput {
        ListingInput {
            kind: ListingKind::Offer,
            category: Category::Errands,
            title: "La spesa del sabato".into(),
            description: "Porto la spesa **a casa**.".into(),
            price_type: PriceType::Hours,
            price_amount: Some(60),
            estimated_minutes: Some(60),
            availability: "sabato mattina".into(),
            place: None,
            reach: ListingReach::Estate,
            organisation_id: None,
            status: None,
            images: None,
        }
    }

    fn fields(e: AppError) -> Vec<(String, String)> {
        e.errors.into_iter().map(|f| (f.field, f.code)).collect()
    }

    #[test]
    fn prices_follow_their_type() {
        assert!(check_listing(&input()).is_ok());
        let mut i = input();
        i.price_amount = None;
        assert_eq!(
            fields(check_listing(&i).expect_err("no price")),
            [("price_amount".into(), "required".into())]
        );
        i.price_type = PriceType::Free;
        assert!(check_listing(&i).is_ok());
        i.price_amount = Some(5);
        assert_eq!(
            fields(check_listing(&i).expect_err("free with a price")),
            [("price_amount".into(), "not_allowed".into())]
        );
        i.price_type = PriceType::Hours;
        i.price_amount = Some(6001);
        assert_eq!(
            fields(check_listing(&i).expect_err("too many")),
            [("price_amount".into(), "out_of_range".into())]
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut i = input();
        i.title = "x".into();
        i.availability = "a\u{7}b".into();
        i.estimated_minutes = Some(0);
        i.place = Some(ListingPlace::Point {
            lat: 91.0,
            lon: 9.0,
        });
        assert_eq!(
            fields(check_listing(&i).expect_err("bad")),
            [
                ("title".into(), "required".into()),
                ("availability".into(), "invalid_characters".into()),
                ("estimated_minutes".into(), "out_of_range".into()),
                ("place.lat".into(), "out_of_range".into()),
            ]
        );
    }

    #[test]
    fn haversine_in_metres() {
        let duomo = LatLon::new(45.4642, 9.1900).expect("point");
        let san_siro = LatLon::new(45.4781, 9.1240).expect("point");
        let d = distance_m(duomo, san_siro);
        assert!((5_000.0..5_600.0).contains(&d), "{d}");
    }
}
