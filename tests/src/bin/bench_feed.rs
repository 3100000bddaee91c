//! Benchmark: the personal feed (`GET /api/v1/feed?limit=20`) at full demo scale, on SQLite and
//! on PostgreSQL. Issue 4 asks for p99 under 50 ms with 28,000 homes, about 60,000 residents and
//! 100,000 posts.
//!
//! For each database: the server starts with the full demo registry and the demo people (loaded
//! through the real import); resident accounts are created in bulk for a sample of persons spread
//! over every estate (one shared argon2 hash); 100,000 posts are written straight into the
//! database over the estate and building communities (bigger estates get more), with comments
//! and reactions; then a number of those residents log in through the API, and concurrent
//! clients read their feed, some also following the `next` cursor to a second page. Every
//! latency is recorded; nothing about time is asserted.
//!
//! Run with `cargo xtask bench` (or `cargo run --release -p cortile-tests --bin bench-feed`).
//! Options (defaults in brackets): `--backend sqlite|postgres|both` [both], `--accounts N`
//! [3000], `--posts N` [100000], `--sessions N` logged-in readers [256], `--concurrency N` [16],
//! `--requests N` measured [5000], `--warmup N` [500], `--second-page-every N` [4],
//! `--analyze-sqlite` (also run SQLite's `ANALYZE` after seeding; PostgreSQL is always analysed,
//! as its autovacuum would do within a minute of the load, while the app never analyses SQLite).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDateTime;
use cortile::communities::markdown;
use cortile::db::schema::{
    buildings, comments, communities, estates, household_members, households, persons, posts,
    reactions, units, users,
};
use cortile::db::{write_tx, DbConn};
use cortile::registry::demo::Scale;
use cortile_tests::bench::{
    figures, insert_users, load_average, name, BenchUser, Figures, Rng, Weighted, CHUNK, TX_ROWS,
};
use cortile_tests::{Backend, TestApp};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// The password of the bench accounts (long enough for the password rules).
const PASSWORD: &str = "bench-feed-password";
/// The goal of issue 4.
const GOAL_P99_MS: f64 = 50.0;

struct Options {
    backends: Vec<Backend>,
    accounts: usize,
    posts: usize,
    sessions: usize,
    concurrency: usize,
    requests: usize,
    warmup: usize,
    second_page_every: usize,
    analyze_sqlite: bool,
}

fn options() -> Options {
    let args = cortile_tests::bench::Args::from_env();
    let number = |flag: &str, default: usize| args.number(flag, default);
    Options {
        backends: args.backends(),
        accounts: number("--accounts", 3000).max(1),
        posts: number("--posts", 100_000),
        sessions: number("--sessions", 256).max(1),
        concurrency: number("--concurrency", 16).max(1),
        requests: number("--requests", 5000).max(1),
        warmup: number("--warmup", 500),
        second_page_every: number("--second-page-every", 4),
        analyze_sqlite: args.flag("--analyze-sqlite"),
    }
}

/// Rows in a table.
macro_rules! count {
    ($conn:expr, $table:ident) => {
        $table::table
            .count()
            .get_result::<i64>($conn)
            .context(stringify!($table))?
    };
}

/// A resident account made by the benchmark.
struct Account {
    id: i64,
    username: String,
    estate_id: i64,
    building_id: i64,
}

/// What seeding made, and how long it took.
#[derive(Default)]
struct Seeded {
    persons: i64,
    households: i64,
    homes: i64,
    estates: i64,
    buildings: i64,
    accounts_total: i64,
    bench_accounts: usize,
    posts: i64,
    comments: i64,
    reactions: i64,
    start_secs: f64,
    accounts_secs: f64,
    posts_secs: f64,
    biggest_estate_posts: i64,
    median_building_posts: i64,
}

/// Creates resident accounts for a sample of the persons who live somewhere now: at least one
/// in every estate, the rest spread evenly over the registry (so in proportion to estate size).
fn create_accounts(
    conn: &mut DbConn,
    wanted: usize,
    now: NaiveDateTime,
) -> anyhow::Result<Vec<Account>> {
    let taken: HashSet<String> = users::table
        .filter(users::fiscal_code.is_not_null())
        .select(users::fiscal_code.assume_not_null())
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    let candidates: Vec<(String, String, String, i64, i64)> = household_members::table
        .inner_join(persons::table.on(persons::id.eq(household_members::person_id)))
        .inner_join(households::table.on(households::id.eq(household_members::household_id)))
        .inner_join(units::table.on(units::id.eq(households::unit_id)))
        .inner_join(buildings::table.on(buildings::id.eq(units::building_id)))
        .filter(household_members::ended_at.is_null())
        .filter(households::contract_status.eq("active"))
        .order((buildings::estate_id, buildings::id, household_members::id))
        .select((
            persons::fiscal_code,
            persons::given_name,
            persons::surname,
            buildings::estate_id,
            buildings::id,
        ))
        .load::<(String, String, String, i64, i64)>(conn)?
        .into_iter()
        .filter(|c| !taken.contains(&c.0) && seen.insert(c.0.clone()))
        .collect();
    anyhow::ensure!(!candidates.is_empty(), "no resident in the registry");
    let mut chosen: Vec<usize> = Vec::new();
    let mut estates_seen = HashSet::new();
    for (i, c) in candidates.iter().enumerate() {
        if estates_seen.insert(c.3) {
            chosen.push(i);
        }
    }
    let rest = wanted.saturating_sub(chosen.len());
    if rest > 0 {
        let step = (candidates.len() as f64 / rest as f64).max(1.0);
        let mut x = step / 2.0;
        while (x as usize) < candidates.len() && chosen.len() < wanted {
            chosen.push(x as usize);
            x += step;
        }
    }
    chosen.sort_unstable();
    chosen.dedup();
    let hash = cortile::auth::password::hash(PASSWORD).context("hash the password")?;
    let accounts: Vec<BenchUser<'_>> = chosen
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let c = &candidates[i];
            BenchUser {
                username: format!("bench{n:05}"),
                display_name: format!("{} {}", c.1, c.2),
                password_hash: Some(hash.as_str()),
                fiscal_code: c.0.as_str(),
            }
        })
        .collect();
    let ids = insert_users(conn, "bench", &accounts, now)?;
    chosen
        .iter()
        .zip(accounts)
        .map(|(&i, BenchUser { username, .. })| {
            let c = &candidates[i];
            Ok(Account {
                id: *ids
                    .get(&username)
                    .with_context(|| format!("account {username} not found"))?,
                username,
                estate_id: c.3,
                building_id: c.4,
            })
        })
        .collect()
}

const TITLES: &[&str] = &[
    "Ascensore fermo al piano terra",
    "Riunione del comitato giovedì",
    "Chi ha trovato delle chiavi in cortile?",
    "Pulizia delle scale: nuovi turni",
    "Perdita d'acqua in cantina",
    "Festa di quartiere sabato",
    "Raccolta differenziata: promemoria",
    "Cerco aiuto per la spesa",
    "Luce del portone guasta",
    "Corso di italiano gratuito",
    "Bici lasciate nell'androne",
    "Nuovi orari del custode",
];

const BODIES: &[&str] = &[
    "Buongiorno a tutti, **da ieri** l'ascensore non funziona. Ho già segnalato il guasto al \
     gestore; se qualcuno ha bisogno di aiuto con la spesa mi scriva qui sotto.",
    "Giovedì alle 18 ci troviamo nella sala comune per parlare delle *spese condominiali* e \
     dei lavori al tetto. Portate le vostre domande!",
    "Stamattina ho trovato un mazzo di chiavi vicino alle panchine del cortile, con un \
     portachiavi rosso. Le ho lasciate al custode.",
    "Da lunedì cambiano i turni della pulizia delle scale:\n\n- scala A: martedì\n- scala B: \
     giovedì\n\nGrazie a tutti per la collaborazione.",
    "C'è una perdita d'acqua nella cantina della scala C, il pavimento è bagnato. Attenzione \
     a non lasciare oggetti a terra finché non arriva il tecnico.",
    "Sabato pomeriggio festa nel cortile con musica e merenda per i bambini. Chi vuole \
     portare qualcosa da mangiare è il benvenuto: [programma](https://example.org/festa).",
];

/// A post to insert, before it has an id.
struct NewPost {
    community_id: i64,
    author_id: i64,
    title: usize,
    body: usize,
    pinned: bool,
    hidden: bool,
    removed: bool,
    comments: Vec<(i64, NaiveDateTime)>,
    reactions: Vec<(i64, &'static str)>,
    created_at: NaiveDateTime,
}

/// Writes the posts, comments and reactions; keeps `communities.posts_count` and
/// `posts.comments_count` right.
fn create_posts(
    conn: &mut DbConn,
    accounts: &[Account],
    total: usize,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let mut rng = Rng(0x00C0_471E_FEED);
    // Estates weighted by their homes: bigger estates get more posts.
    let estate_rows: Vec<(i64, i64)> = estates::table
        .order(estates::id)
        .select((estates::id, estates::homes_count))
        .load(conn)?;
    let estate_pick = Weighted::new(estate_rows.iter().map(|(_, homes)| *homes as u64));
    let vertical: Vec<(i64, String, Option<i64>, Option<i64>)> = communities::table
        .filter(communities::kind.ne("interest"))
        .select((
            communities::id,
            communities::kind,
            communities::estate_id,
            communities::building_id,
        ))
        .load(conn)?;
    let mut estate_community = HashMap::new();
    let mut building_community = HashMap::new();
    for (id, kind, estate, building) in vertical {
        match (kind.as_str(), estate, building) {
            ("estate", Some(e), _) => {
                estate_community.insert(e, id);
            }
            ("building", _, Some(b)) => {
                building_community.insert(b, id);
            }
            _ => {}
        }
    }
    // Buildings of each estate, weighted by homes.
    let mut estate_buildings: HashMap<i64, (Vec<i64>, Weighted)> = HashMap::new();
    {
        let rows: Vec<(i64, i64, i64)> = buildings::table
            .order(buildings::id)
            .select((buildings::estate_id, buildings::id, buildings::homes_count))
            .load(conn)?;
        let mut grouped: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for (e, b, homes) in rows {
            grouped.entry(e).or_default().push((b, homes));
        }
        for (e, list) in grouped {
            let w = Weighted::new(list.iter().map(|(_, h)| *h as u64));
            estate_buildings.insert(e, (list.into_iter().map(|(b, _)| b).collect(), w));
        }
    }
    // Authors: accounts of the building, else of the estate, else anyone.
    let mut by_building: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut by_estate: HashMap<i64, Vec<i64>> = HashMap::new();
    for a in accounts {
        by_building.entry(a.building_id).or_default().push(a.id);
        by_estate.entry(a.estate_id).or_default().push(a.id);
    }
    let all_ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
    let html: Vec<String> = BODIES.iter().map(|b| markdown::render(b)).collect();
    let comment_html = markdown::render("Grazie per la segnalazione, ci penso io.");
    let year = chrono::Duration::days(365).num_seconds() as usize;

    let mut planned: Vec<NewPost> = Vec::with_capacity(total);
    for _ in 0..total {
        let (estate_id, _) = estate_rows[estate_pick.pick(&mut rng)];
        let building = estate_buildings
            .get(&estate_id)
            .map(|(list, w)| list[w.pick(&mut rng)]);
        // Two posts in five to the estate, the rest to one of its buildings.
        let (community_id, local) = match building {
            Some(b) if !rng.chance(0.4) => (
                building_community.get(&b).copied(),
                by_building.get(&b).or_else(|| by_estate.get(&estate_id)),
            ),
            _ => (
                estate_community.get(&estate_id).copied(),
                by_estate.get(&estate_id),
            ),
        };
        let community_id = community_id
            .with_context(|| format!("no community for estate {estate_id} / {building:?}"))?;
        let people = local.unwrap_or(&all_ids);
        let author_id = people[rng.below(people.len())];
        let created_at = now - chrono::Duration::seconds(rng.below(year) as i64);
        let mut comments_ = Vec::new();
        if rng.chance(0.3) {
            for _ in 0..1 + rng.below(4) {
                let after = chrono::Duration::seconds(rng.below(3 * 86_400) as i64);
                comments_.push((
                    people[rng.below(people.len())],
                    (created_at + after).min(now),
                ));
            }
        }
        let mut reactions_ = Vec::new();
        if rng.chance(0.6) {
            let mut seen = HashSet::new();
            for _ in 0..1 + rng.below(5) {
                let who = people[rng.below(people.len())];
                let kind = ["like", "thanks", "support"][rng.below(3)];
                if seen.insert((who, kind)) {
                    reactions_.push((who, kind));
                }
            }
        }
        planned.push(NewPost {
            community_id,
            author_id,
            title: rng.below(TITLES.len()),
            body: rng.below(BODIES.len()),
            pinned: rng.chance(0.002),
            hidden: rng.chance(0.003),
            removed: rng.chance(0.005),
            comments: comments_,
            reactions: reactions_,
            created_at,
        });
    }
    // Ids follow time, as they would in use.
    planned.sort_by_key(|p| p.created_at);

    let before: i64 = posts::table
        .select(diesel::dsl::max(posts::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0);
    for tx in planned.chunks(TX_ROWS) {
        write_tx(conn, |conn| -> QueryResult<()> {
            for chunk in tx.chunks(CHUNK) {
                let values: Vec<_> = chunk
                    .iter()
                    .map(|p| {
                        (
                            posts::community_id.eq(p.community_id),
                            posts::author_id.eq(p.author_id),
                            posts::title.eq(TITLES[p.title]),
                            posts::body_md.eq(BODIES[p.body]),
                            posts::body_html.eq(&html[p.body]),
                            posts::pinned.eq(p.pinned),
                            posts::hidden_at.eq(p.hidden.then_some(p.created_at)),
                            posts::removed_at.eq(p.removed.then_some(p.created_at)),
                            posts::comments_count.eq(p.comments.len() as i64),
                            posts::created_at.eq(p.created_at),
                            posts::updated_at.eq(p.created_at),
                        )
                    })
                    .collect();
                cortile::on_backend!(conn, c => diesel::insert_into(posts::table)
                    .values(&values)
                    .execute(c))?;
            }
            Ok(())
        })?;
    }
    let ids: Vec<i64> = posts::table
        .filter(posts::id.gt(before))
        .order(posts::id)
        .select(posts::id)
        .load(conn)?;
    anyhow::ensure!(ids.len() == planned.len(), "posts inserted != planned");

    let comment_rows: Vec<(i64, i64, NaiveDateTime)> = ids
        .iter()
        .zip(&planned)
        .flat_map(|(id, p)| p.comments.iter().map(|(a, t)| (*id, *a, *t)))
        .collect();
    for tx in comment_rows.chunks(TX_ROWS) {
        write_tx(conn, |conn| -> QueryResult<()> {
            for chunk in tx.chunks(CHUNK) {
                let values: Vec<_> = chunk
                    .iter()
                    .map(|(post, author, at)| {
                        (
                            comments::post_id.eq(*post),
                            comments::author_id.eq(*author),
                            comments::body_md.eq("Grazie per la segnalazione, ci penso io."),
                            comments::body_html.eq(&comment_html),
                            comments::created_at.eq(*at),
                        )
                    })
                    .collect();
                cortile::on_backend!(conn, c => diesel::insert_into(comments::table)
                    .values(&values)
                    .execute(c))?;
            }
            Ok(())
        })?;
    }
    let reaction_rows: Vec<(i64, i64, &str, NaiveDateTime)> = ids
        .iter()
        .zip(&planned)
        .flat_map(|(id, p)| p.reactions.iter().map(|(u, k)| (*id, *u, *k, p.created_at)))
        .collect();
    for tx in reaction_rows.chunks(TX_ROWS) {
        write_tx(conn, |conn| -> QueryResult<()> {
            for chunk in tx.chunks(CHUNK) {
                let values: Vec<_> = chunk
                    .iter()
                    .map(|(post, user, kind, at)| {
                        (
                            reactions::post_id.eq(*post),
                            reactions::user_id.eq(*user),
                            reactions::kind.eq(*kind),
                            reactions::created_at.eq(*at),
                        )
                    })
                    .collect();
                cortile::on_backend!(conn, c => diesel::insert_into(reactions::table)
                    .values(&values)
                    .execute(c))?;
            }
            Ok(())
        })?;
    }
    // Removed posts are not counted (as moderation does).
    let recount = diesel::sql_query(
        "UPDATE communities SET posts_count = (SELECT COUNT(*) FROM posts \
         WHERE posts.community_id = communities.id AND posts.removed_at IS NULL)",
    );
    cortile::on_backend!(conn, c => recount.execute(c))?;
    Ok(())
}

/// A logged-in reader.
struct Reader {
    client: reqwest::Client,
    base: String,
}

/// One feed page: latency (until the whole body arrived) and its `next` cursor.
async fn feed_page(
    reader: &Reader,
    after: Option<&str>,
) -> anyhow::Result<(Duration, usize, Option<String>)> {
    let url = match after {
        Some(cursor) => format!("{}/api/v1/feed?limit=20&after={cursor}", reader.base),
        None => format!("{}/api/v1/feed?limit=20", reader.base),
    };
    let t = Instant::now();
    let res = reader.client.get(&url).send().await?;
    let status = res.status();
    let body = res.bytes().await?;
    let latency = t.elapsed();
    anyhow::ensure!(
        status == 200,
        "GET {url} answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let page: serde_json::Value = serde_json::from_slice(&body)?;
    let items = page["items"].as_array().map_or(0, Vec::len);
    let next = page["next"].as_str().map(str::to_owned);
    Ok((latency, items, next))
}

struct Run {
    all: Figures,
    first: Figures,
    second: Figures,
    empty_pages: usize,
    items: usize,
}

/// Reads feeds with `concurrency` clients until `total` first pages were read; every
/// `second_every`-th one also reads the second page.
async fn drive(
    readers: &Arc<Vec<Reader>>,
    total: usize,
    concurrency: usize,
    second_every: usize,
) -> anyhow::Result<Run> {
    let tickets = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let readers = Arc::clone(readers);
        let tickets = Arc::clone(&tickets);
        tasks.push(tokio::spawn(async move {
            let mut first = Vec::new();
            let mut second = Vec::new();
            let mut empty = 0;
            let mut items = 0;
            loop {
                let i = tickets.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let reader = &readers[i % readers.len()];
                let (latency, n, next) = feed_page(reader, None).await?;
                first.push(latency);
                items += n;
                if n == 0 {
                    empty += 1;
                }
                if second_every > 0 && i.is_multiple_of(second_every) {
                    if let Some(cursor) = next {
                        let (latency, n, _) = feed_page(reader, Some(&cursor)).await?;
                        second.push(latency);
                        items += n;
                    }
                }
            }
            anyhow::Ok((first, second, empty, items))
        }));
    }
    let mut first = Vec::new();
    let mut second = Vec::new();
    let mut empty_pages = 0;
    let mut items = 0;
    for t in tasks {
        let (f, s, e, n) = t.await.context("feed worker")??;
        first.extend(f);
        second.extend(s);
        empty_pages += e;
        items += n;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut all = first.clone();
    all.extend(second.iter().copied());
    Ok(Run {
        all: figures(all, elapsed),
        first: figures(first, elapsed),
        second: figures(second, elapsed),
        empty_pages,
        items,
    })
}

async fn bench(backend: Backend, opts: &Options) -> anyhow::Result<(Seeded, Run)> {
    let db = name(backend);
    let mut seeded = Seeded::default();
    let t = Instant::now();
    let app = TestApp::builder(backend)
        .seed(Scale::Full)
        .people()
        .spawn()
        .await;
    seeded.start_secs = t.elapsed().as_secs_f64();
    let mut conn = app.connect();
    seeded.persons = count!(&mut conn, persons);
    seeded.households = count!(&mut conn, households);
    seeded.homes = count!(&mut conn, units);
    seeded.estates = count!(&mut conn, estates);
    seeded.buildings = count!(&mut conn, buildings);
    println!(
        "{db}: server up with the full demo registry and people in {:.1} s: {} estates, {} \
         buildings, {} homes, {} households, {} persons",
        seeded.start_secs,
        seeded.estates,
        seeded.buildings,
        seeded.homes,
        seeded.households,
        seeded.persons
    );

    let now = chrono::Utc::now().naive_utc();
    let t = Instant::now();
    let accounts = create_accounts(&mut conn, opts.accounts, now)?;
    seeded.accounts_secs = t.elapsed().as_secs_f64();
    seeded.bench_accounts = accounts.len();
    seeded.accounts_total = count!(&mut conn, users);
    let estates_covered: HashSet<i64> = accounts.iter().map(|a| a.estate_id).collect();
    let linked: i64 = users::table
        .filter(users::fiscal_code.is_not_null())
        .count()
        .get_result(&mut conn)?;
    println!(
        "{db}: {} resident accounts created in {:.1} s ({} of {} estates), {} accounts in all, \
         {} with a fiscal code (not all {} persons have an account; not needed for the feed)",
        accounts.len(),
        seeded.accounts_secs,
        estates_covered.len(),
        seeded.estates,
        seeded.accounts_total,
        linked,
        seeded.persons
    );

    let t = Instant::now();
    create_posts(&mut conn, &accounts, opts.posts, now)?;
    if backend == Backend::Postgres || opts.analyze_sqlite {
        conn.batch_execute("ANALYZE")?;
    }
    seeded.posts_secs = t.elapsed().as_secs_f64();
    seeded.posts = count!(&mut conn, posts);
    seeded.comments = count!(&mut conn, comments);
    seeded.reactions = count!(&mut conn, reactions);
    seeded.biggest_estate_posts = communities::table
        .filter(communities::kind.eq("estate"))
        .select(diesel::dsl::max(communities::posts_count))
        .first::<Option<i64>>(&mut conn)?
        .unwrap_or(0);
    let mut per_building: Vec<i64> = communities::table
        .filter(communities::kind.eq("building"))
        .select(communities::posts_count)
        .load(&mut conn)?;
    per_building.sort_unstable();
    seeded.median_building_posts = per_building
        .get(per_building.len() / 2)
        .copied()
        .unwrap_or(0);
    println!(
        "{db}: {} posts, {} comments, {} reactions written in {:.1} s{}; posts of the biggest \
         estate community: {}, median building community: {}",
        seeded.posts,
        seeded.comments,
        seeded.reactions,
        seeded.posts_secs,
        if backend == Backend::Postgres || opts.analyze_sqlite {
            " (with ANALYZE)"
        } else {
            ""
        },
        seeded.biggest_estate_posts,
        seeded.median_building_posts
    );
    drop(conn);

    // Log in readers spread over the sample (each keeps its own cookie).
    let t = Instant::now();
    let n = opts.sessions.min(accounts.len());
    let step = accounts.len() / n;
    let mut readers = Vec::with_capacity(n);
    for batch in (0..n).collect::<Vec<_>>().chunks(4) {
        let sessions = futures_util::future::join_all(
            batch
                .iter()
                .map(|&i| app.login_with(&accounts[i * step].username, PASSWORD)),
        )
        .await;
        for s in sessions {
            anyhow::ensure!(
                s.me.residence.is_some(),
                "{:?} is not a resident by the registry",
                s.me.username
            );
            readers.push(Reader {
                base: s.url(""),
                client: s.client,
            });
        }
    }
    println!(
        "{db}: {} readers logged in through the API in {:.1} s",
        readers.len(),
        t.elapsed().as_secs_f64()
    );
    let readers = Arc::new(readers);

    if opts.warmup > 0 {
        drive(
            &readers,
            opts.warmup,
            opts.concurrency,
            opts.second_page_every,
        )
        .await?;
    }
    let load_before = load_average();
    let run = drive(
        &readers,
        opts.requests,
        opts.concurrency,
        opts.second_page_every,
    )
    .await?;
    println!(
        "{db}: {} feed requests ({} first pages, {} second pages), {} posts returned, {} empty \
         first pages; load average {} before, {} after",
        run.all.requests,
        run.first.requests,
        run.second.requests,
        run.items,
        run.empty_pages,
        load_before,
        load_average()
    );
    println!(
        "{:<9} {:<11} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "database", "feed", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    for (label, f) in [
        ("page 1", &run.first),
        ("page 2", &run.second),
        ("all", &run.all),
    ] {
        println!(
            "{db:<9} {label:<11} {:>9} {:>9.0} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            f.requests, f.per_second, f.p50_ms, f.p95_ms, f.p99_ms, f.max_ms
        );
    }
    println!(
        "{db}: p99 {:.2} ms — {} the goal of {GOAL_P99_MS} ms",
        run.all.p99_ms,
        if run.all.p99_ms < GOAL_P99_MS {
            "under"
        } else {
            "NOT under"
        }
    );
    app.shutdown().await;
    Ok((seeded, run))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let opts = options();
    println!(
        "bench-feed: full demo registry and people, {} resident accounts, {} posts; {} readers \
         logged in, {} concurrent clients, {} feed requests after {} of warm-up, every {}th also \
         reads page 2; 2 server workers",
        opts.accounts,
        opts.posts,
        opts.sessions,
        opts.concurrency,
        opts.requests,
        opts.warmup,
        opts.second_page_every
    );
    let mut results = Vec::new();
    for backend in &opts.backends {
        let (seeded, run) = bench(*backend, &opts)
            .await
            .with_context(|| format!("bench-feed on {}", name(*backend)))?;
        results.push((*backend, seeded, run));
    }
    println!();
    println!(
        "bench-feed summary: GET /api/v1/feed?limit=20 (pages 1 and 2 together), {} concurrent \
         clients",
        opts.concurrency
    );
    println!(
        "{:<9} {:>8} {:>8} {:>8} {:>7} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}  p99 < {GOAL_P99_MS} ms",
        "database",
        "persons",
        "accounts",
        "posts",
        "seed s",
        "posts s",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms"
    );
    for (backend, s, run) in &results {
        let f = &run.all;
        println!(
            "{:<9} {:>8} {:>8} {:>8} {:>7.1} {:>7.1} {:>8.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {}",
            name(*backend),
            s.persons,
            s.accounts_total,
            s.posts,
            s.start_secs + s.accounts_secs,
            s.posts_secs,
            f.per_second,
            f.p50_ms,
            f.p95_ms,
            f.p99_ms,
            f.max_ms,
            if f.p99_ms < GOAL_P99_MS { "yes" } else { "NO" }
        );
    }
    Ok(())
}
