//! The partner charter (handvest) as a structured document: the tasks done regionally and those
//! left to each member, the decision rules per kind of decision, the chair, and the terms for
//! joining and leaving. Read from JSON with Dutch field names (see docs/bestuur.md).

use crate::governance::{CheckedRule, DecisionRule, DecisionRules};
use crate::MunicipalityCode;
use serde::{Deserialize, Serialize};

/// Where a task is done: "local what can, regional what must".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Regionaal,
    Lokaal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// The task, per lot or theme ("inkoop jeugdhulp met verblijf", "contractbeheer ambulant").
    #[serde(rename = "onderwerp")]
    pub subject: String,
    #[serde(rename = "niveau")]
    pub level: Level,
    #[serde(rename = "toelichting", default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// Joining and leaving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    /// Notice before leaving takes effect, in months.
    #[serde(rename = "opzegtermijnMaanden")]
    pub notice_months: u32,
    /// How exit costs are computed (for example: the share of the regional team for the
    /// notice period, plus running obligations).
    #[serde(rename = "uittreedkosten")]
    pub exit_costs: String,
    /// What happens to running contracts when a member leaves.
    #[serde(rename = "lopendeContracten")]
    pub running_contracts: String,
    /// Conditions for joining.
    #[serde(rename = "toetreding", default, skip_serializing_if = "String::is_empty")]
    pub joining: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Charter {
    #[serde(rename = "taken")]
    pub tasks: Vec<Task>,
    #[serde(rename = "besluitregels")]
    pub rules: Vec<DecisionRule>,
    /// The member whose vote decides a tie where a rule says so.
    #[serde(rename = "voorzitter", default, skip_serializing_if = "Option::is_none")]
    pub chair: Option<String>,
    #[serde(rename = "uittreding")]
    pub terms: Terms,
}

impl Charter {
    pub fn parse(json: &str) -> Result<Charter, Vec<String>> {
        let charter: Charter =
            serde_json::from_str(json).map_err(|e| vec![format!("het handvest is onleesbaar: {e}")])?;
        let problems = charter.problems();
        if problems.is_empty() {
            Ok(charter)
        } else {
            Err(problems)
        }
    }

    /// The chair and veto holders that are not among `members` (codes), sorted.
    pub fn outsiders(&self, members: &[String]) -> Vec<String> {
        let mut named: Vec<&String> = self.chair.iter().collect();
        for rule in &self.rules {
            if let crate::governance::Veto::Leden(codes) = &rule.veto {
                named.extend(codes);
            }
        }
        let mut out: Vec<String> = named.into_iter().filter(|c| !members.contains(c)).cloned().collect();
        out.sort();
        out.dedup();
        out
    }

    /// Every problem of the charter; empty when sound.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.tasks.is_empty() {
            problems.push("het handvest noemt geen taken; zeg wat regionaal en wat lokaal gebeurt".into());
        }
        for (i, t) in self.tasks.iter().enumerate() {
            if t.subject.trim().is_empty() {
                problems.push(format!("taak {}: het onderwerp ontbreekt", i + 1));
            }
            if self.tasks[..i].iter().any(|o| o.subject.trim() == t.subject.trim() && !t.subject.trim().is_empty()) {
                problems.push(format!("taak '{}' staat er twee keer in", t.subject.trim()));
            }
        }
        if let Err(p) = (DecisionRules { rules: self.rules.clone() }).check() {
            problems.extend(p);
        }
        if let Some(chair) = &self.chair {
            if MunicipalityCode::parse(chair).is_err() {
                problems.push(format!("voorzitter '{chair}' is geen gemeentecode"));
            }
        } else if self.rules.iter().any(|r| r.tie == crate::governance::Tie::Voorzitter) {
            problems
                .push("een besluitregel laat de voorzitter beslissen, maar het handvest noemt geen voorzitter".into());
        }
        if self.terms.notice_months > 60 {
            problems.push(format!(
                "een opzegtermijn van {} maanden is langer dan vijf jaar; controleer het getal",
                self.terms.notice_months
            ));
        }
        if self.terms.exit_costs.trim().is_empty() {
            problems.push("het handvest zegt niet hoe de uittreedkosten worden bepaald".into());
        }
        if self.terms.running_contracts.trim().is_empty() {
            problems.push("het handvest zegt niet wat er met lopende contracten gebeurt bij uittreding".into());
        }
        problems
    }

    /// The checked rule for a kind of decision.
    pub fn rule_for(&self, kind: &str) -> Option<CheckedRule> {
        self.rules.iter().find(|r| r.kind.trim() == kind).and_then(|r| r.check().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const EXAMPLE: &str = include_str!("../../../docs/voorbeelden/bestuur/handvest.json");

    #[test]
    fn the_example_charter_is_sound() {
        let c = Charter::parse(EXAMPLE).unwrap();
        assert!(c.tasks.iter().any(|t| t.level == Level::Lokaal));
        assert_eq!(c.rule_for("begroting").unwrap().majority, crate::governance::Majority::Dubbel);
        assert_eq!(c.terms.notice_months, 12);
    }

    #[test]
    fn a_charter_names_what_is_missing() {
        let problems = Charter::parse(
            r#"{"taken": [], "besluitregels": [{"soort": "overig", "weging": "lid", "meerderheid": "gewoon", "staking": "voorzitter"}],
                "uittreding": {"opzegtermijnMaanden": 120, "uittreedkosten": "", "lopendeContracten": ""}}"#,
        )
        .unwrap_err();
        for expected in [
            "het handvest noemt geen taken",
            "er is geen besluitregel voor begroting en budget (begroting)",
            "noemt geen voorzitter",
            "120 maanden",
            "uittreedkosten",
            "lopende contracten",
        ] {
            assert!(problems.iter().any(|p| p.contains(expected)), "{expected}: {problems:?}");
        }
    }
}
