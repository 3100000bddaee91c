//! `/segnalazioni/:id`: a report: its status with the dated history and who did it, where it
//! is, its photos, "me too", the public thread (and the staff's internal notes, marked), and
//! the acts the reader may do now (the server lists them in `abilities`).

use std::rc::Rc;

use chrono::NaiveDate;
use cortile_shared::maintenance::{
    Assign, Escalate, Escalation, NewReportComment, Rating, Report, ReportStatus, StatusUpdate,
    Visibility,
};
use cortile_shared::{ErrorCode, Problem};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::form::event_value;
use crate::components::{
    field_error, Checkbox, ErrorState, FormAlert, Loading, NotFoundState, SelectField, TextField,
};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::pages::community::images::{ImageAction, ImageList, ImagePicker, NotReady, PostImages};
use crate::pages::community::{time_view, PostBody};
use crate::pages::maintenance::{
    category_text, escalation_text, place_text, priority_text, status_badge, status_text,
};
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct ReportPageProps {
    pub id: i64,
}

#[function_component(ReportPage)]
pub fn report_page(props: &ReportPageProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let remote = {
        let api = session.api();
        use_remote(
            (props.id, api),
            |(id, api)| async move { api.report(id).await },
        )
    };
    match &remote.state {
        Remote::Ready(r) => html! {
            <>
                <crate::realtime::LiveUpdateNotice retry={remote.retry.clone()} />
                <ReportView key={props.id} report={r.clone()} />
            </>
        },
        Remote::Failed(e) if e.is_not_found() => html! {
            <NotFoundState title_key="report.not_found_title" text_key="report.not_found_text" />
        },
        Remote::Failed(e) => html! {
            <>
                <h1 data-testid="page-title">{ i18n.t("report.title") }</h1>
                <ErrorState error={e.clone()} retry={remote.retry.clone()} />
            </>
        },
        Remote::Loading => html! { <Loading /> },
    }
}

#[derive(Properties, PartialEq)]
struct ReportViewProps {
    report: Rc<Report>,
}

fn by_text(i18n: &I18n, by: Option<&str>, by_staff: bool) -> String {
    match (by, by_staff) {
        (Some(name), true) => i18n.tf("report.by_staff_named", &[("name", name)]),
        (Some(name), false) => i18n.tf("report.by", &[("name", name)]),
        (None, true) => i18n.t("report.by_manager"),
        (None, false) => i18n.t("report.by_system"),
    }
}

#[function_component(ReportView)]
fn report_view(props: &ReportViewProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let report = use_state(|| (*props.report).clone());
    let done = use_state(|| None::<String>);
    let status_heading = use_node_ref();
    let r = &*report;
    let s = &r.summary;
    let title = format!("{} · {}", category_text(&i18n, s.category), s.summary);
    use_document_title(Some(title.clone()));

    // After an act: the new report, a message read out, and the reader's focus on the status.
    let on_changed = {
        let (report, done, heading) = (report.clone(), done.clone(), status_heading.clone());
        Callback::from(move |(now, message): (Report, String)| {
            report.set(now);
            done.set(Some(message));
            if let Some(h) = heading.cast::<web_sys::HtmlElement>() {
                let _ = h.focus();
            }
        })
    };

    let support = {
        let api = session.api();
        let (report, done) = (report.clone(), done.clone());
        let i18n = i18n.clone();
        Callback::from(move |on: bool| {
            let (api, report, done, i18n) =
                (api.clone(), report.clone(), done.clone(), i18n.clone());
            let id = report.summary.id;
            spawn(async move {
                match api.support_report(id, on).await {
                    Ok(n) => {
                        let mut now = (*report).clone();
                        now.summary.supporters = n.supporters;
                        now.summary.supporting = n.supporting;
                        report.set(now);
                        done.set(Some(i18n.t(if on {
                            "report.supported"
                        } else {
                            "report.unsupported"
                        })));
                    }
                    Err(e) => done.set(Some(i18n.t(e.message_key()))),
                }
            });
        })
    };

    let a = &r.abilities;
    html! {
        <>
            <nav aria-label={i18n.t("common.breadcrumb")} class="breadcrumb-container">
                <ol class="breadcrumb">
                    <li class="breadcrumb-item"><Link<Route> to={Route::Reports}>{ i18n.t("reports.title") }</Link<Route>></li>
                    <li class="breadcrumb-item active" aria-current="page">{ i18n.tf("report.number", &[("id", &s.id.to_string())]) }</li>
                </ol>
            </nav>
            <h1 data-testid="page-title">{ title }</h1>
            <div aria-live="polite" data-testid="report-live">
                if let Some(message) = &*done {
                    <p class="alert alert-success" data-testid="report-done">{ message.clone() }</p>
                }
            </div>
            <h2 class="h4" ref={status_heading} tabindex="-1">
                { i18n.t("report.status_heading") }{ " " }{ status_badge(&i18n, s.status) }
            </h2>
            <dl class="row cortile-details">
                <dt class="col-sm-4 col-md-3">{ i18n.t("report.where") }</dt>
                <dd class="col-sm-8 col-md-9" data-testid="report-place">{ place_text(&i18n, &s.place) }</dd>
                <dt class="col-sm-4 col-md-3">{ i18n.t("report.priority") }</dt>
                <dd class="col-sm-8 col-md-9">
                    { priority_text(&i18n, s.priority) }
                    if s.overdue {
                        { " " }<span class="badge bg-danger">{ i18n.t("maintenance.overdue") }</span>
                    }
                </dd>
                <dt class="col-sm-4 col-md-3">{ i18n.t("report.due") }</dt>
                <dd class="col-sm-8 col-md-9">{ time_view(&i18n, s.sla_due_at) }</dd>
                if let Some(day) = s.scheduled_for {
                    <dt class="col-sm-4 col-md-3">{ i18n.t("report.scheduled_for") }</dt>
                    <dd class="col-sm-8 col-md-9" data-testid="report-scheduled">{ i18n.date(day) }</dd>
                }
                <dt class="col-sm-4 col-md-3">{ i18n.t("report.supporters") }</dt>
                <dd class="col-sm-8 col-md-9" data-testid="report-supporters">{ i18n.count("maintenance.supporters", s.supporters) }</dd>
                if let Some(who) = &r.reporter {
                    <dt class="col-sm-4 col-md-3">{ i18n.t("report.reporter") }</dt>
                    <dd class="col-sm-8 col-md-9">{ who.display_name.clone() }</dd>
                }
                if let Some(who) = &r.on_behalf_by {
                    <dt class="col-sm-4 col-md-3">{ i18n.t("report.on_behalf_by") }</dt>
                    <dd class="col-sm-8 col-md-9">{ who.display_name.clone() }</dd>
                }
                if a.manage || s.assignee.is_some() {
                    <dt class="col-sm-4 col-md-3">{ i18n.t("report.assignee") }</dt>
                    <dd class="col-sm-8 col-md-9" data-testid="report-assignee">
                        { match &s.assignee {
                            Some(x) => x.user.as_ref().map(|u| u.display_name.clone()).or_else(|| x.contractor.clone()).unwrap_or_default(),
                            None => i18n.t("report.nobody"),
                        } }
                    </dd>
                    <dt class="col-sm-4 col-md-3">{ i18n.t("report.escalation") }</dt>
                    <dd class="col-sm-8 col-md-9">{ escalation_text(&i18n, s.escalation) }</dd>
                }
                if let Some(note) = &r.status_note {
                    <dt class="col-sm-4 col-md-3">{ i18n.t("report.status_note") }</dt>
                    <dd class="col-sm-8 col-md-9">{ note.clone() }</dd>
                }
                if let Some(into) = r.merged_into {
                    <dt class="col-sm-4 col-md-3">{ i18n.t("report.merged_into") }</dt>
                    <dd class="col-sm-8 col-md-9">
                        <Link<Route> to={Route::Report { id: into }}>{ i18n.tf("report.number", &[("id", &into.to_string())]) }</Link<Route>>
                    </dd>
                }
                if let Some(rating) = &r.rating {
                    <dt class="col-sm-4 col-md-3">{ i18n.t("report.rating") }</dt>
                    <dd class="col-sm-8 col-md-9" data-testid="report-rating">
                        { i18n.tf("report.rating_value", &[("n", &rating.rating.to_string())]) }
                        if let Some(c) = &rating.comment { { " — " }{ c.clone() } }
                    </dd>
                }
            </dl>
            if a.support {
                <p>
                    if s.supporting {
                        <button type="button" class="btn btn-outline-primary btn-sm" data-testid="report-unsupport"
                            onclick={support.reform(|_: MouseEvent| false)}>{ i18n.t("report.not_me_too") }</button>
                    } else {
                        <button type="button" class="btn btn-primary" data-testid="report-support"
                            onclick={support.reform(|_: MouseEvent| true)}>{ i18n.t("report.me_too") }</button>
                    }
                </p>
            }
            <section aria-labelledby="report-description-heading" class="mb-4">
                <h2 id="report-description-heading" class="h4">{ i18n.t("report.description") }</h2>
                <PostBody html={AttrValue::from(r.description_html.clone())} testid="report-description" />
                <PostImages images={r.images.clone()} />
            </section>
            if !a.transitions.is_empty() {
                <StatusForm report={Rc::new(r.clone())} on_changed={on_changed.clone()} />
            }
            if a.rate {
                <RatingForm id={s.id} on_changed={on_changed.clone()} />
            }
            if a.manage || a.merge {
                <ManageForm report={Rc::new(r.clone())} on_changed={on_changed.clone()} />
            }
            <section aria-labelledby="report-history-heading" class="mb-4">
                <h2 id="report-history-heading" class="h4">{ i18n.t("report.history") }</h2>
                <ol class="cortile-history" data-testid="report-history">
                    { for r.history.iter().map(|h| html! {
                        <li data-testid="history-item" data-status={h.to.as_str()}>
                            <strong>{ status_text(&i18n, h.to) }</strong>
                            { " · " }{ time_view(&i18n, h.at) }
                            { " · " }{ by_text(&i18n, h.by.as_ref().map(|u| u.display_name.as_str()), h.by_staff) }
                            if let Some(day) = h.scheduled_for {
                                { " · " }{ i18n.tf("report.for_day", &[("date", &i18n.date(day))]) }
                            }
                            if let Some(reason) = &h.reason {
                                <p class="mb-1">{ reason.clone() }</p>
                            }
                            <PostImages images={h.images.clone()} compact=true />
                        </li>
                    }) }
                </ol>
            </section>
            <Thread report={Rc::new(r.clone())} on_comment={{
                let report = report.clone();
                Callback::from(move |c| {
                    let mut now = (*report).clone();
                    now.comments.push(c);
                    report.set(now);
                })
            }} />
        </>
    }
}

fn local_invalid() -> ApiError {
    ApiError::Problem(Problem::new(ErrorCode::ValidationFailed))
}

#[derive(Properties, PartialEq)]
struct FormProps {
    report: Rc<Report>,
    on_changed: Callback<(Report, String)>,
}

/// "What happens now": one of the statuses the reader may move the report to, with what that
/// status needs (a date, a reason, who is responsible, photos of what is still broken).
#[function_component(StatusForm)]
fn status_form(props: &FormProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let choices = props.report.abilities.transitions.clone();
    let chosen = use_state(|| None::<ReportStatus>);
    let day = use_state(String::new);
    let reason = use_state(String::new);
    let responsible = use_state(String::new);
    let images = use_reducer(ImageList::default);
    let not_ready = use_state(|| None::<NotReady>);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    let id = props.report.summary.id;

    let onsubmit = {
        let api = session.api();
        let (chosen, day, reason, responsible, images, not_ready, error, busy) = (
            chosen.clone(),
            day.clone(),
            reason.clone(),
            responsible.clone(),
            images.clone(),
            not_ready.clone(),
            error.clone(),
            busy.clone(),
        );
        let on_changed = props.on_changed.clone();
        let i18n = i18n.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(to) = *chosen else {
                error.set(Some(local_invalid()));
                return;
            };
            if *busy {
                return;
            }
            let photos = if to == ReportStatus::Reopened {
                match images.refs() {
                    Ok(r) => r,
                    Err(why) => {
                        not_ready.set(Some(why));
                        error.set(Some(local_invalid()));
                        return;
                    }
                }
            } else {
                Vec::new()
            };
            not_ready.set(None);
            let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
            let update = StatusUpdate {
                to,
                reason: text(&reason),
                scheduled_for: NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok(),
                responsible: text(&responsible),
                images: photos,
            };
            busy.set(true);
            let (api, error, busy, images, on_changed, i18n, reason) = (
                api.clone(),
                error.clone(),
                busy.clone(),
                images.clone(),
                on_changed.clone(),
                i18n.clone(),
                reason.clone(),
            );
            let chosen = chosen.clone();
            spawn(async move {
                let result = api.report_status(id, &update).await;
                busy.set(false);
                match result {
                    Ok(now) => {
                        error.set(None);
                        images.dispatch(ImageAction::Clear);
                        reason.set(String::new());
                        chosen.set(None);
                        let message = i18n.tf(
                            "report.status_done",
                            &[("status", &status_text(&i18n, now.summary.status))],
                        );
                        on_changed.emit((now, message));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    let err = (*error).clone();
    let needs_reason = matches!(
        *chosen,
        Some(ReportStatus::Rejected | ReportStatus::Reopened)
    );
    let shows_reason = needs_reason
        || matches!(
            *chosen,
            Some(ReportStatus::Resolved | ReportStatus::Confirmed | ReportStatus::Acknowledged)
        );
    html! {
        <section aria-labelledby="status-form-heading" class="mb-4 cortile-narrow">
            <h2 id="status-form-heading" class="h4">{ i18n.t("report.next_heading") }</h2>
            <form onsubmit={onsubmit} novalidate=true data-testid="status-form">
                <FormAlert error={err.clone()} testid="status-error" />
                <fieldset class="mb-3">
                    <legend class="form-label">{ i18n.t("report.next_legend") }</legend>
                    { for choices.iter().map(|to| {
                        let fid = format!("status-{}", to.as_str());
                        let onchange = { let chosen = chosen.clone(); let to = *to; Callback::from(move |_: Event| chosen.set(Some(to))) };
                        html! {
                            <div class="form-check">
                                <input id={fid.clone()} type="radio" name="status-to" value={to.as_str()}
                                    checked={*chosen == Some(*to)} {onchange} data-testid={fid.clone()} />
                                <label for={fid}>{ i18n.t(&format!("maintenance.action.{}", to.as_str())) }</label>
                            </div>
                        }
                    }) }
                </fieldset>
                if *chosen == Some(ReportStatus::Scheduled) {
                    <div class="cortile-field mb-3">
                        <label for="status-date" class="form-label">{ i18n.t("report.date") }</label>
                        <input id="status-date" type="date" class="form-control" required=true
                            value={(*day).clone()} data-testid="status-date"
                            aria-invalid={field_error(&i18n, err.as_ref(), "scheduled_for").is_some().then_some("true")}
                            oninput={let d = day.clone(); Callback::from(move |e: InputEvent| d.set(event_value(&e.into())))}
                            onchange={let d = day.clone(); Callback::from(move |e: Event| d.set(event_value(&e)))} />
                        if let Some(m) = field_error(&i18n, err.as_ref(), "scheduled_for") {
                            <p class="cortile-field-error">{ m }</p>
                        }
                    </div>
                }
                if *chosen == Some(ReportStatus::NotOurResponsibility) {
                    <TextField id="status-responsible" label={i18n.t("report.responsible")}
                        help={i18n.t("report.responsible_help")} value={(*responsible).clone()}
                        oninput={let v = responsible.clone(); Callback::from(move |s| v.set(s))}
                        required=true testid="status-responsible"
                        error={field_error(&i18n, err.as_ref(), "responsible")} />
                }
                if shows_reason {
                    <TextField id="status-reason" multiline=true
                        label={i18n.t(if needs_reason { "report.reason_required" } else { "report.reason_optional" })}
                        value={(*reason).clone()} required={needs_reason}
                        oninput={let v = reason.clone(); Callback::from(move |s| v.set(s))}
                        testid="status-reason" error={field_error(&i18n, err.as_ref(), "reason")} />
                }
                if *chosen == Some(ReportStatus::Reopened) {
                    <ImagePicker list={images.clone()} id="reopen" error={err.clone()} not_ready={*not_ready} />
                }
                <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="status-submit">
                    { i18n.t("report.status_submit") }
                </button>
            </form>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RatingFormProps {
    id: i64,
    on_changed: Callback<(Report, String)>,
}

/// The reporter rates the repair, 1 to 5, with an optional comment.
#[function_component(RatingForm)]
fn rating_form(props: &RatingFormProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let stars = use_state(|| None::<i32>);
    let comment = use_state(String::new);
    let error = use_state(|| None::<ApiError>);
    let id = props.id;
    let onsubmit = {
        let api = session.api();
        let (stars, comment, error) = (stars.clone(), comment.clone(), error.clone());
        let on_changed = props.on_changed.clone();
        let i18n = i18n.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(rating) = *stars else {
                error.set(Some(local_invalid()));
                return;
            };
            let body = Rating {
                rating,
                comment: Some(comment.trim().to_owned()).filter(|c| !c.is_empty()),
            };
            let (api, error, on_changed, i18n) =
                (api.clone(), error.clone(), on_changed.clone(), i18n.clone());
            spawn(async move {
                match api.rate_report(id, &body).await {
                    Ok(now) => on_changed.emit((now, i18n.t("report.rated"))),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <section aria-labelledby="rating-heading" class="mb-4 cortile-narrow">
            <h2 id="rating-heading" class="h4">{ i18n.t("report.rate_heading") }</h2>
            <form onsubmit={onsubmit} novalidate=true data-testid="rating-form">
                <FormAlert error={(*error).clone()} />
                <fieldset class="mb-3">
                    <legend class="form-label">{ i18n.t("report.rate_legend") }</legend>
                    { for (1..=5).map(|n| {
                        let fid = format!("rating-{n}");
                        let onchange = { let stars = stars.clone(); Callback::from(move |_: Event| stars.set(Some(n))) };
                        html! {
                            <div class="form-check form-check-inline">
                                <input id={fid.clone()} type="radio" name="rating" value={n.to_string()}
                                    checked={*stars == Some(n)} {onchange} data-testid={fid.clone()} />
                                <label for={fid}>{ i18n.t(&format!("report.rate.{n}")) }</label>
                            </div>
                        }
                    }) }
                </fieldset>
                <TextField id="rating-comment" multiline=true label={i18n.t("report.rate_comment")}
                    value={(*comment).clone()} oninput={let c = comment.clone(); Callback::from(move |v| c.set(v))}
                    testid="rating-comment" />
                <button type="submit" class="btn btn-primary" data-testid="rating-submit">{ i18n.t("report.rate_submit") }</button>
            </form>
        </section>
    }
}

/// Staff: assign, escalate, merge into another report.
#[function_component(ManageForm)]
fn manage_form(props: &FormProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let contractor = use_state(String::new);
    let level = use_state(|| props.report.summary.escalation);
    let into = use_state(String::new);
    let error = use_state(|| None::<ApiError>);
    let id = props.report.summary.id;
    let me = session.me().map(|m| m.id);

    // One runner for the three acts.
    let run = {
        let api = session.api();
        let error = error.clone();
        let on_changed = props.on_changed.clone();
        let i18n = i18n.clone();
        Callback::from(move |act: ManageAct| {
            let (api, error, on_changed, i18n) =
                (api.clone(), error.clone(), on_changed.clone(), i18n.clone());
            spawn(async move {
                let result = match &act {
                    ManageAct::Assign(a) => api.assign_report(id, a).await,
                    ManageAct::Escalate(e) => api.escalate_report(id, e).await,
                    ManageAct::Merge(into) => api.merge_report(id, *into).await,
                };
                match result {
                    Ok(now) => {
                        error.set(None);
                        on_changed.emit((now, i18n.t("report.saved")));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let a = &props.report.abilities;
    let levels: Vec<(AttrValue, AttrValue)> = Escalation::ALL
        .iter()
        .map(|e| {
            (
                AttrValue::from(e.as_str()),
                AttrValue::from(escalation_text(&i18n, *e)),
            )
        })
        .collect();
    html! {
        <section aria-labelledby="manage-heading" class="mb-4 cortile-narrow" data-testid="manage">
            <h2 id="manage-heading" class="h4">{ i18n.t("report.manage_heading") }</h2>
            <FormAlert error={(*error).clone()} testid="manage-error" />
            if a.manage {
                <form novalidate=true class="mb-3" onsubmit={{
                    let (run, contractor) = (run.clone(), contractor.clone());
                    Callback::from(move |e: SubmitEvent| {
                        e.prevent_default();
                        let name = contractor.trim().to_owned();
                        run.emit(ManageAct::Assign(Assign { user_id: None, contractor: Some(name).filter(|n| !n.is_empty()) }));
                    })
                }}>
                    <TextField id="assign-contractor" label={i18n.t("report.contractor")}
                        help={i18n.t("report.contractor_help")} value={(*contractor).clone()}
                        oninput={let c = contractor.clone(); Callback::from(move |v| c.set(v))} />
                    <div class="d-flex flex-wrap gap-2">
                        <button type="submit" class="btn btn-outline-primary btn-sm" data-testid="assign-contractor">{ i18n.t("report.assign") }</button>
                        if let Some(me) = me {
                            <button type="button" class="btn btn-outline-primary btn-sm" data-testid="assign-me"
                                onclick={run.reform(move |_: MouseEvent| ManageAct::Assign(Assign { user_id: Some(me), contractor: None }))}>
                                { i18n.t("report.assign_me") }
                            </button>
                        }
                    </div>
                </form>
                <form novalidate=true class="mb-3" onsubmit={{
                    let (run, level) = (run.clone(), level.clone());
                    Callback::from(move |e: SubmitEvent| {
                        e.prevent_default();
                        run.emit(ManageAct::Escalate(Escalate { level: *level, note: None }));
                    })
                }}>
                    <SelectField id="escalate-level" label={i18n.t("report.escalate_label")}
                        value={AttrValue::from(level.as_str())} options={levels}
                        onchange={let l = level.clone(); Callback::from(move |v: String| if let Some(e) = Escalation::parse(&v) { l.set(e) })} />
                    <button type="submit" class="btn btn-outline-primary btn-sm" data-testid="escalate-submit">{ i18n.t("report.escalate") }</button>
                </form>
            }
            if a.merge {
                <form novalidate=true onsubmit={{
                    let (run, into, error) = (run.clone(), into.clone(), error.clone());
                    Callback::from(move |e: SubmitEvent| {
                        e.prevent_default();
                        match into.trim().trim_start_matches('#').parse::<i64>() {
                            Ok(n) => run.emit(ManageAct::Merge(n)),
                            Err(_) => error.set(Some(local_invalid())),
                        }
                    })
                }}>
                    <TextField id="merge-into" label={i18n.t("report.merge_into")}
                        help={i18n.t("report.merge_help")} value={(*into).clone()}
                        oninput={let v = into.clone(); Callback::from(move |s| v.set(s))} />
                    <button type="submit" class="btn btn-outline-danger btn-sm" data-testid="merge-submit">{ i18n.t("report.merge") }</button>
                </form>
            }
        </section>
    }
}

enum ManageAct {
    Assign(Assign),
    Escalate(Escalate),
    Merge(i64),
}

#[derive(Properties, PartialEq)]
struct ThreadProps {
    report: Rc<Report>,
    on_comment: Callback<cortile_shared::maintenance::ReportComment>,
}

/// The thread: public comments, internal notes (staff only, clearly marked), and the form.
#[function_component(Thread)]
fn thread(props: &ThreadProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let body = use_state(String::new);
    let internal = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let sent = use_state(|| false);
    let id = props.report.summary.id;
    let a = &props.report.abilities;
    let onsubmit = {
        let api = session.api();
        let (body, internal, error, sent) =
            (body.clone(), internal.clone(), error.clone(), sent.clone());
        let on_comment = props.on_comment.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = body.trim().to_owned();
            if text.is_empty() {
                error.set(Some(local_invalid()));
                return;
            }
            let c = NewReportComment {
                body: text,
                visibility: if *internal {
                    Visibility::Internal
                } else {
                    Visibility::Public
                },
            };
            let (api, body, error, sent, on_comment) = (
                api.clone(),
                body.clone(),
                error.clone(),
                sent.clone(),
                on_comment.clone(),
            );
            spawn(async move {
                match api.comment_report(id, &c).await {
                    Ok(comment) => {
                        body.set(String::new());
                        error.set(None);
                        sent.set(true);
                        on_comment.emit(comment);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <section aria-labelledby="thread-heading" class="mb-4">
            <h2 id="thread-heading" class="h4">{ i18n.t("report.thread") }</h2>
            if props.report.comments.is_empty() {
                <p>{ i18n.t("report.no_comments") }</p>
            }
            <ul class="list-unstyled">
                { for props.report.comments.iter().map(|c| {
                    let note = c.visibility == Visibility::Internal;
                    html! {
                        <li key={c.id} class={classes!("card", "mb-2", "cortile-card", note.then_some("cortile-internal-note"))}
                            data-testid={if note { "internal-note" } else { "report-comment" }}>
                            <div class="card-body">
                                if note {
                                    <p class="mb-1"><span class="badge bg-dark">{ i18n.t("report.internal_badge") }</span></p>
                                }
                                <p class="cortile-post-meta mb-1">{ c.author.display_name.clone() }{ " · " }{ time_view(&i18n, c.created_at) }</p>
                                <PostBody html={AttrValue::from(c.body_html.clone())} />
                            </div>
                        </li>
                    }
                }) }
            </ul>
            if a.comment {
                <form class="cortile-narrow" onsubmit={onsubmit} novalidate=true data-testid="report-comment-form">
                    <FormAlert error={(*error).clone()} />
                    <TextField id="report-comment-body" multiline=true label={i18n.t("report.comment_label")}
                        value={(*body).clone()} oninput={let b = body.clone(); let s = sent.clone(); Callback::from(move |v| { s.set(false); b.set(v) })}
                        testid="report-comment-body" />
                    if a.internal_notes {
                        <Checkbox id="report-comment-internal" label={i18n.t("report.internal_label")}
                            help={i18n.t("report.internal_help")} checked={*internal}
                            onchange={let i = internal.clone(); Callback::from(move |v| i.set(v))} testid="report-comment-internal" />
                    }
                    <button type="submit" class="btn btn-primary" data-testid="report-comment-submit">{ i18n.t("report.comment_submit") }</button>
                    <p aria-live="polite" class="form-text">
                        if *sent { { i18n.t("report.comment_sent") } }
                    </p>
                </form>
            }
        </section>
    }
}
