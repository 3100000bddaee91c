//! HTTP handlers of the time bank's ledger. Thin: parse, call the domain, map the result.

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;
use cortile_shared::locale::Locale;
use cortile_shared::timebank::{
    Account, Bank, NewAdjustment, NewReversal, NewTransfer, SetCreditLimit, StatementLine, Transfer,
};
use cortile_shared::{Page, Problem};
use serde::Deserialize;

use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::http::{parse_id, AppState};
use crate::idempotency::{IdempotencyKey, Stored};
use crate::pagination::ListParams;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_transfer)
        .service(get_transfer)
        .service(reverse_transfer)
        .service(my_account)
        .service(my_statement)
        .service(my_statement_csv)
        .service(adjust_account)
        .service(set_credit_limit);
}

/// Answers a stored (or just written) response as it was first given.
fn stored_response(stored: Stored) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CONTENT_TYPE, "application/json"));
    if stored.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res.body(stored.body)
}

/// Pay one member, or several (a group activity) in one transfer.
///
/// Requires an `Idempotency-Key` header: a retry with the same key and body answers the first
/// result (with `Idempotent-Replayed: true`) and moves nothing.
#[utoipa::path(
    tag = "timebank",
    request_body = NewTransfer,
    params(("Idempotency-Key" = String, Header, description = "A key of the client's choosing (e.g. a UUID), the same for every retry of this payment")),
    responses(
        (status = 201, body = Transfer),
        (status = 400, description = "No or malformed Idempotency-Key (`idempotency_key_missing`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a member of the time bank", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The balance would fall below the credit limit (`insufficient_balance`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or the key was used for another request (`idempotency_key_reused`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/timebank/transfers")]
pub async fn create_transfer(
    state: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    body: web::Json<NewTransfer>,
) -> AppResult<HttpResponse> {
    let key = crate::idempotency::raw_key(&req);
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let stored = state
        .db
        .run(move |conn| {
            crate::auth::policy::authorize(&actor, &crate::auth::policy::Action::UseTimeBank)?;
            let key = IdempotencyKey::parse(key.as_deref())?;
            super::transfer(conn, &actor, &key, &new, now)
        })
        .await?;
    Ok(stored_response(stored))
}

/// One transfer: for the people it touches, and staff.
#[utoipa::path(
    tag = "timebank",
    params(("id" = i64, Path, description = "Transfer id")),
    responses(
        (status = 200, body = Transfer),
        (status = 404, description = "No such transfer, or not the reader's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/timebank/transfers/{id}")]
pub async fn get_transfer(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let t = state
        .db
        .run(move |conn| super::get_transfer(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(t))
}

/// Reverse a transfer (staff): a new transfer negating each of its entries, audited.
/// Takes an optional `Idempotency-Key`.
#[utoipa::path(
    tag = "timebank",
    request_body = NewReversal,
    params(("id" = i64, Path, description = "Transfer id")),
    responses(
        (status = 201, body = Transfer),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such transfer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already reversed (`already_reversed`), or a member's balance would fall below the limit (`insufficient_balance`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/timebank/transfers/{id}/reversal")]
pub async fn reverse_transfer(
    state: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<NewReversal>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let key = crate::idempotency::raw_key(&req);
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let stored = state
        .db
        .run(move |conn| {
            crate::auth::policy::authorize(&actor, &crate::auth::policy::Action::ManageTimeBank)?;
            let key = key.map(|k| IdempotencyKey::parse(Some(&k))).transpose()?;
            super::reverse(conn, &actor, id, &new, key.as_ref(), now)
        })
        .await?;
    Ok(stored_response(stored))
}

/// My time bank account: balance and credit limit.
#[utoipa::path(
    tag = "timebank",
    responses(
        (status = 200, body = Account),
        (status = 403, description = "Not a member of the time bank", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/timebank/accounts/me")]
pub async fn my_account(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let a = state
        .db
        .run(move |conn| super::my_account(conn, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(a))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementFormat {
    /// `json` (default) or `csv` (the whole statement, like `statement.csv`).
    pub format: Option<String>,
    /// The CSV's language: `it` (default) or `en`.
    pub lang: Option<String>,
}

/// The language of a CSV.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CsvLanguage {
    /// `it` (default: `;` between cells, dates as 30/11/2026) or `en`.
    pub lang: Option<String>,
}

fn csv_locale(lang: Option<&str>) -> AppResult<Locale> {
    match lang.map(str::trim).filter(|l| !l.is_empty()) {
        None => Ok(Locale::It),
        Some(tag) => Locale::parse(tag)
            .ok_or_else(|| AppError::invalid("lang", "invalid_value", "lang is it or en")),
    }
}

/// My statement, newest first (keyset pagination), with counterparties and memos.
#[utoipa::path(
    tag = "timebank",
    params(ListParams, StatementFormat),
    responses(
        (status = 200, body = Page<StatementLine>),
        (status = 403, description = "Not a member of the time bank", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/timebank/accounts/me/statement")]
pub async fn my_statement(
    state: web::Data<AppState>,
    actor: Actor,
    params: web::Query<ListParams>,
    format: web::Query<StatementFormat>,
) -> AppResult<HttpResponse> {
    let format = format.into_inner();
    match format.format.as_deref() {
        None | Some("") | Some("json") => {}
        Some("csv") => {
            return csv_response(state, actor, csv_locale(format.lang.as_deref())?).await
        }
        Some(_) => {
            return Err(AppError::invalid(
                "format",
                "invalid_value",
                "format is json or csv",
            ))
        }
    }
    let limit = params.limit()?;
    let after = params.after::<i64>()?;
    let page = state
        .db
        .run(move |conn| super::statement(conn, &actor, after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

async fn csv_response(
    state: web::Data<AppState>,
    actor: Actor,
    locale: Locale,
) -> AppResult<HttpResponse> {
    let csv = state
        .db
        .run(move |conn| super::statement_csv(conn, &actor, locale))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"estratto-conto-banca-del-tempo.csv\"",
        ))
        .body(csv))
}

/// My whole statement as CSV, oldest first, in Italian (default) or English.
#[utoipa::path(
    tag = "timebank",
    params(CsvLanguage),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 403, description = "Not a member of the time bank", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/timebank/accounts/me/statement.csv")]
pub async fn my_statement_csv(
    state: web::Data<AppState>,
    actor: Actor,
    lang: web::Query<CsvLanguage>,
) -> AppResult<HttpResponse> {
    let locale = csv_locale(lang.lang.as_deref())?;
    csv_response(state, actor, locale).await
}

/// Adjust a member's balance (staff): minutes between the bank and the member, with a reason,
/// audited. Takes an optional `Idempotency-Key`.
#[utoipa::path(
    tag = "timebank",
    request_body = NewAdjustment,
    params(("user_id" = i64, Path, description = "The member's user id")),
    responses(
        (status = 201, body = Transfer),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The balance would fall below the credit limit (`insufficient_balance`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/timebank/accounts/{user_id}/adjustments")]
pub async fn adjust_account(
    state: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    user_id: web::Path<String>,
    body: web::Json<NewAdjustment>,
) -> AppResult<HttpResponse> {
    let user_id = parse_id(&user_id, "user_id")?;
    let key = crate::idempotency::raw_key(&req);
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let stored = state
        .db
        .run(move |conn| {
            crate::auth::policy::authorize(&actor, &crate::auth::policy::Action::ManageTimeBank)?;
            let key = key.map(|k| IdempotencyKey::parse(Some(&k))).transpose()?;
            super::adjust(conn, &actor, user_id, &new, key.as_ref(), now)
        })
        .await?;
    Ok(stored_response(stored))
}

/// Set a bank's credit limit (staff), for every member; audited.
#[utoipa::path(
    tag = "timebank",
    request_body = SetCreditLimit,
    params(("id" = i64, Path, description = "Bank id")),
    responses(
        (status = 200, body = Bank),
        (status = 403, description = "Staff only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such bank", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Some member's balance is below the new limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/timebank/banks/{id}/credit-limit")]
pub async fn set_credit_limit(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<SetCreditLimit>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let bank = state
        .db
        .run(move |conn| super::set_credit_limit(conn, &actor, id, &new, now))
        .await?;
    Ok(HttpResponse::Ok().json(bank))
}
