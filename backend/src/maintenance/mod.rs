//! Maintenance: a problem reported with its place, one shared thread from report to confirmed
//! repair, a status history that says who did what and when, "me too" supporters, duplicates
//! merged, internal notes for staff, the views of residents, committees and staff, and the
//! extraordinary works staff announce. Exposed also as Open311 GeoReport v2 (`crate::open311`).
//!
//! The rules that need no database are here: [`priority`] and [`sla`] (the table of due times),
//! the workflow ([`ReportStatus::next`] in `shared`), what counts as overdue. Who may do what is
//! decided by [`crate::auth::policy`] alone (`Action::ReadReport`, `ChangeReportStatus`, …).
//!
//! - `reports.rs`: making a report, changing its status, "me too", comments, assignment,
//!   escalation, merging, rating, and [`auto_close`].
//! - `views.rs`: my reports, a building's open reports, an estate's map (GeoJSON), the
//!   committee board (and CSV), the staff queue and bulk status changes.
//! - `works.rs`: planned extraordinary works, announced as pinned posts in each affected
//!   building's community, rated by its residents afterwards.
//! - `store.rs`: the report row and the queries the others share.

pub mod reports;
pub mod routes;
pub(crate) mod store;
pub mod views;
pub mod works;

use std::time::Duration;

use chrono::NaiveDateTime;
use cortile_shared::community::NotificationKind;
use cortile_shared::maintenance::{Category, Priority, ReportStatus};

use crate::db::Db;

pub use reports::{auto_close, load_readable};

/// How urgent a report is: danger makes it urgent; blocking access raises it one step; else
/// the category decides (what stops people living normally first).
pub fn priority(category: Category, blocks_access: bool, danger: bool) -> Priority {
    use Category::*;
    if danger {
        return Priority::Urgent;
    }
    let base = match category {
        Lift | Heating | Water | Electrical | Safety => Priority::High,
        DoorsIntercom | Pests | DampMould | Other => Priority::Normal,
        CommonAreas | GreenAreas => Priority::Low,
    };
    match (blocks_access, base) {
        (false, p) => p,
        (true, Priority::High) | (true, Priority::Urgent) => Priority::Urgent,
        (true, _) => Priority::High,
    }
}

/// The service level: how long after the report (or its reopening) it should be resolved.
///
/// | priority | lift, heating, water, electrical, safety | the other categories |
/// |---|---|---|
/// | urgent | 8 hours | 24 hours |
/// | high | 48 hours (lift, heating), 72 hours | 72 hours |
/// | normal | 10 days | 10 days |
/// | low | 30 days | 30 days |
pub fn sla(category: Category, priority: Priority) -> chrono::Duration {
    use Category::*;
    let essential = matches!(category, Lift | Heating | Water | Electrical | Safety);
    match priority {
        Priority::Urgent if essential => chrono::Duration::hours(8),
        Priority::Urgent => chrono::Duration::hours(24),
        Priority::High if matches!(category, Lift | Heating) => chrono::Duration::hours(48),
        Priority::High => chrono::Duration::hours(72),
        Priority::Normal => chrono::Duration::days(10),
        Priority::Low => chrono::Duration::days(30),
    }
}

/// Open and past its due time.
pub fn overdue(status: ReportStatus, sla_due_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    status.is_open() && sla_due_at < now
}

/// A home's point, rounded to 3 decimals (about 100 m) so that it does not name the building.
pub fn round_point(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The subject and text of a maintenance notification sent by email or IO.
pub(crate) fn notification_words(
    kind: NotificationKind,
    data: &serde_json::Value,
    en: bool,
) -> (String, String) {
    let f = |k: &str| {
        data.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let category = Category::parse(&f("category"))
        .map(|c| if en { c.name_en() } else { c.name_it() })
        .unwrap_or_default();
    let (title, actor) = (f("title"), f("actor"));
    let status = ReportStatus::parse(&f("status"))
        .map(|s| status_words(s, en))
        .unwrap_or_default();
    let (subject, body) = match kind {
        NotificationKind::ReportComment if en => (
            "New comment on a report".to_owned(),
            format!("{actor} commented on the report «{title}» ({category})."),
        ),
        NotificationKind::ReportComment => (
            "Nuovo commento a una segnalazione".to_owned(),
            format!("{actor} ha commentato la segnalazione «{title}» ({category})."),
        ),
        _ if en => (
            "A report changed status".to_owned(),
            format!("The report «{title}» ({category}) is now: {status}."),
        ),
        _ => (
            "Una segnalazione ha cambiato stato".to_owned(),
            format!("La segnalazione «{title}» ({category}) ora è: {status}."),
        ),
    };
    (format!("Cortile: {subject}"), body)
}

fn status_words(s: ReportStatus, en: bool) -> &'static str {
    use ReportStatus::*;
    match (s, en) {
        (New, true) => "new",
        (New, false) => "nuova",
        (Acknowledged, true) => "acknowledged",
        (Acknowledged, false) => "presa in carico",
        (Scheduled, true) => "scheduled",
        (Scheduled, false) => "programmata",
        (InProgress, true) => "in progress",
        (InProgress, false) => "in lavorazione",
        (Resolved, true) => "resolved",
        (Resolved, false) => "risolta",
        (Confirmed, true) => "confirmed",
        (Confirmed, false) => "confermata",
        (Reopened, true) => "reopened",
        (Reopened, false) => "riaperta",
        (Rejected, true) => "rejected",
        (Rejected, false) => "respinta",
        (NotOurResponsibility, true) => "not our responsibility",
        (NotOurResponsibility, false) => "non di competenza",
        (Closed, true) => "closed",
        (Closed, false) => "chiusa",
        (Merged, true) => "merged into another report",
        (Merged, false) => "unita a un'altra segnalazione",
    }
}

/// Closes resolved reports nobody answered, now and then every `every` (like the outbox
/// worker): each report in its own transaction, conditional on its status, so that several
/// processes close each report once.
pub fn spawn_auto_close(db: Db, every: Duration) {
    tokio::spawn(async move {
        loop {
            let now = chrono::Utc::now().naive_utc();
            match db.run(move |conn| auto_close(conn, now)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(closed = n, "resolved reports closed without an answer"),
                Err(e) => tracing::warn!(error = %e, "maintenance auto-close"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danger_is_urgent_and_blocking_access_raises_priority() {
        assert_eq!(priority(Category::GreenAreas, false, false), Priority::Low);
        assert_eq!(priority(Category::GreenAreas, true, false), Priority::High);
        assert_eq!(
            priority(Category::GreenAreas, false, true),
            Priority::Urgent
        );
        assert_eq!(priority(Category::Lift, false, false), Priority::High);
        assert_eq!(priority(Category::Lift, true, false), Priority::Urgent);
        assert_eq!(priority(Category::Pests, false, false), Priority::Normal);
    }

    #[test]
    fn the_sla_table_is_shorter_for_essentials() {
        assert_eq!(
            sla(Category::Lift, Priority::Urgent),
            chrono::Duration::hours(8)
        );
        assert_eq!(
            sla(Category::Pests, Priority::Urgent),
            chrono::Duration::hours(24)
        );
        assert_eq!(
            sla(Category::Heating, Priority::High),
            chrono::Duration::hours(48)
        );
        assert_eq!(
            sla(Category::GreenAreas, Priority::Low),
            chrono::Duration::days(30)
        );
        for c in Category::ALL {
            let mut last = chrono::Duration::zero();
            for p in [
                Priority::Urgent,
                Priority::High,
                Priority::Normal,
                Priority::Low,
            ] {
                assert!(sla(*c, p) > last, "{c} {p}: a lower priority waits longer");
                last = sla(*c, p);
            }
        }
    }

    #[test]
    fn the_workflow_goes_forward_and_ends() {
        use ReportStatus::*;
        assert!(New.next().contains(&Acknowledged));
        assert!(!New.next().contains(&Resolved));
        assert!(Resolved.next().contains(&Reopened));
        assert!(Reopened.next().contains(&Resolved));
        for s in ReportStatus::ALL {
            assert_eq!(s.is_final(), s.next().is_empty(), "{s}");
            assert!(!s.next().contains(&Closed) && !s.next().contains(&Merged));
        }
    }

    #[test]
    fn homes_are_rounded_to_about_a_hundred_metres() {
        assert_eq!(round_point(45.468_234), 45.468);
        assert_eq!(round_point(9.123_56), 9.124);
    }
}
