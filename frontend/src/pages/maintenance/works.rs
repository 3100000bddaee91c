//! `/lavori`: planned extraordinary works in the places the reader may see, and (for staff)
//! the form that announces new ones to the affected buildings.

use chrono::NaiveDate;
use cortile_shared::maintenance::{NewWorks, Rating, Works};
use cortile_shared::BuildingId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::{field_error, ErrorState, FormAlert, Loading, TextField};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::use_i18n;
use crate::pages::community::PostBody;
use crate::pages::maintenance::WORKS_ANNOUNCERS;
use crate::session::use_session;

#[function_component(WorksPage)]
pub fn works_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("works.title");
    use_document_title(Some(title.clone()));
    let version = use_state(|| 0u32);
    let list = {
        let api = session.api();
        use_remote((api, *version), |(api, _)| async move { api.works().await })
    };
    let announcer = session.has_any(WORKS_ANNOUNCERS);
    let on_announced = {
        let version = version.clone();
        Callback::from(move |_: Works| version.set(version.wrapping_add(1)))
    };
    // A rating sent: the list again (the average and "your rating" change).
    let on_rated = {
        let version = version.clone();
        Callback::from(move |_: Works| version.set(version.wrapping_add(1)))
    };
    let body = match &list.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => html! { <ErrorState error={e.clone()} retry={list.retry.clone()} /> },
        Remote::Ready(all) if all.is_empty() => {
            html! { <p data-testid="works-empty">{ i18n.t("works.empty") }</p> }
        }
        Remote::Ready(all) => html! {
            <ul class="list-unstyled" data-testid="works-list">
                { for all.iter().map(|w| {
                    let heading = format!("works-{}", w.id);
                    html! {
                        <li key={w.id} class="card card-bg shadow-sm mb-3 cortile-card" data-testid="works-item">
                            <article class="card-body" aria-labelledby={heading.clone()}>
                                <h2 id={heading} class="h5">{ w.title.clone() }</h2>
                                <p class="cortile-post-meta">
                                    { i18n.tf("works.dates", &[("from", &i18n.date(w.starts_on)), ("to", &i18n.date(w.ends_on))]) }
                                </p>
                                <PostBody html={AttrValue::from(w.description_html.clone())} />
                                if !w.disruptions.is_empty() {
                                    <h3 class="h6">{ i18n.t("works.disruptions") }</h3>
                                    <ul>{ for w.disruptions.iter().map(|d| html! { <li>{ d.clone() }</li> }) }</ul>
                                }
                                <h3 class="h6">{ i18n.t("works.buildings") }</h3>
                                <ul>
                                    { for w.buildings.iter().map(|b| html! {
                                        <li>
                                            { b.address.clone() }{ " · " }
                                            <Link<Route> to={Route::Post { id: b.post_id }}>{ i18n.t("works.comment_there") }</Link<Route>>
                                        </li>
                                    }) }
                                </ul>
                                if let Some(avg) = w.average_rating {
                                    <p data-testid="works-average">{ i18n.tf("works.rating", &[("avg", &i18n.decimal(avg, 1)), ("n", &w.ratings.to_string())]) }</p>
                                }
                                if let Some(mine) = &w.my_rating {
                                    <p data-testid="works-my-rating">
                                        { i18n.tf("works.my_rating", &[("n", &mine.rating.to_string())]) }
                                        if let Some(c) = &mine.comment { { " — " }{ c.clone() } }
                                    </p>
                                }
                                if w.can_rate {
                                    <WorksRatingForm id={w.id} on_rated={on_rated.clone()} />
                                }
                            </article>
                        </li>
                    }
                }) }
            </ul>
        },
    };
    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("works.intro") }</p>
            { body }
            if announcer {
                <AnnounceForm on_announced={on_announced} />
            }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct WorksRatingFormProps {
    id: i64,
    on_rated: Callback<Works>,
}

/// A resident of an affected building rates the outcome of works that are over: 1 to 5 and
/// an optional comment, once.
#[function_component(WorksRatingForm)]
fn works_rating_form(props: &WorksRatingFormProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let stars = use_state(|| None::<i32>);
    let comment = use_state(String::new);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    let id = props.id;
    let onsubmit = {
        let api = session.api();
        let (stars, comment, error, busy) =
            (stars.clone(), comment.clone(), error.clone(), busy.clone());
        let on_rated = props.on_rated.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let Some(rating) = *stars else {
                error.set(Some(ApiError::Problem(
                    cortile_shared::Problem::new(cortile_shared::ErrorCode::ValidationFailed)
                        .with_errors(vec![cortile_shared::FieldError::new(
                            "rating",
                            "required",
                            "choose from 1 to 5",
                        )]),
                )));
                return;
            };
            let body = Rating {
                rating,
                comment: Some(comment.trim().to_owned()).filter(|c| !c.is_empty()),
            };
            busy.set(true);
            let (api, error, busy, on_rated) =
                (api.clone(), error.clone(), busy.clone(), on_rated.clone());
            spawn(async move {
                let result = api.rate_works(id, &body).await;
                busy.set(false);
                match result {
                    Ok(w) => on_rated.emit(w),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let err = (*error).clone();
    let heading = format!("works-rate-{id}");
    let legend_error = field_error(&i18n, err.as_ref(), "rating");
    html! {
        <section aria-labelledby={heading.clone()} class="cortile-narrow mt-3">
            <h3 id={heading} class="h6">{ i18n.t("works.rate_heading") }</h3>
            <form onsubmit={onsubmit} novalidate=true data-testid="works-rating-form">
                <FormAlert error={err.clone()} />
                <fieldset class="mb-3" aria-invalid={legend_error.is_some().then_some("true")}>
                    <legend class="form-label">{ i18n.t("report.rate_legend") }</legend>
                    { for (1..=5).map(|n| {
                        let fid = format!("works-{id}-rating-{n}");
                        let onchange = { let stars = stars.clone(); Callback::from(move |_: Event| stars.set(Some(n))) };
                        html! {
                            <div class="form-check form-check-inline">
                                <input id={fid.clone()} type="radio" name={format!("works-{id}-rating")} value={n.to_string()}
                                    checked={*stars == Some(n)} {onchange} data-testid={format!("works-rating-{n}")} />
                                <label for={fid}>{ i18n.t(&format!("report.rate.{n}")) }</label>
                            </div>
                        }
                    }) }
                    if let Some(e) = legend_error {
                        <p class="cortile-field-error">{ e }</p>
                    }
                </fieldset>
                <TextField id={format!("works-{id}-comment")} multiline=true label={i18n.t("report.rate_comment")}
                    value={(*comment).clone()} oninput={let c = comment.clone(); Callback::from(move |v| c.set(v))}
                    testid="works-rating-comment" error={field_error(&i18n, err.as_ref(), "comment")} />
                <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="works-rating-submit">{ i18n.t("report.rate_submit") }</button>
            </form>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct AnnounceFormProps {
    on_announced: Callback<Works>,
}

#[function_component(AnnounceForm)]
fn announce_form(props: &AnnounceFormProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = use_state(String::new);
    let description = use_state(String::new);
    let buildings = use_state(String::new);
    let starts = use_state(String::new);
    let ends = use_state(String::new);
    let disruptions = use_state(String::new);
    let error = use_state(|| None::<ApiError>);
    let done = use_state(|| false);
    let onsubmit = {
        let api = session.api();
        let (title, description, buildings, starts, ends, disruptions, error, done) = (
            title.clone(),
            description.clone(),
            buildings.clone(),
            starts.clone(),
            ends.clone(),
            disruptions.clone(),
            error.clone(),
            done.clone(),
        );
        let on_announced = props.on_announced.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
            let (Some(starts_on), Some(ends_on)) = (date(&starts), date(&ends)) else {
                error.set(Some(ApiError::Problem(cortile_shared::Problem::new(
                    cortile_shared::ErrorCode::ValidationFailed,
                ))));
                return;
            };
            let body = NewWorks {
                title: title.trim().to_owned(),
                description: description.trim().to_owned(),
                building_ids: buildings
                    .split([',', ' ', ';'])
                    .filter_map(|s| s.trim().parse::<i64>().ok())
                    .map(BuildingId)
                    .collect(),
                starts_on,
                ends_on,
                disruptions: disruptions
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            };
            let (api, error, done, on_announced) = (
                api.clone(),
                error.clone(),
                done.clone(),
                on_announced.clone(),
            );
            spawn(async move {
                match api.announce_works(&body).await {
                    Ok(w) => {
                        error.set(None);
                        done.set(true);
                        on_announced.emit(w);
                    }
                    Err(e) => {
                        done.set(false);
                        error.set(Some(e));
                    }
                }
            });
        })
    };
    let err = (*error).clone();
    let text = |s: &UseStateHandle<String>| {
        let s = s.clone();
        Callback::from(move |v: String| s.set(v))
    };
    html! {
        <section aria-labelledby="announce-heading" class="cortile-narrow mt-4">
            <h2 id="announce-heading">{ i18n.t("works.announce") }</h2>
            <form onsubmit={onsubmit} novalidate=true data-testid="works-form">
                <FormAlert error={err.clone()} />
                <TextField id="works-title" label={i18n.t("works.title_label")} value={(*title).clone()} oninput={text(&title)} required=true error={field_error(&i18n, err.as_ref(), "title")} />
                <TextField id="works-description" multiline=true label={i18n.t("works.description")} value={(*description).clone()} oninput={text(&description)} required=true error={field_error(&i18n, err.as_ref(), "description")} />
                <TextField id="works-buildings" label={i18n.t("works.building_ids")} help={i18n.t("works.building_ids_help")} value={(*buildings).clone()} oninput={text(&buildings)} required=true error={field_error(&i18n, err.as_ref(), "building_ids")} />
                <TextField id="works-starts" kind="date" label={i18n.t("works.starts")} value={(*starts).clone()} oninput={text(&starts)} required=true error={field_error(&i18n, err.as_ref(), "starts_on")} />
                <TextField id="works-ends" kind="date" label={i18n.t("works.ends")} value={(*ends).clone()} oninput={text(&ends)} required=true error={field_error(&i18n, err.as_ref(), "ends_on")} />
                <TextField id="works-disruptions" multiline=true label={i18n.t("works.disruptions")} help={i18n.t("works.disruptions_help")} value={(*disruptions).clone()} oninput={text(&disruptions)} error={field_error(&i18n, err.as_ref(), "disruptions")} />
                <button type="submit" class="btn btn-primary" data-testid="works-submit">{ i18n.t("works.submit") }</button>
                <p aria-live="polite" class="form-text">
                    if *done { { i18n.t("works.announced") } }
                </p>
            </form>
        </section>
    }
}
