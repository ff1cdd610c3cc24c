use serde::{Deserialize, Serialize};

use super::text::is_invisible_format;

/// A person's name as they want to be addressed: 1 to 100 characters, trimmed, no control
/// characters and no invisible or text-direction characters (names go into emails and other
/// people's pages, where a reversed or hidden part could pass for something else).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

/// An organisation's name, with the same rules as a person's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgName(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("Enter your name.")]
    Empty,
    #[error("Enter the organisation's name.")]
    EmptyOrganisation,
    #[error("Names are at most 100 characters.")]
    TooLong,
    #[error("Names cannot contain control characters.")]
    Control,
    #[error("Names cannot contain invisible or text-direction characters.")]
    Invisible,
}

fn clean(input: &str, empty: NameError) -> Result<String, NameError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(empty);
    }
    if s.chars().count() > 100 {
        return Err(NameError::TooLong);
    }
    // `is_control` is the C0 and C1 controls and DEL.
    if s.chars().any(char::is_control) {
        return Err(NameError::Control);
    }
    if s.chars().any(is_invisible_format) {
        return Err(NameError::Invisible);
    }
    Ok(s.to_string())
}

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        clean(input, NameError::Empty).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl OrgName {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        clean(input, NameError::EmptyOrganisation).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OrgName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<OrgName> for String {
    fn from(n: OrgName) -> String {
        n.0
    }
}

impl TryFrom<String> for PersonName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PersonName> for String {
    fn from(n: PersonName) -> String {
        n.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            PersonName::parse("  Zoë Ó Briain ").unwrap().as_str(),
            "Zoë Ó Briain"
        );
        assert_eq!(PersonName::parse(" "), Err(NameError::Empty));
        assert_eq!(PersonName::parse(&"x".repeat(101)), Err(NameError::TooLong));
        assert_eq!(PersonName::parse("a\u{0}b"), Err(NameError::Control));
    }

    #[test]
    fn names_refuse_controls_and_text_direction_tricks() {
        for c in ['\u{1}', '\u{1B}', '\u{7F}', '\u{85}', '\u{9F}'] {
            assert_eq!(
                OrgName::parse(&format!("Acme{c}Ltd")),
                Err(NameError::Control)
            );
        }
        for c in (0x202A..=0x202E)
            .chain(0x2066..=0x2069)
            .chain([0x200E, 0x200F])
            .filter_map(char::from_u32)
        {
            let name = format!("Acme {c}dtL");
            assert_eq!(OrgName::parse(&name), Err(NameError::Invisible), "{c:?}");
            assert_eq!(PersonName::parse(&name), Err(NameError::Invisible), "{c:?}");
        }
        assert!(
            OrgName::parse("شركة أكمي").is_ok(),
            "right-to-left text itself is fine"
        );
    }
}
