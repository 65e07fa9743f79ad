//! The results of a questionnaire round (issue 7): scores per dimension, per respondent group
//! and per party rated, Cronbach's alpha, intended against experienced value, and the change
//! between two rounds, with every group under [`MIN_GROUP`] respondents hidden, and hidden
//! also from subtraction between views (see [`suppress`]).

use crate::survey::{change, cronbach_alpha, estimate, score, Change, Estimate, MIN_GROUP};
use samenspel_domain::instrument::{answer_key, Instrument, Party, Verdict};
use serde::Serialize;
use std::collections::BTreeMap;

/// The groups a report shows. Everyone, the three parties, and the members split by size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Group {
    #[serde(rename = "iedereen")]
    All,
    #[serde(rename = "gemeenten")]
    Members,
    #[serde(rename = "grote-gemeenten")]
    LargeMembers,
    #[serde(rename = "kleine-gemeenten")]
    SmallMembers,
    #[serde(rename = "regio")]
    Region,
    #[serde(rename = "aanbieders")]
    Providers,
}

impl Group {
    pub const ALL: [Group; 6] =
        [Group::All, Group::Members, Group::LargeMembers, Group::SmallMembers, Group::Region, Group::Providers];

    pub fn code(self) -> &'static str {
        match self {
            Group::All => "iedereen",
            Group::Members => "gemeenten",
            Group::LargeMembers => "grote-gemeenten",
            Group::SmallMembers => "kleine-gemeenten",
            Group::Region => "regio",
            Group::Providers => "aanbieders",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Group::All => "Alle respondenten",
            Group::Members => "Gemeenten (leden)",
            Group::LargeMembers => "Grote gemeenten",
            Group::SmallMembers => "Kleine gemeenten",
            Group::Region => "Regionaal team",
            Group::Providers => "Aanbieders",
        }
    }

    /// As it reads after "volgens": "volgens de kleine gemeenten".
    pub fn phrase(self) -> &'static str {
        match self {
            Group::All => "alle respondenten",
            Group::Members => "de gemeenten",
            Group::LargeMembers => "de grote gemeenten",
            Group::SmallMembers => "de kleine gemeenten",
            Group::Region => "het regionale team",
            Group::Providers => "de aanbieders",
        }
    }

    /// Whether a respondent belongs to the group.
    fn holds(self, r: &Respondent) -> bool {
        match self {
            Group::All => true,
            Group::Members => r.group == Party::Members,
            Group::LargeMembers => r.group == Party::Members && r.large_member == Some(true),
            Group::SmallMembers => r.group == Party::Members && r.large_member == Some(false),
            Group::Region => r.group == Party::Region,
            Group::Providers => r.group == Party::Providers,
        }
    }

    /// The additive relations between the groups: a whole and the parts it is the sum of.
    /// Members without a size class belong to neither size group, so members are only
    /// the sum of large and small when every member respondent has one; [`report`] adds that
    /// relation then.
    fn relations(sizes_complete: bool) -> Vec<(Group, Vec<Group>)> {
        let mut out = vec![(Group::All, vec![Group::Members, Group::Region, Group::Providers])];
        if sizes_complete {
            out.push((Group::Members, vec![Group::LargeMembers, Group::SmallMembers]));
        }
        out
    }
}

/// One respondent's answers with the group they answered for. No name, no organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Respondent {
    pub group: Party,
    /// For a member respondent: whether the member is one of the larger half of the region.
    pub large_member: Option<bool>,
    pub answers: BTreeMap<String, u8>,
}

/// Why a group has no figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Hidden {
    /// Fewer than [`MIN_GROUP`] respondents.
    #[serde(rename = "te-klein")]
    TooSmall,
    /// Large enough itself, hidden so that a small group cannot be found by subtracting it from
    /// a whole.
    #[serde(rename = "ter-bescherming")]
    Protecting,
}

impl Hidden {
    pub fn label(self) -> &'static str {
        match self {
            Hidden::TooSmall => "minder dan 5 respondenten: geen cijfer",
            Hidden::Protecting => "verborgen, zodat een kleine groep niet door aftrekken te vinden is",
        }
    }
}

/// Which cells of a table of group counts to hide. `counts[i]` is cell i's number of
/// respondents, `relations` say which cell is the sum of which others. A cell of 1–4 is hidden
/// (primary suppression); then, until nothing changes, every relation is made safe
/// (complementary suppression): when a whole is shown, its hidden parts number 0 or at least two
/// and hold at least [`MIN_GROUP`] respondents together, otherwise the whole is hidden too when
/// it is no part of anything (the total is the least telling figure), else its smallest shown
/// part; when the whole is hidden, at least one of its non-empty parts is too, or the whole
/// would follow from adding them. Empty cells reveal nothing and are shown.
pub fn suppress(counts: &[usize], relations: &[(usize, Vec<usize>)]) -> Vec<Option<Hidden>> {
    let mut hidden: Vec<Option<Hidden>> =
        counts.iter().map(|&n| (n > 0 && n < MIN_GROUP).then_some(Hidden::TooSmall)).collect();
    loop {
        let mut changed = false;
        for (whole, parts) in relations {
            let parts: Vec<usize> = parts.iter().copied().filter(|&p| counts[p] > 0).collect();
            let smallest_shown = |hidden: &[Option<Hidden>]| {
                parts.iter().copied().filter(|&p| hidden[p].is_none()).min_by_key(|&p| (counts[p], p))
            };
            if hidden[*whole].is_none() {
                let hidden_parts: Vec<usize> = parts.iter().copied().filter(|&p| hidden[p].is_some()).collect();
                let together: usize = hidden_parts.iter().map(|&p| counts[p]).sum();
                if !hidden_parts.is_empty() && (hidden_parts.len() < 2 || together < MIN_GROUP) {
                    let is_part = relations.iter().any(|(_, ps)| ps.contains(whole));
                    let next = if is_part { smallest_shown(&hidden).unwrap_or(*whole) } else { *whole };
                    hidden[next] = Some(Hidden::Protecting);
                    changed = true;
                }
            } else if counts[*whole] > 0 && !parts.is_empty() && parts.iter().all(|&p| hidden[p].is_none()) {
                if let Some(next) = smallest_shown(&hidden) {
                    hidden[next] = Some(Hidden::Protecting);
                    changed = true;
                }
            }
        }
        if !changed {
            return hidden;
        }
    }
}

/// A group in a round: how many answered, and whether its figures are hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GroupCount {
    pub group: Group,
    /// Not shown for a hidden group.
    #[serde(skip)]
    pub n: usize,
    pub hidden: Option<Hidden>,
}

impl GroupCount {
    /// The number of respondents when it may be shown.
    pub fn shown_n(&self) -> Option<usize> {
        self.hidden.is_none().then_some(self.n)
    }
}

/// The key of the overall score: the mean of every statement of a pass.
pub const OVERALL: &str = "totaal";

/// A score of a group: one dimension (or [`OVERALL`]) about one party (when the instrument is
/// answered per party). `estimate` is `None` when the group is hidden or empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub dimension: String,
    pub party: Option<Party>,
    pub group: Group,
    pub estimate: Option<Estimate>,
    pub verdict: Option<Verdict>,
}

/// How well a dimension holds (over every respondent of the round and every party rated).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reliability {
    pub dimension: String,
    pub alpha: Option<f64>,
    /// Complete answer rows the alpha rests on.
    pub rows: usize,
}

/// Intended against experienced value for a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub name: String,
    pub group: Group,
    pub intended: Option<Estimate>,
    pub experienced: Option<Estimate>,
    /// Experienced minus intended, in scale points: below zero the value falls short.
    pub gap: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoundReport {
    pub groups: Vec<GroupCount>,
    pub scores: Vec<Score>,
    pub reliability: Vec<Reliability>,
    pub gaps: Vec<Gap>,
}

impl RoundReport {
    pub fn group(&self, group: Group) -> Option<&GroupCount> {
        self.groups.iter().find(|g| g.group == group)
    }

    pub fn score(&self, dimension: &str, party: Option<Party>, group: Group) -> Option<&Score> {
        self.scores.iter().find(|s| s.dimension == dimension && s.party == party && s.group == group)
    }
}

/// A respondent's score on a dimension (or [`OVERALL`]) for a pass: the mean of its scored
/// statements; `None` when a statement is unanswered or off the scale.
fn respondent_score(instrument: &Instrument, dimension: &str, party: Option<Party>, r: &Respondent) -> Option<f64> {
    let items: Vec<_> = instrument
        .dimensions
        .iter()
        .filter(|d| dimension == OVERALL || d.key == dimension)
        .flat_map(|d| d.items.iter())
        .collect();
    if items.is_empty() {
        return None;
    }
    let mut sum = 0.0;
    for item in &items {
        let answer = *r.answers.get(&answer_key(party, &item.key))?;
        sum += score(answer, instrument.points, item.reverse)?;
    }
    Some(sum / items.len() as f64)
}

fn item_score(instrument: &Instrument, key: &str, r: &Respondent) -> Option<f64> {
    let (_, item) = instrument.item(key)?;
    score(*r.answers.get(&answer_key(None, key))?, instrument.points, item.reverse)
}

/// Which groups are shown for these respondents (see [`suppress`]).
pub fn group_counts(respondents: &[Respondent]) -> Vec<GroupCount> {
    let counts: Vec<usize> = Group::ALL.iter().map(|g| respondents.iter().filter(|r| g.holds(r)).count()).collect();
    let sizes_complete = respondents.iter().all(|r| r.group != Party::Members || r.large_member.is_some());
    let index = |g: Group| Group::ALL.iter().position(|x| *x == g).unwrap_or(0);
    let relations: Vec<(usize, Vec<usize>)> = Group::relations(sizes_complete)
        .into_iter()
        .map(|(whole, parts)| (index(whole), parts.into_iter().map(index).collect()))
        .collect();
    let mut hidden = suppress(&counts, &relations);
    if !sizes_complete {
        // Without the size relation a size group could still be subtracted from the members;
        // show neither.
        for g in [Group::LargeMembers, Group::SmallMembers] {
            let i = index(g);
            if counts[i] > 0 && hidden[i].is_none() {
                hidden[i] = Some(Hidden::Protecting);
            }
        }
    }
    Group::ALL.iter().zip(counts).zip(hidden).map(|((&group, n), hidden)| GroupCount { group, n, hidden }).collect()
}

/// The dimensions a report scores: each dimension, and the overall score when there are more.
fn scored_dimensions(instrument: &Instrument) -> Vec<String> {
    let mut keys: Vec<String> = instrument.dimensions.iter().map(|d| d.key.clone()).collect();
    if instrument.dimensions.len() > 1 && instrument.comparisons.is_empty() {
        keys.push(OVERALL.to_string());
    }
    keys
}

/// The report of one round. Respondents whose answers do not fit the instrument count only
/// where they are complete.
pub fn report(instrument: &Instrument, parties: &[Party], respondents: &[Respondent]) -> RoundReport {
    let groups = group_counts(respondents);
    let mut scores = Vec::new();
    for dimension in scored_dimensions(instrument) {
        for party in instrument.passes(parties) {
            for g in &groups {
                let estimate = if g.hidden.is_some() {
                    None
                } else {
                    let values: Vec<f64> = respondents
                        .iter()
                        .filter(|r| g.group.holds(r))
                        .filter_map(|r| respondent_score(instrument, &dimension, party, r))
                        .collect();
                    estimate(&values)
                };
                let verdict = instrument.thresholds.zip(estimate).map(|(t, e)| t.verdict(e.mean));
                scores.push(Score { dimension: dimension.clone(), party, group: g.group, estimate, verdict });
            }
        }
    }
    // Per dimension the lowest alpha over the parties rated: pooling the parties would count the
    // differences between them as consistency and flatter the instrument.
    let reliability = instrument
        .dimensions
        .iter()
        .map(|d| {
            let mut lowest: Option<f64> = None;
            let mut rows_min = usize::MAX;
            for party in instrument.passes(parties) {
                let rows: Vec<Vec<Option<f64>>> = respondents
                    .iter()
                    .map(|r| {
                        d.items
                            .iter()
                            .map(|i| {
                                r.answers
                                    .get(&answer_key(party, &i.key))
                                    .and_then(|&a| score(a, instrument.points, i.reverse))
                            })
                            .collect()
                    })
                    .collect();
                rows_min = rows_min.min(rows.iter().filter(|r| r.iter().all(Option::is_some)).count());
                // A coefficient over everyone: it tells nothing about one group, so it is given
                // whenever the round has enough respondents (cronbach_alpha asks for MIN_GROUP rows).
                if let Some(a) = cronbach_alpha(&rows) {
                    lowest = Some(lowest.map_or(a, |l: f64| l.min(a)));
                }
            }
            Reliability {
                dimension: d.key.clone(),
                alpha: lowest,
                rows: if rows_min == usize::MAX { 0 } else { rows_min },
            }
        })
        .collect();
    let mut gaps = Vec::new();
    for c in &instrument.comparisons {
        for g in &groups {
            let of = |key: &str| {
                if g.hidden.is_some() {
                    return None;
                }
                let values: Vec<f64> = respondents
                    .iter()
                    .filter(|r| g.group.holds(r))
                    .filter_map(|r| item_score(instrument, key, r))
                    .collect();
                estimate(&values)
            };
            let (intended, experienced) = (of(&c.intended), of(&c.experienced));
            let gap = intended.zip(experienced).map(|(i, e)| e.mean - i.mean);
            gaps.push(Gap { name: c.name.clone(), group: g.group, intended, experienced, gap });
        }
    }
    RoundReport { groups, scores, reliability, gaps }
}

/// A score followed from one round to the next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub dimension: String,
    pub party: Option<Party>,
    pub group: Group,
    pub before: Option<Estimate>,
    pub after: Option<Estimate>,
    /// `None` when a group is hidden in either round.
    pub change: Option<Change>,
}

/// Every score of two rounds of the same instrument side by side, with a decline flagged only
/// when it is larger than the noise: at least [`crate::survey::MIN_DECLINE`] points, and
/// Welch's one-sided test ([`crate::survey::change`]) significant at 5 % read as families (see
/// [`flag_declines`]). Groups hidden in either round get no comparison.
pub fn trends(instrument: &Instrument, parties: &[Party], before: &[Respondent], after: &[Respondent]) -> Vec<Trend> {
    let (gb, ga) = (group_counts(before), group_counts(after));
    let shown = |counts: &[GroupCount], g: Group| counts.iter().any(|c| c.group == g && c.hidden.is_none());
    let mut out = Vec::new();
    for dimension in scored_dimensions(instrument) {
        for party in instrument.passes(parties) {
            for g in Group::ALL {
                let values = |rs: &[Respondent]| -> Vec<f64> {
                    rs.iter()
                        .filter(|r| g.holds(r))
                        .filter_map(|r| respondent_score(instrument, &dimension, party, r))
                        .collect()
                };
                let both = shown(&gb, g) && shown(&ga, g);
                let (vb, va) = (values(before), values(after));
                let (eb, ea) = if both { (estimate(&vb), estimate(&va)) } else { (None, None) };
                let change = if both { change(&vb, &va) } else { None };
                out.push(Trend { dimension: dimension.clone(), party, group: g, before: eb, after: ea, change });
            }
        }
    }
    flag_declines(&mut out);
    out
}

/// Decides which falls are declines beyond the noise, reading the tests as families so that
/// dozens of comparisons do not raise false alarms by chance (gatekeeping): first the overall
/// score of every party and group, with the Benjamini–Hochberg correction at 5 %; then, only
/// for a party and group whose overall score fell, its dimensions, corrected among themselves,
/// to show where the fall sits. An instrument without an overall score is one family. A fall
/// smaller than [`crate::survey::MIN_DECLINE`] is never a decline.
fn flag_declines(trends: &mut [Trend]) {
    use crate::survey::{benjamini_hochberg, MIN_DECLINE};
    let has_overall = trends.iter().any(|t| t.dimension == OVERALL);
    let decide = |trends: &mut [Trend], family: &[usize]| -> Vec<usize> {
        let tested: Vec<usize> = family.iter().copied().filter(|&i| trends[i].change.is_some()).collect();
        let p: Vec<f64> = tested.iter().map(|&i| trends[i].change.map_or(1.0, |c| c.p)).collect();
        let mut declined = Vec::new();
        for (&i, holds) in tested.iter().zip(benjamini_hochberg(&p, 0.05)) {
            if let Some(c) = &mut trends[i].change {
                c.decline = holds && c.difference <= -MIN_DECLINE;
                if c.decline {
                    declined.push(i);
                }
            }
        }
        declined
    };
    for t in trends.iter_mut() {
        if let Some(c) = &mut t.change {
            c.decline = false;
        }
    }
    let gate: Vec<usize> = (0..trends.len()).filter(|&i| !has_overall || trends[i].dimension == OVERALL).collect();
    let declined = decide(trends, &gate);
    if has_overall {
        for i in declined {
            let (party, group) = (trends[i].party, trends[i].group);
            let family: Vec<usize> = (0..trends.len())
                .filter(|&j| trends[j].party == party && trends[j].group == group && trends[j].dimension != OVERALL)
                .collect();
            decide(trends, &family);
        }
    }
}

/// How generated respondents answer: per respondent group (and size class for members) and
/// party rated, the level they lean to on the scale.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedGroup {
    pub group: Party,
    pub large_member: Option<bool>,
    pub count: usize,
    /// The mean level per party rated (`None` for an instrument not answered per party).
    pub levels: Vec<(Option<Party>, f64)>,
}

/// Generates answers for demonstrations and tests, never for real rounds: each respondent has a
/// personal lean around the group's level (sd 0.8) and answers each statement around that
/// (sd 0.6), rounded to the scale, reverse-worded statements answered from the other end.
/// Deterministic for a seed.
pub fn generate(instrument: &Instrument, groups: &[GeneratedGroup], seed: u64) -> Vec<Respondent> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let person = Normal::new(0.0, 0.8).unwrap_or_else(|_| unreachable!("valid sd"));
    let item = Normal::new(0.0, 0.6).unwrap_or_else(|_| unreachable!("valid sd"));
    let max = f64::from(instrument.points);
    let mut out = Vec::new();
    for g in groups {
        for _ in 0..g.count {
            let lean = person.sample(&mut rng);
            let mut answers = BTreeMap::new();
            for (party, level) in &g.levels {
                for d in &instrument.dimensions {
                    for i in &d.items {
                        let value = (level + lean + item.sample(&mut rng)).round().clamp(1.0, max);
                        let value = if i.reverse { max + 1.0 - value } else { value };
                        answers.insert(answer_key(*party, &i.key), value as u8);
                    }
                }
            }
            out.push(Respondent { group: g.group, large_member: g.large_member, answers });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use samenspel_domain::instrument::{TRUST, VALUE};

    const ALL: usize = 0;
    const MEMBERS: usize = 1;
    const LARGE: usize = 2;
    const SMALL: usize = 3;
    const REGION: usize = 4;
    const PROVIDERS: usize = 5;

    fn relations() -> Vec<(usize, Vec<usize>)> {
        vec![(ALL, vec![MEMBERS, REGION, PROVIDERS]), (MEMBERS, vec![LARGE, SMALL])]
    }

    fn counts(members_large: usize, members_small: usize, region: usize, providers: usize) -> Vec<usize> {
        let members = members_large + members_small;
        vec![members + region + providers, members, members_large, members_small, region, providers]
    }

    /// Which cells follow from the shown ones by adding and subtracting along the relations.
    fn derivable(counts: &[usize], hidden: &[Option<Hidden>], relations: &[(usize, Vec<usize>)]) -> Vec<bool> {
        let mut known: Vec<bool> = hidden.iter().zip(counts).map(|(h, &n)| h.is_none() || n == 0).collect();
        loop {
            let mut changed = false;
            for (whole, parts) in relations {
                let cells: Vec<usize> = std::iter::once(*whole).chain(parts.iter().copied()).collect();
                let unknown: Vec<usize> = cells.iter().copied().filter(|&c| !known[c]).collect();
                if unknown.len() == 1 {
                    known[unknown[0]] = true;
                    changed = true;
                }
            }
            if !changed {
                return known;
            }
        }
    }

    #[test]
    fn a_small_regional_team_cannot_be_found_by_subtraction() {
        // Region 3: hidden; then the total goes with it (members and providers stay).
        let c = counts(10, 8, 3, 6);
        let hidden = suppress(&c, &relations());
        assert_eq!(hidden[REGION], Some(Hidden::TooSmall));
        assert_eq!(hidden[ALL], Some(Hidden::Protecting));
        assert!(hidden[PROVIDERS].is_none() && hidden[MEMBERS].is_none());
        assert!(!derivable(&c, &hidden, &relations())[REGION]);
    }

    #[test]
    fn a_small_size_group_takes_the_other_with_it_and_keeps_the_members() {
        // Small members 3: hidden; the members are part of the total, so the large members go
        // too rather than the members.
        let c = counts(10, 3, 6, 6);
        let hidden = suppress(&c, &relations());
        assert_eq!(hidden[SMALL], Some(Hidden::TooSmall));
        assert_eq!(hidden[LARGE], Some(Hidden::Protecting));
        assert!(hidden[MEMBERS].is_none() && hidden[ALL].is_none());
        assert!(!derivable(&c, &hidden, &relations())[SMALL]);
    }

    #[test]
    fn nothing_is_hidden_when_every_group_is_large_enough() {
        let hidden = suppress(&counts(6, 5, 5, 7), &relations());
        assert!(hidden.iter().all(Option::is_none));
        // Empty groups reveal nothing.
        let hidden = suppress(&counts(6, 5, 0, 7), &relations());
        assert!(hidden.iter().all(Option::is_none));
    }

    proptest! {
        #[test]
        fn no_small_group_is_shown_or_derivable(large in 0usize..12, small in 0usize..12, region in 0usize..12, providers in 0usize..12) {
            let c = counts(large, small, region, providers);
            let hidden = suppress(&c, &relations());
            let known = derivable(&c, &hidden, &relations());
            for (i, &n) in c.iter().enumerate() {
                if n > 0 && n < MIN_GROUP {
                    prop_assert!(hidden[i].is_some(), "cell {i} of {c:?} shown");
                    prop_assert!(!known[i], "cell {i} of {c:?} derivable: {hidden:?}");
                }
            }
            // Hidden parts of a shown whole are never a small group together.
            for (whole, parts) in relations() {
                if hidden[whole].is_none() {
                    let together: usize = parts.iter().filter(|&&p| hidden[p].is_some()).map(|&p| c[p]).sum();
                    prop_assert!(together == 0 || together >= MIN_GROUP, "{c:?} {hidden:?}");
                }
            }
        }
    }

    fn trust_respondent(group: Party, large: Option<bool>, trust_in_region: u8) -> Respondent {
        let instrument = Instrument::parse(TRUST).unwrap();
        let mut answers = BTreeMap::new();
        for party in Party::ALL {
            for d in &instrument.dimensions {
                for i in &d.items {
                    let value = if party == Party::Region { trust_in_region } else { 5 };
                    // Reverse items are answered from the other end: the same trust.
                    let value = if i.reverse { 8 - value } else { value };
                    answers.insert(answer_key(Some(party), &i.key), value);
                }
            }
        }
        Respondent { group, large_member: large, answers }
    }

    #[test]
    fn scores_per_group_and_party_with_reverse_items_and_hidden_groups() {
        let instrument = Instrument::parse(TRUST).unwrap();
        let mut respondents = Vec::new();
        for n in 0..6 {
            respondents.push(trust_respondent(Party::Members, Some(n % 2 == 0), 6));
        }
        for _ in 0..6 {
            respondents.push(trust_respondent(Party::Providers, None, 4));
        }
        respondents.push(trust_respondent(Party::Region, None, 2));
        let report = report(&instrument, &Party::ALL, &respondents);
        assert_eq!(report.group(Group::Region).unwrap().hidden, Some(Hidden::TooSmall));
        // The large and small members are 3 each: hidden, and the members still shown.
        assert!(report.group(Group::LargeMembers).unwrap().hidden.is_some());
        let members = report.score("toezeggingen", Some(Party::Region), Group::Members).unwrap();
        assert_eq!(members.estimate.map(|e| e.mean), Some(6.0));
        let providers = report.score(OVERALL, Some(Party::Region), Group::Providers).unwrap();
        assert_eq!(providers.estimate.map(|e| e.mean), Some(4.0));
        // The total is hidden so the region's one respondent cannot be subtracted out.
        assert!(report.score(OVERALL, Some(Party::Region), Group::All).unwrap().estimate.is_none());
        assert!(report.score(OVERALL, Some(Party::Region), Group::Region).unwrap().estimate.is_none());
        // Everyone in a group answered alike about a party, but the groups differ: per party the
        // dimensions hold (no variance among the ratings of the members and providers alike).
        assert!(report.reliability.iter().all(|r| r.alpha.is_some_and(|a| a > 0.9)), "{:?}", report.reliability);
    }

    #[test]
    fn a_real_decline_is_flagged_and_a_stable_score_is_not() {
        let instrument = Instrument::parse(TRUST).unwrap();
        let round = |region_trust: &[u8]| -> Vec<Respondent> {
            region_trust
                .iter()
                .enumerate()
                .map(|(n, &t)| {
                    trust_respondent(if n % 2 == 0 { Party::Members } else { Party::Providers }, Some(n % 4 == 0), t)
                })
                .map(|mut r| {
                    if r.group != Party::Members {
                        r.large_member = None;
                    }
                    r
                })
                .collect()
        };
        let before = round(&[6, 5, 6, 6, 5, 6, 5, 6, 6, 5, 6, 5, 6, 6, 5, 6, 5, 6, 6, 5]);
        let after = round(&[4, 3, 4, 4, 3, 4, 3, 4, 4, 3, 4, 3, 4, 4, 3, 4, 3, 4, 4, 3]);
        let trends = trends(&instrument, &Party::ALL, &before, &after);
        let find = |party: Party, group: Group| {
            trends.iter().find(|t| t.dimension == OVERALL && t.party == Some(party) && t.group == group).unwrap()
        };
        assert!(find(Party::Region, Group::All).change.unwrap().decline);
        assert!(!find(Party::Providers, Group::All).change.unwrap().decline);
    }

    #[test]
    fn generated_answers_fit_the_instrument_and_a_generated_decline_is_found() {
        let instrument = Instrument::parse(TRUST).unwrap();
        let spec = |small_in_region: f64| {
            vec![
                GeneratedGroup {
                    group: Party::Members,
                    large_member: Some(true),
                    count: 9,
                    levels: Party::ALL.iter().map(|p| (Some(*p), 5.2)).collect(),
                },
                GeneratedGroup {
                    group: Party::Members,
                    large_member: Some(false),
                    count: 9,
                    levels: Party::ALL
                        .iter()
                        .map(|p| (Some(*p), if *p == Party::Region { small_in_region } else { 5.0 }))
                        .collect(),
                },
                GeneratedGroup {
                    group: Party::Providers,
                    large_member: None,
                    count: 12,
                    levels: Party::ALL.iter().map(|p| (Some(*p), 4.6)).collect(),
                },
            ]
        };
        let before = generate(&instrument, &spec(5.3), 1);
        let after = generate(&instrument, &spec(3.5), 2);
        assert_eq!(before.len(), 30);
        for r in &before {
            let answers = samenspel_domain::instrument::Answers { scale: r.answers.clone(), open: Vec::new() };
            assert!(instrument.check_answers(&Party::ALL, &answers).is_empty());
        }
        assert_eq!(generate(&instrument, &spec(5.3), 1), before, "deterministic for a seed");
        let trends = trends(&instrument, &Party::ALL, &before, &after);
        let overall = |party: Party, group: Group| {
            trends.iter().find(|t| t.dimension == OVERALL && t.party == Some(party) && t.group == group).unwrap()
        };
        assert!(overall(Party::Region, Group::SmallMembers).change.unwrap().decline);
        for g in [Group::LargeMembers, Group::Providers] {
            for p in Party::ALL {
                assert!(!overall(p, g).change.unwrap().decline, "{g:?} about {p:?}");
            }
        }
        // The decline is there for small members only, not for how they see the others.
        assert!(!overall(Party::Providers, Group::SmallMembers).change.unwrap().decline);
        // Cronbach's alpha holds for generated answers with a person effect.
        let report = report(&instrument, &Party::ALL, &after);
        assert!(report.reliability.iter().all(|r| r.alpha.is_some_and(|a| a > 0.7)), "{:?}", report.reliability);
    }

    #[test]
    fn value_gaps_compare_importance_with_realisation() {
        let instrument = Instrument::parse(VALUE).unwrap();
        let respondents: Vec<Respondent> = (0..8)
            .map(|n| {
                let mut answers = BTreeMap::new();
                for d in &instrument.dimensions {
                    for i in &d.items {
                        let v = if d.key == "belang" { 5 } else { 2 + (n % 2) as u8 };
                        answers.insert(i.key.clone(), v);
                    }
                }
                Respondent { group: Party::Members, large_member: Some(n < 4), answers }
            })
            .collect();
        let report = report(&instrument, &[], &respondents);
        let gap = report.gaps.iter().find(|g| g.group == Group::Members).unwrap();
        assert_eq!(gap.gap, Some(2.5 - 5.0));
        // Large and small members are 4 each: hidden.
        assert!(report.gaps.iter().filter(|g| g.group == Group::SmallMembers).all(|g| g.gap.is_none()));
    }
}
