//! The staff's pages of the time bank: disputes waiting for a decision, adjustments of a
//! member's balance (with a reason, audited), and organisations (register one; staff verify).

use cortile_shared::market::{NewOrganisation, OrganisationKind};
use cortile_shared::tenancy::PersonHit;
use cortile_shared::timebank::NewAdjustment;
use cortile_shared::UserId;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{duration_text, exchange_item, field_problem, market_field_error};
use crate::api::ApiError;
use crate::app::Route;
use crate::components::{Breadcrumb, ErrorState, FormAlert, Loading, SelectField, TextField};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::use_i18n;
use crate::realtime::new_client_msg_id;
use crate::session::use_session;

/// Links between the staff's pages.
fn staff_nav(i18n: &crate::i18n::I18n) -> Html {
    html! {
        <nav aria-label={i18n.t("staff_tb.nav")} class="mb-4 d-flex flex-wrap gap-2">
            <Link<Route> to={Route::Disputes} classes="btn btn-outline-primary btn-sm">{ i18n.t("staff_tb.disputes") }</Link<Route>>
            <Link<Route> to={Route::Adjustments} classes="btn btn-outline-primary btn-sm">{ i18n.t("staff_tb.adjustments") }</Link<Route>>
            <Link<Route> to={Route::Organisations} classes="btn btn-outline-primary btn-sm">{ i18n.t("staff_tb.organisations") }</Link<Route>>
        </nav>
    }
}

/// `/banca-del-tempo/contestazioni`.
#[function_component(DisputesPage)]
pub fn disputes_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("staff_tb.disputes");
    use_document_title(Some(title.clone()));
    let list = {
        let api = session.api();
        use_remote(api, |api| async move { api.disputes().await })
    };
    let me = session.me().map(|m| m.id);
    let body = match &list.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => html! { <ErrorState error={e.clone()} retry={list.retry.clone()} /> },
        Remote::Ready(l) if l.is_empty() => {
            html! { <p data-testid="disputes-empty">{ i18n.t("staff_tb.no_disputes") }</p> }
        }
        Remote::Ready(l) => html! {
            <ul class="list-group" data-testid="disputes">
                { for l.iter().map(|e| exchange_item(&i18n, e, me)) }
            </ul>
        },
    };
    html! {
        <>
            <Breadcrumb current={title.clone()} />
            <h1 data-testid="page-title">{ title }</h1>
            { staff_nav(&i18n) }
            <p class="lead">{ i18n.t("staff_tb.disputes_intro") }</p>
            { body }
        </>
    }
}

/// The minutes an adjustment may move: "da −6.000 a 6.000, non zero".
fn adjustment_range(i18n: &crate::i18n::I18n) -> String {
    i18n.tf(
        "staff_tb.minutes_out_of_range",
        &[("max", &i18n.int(cortile_shared::timebank::MAX_LEG_MINUTES))],
    )
}

/// A person of the registry with an account, chosen for an adjustment.
#[derive(Clone, PartialEq)]
struct Chosen {
    id: UserId,
    name: String,
}

/// A local field error with a stable code.
/// `/banca-del-tempo/rettifiche`: find the member (by name or fiscal code, in the registry),
/// then the minutes and the reason.
#[function_component(AdjustmentsPage)]
pub fn adjustments_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("staff_tb.adjustments");
    use_document_title(Some(title.clone()));
    let query = use_state(String::new);
    let hits = use_state(|| None::<Result<Vec<PersonHit>, ApiError>>);
    let searching = use_state(|| false);
    let chosen = use_state(|| None::<Chosen>);
    let minutes = use_state(String::new);
    let reason = use_state(String::new);
    // One key per content of the form: a retry after a lost answer adjusts nothing twice; a
    // change, or a new adjustment after one is made, draws a new key.
    let key = use_state(new_client_msg_id);
    let error = use_state(|| None::<ApiError>);
    let done = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let onsearch = {
        let (api, query, hits, searching) = (
            session.api(),
            query.clone(),
            hits.clone(),
            searching.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let q = query.trim().to_owned();
            if q.is_empty() || *searching {
                return;
            }
            searching.set(true);
            let (api, hits, searching) = (api.clone(), hits.clone(), searching.clone());
            spawn(async move {
                let result = api.search_registry(&q).await;
                searching.set(false);
                hits.set(Some(result));
            });
        })
    };
    let onsubmit = {
        let (api, chosen, minutes, reason, error, done, busy, key) = (
            session.api(),
            chosen.clone(),
            minutes.clone(),
            reason.clone(),
            error.clone(),
            done.clone(),
            busy.clone(),
            key.clone(),
        );
        let i18n = i18n.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let Some(member) = (*chosen).clone() else {
                error.set(Some(field_problem("user_id", "required")));
                return;
            };
            let adj = NewAdjustment {
                minutes: minutes.trim().parse().unwrap_or(0),
                reason: (*reason).clone(),
            };
            busy.set(true);
            let (api, error, done, busy) = (api.clone(), error.clone(), done.clone(), busy.clone());
            let (chosen, minutes, reason, key) =
                (chosen.clone(), minutes.clone(), reason.clone(), key.clone());
            let i18n = i18n.clone();
            spawn(async move {
                let result = api.adjust(member.id, &adj, &key).await;
                busy.set(false);
                match result {
                    Ok(t) => {
                        error.set(None);
                        // Made: the form starts again empty, under a new key.
                        chosen.set(None);
                        minutes.set(String::new());
                        reason.set(String::new());
                        key.set(new_client_msg_id());
                        let m = t
                            .entries
                            .iter()
                            .find(|e| e.user.is_some())
                            .map(|e| e.minutes)
                            .unwrap_or(0);
                        done.set(Some(i18n.tf(
                            "staff_tb.adjusted",
                            &[
                                ("time", &duration_text(&i18n, m)),
                                ("id", &t.id.to_string()),
                                ("name", &member.name),
                            ],
                        )));
                    }
                    Err(e) => {
                        done.set(None);
                        error.set(Some(e));
                    }
                }
            });
        })
    };
    let failed = (*error).as_ref();
    // An adjustment may take minutes away: its range is not the marketplace's 1 to 6,000.
    let minutes_error = match failed.and_then(|e| e.field("minutes")) {
        Some(f) if f.code == "out_of_range" => Some(AttrValue::from(adjustment_range(&i18n))),
        _ => market_field_error(&i18n, failed, "minutes"),
    };
    let results = match &*hits {
        None => html! {},
        Some(Err(e)) => html! { <FormAlert error={Some(e.clone())} /> },
        Some(Ok(list)) if list.is_empty() => html! {
            <p data-testid="member-no-hits">{ i18n.t("staff_tb.no_hits") }</p>
        },
        Some(Ok(list)) => html! {
            <ul class="list-group mb-3" data-testid="member-hits" aria-label={i18n.t("staff_tb.hits")}>
                { for list.iter().map(|hit| {
                    let name = format!("{} {}", hit.given_name, hit.surname);
                    let detail = hit.fiscal_code.clone().unwrap_or_default();
                    let pick = hit.user_id.map(|id| {
                        let (chosen, name, error, key) = (chosen.clone(), name.clone(), error.clone(), key.clone());
                        Callback::from(move |_: MouseEvent| {
                            chosen.set(Some(Chosen { id, name: name.clone() }));
                            key.set(new_client_msg_id());
                            error.set(None);
                        })
                    });
                    html! {
                        <li class="list-group-item d-flex justify-content-between align-items-center"
                            key={hit.person_id.0} data-testid="member-hit">
                            <span>
                                <strong>{ name.clone() }</strong>
                                if !detail.is_empty() {
                                    { " · " }<span class="text-muted">{ detail }</span>
                                }
                            </span>
                            if let Some(onclick) = pick {
                                <button type="button" class="btn btn-outline-primary btn-sm" {onclick}
                                    aria-label={i18n.tf("staff_tb.choose_named", &[("name", &name)])}
                                    data-testid="member-choose">{ i18n.t("staff_tb.choose") }</button>
                            } else {
                                <span class="text-muted">{ i18n.t("staff_tb.no_account") }</span>
                            }
                        </li>
                    }
                }) }
            </ul>
        },
    };
    html! {
        <>
            <Breadcrumb current={title.clone()} />
            <h1 data-testid="page-title">{ title }</h1>
            { staff_nav(&i18n) }
            <div class="cortile-narrow">
                <p class="lead">{ i18n.t("staff_tb.adjustments_intro") }</p>
                <div aria-live="polite">
                    if let Some(text) = &*done {
                        <p class="alert alert-success" data-testid="adjust-done">{ text.clone() }</p>
                    }
                </div>
                <form role="search" onsubmit={onsearch} novalidate=true class="mb-3">
                    <TextField id="member-search" label={i18n.t("staff_tb.member_search")}
                        help={i18n.t("staff_tb.member_search_help")} value={(*query).clone()}
                        oninput={let s = query.clone(); Callback::from(move |v| s.set(v))}
                        testid="member-search" />
                    <button type="submit" class="btn btn-outline-primary" disabled={*searching}
                        data-testid="member-search-submit">{ i18n.t("staff_tb.search") }</button>
                </form>
                <div aria-live="polite">{ results }</div>
                <FormAlert error={(*error).clone()} />
                <form {onsubmit} novalidate=true>
                    <div class="mb-3" data-testid="adjust-member">
                        <strong>{ i18n.t("staff_tb.member") }{ ": " }</strong>
                        { match &*chosen {
                            Some(c) => html! { <span data-testid="adjust-member-name">{ c.name.clone() }</span> },
                            None => html! { <span class="text-muted">{ i18n.t("staff_tb.member_none") }</span> },
                        } }
                        if let Some(msg) = market_field_error(&i18n, failed, "user_id") {
                            <div class="text-danger" role="alert">{ msg }</div>
                        }
                    </div>
                    <TextField id="adjust-minutes" kind="number" label={i18n.t("staff_tb.minutes")}
                        help={i18n.t("staff_tb.minutes_help")} value={(*minutes).clone()}
                        oninput={let (s, k) = (minutes.clone(), key.clone()); Callback::from(move |v| { s.set(v); k.set(new_client_msg_id()); })}
                        error={minutes_error} testid="adjust-minutes" />
                    <TextField id="adjust-reason" multiline=true label={i18n.t("staff_tb.reason")}
                        value={(*reason).clone()} required=true
                        oninput={let (s, k) = (reason.clone(), key.clone()); Callback::from(move |v| { s.set(v); k.set(new_client_msg_id()); })}
                        error={market_field_error(&i18n, failed, "reason")} testid="adjust-reason" />
                    <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="adjust-submit">{ i18n.t("staff_tb.adjust") }</button>
                </form>
            </div>
        </>
    }
}

/// `/banca-del-tempo/organizzazioni`: the organisations; register one; staff verify.
#[function_component(OrganisationsPage)]
pub fn organisations_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("staff_tb.organisations");
    use_document_title(Some(title.clone()));
    let list = {
        let api = session.api();
        use_remote(api, |api| async move { api.organisations().await })
    };
    let staff = session.has_any(&[
        cortile_shared::auth::Role::Staff,
        cortile_shared::auth::Role::Admin,
    ]);
    let name = use_state(String::new);
    let kind = use_state(|| OrganisationKind::SocialEnterprise);
    let description = use_state(String::new);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    // The organisation just registered (its name), said in the live region.
    let registered = use_state(|| None::<String>);
    // A verification refused, shown by the list.
    let verify_error = use_state(|| None::<ApiError>);
    let onsubmit = {
        let registered = registered.clone();
        let (api, name, kind, description, error, retry, busy) = (
            session.api(),
            name.clone(),
            kind.clone(),
            description.clone(),
            error.clone(),
            list.retry.clone(),
            busy.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let new = NewOrganisation {
                name: (*name).clone(),
                kind: *kind,
                description: (*description).clone(),
            };
            let (api, name, kind, description, error, retry, busy, registered) = (
                api.clone(),
                name.clone(),
                kind.clone(),
                description.clone(),
                error.clone(),
                retry.clone(),
                busy.clone(),
                registered.clone(),
            );
            spawn(async move {
                let result = api.create_organisation(&new).await;
                busy.set(false);
                match result {
                    Ok(o) => {
                        error.set(None);
                        registered.set(Some(o.name.clone()));
                        name.set(String::new());
                        kind.set(OrganisationKind::SocialEnterprise);
                        description.set(String::new());
                        retry.emit(());
                    }
                    Err(e) => {
                        registered.set(None);
                        error.set(Some(e));
                    }
                }
            });
        })
    };
    let verify = {
        let (api, error, retry) = (session.api(), verify_error.clone(), list.retry.clone());
        Callback::from(move |id: cortile_shared::OrganisationId| {
            let (api, error, retry) = (api.clone(), error.clone(), retry.clone());
            spawn(async move {
                match api.verify_organisation(id).await {
                    Ok(_) => {
                        error.set(None);
                        retry.emit(());
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let body = match &list.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => html! { <ErrorState error={e.clone()} retry={list.retry.clone()} /> },
        Remote::Ready(l) if l.is_empty() => {
            html! { <p>{ i18n.t("staff_tb.no_organisations") }</p> }
        }
        Remote::Ready(l) => html! {
            <ul class="list-group mb-4" data-testid="organisations">
                { for l.iter().map(|o| {
                    let id = o.id;
                    let verify = verify.clone();
                    let members: Vec<String> = o.members.iter().map(|m| m.display_name.clone()).collect();
                    html! {
                        <li class="list-group-item" data-testid="organisation" key={o.id.0}>
                            <strong>{ o.name.clone() }</strong>{ " · " }{ i18n.t(&format!("organisation.kind.{}", o.kind.as_str())) }
                            { " · " }
                            if o.verified {
                                <span class="badge bg-success">{ i18n.t("organisation.verified") }</span>
                            } else {
                                <span class="badge bg-warning text-dark">{ i18n.t("organisation.unverified") }</span>
                            }
                            <p class="mb-1">{ o.description.clone() }</p>
                            <p class="mb-1">{ i18n.tf("organisation.members", &[("names", &members.join(", "))]) }</p>
                            if staff && !o.verified && !o.member {
                                <button type="button" class="btn btn-primary btn-sm" data-testid="organisation-verify"
                                    onclick={Callback::from(move |_: MouseEvent| verify.emit(id))}>
                                    { i18n.tf("organisation.verify", &[("name", &o.name)]) }
                                </button>
                            }
                            if staff && !o.verified && o.member {
                                <p class="cortile-help mb-0">{ i18n.t("organisation.verify_not_own") }</p>
                            }
                        </li>
                    }
                }) }
            </ul>
        },
    };
    let failed = (*error).as_ref();
    let kinds = [OrganisationKind::SocialEnterprise, OrganisationKind::Shop]
        .iter()
        .map(|k| {
            (
                AttrValue::from(k.as_str()),
                AttrValue::from(i18n.t(&format!("organisation.kind.{}", k.as_str()))),
            )
        })
        .collect::<Vec<_>>();
    html! {
        <>
            <Breadcrumb current={title.clone()} />
            <h1 data-testid="page-title">{ title }</h1>
            if staff { { staff_nav(&i18n) } }
            <p class="lead">{ i18n.t("organisation.intro") }</p>
            <FormAlert error={(*verify_error).clone()} testid="organisation-verify-error" />
            { body }
            <section aria-labelledby="organisation-new-heading" class="cortile-narrow">
                <h2 id="organisation-new-heading" class="h4">{ i18n.t("organisation.new") }</h2>
                <div aria-live="polite">
                    if let Some(n) = &*registered {
                        <p class="alert alert-success" data-testid="organisation-registered">
                            { i18n.tf("organisation.registered", &[("name", n)]) }
                        </p>
                    }
                </div>
                <FormAlert error={(*error).clone()} />
                <form {onsubmit} novalidate=true>
                    <TextField id="organisation-name" label={i18n.t("organisation.name")} value={(*name).clone()}
                        oninput={let s = name.clone(); Callback::from(move |v| s.set(v))} required=true
                        error={market_field_error(&i18n, failed, "name")} testid="organisation-name" />
                    <SelectField id="organisation-kind" label={i18n.t("organisation.kind")}
                        value={AttrValue::from(kind.as_str())} options={kinds}
                        onchange={let s = kind.clone(); Callback::from(move |v: String| s.set(OrganisationKind::parse(&v).unwrap_or(OrganisationKind::Shop)))}
                        testid="organisation-kind" />
                    <TextField id="organisation-description" multiline=true label={i18n.t("organisation.description")}
                        value={(*description).clone()}
                        oninput={let s = description.clone(); Callback::from(move |v| s.set(v))}
                        error={market_field_error(&i18n, failed, "description")} testid="organisation-description" />
                    <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="organisation-submit">{ i18n.t("organisation.submit") }</button>
                </form>
            </section>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::Locale;

    #[test]
    fn an_adjustment_may_be_negative() {
        let it = crate::i18n::I18n::fixed(Locale::It);
        assert_eq!(
            adjustment_range(&it),
            "I minuti vanno da −6.000 a 6.000, ma non zero: positivi per accreditare, negativi per addebitare."
        );
    }
}
