//! `/banca-del-tempo/trasferisci`: give hours to one person or several (a group activity paid
//! in one transfer). Choose the people (among those I share a community with), the minutes
//! for each and what they are for; then a summary to confirm, since hours once given come back
//! only by a new transfer. One idempotency key per content of the form: a retry after a lost
//! answer moves nothing twice.

use cortile_shared::auth::UserRef;
use cortile_shared::timebank::{check_leg_minutes, Leg, NewTransfer, Recipients, Transfer};
use cortile_shared::ErrorCode;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{duration_text, field_problem, market_field_error};
use crate::api::ApiError;
use crate::app::Route;
use crate::components::{Breadcrumb, FormAlert, PeoplePicker, TextField};
use crate::focus::use_focus_on_change;
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::realtime::new_client_msg_id;
use crate::session::use_session;

/// A chosen person and the minutes typed for them.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    person: UserRef,
    minutes: String,
}

/// The lines as a request, or the first field that is not right (named as the server names
/// it, so that the same error shows in the same place).
fn request(lines: &[Line], memo: &str) -> Result<NewTransfer, ApiError> {
    if lines.is_empty() {
        return Err(field_problem("to", "required"));
    }
    let mut legs = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let field = format!("to[{i}].minutes");
        let minutes = match l.minutes.trim() {
            "" => return Err(field_problem(&field, "required")),
            m => m
                .parse::<i64>()
                .ok()
                .filter(|m| check_leg_minutes(&field, *m).is_none())
                .ok_or_else(|| field_problem(&field, "out_of_range"))?,
        };
        legs.push(Leg {
            to: l.person.id,
            minutes,
        });
    }
    Ok(NewTransfer {
        to: Recipients::Many(legs),
        minutes: None,
        memo: memo.trim().to_owned(),
    })
}

/// What is wrong with the `i`-th person or their minutes (said by the server, or found before
/// sending), in this page's words.
fn line_error(i18n: &I18n, error: Option<&ApiError>, i: usize) -> Option<AttrValue> {
    let error = error?;
    [("to", "person"), ("minutes", "minutes")]
        .into_iter()
        .find_map(|(field, words)| {
            let e = error.field(&format!("to[{i}].{field}"))?;
            let key = format!("transfer.error.{words}.{}", e.code);
            Some(AttrValue::from(if i18n.has(&key) {
                i18n.t(&key)
            } else {
                i18n.field_error(e)
            }))
        })
}

/// The step of the page on show: the form, its summary to confirm, or the transfer made.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Form,
    Review,
    Done,
}

#[function_component(GiveHoursPage)]
pub fn give_hours_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("transfer.title");
    use_document_title(Some(title.clone()));
    let account = {
        let api = session.api();
        use_remote(api, |api| async move { api.my_account().await })
    };
    let lines = use_state(Vec::<Line>::new);
    let memo = use_state(String::new);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    // The request being confirmed (the summary shows), and the transfer once made.
    let review = use_state(|| None::<NewTransfer>);
    let done = use_state(|| None::<Transfer>);
    // One key per content of the form: a retry (a lost answer) moves nothing twice.
    let key = use_state(new_client_msg_id);
    // Each step (form, summary, done) replaces the one holding the focused button: its
    // heading takes the focus, so that the reader goes on from there.
    let step_heading = use_node_ref();
    let step = match (done.is_some(), review.is_some()) {
        (true, _) => Step::Done,
        (false, true) => Step::Review,
        (false, false) => Step::Form,
    };
    use_focus_on_change(step, step_heading.clone());

    let changed = {
        let (key, error) = (key.clone(), error.clone());
        Callback::from(move |()| {
            key.set(new_client_msg_id());
            error.set(None);
        })
    };
    let on_people = {
        let (lines, changed) = (lines.clone(), changed.clone());
        Callback::from(move |people: Vec<UserRef>| {
            let next = people
                .into_iter()
                .map(|person| {
                    let minutes = lines
                        .iter()
                        .find(|l| l.person.id == person.id)
                        .map(|l| l.minutes.clone())
                        .unwrap_or_default();
                    Line { person, minutes }
                })
                .collect();
            lines.set(next);
            changed.emit(());
        })
    };
    let on_continue = {
        let (lines, memo, error, review, reload) = (
            lines.clone(),
            memo.clone(),
            error.clone(),
            review.clone(),
            account.retry.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match request(&lines, &memo) {
                Ok(req) => {
                    error.set(None);
                    review.set(Some(req));
                    // The summary weighs the total against the balance as it is now (hours
                    // received since the page opened count).
                    reload.emit(());
                }
                Err(e) => error.set(Some(e)),
            }
        })
    };
    let on_edit = {
        let review = review.clone();
        Callback::from(move |_: MouseEvent| review.set(None))
    };
    let on_confirm = {
        let (api, review, error, busy, done, key, retry) = (
            session.api(),
            review.clone(),
            error.clone(),
            busy.clone(),
            done.clone(),
            key.clone(),
            account.retry.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(req) = (*review).clone() else {
                return;
            };
            if *busy {
                return;
            }
            busy.set(true);
            let (api, review, error, busy, done, key, retry) = (
                api.clone(),
                review.clone(),
                error.clone(),
                busy.clone(),
                done.clone(),
                key.clone(),
                retry.clone(),
            );
            spawn(async move {
                let result = api.transfer(&req, &key).await;
                busy.set(false);
                match result {
                    Ok(t) => {
                        done.set(Some(t));
                        review.set(None);
                        key.set(new_client_msg_id());
                        retry.emit(());
                    }
                    Err(e) => {
                        // Back to the form, where the fields show what the server said.
                        review.set(None);
                        error.set(Some(e));
                    }
                }
            });
        })
    };
    let on_again = {
        let (lines, memo, done) = (lines.clone(), memo.clone(), done.clone());
        Callback::from(move |_: MouseEvent| {
            lines.set(Vec::new());
            memo.set(String::new());
            done.set(None);
        })
    };

    let available = match &account.state {
        Remote::Ready(a) => Some(a.available_minutes),
        _ => None,
    };
    let available_view = available.map(|a| {
        html! {
            <p data-testid="transfer-available" data-minutes={a.to_string()}>
                { i18n.tf("timebank.available_now", &[("available", &duration_text(&i18n, a))]) }
            </p>
        }
    });
    let err = (*error).as_ref();
    let alert_message = err
        .filter(|e| e.code() == Some(ErrorCode::InsufficientBalance))
        .map(|_| AttrValue::from(i18n.t("transfer.error.insufficient_balance")));

    let body = if let Some(t) = &*done {
        let given: i64 = t.entries.iter().map(|e| e.minutes).filter(|m| *m > 0).sum();
        let names: Vec<String> = t
            .entries
            .iter()
            .filter(|e| e.minutes > 0)
            .filter_map(|e| e.user.as_ref().map(|u| u.display_name.clone()))
            .collect();
        html! {
            <section class="alert alert-success" aria-labelledby="transfer-done-title" data-testid="transfer-done">
                <h2 id="transfer-done-title" class="h5 mb-2" tabindex="-1" ref={step_heading.clone()}>
                    { i18n.tf("transfer.done", &[("minutes", &duration_text(&i18n, given)), ("names", &i18n.list(&names))]) }
                </h2>
                <div class="d-flex flex-wrap gap-2">
                    <Link<Route> to={Route::Statement} classes="btn btn-outline-primary">{ i18n.t("timebank.statement") }</Link<Route>>
                    <Link<Route> to={Route::TimeBank} classes="btn btn-outline-primary">{ i18n.t("timebank.title") }</Link<Route>>
                    <button type="button" class="btn btn-primary" onclick={on_again} data-testid="transfer-again">
                        { i18n.t("transfer.again") }
                    </button>
                </div>
            </section>
        }
    } else if let Some(req) = &*review {
        let Recipients::Many(legs) = &req.to else {
            return html! {};
        };
        let total: i64 = legs.iter().map(|l| l.minutes).sum();
        html! {
            <section class="card card-bg shadow-sm mb-4" aria-labelledby="transfer-review-title" data-testid="transfer-review">
                <div class="card-body">
                    <h2 id="transfer-review-title" class="h4" tabindex="-1" ref={step_heading.clone()}>{ i18n.t("transfer.review") }</h2>
                    <ul class="list-group mb-3">
                        { for legs.iter().map(|leg| {
                            let name = lines.iter().find(|l| l.person.id == leg.to)
                                .map(|l| l.person.display_name.clone()).unwrap_or_default();
                            html! {
                                <li key={leg.to.0} class="list-group-item d-flex justify-content-between" data-testid="transfer-review-line">
                                    <span>{ name }</span>
                                    <strong>{ duration_text(&i18n, leg.minutes) }</strong>
                                </li>
                            }
                        }) }
                    </ul>
                    <p class="mb-1" data-testid="transfer-total">
                        { i18n.tf("transfer.total", &[("minutes", &duration_text(&i18n, total))]) }
                    </p>
                    if !req.memo.is_empty() {
                        <p class="mb-1">{ i18n.tf("transfer.memo_is", &[("memo", &req.memo)]) }</p>
                    }
                    if let Some(a) = available.filter(|a| *a >= total) {
                        <p class="mb-3">{ i18n.tf("transfer.left", &[("available", &duration_text(&i18n, a - total))]) }</p>
                    }
                    if let Some(a) = available.filter(|a| *a < total) {
                        <p class="alert alert-warning mb-3" data-testid="transfer-too-much">
                            { i18n.tf("transfer.too_much", &[("available", &duration_text(&i18n, a.max(0)))]) }
                        </p>
                    }
                    <p class="cortile-help">{ i18n.t("transfer.final") }</p>
                    <div class="d-flex flex-wrap gap-2">
                        <button type="button" class="btn btn-primary" onclick={on_confirm} disabled={*busy || available.is_some_and(|a| a < total)} data-testid="transfer-confirm">
                            { if *busy { i18n.t("transfer.sending") } else { i18n.t("transfer.confirm") } }
                        </button>
                        <button type="button" class="btn btn-outline-secondary" onclick={on_edit} disabled={*busy} data-testid="transfer-edit">
                            { i18n.t("transfer.edit") }
                        </button>
                    </div>
                </div>
            </section>
        }
    } else {
        let people: Vec<UserRef> = lines.iter().map(|l| l.person.clone()).collect();
        html! {
            <form onsubmit={on_continue} novalidate=true aria-labelledby="transfer-form-title" data-testid="transfer-form">
                <h2 id="transfer-form-title" class="h4" tabindex="-1" ref={step_heading.clone()}>{ i18n.t("transfer.form_heading") }</h2>
                <FormAlert error={(*error).clone()} message={alert_message} testid="transfer-alert" />
                <PeoplePicker id="transfer-people" selected={people} onchange={on_people}
                    legend={AttrValue::from(i18n.t("transfer.people"))}
                    error={market_field_error(&i18n, err, "to")} />
                { for lines.iter().enumerate().map(|(i, l)| {
                    let set = {
                        let (lines, changed) = (lines.clone(), changed.clone());
                        Callback::from(move |v: String| {
                            let mut next = (*lines).clone();
                            if let Some(line) = next.get_mut(i) {
                                line.minutes = v;
                            }
                            lines.set(next);
                            changed.emit(());
                        })
                    };
                    html! {
                        <TextField key={l.person.id.0} id={format!("transfer-minutes-{i}")} kind="number"
                            label={i18n.tf("transfer.minutes_for", &[("name", &l.person.display_name)])}
                            help={AttrValue::from(i18n.t("transfer.minutes_help"))}
                            value={l.minutes.clone()} oninput={set}
                            error={line_error(&i18n, err, i)}
                            testid={format!("transfer-minutes-{i}")} />
                    }
                }) }
                <TextField id="transfer-memo" label={i18n.t("transfer.memo")} value={(*memo).clone()}
                    help={AttrValue::from(i18n.t("transfer.memo_help"))}
                    oninput={{ let (memo, changed) = (memo.clone(), changed.clone()); Callback::from(move |v: String| { memo.set(v); changed.emit(()); }) }}
                    error={market_field_error(&i18n, err, "memo")} testid="transfer-memo" />
                <button type="submit" class="btn btn-primary" data-testid="transfer-continue">{ i18n.t("transfer.continue") }</button>
            </form>
        }
    };

    html! {
        <>
            <Breadcrumb parents={vec![(Route::TimeBank, AttrValue::from(i18n.t("timebank.title")))]} current={AttrValue::from(title.clone())} />
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("transfer.intro") }</p>
            { for available_view }
            { body }
        </>
    }
}

#[cfg(test)]
mod tests {
    use cortile_shared::UserId;

    use super::*;

    fn line(id: i64, minutes: &str) -> Line {
        Line {
            person: UserRef {
                id: UserId(id),
                display_name: format!("P{id}"),
            },
            minutes: minutes.into(),
        }
    }

    fn first_error(r: Result<NewTransfer, ApiError>) -> (String, String) {
        let e = r.expect_err("refused");
        let f = &e.field_errors()[0];
        (f.field.clone(), f.code.clone())
    }

    #[test]
    fn the_request_names_the_field_that_is_not_right() {
        let pair = |f: &str, c: &str| (f.to_owned(), c.to_owned());
        assert_eq!(first_error(request(&[], "")), pair("to", "required"));
        assert_eq!(
            first_error(request(&[line(1, " ")], "")),
            pair("to[0].minutes", "required")
        );
        assert_eq!(
            first_error(request(&[line(1, "30"), line(2, "0")], "")),
            pair("to[1].minutes", "out_of_range")
        );
        assert_eq!(
            first_error(request(&[line(1, "6001")], "")),
            pair("to[0].minutes", "out_of_range")
        );
        assert_eq!(
            first_error(request(&[line(1, "1,5")], "")),
            pair("to[0].minutes", "out_of_range")
        );
        let ok = request(&[line(1, "30"), line(2, " 45 ")], "  corso  ").expect("a request");
        assert_eq!(
            ok,
            NewTransfer {
                to: Recipients::Many(vec![
                    Leg {
                        to: UserId(1),
                        minutes: 30
                    },
                    Leg {
                        to: UserId(2),
                        minutes: 45
                    },
                ]),
                minutes: None,
                memo: "corso".into(),
            }
        );
    }
}
