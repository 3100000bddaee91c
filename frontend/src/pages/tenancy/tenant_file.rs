//! `/registro/nuclei/:id`: a household's tenant file. It opens only after the reader says why
//! (every opening is recorded), and it offers a form to propose a correction.

use std::rc::Rc;

use cortile_shared::auth::HouseholdRole;
use cortile_shared::tenancy::{
    ChangeKind, ChangeRequest, MemberView, NewChangeRequest, TenantFile, MIN_PURPOSE_LEN,
};
use cortile_shared::HouseholdId;
use yew::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::shell::CHANGE_HANDLERS;
use crate::components::{
    field_error, Breadcrumb, ErrorState, FormAlert, Loading, ScrollTable, SelectField, TextField,
};
use crate::hooks::{spawn, use_document_title};
use crate::i18n::{use_i18n, I18n};
use crate::pages::tenancy::search::SearchState;
use crate::pages::tenancy::{
    application_status_text, change_kind_text, change_status_text, home_text,
};
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct TenantFilePageProps {
    pub id: HouseholdId,
}

#[derive(Debug, Clone, PartialEq)]
enum FileState {
    AskPurpose,
    Opening,
    Open(Rc<TenantFile>),
    Failed(ApiError),
}

#[function_component(TenantFilePage)]
pub fn tenant_file_page(props: &TenantFilePageProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let purpose = use_state(String::new);
    let too_short = use_state(|| false);
    let state = use_state(|| FileState::AskPurpose);
    let title = i18n.t("file.title");
    use_document_title(Some(title.clone()));

    // Another household: ask again.
    {
        let state = state.clone();
        use_effect_with(props.id, move |_| state.set(FileState::AskPurpose));
    }

    let onsubmit = {
        let api = session.api();
        let purpose = purpose.clone();
        let too_short = too_short.clone();
        let state = state.clone();
        let id = props.id;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let why = purpose.trim().to_owned();
            if why.chars().count() < MIN_PURPOSE_LEN {
                too_short.set(true);
                return;
            }
            too_short.set(false);
            state.set(FileState::Opening);
            let api = api.clone();
            let state = state.clone();
            spawn(async move {
                state.set(match api.tenant_file(id, &why).await {
                    Ok(file) => FileState::Open(Rc::new(file)),
                    Err(err) => FileState::Failed(err),
                });
            });
        })
    };

    let parents = vec![(
        Route::RegistrySearch,
        AttrValue::from(i18n.t("search.title")),
    )];
    let current = i18n.tf("file.crumb", &[("id", &props.id.to_string())]);
    let content = match &*state {
        FileState::Open(file) => html! { <FileView file={file.clone()} /> },
        FileState::Opening => html! { <Loading /> },
        FileState::Failed(err) if err.field("purpose").is_none() => html! {
            <ErrorState error={err.clone()} retry={{ let s = state.clone(); Callback::from(move |()| s.set(FileState::AskPurpose)) }} />
        },
        FileState::AskPurpose | FileState::Failed(_) => {
            let failed = match &*state {
                FileState::Failed(err) => Some(err),
                _ => None,
            };
            let error = if *too_short {
                Some(AttrValue::from(i18n.t("field_error.purpose.too_short")))
            } else {
                field_error(&i18n, failed, "purpose")
            };
            html! {
                <section aria-labelledby="purpose-heading" class="cortile-narrow">
                    <h2 id="purpose-heading" class="h3">{ i18n.t("file.purpose_heading") }</h2>
                    <p>{ i18n.t("file.purpose_explain") }</p>
                    <form {onsubmit} novalidate=true>
                        <TextField
                            id="purpose-input"
                            label={i18n.t("file.purpose_label")}
                            help={i18n.t("file.purpose_help")}
                            value={(*purpose).clone()}
                            oninput={let s = purpose.clone(); Callback::from(move |v| s.set(v))}
                            required=true
                            error={error}
                            testid="purpose-input"
                        />
                        <button type="submit" class="btn btn-primary" data-testid="purpose-submit">{ i18n.t("file.purpose_submit") }</button>
                    </form>
                </section>
            }
        }
    };
    html! {
        <>
            <Breadcrumb {parents} current={current} />
            <h1 data-testid="page-title">{ title }</h1>
            { content }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct FileViewProps {
    file: Rc<TenantFile>,
}

#[function_component(FileView)]
fn file_view(props: &FileViewProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let file = &props.file;
    // Corrections proposed here are added to the list without opening the file again.
    let proposed = use_state(Vec::<ChangeRequest>::new);
    let contract_status = i18n.t(&format!("file.contract.{}", file.contract_status));
    let can_propose = session.has_any(CHANGE_HANDLERS);
    let on_proposed = {
        let proposed = proposed.clone();
        Callback::from(move |change: ChangeRequest| {
            let mut list = (*proposed).clone();
            list.push(change);
            proposed.set(list);
        })
    };
    let changes: Vec<&ChangeRequest> = file.change_requests.iter().chain(proposed.iter()).collect();
    html! {
        <div data-testid="tenant-file">
            <p class="lead">{ home_text(&i18n, &file.home) }</p>
            if !file.full_details {
                <p class="alert alert-info">{ i18n.t("file.limited") }</p>
            }
            <section class="mb-5" aria-labelledby="file-contract-heading">
                <h2 id="file-contract-heading" class="h3">{ i18n.t("file.contract_heading") }</h2>
                <dl class="row cortile-details">
                    <dt class="col-sm-5 col-md-3">{ i18n.t("file.contract_code") }</dt>
                    <dd class="col-sm-7 col-md-9 cortile-code" data-testid="file-contract-code">{ file.contract_code.clone() }</dd>
                    <dt class="col-sm-5 col-md-3">{ i18n.t("file.contract_start") }</dt>
                    <dd class="col-sm-7 col-md-9">{ i18n.date(file.contract_start) }</dd>
                    <dt class="col-sm-5 col-md-3">{ i18n.t("file.contract_status") }</dt>
                    <dd class="col-sm-7 col-md-9">{ contract_status }</dd>
                    <dt class="col-sm-5 col-md-3">{ i18n.t("file.home") }</dt>
                    <dd class="col-sm-7 col-md-9">{ home_text(&i18n, &file.home) }</dd>
                </dl>
            </section>
            <section class="mb-5" aria-labelledby="file-members-heading">
                <h2 id="file-members-heading" class="h3">{ i18n.t("file.members_heading") }</h2>
                { members_table(&i18n, file) }
            </section>
            <section class="mb-5" aria-labelledby="file-applications-heading">
                <h2 id="file-applications-heading" class="h3">{ i18n.t("file.applications_heading") }</h2>
                if file.applications.is_empty() {
                    <p>{ i18n.t("file.no_applications") }</p>
                } else {
                    <ul class="cortile-list">
                        { for file.applications.iter().map(|a| html! {
                            <li key={a.id.0}>
                                { i18n.tf("file.application_line", &[
                                    ("protocol", &a.protocol),
                                    ("date", &i18n.date(a.submitted_on)),
                                    ("status", &application_status_text(&i18n, a.status)),
                                ]) }
                            </li>
                        }) }
                    </ul>
                }
            </section>
            <section class="mb-5" aria-labelledby="file-changes-heading">
                <h2 id="file-changes-heading" class="h3">{ i18n.t("file.changes_heading") }</h2>
                if changes.is_empty() {
                    <p>{ i18n.t("file.no_changes") }</p>
                } else {
                    <ul class="cortile-list">
                        { for changes.iter().map(|c| html! {
                            <li key={c.id.0} data-testid="file-change">
                                { i18n.tf("file.change_line", &[
                                    ("kind", &change_kind_text(&i18n, c.kind)),
                                    ("person", &c.person_name),
                                    ("status", &change_status_text(&i18n, c.status)),
                                    ("date", &i18n.datetime(c.created_at)),
                                ]) }
                            </li>
                        }) }
                    </ul>
                }
            </section>
            if can_propose {
                <ProposeChange file={file.clone()} {on_proposed} />
            }
        </div>
    }
}

fn members_table(i18n: &I18n, file: &TenantFile) -> Html {
    let full = file.full_details;
    html! {
        <ScrollTable label={i18n.t("file.members_caption")}>
            <table class="table table-striped cortile-table">
                <caption class="caption-top">{ i18n.t("file.members_caption") }</caption>
                <thead>
                    <tr>
                        <th scope="col">{ i18n.t("file.col_name") }</th>
                        <th scope="col">{ i18n.t("file.col_role") }</th>
                        <th scope="col">{ i18n.t("file.col_period") }</th>
                        if full {
                            <th scope="col">{ i18n.t("file.col_fiscal_code") }</th>
                            <th scope="col">{ i18n.t("file.col_birth_date") }</th>
                            <th scope="col">{ i18n.t("file.col_contacts") }</th>
                        }
                    </tr>
                </thead>
                <tbody>
                    { for file.members.iter().map(|m| member_row(i18n, m, full)) }
                </tbody>
            </table>
        </ScrollTable>
    }
}

fn member_row(i18n: &I18n, m: &MemberView, full: bool) -> Html {
    let role = match m.role {
        HouseholdRole::Holder => i18n.t("household.holder"),
        HouseholdRole::Member => i18n.t("household.member"),
    };
    let since = i18n.date(m.since.date_naive());
    let period = match m.ended_at {
        Some(end) => i18n.tf(
            "file.period_ended",
            &[("since", &since), ("until", &i18n.date(end.date_naive()))],
        ),
        None => i18n.tf("file.period_current", &[("since", &since)]),
    };
    let dash = || "—".to_owned();
    html! {
        <tr data-testid="member-row" data-ended={m.ended_at.is_some().to_string()} key={m.person_id.0}>
            <th scope="row">{ format!("{} {}", m.surname, m.given_name) }</th>
            <td>{ role }</td>
            <td>{ period }</td>
            if full {
                <td class="cortile-code">{ m.fiscal_code.clone().unwrap_or_else(dash) }</td>
                <td>{ m.birth_date.map(|d| i18n.date(d)).unwrap_or_else(dash) }</td>
                <td>
                    if let Some(phone) = &m.phone { <span class="d-block">{ phone.clone() }</span> }
                    if let Some(email) = &m.email { <span class="d-block">{ email.clone() }</span> }
                    if m.phone.is_none() && m.email.is_none() { { dash() } }
                </td>
            }
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct ProposeChangeProps {
    file: Rc<TenantFile>,
    on_proposed: Callback<ChangeRequest>,
}

#[function_component(ProposeChange)]
fn propose_change(props: &ProposeChangeProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let current: Vec<&MemberView> = props
        .file
        .members
        .iter()
        .filter(|m| m.ended_at.is_none())
        .collect();
    let first = current
        .first()
        .map(|m| m.person_id.0.to_string())
        .unwrap_or_default();
    let kind = use_state(|| ChangeKind::MemberLeft);
    let person = use_state(move || first);
    let reason = use_state(String::new);
    let phone = use_state(String::new);
    let email = use_state(String::new);
    let state = use_state(|| SearchState::<ChangeRequest>::Idle);

    let onsubmit = {
        let api = session.api();
        let household_id = props.file.household_id;
        let (kind, person, reason, phone, email, state) = (
            kind.clone(),
            person.clone(),
            reason.clone(),
            phone.clone(),
            email.clone(),
            state.clone(),
        );
        let on_proposed = props.on_proposed.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Ok(person_id) = person.parse() else {
                return;
            };
            let contact = *kind == ChangeKind::ContactChanged;
            let change = NewChangeRequest {
                household_id,
                person_id,
                kind: *kind,
                reason: reason.trim().to_owned(),
                phone: contact
                    .then(|| phone.trim().to_owned())
                    .filter(|s| !s.is_empty()),
                email: contact
                    .then(|| email.trim().to_owned())
                    .filter(|s| !s.is_empty()),
            };
            state.set(SearchState::Searching);
            let (api, state, on_proposed) = (api.clone(), state.clone(), on_proposed.clone());
            let (reason, phone, email) = (reason.clone(), phone.clone(), email.clone());
            spawn(async move {
                match api.propose_change(&change).await {
                    Ok(created) => {
                        reason.set(String::new());
                        phone.set(String::new());
                        email.set(String::new());
                        state.set(SearchState::Done(Rc::new(vec![created.clone()])));
                        on_proposed.emit(created);
                    }
                    Err(err) => state.set(SearchState::Failed(err)),
                }
            });
        })
    };

    let error = match &*state {
        SearchState::Failed(err) => Some(err.clone()),
        _ => None,
    };
    let message = error
        .as_ref()
        .filter(|e| e.code() == Some(cortile_shared::ErrorCode::Conflict))
        .map(|_| AttrValue::from(i18n.t("propose.conflict")));
    let kinds = [ChangeKind::MemberLeft, ChangeKind::ContactChanged]
        .into_iter()
        .map(|k| {
            (
                AttrValue::from(k.as_str()),
                AttrValue::from(change_kind_text(&i18n, k)),
            )
        })
        .collect::<Vec<_>>();
    let people = current
        .iter()
        .map(|m| {
            (
                AttrValue::from(m.person_id.0.to_string()),
                AttrValue::from(format!("{} {}", m.surname, m.given_name)),
            )
        })
        .collect::<Vec<_>>();
    let contact = *kind == ChangeKind::ContactChanged;
    let busy = matches!(&*state, SearchState::Searching);
    html! {
        <section class="mb-5 cortile-narrow" aria-labelledby="propose-heading">
            <h2 id="propose-heading" class="h3">{ i18n.t("propose.heading") }</h2>
            <p>{ i18n.t("propose.explain") }</p>
            <div aria-live="polite">
                if let SearchState::Done(_) = &*state {
                    <p class="alert alert-success" data-testid="change-proposed">{ i18n.t("propose.done") }</p>
                }
            </div>
            <FormAlert error={error.clone()} {message} testid="change-error" />
            if people.is_empty() {
                <p>{ i18n.t("propose.no_members") }</p>
            } else {
                <form {onsubmit} novalidate=true>
                    <SelectField
                        id="change-kind"
                        label={i18n.t("propose.kind")}
                        value={AttrValue::from(kind.as_str())}
                        options={kinds}
                        onchange={let s = kind.clone(); Callback::from(move |v: String| s.set(ChangeKind::parse(&v).unwrap_or(ChangeKind::MemberLeft)))}
                        error={field_error(&i18n, error.as_ref(), "kind")}
                        testid="change-kind"
                    />
                    <SelectField
                        id="change-person"
                        label={i18n.t("propose.person")}
                        value={AttrValue::from((*person).clone())}
                        options={people}
                        onchange={let s = person.clone(); Callback::from(move |v| s.set(v))}
                        error={field_error(&i18n, error.as_ref(), "person_id")}
                        testid="change-person"
                    />
                    <TextField
                        id="change-reason"
                        multiline=true
                        label={i18n.t("propose.reason")}
                        help={i18n.t("propose.reason_help")}
                        value={(*reason).clone()}
                        oninput={let s = reason.clone(); Callback::from(move |v| s.set(v))}
                        error={field_error(&i18n, error.as_ref(), "reason")}
                        testid="change-reason"
                    />
                    if contact {
                        <TextField
                            id="change-phone"
                            kind="tel"
                            label={i18n.t("propose.phone")}
                            value={(*phone).clone()}
                            oninput={let s = phone.clone(); Callback::from(move |v| s.set(v))}
                            error={field_error(&i18n, error.as_ref(), "phone")}
                            testid="change-phone"
                        />
                        <TextField
                            id="change-email"
                            kind="email"
                            label={i18n.t("propose.email")}
                            value={(*email).clone()}
                            oninput={let s = email.clone(); Callback::from(move |v| s.set(v))}
                            error={field_error(&i18n, error.as_ref(), "email")}
                            testid="change-email"
                        />
                    }
                    <button type="submit" class="btn btn-primary" disabled={busy} data-testid="change-submit">{ i18n.t("propose.submit") }</button>
                </form>
            }
        </section>
    }
}
