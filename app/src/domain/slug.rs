use serde::{Deserialize, Serialize};

/// The part of an organisation's address after `/o/`: 2 to 40 lowercase letters and digits in
/// words joined by single hyphens, so it reads well in a link and needs no escaping anywhere.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

pub const MAX_LEN: usize = 40;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("Use at least 2 characters.")]
    TooShort,
    #[error("Use at most 40 characters.")]
    TooLong,
    #[error("Use lowercase letters and digits, with single hyphens between words.")]
    Characters,
}

impl Slug {
    pub fn parse(input: &str) -> Result<Self, SlugError> {
        let s = input.trim().to_ascii_lowercase();
        if s.chars().count() < 2 {
            return Err(SlugError::TooShort);
        }
        if s.len() > MAX_LEN {
            return Err(SlugError::TooLong);
        }
        let words_ok = s.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !words_ok {
            return Err(SlugError::Characters);
        }
        Ok(Self(s))
    }

    /// A slug made from a name: accents folded, everything else between words becomes a hyphen.
    /// "Café Nero's (Leeds)" becomes `cafe-nero-s-leeds`.
    pub fn derive(name: &str) -> Self {
        let mut out = String::new();
        for c in name.chars().flat_map(fold) {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.truncate(MAX_LEN);
        let trimmed = out.trim_end_matches('-');
        Self::parse(trimmed).unwrap_or_else(|_| Self("organisation".into()))
    }

    /// This slug with a numeric suffix, still within the length limit.
    pub fn with_suffix(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        let mut base = self.0.clone();
        base.truncate(MAX_LEN - suffix.len());
        Self(format!("{}{suffix}", base.trim_end_matches('-')))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Latin letters with accents as their plain forms; anything else unchanged.
fn fold(c: char) -> impl Iterator<Item = char> {
    let plain: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        _ => "",
    };
    let single = plain.is_empty().then_some(c);
    plain.chars().chain(single)
}

impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_single_hyphens() {
        assert_eq!(Slug::parse(" Acme-Cafes ").unwrap().as_str(), "acme-cafes");
        assert_eq!(Slug::parse("a"), Err(SlugError::TooShort));
        assert_eq!(Slug::parse(&"a".repeat(41)), Err(SlugError::TooLong));
        for bad in [
            "-acme", "acme-", "ac--me", "ac me", "acmé", "ac/me", "ac.me",
        ] {
            assert_eq!(Slug::parse(bad), Err(SlugError::Characters), "{bad}");
        }
    }

    #[test]
    fn slugs_are_derived_from_names() {
        assert_eq!(
            Slug::derive("Café Nero's (Leeds)").as_str(),
            "cafe-nero-s-leeds"
        );
        assert_eq!(Slug::derive("  Straße & Søn  ").as_str(), "strasse-son");
        assert_eq!(Slug::derive("東京").as_str(), "organisation");
        let long = Slug::derive(&"word ".repeat(20));
        assert!(long.as_str().len() <= MAX_LEN && !long.as_str().ends_with('-'));
        assert_eq!(Slug::derive("Acme").with_suffix(2).as_str(), "acme-2");
        assert_eq!(
            Slug::derive(&"x".repeat(40)).with_suffix(12).as_str().len(),
            MAX_LEN
        );
    }
}
