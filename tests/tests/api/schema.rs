//! The two migration trees must produce the same tables and columns.

use std::collections::BTreeMap;

use cortile::db::{run_migrations, DbConn, Manager};
use cortile_tests::{Backend, TestDatabase};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

#[derive(QueryableByName, Debug)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    type_: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
}

#[derive(QueryableByName, Debug)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

/// (table, column) → (type family, nullable)
type Columns = BTreeMap<(String, String), (String, bool)>;

/// Maps each engine's type names to one family, so that `INTEGER` (SQLite) and `bigint`
/// (PostgreSQL) compare equal but `TEXT` and `DOUBLE` do not.
fn family(raw: &str) -> String {
    let t = raw.to_ascii_lowercase();
    let family = if t.contains("int") {
        "integer"
    } else if t.contains("char") || t == "text" {
        "text"
    } else if t.contains("double") || t.contains("real") || t.contains("float") || t == "numeric" {
        "float"
    } else if t.contains("bool") {
        "boolean"
    } else if t.contains("timestamp") || t.contains("datetime") {
        "timestamp"
    } else if t == "date" {
        "date"
    } else if t.contains("blob") || t == "bytea" {
        "binary"
    } else {
        return format!("unknown:{t}");
    };
    family.to_owned()
}

fn migrated(backend: Backend) -> (TestDatabase, DbConn) {
    let db = TestDatabase::create(backend);
    let mut conn = Manager::new(db.url.clone()).open().expect("open");
    run_migrations(&mut conn).expect("migrations");
    (db, conn)
}

fn sqlite_columns(conn: &mut DbConn) -> Columns {
    let DbConn::Sqlite(c) = conn else {
        panic!("not SQLite")
    };
    diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS name, p.type AS type_, p.\"notnull\" AS not_null \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
           AND m.name <> '__diesel_schema_migrations'",
    )
    .load::<SqliteColumn>(c)
    .expect("columns")
    .into_iter()
    .map(|c| {
        // INTEGER PRIMARY KEY is NOT NULL in effect even where pragma says otherwise.
        let not_null = c.not_null == 1 || c.name == "id";
        ((c.table_name, c.name), (family(&c.type_), !not_null))
    })
    .collect()
}

fn pg_columns(conn: &mut DbConn) -> Columns {
    let DbConn::Postgres(c) = conn else {
        panic!("not PostgreSQL")
    };
    diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                data_type::text AS data_type, is_nullable::text AS is_nullable \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .load::<PgColumn>(c)
    .expect("columns")
    .into_iter()
    .map(|c| {
        (
            (c.table_name, c.column_name),
            (family(&c.data_type), c.is_nullable == "YES"),
        )
    })
    .collect()
}

#[test]
fn both_migration_trees_make_the_same_tables_and_columns() {
    let (_sqlite_db, mut sqlite) = migrated(Backend::Sqlite);
    let (_pg_db, mut pg) = migrated(Backend::Postgres);
    let s = sqlite_columns(&mut sqlite);
    let p = pg_columns(&mut pg);
    assert!(s.len() >= 30, "the registry tables are there: {s:?}");
    for (key, value) in &s {
        assert!(
            !value.0.starts_with("unknown"),
            "{key:?} has an unmapped type {value:?}"
        );
    }
    let only_sqlite: Vec<_> = s.iter().filter(|(k, v)| p.get(*k) != Some(*v)).collect();
    let only_pg: Vec<_> = p.iter().filter(|(k, v)| s.get(*k) != Some(*v)).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "the migration trees differ:\n  SQLite has {only_sqlite:?}\n  PostgreSQL has {only_pg:?}"
    );
}

#[test]
fn both_trees_have_the_same_migrations() {
    let root = cortile_tests::workspace_root().join("migrations");
    let names = |dir: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(root.join(dir))
            .expect("migrations dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

#[test]
fn the_family_mapping_tells_types_apart() {
    assert_eq!(family("INTEGER"), family("bigint"));
    assert_eq!(family("DOUBLE"), family("double precision"));
    assert_eq!(family("TIMESTAMP"), family("timestamp without time zone"));
    assert_ne!(family("TEXT"), family("INTEGER"));
    assert_ne!(family("BOOLEAN"), family("double precision"));
}
