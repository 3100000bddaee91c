//! "Come vuoi essere avvisato", below the notification centre: my email address, my consent
//! to emails and to messages on the app IO, the daily digest, and which notifications go to
//! which channel. Notifications inside the app always arrive; email and IO stay off until the
//! person chooses them.

use std::rc::Rc;

use cortile_shared::community::{Channel, NotificationKind, NotificationSettings, Preference};
use yew::prelude::*;

use crate::components::{field_error, Checkbox, ErrorState, FormAlert, Loading, TextField};
use crate::hooks::{use_remote, use_saved_draft, Remote};
use crate::i18n::use_i18n;
use crate::session::use_session;

/// The notifications a person can choose to receive elsewhere, in the order shown.
pub const KINDS: [NotificationKind; 17] = [
    NotificationKind::CommentOnPost,
    NotificationKind::ReplyToComment,
    NotificationKind::Moderated,
    NotificationKind::JoinApproved,
    NotificationKind::Banned,
    NotificationKind::ReportStatus,
    NotificationKind::ReportComment,
    NotificationKind::ExchangeProposed,
    NotificationKind::ExchangeAccepted,
    NotificationKind::ExchangeCompleted,
    NotificationKind::ExchangeConfirmed,
    NotificationKind::ExchangeCancelled,
    NotificationKind::ExchangeDisputed,
    NotificationKind::ExchangeResolved,
    NotificationKind::ExchangeMessage,
    NotificationKind::ReviewReceived,
    NotificationKind::OrganisationVerified,
];

/// The channels besides the app, in the order shown.
pub const CHANNELS: [Channel; 2] = [Channel::Email, Channel::Io];

/// Whether `kind` goes to `channel` in `preferences` (off when not listed).
pub fn is_on(preferences: &[Preference], kind: NotificationKind, channel: Channel) -> bool {
    preferences
        .iter()
        .any(|p| p.kind == kind && p.channel == channel && p.enabled)
}

/// The whole `preferences` list to send: every kind on every channel, in order, as the boxes
/// say, with the box of `kind` on `channel` now `on`.
pub fn preferences_with(
    preferences: &[Preference],
    kind: NotificationKind,
    channel: Channel,
    on: bool,
) -> Vec<Preference> {
    KINDS
        .iter()
        .flat_map(|&k| CHANNELS.iter().map(move |&c| (k, c)))
        .map(|(k, c)| Preference {
            kind: k,
            channel: c,
            enabled: if (k, c) == (kind, channel) {
                on
            } else {
                is_on(preferences, k, c)
            },
        })
        .collect()
}

#[function_component(NotificationSettingsSection)]
pub fn notification_settings_section() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let remote = {
        let api = session.api();
        use_remote(api, |api| async move { api.notification_settings().await })
    };
    let body = match &remote.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => {
            html! { <ErrorState error={error.clone()} retry={remote.retry.clone()} /> }
        }
        Remote::Ready(settings) => html! { <SettingsForm initial={settings.clone()} /> },
    };
    html! {
        <section class="mt-5 mb-5 cortile-narrow" aria-labelledby="settings-heading" data-testid="notification-settings">
            <h2 id="settings-heading" class="h3">{ i18n.t("settings.heading") }</h2>
            <p>{ i18n.t("settings.intro_app") }</p>
            <p>{ i18n.t("settings.intro_off") }</p>
            { body }
        </section>
    }
}

/// A change the form makes to the settings when a box is ticked or cleared.
type Edit = Rc<dyn Fn(&mut NotificationSettings, bool)>;

#[derive(Properties, PartialEq)]
struct SettingsFormProps {
    initial: Rc<NotificationSettings>,
}

#[function_component(SettingsForm)]
fn settings_form(props: &SettingsFormProps) -> Html {
    let i18n = use_i18n();
    let form = use_saved_draft(&*props.initial, |api, settings| async move {
        api.save_notification_settings(&settings).await
    });
    let draft = form.draft();

    // Every change goes through here: the draft changes and "saved" no longer holds.
    let change = |edit: Edit| {
        form.update(move |draft: &NotificationSettings, on: bool| {
            let mut next = draft.clone();
            edit(&mut next, on);
            next
        })
    };
    let on_email = form.update(|draft: &NotificationSettings, value: String| {
        let mut next = draft.clone();
        next.email = (!value.is_empty()).then_some(value);
        next
    });
    let failed = form.error.as_ref();
    let email_off = !draft.email_consent;
    let io_off = !draft.io_consent;
    let off_note = |channel: Channel| -> Option<AttrValue> {
        let off = match channel {
            Channel::Email => email_off,
            Channel::Io => io_off,
        };
        off.then(|| AttrValue::from(format!("settings-{}-off", channel.as_str())))
    };
    let prefs_error = field_error(&i18n, failed, "preferences");

    let kinds = html! {
        { for KINDS.iter().map(|&kind| html! {
            <fieldset class="mb-3" key={kind.as_str()}>
                <legend class="h6">{ i18n.t(&format!("settings.kind.{}", kind.as_str())) }</legend>
                { for CHANNELS.iter().map(|&channel| {
                    let id = format!("settings-pref-{}-{}", kind.as_str(), channel.as_str());
                    let note = off_note(channel);
                    html! {
                        <Checkbox
                            id={id.clone()}
                            label={i18n.t(&format!("settings.channel.{}", channel.as_str()))}
                            checked={is_on(&draft.preferences, kind, channel)}
                            disabled={note.is_some()}
                            describedby={note}
                            onchange={change(Rc::new(move |s: &mut NotificationSettings, on| {
                                s.preferences = preferences_with(&s.preferences, kind, channel, on);
                            }))}
                            testid={id}
                        />
                    }
                }) }
            </fieldset>
        }) }
    };

    html! {
        <>
            <div aria-live="polite">
                if form.saved {
                    <p class="alert alert-success" data-testid="settings-saved">{ i18n.t("settings.saved") }</p>
                }
            </div>
            <FormAlert error={form.error.clone()} testid="settings-error" />
            <form onsubmit={form.onsubmit.clone()} novalidate=true>
                <fieldset class="mb-4">
                    <legend class="h5">{ i18n.t("settings.email_heading") }</legend>
                    <TextField
                        id="settings-email"
                        label={i18n.t("settings.email")}
                        kind="email"
                        autocomplete="email"
                        value={draft.email.clone().unwrap_or_default()}
                        oninput={on_email}
                        help={i18n.t("settings.email_help")}
                        error={field_error(&i18n, failed, "email")}
                        testid="settings-email"
                    />
                    <Checkbox
                        id="settings-email-consent"
                        label={i18n.t("settings.email_consent")}
                        checked={draft.email_consent}
                        onchange={change(Rc::new(|s: &mut NotificationSettings, on| s.email_consent = on))}
                        help={i18n.t("settings.email_consent_help")}
                        testid="settings-email-consent"
                    />
                    <Checkbox
                        id="settings-digest"
                        label={i18n.t("settings.digest")}
                        checked={draft.daily_digest}
                        disabled={email_off}
                        describedby={off_note(Channel::Email)}
                        onchange={change(Rc::new(|s: &mut NotificationSettings, on| s.daily_digest = on))}
                        help={i18n.t("settings.digest_help")}
                        testid="settings-digest"
                    />
                </fieldset>
                <fieldset class="mb-4">
                    <legend class="h5">{ i18n.t("settings.io_heading") }</legend>
                    <Checkbox
                        id="settings-io-consent"
                        label={i18n.t("settings.io_consent")}
                        checked={draft.io_consent}
                        onchange={change(Rc::new(|s: &mut NotificationSettings, on| s.io_consent = on))}
                        help={i18n.t("settings.io_consent_help")}
                        testid="settings-io-consent"
                    />
                </fieldset>
                <fieldset class="mb-4" aria-describedby={prefs_error.as_ref().map(|_| "settings-preferences-error")}>
                    <legend class="h5">{ i18n.t("settings.which_heading") }</legend>
                    <p class="cortile-help">{ i18n.t("settings.which_help") }</p>
                    if email_off {
                        <p id="settings-email-off" class="cortile-help" data-testid="settings-email-off">{ i18n.t("settings.email_off") }</p>
                    }
                    if io_off {
                        <p id="settings-io-off" class="cortile-help" data-testid="settings-io-off">{ i18n.t("settings.io_off") }</p>
                    }
                    { kinds }
                    if let Some(text) = prefs_error {
                        <p id="settings-preferences-error" class="cortile-field-error">{ text }</p>
                    }
                </fieldset>
                <button type="submit" class="btn btn-primary" disabled={form.busy} data-testid="settings-save">
                    { i18n.t(if form.busy { "settings.saving" } else { "settings.save" }) }
                </button>
            </form>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::I18n;
    use cortile_shared::Locale;

    #[test]
    fn preferences_list_every_kind_and_channel_as_the_boxes_say() {
        let one = preferences_with(&[], NotificationKind::Moderated, Channel::Io, true);
        assert_eq!(one.len(), KINDS.len() * CHANNELS.len());
        assert_eq!(one.iter().filter(|p| p.enabled).count(), 1);
        assert!(is_on(&one, NotificationKind::Moderated, Channel::Io));
        assert!(!is_on(&one, NotificationKind::Moderated, Channel::Email));
        assert_eq!(
            (one[0].kind, one[0].channel),
            (NotificationKind::CommentOnPost, Channel::Email)
        );

        let two = preferences_with(&one, NotificationKind::Banned, Channel::Email, true);
        assert!(is_on(&two, NotificationKind::Moderated, Channel::Io));
        assert!(is_on(&two, NotificationKind::Banned, Channel::Email));
        let back = preferences_with(&two, NotificationKind::Moderated, Channel::Io, false);
        assert_eq!(back.iter().filter(|p| p.enabled).count(), 1);

        // What the server sent about `Other` is not offered, and not sent back.
        let other = [Preference {
            kind: NotificationKind::Other,
            channel: Channel::Email,
            enabled: true,
        }];
        let clean = preferences_with(&other, NotificationKind::Banned, Channel::Io, false);
        assert!(clean.iter().all(|p| p.kind != NotificationKind::Other));
        assert!(clean.iter().all(|p| !p.enabled));
    }

    #[test]
    fn every_kind_and_channel_has_a_name_in_both_languages() {
        for locale in [Locale::It, Locale::En] {
            let i18n = I18n::fixed(locale);
            for kind in KINDS {
                assert!(i18n.has(&format!("settings.kind.{}", kind.as_str())));
            }
            for channel in CHANNELS {
                assert!(i18n.has(&format!("settings.channel.{}", channel.as_str())));
            }
        }
    }
}
