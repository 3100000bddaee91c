//! Maintenance reports: reporting a problem (`/segnalazioni/nuova`), my reports and my
//! building's (`/segnalazioni`), a report's page (`/segnalazioni/:id`), the staff queue
//! (`/segnalazioni/coda`), the committee board (`/segnalazioni/quadro`) and planned works
//! (`/lavori`). The words of categories, statuses and priorities, and a report in a list.

pub mod board;
pub mod lists;
pub mod new;
pub mod picker;
pub mod queue;
pub mod report;
pub mod works;

use cortile_shared::auth::Role;
use cortile_shared::maintenance::{
    Category, Escalation, PlaceKind, Priority, ReportPlace, ReportStatus, ReportSummary,
};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::i18n::I18n;
use crate::pages::community::time_view;

/// Who works the queue (the server decides what each may do).
pub const QUEUE_WORKERS: &[Role] = &[
    Role::Staff,
    Role::Admin,
    Role::Operator,
    Role::Custodian,
    Role::BuildingAdmin,
];
/// Who opens the board of any estate they serve from the menu (the committee has a link to
/// its own estate's board).
pub const BOARD_READERS: &[Role] = &[Role::Staff, Role::Admin, Role::BuildingAdmin];
/// Who announces planned works.
pub const WORKS_ANNOUNCERS: &[Role] = &[Role::Staff, Role::Admin, Role::BuildingAdmin];
pub fn category_text(i18n: &I18n, c: Category) -> String {
    i18n.t(&format!("maintenance.category.{}", c.as_str()))
}

pub fn status_text(i18n: &I18n, s: ReportStatus) -> String {
    i18n.t(&format!("maintenance.status.{}", s.as_str()))
}

pub fn priority_text(i18n: &I18n, p: Priority) -> String {
    i18n.t(&format!("maintenance.priority.{}", p.as_str()))
}

pub fn escalation_text(i18n: &I18n, e: Escalation) -> String {
    i18n.t(&format!("maintenance.escalation.{}", e.as_str()))
}

pub fn place_kind_text(i18n: &I18n, k: PlaceKind) -> String {
    i18n.t(&format!("maintenance.place.{}", k.as_str()))
}

/// "Scala B, Via Abbiati 4 (San Siro)", as far as the reader may know.
pub fn place_text(i18n: &I18n, place: &ReportPlace) -> String {
    let mut parts = vec![place_kind_text(i18n, place.kind)];
    if let Some(unit) = &place.unit_code {
        parts.push(i18n.tf("maintenance.unit", &[("code", unit)]));
    }
    if let Some(s) = place.staircase.as_ref().filter(|s| !s.is_empty()) {
        parts.push(i18n.tf("maintenance.staircase", &[("name", s)]));
    }
    if let Some(address) = &place.building_address {
        parts.push(address.clone());
    }
    parts.push(place.estate_name.clone());
    parts.join(" · ")
}

/// The badge of a status (colour is never the only sign: the words say it).
pub fn status_badge(i18n: &I18n, s: ReportStatus) -> Html {
    let class = match s {
        ReportStatus::New | ReportStatus::Reopened => "bg-danger",
        ReportStatus::Acknowledged | ReportStatus::Scheduled | ReportStatus::InProgress => {
            "bg-warning text-dark"
        }
        ReportStatus::Resolved | ReportStatus::Confirmed | ReportStatus::Closed => "bg-success",
        _ => "bg-secondary",
    };
    html! {
        <span class={classes!("badge", class)} data-testid="report-status" data-status={s.as_str()}>
            { status_text(i18n, s) }
        </span>
    }
}

/// A report in a list: category and status, where, the first line, supporters and dates.
pub fn report_item(i18n: &I18n, r: &ReportSummary) -> Html {
    let heading = format!("report-{}-heading", r.id);
    html! {
        <li key={r.id} class="card card-bg shadow-sm mb-3 cortile-card" data-testid="report-item"
            data-report={r.id.to_string()}>
            <article class="card-body" aria-labelledby={heading.clone()}>
                <h3 id={heading} class="h5 card-title">
                    <Link<Route> to={Route::Report { id: r.id }}>
                        { format!("{} · {}", category_text(i18n, r.category), r.summary) }
                    </Link<Route>>
                </h3>
                <p class="mb-1">
                    { status_badge(i18n, r.status) }
                    { " " }
                    <span class="badge bg-light text-dark">{ priority_text(i18n, r.priority) }</span>
                    if r.overdue {
                        { " " }
                        <span class="badge bg-danger" data-testid="report-overdue">{ i18n.t("maintenance.overdue") }</span>
                    }
                    if r.danger {
                        { " " }
                        <span class="badge bg-danger">{ i18n.t("maintenance.danger_badge") }</span>
                    }
                    if r.blocks_access {
                        { " " }
                        <span class="badge bg-warning text-dark">{ i18n.t("maintenance.blocks_badge") }</span>
                    }
                </p>
                <p class="cortile-post-meta mb-0">
                    { place_text(i18n, &r.place) }
                    { " · " }
                    <span data-testid="report-supporters">{ i18n.count("maintenance.supporters", r.supporters) }</span>
                    { " · " }
                    { i18n.t("maintenance.reported_on") }{ " " }{ time_view(i18n, r.created_at) }
                </p>
            </article>
        </li>
    }
}

/// A list of reports, or the words for none.
pub fn report_list(
    i18n: &I18n,
    items: &[&ReportSummary],
    empty_key: &str,
    testid: &'static str,
) -> Html {
    if items.is_empty() {
        return html! { <p data-testid={format!("{testid}-empty")}>{ i18n.t(empty_key) }</p> };
    }
    html! {
        <ul class="list-unstyled" data-testid={testid}>
            { for items.iter().map(|r| report_item(i18n, r)) }
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::Locale;

    #[test]
    fn every_category_status_priority_and_place_has_words() {
        for locale in Locale::ALL {
            let i18n = I18n::fixed(locale);
            for c in Category::ALL {
                assert!(i18n.has(&format!("maintenance.category.{}", c.as_str())));
            }
            for s in ReportStatus::ALL {
                assert!(i18n.has(&format!("maintenance.status.{}", s.as_str())));
                assert!(
                    i18n.has(&format!("maintenance.action.{}", s.as_str())),
                    "{s}"
                );
            }
            for p in Priority::ALL {
                assert!(i18n.has(&format!("maintenance.priority.{}", p.as_str())));
            }
            for e in Escalation::ALL {
                assert!(i18n.has(&format!("maintenance.escalation.{}", e.as_str())));
            }
            for k in PlaceKind::ALL {
                assert!(i18n.has(&format!("maintenance.place.{}", k.as_str())));
            }
        }
    }
}
