//! Turning what a person typed or a client sent into domain values, with every problem named
//! by its field. The API and the pages use the same field names and the same rules.

use samenspel_domain::access::{Role, RoleKind};
use samenspel_domain::account::check_email;
use samenspel_domain::figures::{check_year, parse_count, MemberFigures};
use samenspel_domain::nl::parse_date;
use samenspel_domain::procurement::{
    parse_category, parse_product_code, Cadence, CollaborationForm, ContractStatus, CostBuildUp, FundingVariant, Law,
    Period, Referrer, Route, SteeringChoices, Unit,
};
use samenspel_domain::region::{Domain, MembershipPeriod};
use samenspel_domain::validation::{optional_text, required_text};
use samenspel_domain::{AgbCode, Cents, FieldError, Invalid, KvkNumber, MunicipalityCode};
use samenspel_store::catalogue::ProductDetails;
use samenspel_store::contracts::{ContractDetails, TariffDetails};
use samenspel_store::lots::{FormChange, LotDetails};
use samenspel_store::providers::{ProviderContact, ProviderDetails};
use samenspel_store::regions::RegionChanges;
use time::Date;

fn optional<T>(value: &str, parse: impl Fn(&str) -> Result<T, FieldError>) -> Result<Option<T>, FieldError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        parse(value).map(Some)
    }
}

/// A telephone number as people write it: digits, spaces, `+`, `-`, parentheses.
pub fn phone(value: &str) -> Result<Option<String>, FieldError> {
    optional(value, |s| {
        let s = s.trim();
        let digits = s.chars().filter(char::is_ascii_digit).count();
        let allowed = s.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
        if allowed && (6..=15).contains(&digits) && s.len() <= 25 {
            Ok(s.to_string())
        } else {
            Err(FieldError::new("", "pattern", "Vul een telefoonnummer in, zoals 070 123 45 67."))
        }
    })
}

/// The provider fields as text.
#[derive(Debug, Default, Clone)]
pub struct ProviderText<'a> {
    pub naam: &'a str,
    pub agb_code: &'a str,
    pub kvk_nummer: &'a str,
    pub plaats: &'a str,
    pub email: &'a str,
    pub telefoon: &'a str,
    pub actief: bool,
}

pub fn provider_details(f: &ProviderText) -> Result<ProviderDetails, Invalid> {
    let mut invalid = Invalid::new();
    let name = invalid.check("naam", required_text(f.naam, 2, 200));
    let agb_code = invalid.check("agbCode", optional(f.agb_code, AgbCode::parse));
    let kvk_number = invalid.check("kvkNummer", optional(f.kvk_nummer, KvkNumber::parse));
    let city = invalid.check("plaats", optional_text(f.plaats, 100));
    let email = invalid.check("email", optional(f.email, check_email));
    let phone = invalid.check("telefoon", phone(f.telefoon));
    match (name, agb_code, kvk_number, city, email, phone) {
        (Some(name), Some(agb_code), Some(kvk_number), Some(city), Some(email), Some(phone)) => {
            Ok(ProviderDetails { name, agb_code, kvk_number, city, email, phone, active: f.actief })
        }
        _ => Err(invalid),
    }
}

pub fn provider_contact(email: &str, telefoon: &str) -> Result<ProviderContact, Invalid> {
    let mut invalid = Invalid::new();
    let email = invalid.check("email", optional(email, check_email));
    let phone = invalid.check("telefoon", phone(telefoon));
    match (email, phone) {
        (Some(email), Some(phone)) => Ok(ProviderContact { email, phone }),
        _ => Err(invalid),
    }
}

pub fn municipality(name: &str, value: &str) -> Result<MunicipalityCode, Invalid> {
    let mut invalid = Invalid::new();
    let parsed = if value.trim().is_empty() {
        invalid.push(name, "required", "Kies een gemeente.");
        None
    } else {
        invalid.check(name, MunicipalityCode::parse(value))
    };
    parsed.ok_or(invalid)
}

pub fn membership(
    gemeentecode: &str,
    lid_vanaf: &str,
    lid_tot: &str,
) -> Result<(MunicipalityCode, MembershipPeriod), Invalid> {
    let mut invalid = Invalid::new();
    let code = municipality("gemeentecode", gemeentecode).map_err(|e| invalid.errors.extend(e.errors)).ok();
    let joined = if lid_vanaf.trim().is_empty() {
        invalid.push("lidVanaf", "required", "Vul de datum in waarop het lidmaatschap begint.");
        None
    } else {
        invalid.check("lidVanaf", parse_date(lid_vanaf))
    };
    let left = invalid.check("lidTot", optional(lid_tot, parse_date));
    match (code, joined, left) {
        (Some(code), Some(joined), Some(left)) if invalid.is_empty() => {
            MembershipPeriod::new(joined, left).map(|period| (code, period))
        }
        _ => Err(invalid),
    }
}

pub fn region_changes(naam: &str, domein: &str, centrum: &str) -> Result<RegionChanges, Invalid> {
    let mut invalid = Invalid::new();
    let name = invalid.check("naam", required_text(naam, 2, 120));
    let domain = invalid.check("domein", Domain::parse(domein));
    let centre = invalid.check("centrumgemeente", optional(centrum, MunicipalityCode::parse));
    match (name, domain, centre) {
        (Some(name), Some(domain), Some(centre)) => Ok(RegionChanges { name, domain, centre }),
        _ => Err(invalid),
    }
}

pub fn role(rol: &str, gemeentecode: &str, aanbieder_id: &str) -> Result<Role, Invalid> {
    let mut invalid = Invalid::new();
    let kind = invalid.check("rol", RoleKind::parse(rol));
    let municipality = match kind {
        Some(RoleKind::Member) => invalid.check("gemeentecode", optional(gemeentecode, MunicipalityCode::parse)),
        _ => Some(None),
    };
    let provider = match kind {
        Some(RoleKind::Provider) => invalid.check(
            "aanbiederId",
            optional(aanbieder_id, |s| {
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| FieldError::new("", "pattern", "Kies een zorgaanbieder uit de lijst."))
            }),
        ),
        _ => Some(None),
    };
    match (kind, municipality, provider) {
        (Some(kind), Some(m), Some(p)) if invalid.is_empty() => Role::from_parts(kind, m, p).map_err(|e| {
            let mut invalid = Invalid::new();
            invalid.push(&e.name, &e.code, e.reason);
            invalid
        }),
        _ => Err(invalid),
    }
}

pub fn year(value: &str) -> Result<i32, Invalid> {
    let mut invalid = Invalid::new();
    invalid.check("jaar", parse_count(value).and_then(check_year)).ok_or(invalid)
}

/// Figures as typed in a form, in Dutch notation; empty means not entered.
pub fn figures_from_text(jeugdigen: &str, budget_jeugd: &str, budget_wmo: &str) -> Result<MemberFigures, Invalid> {
    let mut invalid = Invalid::new();
    let youths = invalid.check("jeugdigen", optional(jeugdigen, parse_count));
    let budget_youth = invalid.check("budgetJeugd", optional(budget_jeugd, Cents::parse));
    let budget_wmo = invalid.check("budgetWmo", optional(budget_wmo, Cents::parse));
    match (youths, budget_youth, budget_wmo) {
        (Some(youths), Some(budget_youth), Some(budget_wmo)) => Ok(MemberFigures { youths, budget_youth, budget_wmo }),
        _ => Err(invalid),
    }
}

/// A product of the catalogue as typed.
#[derive(Debug, Default, Clone)]
pub struct ProductText<'a> {
    pub wet: &'a str,
    pub categorie: &'a str,
    pub code: &'a str,
    pub naam: &'a str,
    pub eenheid: &'a str,
    pub uitvoeringsvariant: &'a str,
    pub eigen_code: bool,
    pub actief: bool,
}

pub fn product_details(f: &ProductText) -> Result<ProductDetails, Invalid> {
    let mut invalid = Invalid::new();
    let law = invalid.check("wet", Law::parse(f.wet));
    let category = invalid.check("categorie", parse_category(f.categorie));
    let code = invalid.check("code", optional(f.code, parse_product_code));
    let name = invalid.check("naam", required_text(f.naam, 2, 200));
    let unit = invalid.check("eenheid", Unit::parse(f.eenheid));
    let variant = invalid.check("uitvoeringsvariant", FundingVariant::parse(f.uitvoeringsvariant));
    match (law, category, code, name, unit, variant) {
        (Some(law), Some(category), Some(code), Some(name), Some(unit), Some(funding_variant)) => Ok(ProductDetails {
            law,
            category,
            code,
            name,
            unit,
            funding_variant,
            own_code: f.eigen_code,
            active: f.actief,
        }),
        _ => Err(invalid),
    }
}

/// A date that must be filled in.
pub fn required_date(invalid: &mut Invalid, name: &str, value: &str, what: &str) -> Option<Date> {
    if value.trim().is_empty() {
        invalid.push(name, "required", format!("Vul {what} in."));
        None
    } else {
        invalid.check(name, parse_date(value))
    }
}

/// A period from two typed dates; the end (inclusive) may be empty.
pub fn period(invalid: &mut Invalid, start: &str, end: &str) -> Option<Period> {
    let starts_on = required_date(invalid, "begindatum", start, "de begindatum");
    let ends_on = invalid.check("einddatum", optional(end, parse_date))?;
    match Period::new(starts_on?, ends_on) {
        Ok(p) => Some(p),
        Err(e) => {
            invalid.errors.extend(e.errors);
            None
        }
    }
}

/// Ids chosen in a list (checkboxes or a JSON array).
pub fn ids(invalid: &mut Invalid, name: &str, values: &[String]) -> Vec<i64> {
    let mut out = Vec::new();
    for v in values {
        match v.trim().parse::<i64>() {
            Ok(id) => out.push(id),
            Err(_) => invalid.push(name, "pattern", format!("'{v}' is geen geldige keuze.")),
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

pub fn lot_details(
    naam: &str,
    omschrijving: &str,
    route: &str,
    start: &str,
    end: &str,
    products: &[String],
) -> Result<LotDetails, Invalid> {
    let mut invalid = Invalid::new();
    let name = invalid.check("naam", required_text(naam, 2, 200));
    let description = invalid.check("omschrijving", optional_text(omschrijving, 2000));
    let route = invalid.check("route", Route::parse(route));
    let period = period(&mut invalid, start, end);
    let products = ids(&mut invalid, "producten", products);
    if products.is_empty() && invalid.for_field("producten").is_none() {
        invalid.push("producten", "required", "Kies minstens één product voor dit perceel.");
    }
    match (name, description, route, period) {
        (Some(name), Some(description), Some(route), Some(period)) if invalid.is_empty() => {
            Ok(LotDetails { name, description, route, period, products })
        }
        _ => Err(invalid),
    }
}

pub fn form_change(gemeentecode: &str, vorm: &str, vanaf: &str, reden: &str) -> Result<FormChange, Invalid> {
    let mut invalid = Invalid::new();
    let municipality = municipality("gemeentecode", gemeentecode).map_err(|e| invalid.errors.extend(e.errors)).ok();
    let form = invalid.check("vorm", CollaborationForm::parse(vorm));
    let valid_from = required_date(&mut invalid, "vanaf", vanaf, "de datum vanaf wanneer dit geldt");
    let reason = invalid.check("reden", optional_text(reden, 1000));
    match (municipality, form, valid_from, reason) {
        (Some(municipality), Some(form), Some(valid_from), Some(reason)) => {
            Ok(FormChange { municipality, form, valid_from, reason })
        }
        _ => Err(invalid),
    }
}

/// The steering choices as typed, with the date and reason of this version.
#[derive(Debug, Default, Clone)]
pub struct SteeringText<'a> {
    pub verwijzers: &'a [String],
    pub uitvoeringsvariant: &'a str,
    pub budgetplafond: &'a str,
    pub frequentie: &'a str,
    pub indicator_volume: &'a str,
    pub indicator_geld: &'a str,
    pub indicator_kwaliteit: &'a str,
    pub pilot: bool,
    pub evaluatiedatum: &'a str,
    pub vanaf: &'a str,
    pub reden: &'a str,
}

pub fn steering(f: &SteeringText) -> Result<(SteeringChoices, Date, String), Invalid> {
    let mut invalid = Invalid::new();
    let mut referrers = Vec::new();
    for r in f.verwijzers {
        if let Some(r) = invalid.check("verwijzers", Referrer::parse(r)) {
            referrers.push(r);
        }
    }
    let funding_variant = invalid.check("uitvoeringsvariant", FundingVariant::parse(f.uitvoeringsvariant));
    let budget_ceiling = invalid.check("budgetplafond", optional(f.budgetplafond, Cents::parse));
    let cadence = invalid.check("frequentie", Cadence::parse(f.frequentie));
    let text = |invalid: &mut Invalid, name: &str, v: &str| invalid.check(name, optional_text(v, 500));
    let volume = text(&mut invalid, "indicatorVolume", f.indicator_volume);
    let money = text(&mut invalid, "indicatorGeld", f.indicator_geld);
    let quality = text(&mut invalid, "indicatorKwaliteit", f.indicator_kwaliteit);
    let evaluation_on = invalid.check("evaluatiedatum", optional(f.evaluatiedatum, parse_date));
    let valid_from = required_date(&mut invalid, "vanaf", f.vanaf, "de datum vanaf wanneer deze keuzes gelden");
    let reason = invalid.check("reden", required_text(f.reden, 2, 1000));
    let choices = match (funding_variant, budget_ceiling, cadence, volume, money, quality, evaluation_on) {
        (
            Some(funding_variant),
            Some(budget_ceiling),
            Some(cadence),
            Some(volume),
            Some(money),
            Some(quality),
            Some(evaluation_on),
        ) => {
            let choices = SteeringChoices {
                referrers,
                funding_variant,
                budget_ceiling,
                cadence,
                indicator_volume: volume,
                indicator_money: money,
                indicator_quality: quality,
                pilot: f.pilot,
                evaluation_on,
            };
            // The rules across fields are checked too, so every problem shows at once.
            if let Err(rules) = choices.validate() {
                invalid.errors.extend(rules.errors);
            }
            Some(choices)
        }
        _ => None,
    };
    match (choices, valid_from, reason) {
        (Some(choices), Some(valid_from), Some(reason)) if invalid.is_empty() => Ok((choices, valid_from, reason)),
        _ => Err(invalid),
    }
}

pub fn contract(
    aanbieder: &str,
    perceel: &str,
    start: &str,
    end: &str,
    status: &str,
    kenmerk: &str,
) -> Result<ContractDetails, Invalid> {
    let mut invalid = Invalid::new();
    let id = |invalid: &mut Invalid, name: &str, v: &str, what: &str| match v.trim().parse::<i64>() {
        Ok(id) => Some(id),
        Err(_) => {
            invalid.push(name, "required", format!("Kies {what}."));
            None
        }
    };
    let provider_id = id(&mut invalid, "aanbiederId", aanbieder, "een zorgaanbieder");
    let lot_id = id(&mut invalid, "perceelId", perceel, "een perceel");
    let period = period(&mut invalid, start, end);
    let status = invalid.check("status", ContractStatus::parse(status));
    let reference = invalid.check("kenmerk", optional_text(kenmerk, 200));
    match (provider_id, lot_id, period, status, reference) {
        (Some(provider_id), Some(lot_id), Some(period), Some(status), Some(reference)) => {
            Ok(ContractDetails { provider_id, lot_id, period, status, reference })
        }
        _ => Err(invalid),
    }
}

/// A tariff as typed: amounts in euro, Dutch notation; the build-up all six parts or none.
#[derive(Debug, Default, Clone)]
pub struct TariffText<'a> {
    pub product: &'a str,
    pub jaar: &'a str,
    pub gemeentecode: &'a str,
    pub bedrag: &'a str,
    pub eenheid: &'a str,
    pub opbouw: [&'a str; 6],
}

pub fn tariff(f: &TariffText) -> Result<TariffDetails, Invalid> {
    let mut invalid = Invalid::new();
    let product_id = match f.product.trim().parse::<i64>() {
        Ok(id) => Some(id),
        Err(_) => {
            invalid.push("productId", "required", "Kies een product.");
            None
        }
    };
    let year = invalid.check("jaar", parse_count(f.jaar).and_then(check_year));
    let municipality = invalid.check("gemeentecode", optional(f.gemeentecode, MunicipalityCode::parse));
    let amount = if f.bedrag.trim().is_empty() {
        invalid.push("bedrag", "required", "Vul het tarief in.");
        None
    } else {
        invalid.check("bedrag", Cents::parse(f.bedrag))
    };
    let unit = if f.eenheid.trim().is_empty() {
        invalid.push(
            "eenheid",
            "required",
            "Een tarief zonder eenheid kan niet: kies de eenheid (uur, dagdeel, etmaal, …).",
        );
        None
    } else {
        invalid.check("eenheid", Unit::parse(f.eenheid))
    };
    let filled = f.opbouw.iter().filter(|p| !p.trim().is_empty()).count();
    let build_up = match filled {
        0 => Some(None),
        6 => {
            let mut parts = [Cents::ZERO; 6];
            let mut ok = true;
            for (i, (value, (name, _))) in f.opbouw.iter().zip(CostBuildUp::PARTS).enumerate() {
                match invalid.check(name, Cents::parse(value)) {
                    Some(c) => parts[i] = c,
                    None => ok = false,
                }
            }
            ok.then_some(Some(CostBuildUp::from_parts(parts)))
        }
        _ => {
            for (value, (name, label)) in f.opbouw.iter().zip(CostBuildUp::PARTS) {
                if value.trim().is_empty() {
                    invalid.push(
                        name,
                        "required",
                        format!("Vul ook '{label}' in (0 als er niets is), of laat de hele opbouw leeg."),
                    );
                }
            }
            None
        }
    };
    match (product_id, year, municipality, amount, unit, build_up) {
        (Some(product_id), Some(year), Some(municipality), Some(amount), Some(unit), Some(build_up))
            if invalid.is_empty() =>
        {
            Ok(TariffDetails { product_id, year, municipality, amount, unit, build_up })
        }
        _ => Err(invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_reports_every_field() {
        let text = ProviderText {
            naam: "",
            agb_code: "123",
            kvk_nummer: "x",
            email: "geen",
            telefoon: "abc",
            ..Default::default()
        };
        let err = provider_details(&text).unwrap_err();
        let names: Vec<_> = err.errors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["naam", "agbCode", "kvkNummer", "email", "telefoon"]);
        let ok = ProviderText { naam: "Zorg BV", telefoon: "+31 (0)70 123 4567", actief: true, ..Default::default() };
        assert_eq!(provider_details(&ok).unwrap().phone.as_deref(), Some("+31 (0)70 123 4567"));
    }

    #[test]
    fn membership_and_roles() {
        let (code, period) = membership("0503", "01-01-2024", "").unwrap();
        assert_eq!((code.as_str(), period.left_on), ("GM0503", None));
        let err = membership("", "", "morgen").unwrap_err();
        assert_eq!(err.errors.len(), 3);
        assert!(membership("GM0503", "2024-01-01", "2023-01-01").is_err());
        assert_eq!(role("gemeente", "GM0503", "").unwrap(), Role::Member(MunicipalityCode::parse("GM0503").unwrap()));
        assert!(role("gemeente", "", "").is_err());
        assert!(role("baas", "", "").is_err());
        assert_eq!(role("aanbieder", "", "7").unwrap(), Role::Provider(7));
    }

    #[test]
    fn tariffs_need_a_unit_and_a_whole_build_up() {
        let mut t = TariffText { product: "3", jaar: "2026", bedrag: "74,50", eenheid: "", ..Default::default() };
        let err = tariff(&t).unwrap_err();
        assert_eq!(err.errors[0].name, "eenheid");
        t.eenheid = "04";
        assert_eq!(tariff(&t).unwrap().amount, Cents(7_450));
        t.opbouw = ["50,00", "10,00", "", "", "", ""];
        assert_eq!(tariff(&t).unwrap_err().errors.len(), 4, "the four empty parts are named");
        t.opbouw = ["50,00", "10,00", "8,00", "3,00", "2,00", "1,50"];
        assert!(tariff(&t).unwrap().build_up.is_some());
    }

    #[test]
    fn lots_need_products() {
        let err = lot_details("Ambulant", "", "open-house", "2025-01-01", "", &[]).unwrap_err();
        assert_eq!(err.errors[0].name, "producten");
        let lot = lot_details(
            "Ambulant",
            "",
            "open-house",
            "2025-01-01",
            "2028-12-31",
            &["2".into(), "1".into(), "2".into()],
        )
        .unwrap();
        assert_eq!(lot.products, vec![1, 2]);
        assert!(lot_details("A", "", "markt", "x", "", &["q".into()]).unwrap_err().errors.len() >= 4);
    }

    #[test]
    fn figures_in_dutch() {
        let f = figures_from_text("1.234", "€ 1.000,50", "").unwrap();
        assert_eq!((f.youths, f.budget_youth, f.budget_wmo), (Some(1234), Some(Cents(100_050)), None));
        assert_eq!(figures_from_text("-1", "x", "1,234").unwrap_err().errors.len(), 3);
        assert_eq!(year("2026").unwrap(), 2026);
        assert!(year("1999").is_err());
    }
}
