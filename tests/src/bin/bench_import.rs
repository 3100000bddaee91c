//! Benchmark: importing an export of 60,000 persons (about 28,000 households in the full demo
//! registry) on SQLite and PostgreSQL: the first import (everything created) and a re-import
//! (nothing changes). Goal: under 10 s on SQLite.
//!
//! `cargo run --release -p cortile-tests --bin bench-import [-- --backend sqlite|postgres|both]`

use std::time::Instant;

use cortile::db::{run_migrations, Manager};
use cortile::registry::demo::{self, Scale};
use cortile::registry::import::{import_registry, ImportOptions};
use cortile_tests::export::{self, Format};
use cortile_tests::{Backend, TestDatabase};

const PERSONS: usize = 60_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let backends = match args
        .iter()
        .position(|a| a == "--backend")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
    {
        Some("sqlite") => vec![Backend::Sqlite],
        Some("postgres") => vec![Backend::Postgres],
        _ => vec![Backend::Sqlite, Backend::Postgres],
    };
    let started = Instant::now();
    let rows: Vec<_> = export::rows(Scale::Full, |i| if i % 7 == 0 { 3 } else { 2 }, true)
        .into_iter()
        .take(PERSONS)
        .collect();
    assert_eq!(
        rows.len(),
        PERSONS,
        "the full demo registry holds enough homes"
    );
    let bytes = export::write(
        &rows,
        &Format {
            crlf: true,
            ..Format::default()
        },
    );
    println!(
        "bench-import: {} persons, {:.1} MB export generated in {:.2} s",
        rows.len(),
        bytes.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let options = ImportOptions {
        partial: false,
        dry_run: false,
        source_name: "bench.csv".into(),
        imported_by: "bench".into(),
    };
    println!(
        "{:<9} {:<10} {:>9} {:>9} {:>9} {:>9}",
        "database", "import", "seconds", "created", "unchanged", "rows/s"
    );
    for backend in backends {
        let db = TestDatabase::create(backend);
        let mut conn = Manager::new(db.url.clone()).open().expect("connect");
        run_migrations(&mut conn).expect("migrate");
        demo::seed(&mut conn, Scale::Full).expect("seed the full demo registry");
        let name = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        for label in ["first", "re-import"] {
            let now = chrono::Utc::now().naive_utc();
            let t = Instant::now();
            let report = import_registry(&mut conn, &bytes, &options, now).expect("import");
            let secs = t.elapsed().as_secs_f64();
            assert_eq!(report.rejected, 0, "{:?}", report.errors.first());
            println!(
                "{name:<9} {label:<10} {secs:>9.2} {:>9} {:>9} {:>9.0}",
                report.created,
                report.unchanged,
                PERSONS as f64 / secs
            );
        }
    }
}
