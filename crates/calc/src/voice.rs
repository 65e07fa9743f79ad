//! Voice indicators: per member and year, whether its voice counts in the collaboration. They
//! follow the three causes of dissatisfaction in regional collaborations (my input is not seen
//! back; I am not involved enough; we are disadvantaged): the share of its inputs the region
//! adopted fully or partly, the share of consultations it took part in, how often it was on the
//! losing side of a vote, and whether it pays more under the risk sharing than it would alone.
//!
//! Secret votes are left out of the losing-side count: counting them per member would reveal
//! how the member voted.

use samenspel_domain::proposal::{Choice, Handling};
use samenspel_domain::Cents;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one proposal contributes, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalFacts {
    /// The year it counts in: when the consultation opened, else when the vote opened.
    pub year: i32,
    /// Members asked for input (empty when no consultation was held).
    pub consulted: Vec<String>,
    /// Every input with the region's answer (`None`: not answered yet).
    pub inputs: Vec<(String, Option<Handling>)>,
    /// The vote, once decided.
    pub vote: Option<VoteFacts>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteFacts {
    pub secret: bool,
    pub adopted: bool,
    pub votes: Vec<(String, Choice)>,
}

/// The counts behind the indicators for one member in one year (or all years).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct VoiceCounts {
    /// Answered inputs, and of those adopted fully and partly.
    pub answered: u32,
    pub adopted: u32,
    pub partly: u32,
    /// Consultations it was asked for, and those it gave input in.
    pub consultations: u32,
    pub joined: u32,
    /// Decided open votes it voted for or against in, and of those on the losing side.
    pub votes: u32,
    pub lost: u32,
}

impl VoiceCounts {
    fn add(&mut self, other: &VoiceCounts) {
        self.answered += other.answered;
        self.adopted += other.adopted;
        self.partly += other.partly;
        self.consultations += other.consultations;
        self.joined += other.joined;
        self.votes += other.votes;
        self.lost += other.lost;
    }

    /// Share of answered inputs adopted fully or partly, in whole percent.
    pub fn heard_percent(&self) -> Option<u32> {
        percent(self.adopted + self.partly, self.answered)
    }

    pub fn joined_percent(&self) -> Option<u32> {
        percent(self.joined, self.consultations)
    }

    pub fn lost_percent(&self) -> Option<u32> {
        percent(self.lost, self.votes)
    }
}

/// `part` of `whole` in whole percent, rounded half up; `None` for nothing to count.
fn percent(part: u32, whole: u32) -> Option<u32> {
    (whole > 0).then(|| ((u64::from(part) * 200 + u64::from(whole)) / (2 * u64::from(whole))) as u32)
}

/// One member's voice: per year and over all years, with the warnings it raises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberVoice {
    pub member: String,
    pub by_year: BTreeMap<i32, VoiceCounts>,
    pub total: VoiceCounts,
    /// What it pays under the risk-sharing agreement minus what it would pay alone (positive:
    /// it pays more), when known.
    pub pays_more_than_alone: Option<Cents>,
    /// Why this member may feel unheard, in Dutch; empty when nothing stands out.
    pub warnings: Vec<String>,
}

/// Below this many cases a share says too little to warn on.
pub const MIN_CASES: u32 = 3;

/// Counts the indicators for every member in `members`. `pays_more` gives per member what it
/// pays under the agreement minus alone.
pub fn voice(members: &[String], proposals: &[ProposalFacts], pays_more: &BTreeMap<String, Cents>) -> Vec<MemberVoice> {
    let mut counts: BTreeMap<&str, BTreeMap<i32, VoiceCounts>> =
        members.iter().map(|m| (m.as_str(), BTreeMap::new())).collect();
    for p in proposals {
        for member in &p.consulted {
            if let Some(years) = counts.get_mut(member.as_str()) {
                let c = years.entry(p.year).or_default();
                c.consultations += 1;
                if p.inputs.iter().any(|(m, _)| m == member) {
                    c.joined += 1;
                }
            }
        }
        for (member, handling) in &p.inputs {
            if let (Some(years), Some(handling)) = (counts.get_mut(member.as_str()), handling) {
                let c = years.entry(p.year).or_default();
                c.answered += 1;
                match handling {
                    Handling::Overgenomen => c.adopted += 1,
                    Handling::Deels => c.partly += 1,
                    Handling::Niet => {}
                }
            }
        }
        if let Some(vote) = p.vote.as_ref().filter(|v| !v.secret) {
            for (member, choice) in &vote.votes {
                let Some(years) = counts.get_mut(member.as_str()) else { continue };
                let lost = match choice {
                    Choice::Voor => !vote.adopted,
                    Choice::Tegen => vote.adopted,
                    Choice::Onthouding => continue,
                };
                let c = years.entry(p.year).or_default();
                c.votes += 1;
                c.lost += u32::from(lost);
            }
        }
    }
    counts
        .into_iter()
        .map(|(member, by_year)| {
            let mut total = VoiceCounts::default();
            for c in by_year.values() {
                total.add(c);
            }
            let pays = pays_more.get(member).copied();
            let warnings = warnings(&total, pays);
            MemberVoice { member: member.to_string(), by_year, total, pays_more_than_alone: pays, warnings }
        })
        .collect()
}

/// The warnings a member's totals raise, each with its reason.
fn warnings(total: &VoiceCounts, pays_more: Option<Cents>) -> Vec<String> {
    let mut out = Vec::new();
    if total.answered >= MIN_CASES {
        if let Some(p) = total.heard_percent().filter(|p| *p < 25) {
            out.push(format!(
                "Inbreng wordt weinig teruggezien: {p} % van {} beantwoorde zienswijzen is (deels) overgenomen.",
                total.answered
            ));
        }
    }
    if total.consultations >= MIN_CASES {
        if let Some(p) = total.joined_percent().filter(|p| *p < 50) {
            out.push(format!(
                "Weinig betrokken: zienswijze gegeven bij {p} % van {} consultaties.",
                total.consultations
            ));
        }
    }
    if total.votes >= MIN_CASES {
        if let Some(p) = total.lost_percent().filter(|p| *p >= 50) {
            out.push(format!(
                "Vaak overstemd: {} van {} open stemmingen aan de verliezende kant ({p} %).",
                total.lost, total.votes
            ));
        }
    }
    if let Some(more) = pays_more.filter(|c| c.0 > 0) {
        out.push(format!("Betaalt in de verevening {more} meer dan alleen."));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> String {
        s.to_string()
    }

    fn decided(year: i32, adopted: bool, votes: &[(&str, Choice)], secret: bool) -> ProposalFacts {
        ProposalFacts {
            year,
            consulted: vec![m("A"), m("B")],
            inputs: Vec::new(),
            vote: Some(VoteFacts { secret, adopted, votes: votes.iter().map(|(x, c)| (m(x), *c)).collect() }),
        }
    }

    #[test]
    fn a_small_member_outvoted_again_and_again_is_flagged() {
        use Choice::*;
        let proposals = vec![
            decided(2025, true, &[("A", Voor), ("B", Tegen)], false),
            decided(2026, true, &[("A", Voor), ("B", Tegen)], false),
            decided(2026, false, &[("A", Tegen), ("B", Voor)], false),
            decided(2026, true, &[("A", Voor), ("B", Onthouding)], false),
            decided(2026, true, &[("A", Voor), ("B", Tegen)], true),
        ];
        let voices = voice(&[m("A"), m("B")], &proposals, &BTreeMap::new());
        let b = &voices[1];
        assert_eq!((b.total.votes, b.total.lost), (3, 3), "abstentions and the secret vote are not counted");
        assert_eq!(b.by_year[&2026].lost, 2);
        assert!(b.warnings.iter().any(|w| w.starts_with("Vaak overstemd: 3 van 3")), "{:?}", b.warnings);
        assert_eq!(voices[0].total.lost, 0);
        assert!(voices[0].warnings.iter().all(|w| !w.starts_with("Vaak overstemd")));
        // Nobody gave input in these five consultations.
        assert_eq!(b.total.joined_percent(), Some(0));
        assert!(b.warnings.iter().any(|w| w.starts_with("Weinig betrokken")));
    }

    #[test]
    fn inputs_count_when_answered_and_per_year() {
        let p = ProposalFacts {
            year: 2026,
            consulted: vec![m("A"), m("B")],
            inputs: vec![
                (m("A"), Some(Handling::Overgenomen)),
                (m("A"), Some(Handling::Deels)),
                (m("A"), Some(Handling::Niet)),
                (m("A"), None),
                (m("X"), Some(Handling::Niet)),
            ],
            vote: None,
        };
        let pays = BTreeMap::from([(m("B"), Cents(12_345)), (m("A"), Cents(-5))]);
        let voices = voice(&[m("A"), m("B")], &[p], &pays);
        let a = &voices[0].total;
        assert_eq!((a.answered, a.adopted, a.partly), (3, 1, 1));
        assert_eq!(a.heard_percent(), Some(67));
        assert_eq!((a.consultations, a.joined), (1, 1));
        assert_eq!(voices[1].total.joined_percent(), Some(0));
        assert!(voices[1].warnings.iter().any(|w| w.contains("meer dan alleen")));
        assert!(voices[0].warnings.is_empty(), "{:?}", voices[0].warnings);
    }

    #[test]
    fn percentages_round_half_up_and_need_cases() {
        assert_eq!(percent(1, 3), Some(33));
        assert_eq!(percent(2, 3), Some(67));
        assert_eq!(percent(1, 8), Some(13));
        assert_eq!(percent(0, 0), None);
    }
}
