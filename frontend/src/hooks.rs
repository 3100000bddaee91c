//! Custom hooks: loading remote data, forms saved through the API, and the document title.

use std::future::Future;
use std::rc::Rc;

use yew::prelude::*;

use crate::api::{Api, ApiError};

/// The state of data fetched from the API.
#[derive(Debug, PartialEq)]
pub enum Remote<T> {
    Loading,
    Ready(Rc<T>),
    Failed(ApiError),
}

impl<T> Clone for Remote<T> {
    fn clone(&self) -> Self {
        match self {
            Remote::Loading => Remote::Loading,
            Remote::Ready(value) => Remote::Ready(Rc::clone(value)),
            Remote::Failed(err) => Remote::Failed(err.clone()),
        }
    }
}

/// What [`use_remote`] hands back: the state and a way to try again.
pub struct RemoteHandle<T> {
    pub state: Remote<T>,
    pub retry: Callback<()>,
}

/// Fetches data whenever `deps` change (and when `retry` is called). Answers to an outdated
/// request (the user moved on to another estate) are dropped.
#[hook]
pub fn use_remote<T, D, F, Fut>(deps: D, fetch: F) -> RemoteHandle<T>
where
    T: 'static,
    D: PartialEq + Clone + 'static,
    F: FnOnce(D) -> Fut + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let state = use_state(|| Remote::<T>::Loading);
    let attempt = use_state(|| 0u32);
    let generation = use_mut_ref(|| 0u64);

    {
        let state = state.clone();
        use_effect_with((deps, *attempt), move |(deps, _)| {
            let mine = {
                let mut g = generation.borrow_mut();
                *g += 1;
                *g
            };
            if mine > 1 {
                state.set(Remote::Loading);
            }
            let deps = deps.clone();
            let current = generation.clone();
            spawn(async move {
                let result = fetch(deps).await;
                if *current.borrow() == mine {
                    state.set(match result {
                        Ok(value) => Remote::Ready(Rc::new(value)),
                        Err(err) => Remote::Failed(err),
                    });
                }
            });
            move || {
                // Unmounted or superseded: ignore the pending answer.
                *generation.borrow_mut() += 1;
            }
        });
    }

    let retry = {
        let attempt = attempt.clone();
        Callback::from(move |()| attempt.set(attempt.wrapping_add(1)))
    };
    RemoteHandle {
        state: (*state).clone(),
        retry,
    }
}

/// What [`use_saved_draft`] hands back: the draft being edited, how the last save went, and
/// the form's submit handler.
pub struct SavedDraft<T> {
    draft: UseStateHandle<T>,
    saved_state: UseStateHandle<bool>,
    /// Why the last save failed.
    pub error: Option<ApiError>,
    /// Whether the draft is what the server last saved (cleared by any edit).
    pub saved: bool,
    /// Whether a save is under way.
    pub busy: bool,
    /// Saves the draft (once at a time) when the form is submitted.
    pub onsubmit: Callback<SubmitEvent>,
}

impl<T: Clone + 'static> SavedDraft<T> {
    /// The draft as the form shows it.
    pub fn draft(&self) -> &T {
        &self.draft
    }

    /// A callback that replaces the draft with `edit(draft, value)`: "saved" no longer holds.
    pub fn update<A: 'static>(&self, edit: impl Fn(&T, A) -> T + 'static) -> Callback<A> {
        let (draft, saved) = (self.draft.clone(), self.saved_state.clone());
        Callback::from(move |value: A| {
            saved.set(false);
            draft.set(edit(&draft, value));
        })
    }
}

/// A form editing a draft of `initial` that `save(api, draft)` stores: on success the draft
/// becomes the server's answer and "saved" holds; on failure the error is kept.
#[hook]
pub fn use_saved_draft<T, F, Fut>(initial: &T, save: F) -> SavedDraft<T>
where
    T: Clone + 'static,
    F: Fn(Api, T) -> Fut + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let session = crate::session::use_session();
    let draft = use_state(|| initial.clone());
    let error = use_state(|| None::<ApiError>);
    let saved = use_state(|| false);
    let busy = use_state(|| false);

    let onsubmit = {
        let api = session.api();
        let (draft, error, saved, busy) =
            (draft.clone(), error.clone(), saved.clone(), busy.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let (draft, error, saved, busy) =
                (draft.clone(), error.clone(), saved.clone(), busy.clone());
            let pending = save(api.clone(), (*draft).clone());
            spawn(async move {
                let result = pending.await;
                busy.set(false);
                match result {
                    Ok(value) => {
                        error.set(None);
                        draft.set(value);
                        saved.set(true);
                    }
                    Err(err) => {
                        saved.set(false);
                        error.set(Some(err));
                    }
                }
            });
        })
    };
    SavedDraft {
        error: (*error).clone(),
        saved: *saved,
        busy: *busy,
        draft,
        saved_state: saved,
        onsubmit,
    }
}

/// Runs a future on the browser's event loop (nothing happens in host unit tests).
#[cfg(target_arch = "wasm32")]
pub fn spawn<Fut: Future<Output = ()> + 'static>(future: Fut) {
    wasm_bindgen_futures::spawn_local(future);
}

#[cfg(not(target_arch = "wasm32"))]
pub fn spawn<Fut: Future<Output = ()> + 'static>(future: Fut) {
    // The host build exists for unit tests only; nothing renders there.
    drop(future);
}

/// Sets `document.title` to "`title` · Cortile" (or just `title` when it already names the app,
/// or just "Cortile" for `None`).
#[hook]
pub fn use_document_title(title: Option<String>) {
    let app = crate::i18n::use_i18n().t("app.name");
    use_effect_with((title, app), |(title, app)| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            let text = match title {
                Some(title) if !title.contains(app.as_str()) => format!("{title} · {app}"),
                Some(title) => title.clone(),
                _ => app.clone(),
            };
            document.set_title(&text);
        }
    });
}

/// A keyset-paginated list: the first page (loaded like [`use_remote`]) and the pages added
/// with "load more".
pub struct Paged<T> {
    /// The first page.
    pub first: Remote<cortile_shared::Page<T>>,
    /// Loads the first page again (and forgets the pages added).
    pub retry: Callback<()>,
    /// The items of the pages added after the first.
    pub more: Rc<Vec<T>>,
    /// Whether there is another page to load.
    pub has_more: bool,
    pub loading_more: bool,
    /// Why the last "load more" failed.
    pub more_error: Option<ApiError>,
    pub load_more: Callback<()>,
}

impl<T> Paged<T> {
    /// Every item loaded so far, first page first; `None` while the first page is not there.
    pub fn items(&self) -> Option<Vec<&T>> {
        match &self.first {
            Remote::Ready(page) => Some(page.items.iter().chain(self.more.iter()).collect()),
            _ => None,
        }
    }
}

/// Loads the first page of a list whenever `deps` change, and the following pages on demand:
/// `fetch(deps, after)` gets the page after the cursor `after`.
#[hook]
pub fn use_paged<T, D, F, Fut>(deps: D, fetch: F) -> Paged<T>
where
    T: Clone + PartialEq + 'static,
    D: PartialEq + Clone + 'static,
    F: Fn(D, Option<String>) -> Fut + Clone + 'static,
    Fut: Future<Output = Result<cortile_shared::Page<T>, ApiError>> + 'static,
{
    let first = {
        let fetch = fetch.clone();
        use_remote(deps.clone(), move |deps| fetch(deps, None))
    };
    let more = use_state(|| Rc::new(Vec::<T>::new()));
    let next = use_state(|| None::<String>);
    let more_error = use_state(|| None::<ApiError>);
    let loading_more = use_state(|| false);
    {
        let (more, next, more_error) = (more.clone(), next.clone(), more_error.clone());
        use_effect_with(first.state.clone(), move |state| {
            more.set(Rc::new(Vec::new()));
            more_error.set(None);
            next.set(match state {
                Remote::Ready(page) => page.next.clone(),
                _ => None,
            });
        });
    }
    let load_more = {
        let (more, next, more_error, loading_more) = (
            more.clone(),
            next.clone(),
            more_error.clone(),
            loading_more.clone(),
        );
        Callback::from(move |()| {
            let Some(cursor) = (*next).clone() else {
                return;
            };
            if *loading_more {
                return;
            }
            let (fetch, deps) = (fetch.clone(), deps.clone());
            let (more, next, more_error, loading_more) = (
                more.clone(),
                next.clone(),
                more_error.clone(),
                loading_more.clone(),
            );
            loading_more.set(true);
            spawn(async move {
                let result = fetch(deps, Some(cursor.clone())).await;
                loading_more.set(false);
                match result {
                    Ok(page) => {
                        let mut all = (**more).clone();
                        all.extend(page.items);
                        more.set(Rc::new(all));
                        // A cursor that does not move would offer the same page for ever.
                        next.set(page.next.filter(|n| *n != cursor));
                        more_error.set(None);
                    }
                    Err(err) => more_error.set(Some(err)),
                }
            });
        })
    };
    Paged {
        first: first.state,
        retry: first.retry,
        more: (*more).clone(),
        has_more: next.is_some(),
        loading_more: *loading_more,
        more_error: (*more_error).clone(),
        load_more,
    }
}
