//! Exchange placements ("wisselstage"): staff of member municipalities spend time at a care
//! provider, and provider staff at a municipality.
//!
//! The model is hospitals/residents. Every place has a capacity; every participant ranks the
//! places it wants (strictly, best first; unlisted places are unacceptable to it) and every place
//! ranks the participants it accepts (the caller derives that ranking; unlisted participants are
//! unacceptable to it). Who may go where (municipality staff only to providers and vice versa) is
//! the caller's business, expressed through the rankings alone.
//!
//! [`propose_matching`] runs participant-proposing deferred acceptance (Gale–Shapley, in Roth's
//! form with capacities). The result is *stable*: no participant and place that accept each other
//! would both rather have each other than what they got. It is also *participant-optimal*: every
//! participant gets the best place it has in any stable matching. By the rural hospitals theorem
//! every stable matching places the same participants and fills every place equally far.
//!
//! Input hygiene, the same in every function: within a ranking the first mention of an id counts
//! and repeats are ignored; ids in a ranking that name no participant or place are ignored; a
//! capacity of 0 takes nobody. Two participants or two places with the same id are an error
//! ([`ExchangeError`]), because which of the two is meant cannot be guessed.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub type ParticipantId = i64;
pub type PlaceId = i64;

/// A participant and the places it wants, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantPrefs {
    pub id: ParticipantId,
    pub ranking: Vec<PlaceId>,
}

/// A place, how many participants it takes, and the participants it accepts, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacePrefs {
    pub id: PlaceId,
    pub capacity: u32,
    pub ranking: Vec<ParticipantId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matching {
    /// Each matched participant and its place.
    pub assignment: BTreeMap<ParticipantId, PlaceId>,
    /// The participants without a place, by id.
    pub unmatched: Vec<ParticipantId>,
}

/// A new matching after a place was withdrawn, and who changed place compared with before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rematch {
    pub matching: Matching,
    /// (participant, place before, place now), by participant id; only those that differ.
    pub moved: Vec<(ParticipantId, Option<PlaceId>, Option<PlaceId>)>,
}

/// A participant and a place that accept each other and would both rather have each other than
/// what the matching gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockingPair {
    pub participant: ParticipantId,
    pub place: PlaceId,
    /// The participant's place now (`None`: it has none, or its place does not exist).
    pub current: Option<PlaceId>,
    /// Whom the place would rather give up for `participant`: its least preferred participant
    /// that it ranks below `participant`. `None`: the place still has a free seat.
    pub displaces: Option<ParticipantId>,
}

impl BlockingPair {
    /// In Dutch, with ids.
    pub fn message(&self) -> String {
        let (p, h) = (self.participant, self.place);
        let now = match self.current {
            Some(c) => format!("plaats {c}"),
            None => "geen plaats".to_string(),
        };
        let place_side = match self.displaces {
            Some(q) => format!("plaats {h} heeft deelnemer {p} liever dan deelnemer {q}"),
            None => format!("plaats {h} heeft nog een vrije plek"),
        };
        format!(
            "Deelnemer {p} en plaats {h} hebben liever elkaar: deelnemer {p} heeft plaats {h} liever dan {now}, \
             en {place_side}."
        )
    }
}

/// Which side of an assigned pair does not accept the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Refusal {
    /// The participant did not rank the place.
    Participant,
    /// The place did not rank the participant.
    Place,
    Both,
}

/// What is wrong with an assignment, with the ids so the caller can name names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum MatchingProblem {
    /// More participants assigned to a place than it has seats.
    OverCapacity { place: PlaceId, assigned: usize, capacity: u32 },
    /// The assignment names a participant that is not in the list of participants.
    UnknownParticipant { participant: ParticipantId, place: PlaceId },
    /// The assignment names a place that is not in the list of places.
    UnknownPlace { participant: ParticipantId, place: PlaceId },
    /// The participant and the place do not both accept each other.
    NotAcceptable { participant: ParticipantId, place: PlaceId, refused_by: Refusal },
    /// The matching is not stable there.
    Blocking(BlockingPair),
}

impl MatchingProblem {
    /// In Dutch, with ids.
    pub fn message(&self) -> String {
        match self {
            MatchingProblem::OverCapacity { place, assigned, capacity } => {
                let seats = if *capacity == 1 { "1 plek".to_string() } else { format!("{capacity} plekken") };
                let people = if *assigned == 1 { "1 deelnemer".to_string() } else { format!("{assigned} deelnemers") };
                format!("Plaats {place} heeft {seats}, maar er zijn {people} ingedeeld.")
            }
            MatchingProblem::UnknownParticipant { participant, place } => {
                format!("Deelnemer {participant} is ingedeeld bij plaats {place}, maar is geen deelnemer.")
            }
            MatchingProblem::UnknownPlace { participant, place } => {
                format!(
                    "Deelnemer {participant} is ingedeeld bij plaats {place}, maar die plaats wordt niet aangeboden."
                )
            }
            MatchingProblem::NotAcceptable { participant: p, place: h, refused_by } => {
                let why = match refused_by {
                    Refusal::Participant => format!("deelnemer {p} heeft plaats {h} niet gekozen"),
                    Refusal::Place => format!("plaats {h} accepteert deelnemer {p} niet"),
                    Refusal::Both => format!("deelnemer {p} en plaats {h} hebben elkaar geen van beide gekozen"),
                };
                format!("Deelnemer {p} is ingedeeld bij plaats {h}, maar {why}.")
            }
            MatchingProblem::Blocking(pair) => pair.message(),
        }
    }
}

/// The preferences cannot be used as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ExchangeError {
    /// Two participants with this id.
    DuplicateParticipant(ParticipantId),
    /// Two places with this id.
    DuplicatePlace(PlaceId),
}

impl ExchangeError {
    /// In Dutch, with the id.
    pub fn message(&self) -> String {
        match self {
            ExchangeError::DuplicateParticipant(id) => format!("Deelnemer {id} komt meer dan eens voor."),
            ExchangeError::DuplicatePlace(id) => format!("Plaats {id} komt meer dan eens voor."),
        }
    }
}

impl std::fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ExchangeError {}

/// A cleaned ranking: known ids only, each once, best first.
struct Ranking {
    order: Vec<i64>,
    rank: BTreeMap<i64, usize>,
}

impl Ranking {
    fn new(ids: &[i64], known: &BTreeSet<i64>) -> Self {
        let mut order = Vec::new();
        let mut rank = BTreeMap::new();
        for &id in ids {
            if known.contains(&id) && !rank.contains_key(&id) {
                rank.insert(id, order.len());
                order.push(id);
            }
        }
        Ranking { order, rank }
    }

    /// Position in the ranking (0 is best); `None`: unacceptable.
    fn rank(&self, id: i64) -> Option<usize> {
        self.rank.get(&id).copied()
    }
}

struct Place {
    capacity: usize,
    ranking: Ranking,
}

/// The preferences after the input hygiene described in the module documentation.
struct Instance {
    participants: BTreeMap<ParticipantId, Ranking>,
    places: BTreeMap<PlaceId, Place>,
}

impl Instance {
    fn new(participants: &[ParticipantPrefs], places: &[PlacePrefs]) -> Result<Self, ExchangeError> {
        let mut participant_ids = BTreeSet::new();
        for p in participants {
            if !participant_ids.insert(p.id) {
                return Err(ExchangeError::DuplicateParticipant(p.id));
            }
        }
        let mut place_ids = BTreeSet::new();
        for h in places {
            if !place_ids.insert(h.id) {
                return Err(ExchangeError::DuplicatePlace(h.id));
            }
        }
        Ok(Instance {
            participants: participants.iter().map(|p| (p.id, Ranking::new(&p.ranking, &place_ids))).collect(),
            places: places
                .iter()
                .map(|h| {
                    // A capacity beyond usize cannot be filled anyway.
                    let capacity = usize::try_from(h.capacity).unwrap_or(usize::MAX);
                    (h.id, Place { capacity, ranking: Ranking::new(&h.ranking, &participant_ids) })
                })
                .collect(),
        })
    }

    /// Participant-proposing deferred acceptance.
    fn deferred_acceptance(&self) -> Matching {
        // Per participant, the position in its ranking of the next place to propose to.
        let mut next: BTreeMap<ParticipantId, usize> = BTreeMap::new();
        // Per place, who it holds for now, keyed by its rank of them so the worst is last.
        let mut held: BTreeMap<PlaceId, BTreeSet<(usize, ParticipantId)>> = BTreeMap::new();
        // The outcome does not depend on the order of proposals; popping from the back just
        // makes the smallest id go first.
        let mut free: Vec<ParticipantId> = self.participants.keys().rev().copied().collect();
        while let Some(p) = free.pop() {
            let Some(ranking) = self.participants.get(&p) else { continue };
            let cursor = next.entry(p).or_insert(0);
            while let Some(&h) = ranking.order.get(*cursor) {
                *cursor += 1;
                let Some(place) = self.places.get(&h) else { continue };
                let Some(r) = place.ranking.rank(p) else { continue };
                let seats = held.entry(h).or_default();
                seats.insert((r, p));
                // Over capacity: the place lets go of the one it likes least, perhaps p itself.
                let rejected = if seats.len() > place.capacity { seats.pop_last().map(|(_, q)| q) } else { None };
                match rejected {
                    Some(q) if q == p => continue,
                    Some(q) => free.push(q),
                    None => {}
                }
                break;
            }
        }
        let assignment: BTreeMap<ParticipantId, PlaceId> =
            held.iter().flat_map(|(&h, seats)| seats.iter().map(move |&(_, p)| (p, h))).collect();
        let unmatched = self.participants.keys().filter(|p| !assignment.contains_key(p)).copied().collect();
        Matching { assignment, unmatched }
    }

    /// Entries naming an unknown participant are left out; a participant at an unknown place
    /// counts as unmatched.
    fn blocking_pairs(&self, assignment: &BTreeMap<ParticipantId, PlaceId>) -> Vec<BlockingPair> {
        let mut holders: BTreeMap<PlaceId, Vec<ParticipantId>> = BTreeMap::new();
        for (&p, &h) in assignment {
            if self.participants.contains_key(&p) && self.places.contains_key(&h) {
                holders.entry(h).or_default().push(p);
            }
        }
        let mut pairs = Vec::new();
        for (&p, ranking) in &self.participants {
            let current = assignment.get(&p).copied().filter(|h| self.places.contains_key(h));
            // An unranked current place is as bad as none.
            let current_rank = current.and_then(|h| ranking.rank(h)).unwrap_or(usize::MAX);
            // Exactly the places p ranks above its current one.
            for &h in ranking.order.iter().take(current_rank) {
                let Some(place) = self.places.get(&h) else { continue };
                let Some(r) = place.ranking.rank(p) else { continue };
                let at_h = holders.get(&h).map(Vec::as_slice).unwrap_or_default();
                let displaces = if at_h.len() < place.capacity {
                    Some(None)
                } else {
                    at_h.iter()
                        .filter_map(|&q| {
                            let rq = place.ranking.rank(q).unwrap_or(usize::MAX);
                            (rq > r).then_some((rq, q))
                        })
                        .max()
                        .map(|(_, q)| Some(q))
                };
                if let Some(displaces) = displaces {
                    pairs.push(BlockingPair { participant: p, place: h, current, displaces });
                }
            }
        }
        pairs
    }
}

/// The participant-optimal stable matching: every participant at most one place, no place over
/// capacity, only pairs that accept each other, no blocking pair, and every participant at the
/// best place it has in any stable matching. The same input gives the same output, whatever the
/// order of `participants` and `places`.
pub fn propose_matching(participants: &[ParticipantPrefs], places: &[PlacePrefs]) -> Result<Matching, ExchangeError> {
    Ok(Instance::new(participants, places)?.deferred_acceptance())
}

/// Every blocking pair of `assignment` (for instance one a coordinator adjusted by hand), by
/// participant id and then by that participant's preference. A pair blocks when participant and
/// place accept each other, the participant ranks the place above its current one (or has none,
/// or one it did not rank), and the place has a free seat or ranks the participant above one of
/// its assigned participants (one it did not rank counts as worst). Entries naming an unknown
/// participant are left out, and a participant at an unknown place counts as unmatched; [`check`]
/// reports those entries.
pub fn blocking_pairs(
    participants: &[ParticipantPrefs],
    places: &[PlacePrefs],
    assignment: &BTreeMap<ParticipantId, PlaceId>,
) -> Result<Vec<BlockingPair>, ExchangeError> {
    Ok(Instance::new(participants, places)?.blocking_pairs(assignment))
}

/// Everything wrong with `assignment`: per entry (by participant id) an unknown participant or
/// place and a pair that does not accept each other; then places over capacity (by place id,
/// counting known participants); then the blocking pairs as [`blocking_pairs`] gives them. Empty
/// when the assignment is a stable matching.
pub fn check(
    participants: &[ParticipantPrefs],
    places: &[PlacePrefs],
    assignment: &BTreeMap<ParticipantId, PlaceId>,
) -> Result<Vec<MatchingProblem>, ExchangeError> {
    let instance = Instance::new(participants, places)?;
    let mut problems = Vec::new();
    let mut assigned: BTreeMap<PlaceId, usize> = BTreeMap::new();
    for (&participant, &place) in assignment {
        let ranking = instance.participants.get(&participant);
        let known_place = instance.places.get(&place);
        if ranking.is_none() {
            problems.push(MatchingProblem::UnknownParticipant { participant, place });
        }
        if known_place.is_none() {
            problems.push(MatchingProblem::UnknownPlace { participant, place });
        }
        let (Some(ranking), Some(known_place)) = (ranking, known_place) else { continue };
        *assigned.entry(place).or_default() += 1;
        let refused_by = match (ranking.rank(place).is_some(), known_place.ranking.rank(participant).is_some()) {
            (true, true) => None,
            (false, true) => Some(Refusal::Participant),
            (true, false) => Some(Refusal::Place),
            (false, false) => Some(Refusal::Both),
        };
        if let Some(refused_by) = refused_by {
            problems.push(MatchingProblem::NotAcceptable { participant, place, refused_by });
        }
    }
    for (&place, &count) in &assigned {
        if let Some(known) = instance.places.get(&place) {
            if count > known.capacity {
                let capacity = u32::try_from(known.capacity).unwrap_or(u32::MAX);
                problems.push(MatchingProblem::OverCapacity { place, assigned: count, capacity });
            }
        }
    }
    problems.extend(instance.blocking_pairs(assignment).into_iter().map(MatchingProblem::Blocking));
    Ok(problems)
}

/// A new matching once place `withdrawn` drops out, and who moved compared with `current`.
///
/// The new matching is exactly [`propose_matching`] without that place, so it is stable and
/// participant-optimal among the remaining places. If `current` was the participant-optimal
/// matching with the place, no participant is better off now: each keeps its place or gets one
/// it ranks lower, or none (taking a place away never helps the proposing side; Gale and
/// Sotomayor, 1985). Participants who were not at the withdrawn place can move too: someone
/// displaced may take a seat from a participant the place likes less, and so on down a chain.
/// The result does not look for the matching with the fewest moves. When `current` was adjusted
/// by hand nothing is promised relative to it; `moved` just lists the differences (a participant
/// in `current` that is not among `participants` shows as moving to no place).
pub fn without_place(
    participants: &[ParticipantPrefs],
    places: &[PlacePrefs],
    current: &BTreeMap<ParticipantId, PlaceId>,
    withdrawn: PlaceId,
) -> Result<Rematch, ExchangeError> {
    // Validate the full lists first, so a duplicated withdrawn id is still an error.
    let mut instance = Instance::new(participants, places)?;
    instance.places.remove(&withdrawn);
    let matching = instance.deferred_acceptance();
    let everyone: BTreeSet<ParticipantId> = current.keys().chain(matching.assignment.keys()).copied().collect();
    let moved = everyone
        .into_iter()
        .filter_map(|p| {
            let (before, now) = (current.get(&p).copied(), matching.assignment.get(&p).copied());
            (before != now).then_some((p, before, now))
        })
        .collect();
    Ok(Rematch { matching, moved })
}

/// A host's ranking when it states none: every participant it may receive, those from
/// organisations it works with (under a running contract) first, then in order of registration.
/// `candidates` are `(participant, works with the host)` with ids in registration order.
pub fn default_host_ranking(candidates: &[(ParticipantId, bool)]) -> Vec<ParticipantId> {
    let mut ranked = candidates.to_vec();
    ranked.sort_by_key(|(id, works_with)| (!works_with, *id));
    ranked.into_iter().map(|(id, _)| id).collect()
}

const FIRST_NAMES: [&str; 16] = [
    "Anna", "Bram", "Chantal", "Daan", "Esra", "Fleur", "Gijs", "Hanna", "Ilias", "Joke", "Kees", "Lotte", "Mohamed",
    "Noor", "Pieter", "Sanne",
];
const SURNAMES: [&str; 16] = [
    "de Vries",
    "Jansen",
    "Bakker",
    "El Amrani",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Yilmaz",
    "Dekker",
];
const MEMBER_JOBS: [&str; 4] = ["Beleidsadviseur jeugd", "Contractmanager", "Consulent Wmo", "Medewerker wijkteam"];
const PROVIDER_JOBS: [&str; 4] =
    ["Gedragswetenschapper", "Teamleider ambulant", "Jeugdhulpverlener", "Administrateur zorg"];

/// A made-up participant for a demonstration: name, job, organisation and wishes (best first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedParticipant {
    pub name: String,
    pub job_title: String,
    pub organisation: samenspel_domain::exchange::Organisation,
    pub wishes: Vec<PlaceId>,
}

/// `count` made-up participants, alternately from members and providers (as far as both exist),
/// each wishing one to three places on the other side. Some places are more popular than others,
/// as in a real round, so capacity binds. The same seed gives the same participants.
pub fn generate_participants(
    seed: u64,
    count: usize,
    members: &[String],
    providers: &[i64],
    places: &[(PlaceId, samenspel_domain::exchange::Organisation)],
) -> Vec<GeneratedParticipant> {
    use rand::{Rng, SeedableRng};
    use samenspel_domain::exchange::Organisation;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let from_member = match (members.is_empty(), providers.is_empty()) {
            (true, true) => break,
            (false, true) => true,
            (true, false) => false,
            (false, false) => i % 2 == 0,
        };
        let organisation = if from_member {
            Organisation::Member(members[rng.gen_range(0..members.len())].clone())
        } else {
            Organisation::Provider(providers[rng.gen_range(0..providers.len())])
        };
        let mut open: Vec<PlaceId> =
            places.iter().filter(|(_, host)| organisation.may_visit(host)).map(|(id, _)| *id).collect();
        let mut wishes = Vec::new();
        let wanted = rng.gen_range(1..=3).min(open.len());
        while wishes.len() < wanted {
            // Earlier places are wished more often: pick the smaller of two draws.
            let pick = rng.gen_range(0..open.len()).min(rng.gen_range(0..open.len()));
            wishes.push(open.remove(pick));
        }
        let jobs = if from_member { &MEMBER_JOBS } else { &PROVIDER_JOBS };
        out.push(GeneratedParticipant {
            name: format!(
                "{} {} (gegenereerd)",
                FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())],
                SURNAMES[rng.gen_range(0..SURNAMES.len())]
            ),
            job_title: jobs[rng.gen_range(0..jobs.len())].to_string(),
            organisation,
            wishes,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn participant(id: ParticipantId, ranking: &[PlaceId]) -> ParticipantPrefs {
        ParticipantPrefs { id, ranking: ranking.to_vec() }
    }

    fn place(id: PlaceId, capacity: u32, ranking: &[ParticipantId]) -> PlacePrefs {
        PlacePrefs { id, capacity, ranking: ranking.to_vec() }
    }

    fn pairs(list: &[(ParticipantId, PlaceId)]) -> BTreeMap<ParticipantId, PlaceId> {
        list.iter().copied().collect()
    }

    /// First position of `id` in a raw ranking: the test's own reading of the preferences.
    fn pos(ranking: &[i64], id: i64) -> Option<usize> {
        ranking.iter().position(|&x| x == id)
    }

    /// Blocking pairs by brute force over every participant and place, straight from the
    /// definition and the raw lists, independent of the module.
    fn brute_blocking(
        participants: &[ParticipantPrefs],
        places: &[PlacePrefs],
        assignment: &BTreeMap<ParticipantId, PlaceId>,
    ) -> BTreeSet<(ParticipantId, PlaceId)> {
        let mut out = BTreeSet::new();
        for p in participants {
            let current = assignment.get(&p.id).copied().filter(|c| places.iter().any(|h| h.id == *c));
            let current_pos = current.and_then(|c| pos(&p.ranking, c));
            for h in places {
                if current == Some(h.id) {
                    continue;
                }
                let (Some(p_pos), Some(h_pos)) = (pos(&p.ranking, h.id), pos(&h.ranking, p.id)) else { continue };
                let participant_wants = current_pos.is_none_or(|c| p_pos < c);
                let holders: Vec<ParticipantId> =
                    participants.iter().filter(|q| assignment.get(&q.id) == Some(&h.id)).map(|q| q.id).collect();
                let place_wants = holders.len() < h.capacity as usize
                    || holders.iter().any(|&q| pos(&h.ranking, q).is_none_or(|q_pos| h_pos < q_pos));
                if participant_wants && place_wants {
                    out.insert((p.id, h.id));
                }
            }
        }
        out
    }

    /// Known participants, places within capacity, every pair accepting each other.
    fn assert_feasible(participants: &[ParticipantPrefs], places: &[PlacePrefs], m: &Matching) {
        for (&p, &h) in &m.assignment {
            let pp = participants.iter().find(|x| x.id == p).expect("known participant");
            let hh = places.iter().find(|x| x.id == h).expect("known place");
            assert!(pos(&pp.ranking, h).is_some() && pos(&hh.ranking, p).is_some(), "{p}-{h} not mutual");
        }
        for h in places {
            let n = m.assignment.values().filter(|&&x| x == h.id).count();
            assert!(n <= h.capacity as usize, "place {} over capacity", h.id);
        }
        let mut all: Vec<ParticipantId> = m.assignment.keys().chain(&m.unmatched).copied().collect();
        all.sort_unstable();
        let mut ids: Vec<ParticipantId> = participants.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        assert_eq!(all, ids, "every participant matched or unmatched, once");
    }

    /// Host-proposing deferred acceptance, written independently for the tests: the
    /// place-optimal stable matching.
    fn host_proposing(participants: &[ParticipantPrefs], places: &[PlacePrefs]) -> BTreeMap<ParticipantId, PlaceId> {
        let mut next = vec![0usize; places.len()];
        // participant -> (its rank of the place it holds, place index)
        let mut holds: BTreeMap<ParticipantId, (usize, usize)> = BTreeMap::new();
        loop {
            let mut progressed = false;
            for (j, h) in places.iter().enumerate() {
                if holds.values().filter(|(_, k)| *k == j).count() >= h.capacity as usize {
                    continue;
                }
                while next[j] < h.ranking.len() {
                    let q = h.ranking[next[j]];
                    next[j] += 1;
                    let Some(p) = participants.iter().find(|p| p.id == q) else { continue };
                    let Some(r) = pos(&p.ranking, h.id) else { continue };
                    if holds.get(&q).is_none_or(|&(held, _)| r < held) {
                        holds.insert(q, (r, j));
                    }
                    progressed = true;
                    break;
                }
            }
            if !progressed {
                break;
            }
        }
        holds.into_iter().map(|(p, (_, j))| (p, places[j].id)).collect()
    }

    /// A participant's rank of its place in an assignment; no place ranks last.
    fn rank_of(participants: &[ParticipantPrefs], assignment: &BTreeMap<ParticipantId, PlaceId>, p: i64) -> usize {
        let ranking = &participants.iter().find(|x| x.id == p).expect("known").ranking;
        assignment.get(&p).and_then(|&h| pos(ranking, h)).unwrap_or(usize::MAX)
    }

    /// Gale and Shapley's cyclic example: everyone's first choice is someone who ranks them last.
    fn cyclic() -> (Vec<ParticipantPrefs>, Vec<PlacePrefs>) {
        (
            vec![participant(1, &[10, 20, 30]), participant(2, &[20, 30, 10]), participant(3, &[30, 10, 20])],
            vec![place(10, 1, &[2, 3, 1]), place(20, 1, &[3, 1, 2]), place(30, 1, &[1, 2, 3])],
        )
    }

    #[test]
    fn cyclic_participants_get_first_choices_hosts_would_get_theirs() {
        let (participants, places) = cyclic();
        let m = propose_matching(&participants, &places).unwrap();
        assert_eq!(m.assignment, pairs(&[(1, 10), (2, 20), (3, 30)]));
        assert!(m.unmatched.is_empty());
        assert_eq!(host_proposing(&participants, &places), pairs(&[(1, 30), (2, 10), (3, 20)]));
        // Both are stable; the module picks the participants' side.
        assert!(check(&participants, &places, &pairs(&[(1, 30), (2, 10), (3, 20)])).unwrap().is_empty());
    }

    #[test]
    fn capacities_participant_and_host_optimal_differ() {
        // Place 1 has two seats. Proposals: a->2, b->1, c->1: everyone at its first choice.
        // Hosts proposing: 1 offers a and c, 2 offers b, and nobody turns an offer down.
        let participants = vec![participant(1, &[2, 1]), participant(2, &[1, 2]), participant(3, &[1])];
        let places = vec![place(1, 2, &[1, 3, 2]), place(2, 1, &[2, 1])];
        let m = propose_matching(&participants, &places).unwrap();
        assert_eq!(m.assignment, pairs(&[(1, 2), (2, 1), (3, 1)]));
        let host = host_proposing(&participants, &places);
        assert_eq!(host, pairs(&[(1, 1), (2, 2), (3, 1)]));
        assert!(check(&participants, &places, &host).unwrap().is_empty());
    }

    #[test]
    fn capacities_with_rejection_chain_and_unmatched() {
        // Worked by hand: r1->A, r2->B, r3->A (A full), r4->A (A drops r3), r3->B (B drops r2),
        // r2->A (A drops r1), r1->B (B drops r3), r3 has nothing left.
        let participants = vec![
            participant(1, &[100, 200]),
            participant(2, &[200, 100]),
            participant(3, &[100, 200]),
            participant(4, &[100]),
        ];
        let places = vec![place(100, 2, &[2, 4, 1, 3]), place(200, 1, &[1, 3, 2])];
        let m = propose_matching(&participants, &places).unwrap();
        assert_eq!(m.assignment, pairs(&[(1, 200), (2, 100), (4, 100)]));
        assert_eq!(m.unmatched, vec![3]);
        assert!(check(&participants, &places, &m.assignment).unwrap().is_empty());
    }

    #[test]
    fn more_participants_than_seats_leaves_some_unmatched() {
        let participants = vec![participant(1, &[7]), participant(2, &[7]), participant(3, &[7])];
        let places = vec![place(7, 2, &[3, 1, 2])];
        let m = propose_matching(&participants, &places).unwrap();
        assert_eq!(m.assignment, pairs(&[(1, 7), (3, 7)]));
        assert_eq!(m.unmatched, vec![2]);
    }

    #[test]
    fn messy_rankings_and_zero_capacity() {
        // Repeats, unknown ids, a place nobody may enter, a participant nobody accepts.
        let participants = vec![participant(1, &[9, 5, 5, 6]), participant(2, &[6, 6]), participant(3, &[5])];
        let places = vec![place(5, 0, &[1, 3]), place(6, 1, &[42, 2, 1, 2])];
        let m = propose_matching(&participants, &places).unwrap();
        assert_eq!(m.assignment, pairs(&[(2, 6)]));
        assert_eq!(m.unmatched, vec![1, 3]);
        assert!(check(&participants, &places, &m.assignment).unwrap().is_empty());
    }

    #[test]
    fn duplicate_ids_are_errors() {
        let participants = vec![participant(1, &[5]), participant(1, &[5])];
        let places = vec![place(5, 1, &[1])];
        let err = ExchangeError::DuplicateParticipant(1);
        assert_eq!(propose_matching(&participants, &places), Err(err.clone()));
        assert_eq!(blocking_pairs(&participants, &places, &BTreeMap::new()), Err(err.clone()));
        assert_eq!(check(&participants, &places, &BTreeMap::new()), Err(err.clone()));
        assert_eq!(without_place(&participants, &places, &BTreeMap::new(), 5), Err(err));
        let places = vec![place(5, 1, &[1]), place(5, 2, &[1])];
        let err = ExchangeError::DuplicatePlace(5);
        assert_eq!(without_place(&[participant(1, &[5])], &places, &BTreeMap::new(), 5), Err(err.clone()));
        assert_eq!(err.to_string(), "Plaats 5 komt meer dan eens voor.");
    }

    #[test]
    fn check_reports_each_problem_with_ids() {
        let participants =
            vec![participant(1, &[10]), participant(2, &[10]), participant(3, &[20]), participant(4, &[])];
        let places = vec![place(10, 1, &[1, 2, 3]), place(20, 1, &[1])];
        let assignment = pairs(&[(1, 20), (2, 10), (3, 20), (4, 99), (8, 10)]);
        let problems = check(&participants, &places, &assignment).unwrap();
        let blocking = BlockingPair { participant: 1, place: 10, current: Some(20), displaces: Some(2) };
        assert_eq!(
            problems,
            vec![
                MatchingProblem::NotAcceptable { participant: 1, place: 20, refused_by: Refusal::Participant },
                MatchingProblem::NotAcceptable { participant: 3, place: 20, refused_by: Refusal::Place },
                MatchingProblem::UnknownPlace { participant: 4, place: 99 },
                MatchingProblem::UnknownParticipant { participant: 8, place: 10 },
                MatchingProblem::OverCapacity { place: 20, assigned: 2, capacity: 1 },
                MatchingProblem::Blocking(blocking.clone()),
            ]
        );
        let messages: Vec<String> = problems.iter().map(MatchingProblem::message).collect();
        assert_eq!(
            messages,
            vec![
                "Deelnemer 1 is ingedeeld bij plaats 20, maar deelnemer 1 heeft plaats 20 niet gekozen.",
                "Deelnemer 3 is ingedeeld bij plaats 20, maar plaats 20 accepteert deelnemer 3 niet.",
                "Deelnemer 4 is ingedeeld bij plaats 99, maar die plaats wordt niet aangeboden.",
                "Deelnemer 8 is ingedeeld bij plaats 10, maar is geen deelnemer.",
                "Plaats 20 heeft 1 plek, maar er zijn 2 deelnemers ingedeeld.",
                "Deelnemer 1 en plaats 10 hebben liever elkaar: deelnemer 1 heeft plaats 10 liever dan plaats 20, \
                 en plaats 10 heeft deelnemer 1 liever dan deelnemer 2.",
            ]
        );
        assert_eq!(blocking_pairs(&participants, &places, &assignment).unwrap(), vec![blocking]);
        let both = MatchingProblem::NotAcceptable { participant: 4, place: 20, refused_by: Refusal::Both };
        assert_eq!(both.message(), "Deelnemer 4 is ingedeeld bij plaats 20, maar deelnemer 4 en plaats 20 hebben elkaar geen van beide gekozen.");
        let free = BlockingPair { participant: 4, place: 20, current: None, displaces: None };
        assert_eq!(
            free.message(),
            "Deelnemer 4 en plaats 20 hebben liever elkaar: deelnemer 4 heeft plaats 20 liever dan geen plaats, \
             en plaats 20 heeft nog een vrije plek."
        );
    }

    #[test]
    fn withdrawn_place_moves_a_chain() {
        // Place 1 goes; participant 1 falls back to place 2, which prefers it to participant 2,
        // who falls back to place 3.
        let participants = vec![participant(1, &[1, 2]), participant(2, &[2, 3]), participant(3, &[3])];
        let places = vec![place(1, 1, &[1]), place(2, 1, &[1, 2]), place(3, 2, &[2, 3])];
        let before = propose_matching(&participants, &places).unwrap();
        assert_eq!(before.assignment, pairs(&[(1, 1), (2, 2), (3, 3)]));
        let after = without_place(&participants, &places, &before.assignment, 1).unwrap();
        assert_eq!(after.matching.assignment, pairs(&[(1, 2), (2, 3), (3, 3)]));
        assert_eq!(after.moved, vec![(1, Some(1), Some(2)), (2, Some(2), Some(3))]);
    }

    /// Random instances with distinct ids 0..n and 0..m; rankings may repeat ids and name ids
    /// that do not exist.
    fn instance(
        max_participants: usize,
        max_places: usize,
    ) -> impl Strategy<Value = (Vec<ParticipantPrefs>, Vec<PlacePrefs>)> {
        let (n_ids, m_ids) = (max_participants as i64 + 2, max_places as i64 + 2);
        (0..=max_participants, 0..=max_places).prop_flat_map(move |(n, m)| {
            let rankings = prop::collection::vec(prop::collection::vec(0..m_ids, 0..=(m + 2)), n);
            let hosts = prop::collection::vec((0u32..=4, prop::collection::vec(0..n_ids, 0..=(n + 2))), m);
            (rankings, hosts).prop_map(|(rankings, hosts)| {
                let participants = rankings
                    .into_iter()
                    .enumerate()
                    .map(|(i, ranking)| ParticipantPrefs { id: i as i64, ranking })
                    .collect();
                let places = hosts
                    .into_iter()
                    .enumerate()
                    .map(|(j, (capacity, ranking))| PlacePrefs { id: j as i64, capacity, ranking })
                    .collect();
                (participants, places)
            })
        })
    }

    /// Every assignment within capacity of mutually acceptable pairs, by enumeration.
    fn all_feasible(participants: &[ParticipantPrefs], places: &[PlacePrefs]) -> Vec<BTreeMap<ParticipantId, PlaceId>> {
        let mut out = vec![BTreeMap::new()];
        for p in participants {
            let options: Vec<PlaceId> = places
                .iter()
                .filter(|h| pos(&p.ranking, h.id).is_some() && pos(&h.ranking, p.id).is_some())
                .map(|h| h.id)
                .collect();
            let mut grown = Vec::new();
            for a in &out {
                grown.push(a.clone());
                for &h in &options {
                    let cap = places.iter().find(|x| x.id == h).map_or(0, |x| x.capacity as usize);
                    if a.values().filter(|&&x| x == h).count() < cap {
                        let mut b = a.clone();
                        b.insert(p.id, h);
                        grown.push(b);
                    }
                }
            }
            out = grown;
        }
        out
    }

    proptest! {
        #[test]
        fn result_is_feasible_stable_and_deterministic((participants, places) in instance(12, 6)) {
            let m = propose_matching(&participants, &places).unwrap();
            assert_feasible(&participants, &places, &m);
            prop_assert!(brute_blocking(&participants, &places, &m.assignment).is_empty());
            prop_assert!(check(&participants, &places, &m.assignment).unwrap().is_empty());
            prop_assert!(blocking_pairs(&participants, &places, &m.assignment).unwrap().is_empty());
            let total: u64 = places.iter().map(|h| u64::from(h.capacity)).sum();
            prop_assert!(m.assignment.len() as u64 <= total);
            prop_assert_eq!(&propose_matching(&participants, &places).unwrap(), &m);
            // Order of the input lists does not matter.
            let (mut rp, mut rh) = (participants.clone(), places.clone());
            rp.reverse();
            rh.reverse();
            prop_assert_eq!(&propose_matching(&rp, &rh).unwrap(), &m);
        }

        #[test]
        fn rural_hospitals_and_participant_optimality_against_host_proposing(
            (participants, places) in instance(12, 6)
        ) {
            let m = propose_matching(&participants, &places).unwrap();
            let host = host_proposing(&participants, &places);
            prop_assert!(brute_blocking(&participants, &places, &host).is_empty());
            let matched: BTreeSet<_> = m.assignment.keys().collect();
            let host_matched: BTreeSet<_> = host.keys().collect();
            prop_assert_eq!(matched, host_matched);
            for h in &places {
                let count = |a: &BTreeMap<ParticipantId, PlaceId>| a.values().filter(|&&x| x == h.id).count();
                prop_assert_eq!(count(&m.assignment), count(&host));
            }
            for p in &participants {
                prop_assert!(rank_of(&participants, &m.assignment, p.id) <= rank_of(&participants, &host, p.id));
            }
        }

        #[test]
        fn participant_optimal_among_all_stable_matchings((participants, places) in instance(5, 3)) {
            let m = propose_matching(&participants, &places).unwrap();
            let stable: Vec<_> = all_feasible(&participants, &places)
                .into_iter()
                .filter(|a| brute_blocking(&participants, &places, a).is_empty())
                .collect();
            prop_assert!(stable.contains(&m.assignment));
            for s in &stable {
                prop_assert_eq!(s.keys().collect::<Vec<_>>(), m.assignment.keys().collect::<Vec<_>>());
                for p in &participants {
                    prop_assert!(rank_of(&participants, &m.assignment, p.id) <= rank_of(&participants, s, p.id));
                }
            }
        }

        #[test]
        fn check_finds_planted_problems((participants, places) in instance(12, 6)) {
            let m = propose_matching(&participants, &places).unwrap();
            // Over capacity: one more participant than the first place has seats.
            if let Some(h) = places.first() {
                let want = h.capacity as usize + 1;
                if participants.len() >= want {
                    let crowded: BTreeMap<_, _> = participants.iter().take(want).map(|p| (p.id, h.id)).collect();
                    let over = MatchingProblem::OverCapacity { place: h.id, assigned: want, capacity: h.capacity };
                    prop_assert!(check(&participants, &places, &crowded).unwrap().contains(&over));
                }
            }
            // Blocking: take a matched participant out; it and its place now block.
            if let Some((&p, &h)) = m.assignment.iter().next() {
                let mut planted = m.assignment.clone();
                planted.remove(&p);
                let found = check(&participants, &places, &planted).unwrap();
                prop_assert!(found.iter().any(|x| matches!(
                    x,
                    MatchingProblem::Blocking(b) if b.participant == p && b.place == h && b.current.is_none()
                )));
                prop_assert!(brute_blocking(&participants, &places, &planted).contains(&(p, h)));
            }
        }

        #[test]
        fn blocking_pairs_agree_with_brute_force_on_any_assignment(
            (participants, places) in instance(12, 6),
            picks in prop::collection::vec(prop::option::of(0i64..9), 12),
        ) {
            let assignment: BTreeMap<_, _> =
                participants.iter().zip(&picks).filter_map(|(p, h)| h.map(|h| (p.id, h))).collect();
            let found = blocking_pairs(&participants, &places, &assignment).unwrap();
            let ours: BTreeSet<_> = found.iter().map(|b| (b.participant, b.place)).collect();
            prop_assert_eq!(ours.len(), found.len());
            prop_assert_eq!(ours, brute_blocking(&participants, &places, &assignment));
            let in_check: Vec<BlockingPair> = check(&participants, &places, &assignment)
                .unwrap()
                .into_iter()
                .filter_map(|x| match x { MatchingProblem::Blocking(b) => Some(b), _ => None })
                .collect();
            prop_assert_eq!(in_check, found);
        }

        #[test]
        fn withdrawing_a_place_never_helps_a_participant(
            (participants, places) in instance(12, 6),
            withdrawn in 0i64..8,
        ) {
            let before = propose_matching(&participants, &places).unwrap();
            let after = without_place(&participants, &places, &before.assignment, withdrawn).unwrap();
            let rest: Vec<PlacePrefs> = places.iter().filter(|h| h.id != withdrawn).cloned().collect();
            prop_assert_eq!(&after.matching, &propose_matching(&participants, &rest).unwrap());
            prop_assert!(!after.matching.assignment.values().any(|&h| h == withdrawn));
            for p in &participants {
                prop_assert!(
                    rank_of(&participants, &before.assignment, p.id)
                        <= rank_of(&participants, &after.matching.assignment, p.id)
                );
            }
            let expected: Vec<_> = participants
                .iter()
                .map(|p| (p.id, before.assignment.get(&p.id).copied(), after.matching.assignment.get(&p.id).copied()))
                .filter(|(_, a, b)| a != b)
                .collect();
            prop_assert_eq!(after.moved, expected);
        }

        #[test]
        fn any_ids_never_panic(
            participant_ids in prop::collection::vec(-2i64..5, 0..8),
            place_specs in prop::collection::vec(
                (-2i64..4, prop_oneof![0u32..=4, Just(u32::MAX)], prop::collection::vec(-2i64..5, 0..8)),
                0..6,
            ),
            rankings in prop::collection::vec(prop::collection::vec(-2i64..4, 0..8), 8),
            picks in prop::collection::vec((-2i64..6, -2i64..5), 0..8),
        ) {
            let participants: Vec<_> = participant_ids
                .iter()
                .zip(&rankings)
                .map(|(&id, ranking)| ParticipantPrefs { id, ranking: ranking.clone() })
                .collect();
            let places: Vec<_> = place_specs
                .iter()
                .map(|(id, capacity, ranking)| PlacePrefs { id: *id, capacity: *capacity, ranking: ranking.clone() })
                .collect();
            let assignment: BTreeMap<_, _> = picks.into_iter().collect();
            let dup_participant = participant_ids.iter().collect::<BTreeSet<_>>().len() < participant_ids.len();
            let dup_place = place_specs.iter().map(|s| s.0).collect::<BTreeSet<_>>().len() < place_specs.len();
            let result = propose_matching(&participants, &places);
            prop_assert_eq!(result.is_err(), dup_participant || dup_place);
            prop_assert_eq!(check(&participants, &places, &assignment).is_err(), dup_participant || dup_place);
            prop_assert_eq!(blocking_pairs(&participants, &places, &assignment).is_err(), dup_participant || dup_place);
            prop_assert_eq!(without_place(&participants, &places, &assignment, 0).is_err(), dup_participant || dup_place);
            if let Ok(m) = result {
                assert_feasible(&participants, &places, &m);
                prop_assert!(check(&participants, &places, &m.assignment).unwrap().is_empty());
                for problem in check(&participants, &places, &assignment).unwrap() {
                    prop_assert!(!problem.message().is_empty());
                }
            }
        }
    }

    #[test]
    fn hosts_prefer_partners_then_registration_order() {
        assert_eq!(default_host_ranking(&[(1, false), (2, true), (3, false), (4, true)]), vec![2, 4, 1, 3]);
    }

    #[test]
    fn generated_participants_wish_only_the_other_side_and_repeat_with_the_seed() {
        use samenspel_domain::exchange::Organisation;
        let members = vec!["GM0518".to_string(), "GM1783".to_string()];
        let places = vec![
            (10, Organisation::Provider(1)),
            (11, Organisation::Provider(2)),
            (12, Organisation::Member("GM0518".into())),
        ];
        let a = generate_participants(7, 20, &members, &[1, 2], &places);
        assert_eq!(a, generate_participants(7, 20, &members, &[1, 2], &places));
        assert_eq!(a.len(), 20);
        for p in &a {
            assert!(!p.wishes.is_empty(), "everyone has a place on the other side here");
            let mut seen = std::collections::BTreeSet::new();
            for w in &p.wishes {
                let host = &places.iter().find(|(id, _)| id == w).unwrap().1;
                assert!(p.organisation.may_visit(host) && seen.insert(*w));
            }
        }
        assert!(generate_participants(7, 5, &[], &[], &places).is_empty());
    }
}
