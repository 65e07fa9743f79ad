//! Dutch notation for numbers and dates, as civil servants expect them on screen and in
//! exports: 1.234.567, 12,5%, 22-11-2026.

use crate::validation::FieldError;
use time::{macros::format_description, Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// `1234567` → `1.234.567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A whole number in Dutch notation, with a minus sign where needed.
pub fn integer(n: i64) -> String {
    if n < 0 {
        format!("-{}", group_thousands(n.unsigned_abs()))
    } else {
        group_thousands(n as u64)
    }
}

/// A share as a percentage with one decimal: `0.125` → `12,5%`.
pub fn percentage(share: f64) -> String {
    format!("{:.1}%", share * 100.0).replace('.', ",")
}

/// `2026-11-22` → `22-11-2026`.
pub fn date(d: Date) -> String {
    d.format(format_description!("[day]-[month]-[year]")).unwrap_or_else(|_| d.to_string())
}

/// Reads a date as typed in Dutch (`22-11-2026`) or as sent by an HTML date input and the
/// API (`2026-11-22`).
pub fn parse_date(input: &str) -> Result<Date, FieldError> {
    let s = input.trim();
    let dutch = format_description!("[day]-[month]-[year]");
    let iso = format_description!("[year]-[month]-[day]");
    Date::parse(s, iso).or_else(|_| Date::parse(s, dutch)).map_err(|_| {
        FieldError::new("", "date", format!("'{s}' is geen geldige datum; schrijf bijvoorbeeld 22-11-2026."))
    })
}

/// The offset of Dutch time (CET/CEST) at a moment: summer time from the last Sunday of March
/// 01:00 UTC to the last Sunday of October 01:00 UTC, the EU rule since 1996.
pub fn amsterdam_offset(at: OffsetDateTime) -> UtcOffset {
    let utc = at.to_offset(UtcOffset::UTC);
    let last_sunday = |month: Month| {
        let mut day = Date::from_calendar_date(utc.year(), month, 31).unwrap_or(utc.date());
        while day.weekday() != Weekday::Sunday {
            day = day.previous_day().unwrap_or(day);
        }
        PrimitiveDateTime::new(day, Time::from_hms(1, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_utc()
    };
    let summer = utc >= last_sunday(Month::March) && utc < last_sunday(Month::October);
    UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// The day it is in the Netherlands at a moment (the UTC date lags an hour or two at midnight).
pub fn dutch_date(at: OffsetDateTime) -> Date {
    at.to_offset(amsterdam_offset(at)).date()
}

/// A moment in Dutch time: `30-11-2026 17:00`.
pub fn date_time(at: OffsetDateTime) -> String {
    let local = at.to_offset(amsterdam_offset(at));
    local.format(format_description!("[day]-[month]-[year] [hour]:[minute]")).unwrap_or_else(|_| at.to_string())
}

/// The value an HTML `datetime-local` input shows for a moment, in Dutch time.
pub fn date_time_input(at: OffsetDateTime) -> String {
    let local = at.to_offset(amsterdam_offset(at));
    local.format(format_description!("[year]-[month]-[day]T[hour]:[minute]")).unwrap_or_default()
}

/// Reads a moment typed in Dutch time (`30-11-2026 17:00`), as sent by a `datetime-local` input
/// (`2026-11-30T17:00`), or with an explicit offset as the API may send it (RFC 3339).
pub fn parse_date_time(input: &str) -> Result<OffsetDateTime, FieldError> {
    let s = input.trim();
    if let Ok(at) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(at);
    }
    let formats = [
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]"),
        format_description!("[day]-[month]-[year] [hour]:[minute]"),
    ];
    let local = formats.iter().find_map(|f| PrimitiveDateTime::parse(s, f).ok()).ok_or_else(|| {
        FieldError::new(
            "",
            "datetime",
            format!("'{s}' is geen geldig tijdstip; schrijf bijvoorbeeld 30-11-2026 17:00."),
        )
    })?;
    // The offset that holds at that local time; in the hour the clocks go back, the earlier.
    let guess = local.assume_offset(UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC));
    let offset = amsterdam_offset(guess - time::Duration::hours(1));
    Ok(local.assume_offset(offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn numbers() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1.000");
        assert_eq!(integer(-17_942_942), "-17.942.942");
        assert_eq!(percentage(0.125), "12,5%");
    }

    #[test]
    fn dates() {
        assert_eq!(date(date!(2026 - 11 - 22)), "22-11-2026");
        assert_eq!(parse_date("22-11-2026").unwrap(), date!(2026 - 11 - 22));
        assert_eq!(parse_date("2026-11-22").unwrap(), date!(2026 - 11 - 22));
        assert!(parse_date("31-02-2026").is_err());
        assert!(parse_date("").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_a_moment_or_a_clear_error(text in "\\PC{0,40}") {
            let _ = parse_date_time(&text);
        }

        #[test]
        fn a_moment_shown_in_dutch_time_reads_back_the_same(seconds in 0i64..4_000_000_000) {
            let at = OffsetDateTime::from_unix_timestamp(seconds).unwrap().replace_second(0).unwrap();
            // In the hour the clocks go back, the local time is ambiguous; the earlier reading wins.
            let back = parse_date_time(&date_time_input(at)).unwrap();
            proptest::prop_assert!(back == at || back == at - time::Duration::hours(1));
        }
    }

    #[test]
    fn dutch_time_follows_summer_time() {
        use time::macros::datetime;
        assert_eq!(date_time(datetime!(2026-11-30 16:00 UTC)), "30-11-2026 17:00");
        assert_eq!(date_time(datetime!(2026-07-01 15:00 UTC)), "01-07-2026 17:00");
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(date_time(datetime!(2026-03-29 00:59 UTC)), "29-03-2026 01:59");
        assert_eq!(date_time(datetime!(2026-03-29 01:00 UTC)), "29-03-2026 03:00");
        assert_eq!(date_time(datetime!(2026-10-25 00:59 UTC)), "25-10-2026 02:59");
        assert_eq!(date_time(datetime!(2026-10-25 01:00 UTC)), "25-10-2026 02:00");
        assert_eq!(parse_date_time("30-11-2026 17:00").unwrap(), datetime!(2026-11-30 16:00 UTC));
        assert_eq!(parse_date_time("2026-07-01T17:00").unwrap(), datetime!(2026-07-01 15:00 UTC));
        assert_eq!(parse_date_time("2026-07-01T17:00:00+02:00").unwrap(), datetime!(2026-07-01 15:00 UTC));
        assert_eq!(date_time_input(datetime!(2026-07-01 15:00 UTC)), "2026-07-01T17:00");
        assert_eq!(dutch_date(datetime!(2026-12-31 23:30 UTC)), time::macros::date!(2027 - 01 - 01));
        assert_eq!(dutch_date(datetime!(2026-12-31 22:30 UTC)), time::macros::date!(2026 - 12 - 31));
        assert!(parse_date_time("morgen").is_err());
        assert!(parse_date_time("2026-02-30T10:00").is_err());
    }
}
