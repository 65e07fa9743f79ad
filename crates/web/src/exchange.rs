//! What the exchange placement pages and API share (wisselstage, issue 8): the preferences of a
//! round as the matching reads them, the proposal, checking a coordinator's adjustment, the
//! rematch after a withdrawn place, and problems named with people and places rather than ids.

use crate::error::AppResult;
use crate::provider_side::served_members;
use crate::AppState;
use samenspel_calc::exchange::{
    check, default_host_ranking, propose_matching, MatchingProblem, ParticipantPrefs, PlacePrefs, Refusal,
};
use samenspel_domain::access::RegionAccess;
use samenspel_domain::exchange::Organisation;
use samenspel_domain::Invalid;
use samenspel_store::exchange::{ParticipantRow, PlaceRow, RoundState};
use samenspel_store::regions::RegionRow;
use samenspel_store::StoreError;
use std::collections::{BTreeMap, BTreeSet};

/// Member × provider pairs that work together under a running contract today.
pub type Partners = BTreeSet<(String, i64)>;

pub async fn partners(state: &AppState, region: &RegionRow) -> AppResult<Partners> {
    let today = samenspel_store::today();
    let served = served_members(state, region, today, None).await?;
    Ok(served.values().flat_map(|s| s.members.iter().map(|m| (m.clone(), s.provider_id))).collect())
}

fn work_together(partners: &Partners, a: &Organisation, b: &Organisation) -> bool {
    match (a, b) {
        (Organisation::Member(m), Organisation::Provider(p)) | (Organisation::Provider(p), Organisation::Member(m)) => {
            partners.contains(&(m.clone(), *p))
        }
        _ => false,
    }
}

/// The preferences of a round: each participant's wishes among the places it may visit that are
/// not withdrawn; each open place ranks every participant that may come, partners first, then
/// in order of registration.
pub fn preferences(round: &RoundState, partners: &Partners) -> (Vec<ParticipantPrefs>, Vec<PlacePrefs>) {
    let open: Vec<&PlaceRow> = round.places.iter().filter(|p| !p.is_withdrawn()).collect();
    let participants = round
        .participants
        .iter()
        .map(|p| {
            let org = p.organisation();
            let ranking = p
                .wishes()
                .into_iter()
                .filter(|w| open.iter().any(|pl| pl.id == *w && org.may_visit(&pl.host())))
                .collect();
            ParticipantPrefs { id: p.id, ranking }
        })
        .collect();
    let places = open
        .iter()
        .map(|pl| {
            let host = pl.host();
            let candidates: Vec<(i64, bool)> = round
                .participants
                .iter()
                .filter(|p| p.organisation().may_visit(&host))
                .map(|p| (p.id, work_together(partners, &p.organisation(), &host)))
                .collect();
            PlacePrefs { id: pl.id, capacity: pl.capacity.max(0) as u32, ranking: default_host_ranking(&candidates) }
        })
        .collect();
    (participants, places)
}

fn exchange_error(e: samenspel_calc::exchange::ExchangeError) -> StoreError {
    StoreError::invalid("indeling", "invoer", e.message())
}

/// Samenspel's proposal: the participant-optimal stable matching.
pub fn propose(round: &RoundState, partners: &Partners) -> Result<BTreeMap<i64, i64>, StoreError> {
    let (participants, places) = preferences(round, partners);
    Ok(propose_matching(&participants, &places).map_err(exchange_error)?.assignment)
}

/// The matching after a place was withdrawn: the round as stored already shows the place
/// withdrawn, so this is the stable proposal on the places that remain (see
/// `samenspel_calc::exchange::without_place` for what that promises participants).
pub fn rematch(round: &RoundState, partners: &Partners) -> Result<BTreeMap<i64, i64>, StoreError> {
    propose(round, partners)
}

fn participant_name(round: &RoundState, id: i64) -> String {
    round.participants.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_else(|| format!("deelnemer {id}"))
}

pub fn place_name(round: &RoundState, id: i64) -> String {
    round
        .places
        .iter()
        .find(|p| p.id == id)
        .map(|p| format!("{} bij {}", p.theme, p.host_name))
        .unwrap_or_else(|| format!("plek {id}"))
}

/// A problem in words, with names; the form field it belongs to (`plek{participant}`), if any.
pub fn describe(round: &RoundState, problem: &MatchingProblem) -> (String, String) {
    let who = |id: i64| participant_name(round, id);
    let place = |id: i64| place_name(round, id);
    match problem {
        MatchingProblem::OverCapacity { place: h, assigned, capacity } => (
            String::new(),
            format!(
                "{} heeft {capacity} {}, maar er zijn {assigned} deelnemers ingedeeld.",
                place(*h),
                if *capacity == 1 { "plek" } else { "plekken" }
            ),
        ),
        MatchingProblem::UnknownParticipant { participant, .. } => {
            (String::new(), format!("Deelnemer {participant} hoort niet bij deze ronde."))
        }
        MatchingProblem::UnknownPlace { participant, place: h } => (
            format!("plek{participant}"),
            format!("{} is ingedeeld bij een plek die niet (meer) wordt aangeboden (plek {h}).", who(*participant)),
        ),
        MatchingProblem::NotAcceptable { participant, place: h, refused_by } => {
            let why = match refused_by {
                Refusal::Participant => "die plek staat niet bij de wensen".to_string(),
                Refusal::Place | Refusal::Both => {
                    "die plek is voor de andere kant (gemeenten gaan naar aanbieders en omgekeerd)".to_string()
                }
            };
            (format!("plek{participant}"), format!("{} kan niet naar {}: {why}.", who(*participant), place(*h)))
        }
        MatchingProblem::Blocking(pair) => {
            let now = pair.current.map(place).unwrap_or_else(|| "geen plek".into());
            let seat = match pair.displaces {
                Some(q) => format!("de plek ontvangt liever {} dan {}", who(pair.participant), who(q)),
                None => "de plek heeft nog ruimte".to_string(),
            };
            (
                format!("plek{}", pair.participant),
                format!(
                    "Niet stabiel: {} wil liever naar {} dan naar {now}, en {seat}.",
                    who(pair.participant),
                    place(pair.place)
                ),
            )
        }
    }
}

/// Checks a coordinator's assignment. Over capacity, unknown places and pairs that do not accept
/// each other are refused; blocking pairs are returned as warnings (the coordinator may have
/// reasons the preferences do not show).
pub fn check_adjustment(
    round: &RoundState,
    partners: &Partners,
    assignment: &BTreeMap<i64, i64>,
) -> Result<Vec<String>, StoreError> {
    let (participants, places) = preferences(round, partners);
    let problems = check(&participants, &places, assignment).map_err(exchange_error)?;
    let mut invalid = Invalid::new();
    let mut warnings = Vec::new();
    for problem in &problems {
        let (field, text) = describe(round, problem);
        match problem {
            MatchingProblem::Blocking(_) => warnings.push(text),
            _ => invalid.push(&field, "indeling", text),
        }
    }
    if invalid.is_empty() {
        Ok(warnings)
    } else {
        Err(StoreError::Invalid(invalid))
    }
}

/// Before confirming: no hard problems, and blocking pairs only when the coordinator accepts them.
pub fn check_confirmation(round: &RoundState, partners: &Partners, accept_unstable: bool) -> Result<(), StoreError> {
    let warnings = check_adjustment(round, partners, &round.assignment())?;
    if warnings.is_empty() || accept_unstable {
        return Ok(());
    }
    Err(StoreError::invalid(
        "ondanks",
        "instabiel",
        format!("De indeling is niet stabiel ({}). Bevestig ondanks dat, of pas de indeling aan.", warnings.join(" ")),
    ))
}

/// The moves after a withdrawal or change, in words.
pub fn describe_moves(round: &RoundState, moved: &[(i64, Option<i64>, Option<i64>)]) -> Vec<String> {
    moved
        .iter()
        .map(|(p, before, after)| {
            let name = participant_name(round, *p);
            match (before, after) {
                (_, Some(to)) => format!("{name} gaat nu naar {}.", place_name(round, *to)),
                (Some(_), None) => format!("{name} heeft geen plek meer: de gewenste plekken zijn vol of ingetrokken."),
                (None, None) => format!("{name} heeft geen plek."),
            }
        })
        .collect()
}

/// Who may see a participant's name and place: the coordinator, the participant's own
/// organisation, and the host of the place it got.
pub fn may_see_participant(access: &RegionAccess, participant: &ParticipantRow, places: &[PlaceRow]) -> bool {
    if access.can_coordinate_exchange() || access.acts_for(&participant.organisation()) {
        return true;
    }
    participant.place_id.and_then(|id| places.iter().find(|p| p.id == id)).is_some_and(|p| access.acts_for(&p.host()))
}

/// The organisations a user may act for in a round: every member and provider for the
/// coordinator, its own otherwise. `(code, name)` for a select.
pub async fn own_organisations(
    state: &AppState,
    region: &RegionRow,
    access: &RegionAccess,
) -> AppResult<Vec<(String, String)>> {
    let today = samenspel_store::today();
    let mut out = Vec::new();
    for m in state.store.memberships(region.id).await?.into_iter().filter(|m| m.is_active_on(today)) {
        let org = Organisation::Member(m.municipality_code.clone());
        if access.acts_for(&org) {
            out.push((org.code(), format!("Gemeente {}", m.municipality_name)));
        }
    }
    for p in state.store.providers(region.id, false, samenspel_store::PageRequest::all()).await?.items {
        let org = Organisation::Provider(p.id);
        if access.acts_for(&org) {
            out.push((org.code(), p.name));
        }
    }
    Ok(out)
}

/// Registers `count` made-up participants in a round that takes registrations: members and
/// providers of the region, wishing places on the other side. For demonstrations and tests;
/// each is marked generated and named so.
pub async fn generate_participants(
    state: &AppState,
    region: &RegionRow,
    round_id: i64,
    count: usize,
    seed: u64,
    actor: &samenspel_store::Actor,
) -> AppResult<Vec<i64>> {
    Ok(generate_into(&state.store, region.id, round_id, count, seed, actor).await?)
}

/// [`generate_participants`] on a bare store, for the demo seed.
pub async fn generate_into(
    store: &samenspel_store::Store,
    region_id: i64,
    round_id: i64,
    count: usize,
    seed: u64,
    actor: &samenspel_store::Actor,
) -> Result<Vec<i64>, StoreError> {
    let today = samenspel_store::today();
    let members: Vec<String> = store
        .memberships(region_id)
        .await?
        .into_iter()
        .filter(|m| m.is_active_on(today))
        .map(|m| m.municipality_code)
        .collect();
    let providers: Vec<i64> = store
        .providers(region_id, false, samenspel_store::PageRequest::all())
        .await?
        .items
        .iter()
        .map(|p| p.id)
        .collect();
    let places: Vec<(i64, Organisation)> =
        store.exchange_places(round_id).await?.iter().filter(|p| !p.is_withdrawn()).map(|p| (p.id, p.host())).collect();
    let made: Vec<samenspel_domain::exchange::NewParticipant> =
        samenspel_calc::exchange::generate_participants(seed, count, &members, &providers, &places)
            .into_iter()
            .filter(|g| !g.wishes.is_empty())
            .map(|g| samenspel_domain::exchange::NewParticipant {
                name: g.name,
                job_title: g.job_title,
                organisation: g.organisation,
                wishes: g.wishes,
                generated: true,
            })
            .collect();
    store.register_exchange_participants(region_id, round_id, &made, actor).await
}
