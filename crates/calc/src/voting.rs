//! The outcome of a vote under a charter's decision rule, computed exactly (integer weights,
//! thresholds in basis points) and explained in Dutch: who voted what, the weights, the quorum,
//! a veto, the majority needed and whether it was reached.
//!
//! Order of the checks: the quorum (enough members voted), then a veto (a holder voted against),
//! then the majority of the rule; a tie (as much for as against) follows the rule's tie clause.

use samenspel_domain::governance::{share_text, Base, CheckedRule, Majority, Tie, Weighting};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Vote {
    For,
    Against,
    Abstain,
}

/// A member entitled to vote, its weight under the rule (`None` when unknown) and its vote
/// (`None`: did not vote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voter {
    /// How the rule's veto holders and chair name this member (its code).
    pub member: String,
    /// How the explanation names it (`None`: by `member`).
    pub name: Option<String>,
    pub weight: Option<u64>,
    pub vote: Option<Vote>,
}

impl Voter {
    /// The name the explanation uses.
    pub fn shown(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.member)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Adopted,
    Rejected,
    /// Too few members voted: no decision.
    NoQuorum,
    /// A veto holder voted against.
    Vetoed(Vec<String>),
}

/// Members and weight per way of voting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    pub members: u64,
    pub weight: u128,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub outcome: Outcome,
    pub for_: Side,
    pub against: Side,
    pub abstain: Side,
    pub not_voted: Side,
    /// The steps of the arithmetic, in Dutch.
    pub explanation: Vec<String>,
}

impl Tally {
    pub fn adopted(&self) -> bool {
        self.outcome == Outcome::Adopted
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum VotingError {
    /// A weighted rule, and these members have no weight (inhabitants or budget unknown).
    MissingWeights(Vec<String>),
    /// Nobody is entitled to vote, or every weight is zero.
    NoVoters,
}

impl std::fmt::Display for VotingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VotingError::MissingWeights(members) => {
                write!(f, "de weging is onbekend voor {}; vul die eerst in", members.join(", "))
            }
            VotingError::NoVoters => write!(f, "er is niemand met een stem"),
        }
    }
}

impl std::error::Error for VotingError {}

/// `part` of `whole` as a Dutch percentage with two decimals (rounded half up).
fn percent(part: u128, whole: u128) -> String {
    if whole == 0 {
        return "0,00 %".into();
    }
    let hundredths = (part * 10_000 + whole / 2) / whole;
    format!("{},{:02} %", hundredths / 100, hundredths % 100)
}

fn weight_name(w: Weighting) -> &'static str {
    match w {
        Weighting::Lid => "stemmen",
        Weighting::Inwoners => "inwoners",
        Weighting::Budget => "euro budget",
    }
}

fn members(n: u64) -> String {
    if n == 1 {
        "1 lid".into()
    } else {
        format!("{n} leden")
    }
}

/// A count with thousands separators (`566.221`).
fn count(x: u128) -> String {
    u64::try_from(x).map(samenspel_domain::nl::group_thousands).unwrap_or_else(|_| x.to_string())
}

/// Counts a vote. `chair` is the member whose vote decides a tie when the rule says so.
pub fn tally(rule: &CheckedRule, voters: &[Voter], chair: Option<&str>) -> Result<Tally, VotingError> {
    let weighted = rule.weighting != Weighting::Lid;
    let missing: Vec<String> =
        voters.iter().filter(|v| weighted && v.weight.is_none()).map(|v| v.shown().to_string()).collect();
    if !missing.is_empty() {
        return Err(VotingError::MissingWeights(missing));
    }
    let weight = |v: &Voter| -> u128 {
        if weighted {
            u128::from(v.weight.unwrap_or(0))
        } else {
            1
        }
    };
    let total_weight: u128 = voters.iter().map(weight).sum();
    if voters.is_empty() || total_weight == 0 {
        return Err(VotingError::NoVoters);
    }
    let mut sides = [Side::default(); 4];
    for v in voters {
        let i = match v.vote {
            Some(Vote::For) => 0,
            Some(Vote::Against) => 1,
            Some(Vote::Abstain) => 2,
            None => 3,
        };
        sides[i].members += 1;
        sides[i].weight += weight(v);
    }
    let [for_, against, abstain, not_voted] = sides;
    let n = voters.len() as u64;
    let unit = weight_name(rule.weighting);
    let mut explanation = vec![format!(
        "Voor: {} ({} {unit}); tegen: {} ({}); onthoudingen: {} ({}); niet gestemd: {} ({}).",
        members(for_.members),
        count(for_.weight),
        members(against.members),
        count(against.weight),
        members(abstain.members),
        count(abstain.weight),
        members(not_voted.members),
        count(not_voted.weight)
    )];
    let done = |outcome: Outcome, explanation: Vec<String>| {
        Ok(Tally { outcome, for_, against, abstain, not_voted, explanation })
    };

    if let Some((a, b)) = rule.quorum {
        let voted = n - not_voted.members;
        let reached = u128::from(voted) * u128::from(b) >= u128::from(a) * u128::from(n);
        explanation.push(format!(
            "Quorum: {voted} van {n} leden stemden ({}); nodig is ten minste {} — {}.",
            percent(u128::from(voted), u128::from(n)),
            share_text((a, b)),
            if reached { "gehaald" } else { "niet gehaald, er is geen besluit" }
        ));
        if !reached {
            return done(Outcome::NoQuorum, explanation);
        }
    }

    if let Some(holders) = &rule.veto {
        let vetoing: Vec<String> = voters
            .iter()
            .filter(|v| v.vote == Some(Vote::Against))
            .filter(|v| holders.is_empty() || holders.iter().any(|h| h.as_str() == v.member))
            .map(|v| v.shown().to_string())
            .collect();
        if !vetoing.is_empty() {
            // A secret ballot does not say who.
            explanation.push(match (rule.secret, vetoing.len()) {
                (true, _) => "Veto: een lid met een veto stemde tegen; het voorstel is verworpen.".to_string(),
                (false, 1) => {
                    format!("Veto: {} stemde tegen en heeft een veto; het voorstel is verworpen.", vetoing[0])
                }
                (false, _) => {
                    format!("Veto: {} stemden tegen en hebben een veto; het voorstel is verworpen.", vetoing.join(", "))
                }
            });
            return done(Outcome::Vetoed(vetoing), explanation);
        }
    }

    let (base_members, base_weight, base_text) = match rule.base {
        Base::Uitgebracht => (
            for_.members + against.members,
            for_.weight + against.weight,
            "van de uitgebrachte stemmen (voor en tegen)",
        ),
        Base::Alle => (n, total_weight, "van alle leden met een stem"),
    };
    if base_weight == 0 {
        explanation.push("Er is niet voor of tegen gestemd; het voorstel is niet aangenomen.".into());
        return done(Outcome::Rejected, explanation);
    }
    let adopted = match rule.majority {
        Majority::Gewoon => {
            if for_.weight == against.weight && for_.weight * 2 == base_weight {
                let (adopted, text) = match (rule.tie, chair) {
                    (Tie::Voorzitter, Some(chair_code)) => {
                        let chair_voter = voters.iter().find(|v| v.member == chair_code);
                        let chair = chair_voter.map_or(chair_code, Voter::shown);
                        match chair_voter.and_then(|v| v.vote) {
                            Some(Vote::For) if rule.secret => {
                                (true, "de stem van de voorzitter beslist: aangenomen".into())
                            }
                            Some(Vote::Against) if rule.secret => {
                                (false, "de stem van de voorzitter beslist: verworpen".into())
                            }
                            Some(Vote::For) => (true, format!("de voorzitter ({chair}) stemde voor: aangenomen")),
                            Some(Vote::Against) => (false, format!("de voorzitter ({chair}) stemde tegen: verworpen")),
                            _ => (false, format!("de voorzitter ({chair}) stemde niet voor of tegen: verworpen")),
                        }
                    }
                    (Tie::Voorzitter, None) => (false, "er is geen voorzitter aangewezen: verworpen".into()),
                    (Tie::Verworpen, _) => (false, "bij staking van stemmen is het voorstel verworpen".into()),
                };
                explanation.push(format!(
                    "De stemmen staken ({} {unit} voor, {} tegen); {text}.",
                    count(for_.weight),
                    count(against.weight)
                ));
                adopted
            } else {
                let adopted = for_.weight * 2 > base_weight;
                explanation.push(format!(
                    "Gewone meerderheid {base_text}: voor {} van {} {unit} = {}; nodig is meer dan 50 % — {}.",
                    count(for_.weight),
                    count(base_weight),
                    percent(for_.weight, base_weight),
                    if adopted { "gehaald" } else { "niet gehaald" }
                ));
                adopted
            }
        }
        Majority::Gekwalificeerd => {
            let (a, b) = rule.threshold.unwrap_or((1, 1));
            let adopted = for_.weight * u128::from(b) >= u128::from(a) * base_weight;
            explanation.push(format!(
                "Gekwalificeerde meerderheid {base_text}: voor {} van {} {unit} = {}; nodig is ten minste {} — {}.",
                count(for_.weight),
                count(base_weight),
                percent(for_.weight, base_weight),
                share_text((a, b)),
                if adopted { "gehaald" } else { "niet gehaald" }
            ));
            adopted
        }
        Majority::Dubbel => {
            let members = u128::from(for_.members) * 2 > u128::from(base_members);
            let weight = for_.weight * 2 > base_weight;
            explanation.push(format!(
                "Dubbele meerderheid {base_text}: leden voor {} van {} = {} ({}), {unit} voor {} van {} = {} ({}).",
                for_.members,
                base_members,
                percent(u128::from(for_.members), u128::from(base_members)),
                if members { "meer dan de helft" } else { "niet meer dan de helft" },
                count(for_.weight),
                count(base_weight),
                percent(for_.weight, base_weight),
                if weight { "meer dan de helft" } else { "niet meer dan de helft" }
            ));
            members && weight
        }
        Majority::Unaniem => {
            let adopted = for_.members == base_members && base_members > 0;
            explanation.push(format!(
                "Unanimiteit {base_text}: {} van {} leden stemden voor — {}.",
                for_.members,
                base_members,
                if adopted { "unaniem" } else { "niet unaniem" }
            ));
            adopted
        }
    };
    explanation.push(if adopted { "Het voorstel is aangenomen.".into() } else { "Het voorstel is verworpen.".into() });
    done(if adopted { Outcome::Adopted } else { Outcome::Rejected }, explanation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use samenspel_domain::governance::{DecisionRule, Veto};

    fn rule(weighting: Weighting, majority: Majority, percentage: Option<&str>, base: Base) -> CheckedRule {
        DecisionRule {
            kind: "begroting".into(),
            weighting,
            majority,
            percentage: percentage.map(String::from),
            base,
            quorum: None,
            veto: Veto::Geen,
            tie: Tie::Verworpen,
            secret: false,
        }
        .check()
        .unwrap()
    }

    fn voters(spec: &[(&str, u64, Option<Vote>)]) -> Vec<Voter> {
        spec.iter().map(|(m, w, v)| Voter { member: m.to_string(), name: None, weight: Some(*w), vote: *v }).collect()
    }

    use Vote::{Abstain, Against, For};

    /// Haaglanden-like: one large member and several small ones.
    fn region(votes: [Option<Vote>; 4]) -> Vec<Voter> {
        voters(&[
            ("GM0518", 566_221, votes[0]),
            ("GM0637", 128_000, votes[1]),
            ("GM1842", 20_000, votes[2]),
            ("GM0629", 27_000, votes[3]),
        ])
    }

    #[test]
    fn the_large_member_alone_carries_a_weighted_vote_but_not_a_double_majority() {
        let votes = region([Some(For), Some(Against), Some(Against), Some(Against)]);
        let weighted =
            tally(&rule(Weighting::Inwoners, Majority::Gewoon, None, Base::Uitgebracht), &votes, None).unwrap();
        assert!(weighted.adopted());
        assert!(
            weighted.explanation[1].contains("voor 566.221 van 741.221 inwoners = 76,39 %"),
            "{:?}",
            weighted.explanation
        );
        let double =
            tally(&rule(Weighting::Inwoners, Majority::Dubbel, None, Base::Uitgebracht), &votes, None).unwrap();
        assert_eq!(double.outcome, Outcome::Rejected);
        assert!(double.explanation[1].contains("leden voor 1 van 4 = 25,00 % (niet meer dan de helft)"));
        let one_each = tally(&rule(Weighting::Lid, Majority::Gewoon, None, Base::Uitgebracht), &votes, None).unwrap();
        assert_eq!(one_each.outcome, Outcome::Rejected);
    }

    #[test]
    fn qualified_majority_abstentions_and_the_base() {
        // 3 for, 1 abstains: 100 % of the votes cast, 75 % of all members.
        let votes = region([Some(For), Some(For), Some(For), Some(Abstain)]);
        let cast = rule(Weighting::Lid, Majority::Gekwalificeerd, Some("75"), Base::Uitgebracht);
        assert!(tally(&cast, &votes, None).unwrap().adopted());
        let all = rule(Weighting::Lid, Majority::Gekwalificeerd, Some("75"), Base::Alle);
        assert!(tally(&all, &votes, None).unwrap().adopted(), "exactly 75 % is enough");
        let more = rule(Weighting::Lid, Majority::Gekwalificeerd, Some("75,01"), Base::Alle);
        assert!(!tally(&more, &votes, None).unwrap().adopted());
        let unanimous = rule(Weighting::Lid, Majority::Unaniem, None, Base::Alle);
        assert!(!tally(&unanimous, &votes, None).unwrap().adopted());
        let unanimous_cast = CheckedRule { base: Base::Uitgebracht, quorum: Some((1, 2)), ..unanimous.clone() };
        assert!(tally(&unanimous_cast, &votes, None).unwrap().adopted());
    }

    #[test]
    fn two_thirds_is_exactly_six_of_nine() {
        let votes: Vec<Voter> = (0..9)
            .map(|i| Voter {
                member: format!("M{i}"),
                name: None,
                weight: Some(1),
                vote: Some(if i < 6 { For } else { Against }),
            })
            .collect();
        let fraction = rule(Weighting::Lid, Majority::Gekwalificeerd, Some("2/3"), Base::Alle);
        let t = tally(&fraction, &votes, None).unwrap();
        assert!(t.adopted(), "{:?}", t.explanation);
        assert!(t.explanation[1].contains("nodig is ten minste 2/3 — gehaald"));
        let rounded = rule(Weighting::Lid, Majority::Gekwalificeerd, Some("66,67"), Base::Alle);
        assert!(!tally(&rounded, &votes, None).unwrap().adopted(), "66,67 % is more than 6 of 9");
    }

    #[test]
    fn ties_quorum_and_veto() {
        let votes = region([Some(For), Some(Against), Some(For), Some(Against)]);
        let mut r = rule(Weighting::Lid, Majority::Gewoon, None, Base::Uitgebracht);
        let t = tally(&r, &votes, None).unwrap();
        assert_eq!(t.outcome, Outcome::Rejected);
        assert!(t.explanation[1].contains("De stemmen staken"));
        r.tie = Tie::Voorzitter;
        assert!(tally(&r, &votes, Some("GM0518")).unwrap().adopted());
        assert!(!tally(&r, &votes, Some("GM0637")).unwrap().adopted());
        assert!(!tally(&r, &votes, None).unwrap().adopted());

        let mut q = rule(Weighting::Lid, Majority::Gewoon, None, Base::Uitgebracht);
        q.quorum = Some((7_500, 10_000));
        let few = region([Some(For), Some(For), None, None]);
        let t = tally(&q, &few, None).unwrap();
        assert_eq!(t.outcome, Outcome::NoQuorum);
        assert!(t.explanation[1].contains("2 van 4 leden stemden (50,00 %); nodig is ten minste 75 % — niet gehaald"));

        let mut v = rule(Weighting::Lid, Majority::Gewoon, None, Base::Uitgebracht);
        v.veto = Some(vec![samenspel_domain::MunicipalityCode::parse("GM1842").unwrap()]);
        let small_says_no = region([Some(For), Some(For), Some(Against), Some(For)]);
        assert_eq!(tally(&v, &small_says_no, None).unwrap().outcome, Outcome::Vetoed(vec!["GM1842".into()]));
        let other_says_no = region([Some(For), Some(Against), Some(For), Some(For)]);
        assert!(tally(&v, &other_says_no, None).unwrap().adopted());
    }

    #[test]
    fn missing_weights_and_no_voters_are_named() {
        let r = rule(Weighting::Budget, Majority::Gewoon, None, Base::Uitgebracht);
        let mut votes = region([Some(For); 4]);
        votes[2].weight = None;
        assert_eq!(tally(&r, &votes, None), Err(VotingError::MissingWeights(vec!["GM1842".into()])));
        assert_eq!(tally(&r, &[], None), Err(VotingError::NoVoters));
        let nobody = region([None; 4]);
        assert_eq!(tally(&r, &nobody, None).unwrap().outcome, Outcome::Rejected);
    }

    fn any_rule() -> impl Strategy<Value = CheckedRule> {
        (
            prop_oneof![Just(Weighting::Lid), Just(Weighting::Inwoners)],
            prop_oneof![
                Just(Majority::Gewoon),
                Just(Majority::Gekwalificeerd),
                Just(Majority::Dubbel),
                Just(Majority::Unaniem)
            ],
            5_001u32..=10_000,
            prop_oneof![Just(Base::Uitgebracht), Just(Base::Alle)],
            proptest::option::of(1u32..=10_000),
            any::<bool>(),
        )
            .prop_map(|(weighting, majority, bp, base, quorum, veto)| CheckedRule {
                kind: "overig".into(),
                weighting,
                majority,
                threshold: (majority == Majority::Gekwalificeerd).then_some((bp, 10_000)),
                base,
                quorum: quorum.map(|q| (q, 10_000)),
                veto: veto.then(Vec::new),
                tie: Tie::Verworpen,
                secret: false,
            })
    }

    fn any_votes() -> impl Strategy<Value = Vec<Voter>> {
        proptest::collection::vec(
            (1u64..1_000_000, prop_oneof![Just(None), Just(Some(For)), Just(Some(Against)), Just(Some(Abstain))]),
            1..20,
        )
        .prop_map(|vs| {
            vs.into_iter()
                .enumerate()
                .map(|(i, (weight, vote))| Voter { member: format!("M{i}"), name: None, weight: Some(weight), vote })
                .collect()
        })
    }

    proptest! {
        /// One more vote for never turns an adopted proposal into a rejected one.
        #[test]
        fn a_vote_for_never_hurts(rule in any_rule(), votes in any_votes(), who in 0usize..20) {
            let before = tally(&rule, &votes, None).unwrap();
            let mut after_votes = votes.clone();
            let i = who % after_votes.len();
            after_votes[i].vote = Some(For);
            let after = tally(&rule, &after_votes, None).unwrap();
            prop_assert!(!before.adopted() || after.adopted(), "{:?} → {:?}", before.explanation, after.explanation);
        }

        /// Everyone for adopts under every rule; everyone against adopts under none.
        #[test]
        fn everyone_for_or_against(rule in any_rule(), votes in any_votes()) {
            let all_for: Vec<Voter> = votes.iter().cloned().map(|v| Voter { vote: Some(For), ..v }).collect();
            prop_assert!(tally(&rule, &all_for, None).unwrap().adopted());
            let all_against: Vec<Voter> = votes.iter().cloned().map(|v| Voter { vote: Some(Against), ..v }).collect();
            prop_assert!(!tally(&rule, &all_against, None).unwrap().adopted());
        }

        /// The sides add up to every member and all the weight.
        #[test]
        fn the_count_adds_up(rule in any_rule(), votes in any_votes()) {
            let t = tally(&rule, &votes, None).unwrap();
            prop_assert_eq!(t.for_.members + t.against.members + t.abstain.members + t.not_voted.members, votes.len() as u64);
            let weight: u128 = if rule.weighting == Weighting::Lid {
                votes.len() as u128
            } else {
                votes.iter().map(|v| u128::from(v.weight.unwrap())).sum()
            };
            prop_assert_eq!(t.for_.weight + t.against.weight + t.abstain.weight + t.not_voted.weight, weight);
        }

        /// A double majority is also a majority of the members.
        #[test]
        fn double_implies_members(mut rule in any_rule(), votes in any_votes()) {
            rule.majority = Majority::Dubbel;
            rule.veto = None;
            rule.quorum = None;
            if tally(&rule, &votes, None).unwrap().adopted() {
                let members = CheckedRule { weighting: Weighting::Lid, majority: Majority::Gewoon, ..rule };
                prop_assert!(tally(&members, &votes, None).unwrap().adopted());
            }
        }
    }
}
