//! Dutch notation for numbers and dates, as civil servants expect them on screen and in
//! exports: 1.234.567, 12,5%, 22-11-2026.

use crate::validation::FieldError;
use time::{macros::format_description, Date};

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
}
