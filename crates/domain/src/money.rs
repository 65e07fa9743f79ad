//! Money as whole euro cents. Amounts are never floats: sums and allocations must add up
//! to the cent.

use crate::nl::group_thousands;
use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in euro cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    pub fn checked_add(self, other: Cents) -> Option<Cents> {
        self.0.checked_add(other.0).map(Cents)
    }

    /// Parses an amount as people type it: `1.234,56`, `€ 1.234`, `-12,5`, `1234.56`.
    ///
    /// The Dutch convention wins: a comma is the decimal separator and dots group
    /// thousands. Without a comma, a single dot followed by one or two digits is read as a
    /// decimal point (`12.50`), because that cannot be a thousands group.
    pub fn parse(input: &str) -> Result<Cents, FieldError> {
        let invalid = || {
            FieldError::new("", "pattern", format!("'{}' is geen bedrag; schrijf bijvoorbeeld 1.234,56.", input.trim()))
        };
        let mut s: String = input.trim().trim_start_matches('€').chars().filter(|c| !c.is_whitespace()).collect();
        let negative = s.starts_with('-');
        if negative {
            s.remove(0);
        }
        let (whole, fraction) = if let Some((w, f)) = s.split_once(',') {
            (w.to_string(), f.to_string())
        } else {
            match s.rsplit_once('.') {
                Some((w, f)) if !w.contains('.') && (1..=2).contains(&f.len()) => (w.to_string(), f.to_string()),
                _ => (s.clone(), String::new()),
            }
        };
        // Thousands groups must be well formed: 1.234.567, not 12.34.
        let groups: Vec<&str> = whole.split('.').collect();
        let groups_ok = groups.iter().enumerate().all(|(i, g)| {
            let len_ok = if i == 0 { (1..=3).contains(&g.len()) || groups.len() == 1 } else { g.len() == 3 };
            len_ok && !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit())
        });
        if !groups_ok || fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let euros: i64 = groups.concat().parse().map_err(|_| invalid())?;
        let cents: i64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().map_err(|_| invalid())? * 10,
            _ => fraction.parse().map_err(|_| invalid())?,
        };
        let total = euros.checked_mul(100).and_then(|e| e.checked_add(cents)).ok_or_else(invalid)?;
        Ok(Cents(if negative { -total } else { total }))
    }
}

/// Dutch notation: `€ 1.234,56`, `-€ 12,00`.
impl Cents {
    /// Euros with a decimal comma and no thousands separator or sign of the currency, as
    /// spreadsheets read them (`-1234,50`).
    pub fn plain(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{},{:02}", self.0.unsigned_abs() / 100, self.0.unsigned_abs() % 100)
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}€ {},{:02}", group_thousands(abs / 100), abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_amounts_for_spreadsheets() {
        assert_eq!(
            (Cents(-123_450).plain(), Cents(5).plain(), Cents(0).plain()),
            ("-1234,50".into(), "0,05".into(), "0,00".into())
        );
    }

    #[test]
    fn parses_the_ways_people_write_amounts() {
        let cases = [
            ("1.234,56", 123_456),
            ("€ 1.234", 123_400),
            ("-12,5", -1250),
            ("12.50", 1250),
            ("1234.5", 123_450),
            ("1.234.567", 123_456_700),
            ("0,07", 7),
            ("1234", 123_400),
        ];
        for (text, cents) in cases {
            assert_eq!(Cents::parse(text), Ok(Cents(cents)), "{text}");
        }
        for bad in ["", "12,345", "1.23.4", "abc", "12,3a", "€", "1,2,3", "99999999999999999999"] {
            assert!(Cents::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn displays_dutch() {
        assert_eq!(Cents(123_456).to_string(), "€ 1.234,56");
        assert_eq!(Cents(-5).to_string(), "-€ 0,05");
        assert_eq!(Cents(i64::MIN).to_string(), "-€ 92.233.720.368.547.758,08");
    }

    proptest! {
        #[test]
        fn display_parses_back(c in -1_000_000_000_000i64..1_000_000_000_000) {
            let shown = Cents(c).to_string().replace("-€ ", "-").replace("€ ", "");
            prop_assert_eq!(Cents::parse(&shown), Ok(Cents(c)));
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = Cents::parse(&s);
        }
    }
}
