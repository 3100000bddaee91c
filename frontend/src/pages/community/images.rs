//! Photos of posts: the picker of the composer and the editor (each file is uploaded as soon
//! as it is chosen; a thumbnail, a required description, move and remove buttons), and the
//! images as posts show them.
//!
//! The list lives in a reducer ([`ImageList`]) owned by the form, so that uploads finishing
//! after later renders update the latest list, and the form reads it when it is sent.

use std::rc::Rc;

use cortile_shared::upload::{
    ImageRef, PostImage, Upload, UploadToken, ACCEPTED_TYPES, MAX_ALT_LEN, MAX_POST_IMAGES,
    MAX_UPLOAD_BYTES,
};
use cortile_shared::{ErrorCode, Problem};
use yew::prelude::*;

use crate::api::ApiError;
use crate::components::TextField;
use crate::hooks::spawn;
use crate::i18n::{use_i18n, I18n};
use crate::session::use_session;

/// Where one photo stands.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemState {
    Uploading,
    Failed(ApiError),
    Ready {
        token: UploadToken,
        url: String,
        width: u32,
        height: u32,
    },
}

/// One photo of the form.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Stable within the form (list keys, element ids).
    pub key: u32,
    /// The file's name, until it is uploaded.
    pub name: String,
    pub state: ItemState,
    pub alt: String,
    /// Uploaded by this form (so deleted from the server when removed here).
    pub fresh: bool,
}

/// The photos of a form, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageList {
    pub items: Vec<Item>,
}

pub enum ImageAction {
    Add { key: u32, name: String },
    Uploaded { key: u32, upload: Upload },
    Failed { key: u32, error: ApiError },
    Alt { key: u32, alt: String },
    Remove { key: u32 },
    Move { key: u32, earlier: bool },
    Clear,
}

impl Reducible for ImageList {
    type Action = ImageAction;

    fn reduce(self: Rc<Self>, action: ImageAction) -> Rc<Self> {
        let mut next = (*self).clone();
        let at = |next: &ImageList, key: u32| next.items.iter().position(|i| i.key == key);
        match action {
            ImageAction::Add { key, name } => next.items.push(Item {
                key,
                name,
                state: ItemState::Uploading,
                alt: String::new(),
                fresh: true,
            }),
            ImageAction::Uploaded { key, upload } => {
                if let Some(n) = at(&next, key) {
                    next.items[n].state = ItemState::Ready {
                        token: upload.id,
                        url: upload.url,
                        width: upload.width,
                        height: upload.height,
                    };
                }
            }
            ImageAction::Failed { key, error } => {
                if let Some(n) = at(&next, key) {
                    next.items[n].state = ItemState::Failed(error);
                }
            }
            ImageAction::Alt { key, alt } => {
                if let Some(n) = at(&next, key) {
                    next.items[n].alt = alt;
                }
            }
            ImageAction::Remove { key } => next.items.retain(|i| i.key != key),
            ImageAction::Move { key, earlier } => {
                if let Some(n) = at(&next, key) {
                    let to = if earlier {
                        n.checked_sub(1)
                    } else {
                        Some(n + 1)
                    };
                    if let Some(to) = to.filter(|to| *to < next.items.len()) {
                        next.items.swap(n, to);
                    }
                }
            }
            ImageAction::Clear => next.items.clear(),
        }
        Rc::new(next)
    }
}

/// Why the photos cannot be sent yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    /// Some are still uploading, or failed and were not removed.
    Pending,
    /// Some have no description.
    MissingAlt,
}

impl ImageList {
    /// The images of a post, for its editor.
    pub fn of_post(images: &[PostImage]) -> ImageList {
        ImageList {
            items: images
                .iter()
                .zip(0u32..)
                .map(|(img, key)| Item {
                    key,
                    name: String::new(),
                    state: ItemState::Ready {
                        token: img.upload.clone(),
                        url: img.url.clone(),
                        width: img.width,
                        height: img.height,
                    },
                    alt: img.alt.clone(),
                    fresh: false,
                })
                .collect(),
        }
    }

    /// What to send, in order; or why not yet.
    pub fn refs(&self) -> Result<Vec<ImageRef>, NotReady> {
        let mut out = Vec::new();
        let mut missing_alt = false;
        for item in &self.items {
            let ItemState::Ready { token, .. } = &item.state else {
                return Err(NotReady::Pending);
            };
            missing_alt |= item.alt.trim().is_empty();
            out.push(ImageRef {
                upload: token.clone(),
                alt: item.alt.trim().to_owned(),
            });
        }
        if missing_alt {
            Err(NotReady::MissingAlt)
        } else {
            Ok(out)
        }
    }

    fn uploading(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.state == ItemState::Uploading)
            .count()
    }
}

/// A local failure with a stable code, for messages.
fn local(code: ErrorCode) -> ApiError {
    ApiError::Problem(Problem::new(code))
}

/// The translated error of a field of image `n` (`alt` or `upload`), from the server's answer.
fn item_error(i18n: &I18n, error: Option<&ApiError>, n: usize, part: &str) -> Option<AttrValue> {
    let e = error?.field(&format!("images[{n}].{part}"))?;
    let key = format!("field_error.image_{part}.{}", e.code);
    Some(AttrValue::from(if i18n.has(&key) {
        i18n.t(&key)
    } else {
        i18n.field_error(e)
    }))
}

#[derive(Properties, PartialEq)]
pub struct ImagePickerProps {
    pub list: UseReducerHandle<ImageList>,
    /// Prefix of element ids (`post`, `edit`): two forms may share a page.
    pub id: AttrValue,
    /// The last answer of the server to the form (for `images…` field errors).
    #[prop_or_default]
    pub error: Option<ApiError>,
    /// The form was sent with photos not ready: say which.
    #[prop_or_default]
    pub not_ready: Option<NotReady>,
}

/// "Photos": choose files (uploaded at once), then describe, order or remove each one.
#[function_component(ImagePicker)]
pub fn image_picker(props: &ImagePickerProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let list = props.list.clone();
    // Keys of new photos, after those of a post's own (0..6).
    let next_key = use_mut_ref(|| 1000u32);
    let skipped = use_state(|| 0u32);
    let id = props.id.to_string();

    let onchange = {
        let api = session.api();
        let (list, next_key, skipped) = (list.clone(), next_key.clone(), skipped.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let Some(files) = input.files() else {
                return;
            };
            let room = MAX_POST_IMAGES.saturating_sub(list.items.len()) as u32;
            skipped.set(files.length().saturating_sub(room));
            for n in 0..files.length().min(room) {
                let Some(file) = files.get(n) else {
                    continue;
                };
                let key = {
                    let mut k = next_key.borrow_mut();
                    *k += 1;
                    *k
                };
                list.dispatch(ImageAction::Add {
                    key,
                    name: file.name(),
                });
                if file.size() > MAX_UPLOAD_BYTES as f64 {
                    list.dispatch(ImageAction::Failed {
                        key,
                        error: local(ErrorCode::UploadTooLarge),
                    });
                    continue;
                }
                let (api, list) = (api.clone(), list.clone());
                spawn(async move {
                    let read = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await;
                    let Ok(buffer) = read else {
                        return list.dispatch(ImageAction::Failed {
                            key,
                            error: local(ErrorCode::UploadUnreadable),
                        });
                    };
                    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                    // The server judges the type by the content; this is only a hint.
                    let kind = file.type_();
                    let kind = if kind.is_empty() {
                        "application/octet-stream".to_owned()
                    } else {
                        kind
                    };
                    match api.upload_image(&bytes, &kind).await {
                        Ok(upload) => list.dispatch(ImageAction::Uploaded { key, upload }),
                        Err(error) => list.dispatch(ImageAction::Failed { key, error }),
                    }
                });
            }
            // The same file may be chosen again later.
            input.set_value("");
        })
    };

    let remove = {
        let api = session.api();
        let list = list.clone();
        Callback::from(move |item: Item| {
            list.dispatch(ImageAction::Remove { key: item.key });
            // A photo uploaded here and never published: delete it now (best effort; the
            // server purges forgotten ones within a day). A post's own goes when it is saved.
            if let (true, ItemState::Ready { token, .. }) = (item.fresh, item.state) {
                let api = api.clone();
                spawn(async move {
                    let _ = api.delete_upload(&token).await;
                });
            }
        })
    };

    let failed = props.error.as_ref();
    let too_many = failed
        .and_then(|e| e.field("images"))
        .map(|e| i18n.field_error(e));
    let count = list.items.len();
    let uploading = list.uploading();
    let help_id = format!("{id}-images-help");
    html! {
        <fieldset class="cortile-images mb-3" aria-describedby={help_id.clone()} data-testid={format!("{id}-images")}>
            <legend class="form-label cortile-images-legend">{ i18n.t("images.legend") }</legend>
            <p id={help_id} class="form-text cortile-help">
                { i18n.tf("images.help", &[
                    ("max", &MAX_POST_IMAGES.to_string()),
                    ("mb", &(MAX_UPLOAD_BYTES / (1024 * 1024)).to_string()),
                ]) }
            </p>
            if let Some(message) = too_many {
                <p class="cortile-field-error">{ message }</p>
            }
            if props.not_ready == Some(NotReady::Pending) && list.refs() == Err(NotReady::Pending) {
                <p class="cortile-field-error" data-testid={format!("{id}-images-pending")}>{ i18n.t("images.pending") }</p>
            }
            <ol class="list-unstyled cortile-image-list">
                { for list.items.iter().enumerate().map(|(n, item)| {
                    let number = (n + 1).to_string();
                    let alt_id = format!("{id}-image-alt-{}", item.key);
                    let missing = props.not_ready == Some(NotReady::MissingAlt) && item.alt.trim().is_empty();
                    let alt_error = if missing {
                        Some(AttrValue::from(i18n.t("field_error.image_alt.required")))
                    } else {
                        item_error(&i18n, failed, n, "alt")
                    };
                    let upload_error = item_error(&i18n, failed, n, "upload");
                    let (key, last) = (item.key, n + 1 == count);
                    html! {
                        <li key={item.key} class="cortile-image-item" data-testid="image-item">
                            { match &item.state {
                                ItemState::Uploading => html! {
                                    <p class="cortile-image-status mb-2">
                                        <progress class="me-2" aria-label={i18n.tf("images.uploading", &[("name", &item.name)])}></progress>
                                        { i18n.tf("images.uploading", &[("name", &item.name)]) }
                                    </p>
                                },
                                ItemState::Failed(error) => html! {
                                    <p class="cortile-field-error mb-2" role="alert" data-testid="image-failed">
                                        { i18n.tf("images.failed", &[("name", &item.name), ("reason", &i18n.t(error.message_key()))]) }
                                    </p>
                                },
                                ItemState::Ready { url, width, height, .. } => html! {
                                    <img class="cortile-image-thumb mb-2" src={url.clone()} alt=""
                                        width={width.to_string()} height={height.to_string()}
                                        data-testid="image-thumb" />
                                },
                            } }
                            if let Some(message) = upload_error {
                                <p class="cortile-field-error">{ message }</p>
                            }
                            if matches!(item.state, ItemState::Ready { .. }) {
                                <TextField
                                    id={alt_id}
                                    label={i18n.tf("images.alt", &[("n", &number)])}
                                    help={i18n.tf("images.alt_help", &[("max", &MAX_ALT_LEN.to_string())])}
                                    value={item.alt.clone()}
                                    oninput={let l = list.clone(); Callback::from(move |alt| l.dispatch(ImageAction::Alt { key, alt }))}
                                    required=true
                                    error={alt_error}
                                    testid="image-alt"
                                />
                            }
                            <div class="d-flex flex-wrap gap-2 mb-3">
                                if count > 1 {
                                    <button type="button" class="btn btn-outline-secondary btn-sm" disabled={n == 0}
                                        aria-label={i18n.tf("images.earlier", &[("n", &number)])}
                                        onclick={let l = list.clone(); Callback::from(move |_: MouseEvent| l.dispatch(ImageAction::Move { key, earlier: true }))}>
                                        { i18n.t("images.earlier_short") }
                                    </button>
                                    <button type="button" class="btn btn-outline-secondary btn-sm" disabled={last}
                                        aria-label={i18n.tf("images.later", &[("n", &number)])}
                                        onclick={let l = list.clone(); Callback::from(move |_: MouseEvent| l.dispatch(ImageAction::Move { key, earlier: false }))}>
                                        { i18n.t("images.later_short") }
                                    </button>
                                }
                                <button type="button" class="btn btn-outline-danger btn-sm" data-testid="image-remove"
                                    aria-label={i18n.tf("images.remove", &[("n", &number)])}
                                    onclick={let (r, item) = (remove.clone(), item.clone()); Callback::from(move |_: MouseEvent| r.emit(item.clone()))}>
                                    { i18n.t("images.remove_short") }
                                </button>
                            </div>
                        </li>
                    }
                }) }
            </ol>
            if count < MAX_POST_IMAGES {
                <div class="cortile-field mb-2">
                    <label for={format!("{id}-images-input")} class="form-label">{ i18n.t("images.add") }</label>
                    <input id={format!("{id}-images-input")} type="file" class="form-control"
                        accept={ACCEPTED_TYPES.join(",")} multiple=true
                        data-testid={format!("{id}-images-input")} {onchange} />
                </div>
            } else {
                <p class="form-text">{ i18n.tf("images.full", &[("max", &MAX_POST_IMAGES.to_string())]) }</p>
            }
            <p class="form-text" aria-live="polite">
                if uploading > 0 {
                    { i18n.count("images.in_progress", uploading as i64) }
                }
                if *skipped > 0 {
                    { i18n.tf("images.skipped", &[("max", &MAX_POST_IMAGES.to_string())]) }
                }
            </p>
        </fieldset>
    }
}

#[derive(Properties, PartialEq)]
pub struct PostImagesProps {
    pub images: Vec<PostImage>,
    /// Small, in a grid (lists), or large (the post's page).
    #[prop_or_default]
    pub compact: bool,
}

/// The images of a post, with their descriptions, loaded when scrolled to.
#[function_component(PostImages)]
pub fn post_images(props: &PostImagesProps) -> Html {
    if props.images.is_empty() {
        return html! {};
    }
    html! {
        <ul class={classes!("list-unstyled", "cortile-post-images", props.compact.then_some("cortile-post-images-compact"))}
            data-testid="post-images">
            { for props.images.iter().map(|img| {
                let image = html! {
                    <img src={img.url.clone()} alt={img.alt.clone()}
                        width={img.width.to_string()} height={img.height.to_string()}
                        loading="lazy" decoding="async" data-testid="post-image" />
                };
                html! {
                    <li key={img.upload.0.clone()}>
                        if props.compact {
                            { image }
                        } else {
                            <a href={img.url.clone()} target="_blank" rel="noopener">{ image }</a>
                        }
                    </li>
                }
            }) }
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(key: u32, alt: &str) -> Item {
        Item {
            key,
            name: format!("{key}.jpg"),
            state: ItemState::Ready {
                token: UploadToken(format!("t{key}")),
                url: format!("/api/v1/uploads/t{key}"),
                width: 10,
                height: 10,
            },
            alt: alt.into(),
            fresh: true,
        }
    }

    #[test]
    fn photos_are_sent_in_order_once_ready_and_described() {
        let list = Rc::new(ImageList {
            items: vec![ready(1, "uno"), ready(2, " ")],
        });
        assert_eq!(list.refs(), Err(NotReady::MissingAlt));
        let list = list.reduce(ImageAction::Alt {
            key: 2,
            alt: "due".into(),
        });
        let list = list.reduce(ImageAction::Move {
            key: 2,
            earlier: true,
        });
        let sent: Vec<String> = list
            .refs()
            .expect("ready")
            .into_iter()
            .map(|r| r.alt)
            .collect();
        assert_eq!(sent, ["due", "uno"]);
        let list = list.reduce(ImageAction::Add {
            key: 3,
            name: "tre.jpg".into(),
        });
        assert_eq!(list.refs(), Err(NotReady::Pending));
        let list = list.reduce(ImageAction::Remove { key: 3 });
        assert!(list.refs().is_ok());
        // Moving the first earlier changes nothing.
        let moved = list.clone().reduce(ImageAction::Move {
            key: 2,
            earlier: true,
        });
        assert_eq!(moved, list);
    }

    #[test]
    fn every_image_text_has_words() {
        for locale in cortile_shared::Locale::ALL {
            let i18n = I18n::fixed(locale);
            for key in [
                "images.legend",
                "images.help",
                "images.pending",
                "images.uploading",
                "images.failed",
                "images.alt",
                "images.alt_help",
                "images.earlier",
                "images.earlier_short",
                "images.later",
                "images.later_short",
                "images.remove",
                "images.remove_short",
                "images.add",
                "images.full",
                "images.in_progress.one",
                "images.in_progress.other",
                "images.skipped",
                "field_error.image_alt.required",
                "field_error.image_alt.too_long",
                "field_error.image_upload.not_available",
                "field_error.image_upload.duplicate",
                "field_error.images.too_many",
                "error.upload_too_large",
                "error.upload_unsupported_type",
                "error.upload_unreadable",
            ] {
                assert!(i18n.has(key), "{key} in {locale:?}");
            }
        }
    }
}
