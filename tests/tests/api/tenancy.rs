//! Tenant files, change requests, assisted mode and staff imports over HTTP, on both databases.

use cortile::db::schema::{household_members, households, persons};
use cortile_shared::auth::Me;
use cortile_shared::import::{ImportReport, Outcome};
use cortile_shared::tenancy::{AuditEntry, ChangeRequest, ChangeStatus, PersonHit, TenantFile};
use cortile_shared::{ErrorCode, Page};
use cortile_tests::{expect_problem, json_of, people_test, TestApp};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

/// The demo resident's household and a second member's person id, if any.
async fn resident_household(app: &TestApp) -> (i64, i64) {
    let s = app.login("inquilino").await;
    let r = s.me.residence.expect("home");
    (r.household_id.0, r.person_id.0)
}

async fn audit(app: &TestApp, action: &str) -> Vec<AuditEntry> {
    let admin = app.login("admin").await;
    let page: Page<AuditEntry> = admin
        .get_json(&format!("/api/v1/audit?action={action}&limit=200"))
        .await;
    page.items
}

people_test!(
    async fn opening_a_tenant_file_needs_a_purpose_and_is_audited(app) {
        let (household, _) = resident_household(app).await;
        let staff = app.login("staff").await;
        let path = format!("/api/v1/registry/households/{household}");
        let p = expect_problem(staff.get(&path).await, 422).await;
        assert_eq!(p.errors[0].field, "purpose");
        let p = expect_problem(staff.get(&format!("{path}?purpose=ok")).await, 422).await;
        assert_eq!(p.errors[0].code, "too_short");
        assert!(audit(app, "tenant_file.open").await.is_empty(), "refused openings are not openings");

        let file: TenantFile = staff
            .get_json(&format!("{path}?purpose=telefonata%20per%20guasto"))
            .await;
        assert!(file.full_details);
        assert!(!file.members.is_empty());
        assert!(file.members.iter().all(|m| m.fiscal_code.is_some() && m.birth_date.is_some()));
        let log = audit(app, "tenant_file.open").await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].id, file.audit_id);
        assert_eq!(log[0].purpose.as_deref(), Some("telefonata per guasto"));
        assert_eq!(log[0].object_id, Some(household));
        assert_eq!(log[0].actor.as_ref().map(|a| a.id), Some(staff.me.id));

        // The committee of the estate sees who lives there, not their personal details.
        let committee = app.login("comitato").await;
        let file: TenantFile = committee
            .get_json(&format!("{path}?purpose=assemblea%20di%20scala"))
            .await;
        assert!(!file.full_details);
        assert!(file.members.iter().all(|m| m.fiscal_code.is_none()
            && m.birth_date.is_none()
            && m.phone.is_none()
            && m.email.is_none()));
        assert!(file.applications.is_empty());
        // A missing household and one out of scope answer alike.
        let p = expect_problem(
            committee
                .get("/api/v1/registry/households/999999?purpose=assemblea%20di%20scala")
                .await,
            404,
        )
        .await;
        assert_eq!(p.code, ErrorCode::NotFound);
    }
);

people_test!(
    async fn a_committee_proposes_and_staff_approve_atomically(app) {
        let mut conn = app.connect();
        // A household of the committee's estate with at least two members.
        let committee = app.login("comitato").await;
        let estate = committee.me.grants[0].scope.id().expect("estate");
        let hits: Vec<PersonHit> = committee.get_json("/api/v1/registry/search?q=rossi").await;
        let household = hits
            .iter()
            .filter(|h| h.home.as_ref().is_some_and(|home| home.estate_id.0 == estate))
            .filter_map(|h| h.household_id)
            .find(|h| {
                household_members::table
                    .filter(household_members::household_id.eq(h.0))
                    .filter(household_members::ended_at.is_null())
                    .count()
                    .get_result::<i64>(&mut conn)
                    .expect("count")
                    >= 2
            })
            .expect("a household of two in the estate")
            .0;
        let members: Vec<i64> = household_members::table
            .filter(household_members::household_id.eq(household))
            .filter(household_members::ended_at.is_null())
            .order(household_members::id)
            .select(household_members::person_id)
            .load(&mut conn)
            .expect("members");
        let leaver = members[1];

        // Bad proposals change nothing.
        let bad = [
            (json!({"household_id": household, "person_id": leaver, "kind": "member_left", "reason": "x"}), "reason"),
            (json!({"household_id": household, "person_id": 1_000_000, "kind": "member_left", "reason": "se n'è andato"}), "person_id"),
            (json!({"household_id": household, "person_id": leaver, "kind": "contact_changed", "reason": "nuovo numero"}), "phone"),
            (json!({"household_id": household, "person_id": leaver, "kind": "contact_changed", "reason": "nuova email", "email": "not-an-email"}), "email"),
        ];
        for (body, field) in bad {
            let p = expect_problem(committee.post("/api/v1/registry/change-requests", body).await, 422).await;
            assert_eq!(p.errors[0].field, field);
        }
        let proposed: ChangeRequest = json_of(
            committee
                .post(
                    "/api/v1/registry/change-requests",
                    json!({"household_id": household, "person_id": leaver, "kind": "member_left",
                           "reason": "si è trasferita dalla figlia"}),
                )
                .await,
            201,
            "propose",
        )
        .await;
        assert_eq!(proposed.status, ChangeStatus::Pending);
        assert!(!proposed.can_decide, "a committee does not decide");
        let again = committee
            .post(
                "/api/v1/registry/change-requests",
                json!({"household_id": household, "person_id": leaver, "kind": "member_left",
                       "reason": "si è trasferita dalla figlia"}),
            )
            .await;
        assert_eq!(expect_problem(again, 409).await.code, ErrorCode::Conflict);
        let decision = format!("/api/v1/registry/change-requests/{}/decision", proposed.id);
        let p = expect_problem(
            committee.post(&decision, json!({"approve": true, "note": ""})).await,
            403,
        )
        .await;
        assert_eq!(p.code, ErrorCode::Forbidden);

        // Staff see it as decidable; rejecting needs a reason.
        let staff = app.login("staff").await;
        let pending: Vec<ChangeRequest> = staff
            .get_json("/api/v1/registry/change-requests?status=pending")
            .await;
        assert!(pending.iter().any(|c| c.id == proposed.id && c.can_decide));
        let p = expect_problem(staff.post(&decision, json!({"approve": false, "note": ""})).await, 422).await;
        assert_eq!(p.errors[0].field, "note");
        let approved: ChangeRequest =
            json_of(staff.post(&decision, json!({"approve": true, "note": "verificato"})).await, 200, "approve").await;
        assert_eq!(approved.status, ChangeStatus::Approved);
        assert_eq!(approved.decided_by.as_ref().map(|u| u.id), Some(staff.me.id));
        let ended: Option<chrono::NaiveDateTime> = household_members::table
            .filter(household_members::household_id.eq(household))
            .filter(household_members::person_id.eq(leaver))
            .order(household_members::id.desc())
            .select(household_members::ended_at)
            .first(&mut conn)
            .expect("membership");
        assert!(ended.is_some(), "the approved change was applied");
        let status: String = households::table
            .find(household)
            .select(households::contract_status)
            .first(&mut conn)
            .expect("household");
        assert_eq!(status, "active", "the holder still lives there");
        // Deciding twice is a conflict, and changes nothing more.
        let admin = app.login("admin").await;
        let p = expect_problem(admin.post(&decision, json!({"approve": false, "note": "ripensamento"})).await, 409).await;
        assert_eq!(p.code, ErrorCode::Conflict);
        let log = audit(app, "change_request.approve").await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].object_id, Some(proposed.id.0));
        assert_eq!(audit(app, "change_request.reject").await.len(), 0);

        // A contact change is applied to the person.
        let holder = members[0];
        let cr: ChangeRequest = json_of(
            committee
                .post(
                    "/api/v1/registry/change-requests",
                    json!({"household_id": household, "person_id": holder, "kind": "contact_changed",
                           "reason": "ha cambiato numero", "phone": "02 555 1234", "email": ""}),
                )
                .await,
            201,
            "propose",
        )
        .await;
        json_of::<ChangeRequest>(
            staff
                .post(
                    &format!("/api/v1/registry/change-requests/{}/decision", cr.id),
                    json!({"approve": true, "note": ""}),
                )
                .await,
            200,
            "approve",
        )
        .await;
        let (phone, email): (Option<String>, Option<String>) = persons::table
            .find(holder)
            .select((persons::phone, persons::email))
            .first(&mut conn)
            .expect("person");
        assert_eq!(phone.as_deref(), Some("02 555 1234"));
        assert_eq!(email, None);
    }
);

people_test!(
    async fn staff_never_approve_their_own_proposal(app) {
        let (household, person) = resident_household(app).await;
        let staff = app.login("staff").await;
        let cr: ChangeRequest = json_of(
            staff
                .post(
                    "/api/v1/registry/change-requests",
                    json!({"household_id": household, "person_id": person, "kind": "member_left",
                           "reason": "segnalato dal custode"}),
                )
                .await,
            201,
            "propose",
        )
        .await;
        assert!(!cr.can_decide);
        let decision = format!("/api/v1/registry/change-requests/{}/decision", cr.id);
        let p = expect_problem(staff.post(&decision, json!({"approve": true, "note": ""})).await, 403).await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        // Not even by assisting a resident.
        let admin = app.login("admin").await;
        let rejected: ChangeRequest = json_of(
            admin.post(&decision, json!({"approve": false, "note": "il custode si è sbagliato"})).await,
            200,
            "reject",
        )
        .await;
        assert_eq!(rejected.status, ChangeStatus::Rejected);
        assert_eq!(rejected.decision_note.as_deref(), Some("il custode si è sbagliato"));
        let s = app.login("inquilino").await;
        assert!(s.me.residence.is_some(), "a rejected correction changes nothing");
    }
);

people_test!(
    async fn assisted_mode_records_the_operator_and_the_resident(app) {
        let operator = app.login("operatore").await;
        let resident = app.login("inquilino").await;
        let candidates: Vec<PersonHit> = operator
            .get_json(&format!(
                "/api/v1/assist/candidates?q={}",
                resident.me.fiscal_code.clone().expect("code")
            ))
            .await;
        assert_eq!(candidates.len(), 1);
        assert_eq!(candidates[0].user_id, Some(resident.me.id));
        let applicants: Vec<PersonHit> = operator.get_json("/api/v1/assist/candidates?q=richied").await;
        assert!(!applicants.is_empty(), "applicants can be assisted too");
        let p = expect_problem(
            operator.post("/api/v1/assist", json!({"user_id": resident.me.id, "purpose": ""})).await,
            422,
        )
        .await;
        assert_eq!(p.errors[0].field, "purpose");
        let me: Me = json_of(
            operator
                .post(
                    "/api/v1/assist",
                    json!({"user_id": resident.me.id, "purpose": "telefonata al numero verde"}),
                )
                .await,
            200,
            "assist",
        )
        .await;
        assert_eq!(me.id, resident.me.id, "the session now acts as the resident");
        let assisting = me.assisting.clone().expect("assisting");
        assert_eq!(assisting.operator.id, operator.me.id);
        assert_eq!(assisting.purpose, "telefonata al numero verde");
        assert_eq!(me.residence, resident.me.residence);
        // The operator's own powers are set aside while assisting.
        let p = expect_problem(operator.get("/api/v1/registry/search?q=rossi").await, 403).await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        // An act for the resident records both.
        let export = operator.get("/api/v1/me/export").await;
        assert_eq!(export.status(), 200);
        // Erasing an account is for its owner only.
        let res = operator
            .send(Method::DELETE, "/api/v1/me", Some(json!({"confirm": "CANCELLA"})))
            .await;
        assert_eq!(expect_problem(res, 403).await.code, ErrorCode::Forbidden);
        let back: Me = json_of(operator.delete("/api/v1/assist").await, 200, "stop").await;
        assert_eq!(back.id, operator.me.id);
        assert!(back.assisting.is_none());

        let starts = audit(app, "assist.start").await;
        assert_eq!(starts.len(), 1);
        assert_eq!(starts[0].actor.as_ref().map(|a| a.id), Some(operator.me.id));
        assert_eq!(starts[0].purpose.as_deref(), Some("telefonata al numero verde"));
        let exports = audit(app, "account.export").await;
        assert_eq!(exports.len(), 1);
        assert_eq!(exports[0].actor.as_ref().map(|a| a.id), Some(operator.me.id));
        assert_eq!(exports[0].on_behalf_of.as_ref().map(|a| a.id), Some(resident.me.id));
        assert_eq!(audit(app, "assist.stop").await.len(), 1);
        // The resident's own data export tells them an operator acted for them.
        let data: serde_json::Value = resident.get_json("/api/v1/me/export").await;
        let acts = data["activity"].as_array().expect("activity");
        assert!(acts
            .iter()
            .any(|a| a["action"] == "account.export" && a["by_operator_for_you"] == true));
    }
);

people_test!(
    async fn staff_import_the_export_through_the_api(app) {
        let staff = app.login("staff").await;
        let mut rows = cortile_tests::export::rows(
            cortile::registry::demo::Scale::Small,
            |i| usize::from(i == 3),
            true,
        );
        let good = cortile_tests::export::write(&rows, &cortile_tests::export::Format::default());
        rows[0].set("codice_fiscale", "RSSMRA85T10A562X");
        let bad = cortile_tests::export::write(&rows, &cortile_tests::export::Format::default());
        let upload = |bytes: Vec<u8>, query: &str| {
            staff
                .client
                .post(staff.url(&format!("/api/v1/registry/imports?{query}")))
                .header("x-csrf-token", &staff.csrf)
                .header("content-type", "text/csv")
                .body(bytes)
                .send()
        };
        let report: ImportReport =
            json_of(upload(bad, "name=bad.csv").await.expect("upload"), 200, "bad").await;
        assert_eq!(report.outcome, Outcome::Rejected);
        assert_eq!(report.errors[0].line, 2);
        assert_eq!(report.errors[0].column.as_deref(), Some("codice_fiscale"));
        let dry: ImportReport =
            json_of(upload(good.clone(), "dry_run=true").await.expect("upload"), 200, "dry").await;
        assert_eq!(dry.outcome, Outcome::DryRun);
        let applied: ImportReport =
            json_of(upload(good, "name=ok.csv").await.expect("upload"), 200, "ok").await;
        assert_eq!(applied.outcome, Outcome::Applied);
        let list: Vec<cortile_shared::import::ImportSummary> =
            staff.get_json("/api/v1/registry/imports").await;
        assert_eq!(list[0].source_name, "ok.csv");
        assert_eq!(list[0].imported_by, "staff");
        assert_eq!(audit(app, "registry.import").await.len(), 3);
        // An empty or oversized file is refused with a problem.
        let p = expect_problem(upload(Vec::new(), "").await.expect("upload"), 422).await;
        assert_eq!(p.errors[0].field, "file");
        let huge = vec![b'a'; cortile::registry::routes::MAX_IMPORT_BYTES + 1];
        let p = expect_problem(upload(huge, "").await.expect("upload"), 413).await;
        assert_eq!(p.code, ErrorCode::PayloadTooLarge);
    }
);
