//! `/segnalazioni/quadro/:id`: the committee's board of an estate: open reports by category
//! and age, overdue, reopened, the average time to resolve, and the CSV for meetings.

use cortile_shared::maintenance::AGE_BUCKETS;
use cortile_shared::EstateId;
use yew::prelude::*;

use crate::components::{ErrorState, Loading, ScrollTable};
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
