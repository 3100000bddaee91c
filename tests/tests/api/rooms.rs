//! Group rooms and member lists (issue 7, the people of a room), on both databases: finding
//! people to add (only those one shares a community with), creating a group, renaming it,
//! adding people, leaving it (moderation handed on, the leaver's sockets out of the room), the
//! member list of a room page by page with a name filter, who may see it, and bad input as
//! problem+json naming the field.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use cortile::db::schema::{buildings, household_members, households, persons, units, users};
use cortile_shared::auth::UserRef;
use cortile_shared::realtime::{AddedMembers, Room, RoomId, RoomKind, RoomMember, ServerMsg};
use cortile_shared::{ErrorCode, Page, UserId};
use cortile_tests::{expect_problem, json_of, people_test, Session, TestApp};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

/// Accounts (with no password: never logged in) for `n` people living in `estate`, or, with
/// `outside`, in another estate. Returns their ids and names.
fn accounts(app: &TestApp, estate: i64, outside: bool, n: usize) -> Vec<(i64, String)> {
    let mut conn = app.connect();
    let now = chrono::Utc::now().naive_utc();
    let taken: Vec<String> = users::table
        .filter(users::fiscal_code.is_not_null())
        .select(users::fiscal_code.assume_not_null())
        .load(&mut conn)
        .expect("linked codes");
    let mut q = household_members::table
        .inner_join(persons::table)
        .inner_join(households::table.inner_join(units::table.inner_join(buildings::table)))
        .filter(household_members::ended_at.is_null())
        .filter(households::contract_status.eq("active"))
        .filter(persons::fiscal_code.ne_all(taken))
        .into_boxed();
    q = if outside {
        q.filter(buildings::estate_id.ne(estate))
    } else {
        q.filter(buildings::estate_id.eq(estate))
    };
    let people: Vec<(String, String, String)> = q
        .order(persons::id)
        .limit(n as i64)
        .select((persons::fiscal_code, persons::given_name, persons::surname))
        .load(&mut conn)
        .expect("people of the registry");
    assert_eq!(people.len(), n, "the registry has {n} people free");
    people
        .into_iter()
        .map(|(code, given, surname)| {
            cortile_tests::registry_account(&mut conn, &code, &given, &surname, now)
        })
        .collect()
}

fn estate_of(s: &Session) -> i64 {
    s.me.residence.clone().expect("a home").home.estate_id.0
}

async fn members(s: &Session, room: RoomId, query: &str) -> Page<RoomMember> {
    json_of(
        s.get(&format!("/api/v1/chat/rooms/{}/members{query}", room.0))
            .await,
        200,
        "members",
    )
    .await
}

/// Every member of a room, following the cursor.
async fn all_members(s: &Session, room: RoomId, filter: &str, limit: usize) -> Vec<RoomMember> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = format!("?limit={limit}{filter}");
        if let Some(a) = &after {
            query.push_str(&format!("&after={a}"));
        }
        let page = members(s, room, &query).await;
        assert!(page.items.len() <= limit);
        out.extend(page.items);
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
        assert!(out.len() < 10_000, "the cursor goes forward");
    }
    out
}

fn field_of(p: &cortile_shared::Problem) -> Vec<(String, String)> {
    p.errors
        .iter()
        .map(|e| (e.field.clone(), e.code.clone()))
        .collect()
}

people_test!(
    async fn a_resident_makes_a_group_with_neighbours_renames_it_adds_people_and_leaves(app) {
        let anna = app.login("inquilino").await;
        let bruno = app.login("condomino").await;
        let committee = app.login("comitato").await;
        let staff = app.login("staff").await;
        let operator = app.login("operatore").await;
        let far = accounts(app, estate_of(&anna), true, 1).remove(0);

        // Finding people: by name, within reach only.
        let bruno_part: String = bruno.me.display_name.split_whitespace().last().expect("a surname").to_owned();
        let found: Vec<UserRef> = anna.get_json(&format!("/api/v1/chat/people?q={bruno_part}")).await;
        assert!(found.iter().any(|u| u.id == bruno.me.id), "Bruno found by {bruno_part}: {found:?}");
        assert!(found.iter().all(|u| u.id != anna.me.id), "never myself");
        let far_part = far.1.split_whitespace().last().expect("a surname").to_owned();
        let found: Vec<UserRef> = anna.get_json(&format!("/api/v1/chat/people?q={far_part}")).await;
        assert!(found.iter().all(|u| u.id.0 != far.0), "someone of another estate is out of reach");
        let found: Vec<UserRef> = staff.get_json(&format!("/api/v1/chat/people?q={far_part}")).await;
        assert!(found.iter().any(|u| u.id.0 == far.0), "staff find anyone");
        let p = expect_problem(anna.get("/api/v1/chat/people?q=a").await, 422).await;
        assert_eq!(field_of(&p), vec![("q".into(), "too_short".into())]);
        let p = expect_problem(anna.get("/api/v1/chat/people?q=bruno&limit=0").await, 422).await;
        assert_eq!(field_of(&p), vec![("limit".into(), "out_of_range".into())]);

        // Bad input changes nothing and names the field.
        let before: Vec<Room> = anna.get_json("/api/v1/chat/rooms").await;
        let p = expect_problem(anna.post("/api/v1/chat/rooms", json!({"name": "  ", "members": [bruno.me.id]})).await, 422).await;
        assert_eq!(field_of(&p), vec![("name".into(), "required".into())]);
        let p = expect_problem(anna.post("/api/v1/chat/rooms", json!({"name": "x".repeat(81), "members": []})).await, 422).await;
        assert_eq!(field_of(&p), vec![("name".into(), "too_long".into())]);
        let p = expect_problem(anna.post("/api/v1/chat/rooms", json!({"name": "Scala B", "members": [far.0]})).await, 422).await;
        assert_eq!(p.code, ErrorCode::ValidationFailed);
        assert_eq!(field_of(&p), vec![("members".into(), "out_of_reach".into())]);
        let p = expect_problem(anna.post("/api/v1/chat/rooms", json!({"name": "Scala B", "members": [i64::MAX]})).await, 422).await;
        assert_eq!(field_of(&p), vec![("members".into(), "not_found".into())]);
        let after: Vec<Room> = anna.get_json("/api/v1/chat/rooms").await;
        assert_eq!(before.len(), after.len(), "no room made by bad input");

        // With an Idempotency-Key a retry makes nothing new.
        let first: Room = json_of(
            anna.post_keyed("/api/v1/chat/rooms", "group-retry-1", json!({"name": "Cortile", "members": [bruno.me.id]})).await,
            201,
            "keyed group",
        )
        .await;
        let res = anna.post_keyed("/api/v1/chat/rooms", "group-retry-1", json!({"name": "Cortile", "members": [bruno.me.id]})).await;
        assert_eq!(res.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
        let again: Room = json_of(res, 201, "retried group").await;
        assert_eq!(again.id, first.id, "the same room");
        let p = expect_problem(anna.post_keyed("/api/v1/chat/rooms", "group-retry-1", json!({"name": "Altro", "members": []})).await, 422).await;
        assert_eq!(p.code, ErrorCode::IdempotencyKeyReused);
        let groups = anna
            .get_json::<Vec<Room>>("/api/v1/chat/rooms")
            .await
            .into_iter()
            .filter(|r| r.name == "Cortile")
            .count();
        assert_eq!(groups, 1, "one group for two requests");

        // Anna makes a group with Bruno: Bruno's open app is told at once.
        let mut b = bruno.ws().await;
        assert!(matches!(b.next().await, ServerMsg::Hello { .. }));
        let group: Room = json_of(
            anna.post("/api/v1/chat/rooms", json!({"name": "  Scala   B ", "members": [bruno.me.id, anna.me.id]})).await,
            201,
            "group",
        )
        .await;
        assert_eq!(group.name, "Scala B");
        assert_eq!(group.kind, RoomKind::Group);
        assert!(group.abilities.moderate);
        let told = b.until("told of the new room", |m| matches!(m, ServerMsg::Domain { topic, .. } if topic == "chat.room_added")).await;
        assert!(matches!(told, ServerMsg::Domain { data, .. } if data["room"] == group.id.0));
        let theirs: Vec<Room> = bruno.get_json("/api/v1/chat/rooms").await;
        let mine = theirs.iter().find(|r| r.id == group.id).expect("Bruno has the group");
        assert!(!mine.abilities.moderate, "Bruno is not its moderator");
        b.subscribe(group.id, Some(0)).await;

        // The member list: both, Anna moderating, Bruno online (his socket follows the room).
        let list = members(&anna, group.id, "").await;
        assert!(list.next.is_none());
        let people: Vec<(UserId, bool, bool)> = list.items.iter().map(|m| (m.user.id, m.moderator, m.online)).collect();
        assert_eq!(people.len(), 2, "{people:?}");
        assert!(people.contains(&(anna.me.id, true, false)), "{people:?}");
        assert!(people.contains(&(bruno.me.id, false, true)), "{people:?}");

        // Only the moderator renames and adds.
        let p = expect_problem(bruno.send(Method::PUT, &format!("/api/v1/chat/rooms/{}", group.id.0), Some(json!({"name": "Mia"}))).await, 403).await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        expect_problem(bruno.post(&format!("/api/v1/chat/rooms/{}/members", group.id.0), json!({"members": [committee.me.id]})).await, 403).await;
        expect_problem(committee.send(Method::PUT, &format!("/api/v1/chat/rooms/{}", group.id.0), Some(json!({"name": "Mia"}))).await, 404).await;
        let p = expect_problem(anna.send(Method::PUT, &format!("/api/v1/chat/rooms/{}", group.id.0), Some(json!({"name": ""}))).await, 422).await;
        assert_eq!(field_of(&p), vec![("name".into(), "required".into())]);
        let renamed: Room = json_of(
            anna.send(Method::PUT, &format!("/api/v1/chat/rooms/{}", group.id.0), Some(json!({"name": "Scala B, piano 3"}))).await,
            200,
            "rename",
        )
        .await;
        assert_eq!(renamed.name, "Scala B, piano 3");
        let changed = b.until("the new name", |m| matches!(m, ServerMsg::RoomChanged { .. })).await;
        assert!(matches!(changed, ServerMsg::RoomChanged { name: Some(n), .. } if n == "Scala B, piano 3"));

        // Adding: within reach, once; nobody is bad input.
        let p = expect_problem(anna.post(&format!("/api/v1/chat/rooms/{}/members", group.id.0), json!({"members": []})).await, 422).await;
        assert_eq!(field_of(&p), vec![("members".into(), "required".into())]);
        let p = expect_problem(anna.post(&format!("/api/v1/chat/rooms/{}/members", group.id.0), json!({"members": [far.0]})).await, 422).await;
        assert_eq!(field_of(&p), vec![("members".into(), "out_of_reach".into())]);
        let added: AddedMembers = json_of(
            anna.post(&format!("/api/v1/chat/rooms/{}/members", group.id.0), json!({"members": [committee.me.id, bruno.me.id]})).await,
            200,
            "add",
        )
        .await;
        assert_eq!(added.added.iter().map(|u| u.id).collect::<Vec<_>>(), vec![committee.me.id]);
        let changed = b.until("the new member", |m| matches!(m, ServerMsg::RoomChanged { added, .. } if !added.is_empty())).await;
        assert!(matches!(changed, ServerMsg::RoomChanged { added, .. } if added[0].id == committee.me.id));
        let again: AddedMembers = json_of(
            anna.post(&format!("/api/v1/chat/rooms/{}/members", group.id.0), json!({"members": [committee.me.id]})).await,
            200,
            "add again",
        )
        .await;
        assert!(again.added.is_empty(), "a retry adds nobody twice");
        assert_eq!(members(&committee, group.id, "").await.items.len(), 3);

        // Who sees the list: its members and staff; not others.
        assert_eq!(members(&staff, group.id, "").await.items.len(), 3, "staff oversee it");
        expect_problem(staff.get(&format!("/api/v1/chat/rooms/{}/messages", group.id.0)).await, 404).await;
        expect_problem(operator.get(&format!("/api/v1/chat/rooms/{}/members", group.id.0)).await, 404).await;

        // Anna leaves: her socket is out of the room within a second; Bruno, there longest,
        // moderates now.
        let mut a = anna.ws().await;
        a.subscribe(group.id, Some(0)).await;
        let t = Instant::now();
        assert_eq!(anna.post(&format!("/api/v1/chat/rooms/{}/leave", group.id.0), json!({})).await.status(), 204);
        a.until("removed", |m| matches!(m, ServerMsg::Removed { room } if *room == group.id)).await;
        assert!(t.elapsed() < Duration::from_secs(1), "removed after {:?}", t.elapsed());
        let changed = b.until("Anna gone", |m| matches!(m, ServerMsg::RoomChanged { gone, .. } if !gone.is_empty())).await;
        match changed {
            ServerMsg::RoomChanged { gone, moderators, .. } => {
                assert_eq!(gone, vec![anna.me.id]);
                assert_eq!(moderators, vec![bruno.me.id]);
            }
            other => panic!("{other:?}"),
        }
        expect_problem(anna.get(&format!("/api/v1/chat/rooms/{}", group.id.0)).await, 404).await;
        expect_problem(anna.get(&format!("/api/v1/chat/rooms/{}/members", group.id.0)).await, 404).await;
        expect_problem(anna.post(&format!("/api/v1/chat/rooms/{}/leave", group.id.0), json!({})).await, 404).await;
        b.say(group.id, "after-leave", "Anna non lo sente").await;
        let heard = a.drain(Duration::from_millis(300)).await;
        assert!(heard.iter().all(|m| m.room() != Some(group.id)), "heard after leaving: {heard:?}");
        let list = members(&bruno, group.id, "").await;
        assert!(list.items.iter().any(|m| m.user.id == bruno.me.id && m.moderator));
        assert!(list.items.iter().all(|m| m.user.id != anna.me.id));
        let renamed: Room = json_of(
            bruno.send(Method::PUT, &format!("/api/v1/chat/rooms/{}", group.id.0), Some(json!({"name": "Scala B"}))).await,
            200,
            "Bruno renames",
        )
        .await;
        assert!(renamed.abilities.moderate);

        // A community's room is not left here.
        let estate_room = anna
            .get_json::<Vec<Room>>("/api/v1/chat/rooms")
            .await
            .into_iter()
            .find(|r| r.kind == RoomKind::Community)
            .expect("a community room");
        let p = expect_problem(anna.post(&format!("/api/v1/chat/rooms/{}/leave", estate_room.id.0), json!({})).await, 403).await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        expect_problem(anna.send(Method::PUT, &format!("/api/v1/chat/rooms/{}", estate_room.id.0), Some(json!({"name": "Mia"}))).await, 403).await;
        for c in [a, b] {
            c.close().await;
        }
    }
);

people_test!(
    async fn a_community_rooms_members_come_page_by_page_by_name_with_a_filter(app) {
        let anna = app.login("inquilino").await;
        let staff = app.login("staff").await;
        let estate = estate_of(&anna);
        let made = accounts(app, estate, false, 130);
        let far = accounts(app, estate, true, 1).remove(0);
        let far_session = {
            let mut conn = app.connect();
            let (_, token) = cortile::auth::session::create(
                &mut conn,
                far.0,
                "local",
                &cortile::auth::session::ClientInfo::default(),
                chrono::Utc::now().naive_utc(),
            )
            .expect("a session");
            let member = cortile_tests::ledger::Member {
                user_id: far.0,
                csrf: cortile::auth::session::csrf_token(&token),
                token,
            };
            app.session_for(&member).await
        };
        let rooms: Vec<Room> = anna.get_json("/api/v1/chat/rooms").await;
        // The estate's room: every account living in the estate.
        let mut estate_room = None;
        for r in rooms.iter().filter(|r| r.kind == RoomKind::Community) {
            let c: cortile_shared::community::CommunitySummary =
                anna.get_json(&format!("/api/v1/communities/{}", r.community_id.expect("community").0)).await;
            if c.building_id.is_none() {
                estate_room = Some(r.id);
            }
        }
        let room = estate_room.expect("the estate's room");

        let everyone = all_members(&anna, room, "", 50).await;
        let ids: Vec<i64> = everyone.iter().map(|m| m.user.id.0).collect();
        let unique: BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "nobody twice across pages");
        for (id, name) in &made {
            assert!(unique.contains(id), "{name} is in the estate's room");
        }
        assert!(unique.contains(&anna.me.id.0));
        assert!(!unique.contains(&far.0), "not someone of another estate");
        assert!(everyone.len() >= 132, "{} members", everyone.len());
        // The same pages at another size give the same people in the same order.
        let again: Vec<i64> = all_members(&anna, room, "", 7).await.iter().map(|m| m.user.id.0).collect();
        assert_eq!(again, ids, "a stable order");

        // A filter by name, any case.
        let surname = made[5].1.split_whitespace().last().expect("a surname").to_owned();
        let upper = surname.to_uppercase();
        let filtered = all_members(&anna, room, &format!("&q={upper}"), 3).await;
        assert!(filtered.iter().any(|m| m.user.id.0 == made[5].0), "{surname} found");
        assert!(
            filtered.iter().all(|m| m.user.display_name.to_lowercase().contains(&surname.to_lowercase())),
            "only names with {surname}"
        );
        let none = members(&anna, room, "?q=zzzqqqxxx").await;
        assert!(none.items.is_empty() && none.next.is_none());

        // Bad input names its field.
        let p = expect_problem(anna.get(&format!("/api/v1/chat/rooms/{}/members?after=garbage", room.0)).await, 422).await;
        assert_eq!(field_of(&p), vec![("after".into(), "invalid_cursor".into())]);
        let p = expect_problem(anna.get(&format!("/api/v1/chat/rooms/{}/members?limit=0", room.0)).await, 422).await;
        assert_eq!(field_of(&p), vec![("limit".into(), "out_of_range".into())]);
        let p = expect_problem(anna.get(&format!("/api/v1/chat/rooms/{}/members?q={}", room.0, "a".repeat(101))).await, 422).await;
        assert_eq!(field_of(&p), vec![("q".into(), "too_long".into())]);
        expect_problem(anna.get("/api/v1/chat/rooms/abc/members").await, 422).await;

        // Someone of another estate does not see it; staff do.
        expect_problem(far_session.get(&format!("/api/v1/chat/rooms/{}/members", room.0)).await, 404).await;
        assert_eq!(members(&staff, room, "?limit=5").await.items.len(), 5);

        // A mute shows in the list; a removal takes the person out of it.
        let muted = made[0].0;
        let removed = made[1].0;
        assert_eq!(staff.post(&format!("/api/v1/chat/rooms/{}/mutes", room.0), json!({"user_id": muted, "minutes": 5})).await.status(), 204);
        assert_eq!(staff.post(&format!("/api/v1/chat/rooms/{}/removals", room.0), json!({"user_id": removed})).await.status(), 204);
        let now = all_members(&anna, room, "", 200).await;
        assert!(now.iter().any(|m| m.user.id.0 == muted && m.muted));
        assert!(now.iter().all(|m| m.user.id.0 != removed), "removed from the list");
        assert!(now.iter().filter(|m| m.user.id.0 != muted).all(|m| !m.muted));
    }
);
