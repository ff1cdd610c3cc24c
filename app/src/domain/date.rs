//! Calendar dates as a browser's date field sends them and as people type them into a CSV file.

use time::{Date, Month};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Use a date such as 2026-12-31.")]
pub struct DateError;

/// `YYYY-MM-DD` naming a day that exists, in the years 1 to 9999: exactly four, two and two
/// digits, so a date has one spelling and reads back the way it was written.
pub fn parse_date(input: &str) -> Result<Date, DateError> {
    let mut parts = input.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(DateError);
    };
    let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
        return Err(DateError);
    }
    // Only ASCII digits remain, so these parse.
    let (year, month, day) = (
        year.parse::<i32>().map_err(|_| DateError)?,
        month.parse::<u8>().map_err(|_| DateError)?,
        day.parse::<u8>().map_err(|_| DateError)?,
    );
    if year == 0 {
        return Err(DateError);
    }
    let month = Month::try_from(month).map_err(|_| DateError)?;
    Date::from_calendar_date(year, month, day).map_err(|_| DateError)
}

/// "1 Dec 2026": a date as a sentence says it.
pub fn long_date(date: Date) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {}",
        date.day(),
        MONTHS[usize::from(u8::from(date.month())) - 1],
        date.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_year_month_and_day() {
        let date = parse_date("2026-12-01").unwrap();
        assert_eq!(
            (date.year(), date.month(), date.day()),
            (2026, Month::December, 1)
        );
        assert_eq!(date.to_string(), "2026-12-01", "it reads back as written");
    }

    #[test]
    fn only_days_that_exist_are_dates() {
        assert!(parse_date("2028-02-29").is_ok(), "a leap year");
        assert_eq!(parse_date("2026-02-29"), Err(DateError));
        assert_eq!(parse_date("2026-13-01"), Err(DateError));
        assert_eq!(parse_date("2026-04-31"), Err(DateError));
        assert_eq!(parse_date("0000-01-01"), Err(DateError));
    }

    #[test]
    fn other_spellings_are_not_dates() {
        for input in [
            "tomorrow",
            "+026-01-01",
            "2026-1-01",
            "26-01-01",
            "2026-01-01-01",
            "2026/01/01",
            " 2026-01-01",
            "",
        ] {
            assert_eq!(parse_date(input), Err(DateError), "{input:?}");
        }
    }

    #[test]
    fn the_latest_date_is_the_last_day_of_9999() {
        assert_eq!(parse_date("9999-12-31").unwrap().to_string(), "9999-12-31");
    }

    #[test]
    fn long_dates_name_the_month() {
        let d = |s| long_date(parse_date(s).unwrap());
        assert_eq!(d("2026-12-01"), "1 Dec 2026");
        assert_eq!(d("0999-01-31"), "31 Jan 999");
    }
}
