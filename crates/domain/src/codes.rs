//! Identifiers from the outside world, parsed once at the edge so the rest of the code can
//! trust them (parse, don't validate).

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $name {
            type Err = FieldError;
            fn from_str(s: &str) -> Result<Self, FieldError> {
                Self::parse(s)
            }
        }
        impl TryFrom<String> for $name {
            type Error = FieldError;
            fn try_from(s: String) -> Result<Self, FieldError> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

/// A municipality's CBS code, always held as `GM` plus four digits (`GM0363` = Amsterdam).
/// The iJw/iWmo messages use the four digits alone; both forms are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MunicipalityCode(String);
string_newtype!(MunicipalityCode);

impl MunicipalityCode {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        let digits = match s.get(..2) {
            Some(prefix) if prefix.eq_ignore_ascii_case("GM") => &s[2..],
            _ => s,
        };
        if digits.len() == 4 && all_digits(digits) {
            Ok(MunicipalityCode(format!("GM{digits}")))
        } else {
            Err(FieldError::new(
                "",
                "pattern",
                format!("'{s}' is geen CBS-gemeentecode; verwacht GM gevolgd door vier cijfers, zoals GM0363."),
            ))
        }
    }

    /// The four digits as used in the iJw/iWmo messages (`0363`).
    pub fn digits(&self) -> &str {
        &self.0[2..]
    }
}

/// A CBS youth-care region code (`JZ24` = Haaglanden).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct YouthRegionCode(String);
string_newtype!(YouthRegionCode);

impl YouthRegionCode {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        let ok = s.len() == 4
            && s.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("JZ"))
            && s.get(2..).is_some_and(all_digits);
        if ok {
            Ok(YouthRegionCode(s.to_ascii_uppercase()))
        } else {
            Err(FieldError::new(
                "",
                "pattern",
                format!("'{s}' is geen jeugdregiocode; verwacht JZ gevolgd door twee cijfers, zoals JZ24."),
            ))
        }
    }
}

/// A provider's AGB code (Vektis register): eight digits, the first two naming the kind of care.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgbCode(String);
string_newtype!(AgbCode);

impl AgbCode {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        if s.len() == 8 && all_digits(s) {
            Ok(AgbCode(s.to_string()))
        } else {
            Err(FieldError::new("", "pattern", "Een AGB-code bestaat uit precies acht cijfers."))
        }
    }
}

/// A Chamber of Commerce (KvK) number: eight digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KvkNumber(String);
string_newtype!(KvkNumber);

impl KvkNumber {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        if s.len() == 8 && all_digits(s) {
            Ok(KvkNumber(s.to_string()))
        } else {
            Err(FieldError::new("", "pattern", "Een KvK-nummer bestaat uit precies acht cijfers."))
        }
    }
}

/// The short code of a region in Samenspel, used in URLs (`/regios/haaglanden`): lower-case
/// letters and digits in groups joined by single hyphens, 2 to 40 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);
string_newtype!(RegionCode);

impl RegionCode {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        let groups_ok =
            s.split('-').all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        if (2..=40).contains(&s.len()) && groups_ok {
            Ok(RegionCode(s.to_string()))
        } else {
            Err(FieldError::new(
                "",
                "pattern",
                "Gebruik 2 tot 40 kleine letters en cijfers, eventueel in groepen met een streepje ertussen (zoals holland-rijnland).",
            ))
        }
    }

    /// Derives a code from a region's name: `Friesland (Fryslân)` → `friesland-fryslan`.
    pub fn from_name(name: &str) -> Option<Self> {
        let mut slug = String::new();
        for c in name.chars().flat_map(fold_diacritic) {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        let slug: String = slug.chars().take(40).collect();
        RegionCode::parse(slug.trim_end_matches('-')).ok()
    }
}

/// Maps the accented letters that occur in Dutch and Frisian place names to plain ASCII.
fn fold_diacritic(c: char) -> Option<char> {
    let plain = match c {
        'á' | 'à' | 'â' | 'ä' | 'Á' | 'À' | 'Â' | 'Ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'Ó' | 'Ò' | 'Ô' | 'Ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
        '\'' | '’' => return None,
        other => other,
    };
    Some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn municipality_code_accepts_both_forms() {
        assert_eq!(MunicipalityCode::parse("GM0363").unwrap().as_str(), "GM0363");
        assert_eq!(MunicipalityCode::parse(" gm0363 ").unwrap().as_str(), "GM0363");
        assert_eq!(MunicipalityCode::parse("0363").unwrap().digits(), "0363");
        for bad in ["", "GM363", "GM03633", "XX0363", "GMabcd", "０３６３"] {
            assert!(MunicipalityCode::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn other_codes() {
        assert_eq!(YouthRegionCode::parse("jz24").unwrap().as_str(), "JZ24");
        assert!(YouthRegionCode::parse("JZ2").is_err());
        assert!(AgbCode::parse("12345678").is_ok());
        assert!(AgbCode::parse("1234567").is_err());
        assert!(KvkNumber::parse("1234567a").is_err());
        assert!(RegionCode::parse("holland-rijnland").is_ok());
        for bad in ["a", "Holland", "a--b", "-ab", "ab-", "a b"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn region_code_from_real_names() {
        let cases = [
            ("Friesland (Fryslân)", "friesland-fryslan"),
            ("Haaglanden", "haaglanden"),
            ("'s-Hertogenbosch", "s-hertogenbosch"),
            ("Noord-Holland Noord", "noord-holland-noord"),
        ];
        for (name, code) in cases {
            assert_eq!(RegionCode::from_name(name).unwrap().as_str(), code);
        }
        assert!(RegionCode::from_name("!!").is_none());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in ".{0,50}") {
            let _ = MunicipalityCode::parse(&s);
            let _ = YouthRegionCode::parse(&s);
            let _ = AgbCode::parse(&s);
            let _ = KvkNumber::parse(&s);
            let _ = RegionCode::parse(&s);
            if let Some(code) = RegionCode::from_name(&s) {
                prop_assert!(RegionCode::parse(code.as_str()).is_ok());
            }
        }

        #[test]
        fn municipality_code_round_trips(n in 0u32..10000) {
            let code = MunicipalityCode::parse(&format!("{n:04}")).unwrap();
            prop_assert_eq!(MunicipalityCode::parse(code.as_str()).unwrap(), code);
        }
    }
}
