//! `/registro/correzioni`: corrections of the registry proposed by committees (and staff),
//! filtered by status; staff approve or reject those they did not propose.

use std::collections::HashMap;

use cortile_shared::tenancy::{ChangeDecision, ChangeRequest, ChangeStatus};
use cortile_shared::ChangeRequestId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::{field_error, ErrorState, FormAlert, Loading, SelectField, TextField};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::pages::tenancy::{change_kind_text, change_status_text, home_text};
use crate::session::use_session;

const STATUSES: [ChangeStatus; 3] = [
    ChangeStatus::Pending,
    ChangeStatus::Approved,
    ChangeStatus::Rejected,
];

#[function_component(ChangeRequestsPage)]
pub fn change_requests_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("changes.title");
    use_document_title(Some(title.clone()));
    let status = use_state(|| ChangeStatus::Pending);
    let list = {
        let api = session.api();
        use_remote(*status, move |status| async move {
            api.change_requests(status).await
        })
    };
    // Per request: the note typed, and the last failure.
    let notes = use_state(HashMap::<ChangeRequestId, String>::new);
    let errors = use_state(HashMap::<ChangeRequestId, ApiError>::new);
    let decided = use_state(|| None::<(String, bool)>);

    let decide = {
        let api = session.api();
        let notes = notes.clone();
        let errors = errors.clone();
        let decided = decided.clone();
        let retry = list.retry.clone();
        Callback::from(move |(change, approve): (ChangeRequest, bool)| {
            let note = notes.get(&change.id).cloned().unwrap_or_default();
            let (api, errors, decided, retry) =
                (api.clone(), errors.clone(), decided.clone(), retry.clone());
            spawn(async move {
                let decision = ChangeDecision {
                    approve,
                    note: note.trim().to_owned(),
                };
                let mut failures = (*errors).clone();
                match api.decide_change(change.id, &decision).await {
                    Ok(_) => {
                        failures.remove(&change.id);
                        decided.set(Some((change.person_name.clone(), approve)));
                        retry.emit(());
                    }
                    Err(err) => {
                        failures.insert(change.id, err);
                    }
                }
                errors.set(failures);
            });
        })
    };
    let on_note = {
        let notes = notes.clone();
        Callback::from(move |(id, text): (ChangeRequestId, String)| {
            let mut all = (*notes).clone();
            all.insert(id, text);
            notes.set(all);
        })
    };

    let options = STATUSES
        .iter()
        .map(|s| {
            (
                AttrValue::from(s.as_str()),
                AttrValue::from(change_status_text(&i18n, *s)),
            )
        })
        .collect::<Vec<_>>();
    let body = match list.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => html! { <ErrorState {error} retry={list.retry.clone()} /> },
        Remote::Ready(changes) if changes.is_empty() => html! { <p>{ i18n.t("changes.none") }</p> },
        Remote::Ready(changes) => html! {
            <ul class="list-unstyled">
                { for changes.iter().map(|c| change_row(&i18n, c, &notes, &errors, &decide, &on_note)) }
            </ul>
        },
    };
    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("changes.intro") }</p>
            <div class="cortile-narrow">
                <SelectField
                    id="changes-status"
                    label={i18n.t("changes.filter")}
                    value={AttrValue::from(status.as_str())}
                    {options}
                    onchange={let s = status.clone(); Callback::from(move |v: String| s.set(ChangeStatus::parse(&v).unwrap_or(ChangeStatus::Pending)))}
                    testid="changes-status"
                />
            </div>
            <div aria-live="polite">
                if let Some((person, approve)) = &*decided {
                    <p class="alert alert-success">
                        { i18n.tf(if *approve { "changes.approved_done" } else { "changes.rejected_done" }, &[("person", person)]) }
                    </p>
                }
            </div>
            { body }
        </>
    }
}

fn change_row(
    i18n: &I18n,
    c: &ChangeRequest,
    notes: &HashMap<ChangeRequestId, String>,
    errors: &HashMap<ChangeRequestId, ApiError>,
    decide: &Callback<(ChangeRequest, bool)>,
    on_note: &Callback<(ChangeRequestId, String)>,
) -> Html {
    let id = c.id;
    let error = errors.get(&id);
    let note_id = format!("change-note-{}", id.0);
    let heading = format!("change-{}-heading", id.0);
    let approve = {
        let c = c.clone();
        decide.reform(move |_: MouseEvent| (c.clone(), true))
    };
    let reject = {
        let c = c.clone();
        decide.reform(move |_: MouseEvent| (c.clone(), false))
    };
    let contact: Vec<String> = [c.phone.clone(), c.email.clone()]
        .into_iter()
        .flatten()
        .collect();
    html! {
        <li class="card card-bg shadow-sm mb-3 cortile-card" data-testid="change-row" key={id.0}>
            <div class="card-body">
                <h2 id={heading.clone()} class="h5 card-title">
                    { i18n.tf("changes.row_title", &[("kind", &change_kind_text(i18n, c.kind)), ("person", &c.person_name)]) }
                </h2>
                <dl class="row cortile-details mb-2">
                    <dt class="col-sm-4">{ i18n.t("changes.home") }</dt>
                    <dd class="col-sm-8">
                        { home_text(i18n, &c.home) }
                        { " " }
                        <Link<Route> to={Route::TenantFile { id: c.household_id }}>{ i18n.t("changes.open_file") }</Link<Route>>
                    </dd>
                    <dt class="col-sm-4">{ i18n.t("changes.person") }</dt>
                    <dd class="col-sm-8">{ c.person_name.clone() }</dd>
                    <dt class="col-sm-4">{ i18n.t("changes.kind") }</dt>
                    <dd class="col-sm-8">{ change_kind_text(i18n, c.kind) }</dd>
                    if !contact.is_empty() {
                        <dt class="col-sm-4">{ i18n.t("changes.new_contacts") }</dt>
                        <dd class="col-sm-8">{ contact.join(", ") }</dd>
                    }
                    <dt class="col-sm-4">{ i18n.t("changes.reason") }</dt>
                    <dd class="col-sm-8">{ c.reason.clone() }</dd>
                    <dt class="col-sm-4">{ i18n.t("changes.proposed_by") }</dt>
                    <dd class="col-sm-8">
                        { i18n.tf("changes.proposed_line", &[
                            ("name", &c.proposed_by.as_ref().map(|u| u.display_name.clone()).unwrap_or_else(|| i18n.t("changes.unknown_person"))),
                            ("date", &i18n.datetime(c.created_at)),
                        ]) }
                    </dd>
                    <dt class="col-sm-4">{ i18n.t("changes.status") }</dt>
                    <dd class="col-sm-8" data-testid="change-status">{ change_status_text(i18n, c.status) }</dd>
                    if let (Some(by), Some(at)) = (&c.decided_by, c.decided_at) {
                        <dt class="col-sm-4">{ i18n.t("changes.decided_by") }</dt>
                        <dd class="col-sm-8">{ i18n.tf("changes.proposed_line", &[("name", &by.display_name), ("date", &i18n.datetime(at))]) }</dd>
                    }
                    if let Some(note) = &c.decision_note {
                        <dt class="col-sm-4">{ i18n.t("changes.decision_note") }</dt>
                        <dd class="col-sm-8">{ note.clone() }</dd>
                    }
                </dl>
                if c.can_decide {
                    <FormAlert error={error.cloned()} />
                    <TextField
                        id={note_id}
                        multiline=true
                        label={i18n.t("changes.note")}
                        help={i18n.t("changes.note_help")}
                        value={notes.get(&id).cloned().unwrap_or_default()}
                        oninput={on_note.reform(move |text| (id, text))}
                        error={field_error(i18n, error, "note")}
                        testid="change-note"
                    />
                    <div class="d-flex flex-wrap gap-2">
                        <button type="button" class="btn btn-success" data-testid="change-approve" aria-describedby={heading.clone()} onclick={approve}>
                            { i18n.t("changes.approve") }
                        </button>
                        <button type="button" class="btn btn-outline-danger" data-testid="change-reject" aria-describedby={heading.clone()} onclick={reject}>
                            { i18n.t("changes.reject") }
                        </button>
                    </div>
                }
            </div>
        </li>
    }
}
