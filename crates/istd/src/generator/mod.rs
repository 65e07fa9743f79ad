//! Realistic synthetic iJw/iWmo 3.2 messages, for demonstrations, tests and benchmarks.
//!
//! [`world`] simulates a region from a [`Plan`]: clients spread over the municipalities by
//! weight, assignments (301) with later changes, start and stop of care (305, 307), monthly
//! claims (323) with a few corrections, and the municipalities' answers (325, iJw only). The
//! result is a [`World`] of plain facts that any writer can render; [`generate`] renders it as
//! XML messages that validate against the XSDs and read clean with [`crate::xml::read`].
//! Everything follows from the plan and its seed: the same plan gives the same bytes.
//!
//! BSNs are synthetic (nine digits starting with 99 that pass the 11-proof) and so are the
//! names (`Testmans`, `Proefstra`, …): nothing here describes a real person.

mod large;
mod render;
mod world;
mod xml_out;

pub use large::write_large_claim;
pub use world::{
    world, AssignmentVersion, GeneratedAnswer, GeneratedAssignment, GeneratedClaim, GeneratedClient, GeneratedEvent,
    GeneratedLine, GeneratedMessage, MessageContent, RejectedLineFact, World,
};

use crate::model::Standard;
use crate::rules::UNITS;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use time::Date;

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub standard: Standard,
    pub municipalities: Vec<PlanMunicipality>,
    /// What providers deliver, with tariffs.
    pub offers: Vec<Offer>,
    /// First day of the first claimed month (another day of that month is taken as its first).
    pub first_month: Date,
    pub months: u32,
    /// Clients in care per 1000 of weight over the whole period, roughly.
    pub clients_per_1000: u32,
    pub seed: u64,
    /// Nothing is dated after this day, and only months that ended before it are claimed (TR135).
    pub today: Date,
}

/// A municipality of the region; clients are spread over them by weight (inhabitants, youths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanMunicipality {
    /// The four-digit CBS code as messages write it, e.g. `0518`.
    pub code: String,
    pub weight: u32,
}

/// The kind of care an offer is, which drives who gets it, for how long and in what volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Care {
    /// Hours (or minutes, or sessions) per month; most clients.
    Ambulant,
    /// Dagdelen per week.
    DayCare,
    /// Day and night (etmalen), expensive: the heavy tail of the spend.
    Residential,
    /// A result, claimed once when the assignment ends.
    Output,
}

/// A product one provider delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// AGB code, 8 digits.
    pub provider: String,
    /// Two digits, of the standard's list (iJw 31–55, iWmo 01–18).
    pub category: String,
    /// The product code, 1–5 letters or digits, e.g. `45A04`.
    pub code: String,
    /// WJ756: 01 minute, 04 hour, 14 etmaal, 16 dagdeel, 82 stuks output, 83 euro, 84 stuks inspanning.
    pub unit: String,
    pub care: Care,
    pub tariffs: Vec<PlanTariff>,
}

/// The tariff of an offer in a year, per unit in euro cents (for unit 83: the price of the whole
/// result). A municipality's own tariff wins over the general one; an offer without a tariff in
/// a year is neither assigned nor claimed in that year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTariff {
    pub year: i32,
    pub municipality: Option<String>,
    pub cents: i64,
}

impl Offer {
    /// The tariff of a claim in `year` for `municipality`.
    pub fn tariff(&self, year: i32, municipality: &str) -> Option<i64> {
        let of_year = || self.tariffs.iter().filter(move |t| t.year == year);
        of_year()
            .find(|t| t.municipality.as_deref() == Some(municipality))
            .or_else(|| of_year().find(|t| t.municipality.is_none()))
            .map(|t| t.cents)
    }
}

/// The product categories of the standard's list (XSD enumeration LDT_ProductCategorie).
fn category_exists(standard: Standard, category: &str) -> bool {
    let number = match category.parse::<u8>() {
        Ok(n) if category.len() == 2 && category.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => return false,
    };
    match standard {
        Standard::Ijw => matches!(number, 31..=38 | 40..=55),
        Standard::Iwmo => (1..=18).contains(&number),
    }
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

impl Plan {
    /// Checks what the messages would otherwise carry invalidly.
    pub fn check(&self) -> io::Result<()> {
        if self.municipalities.is_empty() || self.offers.is_empty() {
            return Err(invalid("a plan needs municipalities and offers".into()));
        }
        if self.months == 0 || self.months > 240 {
            return Err(invalid(format!("months must be 1 to 240, not {}", self.months)));
        }
        if self.first_month.year() < 2021 || self.today.year() > 9000 {
            return Err(invalid("claims start in 2021 or later (CS100)".into()));
        }
        if self.today <= self.first_month {
            return Err(invalid("today must lie after the first month's first day".into()));
        }
        for m in &self.municipalities {
            if !digits(&m.code, 4) {
                return Err(invalid(format!("municipality code '{}' is not four digits", m.code)));
            }
        }
        for o in &self.offers {
            if !digits(&o.provider, 8) {
                return Err(invalid(format!("provider '{}' is not an AGB code of eight digits", o.provider)));
            }
            if !category_exists(self.standard, &o.category) {
                return Err(invalid(format!("category '{}' is not in the {:?} list", o.category, self.standard)));
            }
            let code_ok = (1..=5).contains(&o.code.len()) && o.code.bytes().all(|b| b.is_ascii_alphanumeric());
            let stated = o.code.get(..2).filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
            if !code_ok || stated.is_some_and(|p| p != o.category) {
                return Err(invalid(format!("product code '{}' does not fit category {}", o.code, o.category)));
            }
            if !UNITS.contains(&o.unit.as_str()) {
                return Err(invalid(format!("unit '{}' is not in WJ756", o.unit)));
            }
            for t in &o.tariffs {
                if !(1..=99_999_999).contains(&t.cents) || t.municipality.as_deref().is_some_and(|m| !digits(m, 4)) {
                    return Err(invalid(format!("tariff of {} in {} is out of range", o.code, t.year)));
                }
            }
        }
        Ok(())
    }
}

/// What was generated, for reports and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: u64,
    pub clients: u64,
    /// Assignments (ToewijzingNummers), not counting their changed versions.
    pub assignments: u64,
    /// Later 301 versions of an assignment (shortened or extended).
    pub assignment_changes: u64,
    pub starts: u64,
    pub stops: u64,
    /// 323 messages.
    pub claims: u64,
    /// Every Prestatie of every 323, credit lines included.
    pub claim_lines: u64,
    pub credit_lines: u64,
    /// Net claimed: debit minus credit, euro cents.
    pub claimed_cents: i64,
    /// 325 messages and what they granted.
    pub answers: u64,
    pub granted_cents: i64,
    pub rejected_lines: u64,
    /// Net claimed cents per municipality.
    pub per_municipality: BTreeMap<String, i64>,
    /// Net claimed cents per month of care (first day of the ProductPeriode's month).
    pub per_month: BTreeMap<Date, i64>,
    /// Files per message name (`JW301`, `WMO323`, …).
    pub per_message: BTreeMap<String, u64>,
}

impl Summary {
    pub fn of(world: &World) -> Summary {
        let mut s = Summary {
            files: world.messages.len() as u64,
            clients: world.clients.len() as u64,
            assignments: world.assignments.len() as u64,
            assignment_changes: world.assignments.iter().map(|a| a.versions.len().saturating_sub(1) as u64).sum(),
            starts: world.events.iter().filter(|e| !e.stop).count() as u64,
            stops: world.events.iter().filter(|e| e.stop).count() as u64,
            claims: world.claims.len() as u64,
            claim_lines: world.lines.len() as u64,
            credit_lines: world.lines.iter().filter(|l| l.amount_cents < 0).count() as u64,
            answers: world.answers.len() as u64,
            granted_cents: world.answers.iter().map(|a| a.granted_cents).sum(),
            rejected_lines: world.answers.iter().map(|a| a.rejected.len() as u64).sum(),
            ..Summary::default()
        };
        for line in &world.lines {
            s.claimed_cents += line.amount_cents;
            *s.per_municipality.entry(line.municipality.clone()).or_default() += line.amount_cents;
            *s.per_month.entry(crate::model::month_bounds(line.period_start).0).or_default() += line.amount_cents;
        }
        for m in &world.messages {
            *s.per_message.entry(m.kind.name(world.standard)).or_default() += 1;
        }
        s
    }
}

/// Writes every message of the plan's world through `write(file_name, bytes)`, in the order
/// they were sent (file names start with the message date). Deterministic: the same plan gives
/// the same names and bytes.
pub fn generate(plan: &Plan, mut write: impl FnMut(&str, &[u8]) -> io::Result<()>) -> io::Result<Summary> {
    let world = world(plan)?;
    let mut buf = Vec::with_capacity(64 * 1024);
    for message in &world.messages {
        buf.clear();
        world.render(message, &mut buf)?;
        write(&message.file_name, &buf)?;
    }
    Ok(Summary::of(&world))
}

/// [`generate`] into a directory, created if missing.
pub fn generate_to_dir(plan: &Plan, dir: &Path) -> io::Result<Summary> {
    std::fs::create_dir_all(dir)?;
    generate(plan, |name, bytes| std::fs::write(dir.join(name), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn offer(category: &str, code: &str, unit: &str) -> Offer {
        Offer {
            provider: "12345678".into(),
            category: category.into(),
            code: code.into(),
            unit: unit.into(),
            care: Care::Ambulant,
            tariffs: vec![
                PlanTariff { year: 2025, municipality: None, cents: 9000 },
                PlanTariff { year: 2025, municipality: Some("0518".into()), cents: 9500 },
            ],
        }
    }

    fn plan(offers: Vec<Offer>) -> Plan {
        Plan {
            standard: Standard::Ijw,
            municipalities: vec![PlanMunicipality { code: "0518".into(), weight: 100 }],
            offers,
            first_month: date!(2025 - 01 - 01),
            months: 3,
            clients_per_1000: 50,
            seed: 1,
            today: date!(2025 - 06 - 01),
        }
    }

    #[test]
    fn tariffs_prefer_the_municipality() {
        let o = offer("45", "45A04", "04");
        assert_eq!(o.tariff(2025, "0518"), Some(9500));
        assert_eq!(o.tariff(2025, "0363"), Some(9000));
        assert_eq!(o.tariff(2024, "0518"), None);
    }

    #[test]
    fn plans_are_checked() {
        assert!(plan(vec![offer("45", "45A04", "04")]).check().is_ok());
        assert!(plan(vec![offer("39", "39A04", "04")]).check().is_err(), "39 is no iJw category");
        assert!(plan(vec![offer("45", "43A04", "04")]).check().is_err(), "code of another category");
        assert!(plan(vec![offer("45", "45A04", "05")]).check().is_err(), "no such unit");
        assert!(plan(vec![offer("45", "45A04<", "04")]).check().is_err());
        let mut p = plan(vec![offer("45", "45A04", "04")]);
        p.standard = Standard::Iwmo;
        assert!(p.check().is_err(), "45 is no iWmo category");
        let mut p = plan(vec![offer("45", "45A04", "04")]);
        p.municipalities[0].code = "518".into();
        assert!(p.check().is_err());
    }
}
