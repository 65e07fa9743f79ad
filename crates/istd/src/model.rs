//! What the messages say, as records, and the problems found in them.

use crate::bsn::Pseudonym;
use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// Youth care (iJw) or social support (iWmo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Standard {
    #[serde(rename = "ijw")]
    Ijw,
    #[serde(rename = "iwmo")]
    Iwmo,
}

impl Standard {
    /// The law code Samenspel uses (`jeugd`, `wmo`).
    pub fn law(self) -> &'static str {
        match self {
            Standard::Ijw => "jeugd",
            Standard::Iwmo => "wmo",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Standard::Ijw => "jw",
            Standard::Iwmo => "wmo",
        }
    }

    /// The namespace of a message of this standard in release 3.2.
    pub fn namespace(self, kind: MessageKind) -> String {
        let root = match self {
            Standard::Ijw => "ijw",
            Standard::Iwmo => "iwmo",
        };
        format!("http://www.istandaarden.nl/{root}/3_2/{}{}/schema", self.prefix(), kind.number())
    }

    pub fn basis_namespace(self) -> &'static str {
        match self {
            Standard::Ijw => "http://www.istandaarden.nl/ijw/3_2/basisschema/schema",
            Standard::Iwmo => "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema",
        }
    }
}

/// The messages Samenspel reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageKind {
    Assignment,
    Start,
    Stop,
    Claim,
    ClaimAnswer,
}

impl MessageKind {
    pub fn number(self) -> u16 {
        match self {
            MessageKind::Assignment => 301,
            MessageKind::Start => 305,
            MessageKind::Stop => 307,
            MessageKind::Claim => 323,
            MessageKind::ClaimAnswer => 325,
        }
    }

    /// The BerichtCode (code list COD002) of this message in a standard.
    pub fn code(self, standard: Standard) -> u16 {
        match (standard, self) {
            (Standard::Ijw, MessageKind::Assignment) => 436,
            (Standard::Ijw, MessageKind::Start) => 438,
            (Standard::Ijw, MessageKind::Stop) => 440,
            (Standard::Ijw, MessageKind::Claim) => 490,
            (Standard::Ijw, MessageKind::ClaimAnswer) => 491,
            (Standard::Iwmo, MessageKind::Assignment) => 414,
            (Standard::Iwmo, MessageKind::Start) => 418,
            (Standard::Iwmo, MessageKind::Stop) => 420,
            (Standard::Iwmo, MessageKind::Claim) => 484,
            (Standard::Iwmo, MessageKind::ClaimAnswer) => 485,
        }
    }

    /// The message name as the standard writes it: `JW323`, `WMO301`.
    pub fn name(self, standard: Standard) -> String {
        format!("{}{}", standard.prefix().to_uppercase(), self.number())
    }

    pub fn all() -> [MessageKind; 5] {
        [MessageKind::Assignment, MessageKind::Start, MessageKind::Stop, MessageKind::Claim, MessageKind::ClaimAnswer]
    }
}

/// The header every message starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub standard: Standard,
    pub kind: MessageKind,
    /// Municipality (4 digits) or provider (AGB, 8 digits).
    pub sender: String,
    pub receiver: String,
    /// BerichtIdentificatie: unique per message type per sender (TR056).
    pub message_id: String,
    pub message_date: Date,
}

impl Header {
    /// The municipality's four-digit CBS code and the provider's AGB code, whichever way the
    /// message goes.
    pub fn parties(&self) -> (&str, &str) {
        if self.sender.len() == 4 {
            (&self.sender, &self.receiver)
        } else {
            (&self.receiver, &self.sender)
        }
    }
}

/// A product as a message names it: category and, for a specific product, a code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProductRef {
    pub category: Option<String>,
    pub code: Option<String>,
}

/// A 301 ToegewezenProduct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub client: Pseudonym,
    pub number: i64,
    pub product: ProductRef,
    pub assigned_on: Date,
    /// HH:MM:SS, part of the version order of a 301 (OP033x1).
    pub assigned_at: String,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub change_reason: Option<String>,
    pub volume: Option<i64>,
    pub unit: Option<String>,
    pub frequency: Option<String>,
    pub budget_cents: Option<i64>,
}

/// A 305 StartProduct or 307 StopProduct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareEvent {
    pub client: Pseudonym,
    pub stop: bool,
    pub number: Option<i64>,
    pub product: ProductRef,
    pub starts_on: Date,
    /// For a stop: the last day of care.
    pub ends_on: Option<Date>,
    pub reason: Option<String>,
    pub status: String,
}

/// The claim (323 Declaratie) around its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub number: String,
    pub period_start: Date,
    pub period_end: Date,
    pub date: Date,
    /// Debit positive, credit negative, in euro cents. A CSV file has no claim total: the
    /// importer adds up the lines.
    pub total_cents: Option<i64>,
}

/// A 323 Prestatie: one line of a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimLine {
    pub client: Pseudonym,
    pub reference: String,
    pub previous_reference: Option<String>,
    pub assignment_number: i64,
    pub category: String,
    pub code: Option<String>,
    pub period_start: Date,
    pub period_end: Date,
    pub volume: i64,
    pub unit: String,
    pub tariff_cents: Option<i64>,
    /// Debit positive, credit negative, in euro cents.
    pub amount_cents: i64,
}

/// The municipality's answer to a claim (325 DeclaratieAntwoord).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimAnswer {
    pub claim_number: String,
    pub submitted_cents: i64,
    pub granted_cents: i64,
}

/// A line the municipality rejected in its answer, with the return codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedLine {
    pub client: Pseudonym,
    pub reference: String,
    pub period_start: Date,
    pub amount_cents: i64,
    pub return_codes: Vec<String>,
}

/// One record, handed to the importer as soon as it is complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    Header(Header),
    Assignment(Assignment),
    CareEvent(CareEvent),
    Claim(Claim),
    ClaimLine(ClaimLine),
    ClaimAnswer(ClaimAnswer),
    RejectedLine(RejectedLine),
}

/// Where in a file something was found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Byte offset of the record (or element) in the file.
    pub offset: u64,
    /// 1-based line, where known.
    pub line: Option<u64>,
}

/// A problem with a record or a file: where, which field, which rule, and why (in Dutch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub position: Position,
    /// The element or column, e.g. `Prestatie/IngediendBedrag`.
    pub field: String,
    /// The standard's rule code where one applies (CS002, TR346, …), else `XSD` or a short name.
    pub rule: String,
    pub message: String,
    /// The record the problem is in, pseudonymised, so it can be quarantined and re-processed.
    pub record: Option<Record>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position.line {
            Some(line) => write!(f, "regel {line}")?,
            None => write!(f, "positie {}", self.position.offset)?,
        }
        write!(f, ", {}: {} [{}]", self.field, self.message, self.rule)
    }
}

/// What reading a whole file found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadSummary {
    pub records: u64,
    /// Problems with single records: the rest of the file is usable.
    pub record_problems: Vec<Problem>,
    /// Problems with the file as a whole (malformed, wrong namespace, totals): nothing in it may
    /// be imported.
    pub file_problems: Vec<Problem>,
}

impl ReadSummary {
    pub fn is_clean(&self) -> bool {
        self.record_problems.is_empty() && self.file_problems.is_empty()
    }
}

/// The first and last day of the calendar month of a date.
pub fn month_bounds(day: Date) -> (Date, Date) {
    let first = day.replace_day(1).unwrap_or(day);
    let last = day.replace_day(day.month().length(day.year())).unwrap_or(day);
    (first, last)
}

/// Whether a period is exactly one calendar month (rule CS340).
pub fn is_one_calendar_month(start: Date, end: Date) -> bool {
    let (first, last) = month_bounds(start);
    start == first && end == last
}

/// Whether a period lies within one calendar month (rule CS337).
pub fn within_one_month(start: Date, end: Date) -> bool {
    start <= end && start.year() == end.year() && start.month() == end.month()
}

/// The amount a claim line should have (rule TR346): volume × tariff, and for a tariff per
/// hour billed in minutes (unit 01) the hour tariff × minutes / 60, rounded to whole cents.
pub fn expected_amount(volume: i64, unit: &str, tariff_cents: i64) -> Option<(i64, Option<i64>)> {
    let plain = volume.checked_mul(tariff_cents)?;
    let per_minute = (unit == "01").then(|| {
        let scaled = i128::from(volume) * i128::from(tariff_cents);
        i64::try_from((scaled + 30) / 60).unwrap_or(i64::MAX)
    });
    Some((plain, per_minute))
}

/// The first day of the month after a date's month.
pub fn next_month(day: Date) -> Date {
    let (year, month) = if day.month() == Month::December {
        (day.year() + 1, Month::January)
    } else {
        (day.year(), day.month().next())
    };
    Date::from_calendar_date(year, month, 1).unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn codes_and_names() {
        assert_eq!(MessageKind::Claim.code(Standard::Ijw), 490);
        assert_eq!(MessageKind::Assignment.code(Standard::Iwmo), 414);
        assert_eq!(MessageKind::Claim.name(Standard::Iwmo), "WMO323");
        assert_eq!(Standard::Ijw.namespace(MessageKind::Claim), "http://www.istandaarden.nl/ijw/3_2/jw323/schema");
    }

    #[test]
    fn months() {
        assert!(is_one_calendar_month(date!(2026 - 02 - 01), date!(2026 - 02 - 28)));
        assert!(!is_one_calendar_month(date!(2026 - 02 - 01), date!(2026 - 02 - 27)));
        assert!(is_one_calendar_month(date!(2024 - 02 - 01), date!(2024 - 02 - 29)));
        assert!(within_one_month(date!(2026 - 04 - 10), date!(2026 - 04 - 30)));
        assert!(!within_one_month(date!(2026 - 04 - 10), date!(2026 - 05 - 01)));
        assert_eq!(next_month(date!(2026 - 12 - 15)), date!(2027 - 01 - 01));
    }

    #[test]
    fn amounts() {
        assert_eq!(expected_amount(4, "04", 1250), Some((5000, None)));
        // 90 minutes at € 75,00 per hour: € 112,50.
        assert_eq!(expected_amount(90, "01", 7500), Some((675_000, Some(11_250))));
        assert_eq!(expected_amount(i64::MAX, "04", 2), None);
    }
}
