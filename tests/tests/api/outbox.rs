//! Email notifications through the outbox to a real SMTP server on loopback, and the outbox's
//! claims and retries, on both databases.

use chrono::{Duration, Utc};
use cortile::db::schema::outbox;
use cortile_shared::community::{NotificationSettings, Post};

use crate::support::{comment, estate_community, save_settings, write_post};
use cortile_tests::smtp::SmtpServer;
use cortile_tests::{expect_problem, json_of, Backend, TestApp};
use diesel::prelude::*;
use serde_json::json;

async fn email_is_sent_only_when_chosen(backend: Backend) {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = TestApp::builder(backend)
        .people()
        .configure(move |c| c.smtp_url = Some(url))
        .spawn()
        .await;
    let resident = app.login("inquilino").await;
    let committee = app.login("comitato").await;
    // Consent needs an address; nothing is sent before choosing.
    let p = expect_problem(
        resident
            .send(
                reqwest::Method::PUT,
                "/api/v1/me/notification-settings",
                Some(json!({"email_consent": true})),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(p.errors[0].field, "email");
    let fresh: NotificationSettings = resident.get_json("/api/v1/me/notification-settings").await;
    assert!(
        !fresh.email_consent && fresh.preferences.is_empty(),
        "off by default"
    );
    let saved = save_settings(
        &resident,
        json!({"email": "maria.rossi@example.org", "email_consent": true,
                            "preferences": [{"kind": "comment_on_post", "channel": "email", "enabled": true}]}),
    )
    .await;
    assert_eq!(saved.preferences.len(), 1);

    let estate = estate_community(&resident).await;
    let post = write_post(&resident, &estate, "Festa di via", "Sabato").await;
    comment(&committee, &post, "Portiamo le sedie").await;
    let got = smtp.wait_for(1).await;
    assert_eq!(got.len(), 1, "one email");
    assert_eq!(got[0].to, ["maria.rossi@example.org"]);
    let subject = got[0].header("Subject").unwrap_or_default();
    assert!(subject.contains("Nuovo commento"), "{subject}");
    let body = got[0].body();
    assert!(body.contains("«Festa di via»"), "{body}");
    assert!(
        body.contains("Comitato Inquilini San Siro"),
        "who commented: {body}"
    );
    let message_id = got[0].header("Message-ID").unwrap_or_default();
    assert!(message_id.contains("notification"), "{message_id}");
    // A kind not chosen goes only to the app.
    let moderator = app.login("moderatore").await;
    json_of::<Post>(
        moderator
            .post(
                &format!("/api/v1/posts/{}/moderation", post.id),
                json!({"action": "lock", "reason": "Basta così"}),
            )
            .await,
        200,
        "lock",
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(
        smtp.received().len(),
        1,
        "no email for a kind not chosen, none twice"
    );
    let mut conn = app.connect();
    let pending: i64 = outbox::table
        .filter(outbox::done_at.is_null())
        .count()
        .get_result(&mut conn)
        .expect("count");
    assert_eq!(pending, 0);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_is_sent_only_when_chosen_sqlite() {
    email_is_sent_only_when_chosen(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_is_sent_only_when_chosen_postgres() {
    email_is_sent_only_when_chosen(Backend::Postgres).await;
}

cortile_tests::db_test!(
    async fn deliveries_are_claimed_once_retried_with_backoff_then_given_up(app) {
        use cortile::outbox::{claim, enqueue, mark_done, mark_failed, MAX_ATTEMPTS};
        let mut conn = app.connect();
        let now = Utc::now().naive_utc();
        let payload = json!({"to": "x@example.org"});
        enqueue(&mut conn, "email", "k-1", &payload, now).expect("enqueue");
        enqueue(&mut conn, "email", "k-1", &payload, now).expect("enqueue again");
        let n: i64 = outbox::table.count().get_result(&mut conn).expect("count");
        assert_eq!(n, 1, "one row per dedup key");
        // Two workers: one wins.
        let a = claim(&mut conn, &["email"], 10, now).expect("claim");
        let b = claim(&mut conn, &["email"], 10, now).expect("claim");
        assert_eq!((a.len(), b.len()), (1, 0));
        assert!(claim(&mut conn, &["io"], 10, now).expect("claim").is_empty(), "by topic");
        // Fails: not due again for a minute.
        mark_failed(&mut conn, &a[0], "451 try again", now).expect("fail");
        assert!(claim(&mut conn, &["email"], 10, now + Duration::seconds(30)).expect("claim").is_empty());
        let mut at = now;
        let mut last = claim(&mut conn, &["email"], 10, now + Duration::minutes(2)).expect("claim");
        assert_eq!(last[0].attempts, 2);
        while last[0].attempts < MAX_ATTEMPTS {
            mark_failed(&mut conn, &last[0], "still failing", at).expect("fail");
            at += Duration::hours(7);
            last = claim(&mut conn, &["email"], 10, at).expect("claim");
            assert_eq!(last.len(), 1);
        }
        mark_failed(&mut conn, &last[0], "given up", at).expect("fail");
        assert!(claim(&mut conn, &["email"], 10, at + Duration::days(30)).expect("claim").is_empty());
        let (failed, error): (Option<chrono::NaiveDateTime>, Option<String>) = outbox::table
            .select((outbox::failed_at, outbox::last_error))
            .first(&mut conn)
            .expect("row");
        assert!(failed.is_some());
        assert_eq!(error.as_deref(), Some("given up"));
        // A crashed worker's lease expires and another takes over; done is final.
        enqueue(&mut conn, "email", "k-2", &payload, now).expect("enqueue");
        let first = claim(&mut conn, &["email"], 10, now).expect("claim");
        assert_eq!(first.len(), 1);
        let again = claim(&mut conn, &["email"], 10, now + Duration::minutes(3)).expect("claim");
        assert_eq!(again.len(), 1, "the lease ran out");
        mark_done(&mut conn, again[0].id, now).expect("done");
        assert!(claim(&mut conn, &["email"], 10, now + Duration::days(1)).expect("claim").is_empty());
    }
);

async fn io_messages_reach_those_who_opted_in(backend: Backend) {
    use cortile_tests::io_server::IoServer;
    let io = IoServer::start().await;
    let setting = (io.url.clone(), io.key.clone());
    let app = TestApp::builder(backend)
        .people()
        .configure(move |c| c.io = Some(setting))
        .spawn()
        .await;
    let resident = app.login("inquilino").await;
    let committee = app.login("comitato").await;
    save_settings(
        &resident,
        json!({"io_consent": true,
                            "preferences": [{"kind": "comment_on_post", "channel": "io", "enabled": true}]}),
    )
    .await;
    // Someone who did not opt in gets nothing on IO.
    let estate = estate_community(&resident).await;
    let post = write_post(&resident, &estate, "Orto", "Chi viene?").await;
    let other = write_post(&committee, &estate, "Assemblea", "Martedì").await;
    for (who, on) in [(&committee, post.id), (&resident, other.id)] {
        json_of::<cortile_shared::community::Comment>(
            who.post(
                &format!("/api/v1/posts/{on}/comments"),
                json!({"body": "Ci sono"}),
            )
            .await,
            201,
            "comment",
        )
        .await;
    }
    let started = std::time::Instant::now();
    while io.accepted().is_empty() && started.elapsed() < std::time::Duration::from_secs(20) {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let got = io.accepted();
    let rows: Vec<(String, i32, Option<String>)> = outbox::table
        .select((outbox::topic, outbox::attempts, outbox::last_error))
        .load(&mut app.connect())
        .expect("outbox");
    assert!(io.refused().is_empty(), "IO refused: {:?}", io.refused());
    assert!(
        rows.iter().all(|r| r.2.is_none()),
        "deliveries failed: {rows:?}"
    );
    assert_eq!(got.len(), 1, "only the person who opted in: {got:?}");
    assert_eq!(Some(got[0].fiscal_code.clone()), resident.me.fiscal_code);
    assert!(got[0].subject.contains("commento"), "{}", got[0].subject);
    assert!(got[0].markdown.contains("«Orto»"), "{}", got[0].markdown);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn io_messages_reach_those_who_opted_in_sqlite() {
    io_messages_reach_those_who_opted_in(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn io_messages_reach_those_who_opted_in_postgres() {
    io_messages_reach_those_who_opted_in(Backend::Postgres).await;
}

async fn a_daily_digest_gathers_the_days_emails_once(backend: Backend) {
    use cortile::notifications::digest::compose_due;
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = TestApp::builder(backend)
        .people()
        .configure(move |c| c.smtp_url = Some(url))
        .spawn()
        .await;
    let resident = app.login("inquilino").await;
    let committee = app.login("comitato").await;
    save_settings(
        &resident,
        json!({"email": "maria.rossi@example.org", "email_consent": true, "daily_digest": true,
               "preferences": [{"kind": "comment_on_post", "channel": "email", "enabled": true}]}),
    )
    .await;
    let estate = estate_community(&resident).await;
    let party = write_post(&resident, &estate, "Festa di via", "Sabato").await;
    let garden = write_post(&resident, &estate, "Orto comune", "Chi viene?").await;
    let seen = write_post(&resident, &estate, "Già letto", "In app").await;
    for post in [&party, &garden, &seen] {
        comment(&committee, post, "Ci siamo").await;
    }
    // What is read in the app does not come again by email.
    let page: cortile_shared::Page<cortile_shared::community::Notification> =
        resident.get_json("/api/v1/notifications").await;
    let read = page
        .items
        .iter()
        .find(|n| n.data["title"] == "Già letto")
        .expect("notification of the read post");
    let res = resident
        .post(
            &format!("/api/v1/notifications/{}/read", read.id),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 204, "read");
    // Nothing one by one.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(
        smtp.received().is_empty(),
        "no single emails with the digest"
    );
    // Not before the next digest time (the digest was chosen after today's); then once,
    // however often it runs. The digest hour is the current one, and yesterday's digest is
    // written as sent, so that today's is due now (the outbox delivers what is due by the
    // clock).
    use chrono::Timelike;
    use cortile::db::schema::notification_channels;
    let mut conn = app.connect();
    let now = Utc::now().naive_utc();
    let hour = now.hour();
    assert_eq!(
        compose_due(&mut conn, now, hour).expect("digest"),
        0,
        "not due yet"
    );
    diesel::update(notification_channels::table)
        .set(notification_channels::last_digest_at.eq(Some(now - Duration::days(1))))
        .execute(&mut conn)
        .expect("yesterday's digest");
    assert_eq!(compose_due(&mut conn, now, hour).expect("digest"), 1);
    assert_eq!(
        compose_due(&mut conn, Utc::now().naive_utc(), hour).expect("digest"),
        0
    );
    let got = smtp.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(smtp.received().len(), 1, "one digest");
    assert_eq!(got[0].to, ["maria.rossi@example.org"]);
    let subject = got[0].header("Subject").unwrap_or_default();
    assert!(
        subject.starts_with("Cortile: 2 "),
        "two notifications: {subject}"
    );
    let body = got[0].body();
    assert!(
        body.contains("«Festa di via»") && body.contains("«Orto comune»"),
        "{body}"
    );
    assert!(!body.contains("Già letto"), "read in the app: {body}");
    // The next day: nothing new, no email (what was sent is not sent again).
    let later = now + Duration::days(1);
    assert_eq!(compose_due(&mut conn, later, hour).expect("digest"), 0);
    let digests: i64 = outbox::table.count().get_result(&mut conn).expect("count");
    assert_eq!(digests, 1, "one email in the outbox in all");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_digest_gathers_the_days_emails_once_sqlite() {
    a_daily_digest_gathers_the_days_emails_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_digest_gathers_the_days_emails_once_postgres() {
    a_daily_digest_gathers_the_days_emails_once(Backend::Postgres).await;
}
