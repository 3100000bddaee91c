//! The time bank's ledger on the wire: transfers of minutes between members, accounts,
//! statements, and the staff's corrections (adjustments, reversals, credit limits).
//!
//! Amounts are whole minutes. Every transfer debits one account and credits one or more others
//! by the same total (double entry), so the sum of a bank's balances never changes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::UserRef;
use crate::error::FieldError;
use crate::ids::{BankId, TransferId, UserId};

/// The most minutes one leg of a transfer may move (100 hours).
pub const MAX_LEG_MINUTES: i64 = 6_000;
/// The most people one transfer may pay (a group activity).
pub const MAX_RECIPIENTS: usize = 50;
/// The longest memo, in characters.
pub const MAX_MEMO_LEN: usize = 280;
/// The longest reason of a staff correction, in characters.
pub const MAX_REASON_LEN: usize = 500;
/// The default credit limit of a new bank: −10 hours.
pub const DEFAULT_CREDIT_LIMIT_MINUTES: i64 = -600;
/// The lowest credit limit staff may set (−100 hours).
pub const MIN_CREDIT_LIMIT_MINUTES: i64 = -6_000;
/// The header naming a retryable write.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// The minutes of one leg (`field` names it, e.g. `to[0].minutes`): a whole number from 1 to
/// [`MAX_LEG_MINUTES`], else the field's error. The server's rule, also checked by the page
/// before it sends.
pub fn check_leg_minutes(field: &str, minutes: i64) -> Option<FieldError> {
    (!(1..=MAX_LEG_MINUTES).contains(&minutes)).then(|| {
        FieldError::new(
            field,
            "out_of_range",
            format!("{field} must be a whole number of minutes from 1 to {MAX_LEG_MINUTES}"),
        )
    })
}

/// One person paid by a transfer, and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Leg {
    pub to: UserId,
    pub minutes: i64,
}

/// Who a transfer pays: one person (with the top-level `minutes`), or several, each with
/// their own minutes (a group activity paid in one transfer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Recipients {
    One(UserId),
    Many(Vec<Leg>),
}

/// `POST /api/v1/timebank/transfers` (with an `Idempotency-Key` header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTransfer {
    pub to: Recipients,
    /// Minutes paid to `to` when it names one person; absent when `to` is a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<i64>,
    /// What the minutes are for, shown on both statements.
    #[serde(default)]
    pub memo: String,
}

/// What a transfer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// A direct payment between members.
    Transfer,
    /// The confirmation of an exchange (receiver pays provider).
    Exchange,
    /// A correction by staff, between the bank and a member.
    Adjustment,
    /// The exact opposite of an earlier transfer, written by staff.
    Reversal,
}

impl TransferKind {
    pub const ALL: [TransferKind; 4] = [
        TransferKind::Transfer,
        TransferKind::Exchange,
        TransferKind::Adjustment,
        TransferKind::Reversal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransferKind::Transfer => "transfer",
            TransferKind::Exchange => "exchange",
            TransferKind::Adjustment => "adjustment",
            TransferKind::Reversal => "reversal",
        }
    }

    pub fn parse(s: &str) -> Option<TransferKind> {
        TransferKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One line of a transfer: an account credited (positive) or debited (negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferEntry {
    /// The member, or none for the bank's own account (adjustments).
    pub user: Option<UserRef>,
    pub minutes: i64,
}

/// A transfer as written in the ledger (the answer of a transfer, and of a retry with the same
/// key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    pub id: TransferId,
    pub bank_id: BankId,
    pub kind: TransferKind,
    pub memo: String,
    pub created_at: DateTime<Utc>,
    /// Who asked for it (in assisted mode: the resident).
    pub initiated_by: Option<UserRef>,
    /// The operator who acted on the resident's behalf, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_operator: Option<UserRef>,
    /// The transfer this one reverses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverses: Option<TransferId>,
    /// The debits and credits; they sum to zero.
    pub entries: Vec<TransferEntry>,
}

/// `GET /api/v1/timebank/accounts/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub bank_id: BankId,
    pub bank_name: String,
    pub user: UserRef,
    pub balance_minutes: i64,
    /// The lowest the balance may go (negative: the member may owe up to that many minutes).
    pub credit_limit_minutes: i64,
    /// How many minutes the member may still spend.
    pub available_minutes: i64,
}

/// One line of a member's statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementLine {
    /// Id of the ledger entry (the statement's order).
    pub entry_id: i64,
    pub transfer_id: TransferId,
    pub at: DateTime<Utc>,
    pub kind: TransferKind,
    /// Credited (positive) or debited (negative).
    pub minutes: i64,
    /// The balance right after this line.
    pub balance_after: i64,
    /// Who paid me, or whom I paid; empty for the bank's own account.
    pub counterparties: Vec<UserRef>,
    pub memo: String,
}

/// `POST /api/v1/timebank/accounts/{user_id}/adjustments` (staff): minutes moved between the
/// bank and a member, with the reason for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAdjustment {
    /// Credited to the member (positive) or debited (negative); never zero.
    pub minutes: i64,
    pub reason: String,
}

/// `POST /api/v1/timebank/transfers/{id}/reversal` (staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewReversal {
    pub reason: String,
}

/// `PUT /api/v1/timebank/banks/{id}/credit-limit` (staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetCreditLimit {
    /// Zero or negative, at least [`MIN_CREDIT_LIMIT_MINUTES`].
    pub credit_limit_minutes: i64,
}

/// A bank and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bank {
    pub id: BankId,
    pub name: String,
    /// `city` (today's one bank) or, later, `estate:<id>`.
    pub scope: String,
    pub credit_limit_minutes: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_recipient_or_a_list() {
        let one: NewTransfer =
            serde_json::from_str(r#"{"to": 7, "minutes": 30, "memo": "spesa"}"#).expect("one");
        assert_eq!(one.to, Recipients::One(UserId(7)));
        let many: NewTransfer = serde_json::from_str(
            r#"{"to": [{"to": 7, "minutes": 30}, {"to": 8, "minutes": 15}], "memo": "corso"}"#,
        )
        .expect("many");
        assert!(matches!(many.to, Recipients::Many(ref legs) if legs.len() == 2));
        assert_eq!(many.minutes, None);
    }

    #[test]
    fn kinds_round_trip() {
        for k in TransferKind::ALL {
            assert_eq!(TransferKind::parse(k.as_str()), Some(k));
        }
    }
}
