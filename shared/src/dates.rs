//! Dates and times as people in Italy read them (the web app's dates, the server's CSV): times in the Europe/Rome zone (CET, and CEST
//! from the last Sunday of March to the last Sunday of October, changing at 01:00 UTC, as the
//! EU rules fix), whatever zone the browser is in.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Utc, Weekday};

/// The last Sunday of `month` in `year` (March or October), at 01:00 UTC.
fn last_sunday_0100_utc(year: i32, month: u32) -> Option<NaiveDateTime> {
    let mut day = NaiveDate::from_ymd_opt(year, month, 31)?;
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt()?;
    }
    day.and_hms_opt(1, 0, 0)
}

/// The offset of Europe/Rome from UTC at `at`, in hours (1 or 2).
pub fn rome_offset_hours(at: DateTime<Utc>) -> i64 {
    let utc = at.naive_utc();
    let year = utc.year();
    match (
        last_sunday_0100_utc(year, 3),
        last_sunday_0100_utc(year, 10),
    ) {
        (Some(start), Some(end)) if utc >= start && utc < end => 2,
        _ => 1,
    }
}

/// `at` as a wall-clock time in Rome.
pub fn rome_time(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc() + TimeDelta::hours(rome_offset_hours(at))
}

/// A wall-clock time in Rome as a moment (UTC). Of the hour repeated when the clocks go
/// back, the first; a time skipped when they go forward is read with the winter offset.
pub fn rome_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    for offset in [2, 1] {
        let utc = (local - TimeDelta::hours(offset)).and_utc();
        if rome_offset_hours(utc) == offset {
            return utc;
        }
    }
    (local - TimeDelta::hours(1)).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("valid RFC 3339")
    }

    #[test]
    fn rome_times_are_read_back_as_moments() {
        let local = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("valid");
        // Midnight at the start of a month, in winter and in summer.
        assert_eq!(
            rome_to_utc(local("2026-03-01 00:00")),
            utc("2026-02-28T23:00:00Z")
        );
        assert_eq!(
            rome_to_utc(local("2026-08-01 00:00")),
            utc("2026-07-31T22:00:00Z")
        );
        // Round trips either side of the changes.
        for at in [
            "2025-03-30T00:59:00Z",
            "2025-03-30T01:00:00Z",
            "2025-10-26T02:00:00Z",
        ] {
            assert_eq!(rome_to_utc(rome_time(utc(at))), utc(at), "{at}");
        }
    }

    #[test]
    fn winter_is_one_hour_ahead_and_summer_two() {
        assert_eq!(rome_offset_hours(utc("2025-01-15T12:00:00Z")), 1);
        assert_eq!(rome_offset_hours(utc("2025-07-15T12:00:00Z")), 2);
        assert_eq!(rome_offset_hours(utc("2025-12-31T23:30:00Z")), 1);
    }

    #[test]
    fn the_clocks_change_at_one_utc_on_the_last_sundays() {
        // 2025: 30 March and 26 October.
        assert_eq!(rome_offset_hours(utc("2025-03-30T00:59:59Z")), 1);
        assert_eq!(rome_offset_hours(utc("2025-03-30T01:00:00Z")), 2);
        assert_eq!(rome_offset_hours(utc("2025-10-26T00:59:59Z")), 2);
        assert_eq!(rome_offset_hours(utc("2025-10-26T01:00:00Z")), 1);
        assert_eq!(
            rome_time(utc("2025-03-30T01:30:00Z")).to_string(),
            "2025-03-30 03:30:00"
        );
        assert_eq!(
            rome_time(utc("2024-12-31T23:30:00Z")).to_string(),
            "2025-01-01 00:30:00"
        );
    }
}
