//! Chat and the realtime socket, with real WebSocket clients (tokio-tungstenite), on both
//! databases: delivery and order, resume after a dropped connection, authorization and the
//! Origin check, removal and bans closing subscriptions, blocks, the rate limit, help rooms,
//! and two server processes on one PostgreSQL delivering each other's messages.

use std::time::{Duration, Instant};

use cortile_shared::realtime::{ClientMsg, History, ReadMark, Room, RoomId, RoomKind, ServerMsg};
use cortile_tests::ws::{seqs, WsClient};
use cortile_tests::{expect_problem, json_of, people_test, Backend, Session, TestApp};
use reqwest::Method;
use serde_json::json;

async fn rooms(s: &Session) -> Vec<Room> {
    s.get_json("/api/v1/chat/rooms").await
}

/// A community room both people are in (the estate's, for the resident and the committee).
async fn shared_room(a: &Session, b: &Session) -> RoomId {
    let mine = rooms(a).await;
    let theirs = rooms(b).await;
    mine.iter()
        .filter(|r| r.kind == RoomKind::Community)
        .find(|r| theirs.iter().any(|t| t.id == r.id))
        .map(|r| r.id)
        .expect("a community room in common")
}

fn message_seq(m: &ServerMsg) -> Option<i64> {
    match m {
        ServerMsg::Message { seq, .. } => Some(*seq),
        _ => None,
    }
}

fn ack_seq(m: &ServerMsg) -> i64 {
    match m {
        ServerMsg::Ack { seq, .. } => *seq,
        other => panic!("not an ack: {other:?}"),
    }
}

/// Collects the stored events of a room until `n` have arrived.
async fn events(ws: &mut WsClient, room: RoomId, n: usize) -> Vec<ServerMsg> {
    let mut got = Vec::new();
    while got.len() < n {
        let m = ws
            .until("a room event", |m| {
                m.room_seq().is_some_and(|(r, _)| r == room)
            })
            .await;
        got.push(m);
    }
    got
}

people_test!(
    async fn messages_arrive_once_in_order_and_are_stored_before_the_ack(app) {
        let resident = app.login("inquilino").await;
        let committee = app.login("comitato").await;
        let room = shared_room(&resident, &committee).await;
        let mut a = resident.ws().await;
        let mut b = committee.ws().await;
        assert!(matches!(a.next().await, ServerMsg::Hello { .. }));
        assert!(matches!(b.next().await, ServerMsg::Hello { .. }));
        assert!(matches!(a.subscribe(room, Some(0)).await, ServerMsg::Subscribed { last_seq: 0, .. }));
        assert!(matches!(b.subscribe(room, Some(0)).await, ServerMsg::Subscribed { .. }));

        let mut acked = Vec::new();
        for i in 0..12 {
            acked.push(ack_seq(&a.say(room, &format!("m{i}"), &format!("Messaggio **{i}**")).await));
        }
        assert_eq!(acked, (1..=12).collect::<Vec<_>>(), "acks carry dense seqs");
        let got = events(&mut b, room, 12).await;
        assert_eq!(seqs(&got, room), (1..=12).collect::<Vec<_>>(), "in order, once");
        if let ServerMsg::Message { message, .. } = &got[3] {
            assert_eq!(message.text, "Messaggio **3**");
            assert_eq!(message.html, "<p>Messaggio <strong>3</strong></p>\n");
            assert_eq!(message.sender.id, resident.me.id);
        }

        // A resend after a lost ack: the same seq, nothing new stored or sent.
        assert_eq!(ack_seq(&a.say(room, "m5", "Messaggio 5 again").await), 6);
        let extra = b.drain(Duration::from_millis(400)).await;
        assert!(seqs(&extra, room).is_empty(), "a resend is not sent again: {extra:?}");

        // Edit and delete are events of the room too, with the next seqs.
        let first: History = resident.get_json(&format!("/api/v1/chat/rooms/{}/messages?limit=1", room.0)).await;
        let newest = first.messages[0].id;
        a.send(&ClientMsg::Edit { room, message: newest, text: "corretto".into() }).await;
        let e = b.until("edit", |m| matches!(m, ServerMsg::Edit { .. })).await;
        assert_eq!(e.room_seq(), Some((room, 13)));
        let res = resident.delete(&format!("/api/v1/chat/rooms/{}/messages/{}", room.0, newest.0)).await;
        assert_eq!(res.status(), 204);
        let d = b.until("delete", |m| matches!(m, ServerMsg::Delete { .. })).await;
        assert_eq!(d.room_seq(), Some((room, 14)));

        // Typing and read markers are ephemeral; presence names who came.
        a.send(&ClientMsg::Typing { room }).await;
        let t = b.until("typing", |m| matches!(m, ServerMsg::Typing { .. })).await;
        assert!(matches!(t, ServerMsg::Typing { user, .. } if user.id == resident.me.id));
        b.send(&ClientMsg::Read { room, seq: 14 }).await;
        a.until("read marker", |m| matches!(m, ServerMsg::ReadMarker { seq: 14, .. })).await;

        // History, newest first, paginated backwards; the deleted message keeps its place.
        let page: History = committee.get_json(&format!("/api/v1/chat/rooms/{}/messages?limit=5", room.0)).await;
        assert_eq!(page.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![12, 11, 10, 9, 8]);
        assert!(page.messages[0].deleted && page.messages[0].text.is_empty());
        let older: History = committee
            .get_json(&format!("/api/v1/chat/rooms/{}/messages?limit=50&before={}", room.0, page.before.expect("more")))
            .await;
        assert_eq!(older.messages.len(), 7);
        assert!(older.before.is_none());

        // Unread counts: the committee read up to 14; the resident has nothing unread of theirs.
        let list = rooms(&committee).await;
        let r = list.iter().find(|r| r.id == room).expect("listed");
        assert_eq!((r.last_seq, r.read_seq, r.unread), (14, 14, 0));
        // The room list shows the newest message (deleted, so without its text).
        let last = r.last_message.as_ref().expect("the newest message");
        assert_eq!((last.seq, last.deleted, last.text.as_str()), (12, true, ""));
        // "Seen by": the resident learns how far the committee has read (not their own marker).
        let seen: Vec<ReadMark> = resident.get_json(&format!("/api/v1/chat/rooms/{}/reads", room.0)).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!((seen[0].user.id, seen[0].seq), (committee.me.id, 14));
        a.close().await;
        b.close().await;
    }
);

people_test!(
    async fn a_client_that_reconnects_gets_exactly_what_it_missed(app) {
        let resident = app.login("inquilino").await;
        let committee = app.login("comitato").await;
        let room = shared_room(&resident, &committee).await;
        let mut a = resident.ws().await;
        a.subscribe(room, Some(0)).await;
        let mut b = committee.ws().await;
        b.subscribe(room, Some(0)).await;
        for i in 0..3 {
            a.say(room, &format!("before-{i}"), "prima").await;
        }
        let seen = events(&mut b, room, 3).await;
        let last = seqs(&seen, room).last().copied().expect("seen");
        // The connection drops; messages go on meanwhile.
        drop(b);
        for i in 0..5 {
            a.say(room, &format!("during-{i}"), "durante").await;
        }
        let mut b = committee.ws().await;
        let sub = b.subscribe(room, Some(last)).await;
        assert!(matches!(sub, ServerMsg::Subscribed { after: 3, last_seq: 8, truncated: false, .. }), "{sub:?}");
        // And live ones while it catches up.
        a.say(room, "after-0", "dopo").await;
        let got = events(&mut b, room, 6).await;
        assert_eq!(seqs(&got, room), vec![4, 5, 6, 7, 8, 9]);
        assert!(got.iter().filter_map(message_seq).count() == 6);
        let more = b.drain(Duration::from_millis(400)).await;
        assert!(seqs(&more, room).is_empty(), "nothing twice: {more:?}");
        // Subscribing with no cursor: only what comes next.
        let mut c = committee.ws().await;
        assert!(matches!(c.subscribe(room, None).await, ServerMsg::Subscribed { after: 9, .. }));
        a.say(room, "after-1", "ancora").await;
        assert_eq!(seqs(&events(&mut c, room, 1).await, room), vec![10]);
        for s in [a, b, c] {
            s.close().await;
        }
    }
);

people_test!(
    async fn nobody_hears_a_room_they_are_not_in_and_other_sites_are_refused(app) {
        let resident = app.login("inquilino").await;
        let committee = app.login("comitato").await;
        let outsider = app.login("richiedente").await;
        let room = shared_room(&resident, &committee).await;
        assert!(rooms(&outsider).await.iter().all(|r| r.id != room));

        // The handshake: another origin 403, no origin 403, no session 401.
        assert_eq!(resident.ws_from(Some("http://evil.example")).await.err(), Some(403));
        assert_eq!(resident.ws_from(None).await.err(), Some(403));
        assert_eq!(app.anonymous().ws_from(Some(cortile_tests::ws::TEST_ORIGIN)).await.err(), Some(401));

        let mut o = outsider.ws().await;
        let refused = o.subscribe(room, Some(0)).await;
        assert!(matches!(refused, ServerMsg::Error { code: cortile_shared::ErrorCode::NotFound, .. }), "{refused:?}");
        let nope = o.say(room, "x", "intruso").await;
        assert!(matches!(nope, ServerMsg::Error { code: cortile_shared::ErrorCode::NotFound, .. }), "{nope:?}");
        o.send(&ClientMsg::Typing { room }).await;
        o.send_raw("{\"type\":\"nonsense\"}").await;
        let typing = o.until("error", |m| matches!(m, ServerMsg::Error { .. })).await;
        assert!(matches!(typing, ServerMsg::Error { code: cortile_shared::ErrorCode::NotFound, .. }), "{typing:?}");
        let bad = o.until("error", |m| matches!(m, ServerMsg::Error { .. })).await;
        assert!(matches!(bad, ServerMsg::Error { code: cortile_shared::ErrorCode::BadRequest, .. }), "{bad:?}");

        let mut a = resident.ws().await;
        a.subscribe(room, Some(0)).await;
        a.say(room, "hello", "solo per il quartiere").await;
        let heard = o.drain(Duration::from_millis(500)).await;
        assert!(heard.iter().all(|m| m.room() != Some(room)), "the outsider heard: {heard:?}");
        expect_problem(outsider.get(&format!("/api/v1/chat/rooms/{}/messages", room.0)).await, 404).await;
        expect_problem(outsider.get(&format!("/api/v1/chat/rooms/{}", room.0)).await, 404).await;
        o.close().await;
        a.close().await;
    }
);

/// Waits for `Removed` and says how long it took.
async fn removed_within(ws: &mut WsClient, room: RoomId, since: Instant) -> Duration {
    ws.until(
        "removed",
        |m| matches!(m, ServerMsg::Removed { room: r } if *r == room),
    )
    .await;
    since.elapsed()
}

people_test!(
    async fn a_ban_or_a_removal_takes_the_socket_out_of_the_room_within_a_second(app) {
        let resident = app.login("inquilino").await;
        let committee = app.login("comitato").await;
        let staff = app.login("staff").await;
        let room = shared_room(&resident, &committee).await;
        let community = rooms(&resident).await.into_iter().find(|r| r.id == room).and_then(|r| r.community_id).expect("community");
        let mut a = resident.ws().await;
        a.subscribe(room, Some(0)).await;
        let mut b = committee.ws().await;
        b.subscribe(room, Some(0)).await;

        let t = Instant::now();
        let res = staff
            .post(&format!("/api/v1/communities/{}/bans", community.0), json!({"user_id": resident.me.id, "reason": "insulti ripetuti"}))
            .await;
        assert_eq!(res.status(), 204);
        let took = removed_within(&mut a, room, t).await;
        assert!(took < Duration::from_secs(1), "removed after {took:?}");
        b.say(room, "after-ban", "non lo sente").await;
        let heard = a.drain(Duration::from_millis(400)).await;
        assert!(heard.iter().all(|m| m.room() != Some(room)), "heard after the ban: {heard:?}");
        assert!(matches!(a.subscribe(room, Some(0)).await, ServerMsg::Error { .. }));

        // A group room: its moderator removes a member.
        let group: Room = json_of(
            committee.post("/api/v1/chat/rooms", json!({"name": "Comitato e custode", "members": [staff.me.id]})).await,
            201,
            "group",
        )
        .await;
        let mut s = staff.ws().await;
        s.subscribe(group.id, Some(0)).await;
        let t = Instant::now();
        let res = committee.post(&format!("/api/v1/chat/rooms/{}/removals", group.id.0), json!({"user_id": staff.me.id})).await;
        assert_eq!(res.status(), 204);
        let took = removed_within(&mut s, group.id, t).await;
        assert!(took < Duration::from_secs(1), "removed after {took:?}");
        expect_problem(staff.get(&format!("/api/v1/chat/rooms/{}", group.id.0)).await, 404).await;
        // A mute: still reading, not sending.
        let res = staff.post(&format!("/api/v1/chat/rooms/{}/mutes", room.0), json!({"user_id": committee.me.id, "minutes": 5})).await;
        assert_eq!(res.status(), 204);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(matches!(b.say(room, "muted", "zitto").await, ServerMsg::Error { code: cortile_shared::ErrorCode::Muted, .. }));
        for c in [a, b, s] {
            c.close().await;
        }
    }
);

people_test!(
    async fn blocked_people_cannot_send_direct_messages(app) {
        let resident = app.login("inquilino").await;
        let committee = app.login("comitato").await;
        let dm: Room = json_of(committee.post("/api/v1/chat/direct", json!({"user_id": resident.me.id})).await, 200, "dm").await;
        assert_eq!(dm.kind, RoomKind::Direct);
        assert_eq!(dm.peer.as_ref().map(|p| p.id), Some(resident.me.id));
        let again: Room = json_of(resident.post("/api/v1/chat/direct", json!({"user_id": committee.me.id})).await, 200, "dm").await;
        assert_eq!(again.id, dm.id, "one room per pair");
        let mut c = committee.ws().await;
        c.subscribe(dm.id, Some(0)).await;
        assert!(matches!(c.say(dm.id, "hi", "ciao").await, ServerMsg::Ack { .. }));

        let res = resident.send(Method::PUT, &format!("/api/v1/chat/blocks/{}", committee.me.id), None).await;
        assert_eq!(res.status(), 204);
        let p = expect_problem(committee.post("/api/v1/chat/direct", json!({"user_id": resident.me.id})).await, 403).await;
        assert_eq!(p.code, cortile_shared::ErrorCode::Blocked);
        assert!(matches!(c.say(dm.id, "again", "ancora").await, ServerMsg::Error { code: cortile_shared::ErrorCode::Blocked, .. }));
        let blocks: Vec<cortile_shared::realtime::Block> = resident.get_json("/api/v1/chat/blocks").await;
        assert_eq!(blocks.len(), 1);
        // Unblocked, they talk again.
        assert_eq!(resident.delete(&format!("/api/v1/chat/blocks/{}", committee.me.id)).await.status(), 204);
        assert!(matches!(c.say(dm.id, "again2", "di nuovo").await, ServerMsg::Ack { .. }));
        c.close().await;
    }
);

people_test!(
    async fn sending_is_rate_limited_per_person(app) {
        let resident = app.login("inquilino").await;
        let committee = app.login("comitato").await;
        let room = shared_room(&resident, &committee).await;
        let mut a = resident.ws().await;
        a.subscribe(room, Some(0)).await;
        for i in 0..30 {
            a.send(&ClientMsg::Send { room, client_msg_id: format!("r{i}"), text: "spam".into(), reply_to: None }).await;
        }
        let mut acks = 0;
        let mut limited = 0;
        while acks + limited < 30 {
            match a.until("ack or error", |m| matches!(m, ServerMsg::Ack { .. } | ServerMsg::Error { .. })).await {
                ServerMsg::Ack { .. } => acks += 1,
                ServerMsg::Error { code: cortile_shared::ErrorCode::RateLimited, .. } => limited += 1,
                other => panic!("{other:?}"),
            }
        }
        assert!(limited >= 3 && acks >= 20, "{acks} sent, {limited} refused");
        a.close().await;
    }
);

people_test!(
    async fn talk_to_a_person_reaches_the_operators_on_duty(app) {
        let resident = app.login("inquilino").await;
        let operator = app.login("operatore").await;
        let mut op = operator.ws().await;
        op.next().await;
        let help: Room = json_of(resident.post("/api/v1/chat/help", json!({})).await, 200, "help").await;
        assert!(help.waiting && help.kind == RoomKind::Help);
        let told = op.until("help waiting", |m| matches!(m, ServerMsg::Domain { topic, .. } if topic == "help.waiting")).await;
        assert!(matches!(told, ServerMsg::Domain { data, .. } if data["room"] == help.id.0));
        let queue: Vec<Room> = operator.get_json("/api/v1/chat/help").await;
        assert!(queue.iter().any(|r| r.id == help.id));
        expect_problem(resident.get("/api/v1/chat/help").await, 403).await;
        let taken: Room = json_of(operator.post(&format!("/api/v1/chat/help/{}/take", help.id.0), json!({})).await, 200, "take").await;
        assert!(!taken.waiting);
        assert_eq!(taken.assignee.map(|a| a.id), Some(operator.me.id));
        let mut r = resident.ws().await;
        r.subscribe(help.id, Some(0)).await;
        op.subscribe(help.id, Some(0)).await;
        r.say(help.id, "h1", "La caldaia non parte").await;
        let got = op.until("message", |m| matches!(m, ServerMsg::Message { .. })).await;
        assert_eq!(got.room_seq(), Some((help.id, 1)));
        // Nobody else sees it.
        let committee = app.login("comitato").await;
        expect_problem(committee.get(&format!("/api/v1/chat/rooms/{}", help.id.0)).await, 404).await;
        op.close().await;
        r.close().await;
    }
);

/// Two `cortile` processes on one PostgreSQL database: each delivers the other's messages,
/// and a ban on one takes the socket on the other out of the room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_are_one_site() {
    let one = TestApp::builder(Backend::Postgres).people().spawn().await;
    let two = TestApp::builder(Backend::Postgres)
        .same_database(&one)
        .spawn()
        .await;
    let resident = one.login("inquilino").await;
    let committee = two.login("comitato").await;
    let staff = one.login("staff").await;
    let room = shared_room(&resident, &committee).await;
    // Listeners on each process; senders on their own sockets (waiting for an ack skips
    // whatever else arrives).
    let mut a = resident.ws().await;
    let mut b = committee.ws().await;
    a.subscribe(room, Some(0)).await;
    b.subscribe(room, Some(0)).await;
    // Presence crosses (approximately: each process adds the others' counts to its own).
    a.until(
        "presence counting the other process",
        |m| matches!(m, ServerMsg::Presence { online, .. } if *online >= 2),
    )
    .await;
    let mut send_one = resident.ws().await;
    let mut send_two = committee.ws().await;
    for i in 0..10 {
        assert!(matches!(
            send_one.say(room, &format!("one-{i}"), "dal primo").await,
            ServerMsg::Ack { .. }
        ));
        assert!(matches!(
            send_two.say(room, &format!("two-{i}"), "dal secondo").await,
            ServerMsg::Ack { .. }
        ));
    }
    send_one.close().await;
    send_two.close().await;
    let on_two = events(&mut b, room, 20).await;
    let on_one = events(&mut a, room, 20).await;
    assert_eq!(seqs(&on_two, room), (1..=20).collect::<Vec<_>>());
    assert_eq!(seqs(&on_one, room), (1..=20).collect::<Vec<_>>());
    // Typing crosses too.
    a.send(&ClientMsg::Typing { room }).await;
    b.until("typing", |m| matches!(m, ServerMsg::Typing { .. }))
        .await;
    // A ban decided on process one closes the subscription held on process two.
    let community = rooms(&committee)
        .await
        .into_iter()
        .find(|r| r.id == room)
        .and_then(|r| r.community_id)
        .expect("community");
    let t = Instant::now();
    let res = staff
        .post(
            &format!("/api/v1/communities/{}/bans", community.0),
            json!({"user_id": committee.me.id, "reason": "prova tra processi"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    // The ban's notification (written in its transaction) also reaches the other process.
    let (mut removed, mut told) = (None, false);
    while removed.is_none() || !told {
        match b.next().await {
            ServerMsg::Removed { room: r } if r == room => removed = Some(t.elapsed()),
            ServerMsg::Notification { .. } => told = true,
            _ => {}
        }
    }
    let took = removed.unwrap_or_default();
    assert!(took < Duration::from_secs(1), "removed after {took:?}");
    a.close().await;
    b.close().await;
    two.shutdown().await;
    one.shutdown().await;
}

people_test!(
    async fn notifications_reach_open_sockets(app) {
        let resident = app.login("inquilino").await;
        let staff = app.login("staff").await;
        let mut a = resident.ws().await;
        a.next().await;
        let community = rooms(&resident).await.into_iter().find_map(|r| r.community_id).expect("a community");
        let res = staff
            .post(&format!("/api/v1/communities/{}/bans", community.0), json!({"user_id": resident.me.id, "reason": "prova notifiche"}))
            .await;
        assert_eq!(res.status(), 204);
        let n = a.until("notification", |m| matches!(m, ServerMsg::Notification { .. })).await;
        assert!(matches!(n, ServerMsg::Notification { notification } if notification.link.contains(&community.0.to_string())));
        a.close().await;
    }
);

people_test!(
    async fn chat_is_in_the_export_and_erasure_leaves_messages_under_a_pseudonym(app) {
        use cortile::db::schema::{read_markers, room_members, user_blocks};
        use diesel::prelude::*;
        let resident = app.login("inquilino").await;
        let committee = app.login("comitato").await;
        let name = resident.me.display_name.clone();
        let room = shared_room(&resident, &committee).await;
        let dm: Room = json_of(committee.post("/api/v1/chat/direct", json!({"user_id": resident.me.id})).await, 200, "dm").await;
        let mut a = resident.ws().await;
        a.subscribe(room, Some(0)).await;
        a.subscribe(dm.id, Some(0)).await;
        ack_seq(&a.say(room, "g1", "Chi ha le chiavi della cantina?").await);
        ack_seq(&a.say(dm.id, "d1", "Grazie per ieri").await);
        a.send(&ClientMsg::Read { room: dm.id, seq: 1 }).await;
        let blocked = app.login("condomino").await;
        let res = resident.send(Method::PUT, &format!("/api/v1/chat/blocks/{}", blocked.me.id), None).await;
        assert_eq!(res.status(), 204);
        a.drain(Duration::from_millis(300)).await;

        // The export holds what they wrote, their rooms and their blocks.
        let data: serde_json::Value = json_of(resident.get("/api/v1/me/export").await, 200, "export").await;
        let texts: Vec<&str> = data["chat"]["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter_map(|m| m["text"].as_str())
            .collect();
        assert_eq!(texts, vec!["Chi ha le chiavi della cantina?", "Grazie per ieri"]);
        assert!(data["chat"]["rooms"].as_array().expect("rooms").iter().any(|r| r["room_id"] == dm.id.0));
        assert_eq!(data["chat"]["blocked"][0]["user_id"], blocked.me.id.0);
        assert!(!data.to_string().contains(&committee.me.display_name), "nobody else's data");

        // Erased: the messages stay, under the pseudonym, in history and on a replay.
        let res = resident.send(Method::DELETE, "/api/v1/me", Some(json!({"confirm": "CANCELLA"}))).await;
        assert_eq!(res.status(), 204);
        let page: History = committee.get_json(&format!("/api/v1/chat/rooms/{}/messages?limit=5", dm.id.0)).await;
        let mine = page.messages.iter().find(|m| m.sender.id == resident.me.id).expect("kept");
        assert_eq!(mine.text, "Grazie per ieri");
        assert!(mine.sender.display_name.starts_with("Utente rimosso"), "{}", mine.sender.display_name);
        let mut c = committee.ws().await;
        c.subscribe(dm.id, Some(0)).await;
        let replay = events(&mut c, dm.id, 1).await;
        let text = serde_json::to_string(&replay).expect("json");
        assert!(text.contains("Utente rimosso") && !text.contains(&name), "{text}");
        // Memberships, blocks and read markers are gone.
        let mut conn = app.connect();
        let me = resident.me.id.0;
        let members: i64 = room_members::table.filter(room_members::user_id.eq(me)).count().get_result(&mut conn).expect("count");
        let blocks: i64 = user_blocks::table
            .filter(user_blocks::blocker_id.eq(me).or(user_blocks::blocked_id.eq(me)))
            .count()
            .get_result(&mut conn)
            .expect("count");
        let markers: i64 = read_markers::table.filter(read_markers::user_id.eq(me)).count().get_result(&mut conn).expect("count");
        assert_eq!((members, blocks, markers), (0, 0, 0));
        c.close().await;
        // Their socket was closed (their sessions ended).
        let closed = tokio::time::timeout(Duration::from_secs(3), async {
            loop {
                use futures_util::StreamExt;
                match a.stream.next().await {
                    None | Some(Err(_)) | Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => break,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the erased person's socket stays open");
    }
);

/// Whether `who` shows as online in the member list of `room`, asked of `session`'s process.
async fn shown_online(session: &Session, room: RoomId, who: &Session) -> bool {
    let name = who.me.display_name.clone();
    let page: cortile_shared::Page<cortile_shared::realtime::RoomMember> = json_of(
        session
            .client
            .get(session.url(&format!("/api/v1/chat/rooms/{}/members", room.0)))
            .query(&[("q", name.as_str()), ("limit", "100")])
            .send()
            .await
            .expect("members"),
        200,
        "members",
    )
    .await;
    let who = who.me.id.0;
    assert!(
        page.items.iter().any(|m| m.user.id.0 == who),
        "person {who} is a member"
    );
    page.items.iter().any(|m| m.user.id.0 == who && m.online)
}

/// Waits (up to 5 s) until `who`'s online state in `room`, seen from `session`, is `online`.
async fn until_online(session: &Session, room: RoomId, who: &Session, online: bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while shown_online(session, room, who).await != online {
        assert!(
            Instant::now() < deadline,
            "person {} never showed as {} on the other process",
            who.me.id.0,
            if online { "online" } else { "offline" }
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The member list of a room says who is online on every process: a process that starts
/// after someone came online asks the others and knows it, and later comings and goings
/// cross too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_started_later_knows_who_is_online_elsewhere() {
    let one = TestApp::builder(Backend::Postgres).people().spawn().await;
    let resident = one.login("inquilino").await;
    let committee_on_one = one.login("comitato").await;
    let room = shared_room(&resident, &committee_on_one).await;
    let mut a = resident.ws().await;
    a.subscribe(room, Some(0)).await;
    assert!(shown_online(&committee_on_one, room, &resident).await);

    let two = TestApp::builder(Backend::Postgres)
        .same_database(&one)
        .spawn()
        .await;
    let committee = two.login("comitato").await;
    until_online(&committee, room, &resident, true).await;

    // Someone coming online on process one after process two started.
    let neighbour = one.login("condomino").await;
    let mut c = neighbour.ws().await;
    c.subscribe(room, Some(0)).await;
    until_online(&committee, room, &neighbour, true).await;
    // And going.
    a.close().await;
    until_online(&committee, room, &resident, false).await;
    assert!(shown_online(&committee, room, &neighbour).await);
    c.close().await;
    two.shutdown().await;
    one.shutdown().await;
}

/// Sends `request` on a new connection to the server and returns what it answered, whole.
async fn raw_http(app: &TestApp, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut out))
        .await
        .expect("the server closes the connection after refusing")
        .expect("read");
    String::from_utf8_lossy(&out).into_owned()
}

/// The server hands upgrade requests to the socket's own handshake: only `/api/v1/ws` is
/// upgraded, refusals are problems like every other route's, a plain GET is told what to do,
/// and a server that shuts down closes its sockets with "going away" instead of holding
/// the shutdown.
async fn upgrades_and_shutdown(backend: Backend) {
    let app = TestApp::builder(backend).people().spawn().await;
    let resident = app.login("inquilino").await;
    let cookie = resident.cookie_header().expect("a session cookie");
    let handshake = |path: &str, origin: &str, cookie: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Origin: {origin}\r\nCookie: {cookie}\r\n\r\n"
        )
    };
    let origin = cortile_tests::ws::TEST_ORIGIN;

    let other = raw_http(&app, &handshake("/api/v1/chat/rooms", origin, &cookie)).await;
    assert!(other.starts_with("HTTP/1.1 404"), "{other}");
    assert!(other.contains("application/problem+json"), "{other}");
    assert!(
        other.contains("\"code\":\"not_found\"") && other.contains("/api/v1/ws"),
        "{other}"
    );

    let evil = raw_http(
        &app,
        &handshake("/api/v1/ws", "http://evil.example", &cookie),
    )
    .await;
    assert!(evil.starts_with("HTTP/1.1 403"), "{evil}");
    assert!(
        evil.contains("application/problem+json") && evil.contains("\"code\":\"forbidden\""),
        "{evil}"
    );

    let stale = raw_http(
        &app,
        &handshake("/api/v1/ws", origin, "cortile_session=not-a-session"),
    )
    .await;
    assert!(stale.starts_with("HTTP/1.1 401"), "{stale}");

    let mut no_key = handshake("/api/v1/ws", origin, &cookie);
    no_key = no_key.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "");
    let bad = raw_http(&app, &no_key).await;
    assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");

    // A plain GET: the same checks, then 400.
    let res = resident
        .client
        .get(resident.url("/api/v1/ws"))
        .header("origin", origin)
        .send()
        .await
        .expect("get");
    let p = expect_problem(res, 400).await;
    assert!(p.detail.unwrap_or_default().contains("WebSocket"));

    // The accept key of RFC 6455's example, on the real socket.
    let ok = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = app.address.trim_start_matches("http://").to_owned();
        let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        tcp.write_all(handshake("/api/v1/ws", origin, &cookie).as_bytes())
            .await
            .expect("write");
        let mut buf = vec![0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
            .await
            .expect("an answer")
            .expect("read");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    assert!(ok.starts_with("HTTP/1.1 101"), "{ok}");
    assert!(ok.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{ok}");

    // Shutdown: the open socket is closed with 1001, and the shutdown does not wait for it.
    let mut socket = resident.ws().await;
    let hello = socket.next_within(Duration::from_secs(5)).await;
    assert!(matches!(hello, Some(ServerMsg::Hello { .. })), "{hello:?}");
    let started = Instant::now();
    let stopping = tokio::spawn(app.shutdown());
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        use futures_util::StreamExt;
        loop {
            match socket.stream.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("the socket ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("the socket is closed at shutdown");
    let frame = closed.expect("a close frame with a code");
    assert_eq!(u16::from(frame.code), 1001, "{frame:?}");
    stopping.await.expect("shutdown");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the shutdown waited for the socket ({:?})",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_socket_upgrades_and_shutdown_closes_sockets_sqlite() {
    upgrades_and_shutdown(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_socket_upgrades_and_shutdown_closes_sockets_postgres() {
    upgrades_and_shutdown(Backend::Postgres).await;
}
