//! The Italian fiscal code of a person (codice fiscale), parsed once at the edge.
//!
//! A [`FiscalCode`] can only be built through [`FiscalCode::parse`] (or [`FromStr`], serde, and
//! [`FiscalCode::from_parts_with_check`]), so holding one means the code is well formed: 16
//! characters with the right letters and digits in the right places, an existing birth date
//! and a matching control character. Whether the code was actually issued to someone is not
//! (and cannot be) checked here.
//!
//! Layout, positions counted from 1:
//!
//! | positions | content                                                        |
//! |-----------|----------------------------------------------------------------|
//! | 1–6       | letters from surname and name                                  |
//! | 7–8       | last two digits of the birth year                              |
//! | 9         | birth month letter (`A B C D E H L M P R S T` = Jan…Dec)        |
//! | 10–11     | birth day, 01–31 for men, 41–71 (day + 40) for women           |
//! | 12–15     | birthplace: municipality or foreign state code (`A562`, `Z404`) |
//! | 16        | control character                                              |
//!
//! Omocodia: when two people would get the same code, the revenue agency replaces digits (from
//! the right) by letters, `0→L 1→M 2→N 3→P 4→Q 5→R 6→S 7→T 8→U 9→V`. Any of the seven digit
//! positions (7, 8, 10, 11, 13, 14, 15) may hold such a letter; the control character is then
//! computed over the code as written.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Number of characters of a fiscal code.
const LEN: usize = 16;

/// Prefix of the fiscal code in the SPID and CIE identity attributes (`TINIT-RSSMRA85T10A562S`).
const TINIT_PREFIX: &str = "TINIT-";

/// 0-based indexes of the seven positions that hold digits, or omocodia letters instead.
const DIGIT_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];

/// Omocodia letter standing for each digit 0–9.
const OMOCODIA_LETTERS: &[u8; 10] = b"LMNPQRSTUV";

/// Month letters, January to December.
const MONTH_LETTERS: &[u8; 12] = b"ABCDEHLMPRST";

/// Value of each character at an odd position (1, 3, 5…) for the control character, indexed
/// by the digit (0–9) or the letter (A–Z, 0–25); digits and the first ten letters share values.
const ODD_VALUES: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

const EXPECTED_LETTER: &str = "a letter";
const EXPECTED_DIGIT: &str = "a digit or an omocodia letter (L M N P Q R S T U V)";
const EXPECTED_MONTH: &str = "a month letter (A B C D E H L M P R S T)";
const EXPECTED_CONTROL: &str = "a letter (the control character)";

/// The fiscal code (codice fiscale) of a person: 16 upper-case characters, checked on parse.
///
/// The code is kept as written, omocodia letters included; [`FiscalCode::canonical`] gives the
/// form with all digits back, to compare two codes of the same person. Serialized as the plain
/// string; deserialization goes through [`FiscalCode::parse`] and fails with its message.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "RSSMRA85T10A562S"))]
#[serde(try_from = "String", into = "String")]
pub struct FiscalCode(Repr);

/// Private representation of a [`FiscalCode`]: comparisons, order and hash follow `written`,
/// since `canonical` is a function of it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Repr {
    /// The code as given, upper case, omocodia letters kept (16 ASCII characters).
    written: String,
    /// The canonical form, only for omocodes (for others it equals `written`).
    canonical: Option<String>,
}

/// Why a string is not a valid fiscal code. Positions count from 1, as on the printed card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FiscalCodeError {
    /// Wrong number of characters (counted after trimming and removing a `TINIT-` prefix).
    #[error("a fiscal code must be {expected} characters, found {found}")]
    Length {
        /// Characters required: 16, or 15 for [`FiscalCode::from_parts_with_check`].
        expected: usize,
        /// Characters found.
        found: usize,
    },
    /// A character of the wrong kind for its position (e.g. a digit among the name letters).
    #[error("position {position} must be {expected}, found '{found}'")]
    InvalidCharacter {
        /// 1-based position of the character.
        position: usize,
        /// The offending character (upper-cased if it is an ASCII letter).
        found: char,
        /// What the position must hold, in words.
        expected: &'static str,
    },
    /// Position 9 holds a letter that is not one of the twelve month letters.
    #[error("position 9 must be a month letter (A B C D E H L M P R S T), found '{found}'")]
    InvalidMonth {
        /// The letter found at position 9.
        found: char,
    },
    /// Positions 10–11 are not a day (01–31, or 41–71 for women), or that day does not exist
    /// in the birth month (29 February is always allowed: the century is unknown).
    #[error("{}", day_message(*.day, *.month))]
    InvalidDay {
        /// The number written at positions 10–11 (omocodia letters decoded), e.g. 35 or 70.
        day: u8,
        /// The birth month, 1–12.
        month: u8,
    },
    /// The control character (position 16) does not match the first 15 characters.
    #[error("the control character (position 16) should be '{expected}', found '{found}'")]
    CheckCharacter {
        /// The control character computed from the first 15 characters.
        expected: char,
        /// The control character written.
        found: char,
    },
}

impl FiscalCodeError {
    /// Stable snake_case code of the error kind, for field errors in API responses.
    pub fn code(&self) -> &'static str {
        match self {
            FiscalCodeError::Length { .. } => "invalid_length",
            FiscalCodeError::InvalidCharacter { .. } => "invalid_character",
            FiscalCodeError::InvalidMonth { .. } => "invalid_month",
            FiscalCodeError::InvalidDay { .. } => "invalid_day",
            FiscalCodeError::CheckCharacter { .. } => "invalid_check_character",
        }
    }
}

/// Message of [`FiscalCodeError::InvalidDay`].
fn day_message(day: u8, month: u8) -> String {
    let in_month = match day {
        1..=31 => day,
        41..=71 => day - 40,
        _ => {
            return format!(
                "positions 10-11 must be the day of birth, 01-31 (men) or 41-71 (women), \
                 found {day:02}"
            )
        }
    };
    let woman = if day > 40 {
        format!(" ({day} - 40 for a woman)")
    } else {
        String::new()
    };
    format!(
        "positions 10-11 give day {in_month}{woman} of {}, which does not exist",
        month_name(month)
    )
}

/// English name of a month 1–12.
fn month_name(month: u8) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    usize::from(month)
        .checked_sub(1)
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("an unknown month")
}

/// Most days month 1–12 can have, allowing 29 February.
fn max_day(month: u8) -> u8 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The digit a character stands for at a digit position: itself, or its omocodia letter.
fn digit_value(c: u8) -> Option<u8> {
    if c.is_ascii_digit() {
        Some(c - b'0')
    } else {
        OMOCODIA_LETTERS
            .iter()
            .position(|&l| l == c)
            .and_then(|i| u8::try_from(i).ok())
    }
}

/// The control character of 15 upper-case ASCII alphanumeric bytes (not checked here).
fn control_char(first15: &[u8]) -> char {
    let sum: u32 = first15
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let index = if c.is_ascii_digit() {
                c - b'0'
            } else {
                c - b'A'
            };
            let index = usize::from(index);
            // Index 0 is position 1, an odd position.
            if i % 2 == 0 {
                ODD_VALUES[index]
            } else {
                index as u32
            }
        })
        .sum();
    char::from(b'A' + (sum % 26) as u8)
}

/// Checks the kind of each character of the first 15 positions, the month and the day.
/// `chars` holds at least 15 upper-cased characters.
fn check_body(chars: &[char]) -> Result<(), FiscalCodeError> {
    for (i, &c) in chars.iter().enumerate().take(LEN - 1) {
        let (ok, expected) = match i {
            8 => (c.is_ascii_uppercase(), EXPECTED_MONTH),
            _ if DIGIT_POSITIONS.contains(&i) => (
                u8::try_from(c).ok().and_then(digit_value).is_some(),
                EXPECTED_DIGIT,
            ),
            _ => (c.is_ascii_uppercase(), EXPECTED_LETTER),
        };
        if !ok {
            return Err(FiscalCodeError::InvalidCharacter {
                position: i + 1,
                found: c,
                expected,
            });
        }
    }
    // All of the first 15 characters are now ASCII alphanumerics.
    let bytes: Vec<u8> = chars.iter().take(LEN - 1).map(|&c| c as u8).collect();
    let month = MONTH_LETTERS
        .iter()
        .position(|&l| l == bytes[8])
        .and_then(|i| u8::try_from(i + 1).ok())
        .ok_or(FiscalCodeError::InvalidMonth { found: chars[8] })?;
    let day = two_digits(bytes[9], bytes[10]);
    let in_month = match day {
        1..=31 => day,
        41..=71 => day - 40,
        _ => 0,
    };
    if in_month == 0 || in_month > max_day(month) {
        return Err(FiscalCodeError::InvalidDay { day, month });
    }
    Ok(())
}

/// The number written at two digit positions (omocodia letters decoded; 0 if not digits).
fn two_digits(tens: u8, units: u8) -> u8 {
    digit_value(tens).unwrap_or(0) * 10 + digit_value(units).unwrap_or(0)
}

/// Upper-cases ASCII letters only, so that the character count never changes.
fn upper_chars(s: &str) -> Vec<char> {
    s.chars().map(|c| c.to_ascii_uppercase()).collect()
}

/// The canonical form of a written code whose first 15 characters passed [`check_body`]:
/// omocodia letters turned back to digits, control character recomputed.
fn canonical_of(written: &str) -> String {
    let mut bytes: Vec<u8> = written.bytes().take(LEN - 1).collect();
    for &i in &DIGIT_POSITIONS {
        if let Some(d) = digit_value(bytes[i]) {
            bytes[i] = b'0' + d;
        }
    }
    let check = control_char(&bytes);
    let mut out: String = bytes.iter().map(|&b| char::from(b)).collect();
    out.push(check);
    out
}

impl FiscalCode {
    /// Parses a fiscal code.
    ///
    /// Surrounding whitespace is trimmed, lower case is accepted (the code is stored upper
    /// case), and the SPID/CIE form `TINIT-<code>` is accepted in any case. Omocodia letters
    /// are accepted in the seven digit positions. Checks, in order: length, the kind of
    /// character at each position, the month letter, the day (and that it exists in the
    /// month, 29 February always allowed), and the control character.
    pub fn parse(input: &str) -> Result<FiscalCode, FiscalCodeError> {
        let trimmed = input.trim();
        let code = match trimmed.get(..TINIT_PREFIX.len()) {
            Some(prefix) if prefix.eq_ignore_ascii_case(TINIT_PREFIX) => {
                &trimmed[TINIT_PREFIX.len()..]
            }
            _ => trimmed,
        };
        let chars = upper_chars(code);
        if chars.len() != LEN {
            return Err(FiscalCodeError::Length {
                expected: LEN,
                found: chars.len(),
            });
        }
        check_body(&chars)?;
        let found = chars[LEN - 1];
        if !found.is_ascii_uppercase() {
            return Err(FiscalCodeError::InvalidCharacter {
                position: LEN,
                found,
                expected: EXPECTED_CONTROL,
            });
        }
        let written: String = chars.iter().collect();
        let expected = control_char(&written.as_bytes()[..LEN - 1]);
        if expected != found {
            return Err(FiscalCodeError::CheckCharacter { expected, found });
        }
        let is_omocode = DIGIT_POSITIONS
            .iter()
            .any(|&i| written.as_bytes()[i].is_ascii_uppercase());
        let canonical = is_omocode.then(|| canonical_of(&written));
        Ok(FiscalCode(Repr { written, canonical }))
    }

    /// Builds a fiscal code from its first 15 characters by appending the computed control
    /// character, then validates it fully as [`FiscalCode::parse`] does (without the `TINIT-`
    /// prefix). For tests and demo data.
    pub fn from_parts_with_check(first15: &str) -> Result<FiscalCode, FiscalCodeError> {
        let chars = upper_chars(first15.trim());
        if chars.len() != LEN - 1 {
            return Err(FiscalCodeError::Length {
                expected: LEN - 1,
                found: chars.len(),
            });
        }
        check_body(&chars)?;
        let mut code: String = chars.iter().collect();
        code.push(control_char(code.as_bytes()));
        FiscalCode::parse(&code)
    }

    /// The control character of the first 15 characters of a code, computed as written
    /// (omocodia letters included). `None` unless `first15` is exactly 15 ASCII letters or
    /// digits (either case); the layout of the code is not checked.
    pub fn check_character(first15: &str) -> Option<char> {
        let bytes = first15.as_bytes();
        if bytes.len() != LEN - 1 || !bytes.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        Some(control_char(&bytes.to_ascii_uppercase()))
    }

    /// The code as given: upper case, omocodia letters kept.
    pub fn as_str(&self) -> &str {
        &self.0.written
    }

    /// The canonical form: omocodia letters in the seven digit positions turned back to digits
    /// and the control character recomputed. Two codes of the same person (one of them an
    /// omocode) have equal canonical forms. A code without omocodia is its own canonical form.
    pub fn canonical(&self) -> FiscalCode {
        match &self.0.canonical {
            None => self.clone(),
            Some(canonical) => FiscalCode(Repr {
                written: canonical.clone(),
                canonical: None,
            }),
        }
    }

    /// Whether any digit position holds an omocodia letter.
    pub fn is_omocode(&self) -> bool {
        self.0.canonical.is_some()
    }

    /// The canonical form as a string (equal to [`FiscalCode::as_str`] for non-omocodes).
    fn canonical_str(&self) -> &str {
        self.0.canonical.as_deref().unwrap_or(&self.0.written)
    }

    /// Two-digit number at 0-based positions `i` and `i + 1` of the canonical form.
    fn number_at(&self, i: usize) -> u8 {
        let b = self.canonical_str().as_bytes();
        two_digits(b[i], b[i + 1])
    }

    /// Whether the code is a woman's (day of birth written as day + 40).
    pub fn is_female(&self) -> bool {
        self.number_at(9) > 40
    }

    /// The birth date, taking the century that puts it latest but not after `today`: with
    /// `today` in 2026, year `05` is 2005 and year `30` is 1930. `None` only when that date
    /// does not exist in either candidate century (29 February of year `00` before 2000-02-29
    /// would fall in 1900, which is not a leap year).
    pub fn birth_date_before(&self, today: NaiveDate) -> Option<NaiveDate> {
        let bytes = self.canonical_str().as_bytes();
        let year = i32::from(self.number_at(6));
        let month = MONTH_LETTERS.iter().position(|&l| l == bytes[8])? + 1;
        let day = self.number_at(9);
        let day = if day > 40 { day - 40 } else { day };
        let base = today.year() - today.year().rem_euclid(100) + year;
        [base, base - 100]
            .into_iter()
            .filter_map(|y| NaiveDate::from_ymd_opt(y, month as u32, u32::from(day)))
            .find(|date| *date <= today)
    }

    /// The birthplace code (codice catastale), 4 characters with digits decoded: an Italian
    /// municipality (`A562`, `F205`) or, starting with `Z`, a foreign state (`Z404`).
    pub fn birthplace_code(&self) -> &str {
        &self.canonical_str()[11..15]
    }
}

impl fmt::Debug for FiscalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FiscalCode").field(&self.as_str()).finish()
    }
}

impl fmt::Display for FiscalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FiscalCode {
    type Err = FiscalCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FiscalCode::parse(s)
    }
}

impl TryFrom<String> for FiscalCode {
    type Error = FiscalCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        FiscalCode::parse(&s)
    }
}

impl TryFrom<&str> for FiscalCode {
    type Error = FiscalCodeError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        FiscalCode::parse(s)
    }
}

impl From<FiscalCode> for String {
    fn from(code: FiscalCode) -> String {
        code.0.written
    }
}

impl AsRef<str> for FiscalCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashSet};

    fn code(s: &str) -> FiscalCode {
        FiscalCode::parse(s).expect("a valid fiscal code")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("an existing date")
    }

    fn today() -> NaiveDate {
        date(2026, 11, 22)
    }

    #[test]
    fn control_character_of_mario_rossi_computed_by_hand() {
        // RSSMRA85T10A562S: Mario Rossi, man, born 10 December 1985 in Rome (A562... as the
        // standard example goes). First 15: R S S M R A 8 5 T 1 0 A 5 6 2.
        // Odd positions 1,3,5,7,9,11,13,15: R S R 8 T 0 5 2
        //   -> 8 + 12 + 8 + 19 + 14 + 1 + 13 + 5 = 80
        // Even positions 2,4,6,8,10,12,14: S M A 5 1 A 6
        //   -> 18 + 12 + 0 + 5 + 1 + 0 + 6 = 42
        // 80 + 42 = 122; 122 mod 26 = 18 -> S.
        assert_eq!(FiscalCode::check_character("RSSMRA85T10A562"), Some('S'));
        let c = code("RSSMRA85T10A562S");
        assert_eq!(c.as_str(), "RSSMRA85T10A562S");
        assert!(!c.is_female());
        assert!(!c.is_omocode());
        assert_eq!(c.birthplace_code(), "A562");
        assert_eq!(c.birth_date_before(today()), Some(date(1985, 12, 10)));
    }

    #[test]
    fn control_character_of_a_woman_computed_by_hand() {
        // BNCLRA90A41F205I: a woman born 1 January 1990 in Milan (F205), day 01 + 40 = 41.
        // Odd positions 1,3,5,7,9,11,13,15: B C R 9 A 1 2 5
        //   -> 0 + 5 + 8 + 21 + 1 + 0 + 5 + 13 = 53
        // Even positions 2,4,6,8,10,12,14: N L A 0 4 F 0
        //   -> 13 + 11 + 0 + 0 + 4 + 5 + 0 = 33
        // 53 + 33 = 86; 86 mod 26 = 8 -> I.
        assert_eq!(FiscalCode::check_character("BNCLRA90A41F205"), Some('I'));
        let c = code("BNCLRA90A41F205I");
        assert!(c.is_female());
        assert_eq!(c.birthplace_code(), "F205");
        assert_eq!(c.birth_date_before(today()), Some(date(1990, 1, 1)));
    }

    #[test]
    fn more_known_valid_codes() {
        // RSSMRA80A01H501: odd R S R 8 A 1 5 1 -> 8+12+8+19+1+0+13+0 = 61,
        // even S M A 0 0 H 0 -> 18+12+0+0+0+7+0 = 37; 98 mod 26 = 20 -> U.
        for valid in ["RSSMRA80A01H501U", "RSSMRA85T10A562S", "BNCLRA90A41F205I"] {
            assert_eq!(code(valid).as_str(), valid);
        }
        // Codes built with the function, each then parsed back.
        for first15 in [
            "VRDGPP13P10B157",
            "MNZLSN85A41F205",
            "SMTJHN70C12Z404",
            "XXXYYY00B29A001",
            "FRNCST99T71M428",
        ] {
            let built = FiscalCode::from_parts_with_check(first15).expect("valid parts");
            assert_eq!(&built.as_str()[..15], first15);
            assert_eq!(code(built.as_str()), built);
            let check = FiscalCode::check_character(first15).expect("15 alphanumerics");
            assert!(built.as_str().ends_with(check));
        }
    }

    #[test]
    fn lower_case_whitespace_and_tinit_prefix_are_accepted() {
        let expected = code("RSSMRA85T10A562S");
        for input in [
            "rssmra85t10a562s",
            "  RSSMRA85T10A562S\n",
            "\tRsSmRa85t10A562s ",
            "TINIT-RSSMRA85T10A562S",
            "tinit-rssmra85t10a562s",
            " TiNiT-RSSMRA85T10A562S ",
        ] {
            assert_eq!(code(input), expected, "input {input:?}");
            assert_eq!(code(input).as_str(), "RSSMRA85T10A562S");
        }
        // The prefix only once, and only as a prefix.
        assert!(FiscalCode::parse("TINIT-TINIT-RSSMRA85T10A562S").is_err());
        assert!(FiscalCode::parse("RSSMRA85T10A562STINIT-").is_err());
    }

    #[test]
    fn wrong_lengths_are_rejected() {
        assert_eq!(
            FiscalCode::parse("RSSMRA85T10A562"),
            Err(FiscalCodeError::Length {
                expected: 16,
                found: 15
            })
        );
        assert_eq!(
            FiscalCode::parse("RSSMRA85T10A562SX"),
            Err(FiscalCodeError::Length {
                expected: 16,
                found: 17
            })
        );
        assert_eq!(
            FiscalCode::parse("   "),
            Err(FiscalCodeError::Length {
                expected: 16,
                found: 0
            })
        );
        assert_eq!(
            FiscalCode::parse("TINIT-"),
            Err(FiscalCodeError::Length {
                expected: 16,
                found: 0
            })
        );
        // Characters, not bytes, are counted.
        assert_eq!(
            FiscalCode::parse("RSSMRÀ85T10A562S"),
            Err(FiscalCodeError::InvalidCharacter {
                position: 6,
                found: 'À',
                expected: EXPECTED_LETTER
            })
        );
        let err = FiscalCode::parse("RSSMRA85T10A562").expect_err("too short");
        assert_eq!(
            err.to_string(),
            "a fiscal code must be 16 characters, found 15"
        );
        assert_eq!(err.code(), "invalid_length");
    }

    #[test]
    fn characters_of_the_wrong_kind_are_rejected_with_their_position() {
        let cases: [(&str, usize, char, &str); 8] = [
            ("R5SMRA85T10A562S", 2, '5', EXPECTED_LETTER),
            ("RSSMRAX5T10A562S", 7, 'X', EXPECTED_DIGIT),
            ("RSSMRA8AT10A562S", 8, 'A', EXPECTED_DIGIT),
            ("RSSMRA85110A562S", 9, '1', EXPECTED_MONTH),
            ("RSSMRA85T1KA562S", 11, 'K', EXPECTED_DIGIT),
            ("RSSMRA85T104562S", 12, '4', EXPECTED_LETTER),
            ("RSSMRA85T10A5 2S", 14, ' ', EXPECTED_DIGIT),
            ("RSSMRA85T10A5623", 16, '3', EXPECTED_CONTROL),
        ];
        for (input, position, found, expected) in cases {
            assert_eq!(
                FiscalCode::parse(input),
                Err(FiscalCodeError::InvalidCharacter {
                    position,
                    found,
                    expected
                }),
                "input {input:?}"
            );
        }
        let err = FiscalCode::parse("RSSMRA85T10A5-2S").expect_err("dash");
        assert_eq!(
            err.to_string(),
            "position 14 must be a digit or an omocodia letter (L M N P Q R S T U V), found '-'"
        );
        assert_eq!(err.code(), "invalid_character");
        // The first bad position is reported.
        assert!(matches!(
            FiscalCode::parse("1SSMRA8XT10A562S"),
            Err(FiscalCodeError::InvalidCharacter { position: 1, .. })
        ));
    }

    #[test]
    fn a_letter_that_is_not_a_month_is_rejected() {
        let err = FiscalCode::parse("RSSMRA85X10A562S").expect_err("X is no month");
        assert_eq!(err, FiscalCodeError::InvalidMonth { found: 'X' });
        assert_eq!(
            err.to_string(),
            "position 9 must be a month letter (A B C D E H L M P R S T), found 'X'"
        );
        assert_eq!(err.code(), "invalid_month");
        for letter in "FGIJKNOQUVWYZ".chars() {
            let input = format!("RSSMRA85{letter}10A562S");
            assert_eq!(
                FiscalCode::parse(&input),
                Err(FiscalCodeError::InvalidMonth { found: letter })
            );
        }
        // Every month letter decodes to its month.
        for (i, letter) in "ABCDEHLMPRST".chars().enumerate() {
            let c = FiscalCode::from_parts_with_check(&format!("RSSMRA85{letter}10A562"))
                .expect("valid month");
            let month = u32::try_from(i + 1).expect("small");
            assert_eq!(c.birth_date_before(today()), Some(date(1985, month, 10)));
        }
    }

    #[test]
    fn days_out_of_range_are_rejected() {
        for (day, input) in [
            (0, "RSSMRA85T00A562"),
            (32, "RSSMRA85T32A562"),
            (40, "RSSMRA85T40A562"),
            (72, "RSSMRA85T72A562"),
            (99, "RSSMRA85T99A562"),
        ] {
            let check = FiscalCode::check_character(input).expect("alphanumeric");
            let err = FiscalCode::parse(&format!("{input}{check}")).expect_err("bad day");
            assert_eq!(err, FiscalCodeError::InvalidDay { day, month: 12 });
            assert_eq!(err.code(), "invalid_day");
        }
        let err = FiscalCode::from_parts_with_check("RSSMRA85T35A562").expect_err("day 35");
        assert_eq!(
            err.to_string(),
            "positions 10-11 must be the day of birth, 01-31 (men) or 41-71 (women), found 35"
        );
        // Bounds are accepted.
        for day in ["01", "31", "41", "71"] {
            assert!(FiscalCode::from_parts_with_check(&format!("RSSMRA85T{day}A562")).is_ok());
        }
    }

    #[test]
    fn days_that_do_not_exist_in_the_month_are_rejected() {
        // 30 February, for a man and for a woman.
        let err = FiscalCode::from_parts_with_check("RSSMRA85B30A562").expect_err("30 Feb");
        assert_eq!(err, FiscalCodeError::InvalidDay { day: 30, month: 2 });
        assert_eq!(
            err.to_string(),
            "positions 10-11 give day 30 of February, which does not exist"
        );
        let err = FiscalCode::from_parts_with_check("RSSMRA85B70A562").expect_err("30 Feb");
        assert_eq!(err, FiscalCodeError::InvalidDay { day: 70, month: 2 });
        assert_eq!(
            err.to_string(),
            "positions 10-11 give day 30 (70 - 40 for a woman) of February, which does not exist"
        );
        // 31 February, 31 April (D), 31 June (H), 31 September (P), 31 November (S).
        for month_letter in ['B', 'D', 'H', 'P', 'S'] {
            assert!(matches!(
                FiscalCode::from_parts_with_check(&format!("RSSMRA85{month_letter}31A562")),
                Err(FiscalCodeError::InvalidDay { day: 31, .. })
            ));
        }
        // 29 February is allowed whatever the year (the century is unknown); 31 December too.
        assert!(FiscalCode::from_parts_with_check("RSSMRA85B29A562").is_ok());
        assert!(FiscalCode::from_parts_with_check("RSSMRA85B69A562").is_ok());
        assert!(FiscalCode::from_parts_with_check("RSSMRA85T31A562").is_ok());
    }

    #[test]
    fn a_wrong_control_character_is_rejected() {
        let err = FiscalCode::parse("RSSMRA85T10A562T").expect_err("T instead of S");
        assert_eq!(
            err,
            FiscalCodeError::CheckCharacter {
                expected: 'S',
                found: 'T'
            }
        );
        assert_eq!(
            err.to_string(),
            "the control character (position 16) should be 'S', found 'T'"
        );
        assert_eq!(err.code(), "invalid_check_character");
        // A single-character typo in the body is caught by the control character.
        assert!(matches!(
            FiscalCode::parse("RSSMRB85T10A562S"),
            Err(FiscalCodeError::CheckCharacter { .. })
        ));
    }

    #[test]
    fn omocodes_are_accepted_and_canonical_gives_the_digits_back() {
        // Position 15: 2 -> N. Odd value of N is 20 instead of 5 for 2: 80 - 5 + 20 = 95,
        // 95 + 42 = 137, 137 mod 26 = 7 -> H.
        assert_eq!(FiscalCode::check_character("RSSMRA85T10A56N"), Some('H'));
        let omocode = code("RSSMRA85T10A56NH");
        let plain = code("RSSMRA85T10A562S");
        assert!(omocode.is_omocode());
        assert_ne!(omocode, plain);
        assert_eq!(omocode.as_str(), "RSSMRA85T10A56NH");
        assert_eq!(omocode.canonical(), plain);
        assert_eq!(omocode.canonical().as_str(), "RSSMRA85T10A562S");
        assert!(!omocode.canonical().is_omocode());
        assert_eq!(plain.canonical(), plain);
        assert_eq!(omocode.birthplace_code(), "A562");
        assert_eq!(omocode.birth_date_before(today()), Some(date(1985, 12, 10)));

        // Every digit position replaced at once: 8 5 1 0 5 6 2 -> U R M L R S N.
        let full = FiscalCode::from_parts_with_check("rssmraurtmlarsn").expect("all omocodia");
        assert!(full.is_omocode());
        assert_eq!(full.canonical(), plain);
        assert_eq!(full.canonical().as_str(), plain.as_str());

        // A woman's omocode: day 41 written as QM.
        let woman = FiscalCode::from_parts_with_check("BNCLRA90AQMF2LR").expect("omocode");
        assert!(woman.is_female());
        assert_eq!(woman.birthplace_code(), "F205");
        assert_eq!(woman.canonical(), code("BNCLRA90A41F205I"));
        assert_eq!(woman.birth_date_before(today()), Some(date(1990, 1, 1)));

        // Omocodia letters only stand for digits: W is not one of them.
        assert!(matches!(
            FiscalCode::parse("RSSMRA85T10A56WH"),
            Err(FiscalCodeError::InvalidCharacter { position: 15, .. })
        ));
    }

    #[test]
    fn women_have_day_plus_forty() {
        let man = FiscalCode::from_parts_with_check("BNCLRA90A01F205").expect("man");
        let woman = FiscalCode::from_parts_with_check("BNCLRA90A41F205").expect("woman");
        assert!(!man.is_female());
        assert!(woman.is_female());
        assert_eq!(
            man.birth_date_before(today()),
            woman.birth_date_before(today())
        );
        let last = FiscalCode::from_parts_with_check("BNCLRA90M71F205").expect("31 August");
        assert!(last.is_female());
        assert_eq!(last.birth_date_before(today()), Some(date(1990, 8, 31)));
    }

    #[test]
    fn birth_century_is_the_latest_not_in_the_future() {
        let y05 = FiscalCode::from_parts_with_check("RSSMRA05A01H501").expect("2005");
        let y30 = FiscalCode::from_parts_with_check("RSSMRA30A01H501").expect("1930");
        assert_eq!(y05.birth_date_before(today()), Some(date(2005, 1, 1)));
        assert_eq!(y30.birth_date_before(today()), Some(date(1930, 1, 1)));

        // Same year as today: born earlier this year -> this century; later -> last century.
        let jan26 = FiscalCode::from_parts_with_check("RSSMRA26A01H501").expect("1 Jan 26");
        let dec26 = FiscalCode::from_parts_with_check("RSSMRA26T31H501").expect("31 Dec 26");
        assert_eq!(jan26.birth_date_before(today()), Some(date(2026, 1, 1)));
        assert_eq!(dec26.birth_date_before(today()), Some(date(1926, 12, 31)));
        // Born today counts as not in the future.
        let born_today = FiscalCode::from_parts_with_check("RSSMRA26S22H501").expect("22 Nov 26");
        assert_eq!(born_today.birth_date_before(today()), Some(today()));

        // 29 February of year 00: 2000 is a leap year, 1900 is not.
        let leap = FiscalCode::from_parts_with_check("RSSMRA00B29H501").expect("29 Feb 00");
        assert_eq!(leap.birth_date_before(today()), Some(date(2000, 2, 29)));
        assert_eq!(leap.birth_date_before(date(1999, 12, 31)), None);
        // 29 February of year 04 before 2004 is 1904, a leap year.
        let leap04 = FiscalCode::from_parts_with_check("RSSMRA04B29H501").expect("29 Feb 04");
        assert_eq!(
            leap04.birth_date_before(date(2003, 6, 1)),
            Some(date(1904, 2, 29))
        );
        // 29 February of year 85: not a leap year in any century.
        let not_leap = FiscalCode::from_parts_with_check("RSSMRA85B29H501").expect("29 Feb 85");
        assert_eq!(not_leap.birth_date_before(today()), None);
    }

    #[test]
    fn birthplace_can_be_a_foreign_state() {
        let c = FiscalCode::from_parts_with_check("SMTJHN70C12Z404").expect("born abroad");
        assert_eq!(c.birthplace_code(), "Z404");
        let omocode =
            FiscalCode::from_parts_with_check("SMTJHN70C12ZQLQ").expect("omocode born abroad");
        assert_eq!(omocode.birthplace_code(), "Z404");
        assert_eq!(omocode.canonical(), c);
    }

    #[test]
    fn from_parts_with_check_validates_its_input() {
        assert_eq!(
            FiscalCode::from_parts_with_check("RSSMRA85T10A56"),
            Err(FiscalCodeError::Length {
                expected: 15,
                found: 14
            })
        );
        assert_eq!(
            FiscalCode::from_parts_with_check("RSSMRA85T10A562S"),
            Err(FiscalCodeError::Length {
                expected: 15,
                found: 16
            })
        );
        assert!(matches!(
            FiscalCode::from_parts_with_check("RSSMRA85T10A5#2"),
            Err(FiscalCodeError::InvalidCharacter {
                position: 14,
                found: '#',
                ..
            })
        ));
        assert_eq!(
            FiscalCode::from_parts_with_check("rssmra85t10a562"),
            Ok(code("RSSMRA85T10A562S"))
        );
    }

    #[test]
    fn check_character_needs_fifteen_alphanumerics() {
        assert_eq!(FiscalCode::check_character("rssmra85t10a562"), Some('S'));
        assert_eq!(FiscalCode::check_character("RSSMRA85T10A56"), None);
        assert_eq!(FiscalCode::check_character("RSSMRA85T10A562S"), None);
        assert_eq!(FiscalCode::check_character("RSSMRA85T10A5-2"), None);
        assert_eq!(FiscalCode::check_character("RSSMRÀ85T10A562"), None);
        assert_eq!(FiscalCode::check_character(""), None);
    }

    #[test]
    fn display_from_str_and_conversions() {
        let c: FiscalCode = " tinit-rssmra85t10a562s ".parse().expect("valid");
        assert_eq!(c.to_string(), "RSSMRA85T10A562S");
        assert_eq!(format!("{c:?}"), "FiscalCode(\"RSSMRA85T10A562S\")");
        assert_eq!(c.as_ref(), "RSSMRA85T10A562S");
        assert_eq!(String::from(c.clone()), "RSSMRA85T10A562S");
        assert_eq!(FiscalCode::try_from("RSSMRA85T10A562S"), Ok(c.clone()));
        assert_eq!(
            FiscalCode::try_from(String::from("RSSMRA85T10A562S")),
            Ok(c)
        );
        assert!("RSSMRA85T10A562T".parse::<FiscalCode>().is_err());
    }

    #[test]
    fn serde_round_trip_and_rejection() {
        let c = code("rssmra85t10a56nh");
        let json = serde_json::to_string(&c).expect("serialize");
        assert_eq!(json, "\"RSSMRA85T10A56NH\"");
        let back: FiscalCode = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, c);
        assert!(back.is_omocode());

        let lenient: FiscalCode =
            serde_json::from_str("\" TINIT-rssmra85t10a562s \"").expect("lenient input");
        assert_eq!(lenient.as_str(), "RSSMRA85T10A562S");

        let err = serde_json::from_str::<FiscalCode>("\"RSSMRA85T10A562T\"").expect_err("bad");
        assert!(
            err.to_string()
                .contains("the control character (position 16) should be 'S', found 'T'"),
            "{err}"
        );
        let err = serde_json::from_str::<FiscalCode>("\"RSSMRA85\"").expect_err("short");
        assert!(
            err.to_string()
                .contains("a fiscal code must be 16 characters, found 8"),
            "{err}"
        );
        assert!(serde_json::from_str::<FiscalCode>("42").is_err());
        assert!(serde_json::from_str::<FiscalCode>("null").is_err());

        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Tenant {
            fiscal_code: FiscalCode,
        }
        let t: Tenant =
            serde_json::from_str(r#"{"fiscal_code":"bnclra90a41f205i"}"#).expect("tenant");
        assert_eq!(
            serde_json::to_string(&t).expect("serialize"),
            r#"{"fiscal_code":"BNCLRA90A41F205I"}"#
        );
    }

    #[test]
    fn ord_eq_and_hash_are_consistent() {
        let a = code("BNCLRA90A41F205I");
        let b = code("RSSMRA85T10A562S");
        let b_omocode = code("RSSMRA85T10A56NH");
        let b_again = code("rssmra85t10a562s");
        assert!(a < b);
        assert!(b < b_omocode);
        assert_eq!(b.cmp(&b_again), std::cmp::Ordering::Equal);
        assert_eq!(b, b_again);

        let hashed: HashSet<FiscalCode> = [&a, &b, &b_omocode, &b_again]
            .into_iter()
            .cloned()
            .collect();
        let ordered: BTreeSet<FiscalCode> = [&a, &b, &b_omocode, &b_again]
            .into_iter()
            .cloned()
            .collect();
        assert_eq!(hashed.len(), 3);
        assert_eq!(ordered.len(), 3);
        assert!(ordered.iter().all(|c| hashed.contains(c)));
        // Order follows the written code, so it matches string order.
        let strings: Vec<&str> = ordered.iter().map(FiscalCode::as_str).collect();
        let mut sorted = strings.clone();
        sorted.sort_unstable();
        assert_eq!(strings, sorted);

        // Same person, by canonical form.
        let people: HashSet<FiscalCode> = [&b, &b_omocode, &b_again]
            .into_iter()
            .map(FiscalCode::canonical)
            .collect();
        assert_eq!(people.len(), 1);
    }

    #[test]
    fn error_codes_are_stable() {
        let errors = [
            FiscalCodeError::Length {
                expected: 16,
                found: 3,
            },
            FiscalCodeError::InvalidCharacter {
                position: 1,
                found: '1',
                expected: EXPECTED_LETTER,
            },
            FiscalCodeError::InvalidMonth { found: 'X' },
            FiscalCodeError::InvalidDay { day: 32, month: 1 },
            FiscalCodeError::CheckCharacter {
                expected: 'A',
                found: 'B',
            },
        ];
        let codes: Vec<&str> = errors.iter().map(FiscalCodeError::code).collect();
        assert_eq!(
            codes,
            [
                "invalid_length",
                "invalid_character",
                "invalid_month",
                "invalid_day",
                "invalid_check_character"
            ]
        );
    }
}
