//! The marketplace over HTTP, on both databases: listings and their rules, browsing with
//! filters and distance, exchanges step by step by the right party only, confirmation paying
//! through the ledger exactly once (retries and races included), disputes resolved by staff,
//! reviews one per side, "need → offers", organisations, the monthly report, photos, and an
//! operator acting for a resident.

use cortile::db::schema::{
    buildings, household_members, households, listing_images, persons, units, users,
};
use cortile_shared::community::{Notification, NotificationKind};
use cortile_shared::market::{
    Exchange, ExchangeMessage, ExchangeState, Listing, ListingStatus, MemberReviews, MonthlyReport,
    Organisation, Review,
};
use cortile_shared::tenancy::AuditEntry;
use cortile_shared::timebank::Account;
use cortile_shared::upload::Upload;
use cortile_shared::{ErrorCode, Page, Problem};
use cortile_tests::images::jpeg;
use cortile_tests::ledger::{self, Member};
use cortile_tests::{expect_problem, json_of, people_test, Session, TestApp};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

const LISTINGS: &str = "/api/v1/market/listings";

/// A resident with an account and a session, living in (or outside) `estate`.
async fn resident(app: &TestApp, estate: i64, inside: bool) -> Session {
    let mut conn = app.connect();
    let taken: Vec<String> = users::table
        .filter(users::fiscal_code.is_not_null())
        .select(users::fiscal_code.assume_not_null())
        .load(&mut conn)
        .expect("linked codes");
    let q = household_members::table
        .inner_join(persons::table)
        .inner_join(households::table.inner_join(units::table.inner_join(buildings::table)))
        .filter(household_members::ended_at.is_null())
        .filter(households::contract_status.eq("active"))
        .filter(persons::fiscal_code.ne_all(taken))
        .order(persons::id)
        .select((persons::fiscal_code, persons::given_name, persons::surname))
        .into_boxed();
    let q = if inside {
        q.filter(buildings::estate_id.eq(estate))
    } else {
        q.filter(buildings::estate_id.ne(estate))
    };
    let (code, given, surname): (String, String, String) =
        q.first(&mut conn).expect("a resident free");
    let now = chrono::Utc::now().naive_utc();
    let (user_id, _) = cortile_tests::registry_account(&mut conn, &code, &given, &surname, now);
    let (_, token) = cortile::auth::session::create(
        &mut conn,
        user_id,
        "local",
        &cortile::auth::session::ClientInfo::default(),
        now,
    )
    .expect("a session");
    app.session_for(&Member {
        user_id,
        csrf: cortile::auth::session::csrf_token(&token),
        token,
    })
    .await
}

async fn upload(s: &Session, bytes: Vec<u8>) -> Upload {
    json_of(s.upload("image/jpeg", bytes).await, 201, "upload").await
}

fn estate_of(s: &Session) -> i64 {
    s.me.residence.as_ref().expect("a home").home.estate_id.0
}

/// Three residents: `a` and `b` in the first demo estate, `c` elsewhere.
async fn three(app: &TestApp) -> (Session, Session, Session) {
    let inquilino = app.login("inquilino").await;
    let estate = estate_of(&inquilino);
    let a = resident(app, estate, true).await;
    let b = resident(app, estate, true).await;
    let c = resident(app, estate, false).await;
    (a, b, c)
}

fn offer(title: &str, minutes: i64, reach: &str) -> serde_json::Value {
    json!({"kind": "offer", "category": "errands", "title": title,
           "description": "Porto la spesa **a casa**. <script>alert(1)</script>",
           "price_type": "hours", "price_amount": minutes, "estimated_minutes": minutes,
           "availability": "sabato mattina", "reach": reach})
}

async fn publish(s: &Session, body: serde_json::Value) -> Listing {
    json_of(s.post(LISTINGS, body).await, 201, "publish").await
}

async fn propose(s: &Session, listing: &Listing, body: serde_json::Value) -> Exchange {
    json_of(
        s.post(&format!("{LISTINGS}/{}/exchanges", listing.id), body)
            .await,
        201,
        "propose",
    )
    .await
}

async fn step(s: &Session, e: &Exchange, name: &str) -> reqwest::Response {
    s.post(
        &format!("/api/v1/market/exchanges/{}/{name}", e.id),
        json!({}),
    )
    .await
}

async fn step_ok(s: &Session, e: &Exchange, name: &str) -> Exchange {
    json_of(step(s, e, name).await, 200, name).await
}

async fn step_refused(s: &Session, e: &Exchange, name: &str, status: u16, code: ErrorCode) {
    let p: Problem = expect_problem(step(s, e, name).await, status).await;
    assert_eq!(p.code, code, "{name}: {p:?}");
}

async fn balance(s: &Session) -> i64 {
    let a: Account = s.get_json("/api/v1/timebank/accounts/me").await;
    a.balance_minutes
}

async fn notes(s: &Session) -> Vec<Notification> {
    let page: Page<Notification> = s.get_json("/api/v1/notifications?limit=200").await;
    page.items
}

fn fields(p: &Problem) -> Vec<(String, String)> {
    p.errors
        .iter()
        .map(|e| (e.field.clone(), e.code.clone()))
        .collect()
}

fn check_ledger(app: &TestApp) {
    let report = cortile::timebank::check::check_ledger(&mut app.connect()).expect("the ledger");
    assert!(report.ok(), "ledger problems: {:#?}", report.problems);
}

async fn browse(s: &Session, query: &str) -> Vec<Listing> {
    let page: Page<Listing> = s.get_json(&format!("{LISTINGS}?limit=200&{query}")).await;
    page.items
}

fn ids(list: &[Listing]) -> Vec<i64> {
    list.iter().map(|l| l.id.0).collect()
}

people_test!(
    async fn listings_follow_the_rules_and_reach_their_readers(app) {
        let (a, b, c) = three(app).await;
        let staff = app.login("staff").await;

        // Bad input: every field named, nothing written.
        let bad = [
            (json!({"kind": "offer", "category": "errands", "title": "x", "price_type": "hours", "reach": "city"}),
             vec![("title", "required"), ("price_amount", "required")]),
            (json!({"kind": "offer", "category": "errands", "title": "Bici", "price_type": "free", "price_amount": 5, "reach": "city"}),
             vec![("price_amount", "not_allowed")]),
            (json!({"kind": "offer", "category": "errands", "title": "Bici", "price_type": "euro", "price_amount": 0, "reach": "city",
                    "estimated_minutes": 0, "place": {"kind": "point", "lat": 95.0, "lon": 9.0}}),
             vec![("price_amount", "out_of_range"), ("estimated_minutes", "out_of_range"), ("place.lat", "out_of_range")]),
            (json!({"kind": "offer", "category": "errands", "title": "Bici", "price_type": "free", "reach": "city",
                    "place": {"kind": "estate", "estate_id": 99999}}),
             vec![("place.estate_id", "unknown")]),
        ];
        for (body, want) in bad {
            let p = expect_problem(a.post(LISTINGS, body.clone()).await, 422).await;
            let want: Vec<(String, String)> = want.iter().map(|(f, c)| ((*f).into(), (*c).into())).collect();
            assert_eq!(fields(&p), want, "{body}");
        }
        let p = expect_problem(a.post(LISTINGS, json!({"kind": "gift", "title": "x"})).await, 400).await;
        assert_eq!(p.code, ErrorCode::BadRequest);
        // Staff are not residents: they publish nothing; nor does anyone anonymous.
        assert_eq!(expect_problem(staff.post(LISTINGS, offer("Spesa", 60, "city")).await, 403).await.code, ErrorCode::Forbidden);
        assert_eq!(app.anonymous().post(LISTINGS, offer("Spesa", 60, "city")).await.status(), 401);
        assert!(browse(&b, "").await.is_empty());

        // A listing for the estate: sanitised, mine, at the estate's centre.
        let spesa = publish(&a, offer("La spesa del sabato", 60, "estate")).await;
        assert!(spesa.mine);
        assert!(spesa.description_html.contains("<strong>a casa</strong>"));
        assert!(!spesa.description_html.contains("script"), "{}", spesa.description_html);
        assert_eq!(spesa.estate.as_ref().map(|e| e.id.0), Some(estate_of(&a)));
        // The estate's residents see it; another estate's do not (404, not 403).
        assert_eq!(ids(&browse(&b, "").await), [spesa.id.0]);
        let seen: Listing = b.get_json(&format!("{LISTINGS}/{}", spesa.id)).await;
        assert!(!seen.mine && !seen.can_edit && seen.description.is_none(), "the markdown is the author's");
        assert!(browse(&c, "").await.is_empty());
        assert_eq!(expect_problem(c.get(&format!("{LISTINGS}/{}", spesa.id)).await, 404).await.code, ErrorCode::NotFound);
        let _: Listing = staff.get_json(&format!("{LISTINGS}/{}", spesa.id)).await;

        // A request to the whole city, free; a repair in euro for the building.
        let lezioni = publish(&b, json!({"kind": "request", "category": "tutoring", "title": "Lezioni di italiano",
            "price_type": "free", "reach": "city"})).await;
        let bici = publish(&a, json!({"kind": "offer", "category": "small_repairs", "title": "Riparo biciclette",
            "price_type": "euro", "price_amount": 1500, "reach": "building"})).await;
        assert_eq!(ids(&browse(&c, "").await), [lezioni.id.0]);
        // Filters.
        assert_eq!(ids(&browse(&b, "kind=request").await), [lezioni.id.0]);
        assert_eq!(ids(&browse(&b, "category=errands").await), [spesa.id.0]);
        assert_eq!(ids(&browse(&b, "price_type=free").await), [lezioni.id.0]);
        assert_eq!(ids(&browse(&b, "reach=estate").await), [spesa.id.0]);
        let same_building = a.me.residence.as_ref().map(|r| r.home.building_id) == b.me.residence.as_ref().map(|r| r.home.building_id);
        assert_eq!(browse(&b, "price_type=euro").await.len(), usize::from(same_building));
        let p = expect_problem(b.get(&format!("{LISTINGS}?category=knitting&kind=gift&max_distance_m=x")).await, 422).await;
        assert_eq!(p.errors[0].field, "max_distance_m");
        let p = expect_problem(b.get(&format!("{LISTINGS}?category=knitting")).await, 422).await;
        assert_eq!(fields(&p), [("category".to_owned(), "invalid_value".to_owned())]);

        // Distance from my home: a point next to b's building and one 40 km away.
        let building = b.me.residence.as_ref().expect("home").home.building_id.0;
        let (lat, lon): (f64, f64) = buildings::table
            .find(building)
            .select((buildings::lat, buildings::lon))
            .first(&mut app.connect())
            .expect("the building's point");
        let near = publish(&a, json!({"kind": "offer", "category": "gardening", "title": "Orto condiviso",
            "price_type": "free", "reach": "city", "place": {"kind": "point", "lat": lat + 0.001, "lon": lon}})).await;
        let far = publish(&a, json!({"kind": "offer", "category": "gardening", "title": "Orto in campagna",
            "price_type": "free", "reach": "city", "place": {"kind": "point", "lat": lat + 0.36, "lon": lon}})).await;
        let close_by = browse(&b, "category=gardening&max_distance_m=500").await;
        assert_eq!(ids(&close_by), [near.id.0]);
        let d = close_by[0].distance_m.expect("a distance");
        assert!((100.0..125.0).contains(&d), "about 111 m: {d}");
        // Nearest first, paginated by (distance, id): one per page, no repeats.
        assert_eq!(ids(&browse(&b, "category=gardening&max_distance_m=50000").await), [near.id.0, far.id.0]);
        let farther = publish(&a, json!({"kind": "offer", "category": "gardening", "title": "Orto di periferia",
            "price_type": "free", "reach": "city", "place": {"kind": "point", "lat": lat + 0.1, "lon": lon}})).await;
        let mut walked = Vec::new();
        let mut query = format!("{LISTINGS}?category=gardening&max_distance_m=50000&limit=1");
        loop {
            let page: Page<Listing> = b.get_json(&query).await;
            assert_eq!(page.items.len(), 1);
            walked.push(page.items[0].id.0);
            match page.next {
                Some(next) => query = format!("{LISTINGS}?category=gardening&max_distance_m=50000&limit=1&after={next}"),
                None => break,
            }
        }
        assert_eq!(walked, [near.id.0, farther.id.0, far.id.0]);
        // A cursor of the newest-first order does not fit the nearest-first one.
        let newest: Page<Listing> = b.get_json(&format!("{LISTINGS}?category=gardening&limit=1")).await;
        let p = expect_problem(
            b.get(&format!("{LISTINGS}?category=gardening&max_distance_m=50000&after={}", newest.next.expect("more"))).await,
            422,
        )
        .await;
        assert_eq!(fields(&p), [("after".to_owned(), "invalid_cursor".to_owned())]);
        let p = expect_problem(b.get(&format!("{LISTINGS}?max_distance_m=0")).await, 422).await;
        assert_eq!(fields(&p), [("max_distance_m".to_owned(), "out_of_range".to_owned())]);
        let p = expect_problem(staff.get(&format!("{LISTINGS}?max_distance_m=1000")).await, 422).await;
        assert_eq!(fields(&p), [("max_distance_m".to_owned(), "no_home".to_owned())]);
        // Pages.
        let first: Page<Listing> = b.get_json(&format!("{LISTINGS}?limit=2")).await;
        assert_eq!(first.items.len(), 2);
        let rest: Page<Listing> = b.get_json(&format!("{LISTINGS}?limit=200&after={}", first.next.expect("more"))).await;
        assert!(rest.items.iter().all(|l| !ids(&first.items).contains(&l.id.0)));

        // Editing: the author only; the kind stays.
        let path = format!("{LISTINGS}/{}", spesa.id);
        let res = b.send(Method::PUT, &path, Some(offer("Rubata", 60, "estate"))).await;
        assert_eq!(expect_problem(res, 403).await.code, ErrorCode::Forbidden);
        let res = c.send(Method::PUT, &path, Some(offer("Rubata", 60, "estate"))).await;
        assert_eq!(expect_problem(res, 404).await.code, ErrorCode::NotFound);
        let mut changed = offer("La spesa del sabato e della domenica", 90, "estate");
        changed["kind"] = json!("request");
        let p = expect_problem(a.send(Method::PUT, &path, Some(changed.clone())).await, 422).await;
        assert_eq!(fields(&p), [("kind".to_owned(), "immutable".to_owned())]);
        changed["kind"] = json!("offer");
        let edited: Listing = json_of(a.send(Method::PUT, &path, Some(changed)).await, 200, "edit").await;
        assert_eq!((edited.title.as_str(), edited.price_amount), ("La spesa del sabato e della domenica", Some(90)));

        // Closing: out of the catalogue, in my own list; no new exchange.
        assert_eq!(b.delete(&path).await.status(), 403);
        assert_eq!(a.delete(&path).await.status(), 204);
        assert_eq!(a.delete(&path).await.status(), 204, "closing again changes nothing");
        assert!(!ids(&browse(&b, "").await).contains(&spesa.id.0));
        assert!(ids(&browse(&a, "mine=true").await).contains(&spesa.id.0));
        let p = expect_problem(b.post(&format!("{path}/exchanges"), json!({})).await, 409).await;
        assert_eq!(p.code, ErrorCode::ListingClosed);
        let _ = bici;
    }
);

people_test!(
    async fn exchanges_move_by_the_right_party_and_pay_exactly_once(app) {
        let (a, b, c) = three(app).await;
        let staff = app.login("staff").await;
        let listing = publish(&a, offer("La spesa del sabato", 90, "city")).await;

        // Nobody exchanges with themselves; staff are not residents.
        assert_eq!(expect_problem(a.post(&format!("{LISTINGS}/{}/exchanges", listing.id), json!({})).await, 403).await.code, ErrorCode::Forbidden);
        assert_eq!(expect_problem(staff.post(&format!("{LISTINGS}/{}/exchanges", listing.id), json!({})).await, 403).await.code, ErrorCode::Forbidden);
        let p = expect_problem(b.post(&format!("{LISTINGS}/{}/exchanges", listing.id), json!({"minutes": 0, "message": "x".repeat(2001)})).await, 422).await;
        assert_eq!(fields(&p), [("minutes".to_owned(), "out_of_range".to_owned()), ("message".to_owned(), "too_long".to_owned())]);

        // b asks for the help offered: a proposed exchange at the listing's price.
        let e = propose(&b, &listing, json!({"message": "Sabato alle 10?"})).await;
        assert_eq!((e.state, e.minutes), (ExchangeState::Proposed, 90));
        assert_eq!((e.provider.id, e.receiver.id, e.proposed_by), (a.me.id, b.me.id, b.me.id));
        assert!(!e.can.accept && e.can.cancel && !e.can.confirm, "{:?}", e.can);
        let p = expect_problem(b.post(&format!("{LISTINGS}/{}/exchanges", listing.id), json!({})).await, 409).await;
        assert_eq!(p.code, ErrorCode::Conflict, "one live exchange per pair and listing");
        // Only the parties (and staff) see it.
        assert_eq!(expect_problem(c.get(&format!("/api/v1/market/exchanges/{}", e.id)).await, 404).await.code, ErrorCode::NotFound);
        let _: Exchange = staff.get_json(&format!("/api/v1/market/exchanges/{}", e.id)).await;

        // Proposed: only the other side accepts; nothing else moves it forward.
        step_refused(&b, &e, "accept", 403, ErrorCode::Forbidden).await;
        step_refused(&a, &e, "complete", 409, ErrorCode::InvalidTransition).await;
        step_refused(&b, &e, "confirm", 409, ErrorCode::InvalidTransition).await;
        step_refused(&a, &e, "confirm", 403, ErrorCode::Forbidden).await;
        step_refused(&b, &e, "dispute", 409, ErrorCode::InvalidTransition).await;
        step_refused(&c, &e, "accept", 404, ErrorCode::NotFound).await;
        step_refused(&staff, &e, "accept", 403, ErrorCode::Forbidden).await;
        let e = step_ok(&a, &e, "accept").await;
        assert_eq!(e.state, ExchangeState::Accepted);
        assert!(e.accepted_at.is_some());
        assert_eq!(step_ok(&a, &e, "accept").await.state, ExchangeState::Accepted, "a retry changes nothing");

        // Accepted: the provider completes.
        step_refused(&b, &e, "complete", 403, ErrorCode::Forbidden).await;
        step_refused(&b, &e, "confirm", 409, ErrorCode::InvalidTransition).await;
        let e = step_ok(&a, &e, "complete").await;
        assert_eq!(e.state, ExchangeState::Completed);

        // Completed: no cancelling now; only the receiver confirms.
        step_refused(&a, &e, "cancel", 409, ErrorCode::InvalidTransition).await;
        step_refused(&b, &e, "cancel", 409, ErrorCode::InvalidTransition).await;
        step_refused(&a, &e, "confirm", 403, ErrorCode::Forbidden).await;
        step_refused(&staff, &e, "confirm", 403, ErrorCode::Forbidden).await;
        step_refused(&c, &e, "confirm", 404, ErrorCode::NotFound).await;
        let before = (balance(&a).await, balance(&b).await);
        let e = step_ok(&b, &e, "confirm").await;
        assert_eq!(e.state, ExchangeState::Confirmed);
        let transfer = e.transfer_id.expect("paid through the ledger");
        assert_eq!((balance(&a).await, balance(&b).await), (before.0 + 90, before.1 - 90));
        // Retried: the same exchange, nothing moves again.
        let again = step_ok(&b, &e, "confirm").await;
        assert_eq!(again.transfer_id, Some(transfer));
        assert_eq!((balance(&a).await, balance(&b).await), (before.0 + 90, before.1 - 90));
        assert_eq!(ledger::transfer_ids(&mut app.connect(), "exchange"), [transfer.0]);
        let t: cortile_shared::timebank::Transfer = b.get_json(&format!("/api/v1/timebank/transfers/{transfer}")).await;
        assert_eq!(t.kind, cortile_shared::timebank::TransferKind::Exchange);
        step_refused(&a, &e, "cancel", 409, ErrorCode::InvalidTransition).await;
        step_refused(&a, &e, "dispute", 409, ErrorCode::InvalidTransition).await;

        // Each step told the other side, in order.
        let kinds = |list: Vec<Notification>| -> Vec<NotificationKind> { list.into_iter().rev().map(|n| n.kind).collect() };
        assert_eq!(kinds(notes(&a).await), [NotificationKind::ExchangeProposed, NotificationKind::ExchangeConfirmed]);
        assert_eq!(kinds(notes(&b).await), [NotificationKind::ExchangeAccepted, NotificationKind::ExchangeCompleted]);

        // Messages: the parties write and read; others do not see them.
        let thread = format!("/api/v1/market/exchanges/{}/messages", e.id);
        let _: ExchangeMessage = json_of(a.post(&thread, json!({"body": "Grazie a te!"})).await, 201, "message").await;
        let p = expect_problem(a.post(&thread, json!({"body": "  "})).await, 422).await;
        assert_eq!(fields(&p), [("body".to_owned(), "required".to_owned())]);
        let list: Vec<ExchangeMessage> = b.get_json(&thread).await;
        assert_eq!(list.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["Sabato alle 10?", "Grazie a te!"]);
        assert_eq!(c.get(&thread).await.status(), 404);
        assert_eq!(c.post(&thread, json!({"body": "ciao"})).await.status(), 404);

        // Cancelled before completion: by either side; then nothing else.
        let e2 = propose(&c, &listing, json!({})).await;
        let e2 = step_ok(&a, &e2, "accept").await;
        let e2: Exchange = json_of(c.post(&format!("/api/v1/market/exchanges/{}/cancel", e2.id), json!({"reason": "Ho trovato aiuto"})).await, 200, "cancel").await;
        assert_eq!(e2.state, ExchangeState::Cancelled);
        step_refused(&a, &e2, "complete", 409, ErrorCode::InvalidTransition).await;
        step_refused(&c, &e2, "confirm", 409, ErrorCode::InvalidTransition).await;
        assert_eq!(step_ok(&a, &e2, "cancel").await.state, ExchangeState::Cancelled);

        // Two confirmations racing: one payment.
        let e3 = propose(&c, &listing, json!({"minutes": 30})).await;
        step_ok(&a, &e3, "accept").await;
        step_ok(&a, &e3, "complete").await;
        let c_before = balance(&c).await;
        let (r1, r2) = tokio::join!(step(&c, &e3, "confirm"), step(&c, &e3, "confirm"));
        assert_eq!((r1.status().as_u16(), r2.status().as_u16()), (200, 200));
        assert_eq!(balance(&c).await, c_before - 30);
        assert_eq!(ledger::transfer_ids(&mut app.connect(), "exchange").len(), 2);

        // Beyond the credit limit: refused, the exchange stays completed, nothing moves.
        let big = publish(&a, offer("Trasloco", 6000, "city")).await;
        let e4 = propose(&b, &big, json!({})).await;
        step_ok(&a, &e4, "accept").await;
        step_ok(&a, &e4, "complete").await;
        step_refused(&b, &e4, "confirm", 409, ErrorCode::InsufficientBalance).await;
        let e4: Exchange = b.get_json(&format!("/api/v1/market/exchanges/{}", e4.id)).await;
        assert_eq!(e4.state, ExchangeState::Completed);
        assert_eq!(balance(&b).await, before.1 - 90);

        // My exchanges, by state.
        let mine: Page<Exchange> = b.get_json("/api/v1/market/exchanges?state=confirmed").await;
        assert_eq!(mine.items.iter().map(|x| x.id).collect::<Vec<_>>(), [e.id]);
        let p = expect_problem(b.get("/api/v1/market/exchanges?state=lost").await, 422).await;
        assert_eq!(p.errors[0].field, "state");
        check_ledger(app);
    }
);

people_test!(
    async fn staff_resolve_disputes_and_it_is_audited(app) {
        let (a, b, _c) = three(app).await;
        let staff = app.login("staff").await;
        let listing = publish(&a, offer("Montare una mensola", 60, "city")).await;
        let e = propose(&b, &listing, json!({})).await;
        step_ok(&a, &e, "accept").await;
        step_ok(&a, &e, "complete").await;

        // A malformed body is refused, not read as no reason; nothing changes.
        let path = format!("/api/v1/market/exchanges/{}/dispute", e.id);
        let p = expect_problem(b.post(&path, json!({"reason": 42})).await, 400).await;
        assert_eq!(p.code, ErrorCode::BadRequest);
        let cancel = format!("/api/v1/market/exchanges/{}/cancel", e.id);
        expect_problem(b.post(&cancel, json!({"reason": ["x"]})).await, 400).await;
        let still: Exchange = b.get_json(&format!("/api/v1/market/exchanges/{}", e.id)).await;
        assert_eq!(still.state, ExchangeState::Completed);
        // The author makes the listing free meanwhile: what was agreed (60 minutes) stands.
        let mut free = offer("Montare una mensola", 60, "city");
        free["price_type"] = json!("free");
        free["price_amount"] = json!(null);
        let res = a.send(Method::PUT, &format!("/api/v1/market/listings/{}", listing.id), Some(free)).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());

        // A dispute needs a reason; then the exchange waits for staff.
        let p = expect_problem(b.post(&path, json!({"reason": " "})).await, 422).await;
        assert_eq!(fields(&p), [("reason".to_owned(), "required".to_owned())]);
        let e: Exchange = json_of(b.post(&path, json!({"reason": "La mensola è caduta"})).await, 200, "dispute").await;
        assert_eq!((e.state, e.dispute_reason.as_deref()), (ExchangeState::Disputed, Some("La mensola è caduta")));
        step_refused(&b, &e, "confirm", 409, ErrorCode::InvalidTransition).await;
        step_refused(&a, &e, "cancel", 409, ErrorCode::InvalidTransition).await;
        assert!(notes(&a).await.iter().any(|n| n.kind == NotificationKind::ExchangeDisputed));

        // Staff see the disputes; residents do not.
        assert_eq!(expect_problem(b.get("/api/v1/market/disputes").await, 403).await.code, ErrorCode::Forbidden);
        let list: Vec<Exchange> = staff.get_json("/api/v1/market/disputes").await;
        assert_eq!(list.iter().map(|x| x.id).collect::<Vec<_>>(), [e.id]);
        assert!(list[0].can.resolve);

        // Resolving: staff only, with a note; the parties cannot.
        let resolve = format!("/api/v1/market/exchanges/{}/resolution", e.id);
        assert_eq!(expect_problem(b.post(&resolve, json!({"outcome": "cancel", "note": "no"})).await, 403).await.code, ErrorCode::Forbidden);
        let p = expect_problem(staff.post(&resolve, json!({"outcome": "confirm", "minutes": -5, "note": ""})).await, 422).await;
        assert_eq!(fields(&p), [("note".to_owned(), "required".to_owned()), ("minutes".to_owned(), "out_of_range".to_owned())]);
        let (a0, b0) = (balance(&a).await, balance(&b).await);
        // Confirmed in hours with no minutes: that is a cancellation, and refused as a payment.
        let p = expect_problem(staff.post(&resolve, json!({"outcome": "confirm", "minutes": 0, "note": "niente"})).await, 422).await;
        assert_eq!(fields(&p), [("minutes".to_owned(), "out_of_range".to_owned())]);
        let done: Exchange = json_of(
            staff.post(&resolve, json!({"outcome": "confirm", "minutes": 30, "note": "Metà lavoro fatto: 30 minuti"})).await,
            200,
            "resolve",
        )
        .await;
        assert_eq!((done.state, done.minutes), (ExchangeState::Confirmed, 30));
        assert!(done.transfer_id.is_some() && done.resolved_at.is_some());
        assert_eq!((balance(&a).await, balance(&b).await), (a0 + 30, b0 - 30));
        // The same decision again changes nothing; another one is refused.
        let again: Exchange = json_of(staff.post(&resolve, json!({"outcome": "confirm", "note": "di nuovo"})).await, 200, "again").await;
        assert_eq!(again.transfer_id, done.transfer_id);
        assert_eq!(balance(&a).await, a0 + 30);
        let p = expect_problem(staff.post(&resolve, json!({"outcome": "cancel", "note": "ripensamento"})).await, 409).await;
        assert_eq!(p.code, ErrorCode::InvalidTransition);
        assert!(staff.get_json::<Vec<Exchange>>("/api/v1/market/disputes").await.is_empty());
        // Both parties told; the decision is in the audit log with its note.
        for s in [&a, &b] {
            assert!(notes(s).await.iter().any(|n| n.kind == NotificationKind::ExchangeResolved));
        }
        let admin = app.login("admin").await;
        let audited: Page<AuditEntry> = admin.get_json("/api/v1/audit?action=market.exchange.resolve").await;
        assert_eq!(audited.items.len(), 1);
        assert_eq!(audited.items[0].purpose.as_deref(), Some("Metà lavoro fatto: 30 minuti"));
        assert_eq!(audited.items[0].object_id, Some(e.id.0));
        // Staff reading a dispute and its messages leave a record; the parties do not.
        let _: Exchange = b.get_json(&format!("/api/v1/market/exchanges/{}", e.id)).await;
        let _: Vec<serde_json::Value> = b.get_json(&format!("/api/v1/market/exchanges/{}/messages", e.id)).await;
        let _: Exchange = staff.get_json(&format!("/api/v1/market/exchanges/{}", e.id)).await;
        let _: Vec<serde_json::Value> = staff.get_json(&format!("/api/v1/market/exchanges/{}/messages", e.id)).await;
        for action in ["market.exchange.read", "market.exchange.read_messages"] {
            let page: Page<AuditEntry> = admin.get_json(&format!("/api/v1/audit?action={action}")).await;
            assert_eq!(page.items.len(), 1, "{action}");
            assert_eq!(page.items[0].actor.as_ref().map(|u| u.id), Some(staff.me.id), "{action}");
            assert_eq!(page.items[0].object_id, Some(e.id.0), "{action}");
        }

        // Disputed before completion, cancelled by staff: nothing paid.
        let e2 = propose(&b, &listing, json!({})).await;
        step_ok(&a, &e2, "accept").await;
        let _: Exchange = json_of(a.post(&format!("/api/v1/market/exchanges/{}/dispute", e2.id), json!({"reason": "Non si è presentato"})).await, 200, "dispute").await;
        let resolve2 = format!("/api/v1/market/exchanges/{}/resolution", e2.id);
        let p = expect_problem(staff.post(&resolve2, json!({"outcome": "cancel", "minutes": 10, "note": "x"})).await, 422).await;
        assert_eq!(fields(&p), [("minutes".to_owned(), "not_allowed".to_owned())]);
        let cancelled: Exchange = json_of(staff.post(&resolve2, json!({"outcome": "cancel", "note": "Nessuno scambio"})).await, 200, "cancel").await;
        assert_eq!((cancelled.state, cancelled.transfer_id), (ExchangeState::Cancelled, None));
        assert_eq!(balance(&b).await, b0 - 30);
        check_ledger(app);
    }
);

people_test!(
    async fn reviews_come_after_confirmation_one_per_side(app) {
        let (a, b, c) = three(app).await;
        let staff = app.login("staff").await;
        let listing = publish(&a, offer("Aggiustare il rubinetto", 45, "estate")).await;
        let e = propose(&b, &listing, json!({})).await;
        let reviews = format!("/api/v1/market/exchanges/{}/reviews", e.id);
        let p = expect_problem(b.post(&reviews, json!({"rating": 5, "body": "Bravo"})).await, 409).await;
        assert_eq!(p.code, ErrorCode::InvalidTransition, "not before confirmation");
        step_ok(&a, &e, "accept").await;
        step_ok(&a, &e, "complete").await;
        let e = step_ok(&b, &e, "confirm").await;
        assert!(e.can.review);

        let p = expect_problem(b.post(&reviews, json!({"rating": 6})).await, 422).await;
        assert_eq!(fields(&p), [("rating".to_owned(), "out_of_range".to_owned())]);
        assert_eq!(c.post(&reviews, json!({"rating": 1})).await.status(), 404);
        assert_eq!(expect_problem(staff.post(&reviews, json!({"rating": 1})).await, 403).await.code, ErrorCode::Forbidden);
        let r: Review = json_of(b.post(&reviews, json!({"rating": 5, "body": "Puntuale e gentile"})).await, 201, "b reviews").await;
        assert_eq!((r.author.id, r.subject.id, r.rating), (b.me.id, a.me.id, 5));
        let p = expect_problem(b.post(&reviews, json!({"rating": 4})).await, 409).await;
        assert_eq!(p.code, ErrorCode::AlreadyReviewed);
        let _: Review = json_of(a.post(&reviews, json!({"rating": 4, "body": "Grazie"})).await, 201, "a reviews").await;
        let p = expect_problem(a.post(&reviews, json!({"rating": 4})).await, 409).await;
        assert_eq!(p.code, ErrorCode::AlreadyReviewed);
        let both: Vec<Review> = a.get_json(&reviews).await;
        assert_eq!(both.len(), 2);
        let seen: Exchange = b.get_json(&format!("/api/v1/market/exchanges/{}", e.id)).await;
        assert!(seen.reviewed && !seen.can.review);
        assert!(notes(&a).await.iter().any(|n| n.kind == NotificationKind::ReviewReceived));

        // What others said of a member: anyone signed in reads it.
        let of_a: MemberReviews = c.get_json(&format!("/api/v1/market/members/{}/reviews", a.me.id)).await;
        assert_eq!((of_a.count, of_a.average), (1, Some(5.0)));
        assert_eq!(of_a.reviews[0].body, "Puntuale e gentile");
        // c lives elsewhere and may not see the estate's listing: not even its title.
        assert_eq!(of_a.reviews[0].listing_title, None);
        let by_b: MemberReviews = b.get_json(&format!("/api/v1/market/members/{}/reviews", a.me.id)).await;
        assert_eq!(by_b.reviews[0].listing_title.as_deref(), Some("Aggiustare il rubinetto"));
        assert_eq!(c.get("/api/v1/market/members/99999999/reviews").await.status(), 404);
        // Nobody learns the names of people who are not in the market: staff were never
        // reviewed and publish nothing.
        assert_eq!(c.get(&format!("/api/v1/market/members/{}/reviews", staff.me.id)).await.status(), 404);
        // Someone with a listing the reader sees, not yet reviewed: an empty page.
        let _ = publish(&c, offer("Lezioni di chitarra", 60, "city")).await;
        let of_c: MemberReviews = b.get_json(&format!("/api/v1/market/members/{}/reviews", c.me.id)).await;
        assert_eq!((of_c.count, of_c.reviews.len()), (0, 0));
        // Each reads their own page.
        let mine: MemberReviews = staff.get_json(&format!("/api/v1/market/members/{}/reviews", staff.me.id)).await;
        assert_eq!(mine.count, 0);
    }
);

people_test!(
    async fn an_erased_account_leaves_the_market(app) {
        let (a, b, _c) = three(app).await;
        let staff = app.login("staff").await;
        let own = publish(&a, offer("Spesa al mercato", 30, "city")).await;
        let org: Organisation = json_of(
            a.post("/api/v1/market/organisations", json!({"name": "Orto condiviso", "kind": "social_enterprise"})).await,
            201,
            "organisation",
        )
        .await;
        let _: Organisation = json_of(staff.post(&format!("/api/v1/market/organisations/{}/verification", org.id), json!({})).await, 200, "verify").await;
        let _: Organisation = json_of(a.post(&format!("/api/v1/market/organisations/{}/members", org.id), json!({"user_id": b.me.id})).await, 200, "add b").await;
        let for_org = publish(&a, json!({"kind": "offer", "category": "gardening", "title": "Piantine",
            "price_type": "free", "reach": "city", "organisation_id": org.id})).await;

        // b has asked for her help, and she accepted: not done yet.
        let asked = propose(&b, &own, json!({})).await;
        step_ok(&a, &asked, "accept").await;

        let res = a.send(Method::DELETE, "/api/v1/me", Some(json!({"confirm": "CANCELLA"}))).await;
        assert_eq!(res.status(), 204, "{}", res.text().await.unwrap_or_default());
        // The exchange is cancelled, and b is told.
        let after: Exchange = b.get_json(&format!("/api/v1/market/exchanges/{}", asked.id)).await;
        assert_eq!(after.state, ExchangeState::Cancelled);
        assert!(notes(&b).await.iter().any(|n| n.kind == NotificationKind::ExchangeCancelled));
        // Her own listing closed: nobody offers to someone who is gone.
        let gone: Listing = b.get_json(&format!("{LISTINGS}/{}", own.id)).await;
        assert_eq!(gone.status, ListingStatus::Closed);
        let p = expect_problem(b.post(&format!("{LISTINGS}/{}/exchanges", own.id), json!({})).await, 409).await;
        assert_eq!(p.code, ErrorCode::ListingClosed);
        // The one she wrote for the organisation closes too (an exchange is with its author);
        // she is no longer a member.
        let closed: Listing = b.get_json(&format!("{LISTINGS}/{}", for_org.id)).await;
        assert_eq!(closed.status, ListingStatus::Closed);
        let orgs: Vec<Organisation> = b.get_json("/api/v1/market/organisations").await;
        let o = orgs.iter().find(|o| o.id == org.id).expect("the organisation");
        assert_eq!(o.members.iter().map(|m| m.id).collect::<Vec<_>>(), [b.me.id]);
    }
);

people_test!(
    async fn a_listing_published_again_with_its_key_is_made_once(app) {
        let (a, _b, _c) = three(app).await;
        let photo = upload(&a, jpeg(20, 14)).await;
        let mut body = offer("Riparo sedie", 45, "estate");
        body["images"] = json!([{"upload": photo.id, "alt": "Una sedia impagliata"}]);
        let first = a.post_keyed(LISTINGS, "listing-1", body.clone()).await;
        assert_eq!(first.status(), 201);
        assert!(first.headers().get("idempotent-replayed").is_none());
        let first: Listing = first.json().await.expect("the listing");
        // The answer was lost; the same request again: the same listing, photo and all.
        let again = a.post_keyed(LISTINGS, "listing-1", body.clone()).await;
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        let again: Listing = again.json().await.expect("the listing again");
        assert_eq!(again, first);
        assert_eq!(browse(&a, "mine=true").await.len(), 1);
        // The key with another request is refused; a malformed key too; nothing made.
        body["title"] = json!("Riparo tavoli");
        let p = expect_problem(a.post_keyed(LISTINGS, "listing-1", body.clone()).await, 422).await;
        assert_eq!(p.code, ErrorCode::IdempotencyKeyReused);
        let p = expect_problem(a.post_keyed(LISTINGS, "due parole", body).await, 400).await;
        assert_eq!(p.code, ErrorCode::IdempotencyKeyMissing);
        assert_eq!(fields(&p), [("Idempotency-Key".to_owned(), "invalid_format".to_owned())]);
        assert_eq!(browse(&a, "mine=true").await.len(), 1);
    }
);

people_test!(
    async fn offers_made_at_the_same_moment_all_land(app) {
        // Each proposal locks its listing and counts itself on it: two at once must queue, not
        // deadlock (PostgreSQL would abort one of them).
        let (a, b, c) = three(app).await;
        for i in 0..10 {
            let need = publish(&b, json!({"kind": "request", "category": "errands", "title": format!("Spesa {i}"),
                "price_type": "hours", "price_amount": 30, "reach": "city"})).await;
            let path = format!("{LISTINGS}/{}/exchanges", need.id);
            let (x, y) = tokio::join!(a.post(&path, json!({})), c.post(&path, json!({})));
            let statuses = (x.status().as_u16(), y.status().as_u16());
            assert_eq!(statuses, (201, 201), "round {i}: {} / {}", x.text().await.unwrap_or_default(), y.text().await.unwrap_or_default());
            let listed: Listing = b.get_json(&format!("{LISTINGS}/{}", need.id)).await;
            assert_eq!(listed.exchanges_count, 2, "round {i}");
        }
    }
);

people_test!(
    async fn a_request_collects_offers_from_several_people(app) {
        let (a, b, c) = three(app).await;
        let need = publish(&b, json!({"kind": "request", "category": "digital_help", "title": "Aiuto con lo SPID",
            "price_type": "hours", "price_amount": 60, "reach": "city"})).await;
        let from_a = propose(&a, &need, json!({"message": "Posso venire martedì"})).await;
        let from_c = propose(&c, &need, json!({"minutes": 45})).await;
        // The offerer provides, the author receives.
        assert_eq!((from_a.provider.id, from_a.receiver.id), (a.me.id, b.me.id));
        assert_eq!(from_c.minutes, 45);
        let listed: Listing = b.get_json(&format!("{LISTINGS}/{}", need.id)).await;
        assert_eq!(listed.exchanges_count, 2);
        let all: Vec<Exchange> = b.get_json(&format!("{LISTINGS}/{}/exchanges", need.id)).await;
        assert_eq!(all.len(), 2);
        let own: Vec<Exchange> = a.get_json(&format!("{LISTINGS}/{}/exchanges", need.id)).await;
        assert_eq!(own.iter().map(|x| x.id).collect::<Vec<_>>(), [from_a.id]);
        // The author accepts one offer (the offerer proposed, so cannot accept it).
        step_refused(&a, &from_a, "accept", 403, ErrorCode::Forbidden).await;
        let accepted = step_ok(&b, &from_a, "accept").await;
        assert_eq!(accepted.state, ExchangeState::Accepted);
        let other: Exchange = c.get_json(&format!("/api/v1/market/exchanges/{}", from_c.id)).await;
        assert_eq!(other.state, ExchangeState::Proposed);
        // The provider completes, the author confirms and pays.
        step_ok(&a, &from_a, "complete").await;
        let b0 = balance(&b).await;
        step_ok(&b, &from_a, "confirm").await;
        assert_eq!(balance(&b).await, b0 - 60);
        assert_eq!(balance(&a).await, 60);
    }
);

people_test!(
    async fn organisations_publish_once_verified(app) {
        let (a, b, _c) = three(app).await;
        let staff = app.login("staff").await;
        let p = expect_problem(a.post("/api/v1/market/organisations", json!({"name": "", "kind": "shop"})).await, 422).await;
        assert_eq!(fields(&p), [("name".to_owned(), "required".to_owned())]);
        let org: Organisation = json_of(
            a.post("/api/v1/market/organisations", json!({"name": "Ciclofficina Sociale", "kind": "social_enterprise"})).await,
            201,
            "organisation",
        )
        .await;
        assert!(!org.verified && org.member);
        let p = expect_problem(b.post("/api/v1/market/organisations", json!({"name": "Ciclofficina Sociale", "kind": "shop"})).await, 409).await;
        assert_eq!(p.code, ErrorCode::Conflict);
        // Not verified yet: not listed for others, no listing in its name.
        assert!(b.get_json::<Vec<Organisation>>("/api/v1/market/organisations").await.is_empty());
        let body = json!({"kind": "offer", "category": "small_repairs", "title": "Riparazione bici",
            "price_type": "euro", "price_amount": 1000, "reach": "city", "organisation_id": org.id});
        assert_eq!(expect_problem(a.post(LISTINGS, body.clone()).await, 403).await.code, ErrorCode::Forbidden);
        // Staff verify (audited); the founder is told.
        let verify = format!("/api/v1/market/organisations/{}/verification", org.id);
        assert_eq!(expect_problem(a.post(&verify, json!({})).await, 403).await.code, ErrorCode::Forbidden);
        let verified: Organisation = json_of(staff.post(&verify, json!({})).await, 200, "verify").await;
        assert!(verified.verified);
        assert!(notes(&a).await.iter().any(|n| n.kind == NotificationKind::OrganisationVerified));
        let mut hours = body.clone();
        hours["price_type"] = json!("hours");
        hours["price_amount"] = json!(60);
        let p = expect_problem(a.post(LISTINGS, hours).await, 422).await;
        assert_eq!(fields(&p), [("price_type".to_owned(), "not_allowed".to_owned())]);
        let listing = publish(&a, body).await;
        assert_eq!(listing.organisation.as_ref().map(|o| o.id), Some(org.id));
        // b is not a member: may not edit it, nor add members; then a adds b.
        let members = format!("/api/v1/market/organisations/{}/members", org.id);
        assert_eq!(expect_problem(b.post(&members, json!({"user_id": b.me.id})).await, 403).await.code, ErrorCode::Forbidden);
        let p = expect_problem(a.post(&members, json!({"user_id": 99999999})).await, 422).await;
        assert_eq!(fields(&p), [("user_id".to_owned(), "unknown".to_owned())]);
        // Someone a shares no community with is as unknown: adding is no way to learn names.
        let stranger = resident(app, estate_of(&a), false).await;
        let p = expect_problem(a.post(&members, json!({"user_id": stranger.me.id})).await, 422).await;
        assert_eq!(fields(&p), [("user_id".to_owned(), "unknown".to_owned())]);
        let with_b: Organisation = json_of(a.post(&members, json!({"user_id": b.me.id})).await, 200, "add").await;
        assert_eq!(with_b.members.len(), 2);
        // Staff add the stranger, who lives in another estate: a listing of the organisation
        // for a's estate is not there for them, to change or to close; nothing changes.
        let _: Organisation = json_of(staff.post(&members, json!({"user_id": stranger.me.id})).await, 200, "staff add").await;
        let mut local = json!({"kind": "offer", "category": "small_repairs", "title": "Bici del cortile",
            "price_type": "free", "reach": "estate", "organisation_id": org.id});
        let here = publish(&a, local.clone()).await;
        local["title"] = json!("Bici di nessuno");
        let path = format!("{LISTINGS}/{}", here.id);
        assert_eq!(stranger.send(Method::PUT, &path, Some(local.clone())).await.status(), 404);
        assert_eq!(stranger.delete(&path).await.status(), 404);
        let unchanged: Listing = a.get_json(&path).await;
        assert_eq!((unchanged.title.as_str(), unchanged.status), ("Bici del cortile", ListingStatus::Open));
        // An edit publishes anew: an organisation's listing is not priced in hours then either.
        local["title"] = json!("Bici del cortile");
        local["price_type"] = json!("hours");
        local["price_amount"] = json!(60);
        let p = expect_problem(a.send(Method::PUT, &path, Some(local)).await, 422).await;
        assert_eq!(fields(&p), [("price_type".to_owned(), "not_allowed".to_owned())]);
        let as_member: Listing = b.get_json(&format!("{LISTINGS}/{}", listing.id)).await;
        assert!(as_member.can_edit && !as_member.mine);
        assert_eq!(b.delete(&format!("{LISTINGS}/{}", listing.id)).await.status(), 204, "members manage its listings");
        // Euro exchanges move no minutes.
        let l2 = publish(&a, json!({"kind": "offer", "category": "small_repairs", "title": "Cambio gomme",
            "price_type": "euro", "price_amount": 800, "reach": "city", "organisation_id": org.id})).await;
        let c = resident(app, estate_of(&a), false).await;
        let p = expect_problem(c.post(&format!("{LISTINGS}/{}/exchanges", l2.id), json!({"minutes": 30})).await, 422).await;
        assert_eq!(fields(&p), [("minutes".to_owned(), "not_allowed".to_owned())]);
        let e = propose(&c, &l2, json!({})).await;
        assert_eq!(e.minutes, 0);
        step_ok(&a, &e, "accept").await;
        step_ok(&a, &e, "complete").await;
        let (a0, c0) = (balance(&a).await, balance(&c).await);
        let e = step_ok(&c, &e, "confirm").await;
        assert_eq!((e.state, e.transfer_id), (ExchangeState::Confirmed, None));
        assert_eq!((balance(&a).await, balance(&c).await), (a0, c0));
    }
);

people_test!(
    async fn the_monthly_report_counts_hours_apart_from_marketplace_contacts(app) {
        let (a, b, c) = three(app).await;
        let report = |month: &str| format!("/api/v1/market/reports/monthly?month={month}");
        // Paid exchanges this month: a→b 60 and 30 in a's estate; c→a 15 in c's.
        let mine = publish(&a, offer("Spesa", 60, "estate")).await;
        let mut paid = Vec::new();
        for minutes in [60, 30] {
            let e = propose(&b, &mine, json!({"minutes": minutes})).await;
            step_ok(&a, &e, "accept").await;
            step_ok(&a, &e, "complete").await;
            paid.push(step_ok(&b, &e, "confirm").await.transfer_id.expect("paid"));
        }
        let theirs = publish(&c, offer("Compagnia", 15, "city")).await;
        let e = propose(&a, &theirs, json!({})).await;
        step_ok(&c, &e, "accept").await;
        step_ok(&c, &e, "complete").await;
        step_ok(&a, &e, "confirm").await;
        // A cancelled one counts for nothing.
        let e = propose(&b, &theirs, json!({})).await;
        step_ok(&b, &e, "cancel").await;
        // A free exchange in a's estate: a marketplace contact, no hours.
        let free = publish(&b, json!({"kind": "offer", "category": "gardening", "title": "Piantine di basilico",
            "price_type": "free", "reach": "city"})).await;
        let e = propose(&c, &free, json!({})).await;
        step_ok(&b, &e, "accept").await;
        step_ok(&b, &e, "complete").await;
        assert_eq!(step_ok(&c, &e, "confirm").await.transfer_id, None);
        // A direct transfer from b (a's estate) to c: hours, without an exchange.
        let res = b
            .post_keyed("/api/v1/timebank/transfers", "report-1", json!({"to": c.me.id, "minutes": 20, "memo": "Grazie"}))
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());

        // Months are Rome's.
        let this_month = cortile_shared::dates::rome_time(chrono::Utc::now()).format("%Y-%m").to_string();
        // Public: anyone reads it.
        let r: MonthlyReport = app.get_json(&report(&this_month)).await;
        assert_eq!(r.month, this_month);
        assert_eq!(
            (r.hour_exchanges, r.hour_transfers, r.minutes_exchanged, r.marketplace_contacts, r.active_members),
            (3, 1, 125, 1, 3)
        );
        let here = r.estates.iter().find(|x| x.estate.id.0 == estate_of(&a)).expect("a's estate");
        assert_eq!(
            (here.hour_exchanges, here.hour_transfers, here.minutes_exchanged, here.marketplace_contacts, here.active_members),
            (2, 1, 110, 1, 3)
        );
        let there = r.estates.iter().find(|x| x.estate.id.0 == estate_of(&c)).expect("c's estate");
        assert_eq!(
            (there.hour_exchanges, there.hour_transfers, there.minutes_exchanged, there.marketplace_contacts, there.active_members),
            (1, 0, 15, 0, 2)
        );
        assert_eq!(r.estates.iter().map(|x| x.hour_exchanges).sum::<i64>(), 3);
        let default: MonthlyReport = app.get_json("/api/v1/market/reports/monthly").await;
        assert_eq!(default, r);
        let empty: MonthlyReport = app.get_json(&report("2020-01")).await;
        assert_eq!(
            (empty.hour_exchanges, empty.hour_transfers, empty.minutes_exchanged, empty.marketplace_contacts, empty.active_members),
            (0, 0, 0, 0, 0)
        );
        assert!(empty.estates.iter().all(|x| x.hour_exchanges == 0 && x.marketplace_contacts == 0));
        let p = app.get_problem(&report("2026-13"), 422).await;
        assert_eq!(p.errors[0].field, "month");

        // Staff reverse the 30 minutes' payment: that exchange counts nowhere any more.
        let staff = app.login("staff").await;
        let res = staff
            .post(&format!("/api/v1/timebank/transfers/{}/reversal", paid[1]), json!({"reason": "Pagato due volte"}))
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());
        let r: MonthlyReport = app.get_json(&report(&this_month)).await;
        assert_eq!((r.hour_exchanges, r.hour_transfers, r.minutes_exchanged), (2, 1, 95));
        let here = r.estates.iter().find(|x| x.estate.id.0 == estate_of(&a)).expect("a's estate");
        assert_eq!((here.hour_exchanges, here.minutes_exchanged), (1, 80));
    }
);

people_test!(
    async fn an_operator_assisting_a_resident_proposes_and_confirms_and_both_are_audited(app) {
        let (a, b, _c) = three(app).await;
        let operator = app.login("operatore").await;
        let listing = publish(&a, offer("Accompagnare dal medico", 60, "city")).await;
        let me: cortile_shared::auth::Me = json_of(
            operator
                .post("/api/v1/assist", json!({"user_id": b.me.id, "purpose": "telefonata: non usa lo smartphone"}))
                .await,
            200,
            "assist",
        )
        .await;
        assert_eq!(me.id, b.me.id);
        // The operator proposes for b; b is the receiver.
        let e = propose(&operator, &listing, json!({"message": "Per la signora, martedì"})).await;
        assert_eq!((e.receiver.id, e.proposed_by), (b.me.id, b.me.id));
        step_ok(&a, &e, "accept").await;
        step_ok(&a, &e, "complete").await;
        // ...and confirms for b: b pays.
        let (a0, b0) = (balance(&a).await, balance(&b).await);
        let done = step_ok(&operator, &e, "confirm").await;
        assert_eq!(done.state, ExchangeState::Confirmed);
        assert_eq!((balance(&a).await, balance(&b).await), (a0 + 60, b0 - 60));
        // ...reviews for b and publishes for b: audited too.
        let _: Review = json_of(
            operator.post(&format!("/api/v1/market/exchanges/{}/reviews", e.id), json!({"rating": 5})).await,
            201,
            "review for b",
        )
        .await;
        let for_b = publish(&operator, offer("Annaffiare le piante", 30, "city")).await;
        assert_eq!(for_b.author.id, b.me.id);
        let _: cortile_shared::auth::Me = json_of(operator.delete("/api/v1/assist").await, 200, "stop").await;

        // Both acts are in the audit log with the operator and the resident.
        let admin = app.login("admin").await;
        for (action, object) in [
            ("market.exchange.propose", e.id.0),
            ("market.exchange.confirm", e.id.0),
            ("market.review", e.id.0),
            ("market.listing.create", for_b.id.0),
        ] {
            let page: Page<AuditEntry> = admin.get_json(&format!("/api/v1/audit?action={action}")).await;
            assert_eq!(page.items.len(), 1, "{action}");
            let entry = &page.items[0];
            assert_eq!(entry.actor.as_ref().map(|u| u.id), Some(operator.me.id), "{action}");
            assert_eq!(entry.on_behalf_of.as_ref().map(|u| u.id), Some(b.me.id), "{action}");
            assert_eq!(entry.object_id, Some(object), "{action}");
        }
        // a published alone: not audited.
        let created: Page<AuditEntry> = admin.get_json("/api/v1/audit?action=market.listing.create").await;
        assert!(created.items.iter().all(|x| x.object_id != Some(listing.id.0)));
        // a acted alone: nothing of a's steps is audited as assisted.
        let accepted: Page<AuditEntry> = admin.get_json("/api/v1/audit?action=market.exchange.accept").await;
        assert!(accepted.items.is_empty());
        check_ledger(app);
    }
);

people_test!(
    async fn listings_take_photos_seen_by_whoever_may_read_them(app) {
        let (a, b, c) = three(app).await;
        let mut mine = Vec::new();
        for i in 0..7 {
            mine.push(upload(&a, jpeg(16 + i, 12)).await);
        }
        let refs = |n: usize| -> Vec<serde_json::Value> {
            mine.iter()
                .take(n)
                .enumerate()
                .map(|(i, u)| json!({"upload": u.id, "alt": format!("Foto {i} della bici")}))
                .collect()
        };
        let with = |images: Vec<serde_json::Value>| {
            let mut body = offer("Riparo biciclette", 60, "estate");
            body["images"] = json!(images);
            body
        };
        // Seven: too many. A missing alt text, with the other bad fields. Someone else's upload.
        let p = expect_problem(a.post(LISTINGS, with(refs(7))).await, 422).await;
        assert_eq!(fields(&p), [("images".to_owned(), "too_many".to_owned())]);
        let mut missing = with(refs(2));
        missing["images"][1]["alt"] = json!("  ");
        missing["title"] = json!("x");
        let p = expect_problem(a.post(LISTINGS, missing).await, 422).await;
        assert_eq!(fields(&p), [("title".to_owned(), "required".to_owned()), ("images[1].alt".to_owned(), "required".to_owned())]);
        let theirs = upload(&b, jpeg(10, 10)).await;
        let mut stolen = refs(1);
        stolen.push(json!({"upload": theirs.id, "alt": "Non mia"}));
        let p = expect_problem(a.post(LISTINGS, with(stolen)).await, 422).await;
        assert_eq!(fields(&p), [("images[1].upload".to_owned(), "not_available".to_owned())]);
        // Refused: nothing written, nothing attached.
        let attached: i64 = listing_images::table.count().get_result(&mut app.connect()).expect("count");
        assert_eq!(attached, 0);
        assert!(browse(&a, "mine=true").await.is_empty());

        // Three photos, in order; the estate's neighbours see them in the list and the page.
        let listing = publish(&a, with(refs(3))).await;
        let alts: Vec<&str> = listing.images.iter().map(|i| i.alt.as_str()).collect();
        assert_eq!(alts, ["Foto 0 della bici", "Foto 1 della bici", "Foto 2 della bici"]);
        assert_eq!((listing.images[1].width, listing.images[1].height), (17, 12));
        let listed = browse(&b, "").await;
        assert_eq!(listed[0].images, listing.images, "the first is the list's thumbnail");
        let seen: Listing = b.get_json(&format!("{LISTINGS}/{}", listing.id)).await;
        assert_eq!(seen.images, listing.images);
        assert_eq!(b.get(&listing.images[0].url).await.status(), 200);
        let staff = app.login("staff").await;
        assert_eq!(staff.get(&listing.images[0].url).await.status(), 200);
        // Another estate's resident may not read the listing: nor its photos (404).
        let p = expect_problem(c.get(&listing.images[0].url).await, 404).await;
        assert_eq!(p.code, ErrorCode::NotFound);
        // Attached: another listing cannot take it.
        let p = expect_problem(a.post(LISTINGS, with(vec![json!({"upload": mine[0].id, "alt": "x"})])).await, 422).await;
        assert_eq!(fields(&p), [("images[0].upload".to_owned(), "not_available".to_owned())]);

        // Editing: reorder, drop one, add one; the dropped one is gone.
        let path = format!("{LISTINGS}/{}", listing.id);
        let edit = with(vec![
            json!({"upload": mine[2].id, "alt": "Foto 2 della bici"}),
            json!({"upload": mine[3].id, "alt": "La ruota nuova"}),
            json!({"upload": mine[0].id, "alt": "Foto 0 della bici"}),
        ]);
        let edited: Listing = json_of(a.send(Method::PUT, &path, Some(edit)).await, 200, "edit").await;
        let order: Vec<&str> = edited.images.iter().map(|i| i.upload.0.as_str()).collect();
        assert_eq!(order, [mine[2].id.0.as_str(), mine[3].id.0.as_str(), mine[0].id.0.as_str()]);
        expect_problem(a.get(&mine[1].url).await, 404).await;
        // Not the author: refused, nothing changes.
        let res = b.send(Method::PUT, &path, Some(with(vec![]))).await;
        assert_eq!(expect_problem(res, 403).await.code, ErrorCode::Forbidden);
        // A bad edit changes nothing either.
        let dup = with(vec![json!({"upload": mine[2].id, "alt": "a"}), json!({"upload": mine[2].id, "alt": "b"})]);
        let p = expect_problem(a.send(Method::PUT, &path, Some(dup)).await, 422).await;
        assert_eq!(fields(&p), [("images[1].upload".to_owned(), "duplicate".to_owned())]);
        // An edit without images keeps them.
        let kept: Listing = json_of(a.send(Method::PUT, &path, Some(offer("Riparo biciclette", 45, "estate"))).await, 200, "edit").await;
        assert_eq!((kept.images.clone(), kept.price_amount), (edited.images.clone(), Some(45)));
        // An empty list removes them all.
        let bare: Listing = json_of(a.send(Method::PUT, &path, Some(with(vec![]))).await, 200, "edit").await;
        assert!(bare.images.is_empty());
        expect_problem(b.get(&mine[0].url).await, 404).await;
    }
);
