//! The partner charter's decision rules (besluitregels): per kind of decision how votes weigh,
//! what majority adopts, the quorum, vetoes and what a tie means. Read from JSON with Dutch field
//! names (see docs/bestuur.md); the tally is in `samenspel_calc::voting`.

use crate::MunicipalityCode;
use serde::{Deserialize, Serialize};

/// The kinds of decision a charter gives a rule for.
pub const DECISION_KINDS: [(&str, &str); 6] = [
    ("begroting", "begroting en budget"),
    ("verevening", "risicovereveningsafspraak"),
    ("inkoopstrategie", "inkoopstrategie"),
    ("toetreding", "toetreding of uittreding van een lid"),
    ("handvest", "wijziging van het handvest"),
    ("overig", "overige besluiten"),
];

/// How a member's vote weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weighting {
    /// One member, one vote.
    Lid,
    /// By inhabitants (CBS).
    Inwoners,
    /// By the member's budget for the law in the year (member figures).
    Budget,
}

/// What adopts a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Majority {
    /// More than half of the base.
    Gewoon,
    /// At least `percentage` of the base (weighted by the rule's weighting).
    Gekwalificeerd,
    /// More than half of the members (one member one vote) and more than half of the weight.
    Dubbel,
    /// Every member in the base votes for.
    Unaniem,
}

/// What the majority is a share of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Base {
    /// The votes cast for or against (abstentions do not count).
    Uitgebracht,
    /// All members entitled to vote, whether they voted or not.
    Alle,
}

/// What a tie (as much for as against) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tie {
    /// The proposal is not adopted (staken der stemmen).
    Verworpen,
    /// The chair's vote decides.
    Voorzitter,
}

/// Who may block a proposal by voting against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Veto {
    #[default]
    Geen,
    /// Every member.
    Iedereen,
    /// The members named.
    Leden(Vec<String>),
}

/// The rule for one kind of decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DecisionRule {
    #[serde(rename = "soort")]
    pub kind: String,
    #[serde(rename = "weging")]
    pub weighting: Weighting,
    #[serde(rename = "meerderheid")]
    pub majority: Majority,
    /// For a qualified majority: the share needed, in percent with at most two decimals.
    #[serde(rename = "percentage", default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<String>,
    #[serde(rename = "basis", default = "default_base")]
    pub base: Base,
    /// The share of the members (one member one vote) that must vote (for, against or abstain)
    /// for a valid decision, in percent; absent: no quorum.
    #[serde(rename = "quorum", default, skip_serializing_if = "Option::is_none")]
    pub quorum: Option<String>,
    #[serde(rename = "veto", default, skip_serializing_if = "is_no_veto")]
    pub veto: Veto,
    #[serde(rename = "staking", default = "default_tie")]
    pub tie: Tie,
    /// Secret ballot: who voted what is not shown, only the totals.
    #[serde(rename = "geheim", default)]
    pub secret: bool,
}

fn default_base() -> Base {
    Base::Uitgebracht
}

fn default_tie() -> Tie {
    Tie::Verworpen
}

fn is_no_veto(v: &Veto) -> bool {
    *v == Veto::Geen
}

/// A rule checked: percentages in basis points, veto holders as codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRule {
    pub kind: String,
    pub weighting: Weighting,
    pub majority: Majority,
    /// For a qualified majority, the share needed (numerator, denominator), above one half.
    pub threshold: Option<(u32, u32)>,
    pub base: Base,
    /// The share of the members that must vote (numerator, denominator).
    pub quorum: Option<(u32, u32)>,
    /// `None`: no veto; `Some(empty)`: every member; otherwise the members named.
    pub veto: Option<Vec<MunicipalityCode>>,
    pub tie: Tie,
    pub secret: bool,
}

/// A share as written: a percentage (`66,67`, `75 %`) or a fraction (`2/3`), as an exact ratio
/// (numerator, denominator) of at most 1. A fraction is needed for two thirds: 66,67 % is a hair
/// more than six of nine.
pub fn parse_share(text: &str) -> Option<(u32, u32)> {
    if let Some((a, b)) = text.split_once('/') {
        let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        return (b > 0 && b <= 1_000 && a <= b).then_some((a, b));
    }
    percentage_basis_points(text).map(|bp| (bp, 10_000))
}

/// A share for people: `2/3` or `66,67 %`.
pub fn share_text((a, b): (u32, u32)) -> String {
    if b == 10_000 {
        if a % 100 == 0 {
            format!("{} %", a / 100)
        } else {
            format!("{},{:02} %", a / 100, a % 100)
        }
    } else {
        format!("{a}/{b}")
    }
}

/// Reads a percentage as written (`66,67`, `66.67`, `75`) into basis points.
pub fn percentage_basis_points(text: &str) -> Option<u32> {
    let t = text.trim().trim_end_matches('%').trim().replace(',', ".");
    let (whole, fraction) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() || fraction.len() > 2 || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let fraction: u32 = format!("{fraction:0<2}").parse().ok()?;
    let bp = whole.checked_mul(100)?.checked_add(fraction)?;
    (bp <= 10_000).then_some(bp)
}

impl DecisionRule {
    /// Checks the rule; every problem named with the kind of decision it belongs to.
    pub fn check(&self) -> Result<CheckedRule, Vec<String>> {
        let mut problems = Vec::new();
        let kind = self.kind.trim().to_string();
        let known = DECISION_KINDS.iter().any(|(k, _)| *k == kind);
        if !known {
            let kinds: Vec<&str> = DECISION_KINDS.iter().map(|(k, _)| *k).collect();
            problems.push(format!("soort '{kind}' bestaat niet; kies uit {}", kinds.join(", ")));
        }
        let threshold = match (self.majority, &self.percentage) {
            (Majority::Gekwalificeerd, None) => {
                problems.push(format!("{kind}: een gekwalificeerde meerderheid heeft een percentage nodig"));
                None
            }
            (Majority::Gekwalificeerd, Some(p)) => match parse_share(p) {
                Some((a, b)) if 2 * a > b => Some((a, b)),
                Some(_) => {
                    problems.push(format!(
                        "{kind}: een gekwalificeerde meerderheid ligt boven de helft, niet op {p}; kies anders een gewone meerderheid"
                    ));
                    None
                }
                None => {
                    problems.push(format!(
                        "{kind}: percentage '{p}' is geen percentage van 0 tot en met 100 of breuk zoals 2/3"
                    ));
                    None
                }
            },
            (_, Some(p)) => {
                problems.push(format!("{kind}: een percentage ({p}) hoort alleen bij een gekwalificeerde meerderheid"));
                None
            }
            (_, None) => None,
        };
        let quorum = match &self.quorum {
            None => None,
            Some(q) => match parse_share(q) {
                Some((a, b)) if a > 0 => Some((a, b)),
                _ => {
                    problems.push(format!("{kind}: quorum '{q}' is geen percentage boven 0 en tot en met 100"));
                    None
                }
            },
        };
        // Unanimity of the votes cast, without a quorum, would let one vote for decide alone.
        if self.majority == Majority::Unaniem && self.base == Base::Uitgebracht && quorum.is_none() {
            problems.push(format!(
                "{kind}: unanimiteit van de uitgebrachte stemmen vraagt een quorum; of kies de basis 'alle leden'"
            ));
        }
        // Per side the weight is shown; with inhabitants or budgets that sum reveals who voted
        // what almost always, so a weighted vote cannot be secret.
        if self.secret && self.weighting != Weighting::Lid {
            problems.push(format!(
                "{kind}: een gewogen stemming kan niet geheim zijn: uit het gewicht per kant is af te leiden wie wat stemde"
            ));
        }
        if self.tie == Tie::Voorzitter && self.weighting != Weighting::Lid {
            problems.push(format!(
                "{kind}: de stem van de voorzitter beslist alleen bij één lid één stem; kies bij een gewogen stemming 'verworpen'"
            ));
        }
        let veto = match &self.veto {
            Veto::Geen => None,
            Veto::Iedereen => Some(Vec::new()),
            Veto::Leden(codes) if codes.is_empty() => {
                problems.push(format!("{kind}: een veto voor leden noemt ten minste één gemeente"));
                None
            }
            Veto::Leden(codes) => {
                let mut parsed: Vec<MunicipalityCode> = Vec::new();
                for c in codes {
                    match MunicipalityCode::parse(c) {
                        Ok(code) => parsed.push(code),
                        Err(_) => problems.push(format!("{kind}: veto '{c}' is geen gemeentecode")),
                    }
                }
                Some(parsed)
            }
        };
        if problems.is_empty() {
            Ok(CheckedRule {
                kind,
                weighting: self.weighting,
                majority: self.majority,
                threshold,
                base: self.base,
                quorum,
                veto,
                tie: self.tie,
                secret: self.secret,
            })
        } else {
            Err(problems)
        }
    }
}

/// The decision rules of a charter, one per kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRules {
    #[serde(rename = "besluitregels")]
    pub rules: Vec<DecisionRule>,
}

impl DecisionRules {
    /// Parses and checks the rules: every kind of decision needs exactly one rule.
    pub fn parse(json: &str) -> Result<Vec<CheckedRule>, Vec<String>> {
        let rules: DecisionRules =
            serde_json::from_str(json).map_err(|e| vec![format!("de besluitregels zijn onleesbaar: {e}")])?;
        rules.check()
    }

    pub fn check(&self) -> Result<Vec<CheckedRule>, Vec<String>> {
        let mut problems = Vec::new();
        let mut checked = Vec::new();
        for rule in &self.rules {
            match rule.check() {
                Ok(c) => checked.push(c),
                Err(p) => problems.extend(p),
            }
        }
        for (kind, label) in DECISION_KINDS {
            match self.rules.iter().filter(|r| r.kind.trim() == kind).count() {
                0 => problems.push(format!("er is geen besluitregel voor {label} ({kind})")),
                1 => {}
                n => problems.push(format!("er zijn {n} besluitregels voor {label} ({kind}); één is nodig")),
            }
        }
        if problems.is_empty() {
            Ok(checked)
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_kinds(budget: &str) -> String {
        let others: Vec<String> = DECISION_KINDS
            .iter()
            .skip(1)
            .map(|(k, _)| format!(r#"{{"soort": "{k}", "weging": "lid", "meerderheid": "gewoon"}}"#))
            .collect();
        format!(r#"{{"besluitregels": [{budget}, {}]}}"#, others.join(", "))
    }

    #[test]
    fn a_charter_with_a_double_majority_for_the_budget() {
        let rules = DecisionRules::parse(&all_kinds(
            r#"{"soort": "begroting", "weging": "inwoners", "meerderheid": "dubbel", "quorum": "50"}"#,
        ))
        .unwrap();
        assert_eq!(rules.len(), 6);
        assert_eq!(rules[0].majority, Majority::Dubbel);
        assert_eq!(rules[0].quorum, Some((5_000, 10_000)));
        assert_eq!(rules[1].base, Base::Uitgebracht);
        assert_eq!(rules[1].tie, Tie::Verworpen);
    }

    #[test]
    fn every_problem_is_named() {
        let problems = DecisionRules::parse(
            r#"{"besluitregels": [
                {"soort": "begroting", "weging": "inwoners", "meerderheid": "gekwalificeerd", "percentage": "120"},
                {"soort": "begroting", "weging": "lid", "meerderheid": "gewoon", "percentage": "60"},
                {"soort": "fusie", "weging": "lid", "meerderheid": "gewoon", "quorum": "0"},
                {"soort": "verevening", "weging": "budget", "meerderheid": "gewoon", "staking": "voorzitter"},
                {"soort": "handvest", "weging": "lid", "meerderheid": "unaniem", "veto": {"leden": ["Delft"]}}
            ]}"#,
        )
        .unwrap_err();
        for expected in [
            "begroting: percentage '120' is geen percentage van 0 tot en met 100 of breuk",
            "begroting: een percentage (60) hoort alleen bij een gekwalificeerde meerderheid",
            "soort 'fusie' bestaat niet",
            "fusie: quorum '0' is geen percentage",
            "verevening: de stem van de voorzitter beslist alleen bij één lid één stem",
            "handvest: veto 'Delft' is geen gemeentecode",
            "er zijn 2 besluitregels voor begroting en budget (begroting)",
            "er is geen besluitregel voor inkoopstrategie (inkoopstrategie)",
        ] {
            assert!(problems.iter().any(|p| p.contains(expected)), "{expected}: {problems:?}");
        }
        assert!(DecisionRules::parse("{").unwrap_err()[0].contains("onleesbaar"));
        let low = r#"{"soort": "begroting", "weging": "lid", "meerderheid": "gekwalificeerd", "percentage": "50"}"#;
        assert!(DecisionRules::parse(&all_kinds(low)).unwrap_err()[0].contains("boven de helft"));
        let lone = r#"{"soort": "begroting", "weging": "lid", "meerderheid": "unaniem"}"#;
        assert!(DecisionRules::parse(&all_kinds(lone)).unwrap_err()[0].contains("vraagt een quorum"));
    }

    proptest::proptest! {
        /// Any text: the readers answer with rules or with problems, never a panic; a percentage
        /// they accept is at most 100 %.
        #[test]
        fn readers_never_panic(text in ".{0,400}", json in r#"\{"besluitregels": \[\{"soort": "[a-z]{0,12}", "weging": "(lid|inwoners|x)", "meerderheid": "(gewoon|gekwalificeerd|dubbel|unaniem)", "percentage": "[0-9,.%]{0,6}", "quorum": "[0-9,]{0,5}"\}\]\}"#) {
            let _ = DecisionRules::parse(&text);
            let _ = DecisionRules::parse(&json);
            let _ = crate::charter::Charter::parse(&text);
            if let Some(bp) = percentage_basis_points(&text) {
                proptest::prop_assert!(bp <= 10_000);
            }
        }
    }

    #[test]
    fn percentages_as_people_write_them() {
        assert_eq!(percentage_basis_points("66,67"), Some(6_667));
        assert_eq!(percentage_basis_points("75 %"), Some(7_500));
        assert_eq!(percentage_basis_points("66.6"), Some(6_660));
        assert_eq!(parse_share("2/3"), Some((2, 3)));
        assert_eq!(parse_share("75"), Some((7_500, 10_000)));
        assert_eq!((parse_share("3/2"), parse_share("1/0")), (None, None));
        assert_eq!(
            (share_text((2, 3)), share_text((6_667, 10_000)), share_text((7_500, 10_000))),
            ("2/3".into(), "66,67 %".into(), "75 %".into())
        );
        for bad in ["", "100,001", "101", "-5", "zestig", "5.5.5"] {
            assert_eq!(percentage_basis_points(bad), None, "{bad}");
        }
    }
}
