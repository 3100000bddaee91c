//! The monthly report per estate, for the transparency pages: the hours the time bank moved
//! in the month (exchanges confirmed by their receiver or by staff resolving a dispute, and
//! direct transfers), apart from the marketplace's contacts (exchanges in euro or free, which
//! move nothing), and how many people took part. Public: numbers only, no names.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use cortile_shared::dates::{rome_time, rome_to_utc};
use cortile_shared::market::{EstateMonth, EstateName, ExchangeState, MonthlyReport};
use cortile_shared::timebank::TransferKind;
use cortile_shared::EstateId;
use diesel::prelude::*;

use crate::db::schema::{
    estates, market_exchanges, timebank_accounts, timebank_entries, timebank_transfers, users,
};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

/// Parses `YYYY-MM` into the first moment of that month and of the next, in Rome (as UTC
/// times, as stored): a month in Milan starts at midnight there.
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
    let moment = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|local| rome_to_utc(local).naive_utc())
            .ok_or_else(bad)
    };
    Ok((moment(start)?, moment(next)?))
}

/// A confirmed exchange: estate, provider, receiver, minutes, transfer (if paid in hours).
type ConfirmedRow = (Option<i64>, i64, i64, i64, Option<i64>);

/// What one estate (or the city) did in the month.
#[derive(Default)]
struct Acc {
    hour_exchanges: i64,
    hour_transfers: i64,
    minutes: i64,
    contacts: i64,
    people: HashSet<i64>,
}

/// `GET /api/v1/market/reports/monthly?month=YYYY-MM` (default: this month; months in Rome time).
///
/// - Confirmed exchanges paid through the ledger (priced in hours) count as hour exchanges,
///   their minutes as minutes exchanged; the others (euro, free) as marketplace contacts.
///   An exchange counts for the estate of its listing; one whose payment staff reversed, not
///   at all.
/// - Direct transfers (kind `transfer`, not reversed) count as hour transfers, the minutes
///   they credited as minutes exchanged; a transfer counts for the estate where its payer
///   lives now (the city only, when the registry gives none).
pub fn monthly(
    conn: &mut DbConn,
    month: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<MonthlyReport> {
    let label = match month.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_owned(),
        None => {
            let here = rome_time(now.and_utc());
            format!("{:04}-{:02}", here.year(), here.month())
        }
    };
    let (start, end) = month_bounds(&label)?;
    // Reversals are rare corrections by staff: their targets fit in memory. A payment staff
    // reversed counts nowhere, an exchange's as a direct transfer's.
    let reversed: HashSet<i64> = timebank_transfers::table
        .filter(timebank_transfers::kind.eq(TransferKind::Reversal.as_str()))
        .filter(timebank_transfers::reverses_id.is_not_null())
        .select(timebank_transfers::reverses_id.assume_not_null())
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let rows: Vec<ConfirmedRow> = market_exchanges::table
        .filter(market_exchanges::state.eq(ExchangeState::Confirmed.as_str()))
        .filter(market_exchanges::confirmed_at.ge(start))
        .filter(market_exchanges::confirmed_at.lt(end))
        .select((
            market_exchanges::estate_id,
            market_exchanges::provider_id,
            market_exchanges::receiver_id,
            market_exchanges::minutes,
            market_exchanges::transfer_id,
        ))
        .load(conn)?;
    let mut by_estate: BTreeMap<i64, Acc> = BTreeMap::new();
    let mut city = Acc::default();
    for (estate, provider, receiver, minutes, transfer) in rows {
        if transfer.is_some_and(|t| reversed.contains(&t)) {
            continue;
        }
        let add = |acc: &mut Acc| {
            if transfer.is_some() {
                acc.hour_exchanges += 1;
                acc.minutes += minutes;
            } else {
                acc.contacts += 1;
            }
            acc.people.extend([provider, receiver]);
        };
        add(&mut city);
        if let Some(e) = estate {
            add(by_estate.entry(e).or_default());
        }
    }
    // Direct transfers: one debit (the payer) and one credit per payee.
    let entries: Vec<(i64, i64, Option<i64>)> = timebank_transfers::table
        .inner_join(timebank_entries::table.inner_join(timebank_accounts::table))
        .filter(timebank_transfers::kind.eq(TransferKind::Transfer.as_str()))
        .filter(timebank_transfers::created_at.ge(start))
        .filter(timebank_transfers::created_at.lt(end))
        .order((timebank_transfers::id, timebank_entries::id))
        .select((
            timebank_transfers::id,
            timebank_entries::minutes,
            timebank_accounts::user_id,
        ))
        .load(conn)?;
    let mut transfers: BTreeMap<i64, (Option<i64>, i64, Vec<i64>)> = BTreeMap::new();
    for (transfer, minutes, user) in entries {
        if reversed.contains(&transfer) {
            continue;
        }
        let t = transfers.entry(transfer).or_default();
        if minutes < 0 {
            t.0 = user;
        } else {
            t.1 += minutes;
            t.2.extend(user);
        }
    }
    let mut payers: Vec<i64> = transfers.values().filter_map(|t| t.0).collect();
    payers.sort_unstable();
    payers.dedup();
    let homes = home_estates(conn, &payers)?;
    for (payer, minutes, payees) in transfers.into_values() {
        let estate = payer.and_then(|p| homes.get(&p).copied());
        let add = |acc: &mut Acc| {
            acc.hour_transfers += 1;
            acc.minutes += minutes;
            acc.people.extend(payer);
            acc.people.extend(payees.iter().copied());
        };
        add(&mut city);
        if let Some(e) = estate {
            add(by_estate.entry(e).or_default());
        }
    }
    let mut all: Vec<(i64, String)> = estates::table
        .select((estates::id, estates::name))
        .load(conn)?;
    // By name whatever the case, the same on either database (their collations differ).
    all.sort_by_cached_key(|(id, name)| (name.to_lowercase(), *id));
    let estates = all
        .into_iter()
        .map(|(id, name)| {
            let acc = by_estate.remove(&id).unwrap_or_default();
            EstateMonth {
                estate: EstateName {
                    id: EstateId(id),
                    name,
                },
                hour_exchanges: acc.hour_exchanges,
                hour_transfers: acc.hour_transfers,
                minutes_exchanged: acc.minutes,
                marketplace_contacts: acc.contacts,
                active_members: acc.people.len() as i64,
            }
        })
        .collect();
    Ok(MonthlyReport {
        month: label,
        estates,
        hour_exchanges: city.hour_exchanges,
        hour_transfers: city.hour_transfers,
        minutes_exchanged: city.minutes,
        marketplace_contacts: city.contacts,
        active_members: city.people.len() as i64,
    })
}

/// The estate where a user lives now, by the registry.
/// The estate each of these users lives in now, by the registry (those with no home are left
/// out): two queries, whatever their number.
fn home_estates(conn: &mut DbConn, people: &[i64]) -> AppResult<HashMap<i64, i64>> {
    use crate::db::schema::{buildings, household_members, households, persons, units};
    if people.is_empty() {
        return Ok(HashMap::new());
    }
    let codes: Vec<(i64, String)> = users::table
        .filter(users::id.eq_any(people))
        .filter(users::fiscal_code.is_not_null())
        .select((users::id, users::fiscal_code.assume_not_null()))
        .load(conn)?;
    let wanted: Vec<&str> = codes.iter().map(|(_, c)| c.as_str()).collect();
    // As `residence_of`: a current membership of an active household; the latest if several.
    let rows: Vec<(String, i64, i64)> = household_members::table
        .inner_join(persons::table)
        .inner_join(households::table.inner_join(units::table.inner_join(buildings::table)))
        .filter(persons::fiscal_code.eq_any(&wanted))
        .filter(household_members::ended_at.is_null())
        .filter(households::contract_status.eq("active"))
        .select((
            persons::fiscal_code,
            household_members::id,
            buildings::estate_id,
        ))
        .load(conn)?;
    let mut by_code: HashMap<String, (i64, i64)> = HashMap::new();
    for (code, membership, estate) in rows {
        let e = by_code.entry(code).or_insert((membership, estate));
        if membership > e.0 {
            *e = (membership, estate);
        }
    }
    Ok(codes
        .into_iter()
        .filter_map(|(user, code)| by_code.get(&code).map(|(_, estate)| (user, *estate)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_have_bounds() {
        let (s, e) = month_bounds("2026-12").expect("december");
        // Midnight in Rome (winter: one hour ahead of UTC).
        assert_eq!(s.to_string(), "2026-11-30 23:00:00");
        assert_eq!(e.to_string(), "2026-12-31 23:00:00");
        // Summer: two hours ahead.
        let (s, _) = month_bounds("2026-07").expect("july");
        assert_eq!(s.to_string(), "2026-06-30 22:00:00");
        for bad in ["2026-13", "26-01", "2026/01", "", "2026-1"] {
            assert!(month_bounds(bad).is_err(), "{bad}");
        }
    }
}
