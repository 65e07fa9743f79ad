//! The rules of the standard that a single record can be checked against once its fields are
//! read, whatever the format they came in (XML message or CSV row). Each broken rule names the
//! element it is about, as the standard spells it, and the rule's code.

use crate::model::*;
use time::macros::date;
use time::Date;

/// Units of code list WJ756.
pub const UNITS: [&str; 7] = ["01", "04", "14", "16", "82", "83", "84"];
/// The first day a 3.x claim period may start (CS100).
pub const FIRST_CLAIM_DAY: Date = date!(2021 - 01 - 01);

/// One broken rule: the element (`ProductPeriode`, `Einddatum`, …), the rule code and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub field: &'static str,
    pub rule: &'static str,
    pub message: String,
}

fn broken(field: &'static str, rule: &'static str, message: impl Into<String>) -> Break {
    Break { field, rule, message: message.into() }
}

/// Category as two digits, code as 1–5 letters or digits that starts with its category (S329).
pub fn product(category: Option<&str>, code: Option<&str>, field: &'static str) -> Vec<Break> {
    let mut out = Vec::new();
    if let Some(category) = category {
        if category.len() != 2 || !category.bytes().all(|b| b.is_ascii_digit()) {
            out.push(broken(field, "XSD", format!("Productcategorie '{category}' bestaat niet uit twee cijfers.")));
        }
    }
    if let Some(code) = code {
        if code.is_empty() || code.len() > 5 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            out.push(broken(field, "XSD", format!("Productcode '{code}' heeft 1 tot 5 letters of cijfers.")));
        } else if let (Some(category), Some(stated)) =
            (category, code.get(..2).filter(|p| p.bytes().all(|b| b.is_ascii_digit())))
        {
            if stated != category {
                out.push(broken(field, "S329", format!("Productcode {code} hoort niet bij categorie {category}.")));
            }
        }
    }
    out
}

fn unit(unit: &str, field: &'static str) -> Option<Break> {
    (!UNITS.contains(&unit)).then(|| broken(field, "XSD", format!("Eenheid '{unit}' staat niet in codelijst WJ756.")))
}

/// A 301 assigned product.
pub fn assignment(a: &Assignment) -> Vec<Break> {
    let mut out = product(a.product.category.as_deref(), a.product.code.as_deref(), "Product");
    if a.ends_on.is_some_and(|end| end < a.starts_on) {
        out.push(broken("Einddatum", "CS003", "De einddatum ligt vóór de ingangsdatum."));
    }
    match a.change_reason.as_deref() {
        Some("01") => {
            out.push(broken("RedenWijziging", "CS336", "Reden wijziging 01 is vervallen en mag niet worden gebruikt."))
        }
        Some("13") if a.ends_on != Some(a.starts_on) => out.push(broken(
            "RedenWijziging",
            "CS335",
            "Bij reden 13 (verwijderd) is de einddatum gelijk aan de ingangsdatum.",
        )),
        _ => {}
    }
    if let Some(u) = &a.unit {
        out.extend(unit(u, "Omvang/Eenheid"));
    }
    if a.volume.is_some() && a.budget_cents.is_some() {
        out.push(broken("Budget", "CD077", "Omvang en budget sluiten elkaar uit."));
    }
    if a.budget_cents.is_none() && a.product.category.is_none() {
        out.push(broken("Product", "CD079", "Zonder budget is het product verplicht."));
    }
    out
}

/// A 305 start or 307 stop of care.
pub fn care_event(e: &CareEvent) -> Vec<Break> {
    let mut out = product(e.product.category.as_deref(), e.product.code.as_deref(), "Product");
    if e.ends_on.is_some_and(|end| end < e.starts_on) {
        out.push(broken("Einddatum", "CS003", "De einddatum ligt vóór de begindatum."));
    }
    if e.stop && e.ends_on.is_none() {
        out.push(broken("Einddatum", "XSD", "Een stopbericht noemt de einddatum van de zorg."));
    }
    if e.status != "1" && e.status != "3" {
        out.push(broken(
            "StatusAanlevering",
            "CS058",
            "StatusAanlevering is 1 (eerste aanlevering) of 3 (verwijderen).",
        ));
    }
    if e.stop && e.reason.is_none() {
        out.push(broken("RedenBeeindiging", "XSD", "Een stopbericht noemt de reden van beëindiging."));
    }
    out
}

/// The claim around the lines (323 Declaratie).
pub fn claim(c: &Claim) -> Vec<Break> {
    let mut out = Vec::new();
    if c.number.is_empty() || c.number.len() > 12 || !c.number.bytes().all(|b| b.is_ascii_alphanumeric()) {
        out.push(broken("DeclaratieNummer", "CS319", "Een declaratienummer heeft 1 tot 12 letters of cijfers."));
    }
    if !is_one_calendar_month(c.period_start, c.period_end) {
        out.push(broken("DeclaratiePeriode", "CS340", "De declaratieperiode is precies één kalendermaand."));
    }
    if c.period_start < FIRST_CLAIM_DAY {
        out.push(broken("DeclaratiePeriode", "CS100", "Een declaratieperiode begint niet vóór 1 januari 2021."));
    }
    out
}

/// A claim line (323 Prestatie).
pub fn claim_line(l: &ClaimLine) -> Vec<Break> {
    let mut out = product(Some(&l.category), l.code.as_deref(), "ProductCode");
    if l.period_end < l.period_start {
        out.push(broken("ProductPeriode", "CS003", "De einddatum ligt vóór de begindatum."));
    } else if !within_one_month(l.period_start, l.period_end) {
        out.push(broken("ProductPeriode", "CS337", "De productperiode ligt binnen één kalendermaand."));
    }
    if l.period_start < FIRST_CLAIM_DAY {
        out.push(broken("ProductPeriode", "CS100", "Een productperiode begint niet vóór 1 januari 2021."));
    }
    out.extend(unit(&l.unit, "Eenheid"));
    let magnitude = l.amount_cents.abs();
    if l.unit == "83" {
        if magnitude != l.volume {
            out.push(broken(
                "IngediendBedrag",
                "CS339",
                "Bij eenheid 83 (euro's) is het bedrag gelijk aan het geleverde volume.",
            ));
        }
    } else {
        match l.tariff_cents {
            None => out.push(broken(
                "ProductTarief",
                "CD087",
                "Het producttarief is verplicht, behalve bij eenheid 83 (euro's).",
            )),
            Some(t) => match expected_amount(l.volume, &l.unit, t) {
                Some((plain, per_minute)) if magnitude == plain || Some(magnitude) == per_minute => {}
                Some((plain, per_minute)) => out.push(broken(
                    "IngediendBedrag",
                    "TR346",
                    format!(
                        "Bedrag {magnitude} cent is niet volume × tarief ({plain} cent{}).",
                        per_minute.map(|m| format!(", of {m} cent bij een uurtarief per minuut")).unwrap_or_default()
                    ),
                )),
                None => out.push(broken("IngediendBedrag", "TR346", "Volume × tarief is te groot.")),
            },
        }
    }
    if l.amount_cents < 0 && l.previous_reference.is_none() {
        out.push(broken(
            "VorigReferentieNummer",
            "CD060",
            "Een creditregel noemt het referentienummer van de regel die hij crediteert.",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bsn::Pseudonym;

    fn line() -> ClaimLine {
        ClaimLine {
            client: Pseudonym("p".into()),
            reference: "R1".into(),
            previous_reference: None,
            assignment_number: 1,
            category: "45".into(),
            code: Some("45A04".into()),
            period_start: date!(2026 - 04 - 01),
            period_end: date!(2026 - 04 - 30),
            volume: 4,
            unit: "04".into(),
            tariff_cents: Some(1250),
            amount_cents: 5000,
        }
    }

    fn rules_of(l: &ClaimLine) -> Vec<&'static str> {
        claim_line(l).into_iter().map(|b| b.rule).collect()
    }

    #[test]
    fn claim_line_rules() {
        assert!(claim_line(&line()).is_empty());
        assert_eq!(rules_of(&ClaimLine { amount_cents: 5001, ..line() }), ["TR346"]);
        assert_eq!(rules_of(&ClaimLine { tariff_cents: None, ..line() }), ["CD087"]);
        assert_eq!(rules_of(&ClaimLine { period_end: date!(2026 - 05 - 01), ..line() }), ["CS337"]);
        assert_eq!(rules_of(&ClaimLine { period_end: date!(2026 - 03 - 31), ..line() }), ["CS003"]);
        assert_eq!(rules_of(&ClaimLine { code: Some("41A04".into()), ..line() }), ["S329"]);
        assert_eq!(rules_of(&ClaimLine { amount_cents: -5000, ..line() }), ["CD060"]);
        assert_eq!(rules_of(&ClaimLine { unit: "83".into(), tariff_cents: None, volume: 5000, ..line() }), [""; 0]);
        assert_eq!(rules_of(&ClaimLine { unit: "99".into(), ..line() }), ["XSD"]);
    }

    #[test]
    fn claim_rules() {
        let c = Claim {
            number: "DN1".into(),
            period_start: date!(2026 - 02 - 01),
            period_end: date!(2026 - 02 - 28),
            date: date!(2026 - 03 - 03),
            total_cents: Some(0),
        };
        assert!(claim(&c).is_empty());
        let broken = Claim { number: "DN-1".into(), period_end: date!(2026 - 02 - 27), ..c };
        let rules: Vec<_> = claim(&broken).into_iter().map(|b| b.rule).collect();
        assert_eq!(rules, ["CS319", "CS340"]);
    }
}
