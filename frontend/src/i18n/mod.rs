//! Translations and the current language.
//!
//! Every user-visible string lives in `frontend/i18n/<tag>.json` (a flat map from key to text),
//! embedded at compile time. Pages ask for text with [`I18n::t`]; placeholders are written
//! `{name}` and filled with [`I18n::tf`]; counts pick `<key>.one` or `<key>.other` with
//! [`I18n::count`]. The current [`Locale`] is shared through a [`ContextProvider`] holding a
//! reducer, so changing the language re-renders every component that reads it.

mod format;

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use cortile_shared::{FieldError, Locale};
use yew::prelude::*;

pub use cortile_shared::dates::rome_time;
pub use format::{format_decimal, format_decimal_input, format_int};

const IT_JSON: &str = include_str!("../../i18n/it.json");
const EN_JSON: &str = include_str!("../../i18n/en.json");

/// Key under which the chosen language is remembered in `localStorage`.
pub const STORAGE_KEY: &str = "cortile.locale";

type Catalog = HashMap<String, String>;

fn source(locale: Locale) -> &'static str {
    match locale {
        Locale::It => IT_JSON,
        Locale::En => EN_JSON,
    }
}

/// Parses a catalogue. An unreadable file yields an empty catalogue (and the keys show through)
/// rather than a blank application; the unit tests make sure the shipped files parse.
fn parse_catalog(json: &str) -> Catalog {
    serde_json::from_str(json).unwrap_or_default()
}

fn catalog(locale: Locale) -> &'static Catalog {
    static IT: OnceLock<Catalog> = OnceLock::new();
    static EN: OnceLock<Catalog> = OnceLock::new();
    let cell = match locale {
        Locale::It => &IT,
        Locale::En => &EN,
    };
    cell.get_or_init(|| parse_catalog(source(locale)))
}

/// The text for `key` in `locale`, falling back to Italian, then to the key itself.
pub fn translate(locale: Locale, key: &str) -> String {
    catalog(locale)
        .get(key)
        .or_else(|| catalog(Locale::It).get(key))
        .cloned()
        .unwrap_or_else(|| key.to_owned())
}

/// Replaces each `{name}` in `text` with its value.
fn fill(mut text: String, args: &[(&str, &str)]) -> String {
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// The language state shared by the whole app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LocaleState {
    pub locale: Locale,
}

/// What can happen to the language state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocaleAction {
    Set(Locale),
}

impl Reducible for LocaleState {
    type Action = LocaleAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        match action {
            LocaleAction::Set(locale) if locale == self.locale => self,
            LocaleAction::Set(locale) => Rc::new(LocaleState { locale }),
        }
    }
}

/// The context value: the reducer handle.
pub type LocaleContext = UseReducerHandle<LocaleState>;

/// Translation helper for the current language, handed out by [`use_i18n`].
#[derive(Clone, PartialEq)]
pub struct I18n {
    pub locale: Locale,
    handle: Option<LocaleContext>,
}

impl I18n {
    /// A helper for a fixed language (no switching): for tests and code outside the provider.
    pub fn fixed(locale: Locale) -> Self {
        I18n {
            locale,
            handle: None,
        }
    }

    /// The text for `key`.
    pub fn t(&self, key: &str) -> String {
        translate(self.locale, key)
    }

    /// The text for `key` with its `{placeholders}` filled in.
    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.t(key), args)
    }

    /// Names as a sentence says them: "Anna", "Anna e Bruno", "Anna, Bruno e Carla".
    pub fn list(&self, items: &[String]) -> String {
        match items {
            [] => String::new(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} {} {last}", rest.join(", "), self.t("list.and")),
        }
    }

    /// `<key>.one` or `<key>.other` with `{count}` set to the formatted number.
    pub fn count(&self, key: &str, count: i64) -> String {
        let form = if count == 1 { "one" } else { "other" };
        let number = self.int(count);
        self.tf(&format!("{key}.{form}"), &[("count", &number)])
    }

    /// An integer with the language's thousands separator.
    pub fn int(&self, n: i64) -> String {
        format_int(self.locale, n)
    }

    /// A decimal number with the language's separators and `decimals` digits after the point.
    pub fn decimal(&self, x: f64, decimals: usize) -> String {
        format_decimal(self.locale, x, decimals)
    }

    /// A decimal number as typed in a form field: at most `max_decimals` digits, trailing
    /// zeros dropped, no thousands separator ("0,33", "1,5", "2").
    pub fn decimal_input(&self, x: f64, max_decimals: usize) -> String {
        format_decimal_input(self.locale, x, max_decimals)
    }

    /// Whether the catalogue (of this language or of Italian) has `key`.
    pub fn has(&self, key: &str) -> bool {
        catalog(self.locale).contains_key(key) || catalog(Locale::It).contains_key(key)
    }

    /// A date in words: "12 marzo 2025", "12 March 2025".
    pub fn date(&self, date: NaiveDate) -> String {
        self.tf(
            "date.format",
            &[
                ("day", &date.day().to_string()),
                ("month", &self.t(&format!("month.{}", date.month()))),
                ("year", &date.year().to_string()),
            ],
        )
    }

    /// A moment as a date and a time of day in Rome: "12 marzo 2025, 14:05".
    pub fn datetime(&self, at: DateTime<Utc>) -> String {
        let local = rome_time(at);
        self.tf(
            "date.time_format",
            &[
                ("date", &self.date(local.date())),
                (
                    "time",
                    &format!("{:02}:{:02}", local.hour(), local.minute()),
                ),
            ],
        )
    }

    /// A field error from the server in plain words: `field_error.<field>.<code>`, else
    /// `field_error.<code>`, else the server's own (English) message.
    pub fn field_error(&self, error: &FieldError) -> String {
        let specific = format!("field_error.{}.{}", error.field, error.code);
        let general = format!("field_error.{}", error.code);
        if self.has(&specific) {
            self.t(&specific)
        } else if self.has(&general) {
            self.t(&general)
        } else {
            error.message.clone()
        }
    }

    /// "Yes" or "No".
    pub fn yes_no(&self, value: bool) -> String {
        self.t(if value { "common.yes" } else { "common.no" })
    }

    /// A callback that switches the whole app to another language.
    pub fn set_locale(&self) -> Callback<Locale> {
        let handle = self.handle.clone();
        Callback::from(move |locale| {
            if let Some(handle) = &handle {
                handle.dispatch(LocaleAction::Set(locale));
            }
        })
    }
}

/// The translation helper for the language currently chosen.
#[hook]
pub fn use_i18n() -> I18n {
    match use_context::<LocaleContext>() {
        Some(handle) => I18n {
            locale: handle.locale,
            handle: Some(handle),
        },
        None => I18n::fixed(Locale::default()),
    }
}

/// Reads the remembered language. Accepts the bare tag (`en`) and, for robustness, a
/// JSON-quoted one (`"en"`).
pub fn stored_locale() -> Option<Locale> {
    use gloo_storage::{LocalStorage, Storage};
    let raw = LocalStorage::raw().get_item(STORAGE_KEY).ok()??;
    Locale::parse(raw.trim().trim_matches('"'))
}

fn store_locale(locale: Locale) {
    use gloo_storage::{LocalStorage, Storage};
    // Storage can be unavailable (private mode, quota): the choice then lasts for this visit.
    let _ = LocalStorage::raw().set_item(STORAGE_KEY, locale.tag());
}

/// Sets `<html lang>` and `<html dir>` to match the language.
fn apply_to_document(locale: Locale) {
    let Some(root) = document().and_then(|d| d.document_element()) else {
        return;
    };
    let _ = root.set_attribute("lang", locale.tag());
    let _ = root.set_attribute("dir", if locale.is_rtl() { "rtl" } else { "ltr" });
}

fn document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|w| w.document())
}

#[derive(Properties, PartialEq)]
pub struct LocaleProviderProps {
    #[prop_or_default]
    pub children: Html,
}

/// Provides the language to its children: Italian unless another language was remembered.
/// Every change is remembered and reflected on `<html lang dir>`.
#[function_component(LocaleProvider)]
pub fn locale_provider(props: &LocaleProviderProps) -> Html {
    let state = use_reducer(|| LocaleState {
        locale: stored_locale().unwrap_or_default(),
    });
    let first = use_mut_ref(|| true);
    use_effect_with(state.locale, move |locale| {
        apply_to_document(*locale);
        // Remember only an explicit choice, not the default shown on the first visit.
        if !std::mem::replace(&mut *first.borrow_mut(), false) {
            store_locale(*locale);
        }
    });
    html! {
        <ContextProvider<LocaleContext> context={state}>
            { props.children.clone() }
        </ContextProvider<LocaleContext>>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(json: &str) -> BTreeSet<String> {
        let map: HashMap<String, String> =
            serde_json::from_str(json).expect("catalogue is a flat JSON object of strings");
        map.into_keys().collect()
    }

    #[test]
    fn catalogues_have_the_same_keys() {
        let it = keys(IT_JSON);
        let en = keys(EN_JSON);
        let only_it: Vec<_> = it.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&it).collect();
        assert!(
            only_it.is_empty() && only_en.is_empty(),
            "only in it.json: {only_it:?}; only in en.json: {only_en:?}"
        );
    }

    #[test]
    fn no_translation_is_empty() {
        for locale in Locale::ALL {
            let map: HashMap<String, String> =
                serde_json::from_str(source(locale)).expect("catalogue parses");
            assert!(!map.is_empty());
            for (key, value) in &map {
                assert!(
                    !value.trim().is_empty(),
                    "{key} is empty in {}",
                    locale.tag()
                );
            }
        }
    }

    #[test]
    fn placeholders_match_between_languages() {
        fn placeholders(text: &str) -> BTreeSet<String> {
            text.split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_owned()))
                .collect()
        }
        let it: HashMap<String, String> = serde_json::from_str(IT_JSON).expect("it.json parses");
        let en: HashMap<String, String> = serde_json::from_str(EN_JSON).expect("en.json parses");
        for (key, text) in &it {
            let other = en.get(key).map(String::as_str).unwrap_or_default();
            assert_eq!(
                placeholders(text),
                placeholders(other),
                "placeholders differ for {key}"
            );
        }
    }

    #[test]
    fn home_title_names_the_app_in_both_languages() {
        let it = translate(Locale::It, "home.title");
        let en = translate(Locale::En, "home.title");
        assert!(it.contains("Cortile") && en.contains("Cortile"));
        assert_ne!(it, en);
    }

    #[test]
    fn counts_pick_singular_and_plural_and_format_numbers() {
        let it = I18n::fixed(Locale::It);
        assert_eq!(it.count("count.homes", 1), "1 alloggio");
        assert_eq!(it.count("count.homes", 1234), "1.234 alloggi");
        let en = I18n::fixed(Locale::En);
        assert_eq!(en.count("count.buildings", 0), "0 buildings");
        assert_eq!(en.count("count.buildings", 12_500), "12,500 buildings");
        assert_eq!(it.tf("district.name", &[("number", "4")]), "Municipio 4");
    }

    #[test]
    fn lists_end_with_and_in_the_language() {
        let it = I18n::fixed(Locale::It);
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(it.list(&names(&[])), "");
        assert_eq!(it.list(&names(&["Anna"])), "Anna");
        assert_eq!(it.list(&names(&["Anna", "Bruno"])), "Anna e Bruno");
        assert_eq!(
            it.list(&names(&["Anna", "Bruno", "Carla"])),
            "Anna, Bruno e Carla"
        );
        assert_eq!(
            I18n::fixed(Locale::En).list(&names(&["Anna", "Bruno"])),
            "Anna and Bruno"
        );
    }

    #[test]
    fn dates_and_times_are_written_in_words_in_rome_time() {
        let it = I18n::fixed(Locale::It);
        let en = I18n::fixed(Locale::En);
        let day = NaiveDate::from_ymd_opt(2025, 3, 12).expect("valid date");
        assert_eq!(it.date(day), "12 marzo 2025");
        assert_eq!(en.date(day), "12 March 2025");
        let at: DateTime<Utc> = "2025-07-01T22:30:00Z".parse().expect("valid time");
        assert_eq!(it.datetime(at), "2 luglio 2025, 00:30");
        for month in 1..=12 {
            assert!(it.has(&format!("month.{month}")));
        }
    }

    #[test]
    fn field_errors_use_the_most_specific_translation() {
        let it = I18n::fixed(Locale::It);
        let specific = FieldError::new("confirm", "confirmation_required", "type CANCELLA");
        assert_ne!(it.field_error(&specific), "type CANCELLA");
        let general = FieldError::new("comment", "too_short", "too short");
        assert_eq!(it.field_error(&general), it.t("field_error.too_short"));
        let unknown = FieldError::new("x", "brand_new", "server words");
        assert_eq!(it.field_error(&unknown), "server words");
    }

    #[test]
    fn missing_keys_fall_back_to_the_key() {
        assert_eq!(translate(Locale::En, "no.such.key"), "no.such.key");
    }

    #[test]
    fn reducer_keeps_state_when_nothing_changes() {
        let state = Rc::new(LocaleState { locale: Locale::It });
        let same = state.clone().reduce(LocaleAction::Set(Locale::It));
        assert!(Rc::ptr_eq(&state, &same));
        let other = state.reduce(LocaleAction::Set(Locale::En));
        assert_eq!(other.locale, Locale::En);
    }
}
