//! `/segnalazioni/quadro/:id`: the committee's board of an estate: open reports by category
//! and age, overdue, reopened, the average time to resolve, and the CSV for meetings.
//! `/segnalazioni/quadro`: the manager's people choose the estate whose board they want.

use cortile_shared::maintenance::AGE_BUCKETS;
use cortile_shared::EstateId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;

use crate::components::{ErrorState, Loading, ScrollTable, SelectField};
use crate::hooks::{use_document_title, use_remote, Remote};
use crate::i18n::use_i18n;
use crate::pages::maintenance::category_text;
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct BoardPageProps {
    pub id: EstateId,
}

#[function_component(BoardPage)]
pub fn board_page(props: &BoardPageProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let board = {
        let api = session.api();
        use_remote((props.id, api), |(id, api)| async move {
            api.maintenance_board(id).await
        })
    };
    let title = match &board.state {
        Remote::Ready(b) => i18n.tf("board.title", &[("estate", &b.estate_name)]),
        _ => i18n.t("board.title_plain"),
    };
    use_document_title(Some(title.clone()));
    let body = match &board.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => html! { <ErrorState error={e.clone()} retry={board.retry.clone()} /> },
        Remote::Ready(b) => html! {
            <>
                <dl class="row cortile-details" data-testid="board-totals">
                    <dt class="col-sm-6 col-md-4">{ i18n.t("board.open") }</dt>
                    <dd class="col-sm-6 col-md-8" data-testid="board-open">{ i18n.int(b.open) }</dd>
                    <dt class="col-sm-6 col-md-4">{ i18n.t("board.overdue") }</dt>
                    <dd class="col-sm-6 col-md-8">{ i18n.int(b.overdue) }</dd>
                    <dt class="col-sm-6 col-md-4">{ i18n.t("board.reopened") }</dt>
                    <dd class="col-sm-6 col-md-8">{ i18n.int(b.reopened) }</dd>
                    <dt class="col-sm-6 col-md-4">{ i18n.t("board.average") }</dt>
                    <dd class="col-sm-6 col-md-8">
                        { match b.average_days_to_resolve {
                            Some(d) => i18n.tf("board.days", &[("n", &i18n.decimal(d, 1))]),
                            None => i18n.t("board.no_average"),
                        } }
                        { " " }{ i18n.tf("board.resolved_year", &[("n", &i18n.int(b.resolved_last_365_days))]) }
                    </dd>
                </dl>
                <p>
                    <a class="btn btn-outline-primary" href={crate::api::board_csv_url(b.estate_id)} download="" data-testid="board-csv">
                        { i18n.t("board.csv") }
                    </a>
                </p>
                <ScrollTable label={i18n.t("board.caption")}>
                    <table class="table" data-testid="board-table">
                        <caption>{ i18n.t("board.caption") }</caption>
                        <thead><tr>
                            <th scope="col">{ i18n.t("board.category") }</th>
                            <th scope="col">{ i18n.t("board.open") }</th>
                            { for AGE_BUCKETS.iter().map(|(name, _)| html! { <th scope="col">{ i18n.t(&format!("board.age.{name}")) }</th> }) }
                            <th scope="col">{ i18n.t("board.overdue") }</th>
                            <th scope="col">{ i18n.t("board.reopened") }</th>
                        </tr></thead>
                        <tbody>
                            { for b.lines.iter().map(|l| html! {
                                <tr data-category={l.category.as_str()}>
                                    <th scope="row">{ category_text(&i18n, l.category) }</th>
                                    <td>{ i18n.int(l.open) }</td>
                                    { for l.by_age.iter().map(|n| html! { <td>{ i18n.int(*n) }</td> }) }
                                    <td>{ i18n.int(l.overdue) }</td>
                                    <td>{ i18n.int(l.reopened) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </ScrollTable>
                <p class="form-text">{ i18n.tf("board.generated", &[("at", &i18n.datetime(b.generated_at))]) }</p>
            </>
        },
    };
    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("board.intro") }</p>
            { body }
        </>
    }
}

/// The estate whose board to open (staff serve every estate; the committee has its own link).
#[function_component(BoardsPage)]
pub fn boards_page() -> Html {
    let i18n = use_i18n();
    let navigator = use_navigator();
    let title = i18n.t("boards.title");
    use_document_title(Some(title.clone()));
    let estates = use_remote((), |_| crate::api::list_all_estates());
    let chosen = use_state(String::new);
    let error = use_state(|| false);
    let onsubmit = {
        let (chosen, error) = (chosen.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match chosen.parse::<i64>() {
                Ok(id) => {
                    if let Some(n) = &navigator {
                        n.push(&Route::Board { id: EstateId(id) });
                    }
                }
                Err(_) => error.set(true),
            }
        })
    };
    let body = match &estates.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => {
            html! { <ErrorState error={e.clone()} retry={estates.retry.clone()} /> }
        }
        Remote::Ready(list) => {
            let mut list = list.to_vec();
            list.sort_by(|a, b| a.name.cmp(&b.name));
            let mut options = vec![(
                AttrValue::from(""),
                AttrValue::from(i18n.t("picker.choose")),
            )];
            options.extend(list.iter().map(|e| {
                (
                    AttrValue::from(e.id.0.to_string()),
                    AttrValue::from(e.name.clone()),
                )
            }));
            html! {
                <form class="cortile-narrow" onsubmit={onsubmit} novalidate=true data-testid="boards-form">
                    <SelectField id="boards-estate" label={i18n.t("picker.estate")} value={AttrValue::from((*chosen).clone())}
                        options={options} testid="boards-estate"
                        error={error.then(|| AttrValue::from(i18n.t("boards.choose_first")))}
                        onchange={let (c, e) = (chosen.clone(), error.clone()); Callback::from(move |v: String| { e.set(false); c.set(v); })} />
                    <button type="submit" class="btn btn-primary" data-testid="boards-open">{ i18n.t("boards.open") }</button>
                </form>
            }
        }
    };
    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("boards.intro") }</p>
            { body }
        </>
    }
}
