//! What a region buys and how: products on the national iJw/iWmo code lists, lots with their
//! procurement route, each member's form of collaboration per lot, the steering choices,
//! contracts and tariffs. The rules here need no database.

use crate::money::Cents;
use crate::validation::{FieldError, Invalid};
use serde::{Deserialize, Serialize};
use time::Date;

/// Defines a closed list of codes with a Dutch label each, parsed from and shown as its code.
macro_rules! code_list {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($(#[$vdoc:meta])* $variant:ident = $code:literal : $label:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(s: &str) -> Result<$name, FieldError> {
                let s = s.trim();
                $name::ALL.iter().copied().find(|v| v.code() == s).ok_or_else(|| {
                    let codes: Vec<&str> = $name::ALL.iter().map(|v| v.code()).collect();
                    FieldError::new("", "enum", format!("Kies {}: {}.", $what, codes.join(", ")))
                })
            }

            /// `(code, label)` pairs for a select list.
            pub fn options() -> Vec<(String, String)> {
                $name::ALL.iter().map(|v| (v.code().to_string(), v.label().to_string())).collect()
            }
        }
    };
}

code_list!(
    /// The law a product falls under.
    Law, "een wet", {
        Youth = "jeugd": "Jeugdwet",
        Wmo = "wmo": "Wmo 2015",
    }
);

code_list!(
    /// Unit of a product (code list WJ756, the same in iJw and iWmo).
    Unit, "een eenheid", {
        Minute = "01": "minuut",
        Hour = "04": "uur",
        Day = "14": "etmaal",
        DayPart = "16": "dagdeel (4 uur)",
        PieceOutput = "82": "stuks (output)",
        Euro = "83": "euro's",
        PieceEffort = "84": "stuks (inspanning)",
    }
);

code_list!(
    /// How a product is funded (uitvoeringsvariant).
    FundingVariant, "een uitvoeringsvariant", {
        /// Inspanningsgericht: paid per unit of time delivered.
        EffortBased = "inspanningsgericht": "inspanningsgericht",
        /// Outputgericht: paid per result or trajectory.
        OutputBased = "outputgericht": "outputgericht",
        /// Taakgericht: a budget for a task, no assignments or claims per client.
        TaskBased = "taakgericht": "taakgericht",
    }
);

code_list!(
    /// How a lot is procured.
    Route, "een inkoopvorm", {
        OpenAdmission = "open-house": "open house (toelating)",
        Tender = "aanbesteding": "aanbesteding",
        Grant = "subsidie": "subsidie",
        InHouse = "inbesteding": "inbesteding",
    }
);

code_list!(
    /// How a member takes part in a lot (after Schotanus' typology of cooperative purchasing).
    CollaborationForm, "een samenwerkingsvorm", {
        /// Same products, same contract, same conditions.
        SameBus = "bus": "in de bus",
        /// Procured together, but each member its own variant (own tariffs, own access rules).
        Convoy = "konvooi": "in konvooi",
        /// Joins a contract another member or the region already made.
        PiggyBack = "meelift": "meeliften",
        /// Buys this lot itself.
        Local = "lokaal": "lokaal",
    }
);

code_list!(
    /// Where a contract stands.
    ContractStatus, "een status", {
        Draft = "concept": "concept",
        Active = "actief": "actief",
        Suspended = "opgeschort": "opgeschort",
        Ended = "beeindigd": "beëindigd",
    }
);

code_list!(
    /// Who refers clients to the care in a lot (TypeVerwijzer in the iStandaarden).
    Referrer, "een verwijzer", {
        Municipality = "gemeente": "gemeentelijk toegangsteam",
        GeneralPractitioner = "huisarts": "huisarts",
        YouthDoctor = "jeugdarts": "jeugdarts",
        CertifiedInstitution = "gi": "gecertificeerde instelling",
        MedicalSpecialist = "medisch-specialist": "medisch specialist",
        SelfReferral = "zelfverwijzer": "zelfverwijzer (vrij toegankelijk)",
        Court = "rechter": "rechter of officier van justitie",
    }
);

code_list!(
    /// How often the contract manager talks with providers.
    Cadence, "een frequentie", {
        Monthly = "maand": "maandelijks",
        Quarterly = "kwartaal": "per kwartaal",
        HalfYearly = "halfjaar": "per halfjaar",
        Yearly = "jaar": "jaarlijks",
    }
);

/// A product category: two digits (`45` = Jeugdhulp ambulant).
pub fn parse_category(input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(FieldError::new("", "pattern", "Een productcategorie bestaat uit twee cijfers, zoals 45."))
    }
}

/// A product code: 1 to 5 letters or digits (`45A03`, `54004`, `L0003`), upper case.
pub fn parse_product_code(input: &str) -> Result<String, FieldError> {
    let s = input.trim().to_ascii_uppercase();
    if (1..=5).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(s)
    } else {
        Err(FieldError::new("", "pattern", "Een productcode bestaat uit 1 tot 5 letters of cijfers, zoals 45A03."))
    }
}

/// The category a national code states in its first two characters, where it does.
pub fn category_of_code(code: &str) -> Option<&str> {
    code.get(..2).filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
}

/// The funding variant a national code's description states (`…: outputgericht`).
pub fn variant_from_description(description: &str) -> Option<FundingVariant> {
    let lower = description.to_lowercase();
    if lower.contains("inspanningsgericht") {
        Some(FundingVariant::EffortBased)
    } else if lower.contains("outputgericht") {
        Some(FundingVariant::OutputBased)
    } else if lower.contains("taakgericht") {
        Some(FundingVariant::TaskBased)
    } else {
        None
    }
}

/// A period from a start date to an optional end date, both inclusive (as in the
/// iStandaarden: the end date is the last day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub starts_on: Date,
    pub ends_on: Option<Date>,
}

impl Period {
    pub fn new(starts_on: Date, ends_on: Option<Date>) -> Result<Period, Invalid> {
        if ends_on.is_some_and(|end| end < starts_on) {
            return Err(Invalid::single("einddatum", "range", "De einddatum mag niet vóór de begindatum liggen."));
        }
        Ok(Period { starts_on, ends_on })
    }

    pub fn contains(&self, day: Date) -> bool {
        self.starts_on <= day && self.ends_on.is_none_or(|end| day <= end)
    }

    pub fn overlaps(&self, other: &Period) -> bool {
        let self_before = self.ends_on.is_some_and(|end| end < other.starts_on);
        let other_before = other.ends_on.is_some_and(|end| end < self.starts_on);
        !(self_before || other_before)
    }

    /// Whether this period lies wholly within `outer`.
    pub fn within(&self, outer: &Period) -> bool {
        let starts_inside = self.starts_on >= outer.starts_on;
        let ends_inside = match (outer.ends_on, self.ends_on) {
            (Some(outer_end), Some(end)) => end <= outer_end,
            (Some(_), None) => false,
            (None, _) => true,
        };
        starts_inside && ends_inside
    }

    /// Whether the period includes at least one day of a calendar year.
    pub fn touches_year(&self, year: i32) -> bool {
        self.starts_on.year() <= year && self.ends_on.is_none_or(|end| end.year() >= year)
    }
}

/// The four steering instruments of a lot, as recorded in one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SteeringChoices {
    /// Access: who refers clients.
    pub referrers: Vec<Referrer>,
    /// Funding: the variant, and for task-based funding the budget ceiling.
    pub funding_variant: FundingVariant,
    pub budget_ceiling: Option<Cents>,
    /// Contract management: how often, and on which indicators.
    pub cadence: Cadence,
    pub indicator_volume: Option<String>,
    pub indicator_money: Option<String>,
    pub indicator_quality: Option<String>,
    /// A pilot is evaluated on a set date.
    pub pilot: bool,
    pub evaluation_on: Option<Date>,
}

impl SteeringChoices {
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut invalid = Invalid::new();
        if self.referrers.is_empty() {
            invalid.push(
                "verwijzers",
                "required",
                "Kies minstens één verwijzer: wie leidt cliënten naar deze zorg toe?",
            );
        }
        match (self.funding_variant, self.budget_ceiling) {
            (FundingVariant::TaskBased, None) => {
                invalid.push("budgetplafond", "required", "Bij taakgerichte bekostiging hoort een budgetplafond.")
            }
            (FundingVariant::TaskBased, Some(c)) if c.0 <= 0 => {
                invalid.push("budgetplafond", "range", "Het budgetplafond moet groter zijn dan nul.")
            }
            (FundingVariant::EffortBased | FundingVariant::OutputBased, Some(_)) => invalid.push(
                "budgetplafond",
                "combination",
                "Een budgetplafond hoort alleen bij taakgerichte bekostiging.",
            ),
            _ => {}
        }
        if self.pilot && self.evaluation_on.is_none() {
            invalid.push("evaluatiedatum", "required", "Een pilot heeft een evaluatiedatum.");
        }
        if !self.pilot && self.evaluation_on.is_some() {
            invalid.push(
                "evaluatiedatum",
                "combination",
                "Een evaluatiedatum hoort bij een pilot; vink pilot aan of laat de datum leeg.",
            );
        }
        invalid.finish(|| ())
    }
}

/// How a tariff is built up, per unit, so that a region can show it is realistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CostBuildUp {
    pub staff: Cents,
    pub overhead: Cents,
    pub non_productive: Cents,
    pub travel_and_training: Cents,
    pub indexation: Cents,
    /// Other costs, reporting included.
    pub other: Cents,
}

impl CostBuildUp {
    pub const PARTS: [(&'static str, &'static str); 6] = [
        ("opbouwPersoneel", "personeel"),
        ("opbouwOverhead", "overhead"),
        ("opbouwImproductief", "improductieve uren"),
        ("opbouwReisEnScholing", "reistijd en scholing"),
        ("opbouwIndexatie", "indexatie"),
        ("opbouwOverig", "overige kosten, waaronder verantwoording"),
    ];

    pub fn parts(&self) -> [Cents; 6] {
        [self.staff, self.overhead, self.non_productive, self.travel_and_training, self.indexation, self.other]
    }

    pub fn from_parts(p: [Cents; 6]) -> CostBuildUp {
        CostBuildUp {
            staff: p[0],
            overhead: p[1],
            non_productive: p[2],
            travel_and_training: p[3],
            indexation: p[4],
            other: p[5],
        }
    }

    pub fn total(&self) -> Option<Cents> {
        self.parts().into_iter().try_fold(Cents::ZERO, Cents::checked_add)
    }

    /// The parts must be non-negative and add up to the tariff, to the cent.
    pub fn check_against(&self, tariff: Cents) -> Result<(), Invalid> {
        let mut invalid = Invalid::new();
        for (value, (name, _)) in self.parts().iter().zip(Self::PARTS) {
            if value.0 < 0 {
                invalid.push(name, "range", "Een kostenpost kan niet negatief zijn.");
            }
        }
        match self.total() {
            Some(total) if total == tariff => {}
            Some(total) => invalid.push(
                "opbouwPersoneel",
                "sum",
                format!("De kostenopbouw telt op tot {total}, het tarief is {tariff}; die moeten gelijk zijn."),
            ),
            None => invalid.push("opbouwPersoneel", "range", "De kostenopbouw is te groot."),
        }
        invalid.finish(|| ())
    }
}

/// Indexes a tariff by a percentage given in hundredths of a percent (basis points: 3,25% =
/// 325), rounded half away from zero to whole cents.
pub fn index_tariff(amount: Cents, basis_points: i64) -> Option<Cents> {
    let scaled = i128::from(amount.0) * i128::from(10_000 + basis_points);
    let rounded = if scaled >= 0 { (scaled + 5_000) / 10_000 } else { (scaled - 5_000) / 10_000 };
    i64::try_from(rounded).ok().map(Cents)
}

/// Reads a percentage as typed (`3,25` or `3.25`, at most two decimals) into basis points.
pub fn parse_percentage(input: &str) -> Result<i64, FieldError> {
    let s = input.trim().trim_end_matches('%').trim().replace(',', ".");
    let invalid = || FieldError::new("", "pattern", "Schrijf een percentage met hoogstens twee decimalen, zoals 3,25.");
    let (whole, fraction) = s.split_once('.').unwrap_or((&s, ""));
    let negative = whole.starts_with('-');
    let digits = whole.trim_start_matches('-');
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 2
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    let whole: i64 = digits.parse().map_err(|_| invalid())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
    let bp = whole.checked_mul(100).and_then(|w| w.checked_add(fraction)).ok_or_else(invalid)?;
    if bp > 10_000 {
        return Err(FieldError::new("", "range", "Een indexatie van meer dan 100% is vast een vergissing."));
    }
    Ok(if negative { -bp } else { bp })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn code_lists_parse_their_codes() {
        for u in Unit::ALL {
            assert_eq!(Unit::parse(u.code()).unwrap(), *u);
        }
        assert_eq!(CollaborationForm::parse("konvooi").unwrap(), CollaborationForm::Convoy);
        let err = Route::parse("markt").unwrap_err();
        assert!(err.reason.contains("open-house, aanbesteding, subsidie, inbesteding"));
        assert_eq!(Unit::Hour.label(), "uur");
    }

    #[test]
    fn product_codes_and_categories() {
        assert_eq!(parse_product_code(" 45a03 ").unwrap(), "45A03");
        assert!(
            parse_product_code("45A034").is_err()
                && parse_product_code("4-5").is_err()
                && parse_product_code("").is_err()
        );
        assert_eq!(category_of_code("45A03"), Some("45"));
        assert_eq!(category_of_code("L0003"), None);
        assert!(parse_category("4").is_err() && parse_category("45").is_ok());
        assert_eq!(
            variant_from_description("Ambulant specialistisch: outputgericht"),
            Some(FundingVariant::OutputBased)
        );
        assert_eq!(variant_from_description("Dagbehandeling"), None);
    }

    #[test]
    fn periods_are_inclusive() {
        let a = Period::new(date!(2025 - 01 - 01), Some(date!(2025 - 12 - 31))).unwrap();
        let b = Period::new(date!(2025 - 12 - 31), None).unwrap();
        let c = Period::new(date!(2026 - 01 - 01), None).unwrap();
        assert!(a.overlaps(&b) && !a.overlaps(&c) && b.overlaps(&c));
        assert!(a.contains(date!(2025 - 12 - 31)) && !a.contains(date!(2026 - 01 - 01)));
        assert!(Period::new(date!(2025 - 01 - 02), Some(date!(2025 - 01 - 01))).is_err());
        assert!(a.touches_year(2025) && !a.touches_year(2026) && c.touches_year(2030));
        assert!(a.within(&a) && !b.within(&a) && a.within(&Period::new(date!(2024 - 01 - 01), None).unwrap()));
        assert!(
            !c.within(&Period::new(date!(2026 - 01 - 01), Some(date!(2030 - 01 - 01))).unwrap()),
            "open-ended in a closed lot"
        );
    }

    fn steering() -> SteeringChoices {
        SteeringChoices {
            referrers: vec![Referrer::Municipality],
            funding_variant: FundingVariant::EffortBased,
            budget_ceiling: None,
            cadence: Cadence::Quarterly,
            indicator_volume: None,
            indicator_money: None,
            indicator_quality: None,
            pilot: false,
            evaluation_on: None,
        }
    }

    #[test]
    fn steering_rules() {
        assert!(steering().validate().is_ok());
        let task = SteeringChoices { funding_variant: FundingVariant::TaskBased, ..steering() };
        assert_eq!(task.validate().unwrap_err().errors[0].name, "budgetplafond");
        let task = SteeringChoices { budget_ceiling: Some(Cents(100)), ..task };
        assert!(task.validate().is_ok());
        let pilot = SteeringChoices { pilot: true, referrers: vec![], ..steering() };
        let names: Vec<_> = pilot.validate().unwrap_err().errors.into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["verwijzers", "evaluatiedatum"]);
    }

    #[test]
    fn cost_build_up_adds_up_to_the_tariff() {
        let b = CostBuildUp::from_parts([Cents(5000), Cents(1000), Cents(800), Cents(300), Cents(200), Cents(150)]);
        assert!(b.check_against(Cents(7450)).is_ok());
        let err = b.check_against(Cents(7451)).unwrap_err();
        assert!(err.errors[0].reason.contains("€ 74,50") && err.errors[0].reason.contains("€ 74,51"));
        let negative = CostBuildUp { other: Cents(-1), ..b };
        assert!(negative.check_against(Cents(7299)).is_err());
    }

    #[test]
    fn indexation() {
        assert_eq!(index_tariff(Cents(10_000), 325), Some(Cents(10_325)));
        assert_eq!(index_tariff(Cents(7_450), 275), Some(Cents(7_655)), "7.654,875 rounds up");
        assert_eq!(index_tariff(Cents(1), 4_999), Some(Cents(1)));
        assert_eq!(parse_percentage("3,25").unwrap(), 325);
        assert_eq!(parse_percentage("4%").unwrap(), 400);
        assert_eq!(parse_percentage("-0,5").unwrap(), -50);
        assert!(
            parse_percentage("3,255").is_err() && parse_percentage("abc").is_err() && parse_percentage("150").is_err()
        );
    }

    proptest! {
        #[test]
        fn indexation_is_monotone_and_zero_is_identity(a in 0i64..100_000_000_000, bp in 0i64..2_000) {
            let amount = Cents(a);
            prop_assert_eq!(index_tariff(amount, 0), Some(amount));
            let indexed = index_tariff(amount, bp).unwrap();
            prop_assert!(indexed >= amount);
            prop_assert!(index_tariff(amount, bp + 1).unwrap() >= indexed);
        }

        #[test]
        fn parsers_never_panic(s in ".{0,20}") {
            let _ = parse_percentage(&s);
            let _ = parse_product_code(&s);
            let _ = parse_category(&s);
            let _ = category_of_code(&s);
        }
    }
}
