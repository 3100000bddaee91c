//! The JSON API, typed with the bodies of `cortile-shared`.
//!
//! One generic [`request`] does the HTTP for every method and maps every failure to
//! [`ApiError`]; [`get`] is its short form for reads. Below them, one small function per public
//! resource, and [`Api`]: the client of the signed-in pages, which adds the session's CSRF token
//! to every state-changing request and reports a lost session (401) to the session state. The
//! API root is relative (`/api/v1` on the page's own origin) and can be moved at run time with
//! `<meta name="cortile-api-root" content="…">` in `index.html`; nothing about the server is
//! fixed at compile time.

use std::rc::Rc;

use cortile_shared::auth::{
    AssistRequest, EraseRequest, LoginOptions, LoginRequest, Me, SessionInfo, UserRef,
};
use cortile_shared::community::{
    Ban, Comment, CommunitySummary, EditPost, Flag, Member, Moderate, ModerationLogEntry, NewBan,
    NewComment, NewCommunity, NewFlag, NewPost, Notification, NotificationSettings, Post,
    PostRevision, PostThread, ReactionKind, Reactions, UnreadCount,
};
use cortile_shared::geo::LatLon;
use cortile_shared::import::{ImportReport, ImportSummary};
use cortile_shared::maintenance::{
    Assign, AssigneeCount, Board, BulkResult, BulkStatus, Category, Escalate, Merge, NewReport,
    NewReportComment, NewWorks, PointEstate, Rating, Report, ReportComment, ReportSummary,
    StatusUpdate, Works,
};
use cortile_shared::market::{
    Exchange, ExchangeMessage, ExchangeState, Listing, ListingInput, MemberReviews, NewExchange,
    NewMessage, NewOrganisation, NewReview, Organisation, Resolution, Review, StepReason,
};
use cortile_shared::meta::ClientConfig;
use cortile_shared::profile::{Audience, Profile, Reach};
use cortile_shared::realtime::{
    AddedMembers, Block, History, NewDirect, NewGroupRoom, NewMembers, NewMute, NewRemoval,
    ReadMark, Room, RoomId, RoomMember, RoomUpdate,
};
use cortile_shared::registry::{BuildingDetail, EstateDetail, EstateSummary};
use cortile_shared::tenancy::{
    Application, AuditEntry, ChangeDecision, ChangeRequest, ChangeStatus, NewChangeRequest,
    PersonHit, TenantFile,
};
use cortile_shared::timebank::{Account, NewAdjustment, NewTransfer, StatementLine, Transfer};
use cortile_shared::upload::{Upload, UploadToken};
use cortile_shared::{
    BuildingId, ChangeRequestId, CommentId, CommunityId, ErrorCode, EstateId, ExchangeId,
    FieldError, HouseholdId, ListingId, OrganisationId, Page, PostId, Problem, SessionId, UserId,
    API_PREFIX,
};
pub use gloo_net::http::Method;
use gloo_net::http::RequestBuilder;
use serde::de::DeserializeOwned;
use serde::Serialize;
use yew::Callback;

/// Largest page the estate list accepts.
const PAGE_LIMIT: u32 = cortile_shared::page::MAX_LIMIT;

/// The header that carries the session's CSRF token.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// Why a request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server answered with a problem document.
    Problem(Problem),
    /// Too many requests (429): try again after `retry_after` seconds, when the server said.
    RateLimited { retry_after: Option<u64> },
    /// The server answered with an error status but no readable problem document.
    Status(u16),
    /// The request did not reach the server or the answer did not arrive.
    Network(String),
    /// The answer arrived but was not the JSON expected.
    Decode(String),
}

impl ApiError {
    /// The stable error kind, when the server sent one or the status implies one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Problem(p) => Some(p.code),
            ApiError::RateLimited { .. } | ApiError::Status(429) => Some(ErrorCode::RateLimited),
            ApiError::Status(401) => Some(ErrorCode::Unauthenticated),
            ApiError::Status(403) => Some(ErrorCode::Forbidden),
            ApiError::Status(404) => Some(ErrorCode::NotFound),
            ApiError::Status(503) => Some(ErrorCode::ServiceUnavailable),
            _ => None,
        }
    }

    /// Whether the thing asked for does not exist (or is out of the reader's scope).
    pub fn is_not_found(&self) -> bool {
        matches!(self.code(), Some(ErrorCode::NotFound))
    }

    /// Whether the reader may not do or see this.
    pub fn is_forbidden(&self) -> bool {
        matches!(self.code(), Some(ErrorCode::Forbidden))
    }

    /// Whether the session is missing or over.
    pub fn is_unauthenticated(&self) -> bool {
        matches!(self.code(), Some(ErrorCode::Unauthenticated))
    }

    /// The invalid fields the server named (empty for other failures).
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            ApiError::Problem(p) => &p.errors,
            _ => &[],
        }
    }

    /// The first error about `field`, if any.
    pub fn field(&self, field: &str) -> Option<&FieldError> {
        self.field_errors().iter().find(|e| e.field == field)
    }

    /// The translation key of a plain-language explanation.
    pub fn message_key(&self) -> &'static str {
        match (self, self.code()) {
            (ApiError::Network(_), _) => "error.network",
            (_, Some(ErrorCode::ServiceUnavailable)) => "error.unavailable",
            (_, Some(ErrorCode::RateLimited)) => "error.rate_limited",
            (_, Some(ErrorCode::Unauthenticated)) => "error.unauthenticated",
            (_, Some(ErrorCode::Forbidden)) => "error.forbidden",
            (_, Some(ErrorCode::CsrfFailed)) => "error.csrf",
            (_, Some(ErrorCode::NotFound)) => "error.not_found",
            (_, Some(ErrorCode::Conflict)) => "error.conflict",
            (_, Some(ErrorCode::InvalidTransition)) => "error.invalid_transition",
            (_, Some(ErrorCode::ValidationFailed)) => "error.validation",
            (_, Some(ErrorCode::PayloadTooLarge)) => "error.too_large",
            (_, Some(ErrorCode::UploadTooLarge)) => "error.upload_too_large",
            (_, Some(ErrorCode::UploadUnsupportedType)) => "error.upload_unsupported_type",
            (_, Some(ErrorCode::UploadUnreadable)) => "error.upload_unreadable",
            _ => "error.generic",
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Problem(p) => write!(f, "{p}"),
            ApiError::RateLimited {
                retry_after: Some(s),
            } => write!(f, "too many requests, retry after {s} s"),
            ApiError::RateLimited { retry_after: None } => write!(f, "too many requests"),
            ApiError::Status(s) => write!(f, "HTTP status {s}"),
            ApiError::Network(e) => write!(f, "network error: {e}"),
            ApiError::Decode(e) => write!(f, "unexpected answer: {e}"),
        }
    }
}

/// Decodes an error answer: the problem document when there is one, else just the status.
/// A 429 keeps the `Retry-After` seconds.
fn error_from_body(status: u16, body: &str, retry_after: Option<&str>) -> ApiError {
    if status == 429 {
        return ApiError::RateLimited {
            retry_after: retry_after.and_then(|s| s.trim().parse().ok()),
        };
    }
    match serde_json::from_str::<Problem>(body) {
        Ok(problem) => ApiError::Problem(problem),
        Err(_) => ApiError::Status(status),
    }
}

/// Decodes a successful answer; an empty body (204) reads as JSON `null`, which is `()`.
fn decode<T: DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    let body = if body.trim().is_empty() { "null" } else { body };
    serde_json::from_str(body).map_err(|e| ApiError::Decode(e.to_string()))
}

/// The API root: the `cortile-api-root` meta tag if the page has one, else `/api/v1`.
pub fn api_root() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(r#"meta[name="cortile-api-root"]"#)
                .ok()
                .flatten()
        })
        .and_then(|meta| meta.get_attribute("content"))
        .map(|root| root.trim_end_matches('/').to_owned())
        .filter(|root| !root.is_empty())
        .unwrap_or_else(|| API_PREFIX.to_owned())
}

/// What a request carries.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    None,
    /// Already serialized JSON.
    Json(&'a str),
    /// Already serialized JSON, with an `Idempotency-Key` (the same for every retry).
    KeyedJson {
        json: &'a str,
        key: &'a str,
    },
    /// Raw bytes of a file, with their media type.
    Bytes {
        bytes: &'a [u8],
        content_type: &'a str,
    },
}

/// Serializes a JSON body (our own types always serialize).
fn to_json<B: Serialize + ?Sized>(body: &B) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))
}

/// `{method} {root}{path}?{query}` with `body`, and decode the JSON answer as `T`. The CSRF
/// token, when given, is sent on every method but GET and HEAD.
pub async fn request<T: DeserializeOwned>(
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: Body<'_>,
    csrf: Option<&str>,
) -> Result<T, ApiError> {
    let url = format!("{}{}", api_root(), path);
    let safe = matches!(method, Method::GET | Method::HEAD);
    let mut builder = RequestBuilder::new(&url)
        .method(method)
        .query(query.iter().copied())
        .header("Accept", "application/json");
    if let (false, Some(token)) = (safe, csrf) {
        builder = builder.header(CSRF_HEADER, token);
    }
    let sent = match body {
        Body::None => builder.send().await,
        Body::Json(json) => {
            let built = builder
                .header("Content-Type", "application/json")
                .body(json)
                .map_err(|e| ApiError::Network(e.to_string()))?;
            built.send().await
        }
        Body::KeyedJson { json, key } => {
            let built = builder
                .header("Content-Type", "application/json")
                .header(cortile_shared::timebank::IDEMPOTENCY_KEY_HEADER, key)
                .body(json)
                .map_err(|e| ApiError::Network(e.to_string()))?;
            built.send().await
        }
        Body::Bytes {
            bytes,
            content_type,
        } => {
            let built = builder
                .header("Content-Type", content_type)
                .body(js_sys::Uint8Array::from(bytes))
                .map_err(|e| ApiError::Network(e.to_string()))?;
            built.send().await
        }
    };
    let response = sent.map_err(|e| ApiError::Network(e.to_string()))?;
    let status = response.status();
    let retry_after = response.headers().get("Retry-After");
    let text = response
        .text()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if response.ok() {
        decode(&text)
    } else {
        Err(error_from_body(status, &text, retry_after.as_deref()))
    }
}

/// `GET {root}{path}?{query}`, without a session's help.
pub async fn get<T: DeserializeOwned>(path: &str, query: &[(&str, &str)]) -> Result<T, ApiError> {
    request(Method::GET, path, query, Body::None, None).await
}

/// What the server tells the web app at start (version, map tiles).
pub async fn get_meta() -> Result<ClientConfig, ApiError> {
    get("/meta", &[]).await
}

/// One page of the estate list.
pub async fn list_estates_page(after: Option<&str>) -> Result<Page<EstateSummary>, ApiError> {
    let limit = PAGE_LIMIT.to_string();
    let mut query = vec![("limit", limit.as_str())];
    if let Some(after) = after {
        query.push(("after", after));
    }
    get("/estates", &query).await
}

/// Every estate, following the `next` cursors to the last page.
pub async fn list_all_estates() -> Result<Vec<EstateSummary>, ApiError> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = list_estates_page(after.as_deref()).await?;
        all.extend(page.items);
        match page.next {
            // A cursor that does not move would loop for ever.
            Some(next) if after.as_deref() != Some(next.as_str()) => after = Some(next),
            _ => break,
        }
    }
    Ok(all)
}

/// One estate with its buildings and map features.
pub async fn get_estate(id: EstateId) -> Result<EstateDetail, ApiError> {
    get(&format!("/estates/{id}"), &[]).await
}

/// One building with its units.
pub async fn get_building(id: BuildingId) -> Result<BuildingDetail, ApiError> {
    get(&format!("/buildings/{id}"), &[]).await
}

/// All estates (polygons) and buildings (points) as one GeoJSON FeatureCollection.
pub async fn get_estates_map() -> Result<geojson::FeatureCollection, ApiError> {
    get("/map/estates", &[]).await
}

/// `GET /auth/options`: which ways of signing in the server offers.
pub async fn login_options() -> Result<LoginOptions, ApiError> {
    get("/auth/options", &[]).await
}

/// `GET /me`: the signed-in user, or 401 when nobody is.
pub async fn get_me() -> Result<Me, ApiError> {
    get("/me", &[]).await
}

/// `POST /auth/login` (no CSRF token exists before signing in).
pub async fn login(username: &str, password: &str) -> Result<Me, ApiError> {
    let body = to_json(&LoginRequest {
        username: username.to_owned(),
        password: password.to_owned(),
    })?;
    request(Method::POST, "/auth/login", &[], Body::Json(&body), None).await
}

/// Where the OpenID Connect login starts; `return_to` is the path to come back to.
pub fn oidc_start_url(return_to: &str) -> String {
    format!(
        "{}/auth/oidc/start?return_to={}",
        api_root(),
        crate::session::encode_query_value(return_to)
    )
}

/// The URL of my data export (a JSON download).
pub fn export_url() -> String {
    format!("{}/me/export", api_root())
}

/// The client of the signed-in pages: sends the session's CSRF token, and tells the session
/// state when the server says the session is over (any 401 `unauthenticated`).
#[derive(Clone)]
pub struct Api {
    csrf: Option<Rc<str>>,
    signed_out: Callback<()>,
}

impl PartialEq for Api {
    fn eq(&self, other: &Self) -> bool {
        self.csrf == other.csrf
    }
}

impl Api {
    pub fn new(csrf: Option<&str>, signed_out: Callback<()>) -> Self {
        Api {
            csrf: csrf.map(Rc::from),
            signed_out,
        }
    }

    /// [`request`] with the session's token; a 401 ends the session in the app too.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Body<'_>,
    ) -> Result<T, ApiError> {
        let result = request(method, path, query, body, self.csrf.as_deref()).await;
        if let Err(err) = &result {
            if err.is_unauthenticated() {
                self.signed_out.emit(());
            }
        }
        result
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ApiError> {
        self.call(Method::GET, path, query, Body::None).await
    }

    async fn send<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        let json = to_json(body)?;
        self.call(method, path, &[], Body::Json(&json)).await
    }

    /// A `POST` with an `Idempotency-Key`: every retry with `key` gets the first answer.
    async fn post_keyed<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        key: &str,
    ) -> Result<T, ApiError> {
        let json = to_json(body)?;
        self.call(
            Method::POST,
            path,
            &[],
            Body::KeyedJson { json: &json, key },
        )
        .await
    }

    async fn delete(&self, path: &str) -> Result<(), ApiError> {
        self.call(Method::DELETE, path, &[], Body::None).await
    }

    /// `GET /me/profile`: my interests, languages and accessibility needs.
    pub async fn my_profile(&self) -> Result<Profile, ApiError> {
        self.get("/me/profile", &[]).await
    }

    /// `PUT /me/profile`.
    pub async fn save_profile(&self, profile: &Profile) -> Result<Profile, ApiError> {
        self.send(Method::PUT, "/me/profile", profile).await
    }

    /// `POST /auth/logout`.
    pub async fn logout(&self) -> Result<(), ApiError> {
        self.call(Method::POST, "/auth/logout", &[], Body::None)
            .await
    }

    pub async fn sessions(&self) -> Result<Vec<SessionInfo>, ApiError> {
        self.get("/me/sessions", &[]).await
    }

    pub async fn revoke_session(&self, id: SessionId) -> Result<(), ApiError> {
        self.delete(&format!("/me/sessions/{id}")).await
    }

    pub async fn revoke_other_sessions(&self) -> Result<(), ApiError> {
        self.delete("/me/sessions").await
    }

    /// `DELETE /me` with the confirmation word the user typed.
    pub async fn erase_account(&self, confirm: &str) -> Result<(), ApiError> {
        self.send(
            Method::DELETE,
            "/me",
            &EraseRequest {
                confirm: confirm.to_owned(),
            },
        )
        .await
    }

    pub async fn my_applications(&self) -> Result<Vec<Application>, ApiError> {
        self.get("/me/applications", &[]).await
    }

    pub async fn assist_candidates(&self, q: &str) -> Result<Vec<PersonHit>, ApiError> {
        self.get("/assist/candidates", &[("q", q)]).await
    }

    pub async fn start_assist(&self, user_id: UserId, purpose: &str) -> Result<Me, ApiError> {
        self.send(
            Method::POST,
            "/assist",
            &AssistRequest {
                user_id,
                purpose: purpose.to_owned(),
            },
        )
        .await
    }

    pub async fn stop_assist(&self) -> Result<Me, ApiError> {
        self.call(Method::DELETE, "/assist", &[], Body::None).await
    }

    pub async fn search_registry(&self, q: &str) -> Result<Vec<PersonHit>, ApiError> {
        self.get("/registry/search", &[("q", q)]).await
    }

    pub async fn tenant_file(
        &self,
        id: HouseholdId,
        purpose: &str,
    ) -> Result<TenantFile, ApiError> {
        self.get(
            &format!("/registry/households/{id}"),
            &[("purpose", purpose)],
        )
        .await
    }

    pub async fn change_requests(
        &self,
        status: ChangeStatus,
    ) -> Result<Vec<ChangeRequest>, ApiError> {
        self.get("/registry/change-requests", &[("status", status.as_str())])
            .await
    }

    pub async fn propose_change(
        &self,
        change: &NewChangeRequest,
    ) -> Result<ChangeRequest, ApiError> {
        self.send(Method::POST, "/registry/change-requests", change)
            .await
    }

    pub async fn decide_change(
        &self,
        id: ChangeRequestId,
        decision: &ChangeDecision,
    ) -> Result<ChangeRequest, ApiError> {
        self.send(
            Method::POST,
            &format!("/registry/change-requests/{id}/decision"),
            decision,
        )
        .await
    }

    /// Uploads an export file as it is (`text/csv`).
    pub async fn import_registry(
        &self,
        name: &str,
        bytes: &[u8],
        partial: bool,
        dry_run: bool,
    ) -> Result<ImportReport, ApiError> {
        let query = [
            ("partial", if partial { "true" } else { "false" }),
            ("dry_run", if dry_run { "true" } else { "false" }),
            ("name", name),
        ];
        let body = Body::Bytes {
            bytes,
            content_type: "text/csv",
        };
        self.call(Method::POST, "/registry/imports", &query, body)
            .await
    }

    pub async fn imports(&self) -> Result<Vec<ImportSummary>, ApiError> {
        self.get("/registry/imports", &[]).await
    }

    /// One page of the audit log, newest first; `action` filters by action.
    pub async fn audit(
        &self,
        action: Option<&str>,
        after: Option<&str>,
    ) -> Result<Page<AuditEntry>, ApiError> {
        let limit = cortile_shared::page::DEFAULT_LIMIT.to_string();
        let mut query = vec![("limit", limit.as_str())];
        if let Some(action) = action {
            query.push(("action", action));
        }
        if let Some(after) = after {
            query.push(("after", after));
        }
        self.get("/audit", &query).await
    }

    /// `GET /communities?view=mine|discover`.
    pub async fn communities(
        &self,
        view: CommunityView,
    ) -> Result<Vec<CommunitySummary>, ApiError> {
        self.get("/communities", &[("view", view.as_str())]).await
    }

    pub async fn create_community(
        &self,
        community: &NewCommunity,
    ) -> Result<CommunitySummary, ApiError> {
        self.send(Method::POST, "/communities", community).await
    }

    pub async fn community(&self, id: CommunityId) -> Result<CommunitySummary, ApiError> {
        self.get(&format!("/communities/{id}"), &[]).await
    }

    pub async fn community_members(&self, id: CommunityId) -> Result<Vec<Member>, ApiError> {
        self.get(&format!("/communities/{id}/members"), &[]).await
    }

    pub async fn join_community(&self, id: CommunityId) -> Result<CommunitySummary, ApiError> {
        self.call(
            Method::POST,
            &format!("/communities/{id}/join"),
            &[],
            Body::None,
        )
        .await
    }

    pub async fn leave_community(&self, id: CommunityId) -> Result<(), ApiError> {
        self.call(
            Method::POST,
            &format!("/communities/{id}/leave"),
            &[],
            Body::None,
        )
        .await
    }

    /// A moderator accepts a request to join.
    pub async fn approve_member(&self, id: CommunityId, user: UserId) -> Result<(), ApiError> {
        self.call(
            Method::POST,
            &format!("/communities/{id}/members/{user}/approve"),
            &[],
            Body::None,
        )
        .await
    }

    /// One page of a community's posts, newest first: the pinned ones, or the others.
    pub async fn community_posts(
        &self,
        id: CommunityId,
        pinned: bool,
        after: Option<&str>,
    ) -> Result<Page<Post>, ApiError> {
        let limit = POSTS_PAGE.to_string();
        let mut query = vec![
            ("limit", limit.as_str()),
            ("pinned", if pinned { "true" } else { "false" }),
        ];
        if let Some(after) = after {
            query.push(("after", after));
        }
        self.get(&format!("/communities/{id}/posts"), &query).await
    }

    /// `POST /communities/{id}/reach`: how many people an audience reaches (no names).
    pub async fn reach(&self, id: CommunityId, audience: &Audience) -> Result<Reach, ApiError> {
        self.send(Method::POST, &format!("/communities/{id}/reach"), audience)
            .await
    }

    pub async fn create_post(&self, id: CommunityId, post: &NewPost) -> Result<Post, ApiError> {
        self.send(Method::POST, &format!("/communities/{id}/posts"), post)
            .await
    }

    /// Uploads an image as it is; the server checks, cleans and stores it.
    pub async fn upload_image(&self, bytes: &[u8], content_type: &str) -> Result<Upload, ApiError> {
        let body = Body::Bytes {
            bytes,
            content_type,
        };
        self.call(Method::POST, "/uploads", &[], body).await
    }

    /// Deletes an upload of mine not attached to anything.
    pub async fn delete_upload(&self, token: &UploadToken) -> Result<(), ApiError> {
        self.call(
            Method::DELETE,
            &format!("/uploads/{token}"),
            &[],
            Body::None,
        )
        .await
    }

    pub async fn post(&self, id: PostId) -> Result<PostThread, ApiError> {
        self.get(&format!("/posts/{id}"), &[]).await
    }

    pub async fn edit_post(&self, id: PostId, edit: &EditPost) -> Result<Post, ApiError> {
        self.send(Method::PUT, &format!("/posts/{id}"), edit).await
    }

    pub async fn post_history(&self, id: PostId) -> Result<Vec<PostRevision>, ApiError> {
        self.get(&format!("/posts/{id}/history"), &[]).await
    }

    pub async fn comment(&self, id: PostId, comment: &NewComment) -> Result<Comment, ApiError> {
        self.send(Method::POST, &format!("/posts/{id}/comments"), comment)
            .await
    }

    /// Adds (`on`) or takes back my reaction of `kind`.
    pub async fn react(
        &self,
        id: PostId,
        kind: ReactionKind,
        on: bool,
    ) -> Result<Reactions, ApiError> {
        let method = if on { Method::PUT } else { Method::DELETE };
        self.call(
            method,
            &format!("/posts/{id}/reactions/{}", kind.as_str()),
            &[],
            Body::None,
        )
        .await
    }

    /// One page of my personal feed, newest first.
    pub async fn feed(&self, after: Option<&str>) -> Result<Page<Post>, ApiError> {
        let limit = POSTS_PAGE.to_string();
        let mut query = vec![("limit", limit.as_str())];
        if let Some(after) = after {
            query.push(("after", after));
        }
        self.get("/feed", &query).await
    }

    /// Flags a post for the moderators (409 `conflict` when I already did).
    pub async fn flag_post(&self, id: PostId, flag: &NewFlag) -> Result<(), ApiError> {
        self.send::<serde_json::Value, _>(Method::POST, &format!("/posts/{id}/flags"), flag)
            .await
            .map(|_| ())
    }

    /// Flags a comment for the moderators.
    pub async fn flag_comment(&self, id: CommentId, flag: &NewFlag) -> Result<(), ApiError> {
        self.send::<serde_json::Value, _>(Method::POST, &format!("/comments/{id}/flags"), flag)
            .await
            .map(|_| ())
    }

    /// Open flags in the communities I moderate.
    pub async fn moderation_queue(&self) -> Result<Vec<Flag>, ApiError> {
        self.get("/moderation/queue", &[]).await
    }

    /// Acts on a post: the post as it is now, or `None` when it was removed (204).
    pub async fn moderate_post(
        &self,
        id: PostId,
        moderate: &Moderate,
    ) -> Result<Option<Post>, ApiError> {
        self.send(Method::POST, &format!("/posts/{id}/moderation"), moderate)
            .await
    }

    /// Hides, removes or keeps (dismiss) a comment.
    pub async fn moderate_comment(
        &self,
        id: CommentId,
        moderate: &Moderate,
    ) -> Result<(), ApiError> {
        self.send(
            Method::POST,
            &format!("/comments/{id}/moderation"),
            moderate,
        )
        .await
    }

    /// Stops a person from writing in a community.
    pub async fn ban(&self, id: CommunityId, ban: &NewBan) -> Result<(), ApiError> {
        self.send(Method::POST, &format!("/communities/{id}/bans"), ban)
            .await
    }

    /// Moderators: the bans in force in a community.
    pub async fn community_bans(&self, id: CommunityId) -> Result<Vec<Ban>, ApiError> {
        self.get(&format!("/communities/{id}/bans"), &[]).await
    }

    /// Moderators: lifts a ban.
    pub async fn unban(&self, id: CommunityId, user: UserId) -> Result<(), ApiError> {
        self.delete(&format!("/communities/{id}/bans/{user}")).await
    }

    /// A community's public moderation log, newest first.
    pub async fn moderation_log(
        &self,
        id: CommunityId,
    ) -> Result<Vec<ModerationLogEntry>, ApiError> {
        self.get(&format!("/communities/{id}/moderation-log"), &[])
            .await
    }

    /// One page of my notifications, newest first.
    pub async fn notifications(&self, after: Option<&str>) -> Result<Page<Notification>, ApiError> {
        let limit = NOTIFICATIONS_PAGE.to_string();
        let mut query = vec![("limit", limit.as_str())];
        if let Some(after) = after {
            query.push(("after", after));
        }
        self.get("/notifications", &query).await
    }

    pub async fn unread_notifications(&self) -> Result<UnreadCount, ApiError> {
        self.get("/notifications/unread", &[]).await
    }

    pub async fn read_all_notifications(&self) -> Result<(), ApiError> {
        self.call(Method::POST, "/notifications/read", &[], Body::None)
            .await
    }

    /// Where and how I want to be reached besides the app.
    pub async fn notification_settings(&self) -> Result<NotificationSettings, ApiError> {
        self.get("/me/notification-settings", &[]).await
    }

    pub async fn save_notification_settings(
        &self,
        settings: &NotificationSettings,
    ) -> Result<NotificationSettings, ApiError> {
        self.send(Method::PUT, "/me/notification-settings", settings)
            .await
    }

    pub async fn read_notification(&self, id: i64) -> Result<(), ApiError> {
        self.call(
            Method::POST,
            &format!("/notifications/{id}/read"),
            &[],
            Body::None,
        )
        .await
    }
}

/// The chat (the live part goes through the socket, `crate::realtime`).
impl Api {
    /// My rooms with unread counts and their newest message.
    pub async fn chat_rooms(&self) -> Result<Vec<Room>, ApiError> {
        self.get("/chat/rooms", &[]).await
    }

    pub async fn chat_room(&self, id: RoomId) -> Result<Room, ApiError> {
        self.get(&format!("/chat/rooms/{id}"), &[]).await
    }

    /// Messages before `before` (a `seq`), newest first.
    pub async fn chat_history(&self, id: RoomId, before: Option<i64>) -> Result<History, ApiError> {
        let before = before.map(|b| b.to_string());
        let mut query = vec![("limit", "50")];
        if let Some(b) = &before {
            query.push(("before", b.as_str()));
        }
        self.get(&format!("/chat/rooms/{id}/messages"), &query)
            .await
    }

    /// How far the others have read the room.
    pub async fn chat_reads(&self, id: RoomId) -> Result<Vec<ReadMark>, ApiError> {
        self.get(&format!("/chat/rooms/{id}/reads"), &[]).await
    }

    /// `POST /chat/rooms`: a group room, with me as its moderator. `key` is the same for
    /// every retry of this form's content (a retry answers the first room).
    pub async fn create_group(&self, group: &NewGroupRoom, key: &str) -> Result<Room, ApiError> {
        self.post_keyed("/chat/rooms", group, key).await
    }

    /// `PUT /chat/rooms/{id}`: rename a group (its moderators).
    pub async fn rename_room(&self, id: RoomId, name: &str) -> Result<Room, ApiError> {
        let update = RoomUpdate {
            name: name.to_owned(),
        };
        self.send(Method::PUT, &format!("/chat/rooms/{id}"), &update)
            .await
    }

    /// One page of a room's people, by name; `q` filters by name.
    pub async fn chat_members(
        &self,
        id: RoomId,
        q: &str,
        after: Option<&str>,
    ) -> Result<Page<RoomMember>, ApiError> {
        let mut query = vec![("limit", "50")];
        if !q.trim().is_empty() {
            query.push(("q", q.trim()));
        }
        if let Some(a) = after {
            query.push(("after", a));
        }
        self.get(&format!("/chat/rooms/{id}/members"), &query).await
    }

    /// Add people to a group (its moderators).
    pub async fn add_members(
        &self,
        id: RoomId,
        members: Vec<UserId>,
    ) -> Result<AddedMembers, ApiError> {
        self.send(
            Method::POST,
            &format!("/chat/rooms/{id}/members"),
            &NewMembers { members },
        )
        .await
    }

    /// Leave a group.
    pub async fn leave_room(&self, id: RoomId) -> Result<(), ApiError> {
        self.call(
            Method::POST,
            &format!("/chat/rooms/{id}/leave"),
            &[],
            Body::None,
        )
        .await
    }

    /// People I may add to a group, by (part of) their name.
    pub async fn find_people(&self, q: &str) -> Result<Vec<UserRef>, ApiError> {
        self.get("/chat/people", &[("q", q.trim())]).await
    }

    pub async fn open_direct(&self, user_id: UserId) -> Result<Room, ApiError> {
        self.send(Method::POST, "/chat/direct", &NewDirect { user_id })
            .await
    }

    pub async fn chat_blocks(&self) -> Result<Vec<Block>, ApiError> {
        self.get("/chat/blocks", &[]).await
    }

    pub async fn block_user(&self, user: UserId) -> Result<(), ApiError> {
        self.call(
            Method::PUT,
            &format!("/chat/blocks/{user}"),
            &[],
            Body::None,
        )
        .await
    }

    pub async fn unblock_user(&self, user: UserId) -> Result<(), ApiError> {
        self.delete(&format!("/chat/blocks/{user}")).await
    }

    /// "Talk to a person": my help room, waiting for an operator.
    pub async fn ask_help(&self) -> Result<Room, ApiError> {
        self.call(Method::POST, "/chat/help", &[], Body::None).await
    }

    /// Help rooms waiting, and mine (operators).
    pub async fn help_queue(&self) -> Result<Vec<Room>, ApiError> {
        self.get("/chat/help", &[]).await
    }

    pub async fn take_help(&self, id: RoomId) -> Result<Room, ApiError> {
        self.call(
            Method::POST,
            &format!("/chat/help/{id}/take"),
            &[],
            Body::None,
        )
        .await
    }

    /// A moderator deletes someone's message.
    pub async fn delete_chat_message(
        &self,
        room: RoomId,
        message: cortile_shared::realtime::MessageId,
    ) -> Result<(), ApiError> {
        self.delete(&format!("/chat/rooms/{room}/messages/{}", message.0))
            .await
    }

    pub async fn mute(&self, room: RoomId, mute: &NewMute) -> Result<(), ApiError> {
        self.send(Method::POST, &format!("/chat/rooms/{room}/mutes"), mute)
            .await
    }

    pub async fn remove_from_room(
        &self,
        room: RoomId,
        removal: &NewRemoval,
    ) -> Result<(), ApiError> {
        self.send(
            Method::POST,
            &format!("/chat/rooms/{room}/removals"),
            removal,
        )
        .await
    }
}

/// The time bank and the marketplace.
impl Api {
    /// `GET /timebank/accounts/me`: my balance and credit limit.
    pub async fn my_account(&self) -> Result<Account, ApiError> {
        self.get("/timebank/accounts/me", &[]).await
    }

    /// One page of my statement, newest first.
    pub async fn statement(&self, after: Option<&str>) -> Result<Page<StatementLine>, ApiError> {
        let mut query = vec![("limit", "50")];
        if let Some(after) = after {
            query.push(("after", after));
        }
        self.get("/timebank/accounts/me/statement", &query).await
    }

    /// `POST /timebank/transfers`: give hours to one person or several. `key` is the same for
    /// every retry of this form's content (a retry answers the first transfer, moving nothing).
    pub async fn transfer(&self, transfer: &NewTransfer, key: &str) -> Result<Transfer, ApiError> {
        self.post_keyed("/timebank/transfers", transfer, key).await
    }

    /// `POST /timebank/accounts/{user}/adjustments` (staff), with the form's idempotency key:
    /// a retry after a lost answer adjusts nothing twice.
    pub async fn adjust(
        &self,
        user: UserId,
        adjustment: &NewAdjustment,
        key: &str,
    ) -> Result<Transfer, ApiError> {
        self.post_keyed(
            &format!("/timebank/accounts/{user}/adjustments"),
            adjustment,
            key,
        )
        .await
    }

    /// Listings I may see, with filters (`(name, value)` query pairs; `after` for the page after
    /// one's `next`, with the same filters).
    pub async fn listings(&self, filters: &[(&str, &str)]) -> Result<Page<Listing>, ApiError> {
        let mut query = vec![("limit", "100")];
        query.extend_from_slice(filters);
        self.get("/market/listings", &query).await
    }

    pub async fn listing(&self, id: ListingId) -> Result<Listing, ApiError> {
        self.get(&format!("/market/listings/{id}"), &[]).await
    }

    /// Publishes, with the form's idempotency key: a retry after a lost answer makes no second
    /// listing.
    pub async fn create_listing(
        &self,
        input: &ListingInput,
        key: &str,
    ) -> Result<Listing, ApiError> {
        self.post_keyed("/market/listings", input, key).await
    }

    pub async fn update_listing(
        &self,
        id: ListingId,
        input: &ListingInput,
    ) -> Result<Listing, ApiError> {
        self.send(Method::PUT, &format!("/market/listings/{id}"), input)
            .await
    }

    pub async fn close_listing(&self, id: ListingId) -> Result<(), ApiError> {
        self.delete(&format!("/market/listings/{id}")).await
    }

    /// The exchanges of a listing (all of them for its author).
    pub async fn listing_exchanges(&self, id: ListingId) -> Result<Vec<Exchange>, ApiError> {
        self.get(&format!("/market/listings/{id}/exchanges"), &[])
            .await
    }

    pub async fn propose_exchange(
        &self,
        id: ListingId,
        new: &NewExchange,
    ) -> Result<Exchange, ApiError> {
        self.send(
            Method::POST,
            &format!("/market/listings/{id}/exchanges"),
            new,
        )
        .await
    }

    /// My exchanges, newest first (optionally in one state), from the start or after a page's
    /// `next`.
    pub async fn my_exchanges(
        &self,
        state: Option<ExchangeState>,
        after: Option<&str>,
    ) -> Result<Page<Exchange>, ApiError> {
        let mut query = vec![("limit", "100")];
        if let Some(s) = state {
            query.push(("state", s.as_str()));
        }
        if let Some(after) = after {
            query.push(("after", after));
        }
        self.get("/market/exchanges", &query).await
    }

    pub async fn exchange(&self, id: ExchangeId) -> Result<Exchange, ApiError> {
        self.get(&format!("/market/exchanges/{id}"), &[]).await
    }

    /// A step: `accept`, `complete`, `confirm`, `cancel` or `dispute`.
    pub async fn exchange_step(
        &self,
        id: ExchangeId,
        step: &str,
        reason: &str,
    ) -> Result<Exchange, ApiError> {
        self.send(
            Method::POST,
            &format!("/market/exchanges/{id}/{step}"),
            &StepReason {
                reason: reason.to_owned(),
            },
        )
        .await
    }

    pub async fn resolve_exchange(
        &self,
        id: ExchangeId,
        res: &Resolution,
    ) -> Result<Exchange, ApiError> {
        self.send(
            Method::POST,
            &format!("/market/exchanges/{id}/resolution"),
            res,
        )
        .await
    }

    pub async fn disputes(&self) -> Result<Vec<Exchange>, ApiError> {
        self.get("/market/disputes", &[]).await
    }

    pub async fn exchange_messages(
        &self,
        id: ExchangeId,
    ) -> Result<Vec<ExchangeMessage>, ApiError> {
        self.get(&format!("/market/exchanges/{id}/messages"), &[])
            .await
    }

    pub async fn send_exchange_message(
        &self,
        id: ExchangeId,
        body: &str,
    ) -> Result<ExchangeMessage, ApiError> {
        self.send(
            Method::POST,
            &format!("/market/exchanges/{id}/messages"),
            &NewMessage {
                body: body.to_owned(),
            },
        )
        .await
    }

    pub async fn exchange_reviews(&self, id: ExchangeId) -> Result<Vec<Review>, ApiError> {
        self.get(&format!("/market/exchanges/{id}/reviews"), &[])
            .await
    }

    pub async fn review(&self, id: ExchangeId, review: &NewReview) -> Result<Review, ApiError> {
        self.send(
            Method::POST,
            &format!("/market/exchanges/{id}/reviews"),
            review,
        )
        .await
    }

    pub async fn member_reviews(&self, id: UserId) -> Result<MemberReviews, ApiError> {
        self.get(&format!("/market/members/{id}/reviews"), &[])
            .await
    }

    pub async fn organisations(&self) -> Result<Vec<Organisation>, ApiError> {
        self.get("/market/organisations", &[]).await
    }

    pub async fn create_organisation(
        &self,
        new: &NewOrganisation,
    ) -> Result<Organisation, ApiError> {
        self.send(Method::POST, "/market/organisations", new).await
    }

    pub async fn verify_organisation(&self, id: OrganisationId) -> Result<Organisation, ApiError> {
        self.call(
            Method::POST,
            &format!("/market/organisations/{id}/verification"),
            &[],
            Body::None,
        )
        .await
    }
}

/// The URL of my whole statement as CSV (a download), in the reader's language.
pub fn statement_csv_url(locale: cortile_shared::locale::Locale) -> String {
    format!(
        "{}/timebank/accounts/me/statement.csv?lang={}",
        api_root(),
        locale.tag()
    )
}

impl Api {
    /// `GET /maintenance/reports/similar`: open reports of a category in a building (mine
    /// by default), to say "me too" instead of reporting again.
    pub async fn similar_reports(
        &self,
        category: Category,
        building: Option<BuildingId>,
    ) -> Result<Vec<ReportSummary>, ApiError> {
        let building = building.map(|b| b.to_string());
        let mut query = vec![("category", category.as_str())];
        if let Some(b) = building.as_deref() {
            query.push(("building_id", b));
        }
        self.get("/maintenance/reports/similar", &query).await
    }

    /// `POST /maintenance/reports`.
    pub async fn create_report(&self, report: &NewReport) -> Result<Report, ApiError> {
        self.send(Method::POST, "/maintenance/reports", report)
            .await
    }

    /// One page of the reports I made or support, newest first.
    pub async fn my_reports(&self, after: Option<&str>) -> Result<Page<ReportSummary>, ApiError> {
        let limit = REPORTS_PAGE.to_string();
        let mut query = vec![("limit", limit.as_str())];
        if let Some(after) = after {
            query.push(("after", after));
        }
        self.get("/maintenance/reports/mine", &query).await
    }

    /// A building's open reports.
    pub async fn building_reports(&self, id: BuildingId) -> Result<Vec<ReportSummary>, ApiError> {
        self.get(&format!("/maintenance/buildings/{id}/reports"), &[])
            .await
    }

    /// An estate's reports as GeoJSON points.
    pub async fn estate_reports_map(
        &self,
        id: EstateId,
    ) -> Result<geojson::FeatureCollection, ApiError> {
        self.get(&format!("/maintenance/estates/{id}/map"), &[])
            .await
    }

    pub async fn report(&self, id: i64) -> Result<Report, ApiError> {
        self.get(&format!("/maintenance/reports/{id}"), &[]).await
    }

    /// `POST /maintenance/reports/{id}/status`.
    pub async fn report_status(&self, id: i64, update: &StatusUpdate) -> Result<Report, ApiError> {
        self.send(
            Method::POST,
            &format!("/maintenance/reports/{id}/status"),
            update,
        )
        .await
    }

    /// "Me too" (`on`), or take it back; answers the number of supporters.
    pub async fn support_report(&self, id: i64, on: bool) -> Result<Supporters, ApiError> {
        let method = if on { Method::PUT } else { Method::DELETE };
        self.call(
            method,
            &format!("/maintenance/reports/{id}/support"),
            &[],
            Body::None,
        )
        .await
    }

    pub async fn comment_report(
        &self,
        id: i64,
        comment: &NewReportComment,
    ) -> Result<ReportComment, ApiError> {
        self.send(
            Method::POST,
            &format!("/maintenance/reports/{id}/comments"),
            comment,
        )
        .await
    }

    pub async fn assign_report(&self, id: i64, assign: &Assign) -> Result<Report, ApiError> {
        self.send(
            Method::POST,
            &format!("/maintenance/reports/{id}/assign"),
            assign,
        )
        .await
    }

    pub async fn escalate_report(&self, id: i64, escalate: &Escalate) -> Result<Report, ApiError> {
        self.send(
            Method::POST,
            &format!("/maintenance/reports/{id}/escalate"),
            escalate,
        )
        .await
    }

    /// Merges report `id` (a duplicate) into `into`; answers the report that stays.
    pub async fn merge_report(&self, id: i64, into: i64) -> Result<Report, ApiError> {
        self.send(
            Method::POST,
            &format!("/maintenance/reports/{id}/merge"),
            &Merge { into },
        )
        .await
    }

    pub async fn rate_report(&self, id: i64, rating: &Rating) -> Result<Report, ApiError> {
        self.send(
            Method::POST,
            &format!("/maintenance/reports/{id}/rating"),
            rating,
        )
        .await
    }

    /// The committee board of an estate.
    pub async fn maintenance_board(&self, id: EstateId) -> Result<Board, ApiError> {
        self.get(&format!("/maintenance/estates/{id}/board"), &[])
            .await
    }

    /// One page of the staff queue; `filters` are (name, value) pairs of the queue's query.
    pub async fn maintenance_queue(
        &self,
        filters: &[(String, String)],
        after: Option<&str>,
    ) -> Result<Page<ReportSummary>, ApiError> {
        let limit = REPORTS_PAGE.to_string();
        let mut query: Vec<(&str, &str)> = filters
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        query.push(("limit", limit.as_str()));
        if let Some(after) = after {
            query.push(("after", after));
        }
        self.get("/maintenance/queue", &query).await
    }

    /// One status change for many reports (per-row results).
    pub async fn bulk_report_status(&self, bulk: &BulkStatus) -> Result<BulkResult, ApiError> {
        self.send(Method::POST, "/maintenance/queue/status", bulk)
            .await
    }

    pub async fn works(&self) -> Result<Vec<Works>, ApiError> {
        self.get("/maintenance/works", &[]).await
    }

    pub async fn announce_works(&self, works: &NewWorks) -> Result<Works, ApiError> {
        self.send(Method::POST, "/maintenance/works", works).await
    }

    /// A resident rates the outcome of works that are over (1–5, optional comment).
    pub async fn rate_works(&self, id: i64, rating: &Rating) -> Result<Works, ApiError> {
        self.send(
            Method::POST,
            &format!("/maintenance/works/{id}/rating"),
            rating,
        )
        .await
    }

    /// The estate whose boundary holds a point (what a point on the map will be filed under).
    pub async fn estate_at(&self, point: LatLon) -> Result<PointEstate, ApiError> {
        let (lat, lon) = (point.lat.to_string(), point.lon.to_string());
        self.get(
            "/maintenance/estate-at",
            &[("lat", lat.as_str()), ("lon", lon.as_str())],
        )
        .await
    }

    /// The people with open reports assigned in the reader's reach (the queue's filter).
    pub async fn maintenance_assignees(&self) -> Result<Vec<AssigneeCount>, ApiError> {
        self.get("/maintenance/assignees", &[]).await
    }
}

/// The URL of an estate's board as CSV (a download).
pub fn board_csv_url(id: EstateId) -> String {
    format!("{}/maintenance/estates/{id}/board.csv", api_root())
}

/// `PUT/DELETE /maintenance/reports/{id}/support`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct Supporters {
    pub supporters: i64,
    pub supporting: bool,
}

/// Reports asked for at a time (my reports, the queue).
pub const REPORTS_PAGE: u32 = 25;

/// Posts asked for at a time (the feed, a community's posts).
pub const POSTS_PAGE: u32 = 20;

/// Notifications asked for at a time.
pub const NOTIFICATIONS_PAGE: u32 = 20;

/// Which communities to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunityView {
    /// Mine: my estate's and building's, and those of interest I belong to.
    Mine,
    /// Communities of interest I could join.
    Discover,
}

impl CommunityView {
    pub fn as_str(self) -> &'static str {
        match self {
            CommunityView::Mine => "mine",
            CommunityView::Discover => "discover",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_bodies_become_problem_errors() {
        let body =
            serde_json::to_string(&Problem::new(ErrorCode::NotFound).with_detail("estate 9"))
                .expect("serialize");
        let err = error_from_body(404, &body, None);
        assert!(matches!(err, ApiError::Problem(ref p) if p.code == ErrorCode::NotFound));
        assert!(err.is_not_found());
    }

    #[test]
    fn other_error_bodies_keep_the_status() {
        let err = error_from_body(502, "<html>Bad gateway</html>", None);
        assert_eq!(err, ApiError::Status(502));
        assert!(!err.is_not_found());
        assert_eq!(err.message_key(), "error.generic");
        assert!(error_from_body(404, "", None).is_not_found());
        assert_eq!(
            error_from_body(503, "", None).message_key(),
            "error.unavailable"
        );
    }

    #[test]
    fn unexpected_json_is_a_decode_error() {
        let result: Result<Page<EstateSummary>, _> = decode(r#"{"nope": 1}"#);
        assert!(matches!(result, Err(ApiError::Decode(_))));
        let page: Page<EstateSummary> = decode(r#"{"items": []}"#).expect("empty page decodes");
        assert!(page.items.is_empty() && page.next.is_none());
    }

    #[test]
    fn network_errors_have_their_own_message() {
        assert_eq!(
            ApiError::Network("offline".into()).message_key(),
            "error.network"
        );
    }

    #[test]
    fn too_many_requests_keep_retry_after() {
        let err = error_from_body(429, "{}", Some("120"));
        assert_eq!(
            err,
            ApiError::RateLimited {
                retry_after: Some(120)
            }
        );
        assert_eq!(err.code(), Some(ErrorCode::RateLimited));
        assert_eq!(
            error_from_body(429, "", Some("soon")),
            ApiError::RateLimited { retry_after: None }
        );
    }

    #[test]
    fn field_errors_are_found_by_name() {
        let problem = Problem::new(ErrorCode::ValidationFailed).with_errors(vec![FieldError::new(
            "purpose",
            "too_short",
            "purpose must have at least 5 characters",
        )]);
        let body = serde_json::to_string(&problem).expect("serialize");
        let err = error_from_body(422, &body, None);
        assert_eq!(
            err.field("purpose").map(|e| e.code.as_str()),
            Some("too_short")
        );
        assert!(err.field("reason").is_none());
        assert_eq!(err.message_key(), "error.validation");
        assert!(ApiError::Status(500).field_errors().is_empty());
    }

    #[test]
    fn empty_answers_decode_as_unit() {
        let unit: Result<(), _> = decode("");
        assert!(unit.is_ok());
    }

    #[test]
    fn statuses_without_a_problem_still_have_a_kind() {
        assert!(ApiError::Status(401).is_unauthenticated());
        assert!(ApiError::Status(403).is_forbidden());
        assert_eq!(ApiError::Status(403).message_key(), "error.forbidden");
    }
}
