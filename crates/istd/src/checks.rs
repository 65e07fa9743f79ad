//! The rules that need more than one record: a claim line needs its assignment (TR338–TR341,
//! TR307/TR308, TR384), a product must be on the list in use (TR381), the sender and receiver
//! must be a member and a known provider of the region, and a claimed tariff is compared with
//! the contract (TR418). The importer loads the region's facts from the database into
//! [`Facts`]; the checks themselves need no database and are tested directly.
//!
//! A rule broken here puts the record in quarantine. Most of these can be mended without a new
//! file (the assignment arrives, the provider is registered, the product is added to the
//! catalogue); such issues are `reprocessable`. A tariff that differs from the contract does
//! not stop a line: the money was claimed, and the difference is a signal for contract
//! management.

use crate::bsn::Pseudonym;
use crate::model::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use time::Date;

/// What a record belongs to: the message's standard and parties, and for a claim line its claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    pub standard: Standard,
    pub kind: MessageKind,
    /// Four digits, as in the messages.
    pub municipality: String,
    pub provider_agb: String,
    pub message_date: Date,
    pub claim: Option<Claim>,
}

impl Context {
    pub fn from_header(h: &Header) -> Context {
        let (municipality, provider) = h.parties();
        Context {
            standard: h.standard,
            kind: h.kind,
            municipality: municipality.to_string(),
            provider_agb: provider.to_string(),
            message_date: h.message_date,
            claim: None,
        }
    }

    /// The municipality as Samenspel stores it (`GM0518`).
    pub fn municipality_code(&self) -> String {
        format!("GM{}", self.municipality)
    }
}

/// A broken rule found by the importer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub field: String,
    pub rule: String,
    pub message: String,
    /// Whether processing the record again after a fix elsewhere can succeed.
    pub reprocessable: bool,
}

fn issue(field: &str, rule: &str, message: impl Into<String>) -> Issue {
    Issue { field: field.into(), rule: rule.into(), message: message.into(), reprocessable: true }
}

fn final_issue(field: &str, rule: &str, message: impl Into<String>) -> Issue {
    Issue { reprocessable: false, ..issue(field, rule, message) }
}

/// An assignment as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentFact {
    pub client: Pseudonym,
    pub provider_id: i64,
    pub category: Option<String>,
    pub code: Option<String>,
    pub unit: Option<String>,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    /// RedenWijziging 13: treated as never sent; no claims on it (TR384).
    pub deleted: bool,
    /// Toewijzingsdatum and -tijd: the newest version wins (OP033x1).
    pub version: (Date, String),
}

impl AssignmentFact {
    pub fn from_record(a: &Assignment, provider_id: i64) -> AssignmentFact {
        AssignmentFact {
            client: a.client.clone(),
            provider_id,
            category: a.product.category.clone(),
            code: a.product.code.clone(),
            unit: a.unit.clone(),
            starts_on: a.starts_on,
            ends_on: a.ends_on,
            deleted: a.change_reason.as_deref() == Some("13"),
            version: (a.assigned_on, a.assigned_at.clone()),
        }
    }
}

/// A contract tariff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffFact {
    pub category: String,
    pub code: Option<String>,
    pub year: i32,
    /// A member's own tariff (four digits), else the lot's.
    pub municipality: Option<String>,
    pub cents: i64,
}

/// A contract in force (not a draft) with what it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFact {
    pub provider_id: i64,
    pub lot_id: i64,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    /// (standard, category, code) of the lot's products.
    pub products: Vec<(Standard, String, Option<String>)>,
    pub tariffs: Vec<TariffFact>,
}

/// A region's facts, as the importer loads them.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub today: Option<Date>,
    pub laws: Vec<Standard>,
    /// Four digits → membership periods `[joined, left)`.
    pub members: HashMap<String, Vec<(Date, Option<Date>)>>,
    /// A member importing its own data: only this municipality (four digits).
    pub scope: Option<String>,
    /// AGB code → provider id.
    pub providers: HashMap<String, i64>,
    /// Codes of the national lists, per standard.
    pub national_codes: HashSet<(Standard, String)>,
    /// Categories of the national lists, per standard.
    pub categories: HashSet<(Standard, String)>,
    /// The region's own codes (not on the national list), per standard.
    pub own_codes: HashSet<(Standard, String)>,
    pub contracts: HashMap<i64, Vec<ContractFact>>,
    /// Standard → municipality → ToewijzingNummer → assignment (nested, so a lookup by
    /// `&str` allocates nothing: it happens for every claim line).
    pub assignments: HashMap<Standard, HashMap<String, HashMap<i64, AssignmentFact>>>,
}

/// Where an accepted claim line belongs and how its tariff compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinePlacement {
    pub provider_id: i64,
    pub lot_id: Option<i64>,
    pub contract_tariff_cents: Option<i64>,
    pub warnings: Vec<Issue>,
}

fn euro(cents: i64) -> String {
    samenspel_domain::Cents(cents).to_string()
}

impl Facts {
    pub fn assignment(&self, standard: Standard, municipality: &str, number: i64) -> Option<&AssignmentFact> {
        self.assignments.get(&standard)?.get(municipality)?.get(&number)
    }

    /// Remembers an assignment unless a newer version of it is known (OP033x1).
    pub fn remember_assignment(&mut self, standard: Standard, municipality: &str, number: i64, fact: AssignmentFact) {
        let numbers = self.assignments.entry(standard).or_default().entry(municipality.to_string()).or_default();
        match numbers.get(&number) {
            Some(known) if known.version >= fact.version => {}
            _ => {
                numbers.insert(number, fact);
            }
        }
    }

    /// Rules about the message's parties, which every record under it shares.
    pub fn context_issues(&self, ctx: &Context) -> Vec<Issue> {
        let mut out = Vec::new();
        if !self.laws.contains(&ctx.standard) {
            out.push(issue(
                "Header",
                "REGIO",
                format!(
                    "Deze regio koopt niet in voor de {}.",
                    if ctx.standard == Standard::Ijw { "Jeugdwet" } else { "Wmo" }
                ),
            ));
        }
        if let Some(scope) = &self.scope {
            if scope != &ctx.municipality {
                out.push(final_issue(
                    "Gemeente",
                    "RECHTEN",
                    format!("U mag alleen gegevens van uw eigen gemeente inlezen, niet van GM{}.", ctx.municipality),
                ));
                return out;
            }
        }
        if !self.members.contains_key(&ctx.municipality) {
            out.push(issue("Gemeente", "S300", format!("Gemeente GM{} is geen lid van deze regio.", ctx.municipality)));
        }
        if !self.providers.contains_key(&ctx.provider_agb) {
            out.push(issue(
                "Aanbieder",
                "AANBIEDER",
                format!(
                    "Er staat geen zorgaanbieder met AGB-code {} in deze regio; registreer de aanbieder en verwerk de quarantaine opnieuw.",
                    ctx.provider_agb
                ),
            ));
        }
        out
    }

    /// Whether the municipality was a member on a day.
    fn member_on(&self, municipality: &str, day: Date) -> bool {
        self.members
            .get(municipality)
            .is_some_and(|periods| periods.iter().any(|(from, to)| *from <= day && to.is_none_or(|t| day < t)))
    }

    /// TR381: the product is on the national list or in the region's catalogue.
    fn product_issue(
        &self,
        standard: Standard,
        category: Option<&str>,
        code: Option<&str>,
        field: &str,
    ) -> Option<Issue> {
        match (category, code) {
            (_, Some(code)) => {
                let known = self.national_codes.contains(&(standard, code.to_string()))
                    || self.own_codes.contains(&(standard, code.to_string()));
                (!known).then(|| {
                    issue(
                        field,
                        "TR381",
                        format!("Productcode {code} staat niet in de landelijke productcodelijst en niet in de catalogus van de regio."),
                    )
                })
            }
            (Some(category), None) => (!self.categories.contains(&(standard, category.to_string()))).then(|| {
                issue(field, "TR381", format!("Productcategorie {category} bestaat niet in de {}.", standard.law()))
            }),
            (None, None) => None,
        }
    }

    fn not_in_future(&self, day: Date, field: &str, what: &str) -> Option<Issue> {
        let today = self.today?;
        (day > today).then(|| final_issue(field, "TR135", format!("{what} ligt in de toekomst.")))
    }

    /// A 301 assigned product. On acceptance the assignment is remembered, when it is the
    /// newest version, so the claim lines after it in the same import find it.
    pub fn check_assignment(&mut self, ctx: &Context, a: &Assignment) -> Result<i64, Vec<Issue>> {
        let mut out = self.context_issues(ctx);
        if let Some(i) =
            self.product_issue(ctx.standard, a.product.category.as_deref(), a.product.code.as_deref(), "Product")
        {
            out.push(i);
        }
        out.extend(self.not_in_future(a.assigned_on, "Toewijzingsdatum", "De toewijzingsdatum"));
        if out.is_empty() && !self.member_on(&ctx.municipality, a.starts_on) {
            let end_ok = a.ends_on.is_some_and(|end| self.member_on(&ctx.municipality, end));
            if !end_ok {
                out.push(issue(
                    "Ingangsdatum",
                    "S300",
                    format!(
                        "Gemeente GM{} was geen lid van de regio in de periode van deze toewijzing.",
                        ctx.municipality
                    ),
                ));
            }
        }
        if !out.is_empty() {
            return Err(out);
        }
        let provider_id = self.providers[&ctx.provider_agb];
        let fact = AssignmentFact::from_record(a, provider_id);
        self.remember_assignment(ctx.standard, &ctx.municipality, a.number, fact);
        Ok(provider_id)
    }

    /// A 305 start or 307 stop: linked to an assignment when it names one (TR019).
    pub fn check_event(&self, ctx: &Context, e: &CareEvent) -> Result<i64, Vec<Issue>> {
        let mut out = self.context_issues(ctx);
        if !out.is_empty() {
            return Err(out);
        }
        let provider_id = self.providers[&ctx.provider_agb];
        if let Some(number) = e.number {
            match self.assignment(ctx.standard, &ctx.municipality, number) {
                None => out.push(issue(
                    "ToewijzingNummer",
                    "TR019",
                    format!("Er is geen toewijzing {number} van gemeente GM{} bekend.", ctx.municipality),
                )),
                Some(a) if a.client != e.client || a.provider_id != provider_id => out.push(issue(
                    "ToewijzingNummer",
                    "TR019",
                    format!("Toewijzing {number} hoort bij een andere cliënt of aanbieder."),
                )),
                Some(_) => {}
            }
        }
        if out.is_empty() {
            Ok(provider_id)
        } else {
            Err(out)
        }
    }

    /// The claim around the lines; its issues apply to each of its lines.
    pub fn check_claim(&self, ctx: &Context, c: &Claim) -> Vec<Issue> {
        let mut out = self.context_issues(ctx);
        out.extend(self.not_in_future(c.date, "DeclaratieDagtekening", "De declaratiedatum"));
        out
    }

    /// A claim line against its assignment, the product lists and the contract.
    pub fn check_line(&self, ctx: &Context, l: &ClaimLine) -> Result<LinePlacement, Vec<Issue>> {
        let mut out = Vec::new();
        let Some(&provider_id) = self.providers.get(&ctx.provider_agb) else {
            return Err(self.context_issues(ctx));
        };
        out.extend(self.not_in_future(l.period_start, "ProductPeriode", "De productperiode"));
        if let Some(i) = self.product_issue(ctx.standard, Some(&l.category), l.code.as_deref(), "ProductCode") {
            out.push(i);
        }
        if !self.member_on(&ctx.municipality, l.period_start) && self.members.contains_key(&ctx.municipality) {
            out.push(issue(
                "ProductPeriode",
                "S300",
                format!("Gemeente GM{} was in deze periode geen lid van de regio.", ctx.municipality),
            ));
        }
        let number = l.assignment_number;
        match self.assignment(ctx.standard, &ctx.municipality, number) {
            None => out.push(issue(
                "ToewijzingNummer",
                "TR338",
                format!(
                    "Er is geen toewijzing {number} van gemeente GM{} bekend; de regel blijft in quarantaine tot de toewijzing (301) is ingelezen.",
                    ctx.municipality
                ),
            )),
            Some(a) => {
                if a.provider_id != provider_id {
                    out.push(issue("ToewijzingNummer", "TR338", format!("Toewijzing {number} is aan een andere aanbieder gegeven.")));
                } else if a.client != l.client {
                    out.push(issue("ToewijzingNummer", "TR338", format!("Toewijzing {number} hoort bij een andere cliënt.")));
                }
                if a.deleted {
                    out.push(issue("ToewijzingNummer", "TR384", format!("Toewijzing {number} is verwijderd (reden 13).")));
                }
                if a.category.as_deref().is_some_and(|c| c != l.category) {
                    out.push(issue(
                        "ProductCategorie",
                        "TR339",
                        format!("Categorie {} wijkt af van de toewijzing ({}).", l.category, a.category.as_deref().unwrap_or("")),
                    ));
                }
                if let Some(code) = &a.code {
                    if l.code.as_deref() != Some(code.as_str()) {
                        out.push(issue("ProductCode", "TR340", format!("De productcode wijkt af van de toewijzing ({code}).")));
                    }
                }
                if a.unit.as_deref().is_some_and(|u| u != l.unit) {
                    out.push(issue(
                        "Eenheid",
                        "TR341",
                        format!("Eenheid {} wijkt af van de toewijzing ({}).", l.unit, a.unit.as_deref().unwrap_or("")),
                    ));
                }
                if l.period_start < a.starts_on {
                    out.push(issue("ProductPeriode", "TR307", "De productperiode begint vóór de ingangsdatum van de toewijzing."));
                }
                if a.ends_on.is_some_and(|end| l.period_end > end) {
                    out.push(issue("ProductPeriode", "TR308", "De productperiode eindigt na de einddatum van de toewijzing."));
                }
            }
        }
        if !out.is_empty() {
            return Err(out);
        }
        Ok(self.place(ctx, provider_id, l))
    }

    /// The contract a line falls under, its tariff, and the warnings when they do not match.
    fn place(&self, ctx: &Context, provider_id: i64, l: &ClaimLine) -> LinePlacement {
        let day = l.period_start;
        let covers = |c: &&ContractFact| {
            c.starts_on <= day
                && c.ends_on.is_none_or(|end| day <= end)
                && c.products.iter().any(|(s, cat, code)| *s == ctx.standard && *cat == l.category && *code == l.code)
        };
        let what = l.code.clone().unwrap_or_else(|| format!("categorie {}", l.category));
        let Some(contract) = self.contracts.get(&provider_id).and_then(|cs| cs.iter().find(covers)) else {
            return LinePlacement {
                provider_id,
                lot_id: None,
                contract_tariff_cents: None,
                warnings: vec![final_issue(
                    "ProductCode",
                    "CONTRACT",
                    format!(
                        "Er is op {} geen contract met deze aanbieder voor {what}.",
                        samenspel_domain::nl::date(day)
                    ),
                )],
            };
        };
        let year = day.year();
        let matching = |t: &&TariffFact| t.year == year && t.category == l.category && t.code == l.code;
        let tariff = contract
            .tariffs
            .iter()
            .filter(matching)
            .find(|t| t.municipality.as_deref() == Some(ctx.municipality.as_str()))
            .or_else(|| contract.tariffs.iter().filter(matching).find(|t| t.municipality.is_none()))
            .map(|t| t.cents);
        let mut warnings = Vec::new();
        match (tariff, l.tariff_cents) {
            (None, _) => warnings.push(final_issue(
                "ProductTarief",
                "TARIEF",
                format!("Het contract heeft geen tarief voor {what} in {year}."),
            )),
            (Some(contracted), Some(claimed)) if claimed != contracted => warnings.push(final_issue(
                "ProductTarief",
                "TR418",
                format!(
                    "Het tarief {} wijkt af van het contracttarief {} (retourcode 0611).",
                    euro(claimed),
                    euro(contracted)
                ),
            )),
            _ => {}
        }
        LinePlacement { provider_id, lot_id: Some(contract.lot_id), contract_tariff_cents: tariff, warnings }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn client(n: u8) -> Pseudonym {
        Pseudonym(format!("{n:032}"))
    }

    fn facts() -> Facts {
        let mut f = Facts { today: Some(date!(2026 - 11 - 22)), laws: vec![Standard::Ijw], ..Facts::default() };
        f.members.insert("0518".into(), vec![(date!(2020 - 01 - 01), None)]);
        f.members.insert("0637".into(), vec![(date!(2020 - 01 - 01), Some(date!(2026 - 01 - 01)))]);
        f.providers.insert("12345678".into(), 7);
        f.providers.insert("87654321".into(), 8);
        f.national_codes.insert((Standard::Ijw, "45A04".into()));
        f.national_codes.insert((Standard::Ijw, "43A07".into()));
        f.categories.insert((Standard::Ijw, "45".into()));
        f.contracts.insert(
            7,
            vec![ContractFact {
                provider_id: 7,
                lot_id: 3,
                starts_on: date!(2025 - 01 - 01),
                ends_on: Some(date!(2028 - 12 - 31)),
                products: vec![(Standard::Ijw, "45".into(), Some("45A04".into()))],
                tariffs: vec![
                    TariffFact {
                        category: "45".into(),
                        code: Some("45A04".into()),
                        year: 2026,
                        municipality: None,
                        cents: 8_062,
                    },
                    TariffFact {
                        category: "45".into(),
                        code: Some("45A04".into()),
                        year: 2026,
                        municipality: Some("0637".into()),
                        cents: 8_150,
                    },
                ],
            }],
        );
        f
    }

    fn ctx(municipality: &str, provider: &str) -> Context {
        Context {
            standard: Standard::Ijw,
            kind: MessageKind::Claim,
            municipality: municipality.into(),
            provider_agb: provider.into(),
            message_date: date!(2026 - 05 - 03),
            claim: None,
        }
    }

    fn assignment(number: i64) -> Assignment {
        Assignment {
            client: client(1),
            number,
            product: ProductRef { category: Some("45".into()), code: Some("45A04".into()) },
            assigned_on: date!(2026 - 03 - 15),
            assigned_at: "10:00:00".into(),
            starts_on: date!(2026 - 04 - 01),
            ends_on: Some(date!(2026 - 09 - 30)),
            change_reason: None,
            volume: Some(4),
            unit: Some("04".into()),
            frequency: Some("2".into()),
            budget_cents: None,
        }
    }

    fn line(number: i64) -> ClaimLine {
        ClaimLine {
            client: client(1),
            reference: "R1".into(),
            previous_reference: None,
            assignment_number: number,
            category: "45".into(),
            code: Some("45A04".into()),
            period_start: date!(2026 - 04 - 01),
            period_end: date!(2026 - 04 - 30),
            volume: 4,
            unit: "04".into(),
            tariff_cents: Some(8_062),
            amount_cents: 32_248,
        }
    }

    fn rules(issues: &[Issue]) -> Vec<&str> {
        issues.iter().map(|i| i.rule.as_str()).collect()
    }

    #[test]
    fn a_line_needs_its_assignment_then_fits_the_contract() {
        let mut f = facts();
        let c = ctx("0518", "12345678");
        let err = f.check_line(&c, &line(1)).unwrap_err();
        assert_eq!(rules(&err), ["TR338"]);
        assert!(err[0].reprocessable);
        assert_eq!(f.check_assignment(&c, &assignment(1)), Ok(7));
        let placed = f.check_line(&c, &line(1)).unwrap();
        assert_eq!((placed.provider_id, placed.lot_id, placed.contract_tariff_cents), (7, Some(3), Some(8_062)));
        assert!(placed.warnings.is_empty());
    }

    #[test]
    fn a_line_must_match_its_assignment() {
        let mut f = facts();
        let c = ctx("0518", "12345678");
        f.check_assignment(&c, &assignment(1)).unwrap();
        let cases: Vec<(ClaimLine, &str)> = vec![
            (ClaimLine { client: client(2), ..line(1) }, "TR338"),
            (ClaimLine { category: "43".into(), code: Some("43A07".into()), ..line(1) }, "TR339"),
            (ClaimLine { code: None, ..line(1) }, "TR340"),
            (ClaimLine { unit: "01".into(), ..line(1) }, "TR341"),
            (ClaimLine { period_start: date!(2026 - 03 - 01), period_end: date!(2026 - 03 - 31), ..line(1) }, "TR307"),
            (ClaimLine { period_start: date!(2026 - 10 - 01), period_end: date!(2026 - 10 - 31), ..line(1) }, "TR308"),
            (ClaimLine { code: Some("45Z99".into()), ..line(1) }, "TR381"),
            (ClaimLine { period_start: date!(2026 - 12 - 01), period_end: date!(2026 - 12 - 31), ..line(1) }, "TR135"),
        ];
        for (l, rule) in cases {
            let err = f.check_line(&c, &l).unwrap_err();
            assert!(rules(&err).contains(&rule), "{rule}: {err:?}");
        }
        // Another provider's claim on this assignment.
        f.check_assignment(&ctx("0518", "87654321"), &assignment(2)).unwrap();
        assert_eq!(rules(&f.check_line(&c, &line(2)).unwrap_err()), ["TR338"]);
    }

    #[test]
    fn the_newest_version_of_an_assignment_wins() {
        let mut f = facts();
        let c = ctx("0518", "12345678");
        let later = Assignment {
            assigned_on: date!(2026 - 05 - 01),
            ends_on: Some(date!(2026 - 04 - 30)),
            change_reason: Some("05".into()),
            ..assignment(1)
        };
        f.check_assignment(&c, &later).unwrap();
        // The older version arrives after the newer one: it changes nothing.
        f.check_assignment(&c, &assignment(1)).unwrap();
        let may = ClaimLine { period_start: date!(2026 - 05 - 01), period_end: date!(2026 - 05 - 31), ..line(1) };
        assert_eq!(rules(&f.check_line(&c, &may).unwrap_err()), ["TR308"]);
        let deleted = Assignment {
            assigned_on: date!(2026 - 06 - 01),
            ends_on: Some(date!(2026 - 04 - 01)),
            change_reason: Some("13".into()),
            ..assignment(1)
        };
        f.check_assignment(&c, &deleted).unwrap();
        assert!(rules(&f.check_line(&c, &line(1)).unwrap_err()).contains(&"TR384"));
    }

    #[test]
    fn tariffs_are_compared_with_the_contract() {
        let mut f = facts();
        let west = ctx("0637", "12345678");
        // Westland left the region at the start of 2026: no claims for its periods after that.
        f.members.insert("0637".into(), vec![(date!(2020 - 01 - 01), None)]);
        f.check_assignment(&west, &assignment(1)).unwrap();
        // Westland has its own tariff: the lot's tariff is a deviation there.
        let placed = f.check_line(&west, &line(1)).unwrap();
        assert_eq!(placed.contract_tariff_cents, Some(8_150));
        assert_eq!(rules(&placed.warnings), ["TR418"]);
        assert!(placed.warnings[0].message.contains("€ 80,62") && placed.warnings[0].message.contains("€ 81,50"));
        let own = ClaimLine { tariff_cents: Some(8_150), amount_cents: 32_600, ..line(1) };
        assert!(f.check_line(&west, &own).unwrap().warnings.is_empty());
        // No tariff for 2025 and no contract for another provider: accepted, with a warning.
        let c = ctx("0518", "12345678");
        let early = Assignment { starts_on: date!(2025 - 06 - 01), ..assignment(3) };
        f.check_assignment(&c, &early).unwrap();
        let june = ClaimLine { period_start: date!(2025 - 06 - 01), period_end: date!(2025 - 06 - 30), ..line(3) };
        assert_eq!(rules(&f.check_line(&c, &june).unwrap().warnings), ["TARIEF"]);
        let other = ctx("0518", "87654321");
        f.check_assignment(&other, &assignment(4)).unwrap();
        let placed = f.check_line(&other, &line(4)).unwrap();
        assert_eq!((placed.lot_id, rules(&placed.warnings)), (None, vec!["CONTRACT"]));
    }

    #[test]
    fn parties_must_belong_to_the_region() {
        let mut f = facts();
        assert_eq!(rules(&f.context_issues(&ctx("0599", "12345678"))), ["S300"]);
        assert_eq!(rules(&f.context_issues(&ctx("0518", "11111111"))), ["AANBIEDER"]);
        // Membership ended: an assignment starting after it is refused.
        let err = f.check_assignment(&ctx("0637", "12345678"), &assignment(1)).unwrap_err();
        assert_eq!(rules(&err), ["S300"]);
        f.scope = Some("0518".into());
        let err = f.context_issues(&ctx("0637", "12345678"));
        assert_eq!(rules(&err), ["RECHTEN"]);
        assert!(!err[0].reprocessable);
        f.laws = vec![Standard::Iwmo];
        assert!(rules(&f.context_issues(&ctx("0518", "12345678"))).contains(&"REGIO"));
    }

    #[test]
    fn starts_and_stops_name_a_known_assignment() {
        let mut f = facts();
        let c = ctx("0518", "12345678");
        let event = CareEvent {
            client: client(1),
            stop: false,
            number: Some(1),
            product: ProductRef { category: None, code: None },
            starts_on: date!(2026 - 04 - 01),
            ends_on: None,
            reason: None,
            status: "1".into(),
        };
        assert_eq!(rules(&f.check_event(&c, &event).unwrap_err()), ["TR019"]);
        f.check_assignment(&c, &assignment(1)).unwrap();
        assert_eq!(f.check_event(&c, &event), Ok(7));
        assert_eq!(f.check_event(&c, &CareEvent { number: None, ..event }), Ok(7));
    }
}
