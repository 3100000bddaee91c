//! `cortile check-ledger`: recomputes the time bank from its entries and checks every invariant.
//!
//! - each account's balance equals the sum of its entries, and each entry's `balance_after`
//!   is the running sum of the account's entries in order;
//! - each bank's balances sum to zero (the bank's own account included);
//! - each transfer has at least two entries, on accounts of its own bank, summing to zero;
//! - a reversal negates exactly the entries of the transfer it reverses;
//! - no member's balance is below its credit limit;
//! - no idempotency key appears twice, and each completed key of the ledger names a transfer
//!   that no other key names.
//!
//! Read in one transaction (a consistent snapshot on PostgreSQL; on SQLite a read transaction
//! in WAL mode is one too).

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;

use super::store::AccountRow;
use crate::db::schema::{
    idempotency_keys, timebank_accounts, timebank_entries, timebank_transfers,
};
use crate::db::DbConn;
use crate::error::AppResult;

/// What the check found.
#[derive(Debug, Clone, Default)]
pub struct LedgerReport {
    pub banks: usize,
    pub accounts: usize,
    pub transfers: usize,
    pub entries: usize,
    /// Minutes in circulation: the sum of the positive member balances.
    pub minutes_held: i64,
    /// One line per broken invariant, naming the account or transfer.
    pub problems: Vec<String>,
}

impl LedgerReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// An idempotency key: id, user, key, scope, response status, transfer.
type KeyRow = (i64, i64, String, String, Option<i32>, Option<i64>);

/// Entries read per query.
const CHUNK: i64 = 20_000;

/// Checks the whole ledger.
pub fn check_ledger(conn: &mut DbConn) -> AppResult<LedgerReport> {
    // A read-only snapshot; REPEATABLE READ on PostgreSQL so that all queries see one state.
    let snapshot = |conn: &mut DbConn| -> AppResult<LedgerReport> {
        if let DbConn::Postgres(c) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(c)?;
        }
        check_in(conn)
    };
    conn.transaction(snapshot)
}

fn check_in(conn: &mut DbConn) -> AppResult<LedgerReport> {
    let mut report = LedgerReport::default();
    let problems = &mut report.problems;

    let accounts: Vec<AccountRow> = timebank_accounts::table
        .order(timebank_accounts::id)
        .select(AccountRow::as_select())
        .load(conn)?;
    let by_id: HashMap<i64, &AccountRow> = accounts.iter().map(|a| (a.id, a)).collect();
    report.accounts = accounts.len();
    let banks: i64 = crate::db::schema::timebank_banks::table
        .count()
        .get_result(conn)?;
    report.banks = usize::try_from(banks).unwrap_or(0);

    let transfers: Vec<(i64, i64, String, Option<i64>)> = timebank_transfers::table
        .order(timebank_transfers::id)
        .select((
            timebank_transfers::id,
            timebank_transfers::bank_id,
            timebank_transfers::kind,
            timebank_transfers::reverses_id,
        ))
        .load(conn)?;
    report.transfers = transfers.len();

    // Every entry, in id order, in chunks: running sums per account, sums per transfer.
    let mut running: HashMap<i64, i64> = HashMap::new();
    let mut per_transfer: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    let mut last = 0_i64;
    loop {
        let chunk: Vec<(i64, i64, i64, i64, i64)> = timebank_entries::table
            .filter(timebank_entries::id.gt(last))
            .order(timebank_entries::id)
            .limit(CHUNK)
            .select((
                timebank_entries::id,
                timebank_entries::transfer_id,
                timebank_entries::account_id,
                timebank_entries::minutes,
                timebank_entries::balance_after,
            ))
            .load(conn)?;
        let Some(&(end, ..)) = chunk.last() else {
            break;
        };
        last = end;
        report.entries += chunk.len();
        for (id, transfer, account, minutes, after) in chunk {
            let sum = running.entry(account).or_insert(0);
            *sum += minutes;
            if *sum != after {
                problems.push(format!(
                    "entry {id} (transfer {transfer}, account {account}): balance_after {after}, but the entries before it sum to {sum}"
                ));
            }
            per_transfer
                .entry(transfer)
                .or_default()
                .push((account, minutes));
        }
    }

    let describe = |a: &AccountRow| match a.user_id {
        Some(u) => format!("account {} (user {u}, bank {})", a.id, a.bank_id),
        None => format!("account {} (the own account of bank {})", a.id, a.bank_id),
    };
    let mut bank_sums: BTreeMap<i64, i64> = BTreeMap::new();
    for a in &accounts {
        let computed = running.get(&a.id).copied().unwrap_or(0);
        if computed != a.balance_minutes {
            problems.push(format!(
                "{}: balance {} but its entries sum to {computed}",
                describe(a),
                a.balance_minutes
            ));
        }
        if a.user_id.is_some() && a.balance_minutes < a.credit_limit_minutes {
            problems.push(format!(
                "{}: balance {} is below its credit limit {}",
                describe(a),
                a.balance_minutes,
                a.credit_limit_minutes
            ));
        }
        if a.user_id.is_some() && a.balance_minutes > 0 {
            report.minutes_held += a.balance_minutes;
        }
        *bank_sums.entry(a.bank_id).or_insert(0) += a.balance_minutes;
    }
    for (bank, sum) in bank_sums {
        if sum != 0 {
            problems.push(format!("bank {bank}: balances sum to {sum}, not 0"));
        }
    }
    for account in running.keys() {
        if !by_id.contains_key(account) {
            problems.push(format!(
                "entries name account {account}, which does not exist"
            ));
        }
    }

    let kinds: HashMap<i64, (i64, &str, Option<i64>)> = transfers
        .iter()
        .map(|(id, bank, kind, rev)| (*id, (*bank, kind.as_str(), *rev)))
        .collect();
    let empty = Vec::new();
    for (id, bank, kind, reverses) in &transfers {
        let entries = per_transfer.get(id).unwrap_or(&empty);
        if entries.len() < 2 {
            problems.push(format!(
                "transfer {id}: {} entries (half-applied?); a transfer has at least two",
                entries.len()
            ));
        }
        let sum: i64 = entries.iter().map(|(_, m)| m).sum();
        if sum != 0 {
            problems.push(format!("transfer {id}: entries sum to {sum}, not 0"));
        }
        for (account, _) in entries {
            if let Some(a) = by_id.get(account) {
                if a.bank_id != *bank {
                    problems.push(format!(
                        "transfer {id} of bank {bank} touches {}",
                        describe(a)
                    ));
                }
            }
        }
        match (kind.as_str(), reverses) {
            ("reversal", Some(original)) => {
                let mut expected: Vec<(i64, i64)> = per_transfer
                    .get(original)
                    .unwrap_or(&empty)
                    .iter()
                    .map(|(a, m)| (*a, -m))
                    .collect();
                let mut got = entries.clone();
                expected.sort_unstable();
                got.sort_unstable();
                if !kinds.contains_key(original) || expected != got {
                    problems.push(format!(
                        "transfer {id}: does not exactly reverse transfer {original}"
                    ));
                }
            }
            ("reversal", None) => {
                problems.push(format!("transfer {id}: a reversal that names no transfer"))
            }
            (_, Some(original)) => problems.push(format!(
                "transfer {id}: a {kind} that claims to reverse transfer {original}"
            )),
            _ => {}
        }
    }
    for transfer in per_transfer.keys() {
        if !kinds.contains_key(transfer) {
            problems.push(format!(
                "entries name transfer {transfer}, which does not exist"
            ));
        }
    }

    // Idempotency keys of the ledger.
    let keys: Vec<KeyRow> = idempotency_keys::table
        .filter(idempotency_keys::scope.like("timebank.%"))
        .order(idempotency_keys::id)
        .select((
            idempotency_keys::id,
            idempotency_keys::user_id,
            idempotency_keys::key,
            idempotency_keys::scope,
            idempotency_keys::response_status,
            idempotency_keys::resource_id,
        ))
        .load(conn)?;
    let mut seen_keys: HashMap<(i64, &str), i64> = HashMap::new();
    let mut seen_transfers: HashMap<i64, i64> = HashMap::new();
    for (id, user, key, scope, status, resource) in &keys {
        if let Some(first) = seen_keys.insert((*user, key.as_str()), *id) {
            problems.push(format!(
                "idempotency key {key:?} of user {user} is stored twice (rows {first} and {id})"
            ));
        }
        match (status, resource) {
            (Some(201), Some(t)) => {
                if !kinds.contains_key(t) {
                    problems.push(format!(
                        "idempotency key {key:?} of user {user} ({scope}) names transfer {t}, which does not exist"
                    ));
                }
                if let Some(other) = seen_transfers.insert(*t, *id) {
                    problems.push(format!(
                        "transfer {t} is named by two idempotency keys (rows {other} and {id})"
                    ));
                }
            }
            _ => problems.push(format!(
                "idempotency key {key:?} of user {user} ({scope}) has no completed response"
            )),
        }
    }
    Ok(report)
}
