//! `/banca-del-tempo/estratto-conto`: my statement, newest first, and the CSV download.

use cortile_shared::timebank::StatementLine;
use yew::prelude::*;

use super::duration_text;
use crate::app::Route;
use crate::components::{Breadcrumb, ErrorState, Loading, ScrollTable};
use crate::hooks::{use_document_title, use_remote, Remote};
use crate::i18n::use_i18n;
use crate::pages::community::{more_button, time_view};
use crate::session::use_session;

#[function_component(StatementPage)]
pub fn statement_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("statement.title");
    use_document_title(Some(title.clone()));
    let first = {
        let api = session.api();
        use_remote(api, |api| async move { api.statement(None).await })
    };
    let more = use_state(Vec::<StatementLine>::new);
    let next = use_state(|| None::<Option<String>>);
    let loading = use_state(|| false);
    let more_error = use_state(|| None::<crate::api::ApiError>);
    let parents = vec![(Route::TimeBank, AttrValue::from(i18n.t("timebank.title")))];
    let body = match &first.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => html! { <ErrorState error={e.clone()} retry={first.retry.clone()} /> },
        Remote::Ready(page) if page.items.is_empty() => {
            html! { <p>{ i18n.t("statement.empty") }</p> }
        }
        Remote::Ready(page) => {
            let cursor = match &*next {
                Some(c) => c.clone(),
                None => page.next.clone(),
            };
            let load_more = {
                let (api, more, next, loading, more_error) = (
                    session.api(),
                    more.clone(),
                    next.clone(),
                    loading.clone(),
                    more_error.clone(),
                );
                let cursor = cursor.clone();
                Callback::from(move |()| {
                    let Some(c) = cursor.clone() else { return };
                    loading.set(true);
                    let (api, more, next, loading, more_error) = (
                        api.clone(),
                        more.clone(),
                        next.clone(),
                        loading.clone(),
                        more_error.clone(),
                    );
                    crate::hooks::spawn(async move {
                        let result = api.statement(Some(&c)).await;
                        loading.set(false);
                        match result {
                            Ok(p) => {
                                more_error.set(None);
                                let mut all = (*more).clone();
                                all.extend(p.items);
                                more.set(all);
                                next.set(Some(p.next));
                            }
                            Err(e) => more_error.set(Some(e)),
                        }
                    });
                })
            };
            let rows = page.items.iter().chain(more.iter()).map(|l| {
                let names: Vec<String> = l.counterparties.iter().map(|u| u.display_name.clone()).collect();
                html! {
                    <tr data-testid="statement-line" key={l.entry_id}>
                        <td>{ time_view(&i18n, l.at) }</td>
                        <td>{ i18n.t(&format!("statement.kind.{}", l.kind.as_str())) }</td>
                        <td>{ if names.is_empty() { i18n.t("statement.bank") } else { names.join(", ") } }</td>
                        <td>{ l.memo.clone() }</td>
                        <td class="text-end" data-testid="statement-minutes">{ duration_text(&i18n, l.minutes) }</td>
                        <td class="text-end">{ duration_text(&i18n, l.balance_after) }</td>
                    </tr>
                }
            });
            html! {
                <>
                    <ScrollTable label={title.clone()}>
                        <table class="table">
                            <caption class="visually-hidden">{ title.clone() }</caption>
                            <thead>
                                <tr>
                                    <th scope="col">{ i18n.t("statement.at") }</th>
                                    <th scope="col">{ i18n.t("statement.kind") }</th>
                                    <th scope="col">{ i18n.t("statement.with") }</th>
                                    <th scope="col">{ i18n.t("statement.memo") }</th>
                                    <th scope="col" class="text-end">{ i18n.t("statement.minutes") }</th>
                                    <th scope="col" class="text-end">{ i18n.t("statement.balance") }</th>
                                </tr>
                            </thead>
                            <tbody>{ for rows }</tbody>
                        </table>
                    </ScrollTable>
                    { more_button(cursor.is_some(), *loading, (*more_error).as_ref(), "statement-more", load_more) }
                </>
            }
        }
    };
    html! {
        <>
            <Breadcrumb {parents} current={title.clone()} />
            <h1 data-testid="page-title">{ title }</h1>
            <p>
                <a class="btn btn-outline-primary" href={crate::api::statement_csv_url(i18n.locale)} download="" data-testid="statement-csv">
                    { i18n.t("statement.csv") }
                </a>
            </p>
            { body }
        </>
    }
}
