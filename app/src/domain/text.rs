//! Text typed into one form field. Every such field is trimmed, bounded in length and free of
//! control characters (a multi-line field keeps its line breaks and tabs); a field's own type
//! adds its rules on top.

/// Characters that change how the text around them is shown without being seen themselves:
/// the bidirectional overrides, embeddings, isolates and marks (which can make a name read
/// backwards, "Trojan Source" style), and other invisible formatting (zero-width space, word
/// joiner, invisible operators, byte order mark, interlinear annotations). The zero-width
/// joiner and non-joiner stay allowed: scripts and emoji need them.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061C}'                 // Arabic letter mark
        | '\u{200B}'               // zero-width space
        | '\u{200E}' | '\u{200F}'  // left-to-right and right-to-left marks
        | '\u{202A}'..='\u{202E}' // embeddings and overrides
        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}' // isolates
        | '\u{FEFF}'               // byte order mark
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
    )
}

/// Why a field's text was refused, worded for the person who typed it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// A required field was left empty; the message says what to enter.
    #[error("{0}")]
    Missing(&'static str),
    #[error("{what} is at most {max} characters.")]
    TooLong { what: &'static str, max: usize },
    #[error("{what} cannot contain control characters.")]
    ControlCharacters { what: &'static str },
}

/// Whether a field may hold more than one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// `input` trimmed, if it is at most `max` characters and has no control characters other than
/// line breaks and tabs where `lines` allows them. `what` names the field in messages ("The
/// title is at most 200 characters."). Length is checked first, so an overlong paste is told
/// so whatever else is in it.
pub fn checked(
    what: &'static str,
    input: &str,
    max: usize,
    lines: Lines,
) -> Result<String, TextError> {
    let text = input.trim();
    if text.chars().count() > max {
        return Err(TextError::TooLong { what, max });
    }
    let allowed = |c: char| lines == Lines::Many && matches!(c, '\n' | '\r' | '\t');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(TextError::ControlCharacters { what });
    }
    Ok(text.to_string())
}

/// Declares a text field's type: `checked` text, and not empty when the field is `required`
/// (with the message that asks for it). A value of the type has passed every rule.
macro_rules! field_text {
    (
        $(#[$meta:meta])*
        $name:ident { what: $what:literal, max: $max:expr, lines: $lines:ident $(, required: $missing:literal)? $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(input: &str) -> Result<Self, $crate::domain::text::TextError> {
                let text = $crate::domain::text::checked(
                    $what,
                    input,
                    Self::MAX_CHARS,
                    $crate::domain::text::Lines::$lines,
                )?;
                $(
                    if text.is_empty() {
                        return Err($crate::domain::text::TextError::Missing($missing));
                    }
                )?
                Ok(Self(text))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(crate) use field_text;

#[cfg(test)]
mod tests {
    use super::*;

    field_text!(Motto {
        what: "The motto",
        max: 5,
        lines: One,
        required: "Give a motto."
    });
    field_text!(Story {
        what: "The story",
        max: 20,
        lines: Many
    });

    #[test]
    fn direction_overrides_and_invisible_characters_are_recognised() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{200B}', '\u{FEFF}', '\u{061C}',
        ] {
            assert!(is_invisible_format(c), "{:04X}", c as u32);
        }
        for c in ['a', 'é', 'ش', ' ', '\u{200C}', '\u{200D}', '-'] {
            assert!(!is_invisible_format(c), "{:04X}", c as u32);
        }
    }

    #[test]
    fn text_is_trimmed() {
        assert_eq!(Motto::parse("  carpe ").unwrap().as_str(), "carpe");
    }

    #[test]
    fn a_required_field_cannot_be_left_blank() {
        assert_eq!(Motto::parse("  "), Err(TextError::Missing("Give a motto.")));
        assert_eq!(Story::parse(" ").unwrap().as_str(), "");
    }

    #[test]
    fn text_longer_than_the_limit_is_refused_with_the_limit_in_words() {
        let err = Motto::parse("carpe diem").unwrap_err();
        assert_eq!(err.to_string(), "The motto is at most 5 characters.");
        assert!(Motto::parse("ééééé").is_ok(), "characters, not bytes");
    }

    #[test]
    fn only_multi_line_fields_keep_line_breaks_and_tabs() {
        assert_eq!(
            Story::parse("one\ntwo\tthree").unwrap().as_str(),
            "one\ntwo\tthree"
        );
        assert_eq!(
            Motto::parse("a\nb").unwrap_err().to_string(),
            "The motto cannot contain control characters."
        );
        assert!(Story::parse("bell\u{7}").is_err());
    }
}
