//! `/banca-del-tempo/scambi/:id`: an exchange — its state and dates, the steps the reader may
//! take now (accept, complete, confirm, cancel, dispute; staff resolve), its messages and,
//! once confirmed, the reviews.

use std::rc::Rc;

use chrono::{DateTime, Utc};
use cortile_shared::market::{Exchange, NewReview, Outcome, PriceType, Resolution};
use cortile_shared::ExchangeId;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{duration_text, field_problem, market_field_error, state_text, step_error_key};
use crate::api::ApiError;
use crate::app::Route;
use crate::components::{Breadcrumb, ErrorState, FormAlert, Loading, SelectField, TextField};
use crate::focus::{focus_selector, focus_testid, testid_selector};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::pages::community::time_view;
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct ExchangePageProps {
    pub id: ExchangeId,
}

fn timeline(i18n: &I18n, e: &Exchange) -> Html {
    let rows: Vec<(&str, Option<DateTime<Utc>>)> = vec![
        ("exchange.at.proposed", Some(e.proposed_at)),
        ("exchange.at.accepted", e.accepted_at),
        ("exchange.at.completed", e.completed_at),
        ("exchange.at.confirmed", e.confirmed_at),
        ("exchange.at.disputed", e.disputed_at),
        ("exchange.at.cancelled", e.cancelled_at),
        ("exchange.at.resolved", e.resolved_at),
    ];
    html! {
        <ol class="cortile-timeline" data-testid="exchange-timeline">
            { for rows.into_iter().filter_map(|(k, at)| at.map(|at| html! {
                <li>{ i18n.t(k) }{ ": " }{ time_view(i18n, at) }</li>
            })) }
        </ol>
    }
}

/// The text of `key` for this exchange: exchanges in euro or free move no hours, and their
/// words (`<key>_free`, where there are such) do not speak of paying hours.
fn price_key(i18n: &I18n, key: &str, price_type: PriceType) -> String {
    let free = format!("{key}_free");
    if price_type != PriceType::Hours && i18n.has(&free) {
        free
    } else {
        key.to_owned()
    }
}

/// The steps that ask "are you sure?" before they are taken.
const ASKED: [&str; 3] = ["confirm", "cancel", "dispute"];

/// The heading of the steps, which takes the focus once a step is taken.
const ACTIONS_HEADING: &str = "#exchange-actions-heading";

/// The heading of the reviews, which takes the focus once a review is made.
const REVIEWS_HEADING: &str = "#reviews-heading";

/// Why a form of this page was refused, inside that form: "check the fields" when the server
/// named fields (each shows its own), else the refusal in words.
fn form_alert(i18n: &I18n, error: Option<&ApiError>, testid: &'static str) -> Html {
    let message = error
        .filter(|e| e.field_errors().is_empty())
        .map(|e| AttrValue::from(i18n.t(step_error_key(e))));
    html! { <FormAlert error={error.cloned()} {message} {testid} /> }
}

#[function_component(ExchangePage)]
pub fn exchange_page(props: &ExchangePageProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let loaded = {
        let api = session.api();
        use_remote((props.id, api), |(id, api)| async move {
            api.exchange(id).await
        })
    };
    // The latest answer of a step replaces what was loaded.
    let current = use_state(|| None::<Rc<Exchange>>);
    let messages = {
        let api = session.api();
        use_remote((props.id, api), |(id, api)| async move {
            api.exchange_messages(id).await
        })
    };
    let reviews = {
        let api = session.api();
        use_remote((props.id, api), |(id, api)| async move {
            api.exchange_reviews(id).await
        })
    };
    // Each form has its own error: a step's, a message's, a review's, a decision's.
    let error = use_state(|| None::<ApiError>);
    let message_error = use_state(|| None::<ApiError>);
    let review_error = use_state(|| None::<ApiError>);
    let resolve_error = use_state(|| None::<ApiError>);
    let done = use_state(|| None::<String>);
    // Each form waits for its answer before it can be sent again.
    let busy = use_state(|| false);
    let message_busy = use_state(|| false);
    let review_busy = use_state(|| false);
    let resolve_busy = use_state(|| false);
    let reason = use_state(String::new);
    let body = use_state(String::new);
    let rating = use_state(|| "5".to_owned());
    let review_text = use_state(String::new);
    let outcome = use_state(|| "confirm".to_owned());
    let note = use_state(String::new);
    let resolve_minutes = use_state(String::new);
    // The step that waits for "are you sure?" (confirm, cancel, dispute), and its question,
    // which takes the focus when it appears.
    let asking = use_state(|| None::<&'static str>);
    let question = use_node_ref();
    {
        let question = question.clone();
        use_effect_with(*asking, move |asking| {
            if asking.is_some() {
                if let Some(q) = question.cast::<web_sys::HtmlElement>() {
                    let _ = q.focus();
                }
            }
        });
    }
    // Where the focus goes after the next render (a CSS selector): a step's or a form's button
    // is disabled while it waits, and often gone once it is done, which drops the focus.
    let focus_next = use_mut_ref(|| None::<String>);
    {
        let focus_next = focus_next.clone();
        use_effect(move || {
            let next = focus_next.borrow_mut().take();
            if let Some(selector) = next {
                focus_selector(&selector);
            }
        });
    }
    let title = match (&*current, &loaded.state) {
        (Some(e), _) => Some(e.listing_title.clone()),
        (None, Remote::Ready(e)) => Some(e.listing_title.clone()),
        _ => None,
    };
    use_document_title(title.map(|t| i18n.tf("exchange.title", &[("title", &t)])));

    let e: Rc<Exchange> = match (&*current, &loaded.state) {
        (Some(e), _) if e.id == props.id => e.clone(),
        (_, Remote::Ready(e)) => e.clone(),
        (_, Remote::Loading) => return html! { <Loading /> },
        (_, Remote::Failed(err)) => {
            return html! { <ErrorState error={err.clone()} retry={loaded.retry.clone()} /> }
        }
    };

    let step = {
        let (api, current, error, done, busy, reason, asking) = (
            session.api(),
            current.clone(),
            error.clone(),
            done.clone(),
            busy.clone(),
            reason.clone(),
            asking.clone(),
        );
        let focus_next = focus_next.clone();
        let retry_messages = messages.retry.clone();
        let i18n = i18n.clone();
        let (id, price_type) = (e.id, e.price_type);
        Callback::from(move |name: &'static str| {
            if *busy {
                return;
            }
            busy.set(true);
            let (api, current, error, done, busy, reason, asking) = (
                api.clone(),
                current.clone(),
                error.clone(),
                done.clone(),
                busy.clone(),
                reason.clone(),
                asking.clone(),
            );
            let (retry_messages, focus_next) = (retry_messages.clone(), focus_next.clone());
            let i18n = i18n.clone();
            spawn(async move {
                let result = api.exchange_step(id, name, &reason).await;
                busy.set(false);
                asking.set(None);
                match result {
                    Ok(ex) => {
                        error.set(None);
                        done.set(Some(i18n.t(&price_key(
                            &i18n,
                            &format!("exchange.done.{name}"),
                            price_type,
                        ))));
                        reason.set(String::new());
                        current.set(Some(Rc::new(ex)));
                        retry_messages.emit(());
                        // What was done is read out (the status); the reader goes on from
                        // the steps, which may have changed.
                        *focus_next.borrow_mut() = Some(ACTIONS_HEADING.to_owned());
                    }
                    Err(err) => {
                        done.set(None);
                        error.set(Some(err));
                        // The question closed: back to the step's button, under the error.
                        *focus_next.borrow_mut() =
                            Some(testid_selector(&format!("exchange-{name}")));
                    }
                }
            });
        })
    };
    let price_type = e.price_type;
    // Accepting and completing happen at once; confirming (which moves hours), cancelling and
    // disputing first ask "are you sure?".
    let button = |name: &'static str, class: &'static str| {
        let expanded = ASKED
            .contains(&name)
            .then(|| (*asking == Some(name)).to_string());
        let (step, asking) = (step.clone(), asking.clone());
        let onclick = Callback::from(move |_: MouseEvent| {
            if ASKED.contains(&name) {
                asking.set(Some(name));
            } else {
                step.emit(name);
            }
        });
        html! {
            <button type="button" class={classes!("btn", class)} disabled={*busy}
                data-testid={format!("exchange-{name}")}
                aria-expanded={expanded}
                {onclick}>
                { i18n.t(&price_key(&i18n, &format!("exchange.action.{name}"), price_type)) }
            </button>
        }
    };
    // "Are you sure?" under the step's button: yes takes the step; no (or Escape) puts the
    // focus back on the button.
    let ask = |name: &'static str| {
        if *asking != Some(name) {
            return html! {};
        }
        let back = {
            let asking = asking.clone();
            Callback::from(move |()| {
                asking.set(None);
                focus_testid(&format!("exchange-{name}"));
            })
        };
        let onkeydown = {
            let back = back.clone();
            Callback::from(move |ev: KeyboardEvent| {
                if ev.key() == "Escape" {
                    ev.prevent_default();
                    back.emit(());
                }
            })
        };
        let yes = {
            let step = step.clone();
            Callback::from(move |_: MouseEvent| step.emit(name))
        };
        let text = match name {
            "confirm" if price_type == PriceType::Hours => i18n.tf(
                "exchange.ask.confirm",
                &[
                    ("time", &duration_text(&i18n, e.minutes)),
                    ("name", &e.provider.display_name),
                ],
            ),
            _ => i18n.t(&price_key(
                &i18n,
                &format!("exchange.ask.{name}"),
                price_type,
            )),
        };
        html! {
            <div class="alert alert-warning mb-3" role="group" tabindex="-1"
                aria-labelledby="exchange-ask-text" ref={question.clone()} {onkeydown}
                data-testid="exchange-ask">
                <p id="exchange-ask-text" class="mb-2">{ text }</p>
                <div class="d-flex flex-wrap gap-2">
                    <button type="button" class="btn btn-primary" disabled={*busy}
                        data-testid="exchange-sure" onclick={yes}>
                        { i18n.t(&price_key(&i18n, &format!("exchange.ask.yes.{name}"), price_type)) }
                    </button>
                    <button type="button" class="btn btn-outline-primary" disabled={*busy}
                        data-testid="exchange-back" onclick={back.reform(|_: MouseEvent| ())}>
                        { i18n.t("exchange.ask.back") }
                    </button>
                </div>
            </div>
        }
    };
    let send_message = {
        let (api, body, error, retry, busy) = (
            session.api(),
            body.clone(),
            message_error.clone(),
            messages.retry.clone(),
            message_busy.clone(),
        );
        let id = e.id;
        Callback::from(move |ev: SubmitEvent| {
            ev.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let text = (*body).clone();
            let (api, body, error, retry, busy) = (
                api.clone(),
                body.clone(),
                error.clone(),
                retry.clone(),
                busy.clone(),
            );
            spawn(async move {
                let result = api.send_exchange_message(id, &text).await;
                busy.set(false);
                match result {
                    Ok(_) => {
                        error.set(None);
                        body.set(String::new());
                        retry.emit(());
                        // Ready for the next message.
                        crate::focus::focus_id("message-body");
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let send_review = {
        let (api, rating, review_text, error, done, busy) = (
            session.api(),
            rating.clone(),
            review_text.clone(),
            review_error.clone(),
            done.clone(),
            review_busy.clone(),
        );
        let focus_next = focus_next.clone();
        let (retry_reviews, current) = (reviews.retry.clone(), current.clone());
        let i18n = i18n.clone();
        let id = e.id;
        Callback::from(move |ev: SubmitEvent| {
            ev.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let review = NewReview {
                rating: rating.parse().unwrap_or(0),
                body: (*review_text).clone(),
            };
            let (api, error, done, retry_reviews, current, busy) = (
                api.clone(),
                error.clone(),
                done.clone(),
                retry_reviews.clone(),
                current.clone(),
                busy.clone(),
            );
            let (i18n, focus_next) = (i18n.clone(), focus_next.clone());
            spawn(async move {
                let result = api.review(id, &review).await;
                busy.set(false);
                // Made, the form gives way to the reviews (their heading takes the focus);
                // refused, back to its button, under the error.
                *focus_next.borrow_mut() = Some(match result {
                    Ok(_) => REVIEWS_HEADING.to_owned(),
                    Err(_) => testid_selector("review-submit"),
                });
                match result {
                    Ok(_) => {
                        error.set(None);
                        done.set(Some(i18n.t("exchange.done.review")));
                        retry_reviews.emit(());
                        if let Ok(ex) = api.exchange(id).await {
                            current.set(Some(Rc::new(ex)));
                        }
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let resolve = {
        let (api, outcome, note, minutes, error, done, current) = (
            session.api(),
            outcome.clone(),
            note.clone(),
            resolve_minutes.clone(),
            resolve_error.clone(),
            done.clone(),
            current.clone(),
        );
        let busy = resolve_busy.clone();
        let (i18n, focus_next) = (i18n.clone(), focus_next.clone());
        let id = e.id;
        let in_hours = e.minutes > 0;
        Callback::from(move |ev: SubmitEvent| {
            ev.prevent_default();
            if *busy {
                return;
            }
            let outcome = Outcome::parse(&outcome).unwrap_or(Outcome::Cancel);
            // Minutes only for a confirmation in hours (a cancellation pays nothing); left
            // empty, the minutes agreed; anything but a whole number is refused here.
            let minutes = match (outcome, in_hours, minutes.trim()) {
                (Outcome::Confirm, true, "") | (Outcome::Cancel, _, _) | (_, false, _) => None,
                (Outcome::Confirm, true, typed) => match typed.parse::<i64>() {
                    Ok(m) => Some(m),
                    Err(_) => {
                        error.set(Some(field_problem("minutes", "invalid_format")));
                        return;
                    }
                },
            };
            busy.set(true);
            let res = Resolution {
                outcome,
                minutes,
                note: (*note).clone(),
            };
            let (api, error, done, current, busy) = (
                api.clone(),
                error.clone(),
                done.clone(),
                current.clone(),
                busy.clone(),
            );
            let (i18n, focus_next) = (i18n.clone(), focus_next.clone());
            spawn(async move {
                let result = api.resolve_exchange(id, &res).await;
                busy.set(false);
                // Decided, the form goes and the reader goes on from the steps (the decision
                // is read out); refused, back to its button, under the error.
                *focus_next.borrow_mut() = Some(match result {
                    Ok(_) => ACTIONS_HEADING.to_owned(),
                    Err(_) => testid_selector("resolve-submit"),
                });
                match result {
                    Ok(ex) => {
                        error.set(None);
                        done.set(Some(i18n.t("exchange.done.resolve")));
                        current.set(Some(Rc::new(ex)));
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };

    let failed = (*error).as_ref();
    let message_failed = (*message_error).as_ref();
    let review_failed = (*review_error).as_ref();
    let resolve_failed = (*resolve_error).as_ref();
    let me = session.me().map(|m| m.id);
    let role = if Some(e.provider.id) == me {
        i18n.t("exchange.you_provide")
    } else if Some(e.receiver.id) == me {
        i18n.t("exchange.you_receive")
    } else {
        i18n.t("exchange.you_mediate")
    };
    let parents = vec![(Route::TimeBank, AttrValue::from(i18n.t("timebank.title")))];
    let heading = i18n.tf("exchange.title", &[("title", &e.listing_title)]);
    let messages_view = match &messages.state {
        Remote::Ready(list) if list.is_empty() => {
            html! { <p>{ i18n.t("exchange.no_messages") }</p> }
        }
        Remote::Ready(list) => html! {
            <ol class="list-unstyled" data-testid="exchange-messages">
                { for list.iter().map(|m| html! {
                    <li class="mb-2" data-testid="exchange-message" key={m.id}>
                        <strong>{ m.author.display_name.clone() }</strong>{ ", " }{ time_view(&i18n, m.created_at) }
                        <p class="mb-0 cortile-pre">{ m.body.clone() }</p>
                    </li>
                }) }
            </ol>
        },
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(err) => {
            html! { <ErrorState error={err.clone()} retry={messages.retry.clone()} /> }
        }
    };
    let reviews_view = match &reviews.state {
        Remote::Ready(list) if !list.is_empty() => html! {
            <ul class="list-unstyled" data-testid="exchange-reviews">
                { for list.iter().map(|r| html! {
                    <li class="mb-2" data-testid="exchange-review" key={r.id}>
                        { i18n.tf("review.line", &[("author", &r.author.display_name), ("subject", &r.subject.display_name), ("rating", &r.rating.to_string())]) }
                        if !r.body.is_empty() {
                            <p class="mb-0 cortile-pre">{ r.body.clone() }</p>
                        }
                    </li>
                }) }
            </ul>
        },
        Remote::Ready(_) => html! {},
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(err) => {
            html! { <ErrorState error={err.clone()} retry={reviews.retry.clone()} /> }
        }
    };
    // News about this exchange on the socket: everything loaded again, on request.
    let reload_all = {
        let (current, a, b, c) = (
            current.clone(),
            loaded.retry.clone(),
            messages.retry.clone(),
            reviews.retry.clone(),
        );
        Callback::from(move |()| {
            current.set(None);
            a.emit(());
            b.emit(());
            c.emit(());
        })
    };
    let c = e.can;
    html! {
        <>
            <Breadcrumb {parents} current={heading.clone()} />
            <crate::realtime::LiveUpdateNotice retry={reload_all} />
            <h1 data-testid="page-title">{ heading }</h1>
            <p>
                <Link<Route> to={Route::Listing { id: e.listing_id }}>{ i18n.t("exchange.see_listing") }</Link<Route>>
            </p>
            <dl class="row">
                <dt class="col-sm-4">{ i18n.t("exchange.state") }</dt>
                <dd class="col-sm-8"><span class="badge bg-primary" data-testid="exchange-state" data-state={e.state.as_str()}>{ state_text(&i18n, e.state) }</span></dd>
                <dt class="col-sm-4">{ i18n.t("exchange.provider") }</dt>
                <dd class="col-sm-8">{ e.provider.display_name.clone() }</dd>
                <dt class="col-sm-4">{ i18n.t("exchange.receiver") }</dt>
                <dd class="col-sm-8">{ e.receiver.display_name.clone() }</dd>
                if e.price_type == PriceType::Hours {
                    <dt class="col-sm-4">{ i18n.t("exchange.minutes") }</dt>
                    <dd class="col-sm-8" data-testid="exchange-minutes">{ duration_text(&i18n, e.minutes) }</dd>
                }
                if let Some(r) = &e.dispute_reason {
                    <dt class="col-sm-4">{ i18n.t("exchange.dispute_reason") }</dt>
                    <dd class="col-sm-8">{ r.clone() }</dd>
                }
                if let Some(n) = &e.resolution_note {
                    <dt class="col-sm-4">{ i18n.t("exchange.resolution_note") }</dt>
                    <dd class="col-sm-8">{ n.clone() }</dd>
                }
            </dl>
            <p>{ role }</p>
            { timeline(&i18n, &e) }
            <div aria-live="polite" data-testid="exchange-status">
                if let Some(text) = &*done {
                    <p class="alert alert-success" data-testid="exchange-done">{ text.clone() }</p>
                }
            </div>
            <section aria-labelledby="exchange-actions-heading" class="mb-4">
                <h2 id="exchange-actions-heading" class="h4" tabindex="-1">{ i18n.t("exchange.actions") }</h2>
                { form_alert(&i18n, failed, "exchange-error") }
                <p class="cortile-help">{ i18n.t(&price_key(&i18n, &format!("exchange.next.{}", e.state.as_str()), e.price_type)) }</p>
                <div class="d-flex flex-wrap gap-2 mb-3">
                    if c.accept { { button("accept", "btn-primary") } }
                    if c.complete { { button("complete", "btn-primary") } }
                    if c.confirm { { button("confirm", "btn-primary") } }
                    if c.cancel { { button("cancel", "btn-outline-danger") } }
                </div>
                { ask("confirm") }
                { ask("cancel") }
                if c.dispute || c.cancel {
                    <TextField id="exchange-reason" multiline=true label={i18n.t("exchange.reason")}
                        help={i18n.t("exchange.reason_help")} value={(*reason).clone()}
                        oninput={let s = reason.clone(); Callback::from(move |v| s.set(v))}
                        error={market_field_error(&i18n, failed, "reason")} testid="exchange-reason" />
                }
                if c.dispute {
                    <div class="mb-3">{ button("dispute", "btn-outline-danger") }</div>
                    { ask("dispute") }
                }
            </section>
            if c.resolve {
                <section aria-labelledby="resolve-heading" class="card card-bg shadow-sm mb-4">
                    <form class="card-body" onsubmit={resolve} novalidate=true>
                        <h2 id="resolve-heading" class="h4">{ i18n.t("exchange.resolve_heading") }</h2>
                        { form_alert(&i18n, resolve_failed, "resolve-error") }
                        <SelectField id="resolve-outcome" label={i18n.t("exchange.outcome")}
                            value={AttrValue::from((*outcome).clone())}
                            options={vec![
                                (AttrValue::from("confirm"), AttrValue::from(i18n.t("exchange.outcome.confirm"))),
                                (AttrValue::from("cancel"), AttrValue::from(i18n.t("exchange.outcome.cancel"))),
                            ]}
                            onchange={let s = outcome.clone(); Callback::from(move |v| s.set(v))}
                            testid="resolve-outcome" />
                        if *outcome == "confirm" && e.minutes > 0 {
                            <TextField id="resolve-minutes" kind="number" label={i18n.t("exchange.resolve_minutes")}
                                help={i18n.tf("exchange.resolve_minutes_help", &[("time", &duration_text(&i18n, e.minutes))])}
                                value={(*resolve_minutes).clone()}
                                oninput={let s = resolve_minutes.clone(); Callback::from(move |v| s.set(v))}
                                error={market_field_error(&i18n, resolve_failed, "minutes")} testid="resolve-minutes" />
                        }
                        <TextField id="resolve-note" multiline=true label={i18n.t("exchange.note")}
                            value={(*note).clone()} required=true
                            oninput={let s = note.clone(); Callback::from(move |v| s.set(v))}
                            error={market_field_error(&i18n, resolve_failed, "note")} testid="resolve-note" />
                        <button type="submit" class="btn btn-primary" disabled={*resolve_busy} data-testid="resolve-submit">{ i18n.t("exchange.resolve") }</button>
                    </form>
                </section>
            }
            <section aria-labelledby="messages-heading" class="mb-4">
                <h2 id="messages-heading" class="h4">{ i18n.t("exchange.messages") }</h2>
                { messages_view }
                if c.message {
                    <form onsubmit={send_message} novalidate=true>
                        { form_alert(&i18n, message_failed, "message-error") }
                        <TextField id="message-body" multiline=true label={i18n.t("exchange.message")}
                            value={(*body).clone()}
                            oninput={let s = body.clone(); Callback::from(move |v| s.set(v))}
                            error={market_field_error(&i18n, message_failed, "body")} testid="message-body" />
                        <button type="submit" class={classes!("btn", "btn-outline-primary", message_busy.then_some("disabled"))}
                            aria-disabled={message_busy.then_some("true")} data-testid="message-submit">{ i18n.t("exchange.send") }</button>
                    </form>
                }
            </section>
            <section aria-labelledby="reviews-heading" class="mb-4">
                <h2 id="reviews-heading" class="h4" tabindex="-1">{ i18n.t("exchange.reviews") }</h2>
                { reviews_view }
                if c.review {
                    <form onsubmit={send_review} novalidate=true>
                        { form_alert(&i18n, review_failed, "review-error") }
                        <SelectField id="review-rating" label={i18n.t("review.rating")}
                            value={AttrValue::from((*rating).clone())}
                            options={(1..=5).rev().map(|n| (AttrValue::from(n.to_string()), AttrValue::from(i18n.tf("review.stars", &[("rating", &n.to_string())])))).collect::<Vec<_>>()}
                            onchange={let s = rating.clone(); Callback::from(move |v| s.set(v))}
                            error={market_field_error(&i18n, review_failed, "rating")}
                            testid="review-rating" />
                        <TextField id="review-body" multiline=true label={i18n.t("review.body")}
                            value={(*review_text).clone()}
                            oninput={let s = review_text.clone(); Callback::from(move |v| s.set(v))}
                            error={market_field_error(&i18n, review_failed, "body")} testid="review-body" />
                        <button type="submit" class="btn btn-primary" disabled={*review_busy} data-testid="review-submit">{ i18n.t("review.submit") }</button>
                    </form>
                } else if e.reviewed {
                    <p data-testid="review-done">{ i18n.t("review.done") }</p>
                }
            </section>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::Locale;

    #[test]
    fn exchanges_without_hours_do_not_speak_of_paying_hours() {
        for locale in Locale::ALL {
            let i18n = I18n::fixed(locale);
            for key in [
                "exchange.action.confirm",
                "exchange.done.confirm",
                "exchange.next.completed",
            ] {
                assert_eq!(price_key(&i18n, key, PriceType::Hours), key);
                for p in [PriceType::Euro, PriceType::Free] {
                    let free = price_key(&i18n, key, p);
                    assert_eq!(free, format!("{key}_free"));
                    let text = i18n.t(&free).to_lowercase();
                    assert!(!text.contains("paga") && !text.contains("pay"), "{text}");
                }
            }
            assert_eq!(
                price_key(&i18n, "exchange.action.accept", PriceType::Free),
                "exchange.action.accept"
            );
        }
    }
}
