//! `/registro/importazioni`: upload the housing manager's export (staff, administrators), read
//! the report, and see past imports.

use std::rc::Rc;

use cortile_shared::import::{ImportReport, ImportSummary, Outcome};
use yew::prelude::*;

use crate::api::ApiError;
use crate::components::{Checkbox, ErrorState, FormAlert, Loading, ScrollTable};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::session::use_session;

/// The chosen file's name and bytes, read in the browser.
async fn read_file(input: &web_sys::HtmlInputElement) -> Result<Option<(String, Vec<u8>)>, String> {
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return Ok(None);
    };
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| format!("{e:?}"))?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    Ok(Some((file.name(), bytes)))
}

#[derive(Debug, Clone, PartialEq)]
enum UploadState {
    Idle,
    NoFile,
    Unreadable,
    Sending,
    Done(Rc<ImportReport>),
    Failed(ApiError),
}

#[function_component(ImportsPage)]
pub fn imports_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("imports.title");
    use_document_title(Some(title.clone()));
    let file_input = use_node_ref();
    let partial = use_state(|| false);
    let dry_run = use_state(|| true);
    let state = use_state(|| UploadState::Idle);
    let past = {
        let api = session.api();
        use_remote((), move |()| async move { api.imports().await })
    };

    let onsubmit = {
        let api = session.api();
        let file_input = file_input.clone();
        let (partial, dry_run, state) = (partial.clone(), dry_run.clone(), state.clone());
        let reload = past.retry.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(input) = file_input.cast::<web_sys::HtmlInputElement>() else {
                return;
            };
            let (api, state, reload) = (api.clone(), state.clone(), reload.clone());
            let (partial, dry_run) = (*partial, *dry_run);
            state.set(UploadState::Sending);
            spawn(async move {
                let (name, bytes) = match read_file(&input).await {
                    Ok(Some(file)) => file,
                    Ok(None) => return state.set(UploadState::NoFile),
                    Err(_) => return state.set(UploadState::Unreadable),
                };
                match api.import_registry(&name, &bytes, partial, dry_run).await {
                    Ok(report) => {
                        state.set(UploadState::Done(Rc::new(report)));
                        reload.emit(());
                    }
                    Err(err) => state.set(UploadState::Failed(err)),
                }
            });
        })
    };

    let file_error = match &*state {
        UploadState::NoFile => Some(i18n.t("imports.no_file")),
        UploadState::Unreadable => Some(i18n.t("imports.unreadable")),
        // The server's own words say which columns or bytes are wrong: keep them for staff.
        UploadState::Failed(err) => err.field("file").map(|e| {
            i18n.tf(
                "imports.file_error",
                &[("error", &i18n.field_error(e)), ("detail", &e.message)],
            )
        }),
        _ => None,
    };
    let failed = match &*state {
        UploadState::Failed(err) if err.is_forbidden() => {
            return html! {
                <>
                    <h1 data-testid="page-title">{ title }</h1>
                    <ErrorState error={err.clone()} retry={Callback::noop()} />
                </>
            };
        }
        UploadState::Failed(err) => Some(err.clone()),
        _ => None,
    };
    let report = match &*state {
        UploadState::Sending => html! { <Loading /> },
        UploadState::Done(report) => report_view(&i18n, report),
        _ => html! {},
    };
    let past_view = match past.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => html! { <ErrorState {error} retry={past.retry.clone()} /> },
        Remote::Ready(list) => past_table(&i18n, &list),
    };
    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("imports.intro") }</p>
            <section class="mb-5 cortile-narrow" aria-labelledby="imports-upload-heading">
                <h2 id="imports-upload-heading" class="h3">{ i18n.t("imports.upload_heading") }</h2>
                <FormAlert error={failed.filter(|e| e.field("file").is_none())} testid="import-error" />
                <form {onsubmit} novalidate=true>
                    <div class="cortile-field mb-3">
                        <label for="import-file" class="form-label">{ i18n.t("imports.file") }</label>
                        <p id="import-file-help" class="form-text cortile-help">{ i18n.t("imports.file_help") }</p>
                        <input
                            id="import-file"
                            ref={file_input}
                            type="file"
                            accept=".csv,.txt,text/csv"
                            class={classes!("form-control", file_error.is_some().then_some("is-invalid"))}
                            aria-describedby={if file_error.is_some() { "import-file-help import-file-error" } else { "import-file-help" }}
                            aria-invalid={file_error.is_some().then_some("true")}
                            data-testid="import-file"
                        />
                        if let Some(error) = &file_error {
                            <p id="import-file-error" class="cortile-field-error">{ error.clone() }</p>
                        }
                    </div>
                    <Checkbox
                        id="import-dry-run"
                        label={i18n.t("imports.dry_run")}
                        help={i18n.t("imports.dry_run_help")}
                        checked={*dry_run}
                        onchange={let s = dry_run.clone(); Callback::from(move |v| s.set(v))}
                        testid="import-dry-run"
                    />
                    <Checkbox
                        id="import-partial"
                        label={i18n.t("imports.partial")}
                        help={i18n.t("imports.partial_help")}
                        checked={*partial}
                        onchange={let s = partial.clone(); Callback::from(move |v| s.set(v))}
                        testid="import-partial"
                    />
                    <button type="submit" class="btn btn-primary" disabled={matches!(&*state, UploadState::Sending)} data-testid="import-submit">
                        { i18n.t("imports.submit") }
                    </button>
                </form>
            </section>
            <div aria-live="polite">{ report }</div>
            <section class="mb-5" aria-labelledby="imports-past-heading">
                <h2 id="imports-past-heading" class="h3">{ i18n.t("imports.past_heading") }</h2>
                { past_view }
            </section>
        </>
    }
}

fn outcome_text(i18n: &I18n, outcome: Outcome) -> String {
    i18n.t(match outcome {
        Outcome::Applied => "imports.outcome.applied",
        Outcome::Rejected => "imports.outcome.rejected",
        Outcome::DryRun => "imports.outcome.dry_run",
    })
}

fn report_view(i18n: &I18n, report: &ImportReport) -> Html {
    let counts = [
        ("imports.created", report.created, "import-created"),
        ("imports.updated", report.updated, "import-updated"),
        ("imports.unchanged", report.unchanged, "import-unchanged"),
        ("imports.ended", report.ended, "import-ended"),
        ("imports.rejected", report.rejected, "import-rejected"),
    ];
    let alert = match report.outcome {
        Outcome::Applied => "alert-success",
        Outcome::DryRun => "alert-info",
        Outcome::Rejected => "alert-danger",
    };
    html! {
        <section class="mb-5" aria-labelledby="import-report-heading" data-testid="import-report">
            <h2 id="import-report-heading" class="h3">{ i18n.t("imports.report_heading") }</h2>
            <p class={classes!("alert", alert)} data-testid="import-outcome" data-outcome={format!("{:?}", report.outcome)}>
                { outcome_text(i18n, report.outcome) }
            </p>
            <p>{ i18n.tf("imports.rows_total", &[("count", &i18n.int(report.rows_total as i64))]) }</p>
            <dl class="row cortile-details">
                { for counts.into_iter().map(|(key, n, testid)| html! {
                    <>
                        <dt class="col-8 col-sm-5 col-md-3">{ i18n.t(key) }</dt>
                        <dd class="col-4 col-sm-7 col-md-9" data-testid={testid}>{ i18n.int(n as i64) }</dd>
                    </>
                }) }
            </dl>
            if !report.errors.is_empty() {
                <ScrollTable label={i18n.t("imports.errors_caption")}>
                    <table class="table table-striped cortile-table">
                        <caption class="caption-top">{ i18n.t("imports.errors_caption") }</caption>
                        <thead>
                            <tr>
                                <th scope="col" class="text-end">{ i18n.t("imports.col_line") }</th>
                                <th scope="col">{ i18n.t("imports.col_column") }</th>
                                <th scope="col">{ i18n.t("imports.col_reason") }</th>
                            </tr>
                        </thead>
                        <tbody>
                            { for report.errors.iter().map(|e| html! {
                                <tr data-testid="import-error-row">
                                    <th scope="row" class="text-end">{ e.line }</th>
                                    <td>{ e.column.clone().unwrap_or_else(|| "—".to_owned()) }</td>
                                    <td>
                                        { row_error_text(i18n, &e.code, &e.reason) }
                                    </td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </ScrollTable>
            }
        </section>
    }
}

/// The reason of a rejected row: in the reader's language when we know the code, else the
/// server's explanation (in English).
fn row_error_text(i18n: &I18n, code: &str, reason: &str) -> String {
    let key = format!("imports.row_error.{code}");
    if i18n.has(&key) {
        i18n.t(&key)
    } else {
        reason.to_owned()
    }
}

fn past_table(i18n: &I18n, list: &[ImportSummary]) -> Html {
    if list.is_empty() {
        return html! { <p>{ i18n.t("imports.past_none") }</p> };
    }
    html! {
        <ScrollTable label={i18n.t("imports.past_caption")}>
            <table class="table table-striped cortile-table">
                <caption class="caption-top">{ i18n.t("imports.past_caption") }</caption>
                <thead>
                    <tr>
                        <th scope="col">{ i18n.t("imports.col_when") }</th>
                        <th scope="col">{ i18n.t("imports.col_file") }</th>
                        <th scope="col">{ i18n.t("imports.col_by") }</th>
                        <th scope="col">{ i18n.t("imports.col_outcome") }</th>
                        <th scope="col" class="text-end">{ i18n.t("imports.col_rows") }</th>
                        <th scope="col">{ i18n.t("imports.col_counts") }</th>
                    </tr>
                </thead>
                <tbody>
                    { for list.iter().map(|s| html! {
                        <tr data-testid="import-row" key={s.id}>
                            <th scope="row">{ i18n.datetime(s.created_at) }</th>
                            <td>{ s.source_name.clone() }</td>
                            <td>{ s.imported_by.clone() }</td>
                            <td>
                                { outcome_text(i18n, s.outcome) }
                                if s.partial { { " " }{ i18n.t("imports.was_partial") } }
                            </td>
                            <td class="text-end">{ i18n.int(i64::from(s.rows_total)) }</td>
                            <td>{ i18n.tf("imports.counts_line", &[
                                ("created", &i18n.int(i64::from(s.created))),
                                ("updated", &i18n.int(i64::from(s.updated))),
                                ("unchanged", &i18n.int(i64::from(s.unchanged))),
                                ("ended", &i18n.int(i64::from(s.ended))),
                                ("rejected", &i18n.int(i64::from(s.rejected))),
                            ]) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </ScrollTable>
    }
}
