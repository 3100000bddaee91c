//! Synthetic exports of the housing manager, built from the demo registry: the same estates,
//! buildings and units the demo seed loads, with households and persons who have valid fiscal
//! codes. Written in the formats real spreadsheets produce.

use crate::registry::demo::{self, Scale};
use cortile_shared::FiscalCode;

/// How the file is written.
#[derive(Debug, Clone, Copy)]
pub struct Format {
    pub separator: char,
    pub bom: bool,
    pub windows_1252: bool,
    pub crlf: bool,
    /// Dates as dd/mm/yyyy (else ISO).
    pub italian_dates: bool,
    /// Quote every field.
    pub quote_all: bool,
}

impl Default for Format {
    fn default() -> Self {
        Format {
            separator: ';',
            bom: false,
            windows_1252: false,
            crlf: false,
            italian_dates: true,
            quote_all: false,
        }
    }
}

/// One person row of the export, as text fields in the export's column order.
#[derive(Debug, Clone)]
pub struct PersonRow {
    pub fields: Vec<String>,
}

impl PersonRow {
    pub fn fiscal_code(&self) -> &str {
        &self.fields[15]
    }
    pub fn set(&mut self, column: &str, value: &str) {
        let i = crate::registry::import::parse::COLUMNS
            .iter()
            .position(|c| *c == column)
            .unwrap_or_else(|| panic!("no column {column}"));
        self.fields[i] = value.to_owned();
    }
}

const SURNAMES: [&str; 8] = [
    "Rossi", "Esposito", "Bianchi", "Colombo", "Ricci", "Marino", "Greco", "Bruno",
];
const NAMES: [&str; 8] = [
    "Maria",
    "Giuseppe",
    "Anna",
    "Ahmed",
    "Lucia",
    "Wei",
    "Francesca",
    "Ioana",
];
const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";

/// A valid fiscal code for person number `n` (unique for n < 26^6), and their birth date.
pub fn person_code(n: usize) -> (String, chrono::NaiveDate) {
    let mut letters = String::new();
    let mut k = n;
    for _ in 0..6 {
        letters.push(char::from(b'A' + (k % 26) as u8));
        k /= 26;
    }
    let year = 1935 + (n % 70) as i32;
    let month = (n / 7) % 12;
    let day = 1 + (n / 3) % 28;
    let female = n % 2 == 1;
    let first15 = format!(
        "{letters}{:02}{}{:02}F205",
        year % 100,
        char::from(MONTHS[month]),
        if female { day + 40 } else { day }
    );
    let code = FiscalCode::from_parts_with_check(&first15).expect("a valid synthetic code");
    let date = chrono::NaiveDate::from_ymd_opt(year, month as u32 + 1, day as u32).expect("date");
    (code.as_str().to_owned(), date)
}

/// Rows for the demo registry at `scale`: `persons_in(unit_index)` persons per unit (0 = empty).
pub fn rows(
    scale: Scale,
    persons_in: impl Fn(usize) -> usize,
    italian_dates: bool,
) -> Vec<PersonRow> {
    let fmt_date = |d: chrono::NaiveDate| {
        if italian_dates {
            d.format("%d/%m/%Y").to_string()
        } else {
            d.format("%Y-%m-%d").to_string()
        }
    };
    let mut out = Vec::new();
    let mut person = 0;
    let mut unit_index = 0;
    for estate in demo::generate(scale) {
        for (building, units) in &estate.buildings {
            let (street, number) = building
                .address
                .rsplit_once(' ')
                .expect("street and number");
            for unit in units {
                let n = persons_in(unit_index);
                let contract = format!("K{unit_index:07}");
                let start = chrono::NaiveDate::from_ymd_opt(
                    1990 + (unit_index % 30) as i32,
                    1 + (unit_index % 12) as u32,
                    1,
                )
                .expect("date");
                for k in 0..n {
                    let (code, birth) = person_code(person);
                    out.push(PersonRow {
                        fields: vec![
                            estate.estate.code.clone(),
                            estate.estate.name.clone(),
                            building.code.clone(),
                            street.to_owned(),
                            number.to_owned(),
                            building.postcode.clone(),
                            format!("{:.6}", building.lat).replace('.', ","),
                            format!("{:.6}", building.lon).replace('.', ","),
                            unit.code.clone(),
                            unit.staircase.clone(),
                            unit.floor.to_string(),
                            unit.rooms.to_string(),
                            format!("{:.1}", unit.area_m2).replace('.', ","),
                            contract.clone(),
                            fmt_date(start),
                            code,
                            SURNAMES[person % SURNAMES.len()].to_owned(),
                            NAMES[(person / 8) % NAMES.len()].to_owned(),
                            fmt_date(birth),
                            if k == 0 { "intestatario" } else { "componente" }.to_owned(),
                            if person % 3 == 0 {
                                format!("02 {:07}", person)
                            } else {
                                String::new()
                            },
                            if person % 4 == 0 {
                                format!("persona{person}@example.org")
                            } else {
                                String::new()
                            },
                        ],
                    });
                    person += 1;
                }
                unit_index += 1;
            }
        }
    }
    out
}

fn field(value: &str, format: &Format) -> String {
    let needs = format.quote_all
        || value.contains(format.separator)
        || value.contains('"')
        || value.contains('\n');
    if needs {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// Writes rows as a file in the given format.
pub fn write(rows: &[PersonRow], format: &Format) -> Vec<u8> {
    let eol = if format.crlf { "\r\n" } else { "\n" };
    let sep = format.separator.to_string();
    let mut text = String::new();
    text.push_str(
        &crate::registry::import::parse::COLUMNS
            .iter()
            .map(|c| field(c, format))
            .collect::<Vec<_>>()
            .join(&sep),
    );
    text.push_str(eol);
    for row in rows {
        text.push_str(
            &row.fields
                .iter()
                .map(|f| field(f, format))
                .collect::<Vec<_>>()
                .join(&sep),
        );
        text.push_str(eol);
    }
    let mut bytes = Vec::new();
    if format.bom {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    if format.windows_1252 {
        let (encoded, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
        assert!(!unmappable, "text not representable in Windows-1252");
        bytes.extend_from_slice(&encoded);
    } else {
        bytes.extend_from_slice(text.as_bytes());
    }
    bytes
}
