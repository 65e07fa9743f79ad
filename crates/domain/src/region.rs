//! Regions (samenwerkingsverbanden): which law they buy for and who their members are over time.

use crate::validation::{FieldError, Invalid};
use serde::{Deserialize, Serialize};
use time::Date;

/// The law(s) a region buys care for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Domain {
    /// Jeugdwet.
    #[serde(rename = "jeugd")]
    Youth,
    /// Wmo 2015.
    #[serde(rename = "wmo")]
    Wmo,
    #[serde(rename = "jeugd-en-wmo")]
    YouthAndWmo,
}

impl Domain {
    pub const ALL: [Domain; 3] = [Domain::Youth, Domain::Wmo, Domain::YouthAndWmo];

    /// The code used in storage, the API and forms.
    pub fn code(self) -> &'static str {
        match self {
            Domain::Youth => "jeugd",
            Domain::Wmo => "wmo",
            Domain::YouthAndWmo => "jeugd-en-wmo",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Domain::Youth => "Jeugd (Jeugdwet)",
            Domain::Wmo => "Wmo 2015",
            Domain::YouthAndWmo => "Jeugd en Wmo",
        }
    }

    pub fn parse(s: &str) -> Result<Domain, FieldError> {
        Domain::ALL
            .into_iter()
            .find(|d| d.code() == s.trim())
            .ok_or_else(|| FieldError::new("", "enum", "Kies jeugd, wmo of jeugd-en-wmo."))
    }

    pub fn covers_youth(self) -> bool {
        matches!(self, Domain::Youth | Domain::YouthAndWmo)
    }

    pub fn covers_wmo(self) -> bool {
        matches!(self, Domain::Wmo | Domain::YouthAndWmo)
    }
}

/// A period of membership: a member joins on a date and may leave on a later date. The
/// member takes part up to and including the day before `left_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipPeriod {
    pub joined_on: Date,
    pub left_on: Option<Date>,
}

impl MembershipPeriod {
    pub fn new(joined_on: Date, left_on: Option<Date>) -> Result<Self, Invalid> {
        if let Some(left) = left_on {
            if left <= joined_on {
                return Err(Invalid::single("leftOn", "range", "De einddatum moet na de begindatum liggen."));
            }
        }
        Ok(MembershipPeriod { joined_on, left_on })
    }

    pub fn is_active_on(&self, day: Date) -> bool {
        self.joined_on <= day && self.left_on.is_none_or(|left| day < left)
    }

    /// Whether the member takes part on at least one day of a calendar year.
    pub fn covers_year(&self, year: i32) -> bool {
        let Ok(first_day) = Date::from_calendar_date(year, time::Month::January, 1) else {
            return false;
        };
        self.joined_on.year() <= year && self.left_on.is_none_or(|left| left > first_day)
    }

    /// Whether two periods of the same member in the same region overlap, which is not allowed.
    pub fn overlaps(&self, other: &MembershipPeriod) -> bool {
        let self_before_other = self.left_on.is_some_and(|l| l <= other.joined_on);
        let other_before_self = other.left_on.is_some_and(|l| l <= self.joined_on);
        !(self_before_other || other_before_self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn domain_codes_round_trip() {
        for d in Domain::ALL {
            assert_eq!(Domain::parse(d.code()).unwrap(), d);
        }
        assert!(Domain::parse("zorg").is_err());
        assert!(Domain::YouthAndWmo.covers_youth() && Domain::YouthAndWmo.covers_wmo());
        assert!(!Domain::Wmo.covers_youth());
    }

    #[test]
    fn membership_periods() {
        let p = MembershipPeriod::new(date!(2024 - 01 - 01), Some(date!(2025 - 01 - 01))).unwrap();
        assert!(p.is_active_on(date!(2024 - 12 - 31)));
        assert!(!p.is_active_on(date!(2025 - 01 - 01)));
        assert!(!p.is_active_on(date!(2023 - 12 - 31)));
        assert!(MembershipPeriod::new(date!(2024 - 01 - 01), Some(date!(2024 - 01 - 01))).is_err());

        let later = MembershipPeriod::new(date!(2025 - 01 - 01), None).unwrap();
        assert!(!p.overlaps(&later));
        assert!(!later.overlaps(&p));
        // `left_on` is the first day no longer a member: leaving on 1 January 2025 means not in 2025.
        assert!(p.covers_year(2024) && !p.covers_year(2025) && !p.covers_year(2023));
        let mid = MembershipPeriod::new(date!(2024 - 07 - 01), Some(date!(2025 - 01 - 02))).unwrap();
        assert!(mid.covers_year(2024) && mid.covers_year(2025) && !mid.covers_year(2026));
        let open = MembershipPeriod::new(date!(2020 - 01 - 01), None).unwrap();
        assert!(open.overlaps(&later) && open.overlaps(&p));
    }
}
