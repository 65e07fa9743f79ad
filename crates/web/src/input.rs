//! Turning what a person typed or a client sent into domain values, with every problem named
//! by its field. The API and the pages use the same field names and the same rules.

use samenspel_domain::access::{Role, RoleKind};
use samenspel_domain::account::check_email;
use samenspel_domain::figures::{check_year, parse_count, MemberFigures};
use samenspel_domain::nl::parse_date;
use samenspel_domain::region::{Domain, MembershipPeriod};
use samenspel_domain::validation::{optional_text, required_text};
use samenspel_domain::{AgbCode, Cents, FieldError, Invalid, KvkNumber, MunicipalityCode};
use samenspel_store::providers::{ProviderContact, ProviderDetails};
use samenspel_store::regions::RegionChanges;

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
    fn figures_in_dutch() {
        let f = figures_from_text("1.234", "€ 1.000,50", "").unwrap();
        assert_eq!((f.youths, f.budget_youth, f.budget_wmo), (Some(1234), Some(Cents(100_050)), None));
        assert_eq!(figures_from_text("-1", "x", "1,234").unwrap_err().errors.len(), 3);
        assert_eq!(year("2026").unwrap(), 2026);
        assert!(year("1999").is_err());
    }
}
