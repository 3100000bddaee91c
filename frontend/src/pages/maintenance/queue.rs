//! `/segnalazioni/coda`: the staff queue, the most pressing first: filters, "more", one status
//! change for the chosen reports (each applied or refused on its own, shown per row), and the
//! map of the estate chosen in the filters.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use cortile_shared::maintenance::{
    BulkResult, BulkStatus, Category, Priority, ReportStatus, StatusUpdate,
};
use cortile_shared::EstateId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::{ErrorState, FormAlert, Loading, ScrollTable, SelectField, TextField};
use crate::hooks::{spawn, use_document_title, use_paged, use_remote, Remote};
use crate::i18n::use_i18n;
use crate::pages::community::more_button;
use crate::pages::maintenance::lists::EstateReportsMap;
use crate::pages::maintenance::picker::BuildingPicker;
use crate::pages::maintenance::{
    category_text, place_text, priority_text, status_badge, status_text,
};
use crate::session::use_session;

/// The filters, as the queue's query names them.
#[derive(Debug, Clone, PartialEq, Default)]
struct Filters {
    estate_id: String,
    building_id: String,
    category: String,
    status: String,
    priority: String,
    overdue: String,
    assignee: String,
}

impl Filters {
    fn query(&self) -> Vec<(String, String)> {
        [
            ("estate_id", &self.estate_id),
            ("building_id", &self.building_id),
            ("category", &self.category),
            ("status", &self.status),
            ("priority", &self.priority),
            ("overdue", &self.overdue),
            ("assignee", &self.assignee),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
        .collect()
    }
}

#[function_component(QueuePage)]
pub fn queue_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("queue_m.title");
    use_document_title(Some(title.clone()));
    let draft = use_state(Filters::default);
    let applied = use_state(Filters::default);
    let chosen = use_state(BTreeSet::<i64>::new);
    let bulk_to = use_state(|| ReportStatus::Acknowledged);
    let bulk_reason = use_state(String::new);
    let bulk_date = use_state(String::new);
    let result = use_state(|| None::<BulkResult>);
    let error = use_state(|| None::<ApiError>);
    let version = use_state(|| 0u32);

    let paged = {
        let api = session.api();
        use_paged(
            ((*applied).clone(), *version, api),
            |(f, _, api), after| async move {
                api.maintenance_queue(&f.query(), after.as_deref()).await
            },
        )
    };

    // Who has open reports assigned (fetched again after a bulk change).
    let people = {
        let api = session.api();
        use_remote((*version, api), |(_, api)| async move {
            api.maintenance_assignees().await
        })
    };

    let set = |edit: fn(&mut Filters, String)| {
        let draft = draft.clone();
        Callback::from(move |v: String| {
            let mut f = (*draft).clone();
            edit(&mut f, v);
            draft.set(f);
        })
    };
    let on_filter = {
        let (draft, applied, chosen) = (draft.clone(), applied.clone(), chosen.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            chosen.set(BTreeSet::new());
            applied.set((*draft).clone());
        })
    };
    let on_bulk = {
        let api = session.api();
        let (chosen, bulk_to, bulk_reason, bulk_date, result, error, version) = (
            chosen.clone(),
            bulk_to.clone(),
            bulk_reason.clone(),
            bulk_date.clone(),
            result.clone(),
            error.clone(),
            version.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let reason = Some(bulk_reason.trim().to_owned()).filter(|r| !r.is_empty());
            let body = BulkStatus {
                ids: chosen.iter().copied().collect(),
                update: StatusUpdate {
                    to: *bulk_to,
                    reason: reason.clone(),
                    scheduled_for: NaiveDate::parse_from_str(bulk_date.trim(), "%Y-%m-%d").ok(),
                    responsible: reason.filter(|_| *bulk_to == ReportStatus::NotOurResponsibility),
                    images: Vec::new(),
                },
            };
            let (api, result, error, version, chosen) = (
                api.clone(),
                result.clone(),
                error.clone(),
                version.clone(),
                chosen.clone(),
            );
            spawn(async move {
                match api.bulk_report_status(&body).await {
                    Ok(r) => {
                        error.set(None);
                        result.set(Some(r));
                        chosen.set(BTreeSet::new());
                        version.set(version.wrapping_add(1));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    let any = (AttrValue::from(""), AttrValue::from(i18n.t("queue_m.any")));
    let mut categories = vec![any.clone()];
    categories.extend(Category::ALL.iter().map(|c| {
        (
            AttrValue::from(c.as_str()),
            AttrValue::from(category_text(&i18n, *c)),
        )
    }));
    let mut statuses = vec![
        (AttrValue::from(""), AttrValue::from(i18n.t("queue_m.open"))),
        (
            AttrValue::from("all"),
            AttrValue::from(i18n.t("queue_m.all")),
        ),
    ];
    statuses.extend(ReportStatus::ALL.iter().map(|s| {
        (
            AttrValue::from(s.as_str()),
            AttrValue::from(status_text(&i18n, *s)),
        )
    }));
    let mut priorities = vec![any.clone()];
    priorities.extend(Priority::ALL.iter().map(|p| {
        (
            AttrValue::from(p.as_str()),
            AttrValue::from(priority_text(&i18n, *p)),
        )
    }));
    let overdue = vec![
        any.clone(),
        (
            AttrValue::from("true"),
            AttrValue::from(i18n.t("queue_m.overdue_only")),
        ),
        (
            AttrValue::from("false"),
            AttrValue::from(i18n.t("queue_m.not_overdue")),
        ),
    ];
    let mut assignees = vec![
        any,
        (
            AttrValue::from("me"),
            AttrValue::from(i18n.t("queue_m.assigned_me")),
        ),
        (
            AttrValue::from("none"),
            AttrValue::from(i18n.t("queue_m.unassigned")),
        ),
    ];
    // Each person with open reports assigned, by name, with how many.
    if let Remote::Ready(people) = &people.state {
        assignees.extend(people.iter().map(|a| {
            (
                AttrValue::from(a.user.id.0.to_string()),
                AttrValue::from(i18n.tf(
                    "queue_m.assignee_count",
                    &[("name", &a.user.display_name), ("n", &a.open.to_string())],
                )),
            )
        }));
    }
    let bulk_choices: Vec<(AttrValue, AttrValue)> = [
        ReportStatus::Acknowledged,
        ReportStatus::Scheduled,
        ReportStatus::InProgress,
        ReportStatus::Resolved,
        ReportStatus::Rejected,
        ReportStatus::NotOurResponsibility,
    ]
    .iter()
    .map(|s| {
        (
            AttrValue::from(s.as_str()),
            AttrValue::from(i18n.t(&format!("maintenance.action.{}", s.as_str()))),
        )
    })
    .collect();

    let rows = match (&paged.first, paged.items()) {
        (_, Some(items)) if items.is_empty() => {
            html! { <p data-testid="queue-m-empty">{ i18n.t("queue_m.empty") }</p> }
        }
        (_, Some(items)) => html! {
            <>
                <ScrollTable label={i18n.t("queue_m.caption")}>
                    <table class="table" data-testid="queue-m-table">
                        <caption>{ i18n.t("queue_m.caption") }</caption>
                        <thead><tr>
                            <th scope="col">{ i18n.t("queue_m.choose") }</th>
                            <th scope="col">{ i18n.t("queue_m.report") }</th>
                            <th scope="col">{ i18n.t("queue_m.status") }</th>
                            <th scope="col">{ i18n.t("queue_m.priority") }</th>
                            <th scope="col">{ i18n.t("queue_m.where") }</th>
                            <th scope="col">{ i18n.t("queue_m.due") }</th>
                        </tr></thead>
                        <tbody>
                            { for items.iter().map(|r| {
                                let id = r.id;
                                let checked = chosen.contains(&id);
                                let onchange = { let chosen = chosen.clone(); Callback::from(move |_: Event| {
                                    let mut all = (*chosen).clone();
                                    if !all.insert(id) { all.remove(&id); }
                                    chosen.set(all);
                                }) };
                                let label = i18n.t("queue_m.choose_one");
                                html! {
                                    <tr key={id} data-testid="queue-m-row" data-report={id.to_string()}>
                                        <td>
                                            // bootstrap-italia draws the box on the label.
                                            <div class="form-check m-0">
                                                <input id={format!("queue-m-check-{id}")} type="checkbox" {checked} {onchange} data-testid="queue-m-check" />
                                                <label for={format!("queue-m-check-{id}")}>
                                                    <span class="visually-hidden">{ label }{ " " }</span>
                                                    { i18n.tf("queue_m.number", &[("id", &id.to_string())]) }
                                                </label>
                                            </div>
                                        </td>
                                        <td>
                                            <Link<Route> to={Route::Report { id }}>
                                                { format!("#{id} {} · {}", category_text(&i18n, r.category), r.summary) }
                                            </Link<Route>>
                                        </td>
                                        <td>{ status_badge(&i18n, r.status) }</td>
                                        <td>{ priority_text(&i18n, r.priority) }</td>
                                        <td>{ place_text(&i18n, &r.place) }</td>
                                        <td>
                                            { i18n.datetime(r.sla_due_at) }
                                            if r.overdue { { " " }<span class="badge bg-danger">{ i18n.t("maintenance.overdue") }</span> }
                                        </td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    </table>
                </ScrollTable>
                { more_button(paged.has_more, paged.loading_more, paged.more_error.as_ref(), "queue-m-more", paged.load_more.clone()) }
            </>
        },
        (Remote::Failed(e), _) => {
            html! { <ErrorState error={e.clone()} retry={paged.retry.clone()} /> }
        }
        _ => html! { <Loading /> },
    };

    // With an estate chosen, its map below the list.
    let map_of = applied.estate_id.trim().parse::<i64>().ok().map(|n| {
        let name = paged
            .items()
            .and_then(|items| {
                items
                    .iter()
                    .find(|r| r.place.estate_id.0 == n)
                    .map(|r| r.place.estate_name.clone())
            })
            .unwrap_or_else(|| i18n.tf("queue_m.estate_number", &[("n", &n.to_string())]));
        (EstateId(n), name)
    });
    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("queue_m.intro") }</p>
            <form onsubmit={on_filter} novalidate=true class="mb-4" data-testid="queue-m-filters">
                <fieldset>
                    <legend class="h5">{ i18n.t("queue_m.filters") }</legend>
                    <div class="row">
                        <div class="col-md-8">
                            <BuildingPicker id="qf" estate={AttrValue::from(draft.estate_id.clone())}
                                building={AttrValue::from(draft.building_id.clone())}
                                on_estate={set(|f, v| { f.estate_id = v; f.building_id.clear(); })} on_building={set(|f, v| f.building_id = v)}
                                empty_label={i18n.t("queue_m.any")} />
                        </div>
                        <div class="col-md-4"><SelectField id="qf-category" label={i18n.t("queue_m.category")} value={draft.category.clone()} options={categories} onchange={set(|f, v| f.category = v)} testid="qf-category" /></div>
                        <div class="col-md-4"><SelectField id="qf-status" label={i18n.t("queue_m.status")} value={draft.status.clone()} options={statuses} onchange={set(|f, v| f.status = v)} testid="qf-status" /></div>
                        <div class="col-md-4"><SelectField id="qf-priority" label={i18n.t("queue_m.priority")} value={draft.priority.clone()} options={priorities} onchange={set(|f, v| f.priority = v)} /></div>
                        <div class="col-md-4"><SelectField id="qf-overdue" label={i18n.t("queue_m.overdue")} value={draft.overdue.clone()} options={overdue} onchange={set(|f, v| f.overdue = v)} /></div>
                        <div class="col-md-4"><SelectField id="qf-assignee" label={i18n.t("queue_m.assignee")} value={draft.assignee.clone()} options={assignees} onchange={set(|f, v| f.assignee = v)} testid="qf-assignee" /></div>
                    </div>
                </fieldset>
                <button type="submit" class="btn btn-primary" data-testid="queue-m-apply">{ i18n.t("queue_m.apply") }</button>
            </form>
            { rows }
            if let Some((estate, name)) = map_of {
                <EstateReportsMap {estate} {name} />
            }
            <form onsubmit={on_bulk} novalidate=true class="cortile-narrow mt-4" data-testid="bulk-form">
                <fieldset>
                    <legend class="h5">{ i18n.tf("queue_m.bulk", &[("n", &chosen.len().to_string())]) }</legend>
                    <FormAlert error={(*error).clone()} />
                    <SelectField id="bulk-to" label={i18n.t("queue_m.bulk_to")} value={AttrValue::from(bulk_to.as_str())}
                        options={bulk_choices} testid="bulk-to"
                        onchange={let b = bulk_to.clone(); Callback::from(move |v: String| if let Some(s) = ReportStatus::parse(&v) { b.set(s) })} />
                    if *bulk_to == ReportStatus::Scheduled {
                        <TextField id="bulk-date" kind="date" label={i18n.t("report.date")} value={(*bulk_date).clone()}
                            oninput={let d = bulk_date.clone(); Callback::from(move |v| d.set(v))} />
                    }
                    <TextField id="bulk-reason" label={i18n.t("queue_m.bulk_reason")} help={i18n.t("queue_m.bulk_reason_help")}
                        value={(*bulk_reason).clone()} oninput={let r = bulk_reason.clone(); Callback::from(move |v| r.set(v))} />
                </fieldset>
                <button type="submit" class="btn btn-primary" disabled={chosen.is_empty()} data-testid="bulk-submit">{ i18n.t("queue_m.bulk_submit") }</button>
            </form>
            <div aria-live="polite" data-testid="bulk-result">
                if let Some(r) = &*result {
                    <p class="alert alert-info mt-3">{ i18n.tf("queue_m.bulk_done", &[("applied", &r.applied.to_string()), ("refused", &r.refused.to_string())]) }</p>
                    <ul>
                        { for r.rows.iter().map(|row| html! {
                            <li data-testid="bulk-row" data-ok={row.ok.to_string()}>
                                { format!("#{}: ", row.id) }
                                if row.ok {
                                    { row.status.map(|s| status_text(&i18n, s)).unwrap_or_default() }
                                } else {
                                    { row.problem.as_ref().map(|p| i18n.t(ApiError::Problem(p.clone()).message_key())).unwrap_or_default() }
                                }
                            </li>
                        }) }
                    </ul>
                }
            </div>
        </>
    }
}
