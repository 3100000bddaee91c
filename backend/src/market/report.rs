//! The monthly report per estate, for the transparency pages: exchanges confirmed in the
//! month (by their receiver or by staff resolving a dispute), the minutes they paid, and how
//! many people took part. Public: numbers only, no names. An exchange counts for the estate
//! of its listing.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use cortile_shared::market::{EstateMonth, EstateName, ExchangeState, MonthlyReport};
use cortile_shared::EstateId;
use diesel::prelude::*;

use crate::db::schema::{estates, market_exchanges};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

/// Parses `YYYY-MM` into the first moment of that month and of the next.
pub fn month_bounds(raw: &str) -> AppResult<(NaiveDateTime, NaiveDateTime)> {
    let bad = || {
        AppError::invalid(
            "month",
            "invalid_format",
            format!("month must be YYYY-MM, not {raw:?}"),
        )
    };
    let (y, m) = raw.trim().split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let start = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    }
    .ok_or_else(bad)?;
    Ok((
        start.and_hms_opt(0, 0, 0).ok_or_else(bad)?,
        next.and_hms_opt(0, 0, 0).ok_or_else(bad)?,
    ))
}

/// `GET /api/v1/market/reports/monthly?month=YYYY-MM` (default: this month, UTC).
pub fn monthly(
    conn: &mut DbConn,
    month: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<MonthlyReport> {
    let label = match month.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_owned(),
        None => format!("{:04}-{:02}", now.year(), now.month()),
    };
    let (start, end) = month_bounds(&label)?;
    let rows: Vec<(Option<i64>, i64, i64, i64)> = market_exchanges::table
        .filter(market_exchanges::state.eq(ExchangeState::Confirmed.as_str()))
        .filter(market_exchanges::confirmed_at.ge(start))
        .filter(market_exchanges::confirmed_at.lt(end))
        .select((
            market_exchanges::estate_id,
            market_exchanges::provider_id,
            market_exchanges::receiver_id,
            market_exchanges::minutes,
        ))
        .load(conn)?;
    #[derive(Default)]
    struct Acc {
        exchanges: i64,
        minutes: i64,
        people: HashSet<i64>,
    }
    let mut by_estate: BTreeMap<i64, Acc> = BTreeMap::new();
    let mut city = Acc::default();
    for (estate, provider, receiver, minutes) in rows {
        city.exchanges += 1;
        city.minutes += minutes;
        city.people.extend([provider, receiver]);
        if let Some(e) = estate {
            let acc = by_estate.entry(e).or_default();
            acc.exchanges += 1;
            acc.minutes += minutes;
            acc.people.extend([provider, receiver]);
        }
    }
    let all: Vec<(i64, String)> = estates::table
        .order(estates::name)
        .select((estates::id, estates::name))
        .load(conn)?;
    let estates = all
        .into_iter()
        .map(|(id, name)| {
            let acc = by_estate.remove(&id).unwrap_or_default();
            EstateMonth {
                estate: EstateName {
                    id: EstateId(id),
                    name,
                },
                exchanges: acc.exchanges,
                minutes: acc.minutes,
                active_members: acc.people.len() as i64,
            }
        })
        .collect();
    Ok(MonthlyReport {
        month: label,
        estates,
        exchanges: city.exchanges,
        minutes: city.minutes,
        active_members: city.people.len() as i64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_have_bounds() {
        let (s, e) = month_bounds("2026-12").expect("december");
        assert_eq!(s.to_string(), "2026-12-01 00:00:00");
        assert_eq!(e.to_string(), "2027-01-01 00:00:00");
        for bad in ["2026-13", "26-01", "2026/01", "", "2026-1"] {
            assert!(month_bounds(bad).is_err(), "{bad}");
        }
    }
}
