//! Reading the manager's export: bytes → validated rows, each bad row reported with its line,
//! column and reason. No database here.
//!
//! Real exports come from spreadsheets, so this accepts UTF-8 with or without BOM and
//! Windows-1252, `;` or `,` separators, CRLF line ends, quoted fields, dates as `dd/mm/yyyy` or
//! ISO `yyyy-mm-dd`, and decimal commas.

use std::collections::HashMap;

use chrono::NaiveDate;
pub use cortile_shared::auth::HouseholdRole;
pub use cortile_shared::import::{Encoding, RowError};
use cortile_shared::FiscalCode;

/// The columns of the export, in the manager's (Italian) names.
pub const COLUMNS: [&str; 22] = [
    "codice_complesso",
    "nome_complesso",
    "codice_fabbricato",
    "indirizzo",
    "civico",
    "cap",
    "latitudine",
    "longitudine",
    "codice_alloggio",
    "scala",
    "piano",
    "vani",
    "superficie_mq",
    "codice_contratto",
    "data_inizio_contratto",
    "codice_fiscale",
    "cognome",
    "nome",
    "data_nascita",
    "ruolo_nucleo",
    "telefono",
    "email",
];

/// One valid row: a person in a household in a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: u64,
    pub estate_code: String,
    pub estate_name: String,
    pub building_code: String,
    /// Street and number, as shown ("Via Selinunte 52").
    pub address: String,
    pub postcode: String,
    pub point: Option<(f64, f64)>,
    pub unit_code: String,
    pub staircase: String,
    pub floor: i32,
    pub rooms: i32,
    pub area_m2: f64,
    pub contract_code: String,
    pub contract_start: NaiveDate,
    pub fiscal_code: FiscalCode,
    pub surname: String,
    pub given_name: String,
    pub birth_date: NaiveDate,
    pub role: HouseholdRole,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A file that cannot be read at all (not a row problem).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("the header lacks the columns {0}")]
    MissingColumns(String),
    #[error("the header names the column {0} twice")]
    DuplicateColumn(String),
    #[error("the file cannot be read as CSV: {0}")]
    Csv(String),
}

/// The parsed file: valid rows, rejected rows, and how it was read.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub encoding: Encoding,
    pub separator: char,
    pub rows: Vec<Row>,
    pub errors: Vec<RowError>,
    /// Data rows in the file (valid + rejected).
    pub rows_total: usize,
    /// Fiscal codes named by rejected rows (when readable): a partial import never ends them.
    pub rejected_fiscal_codes: std::collections::HashSet<String>,
}

/// Decodes bytes: UTF-8 (a BOM is dropped), else Windows-1252 (what spreadsheets on Windows write).
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (
            String::from_utf8_lossy(rest).into_owned(),
            Encoding::Utf8WithBom,
        );
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), Encoding::Utf8),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text.into_owned(), Encoding::Windows1252)
        }
    }
}

/// Picks `;` or `,`: whichever occurs more often outside quotes on the header line.
pub fn sniff_separator(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let (mut semicolons, mut commas, mut quoted) = (0, 0, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => semicolons += 1,
            ',' if !quoted => commas += 1,
            _ => {}
        }
    }
    if semicolons >= commas && semicolons > 0 {
        b';'
    } else {
        b','
    }
}

/// Parses a date as `dd/mm/yyyy` (also `d/m/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`) or ISO `yyyy-mm-dd`.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = raw.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    for fmt in ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            // Two-digit years are ambiguous; chrono reads "1/2/85" as year 85.
            if s.rsplit(['/', '-', '.'])
                .next()
                .is_some_and(|y| y.len() == 4)
            {
                return Some(d);
            }
        }
    }
    None
}

/// Parses a decimal written with a comma or a dot ("45,4698" or "45.4698"); a thousands
/// separator is not expected in these columns.
pub fn parse_decimal(raw: &str) -> Option<f64> {
    let s = raw.trim().replace(',', ".");
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

fn parse_floor(raw: &str) -> Option<i32> {
    let s = raw.trim().to_ascii_uppercase();
    match s.as_str() {
        "T" | "PT" | "PR" | "TERRA" | "RIALZATO" => Some(0),
        "S" | "S1" | "SEMINTERRATO" => Some(-1),
        _ => s.parse().ok().filter(|f| (-3..=60).contains(f)),
    }
}

fn parse_role(raw: &str) -> Option<HouseholdRole> {
    match raw.trim().to_lowercase().as_str() {
        "i" | "t" | "intestatario" | "intestataria" | "titolare" | "holder" => {
            Some(HouseholdRole::Holder)
        }
        "c" | "componente" | "familiare" | "membro" | "member" => Some(HouseholdRole::Member),
        _ => None,
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// Collapses inner whitespace and trims.
fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads and validates the whole file. Row problems go to `errors`; only a file that cannot be
/// read at all is an `Err`.
pub fn parse(bytes: &[u8], today: NaiveDate) -> Result<Parsed, FileError> {
    let (text, encoding) = decode(bytes);
    // One line end: the CSV reader's line numbers drift on CRLF (and old Macs wrote lone CR).
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    };
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let separator = sniff_separator(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FileError::Csv(e.to_string()))?
        .clone();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let name = h.trim().trim_start_matches('\u{feff}').to_lowercase();
        if let Some(col) = COLUMNS.iter().find(|c| **c == name) {
            if index.insert(col, i).is_some() {
                return Err(FileError::DuplicateColumn((*col).to_owned()));
            }
        }
    }
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| !index.contains_key(*c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(FileError::MissingColumns(missing.join(", ")));
    }

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut rows_total = 0;
    let mut rejected_fiscal_codes = std::collections::HashSet::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                rows_total += 1;
                errors.push(RowError::new(line, None, "unreadable_row", e.to_string()));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // blank line at the end of a spreadsheet export
        }
        rows_total += 1;
        if record.len() != headers.len() {
            errors.push(RowError::new(
                line,
                None,
                "wrong_field_count",
                format!(
                    "has {} fields, the header has {}",
                    record.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        let get = |col: &'static str| record.get(index[col]).unwrap_or("").trim();
        match parse_row(line, &get, today) {
            Ok(row) => rows.push(row),
            Err(e) => {
                if let Ok(fc) = FiscalCode::parse(get("codice_fiscale")) {
                    rejected_fiscal_codes.insert(fc.canonical().as_str().to_owned());
                }
                errors.push(e);
            }
        }
    }
    Ok(Parsed {
        encoding,
        separator: char::from(separator),
        rows,
        errors,
        rows_total,
        rejected_fiscal_codes,
    })
}

fn parse_row<'r>(
    line: u64,
    get: &dyn Fn(&'static str) -> &'r str,
    today: NaiveDate,
) -> Result<Row, RowError> {
    let err = |col: &str, code: &str, reason: String| RowError::new(line, Some(col), code, reason);
    let required = |col: &'static str| -> Result<String, RowError> {
        let v = clean(get(col));
        if v.is_empty() {
            Err(err(col, "required", format!("{col} is empty")))
        } else {
            Ok(v)
        }
    };
    let code = |col: &'static str| -> Result<String, RowError> {
        let v = required(col)?;
        if v.chars().any(|c| c.is_control()) || v.len() > 64 {
            return Err(err(
                col,
                "invalid_format",
                format!("{col} {v:?} is not a valid code"),
            ));
        }
        Ok(v)
    };
    let date = |col: &'static str| -> Result<NaiveDate, RowError> {
        let raw = required(col)?;
        parse_date(&raw).ok_or_else(|| {
            err(
                col,
                "invalid_date",
                format!("{col} {raw:?} is not a date (use dd/mm/yyyy or yyyy-mm-dd)"),
            )
        })
    };

    let estate_code = code("codice_complesso")?;
    let estate_name = required("nome_complesso")?;
    let building_code = code("codice_fabbricato")?;
    let street = required("indirizzo")?;
    let number = clean(get("civico"));
    let postcode = required("cap")?;
    if postcode.len() != 5 || !postcode.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(
            "cap",
            "invalid_format",
            format!("cap {postcode:?} is not 5 digits"),
        ));
    }
    let point = match (get("latitudine"), get("longitudine")) {
        ("", "") => None,
        (lat, lon) => {
            let lat_v = parse_decimal(lat).filter(|v| (-90.0..=90.0).contains(v));
            let lon_v = parse_decimal(lon).filter(|v| (-180.0..=180.0).contains(v));
            match (lat_v, lon_v) {
                (Some(a), Some(b)) => Some((a, b)),
                (None, _) => {
                    return Err(err(
                        "latitudine",
                        "invalid_coordinate",
                        format!(
                        "latitudine {lat:?} is not a latitude (or leave both coordinates empty)"
                    ),
                    ))
                }
                (_, None) => {
                    return Err(err(
                        "longitudine",
                        "invalid_coordinate",
                        format!(
                        "longitudine {lon:?} is not a longitude (or leave both coordinates empty)"
                    ),
                    ))
                }
            }
        }
    };
    let unit_code = code("codice_alloggio")?;
    let staircase = clean(get("scala"));
    let floor_raw = required("piano")?;
    let floor = parse_floor(&floor_raw).ok_or_else(|| {
        err(
            "piano",
            "invalid_number",
            format!(
                "piano {floor_raw:?} is not a floor (a whole number, or T for the ground floor)"
            ),
        )
    })?;
    let rooms_raw = required("vani")?;
    let rooms = parse_decimal(&rooms_raw)
        .filter(|v| v.fract() == 0.0 && (0.0..=50.0).contains(v))
        .map(|v| v as i32)
        .ok_or_else(|| {
            err(
                "vani",
                "invalid_number",
                format!("vani {rooms_raw:?} is not a whole number of rooms"),
            )
        })?;
    let area_raw = required("superficie_mq")?;
    let area_m2 = parse_decimal(&area_raw)
        .filter(|v| (0.0..=2000.0).contains(v))
        .ok_or_else(|| {
            err(
                "superficie_mq",
                "invalid_number",
                format!("superficie_mq {area_raw:?} is not an area in square metres"),
            )
        })?;
    let contract_code = code("codice_contratto")?;
    let contract_start = date("data_inizio_contratto")?;
    if contract_start > today {
        return Err(err(
            "data_inizio_contratto",
            "in_the_future",
            format!("data_inizio_contratto {contract_start} is in the future"),
        ));
    }
    let fc_raw = required("codice_fiscale")?;
    let fiscal_code = FiscalCode::parse(&fc_raw)
        .map_err(|e| {
            err(
                "codice_fiscale",
                e.code(),
                format!("codice_fiscale {fc_raw:?}: {e}"),
            )
        })?
        .canonical();
    let surname = required("cognome")?;
    let given_name = required("nome")?;
    let birth_date = date("data_nascita")?;
    if birth_date > today {
        return Err(err(
            "data_nascita",
            "in_the_future",
            format!("data_nascita {birth_date} is in the future"),
        ));
    }
    if let Some(coded) = fiscal_code.birth_date_before(today) {
        if coded != birth_date {
            return Err(err(
                "data_nascita",
                "mismatch",
                format!(
                    "data_nascita {birth_date} does not match the fiscal code, which says {coded}"
                ),
            ));
        }
    }
    let role_raw = required("ruolo_nucleo")?;
    let role = parse_role(&role_raw).ok_or_else(|| {
        err(
            "ruolo_nucleo",
            "invalid_value",
            format!("ruolo_nucleo {role_raw:?} is neither intestatario nor componente"),
        )
    })?;
    let phone = Some(clean(get("telefono"))).filter(|p| !p.is_empty());
    if let Some(p) = &phone {
        let digits = p.chars().filter(char::is_ascii_digit).count();
        if digits < 6
            || p.chars()
                .any(|c| !(c.is_ascii_digit() || " +-/().".contains(c)))
        {
            return Err(err(
                "telefono",
                "invalid_format",
                format!("telefono {p:?} is not a phone number"),
            ));
        }
    }
    let email = Some(get("email").trim().to_lowercase()).filter(|e| !e.is_empty());
    if let Some(e) = &email {
        if !looks_like_email(e) {
            return Err(err(
                "email",
                "invalid_format",
                format!("email {e:?} is not an email address"),
            ));
        }
    }
    let address = if number.is_empty() {
        street
    } else {
        format!("{street} {number}")
    };
    Ok(Row {
        line,
        estate_code,
        estate_name,
        building_code,
        address,
        postcode,
        point,
        unit_code,
        staircase,
        floor,
        rooms,
        area_m2,
        contract_code,
        contract_start,
        fiscal_code,
        surname,
        given_name,
        birth_date,
        role,
        phone,
        email,
    })
}

/// Rules across rows: a person appears once; a contract is in one unit and has at most one
/// holder; a unit and a building are described the same way on every line. Later rows that
/// contradict earlier ones are rejected, naming the earlier line.
pub fn cross_check(
    rows: Vec<Row>,
    errors: &mut Vec<RowError>,
    rejected: &mut std::collections::HashSet<String>,
) -> Vec<Row> {
    let mut persons: HashMap<String, u64> = HashMap::new();
    let mut contracts: HashMap<String, (String, u64)> = HashMap::new();
    let mut holders: HashMap<String, u64> = HashMap::new();
    let mut units: HashMap<String, (String, String, i32, i32, u64)> = HashMap::new();
    let mut buildings: HashMap<String, (String, String, u64)> = HashMap::new();
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let fc = row.fiscal_code.as_str().to_owned();
        let mut reject = |column: &str, code: &str, reason: String| {
            rejected.insert(row.fiscal_code.as_str().to_owned());
            RowError::new(row.line, Some(column), code, reason)
        };
        if let Some(first) = persons.get(&fc) {
            errors.push(reject(
                "codice_fiscale",
                "duplicate",
                format!("{fc} is already on line {first}"),
            ));
            continue;
        }
        if let Some((unit, first)) = contracts.get(&row.contract_code) {
            if *unit != row.unit_code {
                errors.push(reject(
                    "codice_contratto",
                    "conflict",
                    format!(
                        "contract {} is in unit {unit} on line {first}, not {}",
                        row.contract_code, row.unit_code
                    ),
                ));
                continue;
            }
        }
        if row.role == HouseholdRole::Holder {
            if let Some(first) = holders.get(&row.contract_code) {
                errors.push(reject(
                    "ruolo_nucleo",
                    "conflict",
                    format!(
                        "contract {} already has its holder on line {first}",
                        row.contract_code
                    ),
                ));
                continue;
            }
        }
        let unit_key = (
            row.building_code.clone(),
            row.staircase.clone(),
            row.floor,
            row.rooms,
            row.line,
        );
        if let Some((b, s, f, r, first)) = units.get(&row.unit_code) {
            if (b, s, f, r) != (&unit_key.0, &unit_key.1, &unit_key.2, &unit_key.3) {
                errors.push(reject(
                    "codice_alloggio",
                    "conflict",
                    format!(
                        "unit {} is described differently on line {first}",
                        row.unit_code
                    ),
                ));
                continue;
            }
        }
        // A building may have several entrances (civici); it cannot be in two estates.
        if let Some((estate, _, first)) = buildings.get(&row.building_code) {
            if *estate != row.estate_code {
                errors.push(reject(
                    "codice_fabbricato",
                    "conflict",
                    format!(
                        "building {} is in estate {estate} on line {first}",
                        row.building_code
                    ),
                ));
                continue;
            }
        }
        persons.insert(fc, row.line);
        contracts
            .entry(row.contract_code.clone())
            .or_insert((row.unit_code.clone(), row.line));
        if row.role == HouseholdRole::Holder {
            holders.insert(row.contract_code.clone(), row.line);
        }
        units.entry(row.unit_code.clone()).or_insert(unit_key);
        buildings.entry(row.building_code.clone()).or_insert((
            row.estate_code.clone(),
            row.address.clone(),
            row.line,
        ));
        kept.push(row);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
    }

    const HEADER: &str = "codice_complesso;nome_complesso;codice_fabbricato;indirizzo;civico;cap;latitudine;longitudine;codice_alloggio;scala;piano;vani;superficie_mq;codice_contratto;data_inizio_contratto;codice_fiscale;cognome;nome;data_nascita;ruolo_nucleo;telefono;email";
    const GOOD: &str = "C7001;San Siro;F1;Via Selinunte;1;20148;45,47;9,14;U1;A;T;3;62,5;K1;01/03/2010;RSSMRA85T10A562S;Rossi;Mario;10/12/1985;I;;";
    const BAD: &str = "C7001;San Siro;F1;Via Selinunte;1;20148;;;U1;A;1;3;62,5;K1;01/03/2010;BNCLRA90A41F205X;Bianchi;Lara;1990-01-01;C;;";

    #[test]
    fn line_numbers_count_from_the_header_with_any_line_end() {
        for eol in ["\n", "\r\n"] {
            for bom in ["", "\u{feff}"] {
                let text = format!("{bom}{HEADER}{eol}{GOOD}{eol}{BAD}{eol}");
                let parsed = parse(text.as_bytes(), today()).expect("parse");
                assert_eq!(parsed.rows.len(), 1);
                assert_eq!(parsed.rows[0].line, 2, "{eol:?} {bom:?}");
                assert_eq!(
                    parsed.errors[0].line, 3,
                    "{eol:?} {bom:?}: {:?}",
                    parsed.errors
                );
            }
        }
    }

    #[test]
    fn decodes_utf8_bom_and_windows_1252() {
        assert_eq!(
            decode(b"\xEF\xBB\xBFcitt\xC3\xA0"),
            ("città".into(), Encoding::Utf8WithBom)
        );
        assert_eq!(decode("città".as_bytes()), ("città".into(), Encoding::Utf8));
        assert_eq!(
            decode(b"citt\xE0 D\x92Al\xF2"),
            ("città D\u{2019}Alò".into(), Encoding::Windows1252)
        );
    }

    #[test]
    fn sniffs_the_separator_outside_quotes() {
        assert_eq!(sniff_separator("a;b;c\n1,5;2;3"), b';');
        assert_eq!(sniff_separator("a,b,c\n"), b',');
        assert_eq!(sniff_separator("\"x;y\",b,c\n"), b',');
    }

    #[test]
    fn dates_numbers_floors_and_roles() {
        let d = NaiveDate::from_ymd_opt(2010, 3, 1);
        assert_eq!(parse_date("01/03/2010"), d);
        assert_eq!(parse_date("1/3/2010"), d);
        assert_eq!(parse_date("2010-03-01"), d);
        assert_eq!(parse_date("01.03.2010"), d);
        assert_eq!(
            parse_date("01/03/10"),
            None,
            "two-digit years are ambiguous"
        );
        assert_eq!(parse_date("31/02/2010"), None);
        assert_eq!(parse_decimal("62,5"), Some(62.5));
        assert_eq!(parse_decimal("45.4698"), Some(45.4698));
        assert_eq!(parse_decimal("NaN"), None);
        assert_eq!(parse_floor("T"), Some(0));
        assert_eq!(parse_floor("3"), Some(3));
        assert_eq!(parse_floor("attico"), None);
        assert_eq!(parse_role("Intestatario"), Some(HouseholdRole::Holder));
        assert_eq!(parse_role("C"), Some(HouseholdRole::Member));
        assert_eq!(parse_role("zio"), None);
    }

    #[test]
    fn missing_and_duplicate_columns_refuse_the_file() {
        let e = parse(b"codice_complesso;nome\n", today()).expect_err("missing");
        assert!(
            matches!(e, FileError::MissingColumns(ref c) if c.contains("email")),
            "{e}"
        );
        let dup = format!("{HEADER};email\n");
        assert_eq!(
            parse(dup.as_bytes(), today()).expect_err("dup"),
            FileError::DuplicateColumn("email".into())
        );
        assert_eq!(
            parse(b"  \n", today()).expect_err("empty"),
            FileError::Empty
        );
    }
}
