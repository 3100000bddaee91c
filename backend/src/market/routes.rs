//! HTTP handlers of the marketplace. Thin: parse, call the domain, map the result.

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::Utc;
use cortile_shared::market::{
    Category, Exchange, ExchangeMessage, ExchangeState, Listing, ListingInput, ListingKind,
    ListingReach, MemberReviews, MonthlyReport, NewExchange, NewMessage, NewOrganisation,
    NewOrganisationMember, NewReview, Organisation, PriceType, Resolution, Review, StepReason,
};
use cortile_shared::{Page, Problem};
use serde::Deserialize;

use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::http::{parse_id, AppState};
use crate::pagination::ListParams;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(browse_listings)
        .service(create_listing)
        .service(get_listing)
        .service(update_listing)
        .service(close_listing)
        .service(listing_exchanges)
        .service(propose_exchange)
        .service(my_exchanges)
        .service(get_exchange)
        .service(accept_exchange)
        .service(complete_exchange)
        .service(confirm_exchange)
        .service(cancel_exchange)
        .service(dispute_exchange)
        .service(resolve_exchange)
        .service(disputes)
        .service(exchange_messages)
        .service(post_message)
        .service(exchange_reviews)
        .service(post_review)
        .service(member_reviews)
        .service(list_organisations)
        .service(create_organisation)
        .service(verify_organisation)
        .service(add_organisation_member)
        .service(monthly_report);
}

/// Parses an optional word of a closed set, naming the field when it is not one.
fn word<T>(
    field: &str,
    raw: Option<&str>,
    parse: fn(&str) -> Option<T>,
    all: &[&str],
) -> AppResult<Option<T>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| {
            AppError::invalid(
                field,
                "invalid_value",
                format!("{field} is one of: {}", all.join(", ")),
            )
        }),
    }
}

fn names<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| f(*v)).collect()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BrowseQuery {
    /// `offer` or `request`.
    pub kind: Option<String>,
    /// One of the categories (`errands`, `small_repairs`…).
    pub category: Option<String>,
    /// `hours`, `euro` or `free`.
    pub price_type: Option<String>,
    /// `building`, `estate` or `city`.
    pub reach: Option<String>,
    /// Only listings within this many metres of my home (1 to 50,000).
    #[param(value_type = Option<i64>)]
    pub max_distance_m: Option<String>,
    /// `true`: only mine, open and closed.
    pub mine: Option<String>,
}

fn parse_browse(q: &BrowseQuery) -> AppResult<super::Browse> {
    let max_distance_m = match q.max_distance_m.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
            AppError::invalid(
                "max_distance_m",
                "invalid_format",
                "max_distance_m is a whole number of metres",
            )
        })?),
    };
    let mine = match q.mine.as_deref().map(str::trim) {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(AppError::invalid(
                "mine",
                "invalid_value",
                "mine is true or false",
            ))
        }
    };
    Ok(super::Browse {
        kind: word(
            "kind",
            q.kind.as_deref(),
            ListingKind::parse,
            &names(ListingKind::ALL, ListingKind::as_str),
        )?,
        category: word(
            "category",
            q.category.as_deref(),
            Category::parse,
            &names(Category::ALL, Category::as_str),
        )?,
        price_type: word(
            "price_type",
            q.price_type.as_deref(),
            PriceType::parse,
            &names(PriceType::ALL, PriceType::as_str),
        )?,
        reach: word(
            "reach",
            q.reach.as_deref(),
            ListingReach::parse,
            &names(ListingReach::ALL, ListingReach::as_str),
        )?,
        max_distance_m,
        mine,
    })
}

/// Browse open listings I may see, newest first, with filters; each with its distance from
/// my home when I have one.
#[utoipa::path(
    tag = "market",
    params(BrowseQuery, ListParams),
    responses(
        (status = 200, body = Page<Listing>),
        (status = 422, description = "Invalid filters (`no_home` for a distance without a home)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/market/listings")]
pub async fn browse_listings(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<BrowseQuery>,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let filters = parse_browse(&query)?;
    let limit = params.limit()?;
    let after = params.after::<super::ListingCursor>()?;
    let page = state
        .db
        .run(move |conn| super::browse(conn, &actor, &filters, after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Publish an offer or a request (residents; members of verified organisations in its name).
/// Takes an optional `Idempotency-Key`: a retry with the same key and body answers the listing
/// first made (`Idempotent-Replayed: true`) and makes no second one.
#[utoipa::path(
    tag = "market",
    request_body = ListingInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "A key of the client's choosing (e.g. a UUID), the same for every retry")),
    responses(
        (status = 201, body = Listing),
        (status = 400, description = "Malformed Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a resident, nor a member of the verified organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or the key was used for another request (`idempotency_key_reused`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/market/listings")]
pub async fn create_listing(
    state: web::Data<AppState>,
    actor: Actor,
    req: actix_web::HttpRequest,
    body: web::Json<ListingInput>,
) -> AppResult<HttpResponse> {
    let input = body.into_inner();
    let key = crate::idempotency::optional_key(&req)?;
    let now = Utc::now().naive_utc();
    let stored = state
        .db
        .run(move |conn| super::create_listing(conn, &actor, &input, key.as_ref(), now))
        .await?;
    Ok(crate::idempotency::created_response(&stored))
}

/// One listing.
#[utoipa::path(
    tag = "market",
    params(("id" = i64, Path, description = "Listing id")),
    responses(
        (status = 200, body = Listing),
        (status = 404, description = "No such listing, or out of the reader's reach", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/market/listings/{id}")]
pub async fn get_listing(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let listing = state
        .db
        .run(move |conn| super::get_listing(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(listing))
}

/// Change my listing (or close it, or open it again with `status`).
#[utoipa::path(
    tag = "market",
    request_body = ListingInput,
    params(("id" = i64, Path, description = "Listing id")),
    responses(
        (status = 200, body = Listing),
        (status = 403, description = "Someone else's listing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/market/listings/{id}")]
pub async fn update_listing(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<ListingInput>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let input = body.into_inner();
    let now = Utc::now().naive_utc();
    let listing = state
        .db
        .run(move |conn| super::update_listing(conn, &actor, id, &input, now))
        .await?;
    Ok(HttpResponse::Ok().json(listing))
}

/// Close my listing: it takes no new exchanges (those under way go on).
#[utoipa::path(
    tag = "market",
    params(("id" = i64, Path, description = "Listing id")),
    responses(
        (status = 204, description = "Closed"),
        (status = 403, description = "Someone else's listing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/market/listings/{id}")]
pub async fn close_listing(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| super::close_listing(conn, &actor, id, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The exchanges of a listing: all of them for its author (the offers a request collected),
/// my own for anyone else.
#[utoipa::path(
    tag = "market",
    params(("id" = i64, Path, description = "Listing id")),
    responses(
        (status = 200, body = Vec<Exchange>),
        (status = 404, description = "No such listing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/market/listings/{id}/exchanges")]
pub async fn listing_exchanges(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let list = state
        .db
        .run(move |conn| super::exchanges::of_listing(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Ask for the help offered, or offer the help requested: a proposed exchange.
#[utoipa::path(
    tag = "market",
    request_body = NewExchange,
    params(("id" = i64, Path, description = "Listing id")),
    responses(
        (status = 201, body = Exchange),
        (status = 403, description = "My own listing, or not a resident", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such listing", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The listing is closed (`listing_closed`), or an exchange is under way (`conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/market/listings/{id}/exchanges")]
pub async fn propose_exchange(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewExchange>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let exchange = state
        .db
        .run(move |conn| super::exchanges::propose(conn, &actor, id, &new, now))
        .await?;
    Ok(HttpResponse::Created().json(exchange))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StateQuery {
    /// Only exchanges in this state.
    pub state: Option<String>,
}

/// My exchanges (as provider or receiver), newest first.
#[utoipa::path(
    tag = "market",
    params(StateQuery, ListParams),
    responses(
        (status = 200, body = Page<Exchange>),
        (status = 422, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/market/exchanges")]
pub async fn my_exchanges(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<StateQuery>,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let filter = word(
        "state",
        query.state.as_deref(),
        ExchangeState::parse,
        &names(ExchangeState::ALL, ExchangeState::as_str),
    )?;
    let limit = params.limit()?;
    let after = params.after::<i64>()?;
    let page = state
        .db
        .run(move |conn| super::exchanges::mine(conn, &actor, filter, after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One exchange, with what I may do with it now.
#[utoipa::path(
    tag = "market",
    params(("id" = i64, Path, description = "Exchange id")),
    responses(
        (status = 200, body = Exchange),
        (status = 404, description = "No such exchange, or not mine", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/market/exchanges/{id}")]
pub async fn get_exchange(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let e = state
        .db
        .run(move |conn| super::exchanges::read(conn, &actor, id, Utc::now().naive_utc()))
        .await?;
    Ok(HttpResponse::Ok().json(e))
}

/// A step's body, which may be left out: nothing, or a valid [`StepReason`]. A body that is
/// there but malformed is refused (400), never read as no reason.
fn step_reason(body: &[u8]) -> AppResult<String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(String::new());
    }
    serde_json::from_slice::<StepReason>(body)
        .map(|b| b.reason)
        .map_err(|e| AppError::bad_request(format!("the JSON body is not valid: {e}")))
}

/// Runs a step of an exchange for its handler.
async fn run_step(
    state: web::Data<AppState>,
    actor: Actor,
    id: String,
    step: crate::auth::policy::Step,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let reason = step_reason(&body)?;
    let now = Utc::now().naive_utc();
    let e = state
        .db
        .run(move |conn| super::exchanges::step(conn, &actor, id, step, &reason, now))
        .await?;
    Ok(HttpResponse::Ok().json(e))
}

/// One handler per step of an exchange (each a documented route). Repeating a step already
/// taken answers the exchange and changes nothing.
macro_rules! step_route {
    ($name:ident, $path:literal, $step:ident, $doc:literal, $forbidden:literal) => {
        #[doc = $doc]
        #[utoipa::path(
            tag = "market",
            request_body(content = StepReason, description = "Optional (a reason is required to dispute)"),
            params(("id" = i64, Path, description = "Exchange id")),
            responses(
                (status = 200, body = Exchange),
                (status = 403, description = $forbidden, body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such exchange, or not mine", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "Not possible in this state (`invalid_transition`); at confirmation, the receiver's balance would fall below its limit (`insufficient_balance`)", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
            )
        )]
        #[post($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            actor: Actor,
            id: web::Path<String>,
            body: web::Bytes,
        ) -> AppResult<HttpResponse> {
            run_step(
                state,
                actor,
                id.into_inner(),
                crate::auth::policy::Step::$step,
                body,
            )
            .await
        }
    };
}

step_route!(
    accept_exchange,
    "/market/exchanges/{id}/accept",
    Accept,
    "Accept an exchange (the party who did not propose it).",
    "I proposed it"
);
step_route!(
    complete_exchange,
    "/market/exchanges/{id}/complete",
    Complete,
    "Say the help was given (the provider).",
    "Not the provider"
);
step_route!(
    confirm_exchange,
    "/market/exchanges/{id}/confirm",
    Confirm,
    "Confirm the help was received (the receiver): the agreed minutes move from the receiver to the provider through the ledger, in the same transaction, once.",
    "Not the receiver"
);
step_route!(
    cancel_exchange,
    "/market/exchanges/{id}/cancel",
    Cancel,
    "Cancel an exchange before it is completed (either party).",
    "Not a party"
);
step_route!(
    dispute_exchange,
    "/market/exchanges/{id}/dispute",
    Dispute,
    "Dispute an accepted or completed exchange (either party, with a reason): staff mediate.",
    "Not a party"
);

/// Staff end a dispute: confirm (the receiver pays, as agreed or as decided) or cancel; audited.
#[utoipa::path(
    tag = "market",
    request_body = Resolution,
    params(("id" = i64, Path, description = "Exchange id")),
    responses(
        (status = 200, body = Exchange),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such exchange", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not disputed (`invalid_transition`), or the balance would fall below the limit (`insufficient_balance`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/market/exchanges/{id}/resolution")]
pub async fn resolve_exchange(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<Resolution>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let res = body.into_inner();
    let now = Utc::now().naive_utc();
    let e = state
        .db
        .run(move |conn| super::exchanges::resolve(conn, &actor, id, &res, now))
        .await?;
    Ok(HttpResponse::Ok().json(e))
}

/// Disputed exchanges waiting for staff, oldest first.
#[utoipa::path(
    tag = "market",
    responses(
        (status = 200, body = Vec<Exchange>),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/market/disputes")]
pub async fn disputes(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let list = state
        .db
        .run(move |conn| super::exchanges::disputes(conn, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The messages of an exchange, oldest first.
#[utoipa::path(
    tag = "market",
    params(("id" = i64, Path, description = "Exchange id")),
    responses(
        (status = 200, body = Vec<ExchangeMessage>),
        (status = 404, description = "No such exchange, or not mine", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/market/exchanges/{id}/messages")]
pub async fn exchange_messages(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let list = state
        .db
        .run(move |conn| super::exchanges::messages(conn, &actor, id, Utc::now().naive_utc()))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Write in an exchange's thread (plain text; at most 30 messages in 10 minutes).
#[utoipa::path(
    tag = "market",
    request_body = NewMessage,
    params(("id" = i64, Path, description = "Exchange id")),
    responses(
        (status = 201, body = ExchangeMessage),
        (status = 404, description = "No such exchange, or not mine", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many messages", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/market/exchanges/{id}/messages")]
pub async fn post_message(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewMessage>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let m = state
        .db
        .run(move |conn| super::exchanges::post_message(conn, &actor, id, &new, now))
        .await?;
    Ok(HttpResponse::Created().json(m))
}

/// The reviews of an exchange.
#[utoipa::path(
    tag = "market",
    params(("id" = i64, Path, description = "Exchange id")),
    responses(
        (status = 200, body = Vec<Review>),
        (status = 404, description = "No such exchange, or not mine", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/market/exchanges/{id}/reviews")]
pub async fn exchange_reviews(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let list = state
        .db
        .run(move |conn| super::reviews::of_exchange(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Review the other side of a confirmed exchange (once).
#[utoipa::path(
    tag = "market",
    request_body = NewReview,
    params(("id" = i64, Path, description = "Exchange id")),
    responses(
        (status = 201, body = Review),
        (status = 403, description = "Not a party", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such exchange, or not mine", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not confirmed (`invalid_transition`) or reviewed already (`already_reviewed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/market/exchanges/{id}/reviews")]
pub async fn post_review(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewReview>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let r = state
        .db
        .run(move |conn| super::reviews::create(conn, &actor, id, &new, now))
        .await?;
    Ok(HttpResponse::Created().json(r))
}

/// What others said of a member after their exchanges.
#[utoipa::path(
    tag = "market",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, body = MemberReviews),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/market/members/{id}/reviews")]
pub async fn member_reviews(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let r = state
        .db
        .run(move |conn| super::reviews::of_member(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Organisations: the verified ones and mine (staff: all).
#[utoipa::path(tag = "market", responses((status = 200, body = Vec<Organisation>)))]
#[get("/market/organisations")]
pub async fn list_organisations(
    state: web::Data<AppState>,
    actor: Actor,
) -> AppResult<HttpResponse> {
    let list = state
        .db
        .run(move |conn| super::organisations::list(conn, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Register an organisation (a social enterprise or a shop); staff verify it.
#[utoipa::path(
    tag = "market",
    request_body = NewOrganisation,
    responses(
        (status = 201, body = Organisation),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/market/organisations")]
pub async fn create_organisation(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Json<NewOrganisation>,
) -> AppResult<HttpResponse> {
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let o = state
        .db
        .run(move |conn| super::organisations::create(conn, &actor, &new, now))
        .await?;
    Ok(HttpResponse::Created().json(o))
}

/// Verify an organisation (staff, audited).
#[utoipa::path(
    tag = "market",
    params(("id" = i64, Path, description = "Organisation id")),
    responses(
        (status = 200, body = Organisation),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/market/organisations/{id}/verification")]
pub async fn verify_organisation(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = Utc::now().naive_utc();
    let o = state
        .db
        .run(move |conn| super::organisations::verify(conn, &actor, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(o))
}

/// Add a member to an organisation (its members, or staff).
#[utoipa::path(
    tag = "market",
    request_body = NewOrganisationMember,
    params(("id" = i64, Path, description = "Organisation id")),
    responses(
        (status = 200, body = Organisation),
        (status = 403, description = "Not a member", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/market/organisations/{id}/members")]
pub async fn add_organisation_member(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewOrganisationMember>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let o = state
        .db
        .run(move |conn| super::organisations::add_member(conn, &actor, id, &new, now))
        .await?;
    Ok(HttpResponse::Ok().json(o))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM` (default: this month; months begin at midnight in Rome).
    pub month: Option<String>,
}

/// The time bank's month per estate: exchanges confirmed, minutes paid, active members.
/// Public (numbers only), for the transparency pages.
#[utoipa::path(
    tag = "market",
    params(MonthQuery),
    responses(
        (status = 200, body = MonthlyReport),
        (status = 422, description = "Invalid month", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/market/reports/monthly")]
pub async fn monthly_report(
    state: web::Data<AppState>,
    query: web::Query<MonthQuery>,
) -> AppResult<HttpResponse> {
    let month = query.into_inner().month;
    let now = Utc::now().naive_utc();
    let r = state
        .db
        .run(move |conn| super::report::monthly(conn, month.as_deref(), now))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}
