//! The languages of the interface. Italian first; more are added through translation files.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Locale {
    #[default]
    #[serde(rename = "it")]
    It,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::It, Locale::En];

    /// BCP 47 tag, as used in `<html lang>` and `Accept-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::It => "it",
            Locale::En => "en",
        }
    }

    /// The language's own name, as shown in a language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::It => "Italiano",
            Locale::En => "English",
        }
    }

    /// Whether the script is written right to left (none yet; Arabic will be).
    pub fn is_rtl(self) -> bool {
        false
    }

    /// Parses a tag such as `en`, `en-GB` or `IT`; `None` for a language we do not offer.
    pub fn parse(tag: &str) -> Option<Locale> {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        Locale::ALL.into_iter().find(|l| l.tag() == primary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_with_regions() {
        assert_eq!(Locale::parse("en-GB"), Some(Locale::En));
        assert_eq!(Locale::parse("IT"), Some(Locale::It));
        assert_eq!(Locale::parse("fr"), None);
        assert_eq!(Locale::parse(""), None);
    }
}
