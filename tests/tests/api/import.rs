//! Import of the manager's export, on SQLite and PostgreSQL: format quirks, all-or-nothing,
//! partial imports, re-import idempotence, persons who leave, dry runs.

use chrono::NaiveDateTime;
use cortile::db::schema::{household_members, households, persons, registry_imports};
use cortile::db::{DbConn, Manager};
use cortile::registry::demo::Scale;
use cortile::registry::import::{import_registry, ImportOptions, ImportReport, Outcome};
use cortile_tests::export::{self, Format, PersonRow};
use cortile_tests::{db_test, TestApp};
use diesel::prelude::*;

fn connect(app: &TestApp) -> DbConn {
    Manager::new(app.db.url.clone()).open().expect("connect")
}

fn now() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("time")
}

fn run(conn: &mut DbConn, bytes: &[u8], partial: bool, dry_run: bool) -> ImportReport {
    let options = ImportOptions {
        partial,
        dry_run,
        source_name: "test.csv".into(),
        imported_by: "test".into(),
    };
    import_registry(conn, bytes, &options, now()).expect("import runs")
}

fn sample() -> Vec<PersonRow> {
    export::rows(Scale::Small, |i| 1 + i % 3, true)
        .into_iter()
        .take(300)
        .collect()
}

fn counts(conn: &mut DbConn) -> (i64, i64, i64) {
    let p: i64 = persons::table.count().get_result(conn).expect("persons");
    let m: i64 = household_members::table
        .filter(household_members::ended_at.is_null())
        .count()
        .get_result(conn)
        .expect("members");
    let h: i64 = households::table
        .filter(households::contract_status.eq("active"))
        .count()
        .get_result(conn)
        .expect("households");
    (p, m, h)
}

db_test!(
    async fn imports_an_export_and_a_reimport_changes_nothing(app) {
        let mut conn = connect(app);
        let rows = sample();
        let contracts: std::collections::HashSet<&str> =
            rows.iter().map(|r| r.fields[13].as_str()).collect();
        let bytes = export::write(&rows, &Format::default());
        let first = run(&mut conn, &bytes, false, false);
        assert_eq!(first.outcome, Outcome::Applied, "{:?}", first.errors);
        assert_eq!((first.created, first.updated, first.unchanged, first.ended, first.rejected), (300, 0, 0, 0, 0));
        assert_eq!(counts(&mut conn), (300, 300, contracts.len() as i64));

        let again = run(&mut conn, &bytes, false, false);
        assert_eq!(again.outcome, Outcome::Applied);
        assert_eq!((again.created, again.updated, again.unchanged, again.ended, again.rejected), (0, 0, 300, 0, 0));
        assert_eq!(counts(&mut conn), (300, 300, contracts.len() as i64));
        let records: i64 = registry_imports::table.count().get_result(&mut conn).expect("records");
        assert_eq!(records, 2, "every import is recorded");
    }
);

db_test!(
    /// UTF-8 with and without BOM, Windows-1252, `;` and `,`, CRLF, quoted fields, Italian and
    /// ISO dates, decimal commas: every form of the same data reads the same (nothing changes).
    async fn every_spreadsheet_format_reads_the_same(app) {
        let mut conn = connect(app);
        let mut rows = sample();
        rows[0].set("cognome", "D'Alò");
        rows[0].set("nome", "Niccolò");
        rows[1].set("cognome", "Cantù");
        rows[2].set("nome_complesso", "San Siro; \"Quadrilatero\"");
        let first = run(&mut conn, &export::write(&rows, &Format::default()), false, false);
        assert_eq!(first.created, 300, "{:?}", first.errors);
        let iso_rows: Vec<PersonRow> = rows
            .iter()
            .cloned()
            .map(|mut r| {
                for col in [14, 18] {
                    let d = chrono::NaiveDate::parse_from_str(&r.fields[col], "%d/%m/%Y").expect("date");
                    r.fields[col] = d.format("%Y-%m-%d").to_string();
                }
                r
            })
            .collect();
        for (name, format, data) in [
            ("comma, CRLF, BOM", Format { separator: ',', bom: true, crlf: true, ..Format::default() }, &rows),
            ("Windows-1252, all quoted", Format { windows_1252: true, quote_all: true, ..Format::default() }, &rows),
            ("ISO dates, comma, CRLF", Format { separator: ',', crlf: true, ..Format::default() }, &iso_rows),
        ] {
            let report = run(&mut conn, &export::write(data, &format), false, false);
            assert_eq!(report.outcome, Outcome::Applied, "{name}: {:?}", report.errors);
            assert_eq!((report.created, report.updated, report.unchanged), (0, 0, 300), "{name}: {:?}", report.errors);
        }
        let surname: String = persons::table
            .filter(persons::fiscal_code.eq(rows[0].fiscal_code()))
            .select(persons::surname)
            .first(&mut conn)
            .expect("person");
        assert_eq!(surname, "D'Alò", "accents survive Windows-1252");
    }
);

/// A file with one bad row of each kind, and where each must be reported.
/// (line, column, code) of an expected rejection.
type Expected = (u64, Option<&'static str>, &'static str);

fn flawed() -> (Vec<u8>, Vec<Expected>) {
    let mut rows = sample();
    // Row i is on line i + 2 (the header is line 1).
    let mut bad_check = rows[3].fiscal_code().to_owned();
    let last = bad_check.pop().expect("char");
    bad_check.push(if last == 'A' { 'B' } else { 'A' });
    rows[3].set("codice_fiscale", &bad_check);
    rows[5].set("data_inizio_contratto", "31/02/2001");
    rows[7].set("cap", "2014");
    // A new estate with its own building, unit and contract: only the estate is wrong.
    rows[9].set("codice_complesso", "C0000");
    rows[9].set("codice_fabbricato", "C0000-F001");
    rows[9].set("codice_alloggio", "C0000-F001-A001");
    rows[9].set("codice_contratto", "K9999999");
    // The same person twice (identity copied whole, so only the duplicate is wrong).
    let dup = rows[0].clone();
    rows[11].set("codice_fiscale", dup.fiscal_code());
    rows[11].set("data_nascita", &dup.fields[18]);
    rows[13].set("email", "not-an-email");
    rows[15].set("data_nascita", "01/01/1901");
    rows[17].set("ruolo_nucleo", "cugino");
    rows[19].set("codice_fabbricato", "C7001-F999");
    rows[19].set("codice_alloggio", "C7001-F999-A001");
    rows[19].set("codice_contratto", "K8888888");
    rows[19].set("latitudine", "");
    rows[19].set("longitudine", "");
    rows[21].set("latitudine", "north");
    rows[23].set("vani", "3,5");
    let expected = vec![
        (5, Some("codice_fiscale"), "invalid_check_character"),
        (7, Some("data_inizio_contratto"), "invalid_date"),
        (9, Some("cap"), "invalid_format"),
        (11, Some("codice_complesso"), "unknown_estate"),
        (13, Some("codice_fiscale"), "duplicate"),
        (15, Some("email"), "invalid_format"),
        (17, Some("data_nascita"), "mismatch"),
        (19, Some("ruolo_nucleo"), "invalid_value"),
        (21, Some("latitudine"), "required"),
        (23, Some("latitudine"), "invalid_coordinate"),
        (25, Some("vani"), "invalid_number"),
    ];
    let mut bytes = export::write(&rows, &Format::default());
    // And a row with a missing field, at the end (line 302).
    bytes.extend_from_slice(b"C7001;San Siro;C7001-F001\n");
    let mut expected = expected;
    expected.push((302, None, "wrong_field_count"));
    (bytes, expected)
}

db_test!(
    async fn all_or_nothing_reports_every_bad_row_and_writes_nothing(app) {
        let mut conn = connect(app);
        let (bytes, expected) = flawed();
        let report = run(&mut conn, &bytes, false, false);
        assert_eq!(report.outcome, Outcome::Rejected);
        let got: Vec<(u64, Option<&str>, &str)> = report
            .errors
            .iter()
            .map(|e| (e.line, e.column.as_deref(), e.code.as_str()))
            .collect();
        assert_eq!(got, expected, "{:#?}", report.errors);
        for e in &report.errors {
            assert!(!e.reason.is_empty());
        }
        assert_eq!(report.rejected, expected.len());
        assert_eq!(report.rows_total, 301);
        assert_eq!(counts(&mut conn), (0, 0, 0), "nothing was written");
        let outcome: String = registry_imports::table
            .select(registry_imports::outcome)
            .first(&mut conn)
            .expect("the attempt is recorded");
        assert_eq!(outcome, "rejected");
    }
);

db_test!(
    async fn a_partial_import_writes_the_good_rows(app) {
        let mut conn = connect(app);
        let (bytes, expected) = flawed();
        let report = run(&mut conn, &bytes, true, false);
        assert_eq!(report.outcome, Outcome::Applied);
        assert_eq!(report.rejected, expected.len());
        // 300 rows, 11 of them bad; the 12th error is the extra malformed line.
        assert_eq!(report.created, 300 - 11);
        assert_eq!(counts(&mut conn).0, 289);
        // Importing the corrected file later adds exactly the missing persons.
        let fixed = run(&mut conn, &export::write(&sample(), &Format::default()), false, false);
        assert_eq!(fixed.outcome, Outcome::Applied, "{:?}", fixed.errors);
        assert_eq!(fixed.created, 11, "the persons of the 11 rejected rows");
        assert_eq!(counts(&mut conn).0, 300);
    }
);

db_test!(
    async fn persons_who_leave_lose_their_place_and_movers_move(app) {
        let mut conn = connect(app);
        let rows = sample();
        run(&mut conn, &export::write(&rows, &Format::default()), false, false);

        let mut later = rows.clone();
        // Rows 0.. belong to the first contracts; drop rows 40..50, move row 60 into row 61's
        // household as a member, change a phone number.
        let gone: Vec<String> = later[40..50].iter().map(|r| r.fiscal_code().to_owned()).collect();
        later.drain(40..50);
        let target = later[51].clone();
        for col in ["codice_fabbricato", "indirizzo", "civico", "cap", "latitudine", "longitudine",
                    "codice_alloggio", "scala", "piano", "vani", "superficie_mq",
                    "codice_contratto", "data_inizio_contratto"] {
            let i = cortile::registry::import::parse::COLUMNS.iter().position(|c| *c == col).expect("col");
            later[50].fields[i] = target.fields[i].clone();
        }
        later[50].set("ruolo_nucleo", "componente");
        later[70].set("telefono", "+39 333 1234567");
        let report = run(&mut conn, &export::write(&later, &Format::default()), false, false);
        assert_eq!(report.outcome, Outcome::Applied, "{:?}", report.errors);
        assert_eq!(report.ended, 10);
        assert_eq!(report.created, 0);
        assert!(report.updated >= 2, "{report:?}");
        for fc in &gone {
            let active: i64 = household_members::table
                .inner_join(persons::table)
                .filter(persons::fiscal_code.eq(fc))
                .filter(household_members::ended_at.is_null())
                .count()
                .get_result(&mut conn)
                .expect("count");
            assert_eq!(active, 0, "{fc} keeps no place");
            let still: i64 = persons::table
                .filter(persons::fiscal_code.eq(fc))
                .count()
                .get_result(&mut conn)
                .expect("count");
            assert_eq!(still, 1, "{fc} stays in the registry's history");
        }
        let (p, m, _) = counts(&mut conn);
        assert_eq!((p, m), (300, 290));
        // A contract whose members all left has ended.
        let ended_contracts: i64 = households::table
            .filter(households::contract_status.eq("ended"))
            .count()
            .get_result(&mut conn)
            .expect("count");
        assert!(ended_contracts >= 1, "emptied households end");
        // The same later file again changes nothing.
        let again = run(&mut conn, &export::write(&later, &Format::default()), false, false);
        assert_eq!((again.created, again.updated, again.ended), (0, 0, 0), "{again:?}");
    }
);

db_test!(
    async fn a_dry_run_reports_and_writes_nothing(app) {
        let mut conn = connect(app);
        let report = run(&mut conn, &export::write(&sample(), &Format::default()), false, true);
        assert_eq!(report.outcome, Outcome::DryRun);
        assert_eq!(report.created, 300);
        assert_eq!(counts(&mut conn), (0, 0, 0));
        let records: i64 = registry_imports::table.count().get_result(&mut conn).expect("records");
        assert_eq!(records, 0);
    }
);

db_test!(
    async fn a_file_without_the_columns_is_refused(app) {
        let mut conn = connect(app);
        let options = ImportOptions {
            partial: true,
            dry_run: false,
            source_name: "x.csv".into(),
            imported_by: "test".into(),
        };
        let e = import_registry(&mut conn, b"codice_complesso;nome\nC7001;x\n", &options, now())
            .expect_err("missing columns");
        let text = e.to_string();
        assert!(text.contains("codice_fabbricato") && text.contains("email"), "{text}");
        let e = import_registry(&mut conn, b"", &options, now()).expect_err("empty");
        assert_eq!(e.to_string(), "the file is empty");
    }
);
