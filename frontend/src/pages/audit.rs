//! `/audit`: the audit log for administrators: who did what, for whom, on what, and why.

use cortile_shared::tenancy::AuditEntry;
use yew::prelude::*;

use crate::api::ApiError;
use crate::components::{ErrorState, FormAlert, Loading, ScrollTable, SelectField};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::session::use_session;

/// The actions the server records (the filter offers these).
pub const ACTIONS: &[&str] = &[
    "tenant_file.open",
    "change_request.propose",
    "change_request.approve",
    "change_request.reject",
    "registry.import",
    "assist.start",
    "assist.stop",
    "account.export",
    "account.erase",
];

/// An action in words when we know it, else its code.
pub fn action_text(i18n: &I18n, action: &str) -> String {
    let key = format!("audit.action.{action}");
    if i18n.has(&key) {
        i18n.t(&key)
    } else {
        action.to_owned()
    }
}

#[function_component(AuditPage)]
pub fn audit_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("audit.title");
    use_document_title(Some(title.clone()));
    let action = use_state(String::new);
    let first = {
        let api = session.api();
        use_remote((*action).clone(), move |action| async move {
            let filter = (!action.is_empty()).then_some(action.as_str());
            api.audit(filter, None).await
        })
    };
    // Pages loaded with "load more", and the cursor of the next one.
    let more = use_state(Vec::<AuditEntry>::new);
    let next = use_state(|| None::<String>);
    let more_error = use_state(|| None::<ApiError>);
    let loading_more = use_state(|| false);
    {
        let (more, next, more_error) = (more.clone(), next.clone(), more_error.clone());
        use_effect_with(first.state.clone(), move |state| {
            more.set(Vec::new());
            more_error.set(None);
            next.set(match state {
                Remote::Ready(page) => page.next.clone(),
                _ => None,
            });
        });
    }
    let load_more = {
        let api = session.api();
        let action = (*action).clone();
        let (more, next, more_error, loading_more) = (
            more.clone(),
            next.clone(),
            more_error.clone(),
            loading_more.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(cursor) = (*next).clone() else {
                return;
            };
            let (api, action) = (api.clone(), action.clone());
            let (more, next, more_error, loading_more) = (
                more.clone(),
                next.clone(),
                more_error.clone(),
                loading_more.clone(),
            );
            loading_more.set(true);
            spawn(async move {
                let filter = (!action.is_empty()).then_some(action.as_str());
                let result = api.audit(filter, Some(&cursor)).await;
                loading_more.set(false);
                match result {
                    Ok(page) => {
                        let mut all = (*more).clone();
                        all.extend(page.items);
                        more.set(all);
                        next.set(page.next);
                        more_error.set(None);
                    }
                    Err(err) => more_error.set(Some(err)),
                }
            });
        })
    };

    let mut options = vec![(
        AttrValue::from(""),
        AttrValue::from(i18n.t("audit.all_actions")),
    )];
    options.extend(
        ACTIONS
            .iter()
            .map(|a| (AttrValue::from(*a), AttrValue::from(action_text(&i18n, a)))),
    );
    let body = match first.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => html! { <ErrorState {error} retry={first.retry.clone()} /> },
        Remote::Ready(page) => {
            let entries: Vec<&AuditEntry> = page.items.iter().chain(more.iter()).collect();
            html! {
                <>
                    { audit_table(&i18n, &entries) }
                    <FormAlert error={(*more_error).clone()} />
                    if next.is_some() {
                        <button type="button" class="btn btn-outline-primary" data-testid="audit-more"
                            disabled={*loading_more} onclick={load_more}>
                            { i18n.t("audit.more") }
                        </button>
                    }
                </>
            }
        }
    };
    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("audit.intro") }</p>
            <div class="cortile-narrow">
                <SelectField
                    id="audit-action"
                    label={i18n.t("audit.filter")}
                    value={AttrValue::from((*action).clone())}
                    {options}
                    onchange={let s = action.clone(); Callback::from(move |v| s.set(v))}
                    testid="audit-action"
                />
            </div>
            { body }
        </>
    }
}

fn audit_table(i18n: &I18n, entries: &[&AuditEntry]) -> Html {
    if entries.is_empty() {
        return html! { <p>{ i18n.t("audit.none") }</p> };
    }
    let dash = || "—".to_owned();
    html! {
        <ScrollTable label={i18n.t("audit.caption")}>
            <table class="table table-striped cortile-table">
                <caption class="caption-top">{ i18n.t("audit.caption") }</caption>
                <thead>
                    <tr>
                        <th scope="col">{ i18n.t("audit.col_when") }</th>
                        <th scope="col">{ i18n.t("audit.col_who") }</th>
                        <th scope="col">{ i18n.t("audit.col_for") }</th>
                        <th scope="col">{ i18n.t("audit.col_action") }</th>
                        <th scope="col">{ i18n.t("audit.col_object") }</th>
                        <th scope="col">{ i18n.t("audit.col_purpose") }</th>
                    </tr>
                </thead>
                <tbody>
                    { for entries.iter().map(|e| html! {
                        <tr data-testid="audit-row" key={e.id}>
                            <th scope="row"><time datetime={e.at.to_rfc3339()}>{ i18n.datetime(e.at) }</time></th>
                            <td>{ e.actor.as_ref().map(|u| u.display_name.clone()).unwrap_or_else(|| i18n.t("audit.system")) }</td>
                            <td>{ e.on_behalf_of.as_ref().map(|u| u.display_name.clone()).unwrap_or_else(dash) }</td>
                            <td>{ action_text(i18n, &e.action) }</td>
                            <td>{ match (&e.object_kind, e.object_id) {
                                (Some(kind), Some(id)) => format!("{kind} {id}"),
                                (Some(kind), None) => kind.clone(),
                                _ => dash(),
                            } }</td>
                            <td>{ e.purpose.clone().unwrap_or_else(dash) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </ScrollTable>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::Locale;

    #[test]
    fn every_known_action_has_words() {
        for locale in Locale::ALL {
            let i18n = I18n::fixed(locale);
            for action in ACTIONS {
                assert_ne!(action_text(&i18n, action), *action, "{action}");
            }
        }
        assert_eq!(
            action_text(&I18n::fixed(Locale::It), "brand.new"),
            "brand.new"
        );
    }
}
