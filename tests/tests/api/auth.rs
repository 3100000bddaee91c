//! Login, sessions, CSRF, rate limiting, registry-derived access, GDPR export and erasure, on
//! both databases.

use chrono::{Duration, Utc};
use cortile::db::schema::{household_members, sessions, users};
use cortile_shared::auth::{GrantSource, Me, Role, Scope, SessionInfo};
use cortile_shared::ErrorCode;
use cortile_tests::{expect_problem, json_of, people_test};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

people_test!(
    async fn local_login_sets_an_httponly_cookie_and_me_answers(app) {
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "Staff ", "password": cortile_tests::DEMO_PASSWORD}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 200);
        let cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a cookie")
            .to_owned();
        assert!(cookie.starts_with("cortile_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(cookie.contains("Path=/"), "{cookie}");
        let me: Me = res.json().await.expect("me");
        assert_eq!(me.username.as_deref(), Some("staff"));
        assert!(me.has_role(Role::Staff));
        assert!(!me.csrf_token.is_empty());
        assert!(me.idle_expires_at <= me.expires_at);
        assert!(me.expires_at - Utc::now() > Duration::hours(11));

        let session = app.login("staff").await;
        let again: Me = session.get_json("/api/v1/me").await;
        assert_eq!(again.id, me.id);
        assert_ne!(again.session, me.session, "a new session at every login");
        let p = expect_problem(app.get("/api/v1/me").await, 401).await;
        assert_eq!(p.code, ErrorCode::Unauthenticated);
    }
);

people_test!(
    async fn wrong_passwords_and_unknown_users_look_the_same(app) {
        for (user, pass) in [("staff", "not the password"), ("nobody", "whatever-123")] {
            let res = app
                .client
                .post(app.url("/api/v1/auth/login"))
                .json(&json!({"username": user, "password": pass}))
                .send()
                .await
                .expect("login");
            assert!(res.headers().get("set-cookie").is_none());
            let p = expect_problem(res, 401).await;
            assert_eq!(p.code, ErrorCode::InvalidCredentials);
            assert_eq!(p.detail.as_deref(), Some("the username or the password is wrong"));
        }
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "", "password": ""}))
            .send()
            .await
            .expect("login");
        let p = expect_problem(res, 422).await;
        let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["username", "password"]);
    }
);

people_test!(
    async fn login_is_rate_limited_per_username_with_retry_after(app) {
        let attempt = |pass: &'static str| {
            app.client
                .post(app.url("/api/v1/auth/login"))
                .json(&json!({"username": "admin", "password": pass}))
                .send()
        };
        for _ in 0..5 {
            assert_eq!(attempt("wrong-password").await.expect("login").status(), 401);
        }
        let res = attempt("wrong-password").await.expect("login");
        let retry: u64 = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        assert!((1..=900).contains(&retry), "{retry}");
        assert_eq!(expect_problem(res, 429).await.code, ErrorCode::RateLimited);
        // Even the right password waits: the limit is not an oracle.
        let res = attempt(cortile_tests::DEMO_PASSWORD).await.expect("login");
        assert_eq!(res.status(), 429);
        // Other accounts are not affected.
        app.login("staff").await;
    }
);

people_test!(
    async fn writes_need_the_csrf_token_and_the_same_origin(app) {
        let s = app.login("operatore").await;
        let other = app.login("operatore").await;
        let path = format!("/api/v1/me/sessions/{}", other.me.session);
        // No token.
        let res = s.client.delete(s.url(&path)).send().await.expect("send");
        assert_eq!(expect_problem(res, 403).await.code, ErrorCode::CsrfFailed);
        // Another session's token.
        let res = s
            .client
            .delete(s.url(&path))
            .header("x-csrf-token", &other.csrf)
            .send()
            .await
            .expect("send");
        assert_eq!(expect_problem(res, 403).await.code, ErrorCode::CsrfFailed);
        // The right token, from another site.
        let res = s
            .client
            .delete(s.url(&path))
            .header("x-csrf-token", &s.csrf)
            .header("origin", "https://evil.example")
            .send()
            .await
            .expect("send");
        assert_eq!(expect_problem(res, 403).await.code, ErrorCode::CsrfFailed);
        // Nothing happened so far.
        other.get_json::<Me>("/api/v1/me").await;
        // The right token, same origin.
        let res = s
            .client
            .delete(s.url(&path))
            .header("x-csrf-token", &s.csrf)
            .header("origin", &app.address)
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), 204);
        expect_problem(other.get("/api/v1/me").await, 401).await;
        // A login from another site is refused too.
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("origin", "https://evil.example")
            .json(&json!({"username": "staff", "password": cortile_tests::DEMO_PASSWORD}))
            .send()
            .await
            .expect("login");
        assert_eq!(expect_problem(res, 403).await.code, ErrorCode::CsrfFailed);
    }
);

people_test!(
    async fn sessions_are_listed_revoked_and_expire(app) {
        let laptop = app.login("staff").await;
        let phone = app.login("staff").await;
        let tablet = app.login("staff").await;
        let list: Vec<SessionInfo> = laptop.get_json("/api/v1/me/sessions").await;
        assert_eq!(list.len(), 3);
        assert_eq!(list.iter().filter(|s| s.current).count(), 1);
        assert!(list.iter().any(|s| s.current && s.id == laptop.me.session));
        // Someone else's session cannot be revoked, and says nothing of its existence.
        let other = app.login("admin").await;
        let res = laptop
            .delete(&format!("/api/v1/me/sessions/{}", other.me.session))
            .await;
        assert_eq!(expect_problem(res, 404).await.code, ErrorCode::NotFound);
        other.get_json::<Me>("/api/v1/me").await;
        // Revoke one.
        let res = laptop
            .delete(&format!("/api/v1/me/sessions/{}", phone.me.session))
            .await;
        assert_eq!(res.status(), 204);
        expect_problem(phone.get("/api/v1/me").await, 401).await;
        // Revoke all others.
        assert_eq!(laptop.delete("/api/v1/me/sessions").await.status(), 204);
        expect_problem(tablet.get("/api/v1/me").await, 401).await;
        laptop.get_json::<Me>("/api/v1/me").await;

        // Idle expiry: 30 minutes without a request.
        let mut conn = app.connect();
        let now = Utc::now().naive_utc();
        diesel::update(sessions::table.find(laptop.me.session.0))
            .set(sessions::last_seen_at.eq(now - Duration::minutes(31)))
            .execute(&mut conn)
            .expect("age the session");
        expect_problem(laptop.get("/api/v1/me").await, 401).await;
        // Absolute expiry: 12 hours after login, even when active.
        let fresh = app.login("admin").await;
        diesel::update(sessions::table.find(fresh.me.session.0))
            .set(sessions::expires_at.eq(now - Duration::seconds(1)))
            .execute(&mut conn)
            .expect("expire the session");
        expect_problem(fresh.get("/api/v1/me").await, 401).await;
        // Logout ends the session and clears the cookie.
        let s = app.login("moderatore").await;
        let res = s.send(Method::POST, "/api/v1/auth/logout", None).await;
        assert_eq!(res.status(), 204);
        expect_problem(s.get("/api/v1/me").await, 401).await;
    }
);

people_test!(
    async fn the_registry_decides_resident_access(app) {
        let s = app.login("inquilino").await;
        let residence = s.me.residence.clone().expect("the demo resident has a home");
        let registry_grants: Vec<_> = s
            .me
            .grants
            .iter()
            .filter(|g| g.source == GrantSource::Registry)
            .collect();
        assert!(registry_grants
            .iter()
            .any(|g| g.role == Role::Resident && g.scope == Scope::Building(residence.home.building_id)));
        assert!(registry_grants
            .iter()
            .any(|g| g.role == Role::Resident && g.scope == Scope::Estate(residence.home.estate_id)));
        // The person leaves the household: the access goes at once, the account stays.
        let mut conn = app.connect();
        diesel::update(
            household_members::table
                .filter(household_members::person_id.eq(residence.person_id.0))
                .filter(household_members::ended_at.is_null()),
        )
        .set(household_members::ended_at.eq(Utc::now().naive_utc()))
        .execute(&mut conn)
        .expect("end the membership");
        let me: Me = s.get_json("/api/v1/me").await;
        assert!(me.residence.is_none());
        assert!(!me.has_role(Role::Resident));
        assert_eq!(me.id, s.me.id);
        // The applicant follows their application.
        let a = app.login("richiedente").await;
        assert!(a.me.has_role(Role::Applicant));
        let apps: Vec<cortile_shared::tenancy::Application> =
            a.get_json("/api/v1/me/applications").await;
        assert_eq!(apps.len(), 1);
        assert!(!apps[0].history.is_empty());
        assert_eq!(apps[0].history.last().map(|h| h.status), Some(apps[0].status));
        let none: Vec<cortile_shared::tenancy::Application> =
            s.get_json("/api/v1/me/applications").await;
        assert!(none.is_empty(), "the resident has no application");
    }
);

people_test!(
    async fn my_data_export_holds_mine_and_nobody_elses(app) {
        let s = app.login("inquilino").await;
        let residence = s.me.residence.clone().expect("home");
        let mut conn = app.connect();
        // Household members other than the demo resident.
        let others: Vec<String> = household_members::table
            .inner_join(cortile::db::schema::persons::table)
            .filter(household_members::household_id.eq(residence.household_id.0))
            .filter(household_members::person_id.ne(residence.person_id.0))
            .select(cortile::db::schema::persons::fiscal_code)
            .load(&mut conn)
            .expect("others");
        // What I wrote is mine to take away.
        let estate = crate::support::estate_community(&s).await;
        crate::support::write_post(&s, &estate, "Scambio semi", "Ho semi di basilico").await;
        let res = s.get("/api/v1/me/export").await;
        assert!(res
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .contains("attachment"));
        let data: serde_json::Value = json_of(res, 200, "export").await;
        let text = data.to_string();
        assert_eq!(data["account"]["username"], "inquilino");
        assert_eq!(data["registry"]["fiscal_code"], s.me.fiscal_code.clone().expect("code"));
        assert!(!data["sessions"].as_array().expect("sessions").is_empty());
        assert_eq!(data["posts"][0]["title"], "Scambio semi");
        assert_eq!(data["posts"][0]["body"], "Ho semi di basilico");
        assert!(data["photos"].is_array() && data["comments"].is_array());
        for code in &others {
            assert!(!text.contains(code.as_str()), "another member's fiscal code leaked");
        }
        assert!(!text.contains("password_hash") && !text.contains("$argon2"));
    }
);

people_test!(
    async fn erasing_an_account_removes_identity_and_logs_out(app) {
        let s = app.login("inquilino").await;
        let id = s.me.id.0;
        let res = s
            .send(Method::DELETE, "/api/v1/me", Some(json!({"confirm": "yes"})))
            .await;
        let p = expect_problem(res, 422).await;
        assert_eq!(p.errors[0].field, "confirm");
        s.get_json::<Me>("/api/v1/me").await;
        let res = s
            .send(Method::DELETE, "/api/v1/me", Some(json!({"confirm": "CANCELLA"})))
            .await;
        assert_eq!(res.status(), 204);
        expect_problem(s.get("/api/v1/me").await, 401).await;
        let mut conn = app.connect();
        let (username, name, code, hash, erased): (
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            Option<chrono::NaiveDateTime>,
        ) = users::table
            .find(id)
            .select((
                users::username,
                users::display_name,
                users::fiscal_code,
                users::password_hash,
                users::erased_at,
            ))
            .first(&mut conn)
            .expect("the row stays, pseudonymised");
        assert!(username.is_none() && code.is_none() && hash.is_none() && erased.is_some());
        assert!(!name.contains("Rossi"), "{name}");
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "inquilino", "password": cortile_tests::DEMO_PASSWORD}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 401);
        // The act is in the audit log.
        let admin = app.login("admin").await;
        let log: cortile_shared::Page<cortile_shared::tenancy::AuditEntry> =
            admin.get_json("/api/v1/audit?action=account.erase").await;
        assert_eq!(log.items.len(), 1);
        assert_eq!(log.items[0].object_id, Some(id));
    }
);
