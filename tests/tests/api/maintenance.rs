//! Maintenance reports on both databases: the workflow with every role, forbidden transitions
//! and their problem codes, "me too", merging, reopening, auto-close, SLA and overdue flags,
//! internal notes, the views, and Open311 GeoReport v2 (shape and privacy).

use chrono::{Duration, Utc};
use cortile::db::schema::{household_members, households, persons, reports, units};
use cortile_shared::maintenance::{
    Board, BulkResult, Priority, Report, ReportStatus, ReportSummary, Visibility,
};
use cortile_shared::Page;
use cortile_tests::{expect_problem, json_of, people_test, Session, TestApp};
use diesel::prelude::*;
use serde_json::{json, Value};

/// Logs in a second resident of the demo resident's building (another household).
async fn neighbour(app: &TestApp, resident: &Session, username: &str) -> Session {
    let home = &resident.me.residence.as_ref().expect("a resident").home;
    let mut conn = app.connect();
    let taken: Vec<String> = cortile::db::schema::users::table
        .filter(cortile::db::schema::users::fiscal_code.is_not_null())
        .select(cortile::db::schema::users::fiscal_code.assume_not_null())
        .load(&mut conn)
        .expect("codes");
    let code: String = household_members::table
        .inner_join(persons::table)
        .inner_join(households::table.inner_join(units::table))
        .filter(units::building_id.eq(home.building_id.0))
        .filter(households::id.ne(resident.me.residence.as_ref().expect("home").household_id.0))
        .filter(households::contract_status.eq("active"))
        .filter(household_members::ended_at.is_null())
        .filter(persons::fiscal_code.ne_all(taken))
        .order(persons::id)
        .select(persons::fiscal_code)
        .first(&mut conn)
        .expect("a neighbour in the same building");
    cortile::auth::account::create_account(
        &mut conn,
        &cortile::auth::account::AccountSpec {
            username: username.into(),
            display_name: Some(format!("Vicina {username}")),
            role: "resident".into(),
            scope: None,
            fiscal_code: Some(code),
            password: cortile_tests::DEMO_PASSWORD.into(),
        },
        Utc::now().naive_utc(),
    )
    .expect("account");
    app.login(username).await
}

async fn status(s: &Session, id: i64, body: Value) -> reqwest::Response {
    s.post(&format!("/api/v1/maintenance/reports/{id}/status"), body)
        .await
}

async fn report(s: &Session, id: i64) -> Report {
    s.get_json(&format!("/api/v1/maintenance/reports/{id}"))
        .await
}

async fn new_report(s: &Session, body: Value) -> Report {
    json_of(
        s.post("/api/v1/maintenance/reports", body).await,
        201,
        "report",
    )
    .await
}

people_test!(
    async fn the_workflow_by_role(app) {
        let inquilino = app.login("inquilino").await;
        let vicina = neighbour(app, &inquilino, "vicina").await;
        let staff = app.login("staff").await;
        let operatore = app.login("operatore").await;
        let custode = app.login("custode").await;
        let comitato = app.login("comitato").await;
        let amministratore = app.login("amministratore").await;
        let richiedente = app.login("richiedente").await;
        let building = inquilino.me.residence.as_ref().expect("home").home.building_id.0;

        // A leak, with a photo.
        let photo: cortile_shared::upload::Upload = json_of(
            inquilino.upload("image/jpeg", cortile_tests::images::jpeg(40, 30)).await,
            201,
            "upload",
        )
        .await;
        let r = new_report(
            &inquilino,
            json!({"category": "water", "place": "building",
                   "description": "Perdita d'acqua in cantina\n\nDa due giorni.",
                   "images": [{"upload": photo.id, "alt": "Acqua sul pavimento"}]}),
        )
        .await;
        let id = r.summary.id;
        assert_eq!(r.summary.status, ReportStatus::New);
        assert_eq!(r.summary.priority, Priority::High);
        assert_eq!(r.summary.summary, "Perdita d'acqua in cantina");
        assert!(!r.summary.overdue);
        let hours = (r.summary.sla_due_at - r.summary.created_at).num_hours();
        assert_eq!(hours, 72, "water, high: 72 hours");
        assert_eq!(r.images.len(), 1);
        assert_eq!(r.history.len(), 1);
        assert!(r.abilities.transitions.is_empty(), "the reporter cannot acknowledge");

        // Bad input: 422 with the field; a home needs a residence.
        let p = expect_problem(
            staff
                .post("/api/v1/maintenance/reports", json!({"category": "lift", "place": "home", "description": "x"}))
                .await,
            422,
        )
        .await;
        assert_eq!(p.errors[0].field, "place");
        let p = expect_problem(
            inquilino
                .post("/api/v1/maintenance/reports", json!({"category": "lift", "place": "point", "point": {"lat": 1.0, "lon": 1.0}, "description": "Buca"}))
                .await,
            422,
        )
        .await;
        assert_eq!(p.errors[0].code, "outside_estates");

        // The neighbour sees it before reporting the same, and says "me too".
        let similar: Vec<ReportSummary> = vicina
            .get_json("/api/v1/maintenance/reports/similar?category=water")
            .await;
        assert!(similar.iter().any(|s| s.id == id));
        let none: Vec<ReportSummary> = vicina
            .get_json("/api/v1/maintenance/reports/similar?category=lift")
            .await;
        assert!(none.iter().all(|s| s.id != id));
        let res = vicina.send(reqwest::Method::PUT, &format!("/api/v1/maintenance/reports/{id}/support"), None).await;
        let sup: Value = json_of(res, 200, "support").await;
        assert_eq!(sup["supporters"], 1);
        let res = vicina.send(reqwest::Method::PUT, &format!("/api/v1/maintenance/reports/{id}/support"), None).await;
        let sup: Value = json_of(res, 200, "support again").await;
        assert_eq!(sup["supporters"], 1, "idempotent");
        let p = expect_problem(
            inquilino.send(reqwest::Method::PUT, &format!("/api/v1/maintenance/reports/{id}/support"), None).await,
            403,
        )
        .await;
        assert_eq!(p.code, cortile_shared::ErrorCode::Forbidden);
        let building_list: Vec<ReportSummary> = vicina
            .get_json(&format!("/api/v1/maintenance/buildings/{building}/reports"))
            .await;
        assert!(building_list.iter().any(|s| s.id == id && s.supporting));
        assert!(building_list.iter().all(|s| s.place.unit_id.is_none()));

        // Who may not: an applicant does not see it; the reporter, the custodian and the
        // committee may not acknowledge; staff may not confirm; nothing skips a step.
        expect_problem(richiedente.get(&format!("/api/v1/maintenance/reports/{id}")).await, 404).await;
        for who in [&inquilino, &custode, &comitato, &vicina] {
            let p = expect_problem(status(who, id, json!({"to": "acknowledged"})).await, 403).await;
            assert_eq!(p.code, cortile_shared::ErrorCode::Forbidden);
        }
        expect_problem(status(&richiedente, id, json!({"to": "acknowledged"})).await, 404).await;
        expect_problem(status(&staff, id, json!({"to": "confirmed"})).await, 403).await;
        let p = expect_problem(status(&staff, id, json!({"to": "resolved"})).await, 409).await;
        assert_eq!(p.code, cortile_shared::ErrorCode::InvalidTransition);
        expect_problem(status(&staff, id, json!({"to": "closed"})).await, 403).await;
        let p = expect_problem(status(&staff, id, json!({"to": "rejected"})).await, 422).await;
        assert_eq!(p.errors[0].field, "reason");
        assert_eq!(report(&inquilino, id).await.summary.status, ReportStatus::New, "nothing changed");

        // Staff acknowledge; schedule needs a date, today or later.
        let r: Report = json_of(status(&staff, id, json!({"to": "acknowledged"})).await, 200, "ack").await;
        assert_eq!(r.summary.status, ReportStatus::Acknowledged);
        let p = expect_problem(status(&staff, id, json!({"to": "scheduled"})).await, 422).await;
        assert_eq!(p.errors[0].field, "scheduled_for");
        let yesterday = (Utc::now() - Duration::days(1)).date_naive();
        let p = expect_problem(status(&staff, id, json!({"to": "scheduled", "scheduled_for": yesterday})).await, 422).await;
        assert_eq!(p.errors[0].code, "in_the_past");
        let day = (Utc::now() + Duration::days(3)).date_naive();
        let r: Report = json_of(status(&staff, id, json!({"to": "scheduled", "scheduled_for": day})).await, 200, "schedule").await;
        assert_eq!(r.summary.scheduled_for, Some(day));
        // The first line starts it; the building administrator resolves it.
        let _: Report = json_of(status(&operatore, id, json!({"to": "in_progress"})).await, 200, "start").await;
        expect_problem(status(&operatore, id, json!({"to": "resolved"})).await, 403).await;
        let r: Report = json_of(status(&amministratore, id, json!({"to": "resolved", "reason": "Sostituito il tubo"})).await, 200, "resolve").await;
        assert_eq!(r.summary.status, ReportStatus::Resolved);

        // Reporter and supporter were told each time.
        for s in [&inquilino, &vicina] {
            let page: Page<cortile_shared::community::Notification> = s.get_json("/api/v1/notifications").await;
            let n = page.items.iter().filter(|n| n.kind == cortile_shared::community::NotificationKind::ReportStatus).count();
            assert_eq!(n, 4, "acknowledged, scheduled, in progress, resolved");
        }

        // Only the reporter confirms or reopens; reopening needs a reason, and takes photos.
        expect_problem(status(&vicina, id, json!({"to": "confirmed"})).await, 403).await;
        let p = expect_problem(
            inquilino.post(&format!("/api/v1/maintenance/reports/{id}/rating"), json!({"rating": 5})).await,
            409,
        )
        .await;
        assert_eq!(p.code, cortile_shared::ErrorCode::InvalidTransition);
        expect_problem(status(&inquilino, id, json!({"to": "reopened"})).await, 422).await;
        let photo2: cortile_shared::upload::Upload = json_of(
            inquilino.upload("image/jpeg", cortile_tests::images::jpeg(30, 20)).await,
            201,
            "upload",
        )
        .await;
        let r: Report = json_of(
            status(&inquilino, id, json!({"to": "reopened", "reason": "Perde ancora",
                "images": [{"upload": photo2.id, "alt": "Ancora acqua"}]})).await,
            200,
            "reopen",
        )
        .await;
        assert_eq!(r.summary.status, ReportStatus::Reopened);
        assert_eq!(r.summary.reopened, 1);
        let step = r.history.last().expect("the reopening");
        assert_eq!(step.reason.as_deref(), Some("Perde ancora"));
        assert_eq!(step.images.len(), 1);
        assert!(step.by.is_some(), "the reporter sees who acted");
        // The neighbour sees the photo of the reopening; the applicant does not.
        let res = vicina.get(&step.images[0].url).await;
        assert_eq!(res.status(), 200);
        assert_eq!(richiedente.get(&step.images[0].url).await.status(), 404);

        let _: Report = json_of(status(&staff, id, json!({"to": "resolved"})).await, 200, "resolve again").await;
        let r: Report = json_of(status(&inquilino, id, json!({"to": "confirmed"})).await, 200, "confirm").await;
        assert_eq!(r.summary.status, ReportStatus::Confirmed);
        assert!(r.confirmed_at.is_some());
        assert!(r.abilities.rate);
        let p = expect_problem(status(&inquilino, id, json!({"to": "reopened", "reason": "ancora"})).await, 409).await;
        assert_eq!(p.code, cortile_shared::ErrorCode::InvalidTransition);
        let p = expect_problem(
            inquilino.post(&format!("/api/v1/maintenance/reports/{id}/rating"), json!({"rating": 6})).await,
            422,
        )
        .await;
        assert_eq!(p.errors[0].field, "rating");
        expect_problem(
            vicina.post(&format!("/api/v1/maintenance/reports/{id}/rating"), json!({"rating": 2})).await,
            403,
        )
        .await;
        let r: Report = json_of(
            inquilino.post(&format!("/api/v1/maintenance/reports/{id}/rating"), json!({"rating": 5, "comment": "Veloci"})).await,
            200,
            "rate",
        )
        .await;
        assert_eq!(r.rating.map(|r| r.rating), Some(5));
        expect_problem(
            inquilino.post(&format!("/api/v1/maintenance/reports/{id}/rating"), json!({"rating": 4})).await,
            409,
        )
        .await;

        // Internal notes: staff and the custodian see them; residents and the committee do not.
        let note = "Il tecnico dice: **valvola vecchia**";
        let _: Value = json_of(
            staff.post(&format!("/api/v1/maintenance/reports/{id}/comments"), json!({"body": note, "visibility": "internal"})).await,
            201,
            "note",
        )
        .await;
        let _: Value = json_of(
            vicina.post(&format!("/api/v1/maintenance/reports/{id}/comments"), json!({"body": "Grazie!"})).await,
            201,
            "comment",
        )
        .await;
        expect_problem(
            comitato.post(&format!("/api/v1/maintenance/reports/{id}/comments"), json!({"body": "x", "visibility": "internal"})).await,
            403,
        )
        .await;
        expect_problem(
            inquilino.post(&format!("/api/v1/maintenance/reports/{id}/comments"), json!({"body": "x", "visibility": "internal"})).await,
            403,
        )
        .await;
        for s in [&inquilino, &vicina, &comitato] {
            let body = s.get(&format!("/api/v1/maintenance/reports/{id}")).await.text().await.expect("body");
            assert!(!body.contains("valvola"), "an internal note leaked: {body}");
            let r: Report = serde_json::from_str(&body).expect("report");
            assert!(r.comments.iter().all(|c| c.visibility == Visibility::Public));
            assert!(r.comments.iter().any(|c| c.body_html.contains("Grazie")));
        }
        for s in [&staff, &custode] {
            let r = report(s, id).await;
            assert!(r.comments.iter().any(|c| c.visibility == Visibility::Internal && c.body_html.contains("<strong>valvola vecchia</strong>")));
        }
        // The neighbour never sees the reporter's name; staff do.
        assert!(report(&vicina, id).await.reporter.is_none());
        assert!(report(&staff, id).await.reporter.is_some());

        // Mine: the reporter's and the supporter's.
        for s in [&inquilino, &vicina] {
            let page: Page<ReportSummary> = s.get_json("/api/v1/maintenance/reports/mine").await;
            assert!(page.items.iter().any(|r| r.id == id));
        }

        // Rejected and not ours: with a reason, and who is responsible.
        let other = new_report(&inquilino, json!({"category": "pests", "place": "common_area", "description": "Topi in cortile"})).await.summary.id;
        let p = expect_problem(status(&staff, other, json!({"to": "not_our_responsibility"})).await, 422).await;
        assert_eq!(p.errors[0].field, "responsible");
        let r: Report = json_of(
            status(&staff, other, json!({"to": "not_our_responsibility", "responsible": "Comune di Milano, derattizzazione"})).await,
            200,
            "not ours",
        )
        .await;
        assert_eq!(r.status_note.as_deref(), Some("Comune di Milano, derattizzazione"));
        expect_problem(status(&staff, other, json!({"to": "acknowledged"})).await, 409).await;
    }
);

people_test!(
    async fn merging_auto_close_overdue_and_the_views(app) {
        let inquilino = app.login("inquilino").await;
        let vicina = neighbour(app, &inquilino, "vicina").await;
        let staff = app.login("staff").await;
        let comitato = app.login("comitato").await;
        let estate = inquilino.me.residence.as_ref().expect("home").home.estate_id.0;

        let first = new_report(&inquilino, json!({"category": "lift", "place": "building", "description": "Ascensore fermo"})).await.summary.id;
        let dup = new_report(&vicina, json!({"category": "lift", "place": "building", "description": "L'ascensore non va", "blocks_access": true})).await.summary.id;
        let _: Value = json_of(
            vicina.post(&format!("/api/v1/maintenance/reports/{dup}/comments"), json!({"body": "Siamo al quinto piano"})).await,
            201,
            "comment",
        )
        .await;
        // Residents do not merge; nothing merges into itself.
        expect_problem(inquilino.post(&format!("/api/v1/maintenance/reports/{dup}/merge"), json!({"into": first})).await, 403).await;
        let p = expect_problem(staff.post(&format!("/api/v1/maintenance/reports/{dup}/merge"), json!({"into": dup})).await, 422).await;
        assert_eq!(p.errors[0].field, "into");
        let survivor: Report = json_of(
            staff.post(&format!("/api/v1/maintenance/reports/{dup}/merge"), json!({"into": first})).await,
            200,
            "merge",
        )
        .await;
        assert_eq!(survivor.summary.id, first);
        assert_eq!(survivor.summary.supporters, 1, "the duplicate's reporter supports the survivor");
        assert_eq!(survivor.merged_from, vec![dup]);
        assert!(survivor.comments.iter().any(|c| c.body_html.contains("quinto piano")), "the thread moved");
        assert!(survivor.summary.blocks_access, "what made the duplicate urgent carries over");
        assert_eq!(survivor.summary.priority, Priority::Urgent);
        let gone = report(&vicina, dup).await;
        assert_eq!(gone.summary.status, ReportStatus::Merged);
        assert_eq!(gone.merged_into, Some(first));
        assert!(gone.comments.is_empty());
        let p = expect_problem(staff.post(&format!("/api/v1/maintenance/reports/{dup}/merge"), json!({"into": first})).await, 409).await;
        assert_eq!(p.code, cortile_shared::ErrorCode::InvalidTransition);

        // Overdue: past its due time while open.
        let mut conn = app.connect();
        diesel::update(reports::table.find(first))
            .set(reports::sla_due_at.eq(Utc::now().naive_utc() - Duration::hours(1)))
            .execute(&mut conn)
            .expect("age it");
        assert!(report(&inquilino, first).await.summary.overdue);
        let page: Page<ReportSummary> = staff.get_json("/api/v1/maintenance/queue?overdue=true").await;
        assert!(page.items.iter().all(|r| r.overdue) && page.items.iter().any(|r| r.id == first));
        let page: Page<ReportSummary> = staff.get_json("/api/v1/maintenance/queue?overdue=false").await;
        assert!(page.items.iter().all(|r| r.id != first));
        let p = expect_problem(staff.get("/api/v1/maintenance/queue?status=broken&category=x").await, 422).await;
        let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["category", "status"]);

        // Keyset pages of the queue: no report twice, none missed.
        let third = new_report(&inquilino, json!({"category": "green_areas", "place": "common_area", "description": "Erba alta"})).await.summary.id;
        let mut seen = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let path = match &next {
                Some(c) => format!("/api/v1/maintenance/queue?limit=1&after={c}"),
                None => "/api/v1/maintenance/queue?limit=1".to_owned(),
            };
            let page: Page<ReportSummary> = staff.get_json(&path).await;
            seen.extend(page.items.iter().map(|r| r.id));
            next = page.next;
            if next.is_none() {
                break;
            }
        }
        assert_eq!(seen, vec![first, third], "the most pressing due time first");

        // Bulk: per-row results.
        let bulk: BulkResult = json_of(
            staff.post("/api/v1/maintenance/queue/status", json!({"ids": [first, dup, third], "to": "acknowledged"})).await,
            200,
            "bulk",
        )
        .await;
        assert_eq!((bulk.applied, bulk.refused), (2, 1));
        let refused = bulk.rows.iter().find(|r| !r.ok).expect("the merged one");
        assert_eq!(refused.id, dup);
        assert_eq!(refused.problem.as_ref().map(|p| p.code), Some(cortile_shared::ErrorCode::InvalidTransition));

        // The committee board and its CSV.
        let board: Board = comitato.get_json(&format!("/api/v1/maintenance/estates/{estate}/board")).await;
        assert_eq!(board.open, 2);
        assert_eq!(board.overdue, 1);
        let lift = board.lines.iter().find(|l| l.category == cortile_shared::maintenance::Category::Lift).expect("lift");
        assert_eq!((lift.open, lift.by_age[0], lift.overdue), (1, 1, 1));
        let res = comitato.get(&format!("/api/v1/maintenance/estates/{estate}/board.csv")).await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().expect("type").starts_with("text/csv"));
        let csv = res.text().await.expect("csv");
        assert!(csv.starts_with("categoria;aperte;"), "{csv}");
        assert!(csv.contains("Ascensore;1;1;0;0;0;1;0"), "{csv}");
        expect_problem(inquilino.get(&format!("/api/v1/maintenance/estates/{estate}/board")).await, 403).await;

        // The estate's map.
        let map: Value = inquilino.get_json(&format!("/api/v1/maintenance/estates/{estate}/map")).await;
        assert_eq!(map["type"], "FeatureCollection");
        assert!(map["features"].as_array().expect("features").iter().any(|f| f["properties"]["id"] == first));

        // Auto-close: 14 days after "resolved" without an answer, once.
        let _: Report = json_of(status(&staff, first, json!({"to": "resolved"})).await, 200, "resolve").await;
        let now = Utc::now().naive_utc();
        assert_eq!(cortile::maintenance::auto_close(&mut conn, now + Duration::days(13)).expect("run"), 0);
        assert_eq!(cortile::maintenance::auto_close(&mut conn, now + Duration::days(15)).expect("run"), 1);
        assert_eq!(cortile::maintenance::auto_close(&mut conn, now + Duration::days(16)).expect("run"), 0);
        let closed = report(&inquilino, first).await;
        assert_eq!(closed.summary.status, ReportStatus::Closed);
        let last = closed.history.last().expect("the closing");
        assert!(last.by.is_none() && !last.by_staff, "the system closed it");
        expect_problem(status(&inquilino, first, json!({"to": "confirmed"})).await, 409).await;
        let page: Page<cortile_shared::community::Notification> = vicina.get_json("/api/v1/notifications").await;
        assert!(page.items.iter().any(|n| n.data["status"] == "closed"), "supporters are told");

        // Works: a pinned post in the building's community, rated by its residents after.
        let building = inquilino.me.residence.as_ref().expect("home").home.building_id.0;
        let works: cortile_shared::maintenance::Works = json_of(
            staff.post("/api/v1/maintenance/works", json!({"title": "Sostituzione caldaia",
                "description": "Nuova centrale termica.", "building_ids": [building],
                "starts_on": "2026-01-05", "ends_on": "2026-01-20", "disruptions": ["niente acqua calda"]})).await,
            201,
            "works",
        )
        .await;
        assert_eq!(works.buildings.len(), 1);
        let feed: Page<cortile_shared::community::Post> = inquilino.get_json("/api/v1/feed").await;
        let post = feed.items.iter().find(|p| p.id == works.buildings[0].post_id).expect("in the feed");
        assert!(post.pinned && post.body_html.contains("niente acqua calda"));
        let rated: cortile_shared::maintenance::Works = json_of(
            vicina.post(&format!("/api/v1/maintenance/works/{}/rating", works.id), json!({"rating": 4})).await,
            200,
            "rate works",
        )
        .await;
        assert_eq!((rated.ratings, rated.average_rating), (1, Some(4.0)));
        expect_problem(comitato.post(&format!("/api/v1/maintenance/works/{}/rating", works.id), json!({"rating": 4})).await, 403).await;
        expect_problem(inquilino.post("/api/v1/maintenance/works", json!({"title": "x", "description": "y",
            "building_ids": [building], "starts_on": "2026-01-05", "ends_on": "2026-01-20"})).await, 403).await;
    }
);

people_test!(
    /// What staff, custodians and operators need to report and to work the queue: the estate of
    /// a point clicked on the map, a building named when they have no home, the queue filtered
    /// by building and by assignee, the list of assignees, and the board counted by the
    /// database (age buckets, overdue, reopened) as it was counted row by row before.
    async fn points_buildings_filters_and_board(app) {
        use cortile::db::schema::buildings;
        use cortile_shared::maintenance::{AssigneeCount, Category, PointEstate};
        let inquilino = app.login("inquilino").await;
        let staff = app.login("staff").await;
        let custode = app.login("custode").await;
        let home = inquilino.me.residence.as_ref().expect("home").home.clone();
        let mut conn = app.connect();
        let (lat, lon): (f64, f64) = buildings::table
            .find(home.building_id.0)
            .select((buildings::lat, buildings::lon))
            .first(&mut conn)
            .expect("the building's point");

        // The estate of a point (point-in-polygon); a comma is a decimal point too.
        let at: PointEstate = inquilino
            .get_json(&format!("/api/v1/maintenance/estate-at?lat={lat}&lon={}", lon.to_string().replace('.', ",")))
            .await;
        assert_eq!(at.estate_id, home.estate_id);
        assert_eq!(at.estate_name, home.estate_name);
        let p = expect_problem(inquilino.get("/api/v1/maintenance/estate-at?lat=1&lon=1").await, 422).await;
        assert_eq!((p.errors[0].field.as_str(), p.errors[0].code.as_str()), ("point", "outside_estates"));
        let p = expect_problem(inquilino.get("/api/v1/maintenance/estate-at?lat=nord&lon=9.1").await, 422).await;
        assert_eq!(p.errors[0].field, "point");
        expect_problem(app.anonymous().get(&format!("/api/v1/maintenance/estate-at?lat={lat}&lon={lon}")).await, 401).await;
        // A resident clicking in another estate is told they may not report there.
        let (other, olat, olon): (i64, f64, f64) = buildings::table
            .filter(buildings::estate_id.ne(home.estate_id.0))
            .order(buildings::id)
            .select((buildings::estate_id, buildings::lat, buildings::lon))
            .first(&mut conn)
            .expect("a building of another estate");
        expect_problem(inquilino.get(&format!("/api/v1/maintenance/estate-at?lat={olat}&lon={olon}")).await, 403).await;
        let there: PointEstate = staff.get_json(&format!("/api/v1/maintenance/estate-at?lat={olat}&lon={olon}")).await;
        assert_eq!(there.estate_id.0, other);

        // Staff have no home: they name the building, or are asked for it.
        let p = expect_problem(
            staff.post("/api/v1/maintenance/reports", json!({"category": "lift", "place": "building", "description": "Ascensore fermo al piano terra"})).await,
            422,
        )
        .await;
        assert_eq!(p.errors[0].field, "building_id");
        let lift = new_report(&staff, json!({"category": "lift", "place": "building", "building_id": home.building_id.0,
            "description": "Ascensore fermo al piano terra"})).await;
        assert_eq!(lift.summary.place.building_id, Some(home.building_id));
        let green = new_report(&custode, json!({"category": "green_areas", "place": "point", "point": {"lat": lat, "lon": lon},
            "building_id": home.building_id.0, "description": "Ramo caduto nel cortile"})).await;
        assert_eq!(green.summary.place.estate_id, home.estate_id);
        let elsewhere = new_report(&staff, json!({"category": "pests", "place": "point", "point": {"lat": olat, "lon": olon},
            "description": "Topi vicino ai cassonetti"})).await;
        assert_eq!(elsewhere.summary.place.estate_id.0, other);

        // The queue by building and by assignee; who has reports assigned, with how many.
        let page: Page<ReportSummary> =
            staff.get_json(&format!("/api/v1/maintenance/queue?building_id={}", home.building_id.0)).await;
        let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
        assert!(ids.contains(&lift.summary.id) && ids.contains(&green.summary.id) && !ids.contains(&elsewhere.summary.id));
        assert!(page.items.iter().all(|r| r.place.building_id == Some(home.building_id)));
        json_of::<Report>(
            staff.post(&format!("/api/v1/maintenance/reports/{}/assign", lift.summary.id), json!({"user_id": staff.me.id.0})).await,
            200,
            "assign",
        )
        .await;
        let list: Vec<AssigneeCount> = staff.get_json("/api/v1/maintenance/assignees").await;
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].user.id, list[0].open), (staff.me.id, 1));
        assert_eq!(list[0].user.display_name, staff.me.display_name);
        let page: Page<ReportSummary> =
            staff.get_json(&format!("/api/v1/maintenance/queue?assignee={}", staff.me.id.0)).await;
        assert_eq!(page.items.iter().map(|r| r.id).collect::<Vec<_>>(), vec![lift.summary.id]);
        let p = expect_problem(staff.get("/api/v1/maintenance/queue?assignee=qualcuno&building_id=-1").await, 422).await;
        let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["building_id", "assignee"]);
        expect_problem(inquilino.get("/api/v1/maintenance/assignees").await, 403).await;

        // The board, counted by the database: ages in whole days, overdue, reopened.
        let now = Utc::now().naive_utc();
        let water = |days: i64| {
            let inquilino = &inquilino;
            async move {
                let r = new_report(inquilino, json!({"category": "water", "place": "building",
                    "description": format!("Perdita numero {days}")})).await;
                r.summary.id
            }
        };
        let (fresh, week, month, old) = (water(0).await, water(7).await, water(30).await, water(200).await);
        for (id, days) in [(week, 7), (month, 30), (old, 200)] {
            diesel::update(reports::table.find(id))
                .set(reports::created_at.eq(now - Duration::days(days) - Duration::hours(1)))
                .execute(&mut conn)
                .expect("age it");
        }
        diesel::update(reports::table.find(old))
            .set((reports::sla_due_at.eq(now - Duration::days(1)), reports::reopened_count.eq(2)))
            .execute(&mut conn)
            .expect("overdue and reopened");
        let board: Board = staff.get_json(&format!("/api/v1/maintenance/estates/{}/board", home.estate_id.0)).await;
        let line = board.lines.iter().find(|l| l.category == Category::Water).expect("water");
        assert_eq!(line.open, 4, "{fresh}");
        assert_eq!(line.by_age, vec![2, 1, 0, 1], "7 days is the first bucket, 30 the second");
        assert_eq!((line.overdue, line.reopened), (1, 1));
        let lifts = board.lines.iter().find(|l| l.category == Category::Lift).expect("lift");
        assert_eq!((lifts.open, lifts.by_age.clone()), (1, vec![1, 0, 0, 0]));
        assert_eq!(board.open, board.lines.iter().map(|l| l.open).sum::<i64>());
        assert!(board.lines.iter().all(|l| l.by_age.iter().sum::<i64>() == l.open));
        assert_eq!((board.overdue, board.reopened), (1, 1));

        // Works: rated once, from 1 to 5.
        let works: cortile_shared::maintenance::Works = json_of(
            staff.post("/api/v1/maintenance/works", json!({"title": "Tetto", "description": "Rifacimento del tetto.",
                "building_ids": [home.building_id.0], "starts_on": "2026-01-05", "ends_on": "2026-01-20"})).await,
            201,
            "works",
        )
        .await;
        let listed: Vec<cortile_shared::maintenance::Works> = inquilino.get_json("/api/v1/maintenance/works").await;
        assert!(listed.iter().any(|w| w.id == works.id && w.can_rate && w.my_rating.is_none()));
        let path = format!("/api/v1/maintenance/works/{}/rating", works.id);
        let p = expect_problem(inquilino.post(&path, json!({"rating": 6})).await, 422).await;
        assert_eq!(p.errors[0].field, "rating");
        let rated: cortile_shared::maintenance::Works =
            json_of(inquilino.post(&path, json!({"rating": 5, "comment": "Lavoro pulito"})).await, 200, "rate").await;
        assert!(!rated.can_rate);
        assert_eq!(rated.my_rating.as_ref().map(|r| (r.rating, r.comment.clone())), Some((5, Some("Lavoro pulito".to_owned()))));
        expect_problem(inquilino.post(&path, json!({"rating": 1})).await, 409).await;
    }
);

/// The fields of a GeoReport v2 service request (`GET requests.json`), all present.
const REQUEST_FIELDS: [&str; 17] = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];
/// The fields of a service (`GET services.json`).
const SERVICE_FIELDS: [&str; 7] = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
];
/// The fields of a service definition's attribute.
const ATTRIBUTE_FIELDS: [&str; 7] = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
];

fn has_fields(v: &Value, fields: &[&str]) {
    let o = v.as_object().unwrap_or_else(|| panic!("an object: {v}"));
    for f in fields {
        assert!(o.contains_key(*f), "{f} missing in {v}");
    }
}

people_test!(
    async fn open311_has_the_standard_shape_and_no_personal_data(app) {
        let inquilino = app.login("inquilino").await;
        let staff = app.login("staff").await;
        let home = new_report(&inquilino, json!({"category": "damp_mould", "place": "home",
            "description": "Muffa in camera da letto, interno 12"})).await;
        let hall = new_report(&inquilino, json!({"category": "lift", "place": "building",
            "description": "Ascensore rumoroso"})).await;
        let _: Value = json_of(
            staff.post(&format!("/api/v1/maintenance/reports/{}/comments", hall.summary.id),
                json!({"body": "nota segreta del tecnico", "visibility": "internal"})).await,
            201,
            "note",
        )
        .await;
        let _: Report = json_of(status(&staff, hall.summary.id, json!({"to": "acknowledged"})).await, 200, "ack").await;
        assert!(home.summary.place.unit_id.is_some(), "the reporter sees their unit");

        // Services and definitions.
        let services: Value = app.get_json("/open311/v2/services.json").await;
        let list = services.as_array().expect("an array");
        assert_eq!(list.len(), 11);
        for s in list {
            has_fields(s, &SERVICE_FIELDS);
        }
        let def: Value = app.get_json("/open311/v2/services/lift.json").await;
        assert_eq!(def["service_code"], "lift");
        for a in def["attributes"].as_array().expect("attributes") {
            has_fields(a, &ATTRIBUTE_FIELDS);
        }
        let res = app.get("/open311/v2/services/nope.json").await;
        assert_eq!(res.status(), 404);
        let err: Value = res.json().await.expect("json");
        has_fields(&err[0], &["code", "description"]);
        assert_eq!(app.get("/open311/v2/services.xml").await.status(), 404);

        // Requests: every field; ours in status_notes; homes rounded, without text or address.
        let all: Value = app.get_json("/open311/v2/requests.json").await;
        let all = all.as_array().expect("an array");
        assert_eq!(all.len(), 2);
        for r in all {
            has_fields(r, &REQUEST_FIELDS);
        }
        let text = serde_json::to_string(all).expect("json");
        let name = &inquilino.me.display_name;
        assert!(!text.contains(name.as_str()), "a name leaked");
        assert!(!text.contains("segreta"), "an internal note leaked");
        let unit = home.summary.place.unit_code.clone().expect("unit");
        assert!(!text.contains(&format!("\"{unit}\"")), "a unit leaked");
        let h = all.iter().find(|r| r["service_request_id"].as_str() == Some(&home.summary.id.to_string())).expect("home");
        assert!(h["description"].is_null() && h["address"].is_null());
        let lat = h["lat"].as_f64().expect("lat");
        assert_eq!(lat, (lat * 1000.0).round() / 1000.0, "rounded to 3 decimals");
        assert_ne!(lat, home.summary.place.point.lat);
        let b = all.iter().find(|r| r["service_request_id"].as_str() == Some(&hall.summary.id.to_string())).expect("hall");
        assert_eq!(b["status"], "open");
        assert_eq!(b["status_notes"], "acknowledged");
        assert_eq!(b["service_code"], "lift");
        assert_eq!(b["description"], "Ascensore rumoroso");
        assert!(b["address"].is_string());

        // Filters.
        let one: Value = app.get_json(&format!("/open311/v2/requests.json?service_request_id={}", hall.summary.id)).await;
        assert_eq!(one.as_array().map(Vec::len), Some(1));
        let lifts: Value = app.get_json("/open311/v2/requests.json?service_code=lift&status=open").await;
        assert_eq!(lifts.as_array().map(Vec::len), Some(1));
        let closed: Value = app.get_json("/open311/v2/requests.json?status=closed").await;
        assert_eq!(closed.as_array().map(Vec::len), Some(0));
        let future: Value = app.get_json("/open311/v2/requests.json?start_date=2099-01-01T00:00:00Z").await;
        assert_eq!(future.as_array().map(Vec::len), Some(0));
        assert_eq!(app.get("/open311/v2/requests.json?status=maybe").await.status(), 400);
        let single: Value = app.get_json(&format!("/open311/v2/requests/{}.json", hall.summary.id)).await;
        has_fields(&single[0], &REQUEST_FIELDS);

        // A partner submits with a key; without one, 403.
        let form = |key: &str| {
            vec![
                ("api_key", key.to_owned()),
                ("service_code", "green_areas".to_owned()),
                ("lat", format!("{}", hall.summary.place.point.lat)),
                ("long", format!("{}", hall.summary.place.point.lon)),
                ("description", "Albero caduto sul vialetto".to_owned()),
                ("email", "someone@example.org".to_owned()),
                ("first_name", "Mario".to_owned()),
                ("attribute[danger]", "true".to_owned()),
            ]
        };
        let res = app.client.post(app.url("/open311/v2/requests.json")).form(&form("wrong")).send().await.expect("post");
        assert_eq!(res.status(), 403);
        let key = {
            let mut conn = app.connect();
            cortile::open311::create_key(&mut conn, "Comune di Milano", Utc::now().naive_utc()).expect("key")
        };
        let res = app.client.post(app.url("/open311/v2/requests.json")).form(&form(&key)).send().await.expect("post");
        assert_eq!(res.status(), 201);
        let made: Value = res.json().await.expect("json");
        let id = made[0]["service_request_id"].as_str().expect("id").to_owned();
        let token = made[0]["token"].as_str().expect("token").to_owned();
        let t: Value = app.get_json(&format!("/open311/v2/tokens/{token}.json")).await;
        assert_eq!(t[0]["service_request_id"], id.as_str());
        let r: Value = app.get_json(&format!("/open311/v2/requests/{id}.json")).await;
        assert_eq!(r[0]["service_code"], "green_areas");
        let text = r.to_string();
        assert!(!text.contains("Mario") && !text.contains("someone@"), "partner personal data is not kept");
        let row: (String, Option<i64>) = reports::table
            .find(id.parse::<i64>().expect("numeric"))
            .select((reports::priority, reports::reporter_id))
            .first(&mut app.connect())
            .expect("row");
        assert_eq!(row, ("urgent".to_owned(), None));
    }
);

async fn comment(s: &Session, id: i64, body: &str, visibility: &str) {
    let res = s
        .post(
            &format!("/api/v1/maintenance/reports/{id}/comments"),
            json!({"body": body, "visibility": visibility}),
        )
        .await;
    let _: Value = json_of(res, 201, body).await;
}

people_test!(
    async fn my_data_export_holds_my_reports_and_comments_only(app) {
        let inquilino = app.login("inquilino").await;
        let vicina = neighbour(app, &inquilino, "vicina").await;
        let staff = app.login("staff").await;
        let mine = new_report(&inquilino, json!({"category": "heating", "place": "building",
            "description": "Termosifoni freddi in tutta la scala"})).await;
        let id = mine.summary.id;
        let theirs = new_report(&vicina, json!({"category": "pests", "place": "building",
            "description": "Topi nelle cantine della vicina"})).await;
        comment(&inquilino, id, "Anche al terzo piano", "public").await;
        comment(&inquilino, theirs.summary.id, "Confermo, li ho visti anch'io", "public").await;
        comment(&vicina, id, "Commento della vicina", "public").await;
        comment(&staff, id, "Risposta pubblica del tecnico", "public").await;
        comment(&staff, id, "Nota interna: caldaia da sostituire", "internal").await;
        let res = status(&staff, id, json!({"to": "acknowledged"})).await;
        assert_eq!(res.status(), 200);

        let data: Value = inquilino.get_json("/api/v1/me/export").await;
        let m = &data["maintenance"];
        let reports_ = m["reports"].as_array().expect("reports");
        assert_eq!(reports_.len(), 1, "{m}");
        assert_eq!(reports_[0]["id"], id);
        assert_eq!(reports_[0]["description"], "Termosifoni freddi in tutta la scala");
        assert_eq!(reports_[0]["status"], "acknowledged");
        let steps = reports_[0]["history"].as_array().expect("history");
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0]["by_you"], true);
        assert_eq!(steps[1]["by_you"], false);
        let comments: Vec<&str> = m["report_comments"]
            .as_array()
            .expect("comments")
            .iter()
            .filter_map(|c| c["body"].as_str())
            .collect();
        assert_eq!(comments, ["Anche al terzo piano", "Confermo, li ho visti anch'io"]);
        let text = data.to_string();
        for other in [
            "Commento della vicina",
            "Risposta pubblica del tecnico",
            "caldaia da sostituire",
            "Topi nelle cantine",
        ] {
            assert!(!text.contains(other), "{other:?} is not the resident's data");
        }

        // Staff never take away internal notes (they are the manager's, not the person's).
        let data: Value = staff.get_json("/api/v1/me/export").await;
        let comments = data["maintenance"]["report_comments"].as_array().expect("comments");
        assert_eq!(comments.len(), 1, "{comments:?}");
        assert_eq!(comments[0]["body"], "Risposta pubblica del tecnico");

        // The neighbour's export has her report and comment, not the resident's.
        let data: Value = vicina.get_json("/api/v1/me/export").await;
        let m = &data["maintenance"];
        assert_eq!(m["reports"][0]["id"], theirs.summary.id);
        assert_eq!(m["reports"].as_array().map(Vec::len), Some(1));
        assert_eq!(m["report_comments"][0]["body"], "Commento della vicina");
        assert!(!data.to_string().contains("Termosifoni freddi"));
    }
);

/// Open311 submissions are limited per partner key (here 2 an hour), on both databases.
async fn open311_submissions_are_rate_limited_per_key(backend: cortile_tests::Backend) {
    use cortile::db::schema::{buildings, open311_requests};
    let app = TestApp::builder(backend)
        .configure(|c| c.open311_max_per_hour = 2)
        .spawn()
        .await;
    let mut conn = app.connect();
    let (lat, lon): (f64, f64) = buildings::table
        .order(buildings::id)
        .select((buildings::lat, buildings::lon))
        .first(&mut conn)
        .expect("a building");
    let now = Utc::now().naive_utc();
    let a = cortile::open311::create_key(&mut conn, "Comune di Milano", now).expect("key a");
    let b = cortile::open311::create_key(&mut conn, "App Quartiere", now).expect("key b");
    let post = |key: &str| {
        app.client
            .post(app.url("/open311/v2/requests.json"))
            .form(&[
                ("api_key", key.to_owned()),
                ("service_code", "green_areas".to_owned()),
                ("lat", lat.to_string()),
                ("long", lon.to_string()),
                ("description", "Albero caduto sul vialetto".to_owned()),
            ])
            .send()
    };
    for _ in 0..2 {
        assert_eq!(post(&a).await.expect("post").status(), 201);
    }
    let count = |conn: &mut cortile::db::DbConn| -> i64 {
        reports::table.count().get_result(conn).expect("count")
    };
    let before = count(&mut conn);
    let res = post(&a).await.expect("post");
    assert_eq!(res.status(), 429);
    let wait: i64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=3600).contains(&wait), "{wait}");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body[0]["code"], 429, "a GeoReport error: {body}");
    assert!(body[0]["description"].is_string());
    assert_eq!(count(&mut conn), before, "nothing written");
    // Another partner's key has its own count.
    assert_eq!(post(&b).await.expect("post").status(), 201);
    // An hour later the window has moved on.
    diesel::update(open311_requests::table)
        .set(open311_requests::created_at.eq(now - Duration::minutes(61)))
        .execute(&mut conn)
        .expect("age the submissions");
    assert_eq!(post(&a).await.expect("post").status(), 201);
    drop(conn);
    app.shutdown().await;
}

mod open311_rate_limit {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::open311_submissions_are_rate_limited_per_key(cortile_tests::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::open311_submissions_are_rate_limited_per_key(cortile_tests::Backend::Postgres).await;
    }
}
