//! The fields of an issue and of the changes made to issues, each checked once.

use super::text::field_text;

field_text!(
    /// What an issue is about, in one line.
    IssueTitle { what: "The title", max: 200, lines: One, required: "Give the issue a title." }
);

field_text!(
    /// The whole story of an issue, over as many lines as it needs.
    IssueDescription { what: "The description", max: 20_000, lines: Many }
);

field_text!(
    /// A comment on an issue: something must be said.
    CommentBody { what: "A comment", max: 10_000, lines: Many, required: "Write a comment first." }
);

/// The issues one change applies to, by number: at least one, at most [`IssueNumbers::MAX`],
/// each once, in ascending order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueNumbers(Vec<i32>);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IssueNumbersError {
    #[error("Issue numbers are whole numbers such as 12.")]
    NotNumbers,
    #[error("Select at least one issue.")]
    NoneSelected,
    #[error("Change at most {} issues at once.", IssueNumbers::MAX)]
    TooMany,
}

impl IssueNumbers {
    /// The most issues one change may touch.
    pub const MAX: usize = 200;

    /// Numbers separated by commas or spaces, each perhaps written with its `#`: `"3, 5 #8"`.
    pub fn parse(input: &str) -> Result<Self, IssueNumbersError> {
        let mut numbers = input
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|n| !n.is_empty())
            .map(|n| n.trim_start_matches('#').parse::<i32>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| IssueNumbersError::NotNumbers)?;
        numbers.sort_unstable();
        numbers.dedup();
        match numbers.len() {
            0 => Err(IssueNumbersError::NoneSelected),
            n if n > Self::MAX => Err(IssueNumbersError::TooMany),
            _ => Ok(Self(numbers)),
        }
    }

    pub fn as_slice(&self) -> &[i32] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a selection holds at least one issue.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issue_needs_a_title_on_one_line() {
        assert_eq!(
            IssueTitle::parse(" Boiler leak ").unwrap().as_str(),
            "Boiler leak"
        );
        assert_eq!(
            IssueTitle::parse("").unwrap_err().to_string(),
            "Give the issue a title."
        );
        assert_eq!(
            IssueTitle::parse("Boiler\nleak").unwrap_err().to_string(),
            "The title cannot contain control characters."
        );
    }

    #[test]
    fn a_description_may_be_empty_or_long() {
        assert_eq!(IssueDescription::parse("").unwrap().as_str(), "");
        assert!(IssueDescription::parse(&"x".repeat(20_000)).is_ok());
        assert!(IssueDescription::parse(&"x".repeat(20_001)).is_err());
    }

    #[test]
    fn a_comment_must_say_something() {
        assert_eq!(
            CommentBody::parse(" \n ").unwrap_err().to_string(),
            "Write a comment first."
        );
        assert_eq!(
            CommentBody::parse("On it.\nBack at 3.").unwrap().as_str(),
            "On it.\nBack at 3."
        );
    }

    #[test]
    fn issue_numbers_are_read_in_any_spelling_and_kept_once_each() {
        let numbers = IssueNumbers::parse("3, 5 #8,3").unwrap();
        assert_eq!(numbers.as_slice(), [3, 5, 8]);
    }

    #[test]
    fn a_selection_holds_between_one_and_the_most_issues() {
        assert_eq!(
            IssueNumbers::parse(" , "),
            Err(IssueNumbersError::NoneSelected)
        );
        assert_eq!(
            IssueNumbers::parse("3,x"),
            Err(IssueNumbersError::NotNumbers)
        );
        let all = (1..=200)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(IssueNumbers::parse(&all).unwrap().len(), 200);
        let too_many = format!("{all},201");
        assert_eq!(
            IssueNumbers::parse(&too_many).unwrap_err().to_string(),
            "Change at most 200 issues at once."
        );
    }
}
