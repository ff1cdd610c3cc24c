//! Time as people read it: each person has a time zone (guessed from their browser when they sign
//! up, changeable on their account page), and each organisation one (its first Owner's, changeable
//! in its settings) in which its days begin and end, so "overdue" means overdue where it works.
//!
//! A time is sent to the page as a [`Moment`]: "3 hours ago" with the exact time in the viewer's
//! zone for hovering, both made on the server, so the browser renders what the server rendered.

use serde::{Deserialize, Serialize};

/// One point in time as a page shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moment {
    /// RFC 3339 in UTC to the second, for the `datetime` attribute; sorts as time does.
    pub utc: String,
    /// The exact time in the viewer's zone: "Wed 2 Dec 2026, 14:05 GMT".
    pub exact: String,
    /// Relative to when the page was made: "3 hours ago", "in 2 days", "12 Oct".
    pub ago: String,
}

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use jiff::{tz::TimeZone, Timestamp, Zoned};
    use time::OffsetDateTime;

    use super::Moment;

    #[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
    #[error("Choose a time zone from the list.")]
    pub struct ZoneError;

    /// A time zone the time zone database knows, by its IANA name ("Europe/London").
    #[derive(Clone, Debug)]
    pub struct Zone {
        name: String,
        tz: TimeZone,
    }

    impl PartialEq for Zone {
        fn eq(&self, other: &Self) -> bool {
            self.name == other.name
        }
    }

    impl Zone {
        pub fn parse(name: &str) -> Result<Zone, ZoneError> {
            let name = name.trim();
            if name.is_empty() || name.len() > 64 {
                return Err(ZoneError);
            }
            // Most people's and organisations': no lookup on the way into every request.
            if name == "UTC" {
                return Ok(Zone::utc());
            }
            let tz = TimeZone::get(name).map_err(|_| ZoneError)?;
            // The database's own spelling, whatever case was typed.
            let name = tz.iana_name().unwrap_or(name).to_string();
            Ok(Zone { name, tz })
        }

        pub fn utc() -> Zone {
            Zone {
                name: "UTC".into(),
                tz: TimeZone::UTC,
            }
        }

        /// A zone as the database holds it (parsed when it was stored); should a later time zone
        /// database not know it, UTC, logged, rather than a page that fails.
        pub fn from_stored(name: &str) -> Zone {
            Zone::parse(name).unwrap_or_else(|_| {
                tracing::warn!(zone = name, "a stored time zone is unknown; using UTC");
                Zone::utc()
            })
        }

        /// A browser's guess, or UTC when it guessed nothing the database knows.
        pub fn guessed(name: &str) -> Zone {
            Zone::parse(name).unwrap_or_else(|_| Zone::utc())
        }

        pub fn name(&self) -> &str {
            &self.name
        }

        fn zoned(&self, at: OffsetDateTime) -> Zoned {
            Timestamp::from_second(at.unix_timestamp())
                .unwrap_or(Timestamp::UNIX_EPOCH)
                .to_zoned(self.tz.clone())
        }

        /// The date it is now in this zone.
        pub fn today(&self) -> time::Date {
            self.date_at(OffsetDateTime::now_utc())
        }

        /// When `date` begins in this zone (its first moment, should midnight be skipped).
        pub fn start_of(&self, date: time::Date) -> OffsetDateTime {
            let start =
                jiff::civil::Date::new(date.year() as i16, date.month() as i8, date.day() as i8)
                    .ok()
                    .and_then(|d| d.to_zoned(self.tz.clone()).ok());
            start
                .and_then(|z| OffsetDateTime::from_unix_timestamp(z.timestamp().as_second()).ok())
                .unwrap_or_else(|| date.midnight().assume_utc())
        }

        /// The date in this zone at `at`.
        pub fn date_at(&self, at: OffsetDateTime) -> time::Date {
            let d = self.zoned(at).date();
            time::Month::try_from(d.month() as u8)
                .ok()
                .and_then(|m| {
                    time::Date::from_calendar_date(d.year().into(), m, d.day() as u8).ok()
                })
                .unwrap_or(time::Date::MIN)
        }

        /// The hour (0 to 23) and weekday (1 = Monday) it is at `at` in this zone.
        pub fn hour_and_weekday(&self, at: OffsetDateTime) -> (u8, u8) {
            let z = self.zoned(at);
            (z.hour() as u8, z.weekday().to_monday_one_offset() as u8)
        }

        /// `at` as a page shows it now.
        pub fn moment(&self, at: OffsetDateTime) -> Moment {
            self.moment_from(at, OffsetDateTime::now_utc())
        }

        /// `at` as a page made at `now` shows it.
        pub fn moment_from(&self, at: OffsetDateTime, now: OffsetDateTime) -> Moment {
            let (when, then) = (self.zoned(at), self.zoned(now));
            let same_year = when.year() == then.year();
            Moment {
                utc: at
                    .replace_nanosecond(0)
                    .unwrap_or(at)
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                exact: self.exact(at),
                ago: relative((now - at).whole_seconds(), || {
                    when.strftime(if same_year { "%-d %b" } else { "%-d %b %Y" })
                        .to_string()
                }),
            }
        }

        /// "Wed 2 Dec 2026, 14:05 GMT": the exact time in this zone, for emails and hovering.
        pub fn exact(&self, at: OffsetDateTime) -> String {
            self.zoned(at)
                .strftime("%a %-d %b %Y, %H:%M %Z")
                .to_string()
        }

        /// Every zone a person can choose, sorted: the database's region/city names and UTC.
        pub fn choices() -> Vec<String> {
            let mut names: Vec<String> = jiff::tz::db()
                .available()
                .map(|n| n.as_str().to_string())
                .filter(|n| {
                    n.contains('/')
                        && !n.starts_with("Etc/")
                        && !n.starts_with("SystemV/")
                        && n.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                        && !matches!(
                            n.split('/').next(),
                            Some("US" | "Canada" | "Brazil" | "Chile" | "Mexico")
                        )
                })
                .collect();
            names.push("UTC".into());
            names.sort();
            names.dedup();
            names
        }
    }

    /// How long ago (or, negative, how far ahead) `secs` seconds is, in words; past a week, the
    /// date `date` gives.
    pub fn relative(secs: i64, date: impl FnOnce() -> String) -> String {
        let (n, past) = (secs.unsigned_abs(), secs >= 0);
        let words = |count: u64, unit: &str| {
            let unit = if count == 1 {
                unit.to_string()
            } else {
                format!("{unit}s")
            };
            if past {
                format!("{count} {unit} ago")
            } else {
                format!("in {count} {unit}")
            }
        };
        const MINUTE: u64 = 60;
        const HOUR: u64 = 60 * MINUTE;
        const DAY: u64 = 24 * HOUR;
        match n {
            0..45 => "just now".into(),
            45..90 => words(1, "minute"),
            90..2700 => words(n.div_ceil(MINUTE).clamp(2, 45), "minute"),
            2700..5400 => words(1, "hour"),
            5400..79200 => words((n + HOUR / 2) / HOUR, "hour"),
            79200..129600 => words(1, "day"),
            n if n < 7 * DAY => words((n + DAY / 2) / DAY, "day"),
            _ => date(),
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn zones_are_the_databases_names() {
        assert_eq!(
            Zone::parse("Europe/London").unwrap().name(),
            "Europe/London"
        );
        assert_eq!(
            Zone::parse(" europe/paris ").unwrap().name(),
            "Europe/Paris"
        );
        assert_eq!(Zone::parse("UTC").unwrap().name(), "UTC");
        for bad in [
            "",
            "Mars/Olympus",
            "Europe/London; drop table",
            &"A/".repeat(40),
        ] {
            assert_eq!(Zone::parse(bad), Err(ZoneError), "{bad:?}");
        }
        assert_eq!(Zone::guessed("nowhere").name(), "UTC");
        let choices = Zone::choices();
        assert!(choices.contains(&"Europe/London".to_string()));
        assert!(choices.contains(&"America/New_York".to_string()));
        assert!(choices.contains(&"UTC".to_string()));
        assert!(choices.windows(2).all(|w| w[0] < w[1]));
        assert!(choices.iter().all(|c| Zone::parse(c).is_ok()));
    }

    #[test]
    fn a_day_begins_at_midnight_where_the_zone_is() {
        // 23:30 UTC on 1 December is already 2 December in Auckland, still 1 December in London
        // and New York.
        let at = datetime!(2026-12-01 23:30 UTC);
        let date = |z: &str| Zone::parse(z).unwrap().date_at(at).to_string();
        assert_eq!(date("Pacific/Auckland"), "2026-12-02");
        assert_eq!(date("Europe/London"), "2026-12-01");
        assert_eq!(date("America/New_York"), "2026-12-01");
        // 02:00 UTC on 2 December is still 1 December in New York.
        let early = datetime!(2026-12-02 02:00 UTC);
        assert_eq!(
            Zone::parse("America/New_York")
                .unwrap()
                .date_at(early)
                .to_string(),
            "2026-12-01"
        );
        let (hour, weekday) = Zone::parse("Europe/Paris").unwrap().hour_and_weekday(early);
        assert_eq!((hour, weekday), (3, 3));
        let paris = Zone::parse("Europe/Paris").unwrap();
        assert_eq!(
            paris.start_of(time::macros::date!(2026 - 12 - 02)),
            datetime!(2026-12-01 23:00 UTC)
        );
        assert_eq!(
            paris.start_of(time::macros::date!(2026 - 07 - 01)),
            datetime!(2026-06-30 22:00 UTC)
        );
    }

    #[test]
    fn moments_are_exact_in_the_viewers_zone_and_relative_to_now() {
        let now = datetime!(2026-12-02 14:00 UTC);
        let paris = Zone::parse("Europe/Paris").unwrap();
        let m = paris.moment_from(datetime!(2026-12-02 11:00 UTC), now);
        assert_eq!(m.ago, "3 hours ago");
        assert_eq!(m.exact, "Wed 2 Dec 2026, 12:00 CET");
        assert_eq!(m.utc, "2026-12-02T11:00:00Z");
        let summer = paris.moment_from(datetime!(2026-07-01 10:00 UTC), now);
        assert_eq!(summer.exact, "Wed 1 Jul 2026, 12:00 CEST");
        assert_eq!(summer.ago, "1 Jul");
        let last_year = paris.moment_from(datetime!(2025-10-12 10:00 UTC), now);
        assert_eq!(last_year.ago, "12 Oct 2025");
        let ahead = paris.moment_from(datetime!(2026-12-05 14:00 UTC), now);
        assert_eq!(ahead.ago, "in 3 days");
    }

    #[test]
    fn relative_times_read_naturally() {
        let r = |secs| relative(secs, || "a date".into());
        assert_eq!(r(0), "just now");
        assert_eq!(r(30), "just now");
        assert_eq!(r(60), "1 minute ago");
        assert_eq!(r(5 * 60), "5 minutes ago");
        assert_eq!(r(50 * 60), "1 hour ago");
        assert_eq!(r(3 * 3600), "3 hours ago");
        assert_eq!(r(23 * 3600), "1 day ago");
        assert_eq!(r(3 * 86400), "3 days ago");
        assert_eq!(r(8 * 86400), "a date");
        assert_eq!(r(-2 * 3600), "in 2 hours");
        assert_eq!(r(-90), "in 2 minutes");
        assert_eq!(r(-86400), "in 1 day");
    }
}
