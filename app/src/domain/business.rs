//! The fields of a business in the register, each checked and tidied once: a value of one of
//! these types is what the database stores.

use super::text::{checked, field_text, Lines, TextError};

field_text!(
    /// The name people know a business by.
    BusinessName { what: "The name", max: 200, lines: One, required: "Enter the business's name." }
);

field_text!(
    /// A postal address, over as many lines as it needs.
    Address { what: "The address", max: 500, lines: Many }
);

field_text!(
    /// Free notes about a business.
    Notes { what: "Notes", max: 10_000, lines: Many }
);

/// A phone number as people write one: digits, spaces and `+ ( ) - .`; or nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error("Use digits, spaces and + ( ) - only.")]
    Characters,
}

impl Phone {
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let phone = checked("The phone number", input, 50, Lines::One)?;
        if !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +()-.".contains(c))
        {
            return Err(PhoneError::Characters);
        }
        Ok(Self(phone))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A web address over http or https with a dotted host name; or nothing. One typed without a
/// scheme ("beanthere.co.uk") is taken to be https. Only these two schemes are ever stored, so a
/// link made from one cannot run script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Website(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebsiteError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error("Enter a web address such as https://example.co.uk.")]
    NotAWebAddress,
}

impl Website {
    pub fn parse(input: &str) -> Result<Self, WebsiteError> {
        let mut website = checked("The website", input, 500, Lines::One)?;
        if website.is_empty() {
            return Ok(Self(website));
        }
        if !website.contains("://") {
            website = format!("https://{website}");
        }
        let host = website
            .split_once("://")
            .filter(|(scheme, _)| *scheme == "https" || *scheme == "http")
            .and_then(|(_, rest)| rest.split('/').next());
        if !host.is_some_and(|host| host.contains('.') && !host.contains(char::is_whitespace)) {
            return Err(WebsiteError::NotAWebAddress);
        }
        Ok(Self(website))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A business's tags: lower-case, each at most [`Tags::MAX_CHARS`] characters, no repeats, at
/// most [`Tags::MAX`], in the order first written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags(Vec<String>);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TagsError {
    #[error("Tags are at most 40 characters each.")]
    Tag,
    #[error("Use at most 20 tags.")]
    TooMany,
}

impl Tags {
    pub const MAX: usize = 20;
    pub const MAX_CHARS: usize = 40;

    /// Tags from a comma-separated list; empty entries are skipped.
    pub fn parse(input: &str) -> Result<Self, TagsError> {
        let mut tags: Vec<String> = Vec::new();
        for tag in input
            .split(',')
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
        {
            if tag.chars().count() > Self::MAX_CHARS || tag.chars().any(char::is_control) {
                return Err(TagsError::Tag);
            }
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.len() > Self::MAX {
            return Err(TagsError::TooMany);
        }
        Ok(Self(tags))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_business_needs_a_name() {
        assert_eq!(
            BusinessName::parse(" Bean There ").unwrap().as_str(),
            "Bean There"
        );
        assert_eq!(
            BusinessName::parse("").unwrap_err().to_string(),
            "Enter the business's name."
        );
    }

    #[test]
    fn addresses_and_notes_may_span_lines() {
        assert_eq!(
            Address::parse("1 Quay St\nLeeds").unwrap().as_str(),
            "1 Quay St\nLeeds"
        );
        assert!(Notes::parse("").is_ok());
        assert_eq!(
            Notes::parse(&"x".repeat(10_001)).unwrap_err().to_string(),
            "Notes is at most 10000 characters."
        );
    }

    #[test]
    fn a_phone_number_is_digits_and_punctuation() {
        assert_eq!(
            Phone::parse("+44 (0)113 496-0000").unwrap().as_str(),
            "+44 (0)113 496-0000"
        );
        assert_eq!(Phone::parse("call me"), Err(PhoneError::Characters));
        assert!(Phone::parse("").is_ok(), "a phone number is optional");
    }

    #[test]
    fn a_website_without_a_scheme_is_taken_to_be_https() {
        assert_eq!(
            Website::parse("beanthere.co.uk").unwrap().as_str(),
            "https://beanthere.co.uk"
        );
        assert_eq!(
            Website::parse("http://example.com/menu").unwrap().as_str(),
            "http://example.com/menu"
        );
        assert_eq!(Website::parse(" ").unwrap().as_str(), "");
    }

    #[test]
    fn a_website_is_an_http_address_with_a_dotted_host() {
        for bad in [
            "javascript:alert(1)",
            "ftp://example.com",
            "localhost",
            "https://exa mple.com",
        ] {
            assert_eq!(
                Website::parse(bad),
                Err(WebsiteError::NotAWebAddress),
                "{bad}"
            );
        }
    }

    #[test]
    fn tags_are_lower_case_and_distinct_in_the_order_written() {
        let tags = Tags::parse("Coffee, coffee , Beans,,").unwrap();
        assert_eq!(tags.as_slice(), ["coffee", "beans"]);
    }

    #[test]
    fn tags_are_short_and_few() {
        assert_eq!(Tags::parse(&"x".repeat(41)), Err(TagsError::Tag));
        let many = (0..21).map(|n| n.to_string()).collect::<Vec<_>>().join(",");
        assert_eq!(Tags::parse(&many), Err(TagsError::TooMany));
    }
}
