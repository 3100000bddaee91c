//! Numbers written the way each language writes them: Italian `1.234,5`, English `1,234.5`.

use cortile_shared::Locale;

fn separators(locale: Locale) -> (char, char) {
    // (thousands, decimal)
    match locale {
        Locale::It => ('.', ','),
        Locale::En => (',', '.'),
    }
}

fn group(digits: &str, sep: char) -> String {
    // `digits` is ASCII, so byte chunks are whole characters.
    let chunks: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
        .collect();
    chunks.join(sep.encode_utf8(&mut [0; 4]))
}

/// An integer with thousands separators.
pub fn format_int(locale: Locale, n: i64) -> String {
    let (thousands, _) = separators(locale);
    let digits = n.unsigned_abs().to_string();
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group(&digits, thousands))
}

/// A decimal number rounded to `decimals` digits, with thousands and decimal separators.
pub fn format_decimal(locale: Locale, x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return String::from("–");
    }
    let (thousands, decimal) = separators(locale);
    let text = format!("{:.*}", decimals, x.abs());
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i.to_owned(), Some(f.to_owned())),
        None => (text, None),
    };
    // "-0,0" would look odd: only show the sign when something non-zero is left.
    let negative = x < 0.0
        && (int_part
            .chars()
            .chain(frac_part.iter().flat_map(|f| f.chars())))
        .any(|c| c != '0');
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&group(&int_part, thousands));
    if let Some(frac) = frac_part {
        out.push(decimal);
        out.push_str(&frac);
    }
    out
}

/// A decimal number as a person would type it in a form field: at most `max_decimals` digits
/// after the language's decimal mark, trailing zeros dropped, no thousands separator (so that
/// the field reads back as typed): "0,33", "1,5", "2", "10000".
pub fn format_decimal_input(locale: Locale, x: f64, max_decimals: usize) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let (_, decimal) = separators(locale);
    let text = format!("{:.*}", max_decimals, x);
    let text = match text.split_once('.') {
        Some((int_part, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                int_part.to_owned()
            } else {
                format!("{int_part}{decimal}{frac}")
            }
        }
        None => text,
    };
    // "-0" would look odd.
    if text.trim_start_matches('-') == "0" {
        "0".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_use_the_language_thousands_separator() {
        assert_eq!(format_int(Locale::It, 0), "0");
        assert_eq!(format_int(Locale::It, 999), "999");
        assert_eq!(format_int(Locale::It, 1234), "1.234");
        assert_eq!(format_int(Locale::It, 1_234_567), "1.234.567");
        assert_eq!(format_int(Locale::En, 1_234_567), "1,234,567");
        assert_eq!(format_int(Locale::It, -45_000), "-45.000");
        assert_eq!(
            format_int(Locale::En, i64::MIN),
            "-9,223,372,036,854,775,808"
        );
    }

    #[test]
    fn decimals_use_the_language_decimal_mark() {
        assert_eq!(format_decimal(Locale::It, 62.5, 1), "62,5");
        assert_eq!(format_decimal(Locale::En, 62.5, 1), "62.5");
        assert_eq!(format_decimal(Locale::It, 1234.56, 1), "1.234,6");
        assert_eq!(format_decimal(Locale::En, 1234.0, 0), "1,234");
        assert_eq!(format_decimal(Locale::It, -0.01, 1), "0,0");
        assert_eq!(format_decimal(Locale::It, f64::NAN, 1), "–");
    }

    #[test]
    fn decimals_for_a_form_are_short_and_ungrouped() {
        assert_eq!(format_decimal_input(Locale::It, 20.0 / 60.0, 2), "0,33");
        assert_eq!(format_decimal_input(Locale::En, 20.0 / 60.0, 2), "0.33");
        assert_eq!(format_decimal_input(Locale::It, 1.5, 2), "1,5");
        assert_eq!(format_decimal_input(Locale::It, 2.0, 2), "2");
        assert_eq!(format_decimal_input(Locale::It, 12.5, 2), "12,5");
        assert_eq!(format_decimal_input(Locale::It, 10_000.0, 2), "10000");
        assert_eq!(format_decimal_input(Locale::It, -0.001, 2), "0");
    }
}
