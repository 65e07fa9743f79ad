//! Exchange placements (wisselstage, issue 8): `wisselstages` a coordinator runs, the `plekken`
//! municipalities and providers offer, the `deelnemers` they register with their wishes, the
//! `indeling` Samenspel proposes and the coordinator may adjust and confirms, and the `lessen`
//! participants record afterwards. The shared logic is `crate::exchange`; this is its JSON face.

use super::json::ApiJson;
use super::pagination::{single_page, PageQuery, PageResponse};
use super::timestamp;
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::exchange::{
    check_adjustment, check_confirmation, describe_moves, may_see_participant, partners, propose, rematch,
};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_domain::access::RegionAccess;
use samenspel_domain::exchange::{
    parse_lesson, parse_participant, parse_place, LessonInput, ParticipantInput, PlaceInput,
};
use samenspel_domain::validation::{optional_text, required_text};
use samenspel_domain::Invalid;
use samenspel_store::exchange::{LessonRow, MatchingChange, ParticipantRow, PlaceRow, RoundRow, RoundState};
use samenspel_store::regions::RegionRow;
use samenspel_store::StoreError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn require(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// The round as stored now, with its places and participants; 404 for a round of another region.
async fn round_state(state: &AppState, region: &RegionRow, id: i64) -> AppResult<RoundState> {
    let round = state.store.exchange_round(region.id, id).await?;
    let places = state.store.exchange_places(round.id).await?;
    let participants = state.store.exchange_participants(round.id).await?;
    Ok(RoundState { round, places, participants })
}

// ------------------------------------------------------------------ views

/// A round in the list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Wisselstage {
    pub id: i64,
    pub titel: String,
    pub omschrijving: Option<String>,
    /// `aanmelden`, `voorstel` (an assignment awaits confirmation) or `bevestigd`.
    pub status: String,
    /// Places offered and not withdrawn.
    pub aantal_plekken: usize,
    /// Seats on those places together.
    pub aantal_stageplaatsen: i64,
    pub aantal_deelnemers: usize,
    #[schema(format = DateTime)]
    pub aangemaakt_op: String,
    #[schema(format = DateTime)]
    pub bevestigd_op: Option<String>,
}

fn round_view(round: &RoundRow, places: &[PlaceRow], participants: usize) -> Wisselstage {
    let open: Vec<&PlaceRow> = places.iter().filter(|p| !p.is_withdrawn()).collect();
    Wisselstage {
        id: round.id,
        titel: round.title.clone(),
        omschrijving: round.description.clone(),
        status: round.status.clone(),
        aantal_plekken: open.len(),
        aantal_stageplaatsen: open.iter().map(|p| i64::from(p.capacity.max(0))).sum(),
        aantal_deelnemers: participants,
        aangemaakt_op: timestamp(round.created_at),
        bevestigd_op: round.confirmed_at.map(timestamp),
    }
}

/// A place a municipality or provider offers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Plek {
    pub id: i64,
    /// `gemeente:GM0518` or `aanbieder:12`.
    pub gastheer: String,
    pub gastheer_naam: String,
    pub thema: String,
    pub omschrijving: Option<String>,
    #[schema(format = Date)]
    pub van: String,
    #[schema(format = Date)]
    pub tot: String,
    /// `op-locatie` or `online`.
    pub vorm: String,
    pub capaciteit: i32,
    /// How many participants the current assignment places here.
    pub ingedeeld: usize,
    /// Set when the host withdrew the place; it stays listed, without participants.
    #[schema(format = DateTime)]
    pub ingetrokken_op: Option<String>,
    pub reden: Option<String>,
}

fn place_view(p: &PlaceRow, participants: &[ParticipantRow]) -> Plek {
    Plek {
        id: p.id,
        gastheer: p.host().code(),
        gastheer_naam: p.host_name.clone(),
        thema: p.theme.clone(),
        omschrijving: p.description.clone(),
        van: p.starts_on.to_string(),
        tot: p.ends_on.to_string(),
        vorm: p.mode.clone(),
        capaciteit: p.capacity,
        ingedeeld: participants.iter().filter(|q| q.place_id == Some(p.id)).count(),
        ingetrokken_op: p.withdrawn_at.map(timestamp),
        reden: p.withdrawn_reason.clone(),
    }
}

/// A participant, shown to the coordinator, its own organisation and the host of its place.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Deelnemer {
    pub id: i64,
    pub naam: String,
    pub functie: String,
    /// `gemeente:GM0518` or `aanbieder:12`.
    pub organisatie: String,
    pub organisatie_naam: String,
    /// Place ids, best first.
    pub wensen: Vec<i64>,
    /// Made up for a demonstration or test.
    pub gegenereerd: bool,
    /// The place in the current assignment (once there is one; `null`: none).
    pub plek_id: Option<i64>,
}

fn participant_view(p: &ParticipantRow, round: &RoundRow) -> Deelnemer {
    Deelnemer {
        id: p.id,
        naam: p.name.clone(),
        functie: p.job_title.clone(),
        organisatie: p.organisation().code(),
        organisatie_naam: p.organisation_name.clone(),
        wensen: p.wishes(),
        gegenereerd: p.generated,
        plek_id: p.place_id.filter(|_| matches!(round.status.as_str(), "voorstel" | "bevestigd")),
    }
}

/// What a participant learned. Never with the participant's name: once published it is read by
/// everyone in the region.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Les {
    pub id: i64,
    /// Only for those who may see the participant (see `deelnemers`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deelnemer_id: Option<i64>,
    /// The participant's organisation.
    pub organisatie: String,
    pub organisatie_naam: String,
    pub plek_id: Option<i64>,
    /// The theme of the place.
    pub plek: Option<String>,
    pub gastheer_naam: Option<String>,
    pub geleerd: String,
    pub verrast: Option<String>,
    pub meenemen: String,
    /// A tip for the region.
    pub tip: Option<String>,
    /// 1 (no) to 5 (certainly): would the participant recommend it to a colleague.
    pub aanrader: i32,
    #[schema(format = DateTime)]
    pub vastgelegd_op: String,
    /// Unpublished lessons are seen by the coordinator and the participant's organisation only.
    #[schema(format = DateTime)]
    pub gepubliceerd_op: Option<String>,
}

fn lesson_view(l: &LessonRow, round: &RoundState, access: &RegionAccess) -> Option<Les> {
    let participant = round.participants.iter().find(|p| p.id == l.participant_id)?;
    let place = participant.place_id.and_then(|id| round.places.iter().find(|p| p.id == id));
    Some(Les {
        id: l.id,
        deelnemer_id: may_see_participant(access, participant, &round.places).then_some(participant.id),
        organisatie: participant.organisation().code(),
        organisatie_naam: participant.organisation_name.clone(),
        plek_id: place.map(|p| p.id),
        plek: place.map(|p| p.theme.clone()),
        gastheer_naam: place.map(|p| p.host_name.clone()),
        geleerd: l.learned.clone(),
        verrast: l.surprised.clone(),
        meenemen: l.takeaway.clone(),
        tip: l.tip_for_region.clone(),
        aanrader: l.recommend,
        vastgelegd_op: timestamp(l.recorded_at),
        gepubliceerd_op: l.published_at.map(timestamp),
    })
}

/// A round with everything this user may see of it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WisselstageDetail {
    #[serde(flatten)]
    pub wisselstage: Wisselstage,
    /// Every place, withdrawn ones too.
    pub plekken: Vec<Plek>,
    /// The participants this user may see: all for the coordinator, otherwise those of its own
    /// organisation and those placed with it.
    pub deelnemers: Vec<Deelnemer>,
    /// All participants, seen or not.
    pub deelnemers_totaal: usize,
    /// Coordinator only, once there is an assignment: where it is not stable (or no longer valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waarschuwingen: Option<Vec<String>>,
    /// Published lessons; unpublished ones for the coordinator and the participant's organisation.
    pub lessen: Vec<Les>,
}

/// One participant's place in an assignment.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toewijzing {
    pub deelnemer_id: i64,
    /// `null` or left out: no place.
    pub plek_id: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NietGeplaatst {
    pub deelnemer_id: i64,
    pub naam: String,
}

/// The assignment of a round, for the coordinator.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Indeling {
    /// `voorstel`: awaits confirmation.
    pub status: String,
    /// Every placed participant.
    pub indeling: Vec<Toewijzing>,
    /// Participants without a place. Usual when more people register than there are seats at
    /// the places they wish.
    pub niet_geplaatst: Vec<NietGeplaatst>,
    pub toelichting: Option<String>,
    /// Where the assignment is not stable: a participant and a place that would rather have
    /// each other. Empty for Samenspel's proposal.
    pub waarschuwingen: Vec<String>,
}

/// Every participant of a round: id and name.
type People = Vec<(i64, String)>;

fn assignment_view(
    status: &str,
    participants: &[(i64, String)],
    assignment: &BTreeMap<i64, i64>,
    warnings: Vec<String>,
) -> Indeling {
    let niet_geplaatst: Vec<NietGeplaatst> = participants
        .iter()
        .filter(|(id, _)| !assignment.contains_key(id))
        .map(|(id, name)| NietGeplaatst { deelnemer_id: *id, naam: name.clone() })
        .collect();
    let toelichting = match niet_geplaatst.len() {
        0 => None,
        n => Some(format!(
            "{n} {} geen plek: de plekken die {} wensten zijn vol of ingetrokken. Dat hoort erbij als er meer \
             aanmeldingen dan plekken zijn; zij kunnen in een volgende ronde.",
            if n == 1 { "deelnemer krijgt" } else { "deelnemers krijgen" },
            if n == 1 { "hij of zij" } else { "zij" },
        )),
    };
    Indeling {
        status: status.to_string(),
        indeling: assignment.iter().map(|(p, h)| Toewijzing { deelnemer_id: *p, plek_id: Some(*h) }).collect(),
        niet_geplaatst,
        toelichting,
        waarschuwingen: warnings,
    }
}

// ------------------------------------------------------------------ rounds

#[utoipa::path(get, path = "/regios/{code}/wisselstages", tag = "wisselstages", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Wisselstage>)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(page): Query<PageQuery>,
) -> AppResult<PageResponse<Wisselstage>> {
    let request = page.request()?;
    let (region, _access) = region_for(&state, &user, &code).await?;
    let mut items = Vec::new();
    for round in state.store.exchange_rounds(region.id).await? {
        let places = state.store.exchange_places(round.id).await?;
        let participants = state.store.exchange_participants(round.id).await?.len();
        items.push(round_view(&round, &places, participants));
    }
    Ok(single_page(items, request, &uri))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct WisselstageInvoer {
    /// 3 to 200 characters.
    pub titel: Option<String>,
    pub omschrijving: Option<String>,
}

#[utoipa::path(post, path = "/regios/{code}/wisselstages", tag = "wisselstages", params(("code" = String, Path)),
    request_body = WisselstageInvoer,
    responses((status = 201, body = Wisselstage), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<WisselstageInvoer>,
) -> AppResult<(StatusCode, Json<Wisselstage>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_coordinate_exchange())?;
    let (title, description) = body.check(|b| {
        let mut invalid = Invalid::new();
        let title = invalid.check("titel", required_text(b.titel.as_deref().unwrap_or(""), 3, 200));
        let description = invalid.check("omschrijving", optional_text(b.omschrijving.as_deref().unwrap_or(""), 2000));
        match (title, description) {
            (Some(t), Some(d)) => Ok((t, d)),
            _ => Err(invalid),
        }
    })?;
    let row = state.store.create_exchange_round(region.id, &title, description.as_deref(), &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(round_view(&row, &[], 0))))
}

/// The round, its places, the participants this user may see, and the lessons.
#[utoipa::path(get, path = "/regios/{code}/wisselstages/{id}", tag = "wisselstages", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = WisselstageDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<WisselstageDetail>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let round = round_state(&state, &region, id).await?;
    let matched = matches!(round.round.status.as_str(), "voorstel" | "bevestigd");
    let waarschuwingen = if access.can_coordinate_exchange() {
        if matched {
            let partners = partners(&state, &region).await?;
            Some(match check_adjustment(&round, &partners, &round.assignment()) {
                Ok(warnings) => warnings,
                Err(StoreError::Invalid(invalid)) => invalid.errors.into_iter().map(|e| e.reason).collect(),
                Err(other) => return Err(other.into()),
            })
        } else {
            Some(Vec::new())
        }
    } else {
        None
    };
    let lessons = state.store.exchange_lessons(round.round.id).await?;
    let lessen = lessons
        .iter()
        .filter(|l| {
            l.published_at.is_some()
                || access.can_coordinate_exchange()
                || round
                    .participants
                    .iter()
                    .find(|p| p.id == l.participant_id)
                    .is_some_and(|p| access.acts_for(&p.organisation()))
        })
        .filter_map(|l| lesson_view(l, &round, &access))
        .collect();
    Ok(Json(WisselstageDetail {
        wisselstage: round_view(&round.round, &round.places, round.participants.len()),
        plekken: round.places.iter().map(|p| place_view(p, &round.participants)).collect(),
        deelnemers: round
            .participants
            .iter()
            .filter(|p| may_see_participant(&access, p, &round.places))
            .map(|p| participant_view(p, &round.round))
            .collect(),
        deelnemers_totaal: round.participants.len(),
        waarschuwingen,
        lessen,
    }))
}

// ------------------------------------------------------------------ places

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct PlekInvoer {
    /// `gemeente:GM0518` or `aanbieder:12`: the organisation that receives participants.
    pub gastheer: Option<String>,
    pub thema: Option<String>,
    pub omschrijving: Option<String>,
    /// `2027-03-01` or `01-03-2027`.
    #[schema(format = Date)]
    pub van: Option<String>,
    #[schema(format = Date)]
    pub tot: Option<String>,
    /// `op-locatie` or `online`.
    pub vorm: Option<String>,
    /// 1 to 50 participants.
    pub capaciteit: Option<i64>,
}

#[utoipa::path(post, path = "/regios/{code}/wisselstages/{id}/plekken", tag = "wisselstages", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = PlekInvoer,
    responses((status = 201, body = Plek), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn offer_place(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<PlekInvoer>,
) -> AppResult<(StatusCode, Json<Plek>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let place = body.check(|b| {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        parse_place(&PlaceInput {
            host: text(&b.gastheer),
            theme: text(&b.thema),
            description: text(&b.omschrijving),
            starts_on: text(&b.van),
            ends_on: text(&b.tot),
            mode: text(&b.vorm),
            capacity: b.capaciteit.map(|c| c.to_string()).unwrap_or_default(),
        })
    })?;
    require(access.acts_for(&place.host))?;
    let row = state.store.add_exchange_place(region.id, id, &place, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(place_view(&row, &[]))))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct IntrekkenInvoer {
    /// Why the place is withdrawn, 3 to 500 characters; shown with the place.
    pub reden: Option<String>,
}

/// What withdrawing a place did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Intrekking {
    pub plek: Plek,
    /// The round's status now: a confirmed assignment awaits confirmation again.
    pub status: String,
    /// Who moved, in words: all for the coordinator; for a host, those it may see (the
    /// participants who were at the withdrawn place among them).
    pub verplaatst: Vec<String>,
    /// How many participants moved in all.
    pub aantal_verplaatst: usize,
}

#[utoipa::path(post, path = "/regios/{code}/wisselstages/{id}/plekken/{plek_id}/intrekken", tag = "wisselstages",
    params(("code" = String, Path), ("id" = i64, Path), ("plek_id" = i64, Path)),
    request_body = IntrekkenInvoer,
    responses((status = 200, body = Intrekking), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn withdraw_place(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id, place_id)): Path<(String, i64, i64)>,
    body: ApiJson<IntrekkenInvoer>,
) -> AppResult<Json<Intrekking>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let before = round_state(&state, &region, id).await?;
    let place = before.places.iter().find(|p| p.id == place_id).ok_or_else(AppError::not_found)?;
    require(access.acts_for(&place.host()))?;
    let reason = body.check(|b| {
        let mut invalid = Invalid::new();
        invalid.check("reden", required_text(b.reden.as_deref().unwrap_or(""), 3, 500)).ok_or(invalid)
    })?;
    let partners = partners(&state, &region).await?;
    let result = state
        .store
        .withdraw_exchange_place(region.id, id, place_id, &reason, |s| rematch(s, &partners), &user.actor("api"))
        .await?;
    let after = round_state(&state, &region, id).await?;
    let seen: Vec<(i64, Option<i64>, Option<i64>)> = result
        .moved
        .iter()
        .filter(|(p, before, _)| {
            *before == Some(place_id)
                || after
                    .participants
                    .iter()
                    .find(|q| q.id == *p)
                    .is_some_and(|q| may_see_participant(&access, q, &after.places))
        })
        .copied()
        .collect();
    let place = after.places.iter().find(|p| p.id == place_id).ok_or_else(AppError::not_found)?;
    Ok(Json(Intrekking {
        plek: place_view(place, &after.participants),
        status: after.round.status.clone(),
        verplaatst: describe_moves(&after, &seen),
        aantal_verplaatst: result.moved.len(),
    }))
}

// ------------------------------------------------------------------ participants

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct DeelnemerInvoer {
    pub naam: Option<String>,
    pub functie: Option<String>,
    /// `gemeente:GM0518` or `aanbieder:12`: where the participant works.
    pub organisatie: Option<String>,
    /// Place ids of this round, best first, at most 5; places on the other side only
    /// (municipality staff go to providers, provider staff to municipalities).
    pub wensen: Option<Vec<i64>>,
}

/// `wens3` (the form's name) becomes `wensen[2]` (the API's).
fn wish_names(invalid: Invalid, wishes: usize) -> Invalid {
    Invalid {
        errors: invalid
            .errors
            .into_iter()
            .map(|mut e| {
                if let Some(n) = e.name.strip_prefix("wens").and_then(|n| n.parse::<usize>().ok()) {
                    e.name = if (1..=wishes).contains(&n) { format!("wensen[{}]", n - 1) } else { "wensen".into() };
                }
                e
            })
            .collect(),
    }
}

#[utoipa::path(post, path = "/regios/{code}/wisselstages/{id}/deelnemers", tag = "wisselstages", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = DeelnemerInvoer,
    responses((status = 201, body = Deelnemer), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn register(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<DeelnemerInvoer>,
) -> AppResult<(StatusCode, Json<Deelnemer>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let mut wishes = 0;
    let participant = body.check(|b| {
        let list = b.wensen.clone().unwrap_or_default();
        wishes = list.len();
        let input = ParticipantInput {
            name: b.naam.clone().unwrap_or_default(),
            job_title: b.functie.clone().unwrap_or_default(),
            organisation: b.organisatie.clone().unwrap_or_default(),
            wishes: list.iter().map(i64::to_string).collect(),
        };
        parse_participant(&input).map_err(|e| wish_names(e, list.len()))
    })?;
    require(access.acts_for(&participant.organisation))?;
    let ids = state
        .store
        .register_exchange_participants(region.id, id, std::slice::from_ref(&participant), &user.actor("api"))
        .await
        .map_err(|e| match e {
            StoreError::Invalid(invalid) => StoreError::Invalid(wish_names(invalid, wishes)),
            other => other,
        })?;
    let round = round_state(&state, &region, id).await?;
    let row =
        ids.first().and_then(|new| round.participants.iter().find(|p| p.id == *new)).ok_or_else(AppError::not_found)?;
    Ok((StatusCode::CREATED, Json(participant_view(row, &round.round))))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct GenererenInvoer {
    /// 1 to 200; 12 when left out.
    pub aantal: Option<i64>,
    /// The same seed gives the same participants; 1 when left out.
    pub seed: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Gegenereerd {
    /// The new participants (one without a place on the other side to wish is left out).
    pub deelnemer_ids: Vec<i64>,
}

/// Made-up participants for a demonstration or test, marked as generated.
#[utoipa::path(post, path = "/regios/{code}/wisselstages/{id}/deelnemers/genereren", tag = "wisselstages",
    params(("code" = String, Path), ("id" = i64, Path)),
    request_body = GenererenInvoer,
    responses((status = 201, body = Gegenereerd), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn generate(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<GenererenInvoer>,
) -> AppResult<(StatusCode, Json<Gegenereerd>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_coordinate_exchange())?;
    let (count, seed) = body.check(|b| {
        let mut invalid = Invalid::new();
        let count = b.aantal.unwrap_or(12);
        if !(1..=200).contains(&count) {
            invalid.push("aantal", "range", "Genereer 1 tot en met 200 deelnemers.");
        }
        let seed = b.seed.unwrap_or(1);
        if seed < 0 {
            invalid.push("seed", "range", "De seed is een geheel getal van 0 of meer.");
        }
        invalid.finish(|| (count as usize, seed as u64))
    })?;
    let round = round_state(&state, &region, id).await?;
    if !round.places.iter().any(|p| !p.is_withdrawn()) {
        return Err(
            StoreError::conflict("status", "Er zijn nog geen plekken; deelnemers hebben dan niets te wensen.").into()
        );
    }
    let ids = crate::exchange::generate_participants(&state, &region, round.round.id, count, seed, &user.actor("api"))
        .await?;
    Ok((StatusCode::CREATED, Json(Gegenereerd { deelnemer_ids: ids })))
}

// ------------------------------------------------------------------ the assignment

/// Samenspel's proposal: the stable assignment that gives every participant the best place it
/// can have. Replaces the assignment; the round then awaits confirmation.
#[utoipa::path(post, path = "/regios/{code}/wisselstages/{id}/indeling", tag = "wisselstages", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Indeling), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn propose_assignment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Indeling>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_coordinate_exchange())?;
    let partners = partners(&state, &region).await?;
    let mut outcome: Option<(People, BTreeMap<i64, i64>)> = None;
    state
        .store
        .set_exchange_matching(
            region.id,
            id,
            MatchingChange::Propose,
            |s| {
                let assignment = propose(s, &partners)?;
                let people = s.participants.iter().map(|p| (p.id, p.name.clone())).collect();
                outcome = Some((people, assignment.clone()));
                Ok(assignment)
            },
            &user.actor("api"),
        )
        .await?;
    let (people, assignment) = outcome.ok_or_else(AppError::not_found)?;
    Ok(Json(assignment_view("voorstel", &people, &assignment, Vec::new())))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct IndelingInvoer {
    /// The whole assignment: participants left out get no place.
    pub indeling: Option<Vec<Toewijzing>>,
}

/// The coordinator's own assignment. Refused (400, nothing changed) when a place is over
/// capacity, withdrawn or unknown, or a participant goes where it did not wish or may not go;
/// accepted with `waarschuwingen` when it is not stable.
#[utoipa::path(put, path = "/regios/{code}/wisselstages/{id}/indeling", tag = "wisselstages", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = IndelingInvoer,
    responses((status = 200, body = Indeling), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn adjust_assignment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<IndelingInvoer>,
) -> AppResult<Json<Indeling>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_coordinate_exchange())?;
    let rows = body.check(|b| {
        let Some(rows) = &b.indeling else {
            return Err(Invalid::single("indeling", "required", "Geef de indeling: per deelnemer de plek of null."));
        };
        let mut invalid = Invalid::new();
        let mut seen = BTreeMap::new();
        for (i, row) in rows.iter().enumerate() {
            if let Some(first) = seen.insert(row.deelnemer_id, i) {
                invalid.push(
                    &format!("indeling[{i}].deelnemerId"),
                    "dubbel",
                    format!("Deze deelnemer staat al in de indeling (indeling[{first}])."),
                );
            }
        }
        invalid.finish(|| rows.clone())
    })?;
    // Where each participant stands in the body, to name problems by the client's own fields.
    let position: BTreeMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.deelnemer_id, i)).collect();
    let assignment: BTreeMap<i64, i64> = rows.iter().filter_map(|r| r.plek_id.map(|h| (r.deelnemer_id, h))).collect();
    let partners = partners(&state, &region).await?;
    let mut outcome: Option<(People, Vec<String>)> = None;
    state
        .store
        .set_exchange_matching(
            region.id,
            id,
            MatchingChange::Adjust,
            |s| {
                let mut invalid = Invalid::new();
                for (i, row) in rows.iter().enumerate() {
                    if !s.participants.iter().any(|p| p.id == row.deelnemer_id) {
                        invalid.push(
                            &format!("indeling[{i}].deelnemerId"),
                            "unknown",
                            "Deze deelnemer hoort niet bij deze ronde.",
                        );
                    }
                }
                if !invalid.is_empty() {
                    return Err(StoreError::Invalid(invalid));
                }
                let warnings = check_adjustment(s, &partners, &assignment).map_err(|e| match e {
                    StoreError::Invalid(invalid) => StoreError::Invalid(adjustment_names(invalid, &position)),
                    other => other,
                })?;
                outcome = Some((s.participants.iter().map(|p| (p.id, p.name.clone())).collect(), warnings));
                Ok(assignment.clone())
            },
            &user.actor("api"),
        )
        .await?;
    let (people, warnings) = outcome.ok_or_else(AppError::not_found)?;
    Ok(Json(assignment_view("voorstel", &people, &assignment, warnings)))
}

/// `plek12` (the form's field of participant 12) becomes `indeling[i].plekId`; a problem of
/// the whole (a place over capacity) is `indeling`.
fn adjustment_names(invalid: Invalid, position: &BTreeMap<i64, usize>) -> Invalid {
    Invalid {
        errors: invalid
            .errors
            .into_iter()
            .map(|mut e| {
                let at = e.name.strip_prefix("plek").and_then(|p| p.parse::<i64>().ok()).and_then(|p| position.get(&p));
                e.name = match at {
                    Some(i) => format!("indeling[{i}].plekId"),
                    None => "indeling".into(),
                };
                e
            })
            .collect(),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct BevestigenInvoer {
    /// Confirm an assignment that is not stable anyway (the coordinator has reasons).
    pub ondanks: Option<bool>,
}

/// Confirms the assignment awaiting confirmation. One that is not stable needs `ondanks: true`.
#[utoipa::path(post, path = "/regios/{code}/wisselstages/{id}/bevestigen", tag = "wisselstages", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = BevestigenInvoer,
    responses((status = 200, body = Wisselstage), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn confirm(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<BevestigenInvoer>,
) -> AppResult<Json<Wisselstage>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_coordinate_exchange())?;
    let anyway = body.check(|b| Ok(b.ondanks.unwrap_or(false)))?;
    let partners = partners(&state, &region).await?;
    state
        .store
        .confirm_exchange_matching(region.id, id, |s| check_confirmation(s, &partners, anyway), &user.actor("api"))
        .await?;
    let round = round_state(&state, &region, id).await?;
    Ok(Json(round_view(&round.round, &round.places, round.participants.len())))
}

// ------------------------------------------------------------------ lessons

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct LesInvoer {
    /// What the participant learned (10 to 2000 characters, paragraphs allowed).
    pub geleerd: Option<String>,
    /// What surprised (optional, up to 1000 characters).
    pub verrast: Option<String>,
    /// What the participant takes home (10 to 2000 characters).
    pub meenemen: Option<String>,
    /// A tip for the region (optional).
    pub tip: Option<String>,
    /// 1 (no) to 5 (certainly): recommend it to a colleague?
    pub aanrader: Option<i64>,
}

/// Records what a placed participant learned, after the assignment is confirmed; replaces the
/// earlier version until it is published (then 200 instead of 201).
#[utoipa::path(post, path = "/regios/{code}/wisselstages/{id}/deelnemers/{deelnemer_id}/lessen", tag = "wisselstages",
    params(("code" = String, Path), ("id" = i64, Path), ("deelnemer_id" = i64, Path)),
    request_body = LesInvoer,
    responses((status = 201, body = Les), (status = 200, body = Les, description = "Replaced the earlier version"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn record_lesson(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id, participant_id)): Path<(String, i64, i64)>,
    body: ApiJson<LesInvoer>,
) -> AppResult<(StatusCode, Json<Les>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let round = round_state(&state, &region, id).await?;
    let participant = round.participants.iter().find(|p| p.id == participant_id).ok_or_else(AppError::not_found)?;
    require(access.acts_for(&participant.organisation()))?;
    let lesson = body.check(|b| {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        parse_lesson(&LessonInput {
            learned: text(&b.geleerd),
            surprised: text(&b.verrast),
            takeaway: text(&b.meenemen),
            tip: text(&b.tip),
            recommend: b.aanrader.map(|a| a.to_string()).unwrap_or_default(),
        })
    })?;
    let existed =
        state.store.exchange_lessons(round.round.id).await?.iter().any(|l| l.participant_id == participant_id);
    let row = state.store.record_exchange_lesson(region.id, id, participant_id, &lesson, &user.actor("api")).await?;
    let view = lesson_view(&row, &round, &access).ok_or_else(AppError::not_found)?;
    Ok((if existed { StatusCode::OK } else { StatusCode::CREATED }, Json(view)))
}

/// Publishes a lesson to everyone in the region (without the participant's name).
#[utoipa::path(post, path = "/regios/{code}/wisselstages/{id}/lessen/{les_id}/publiceren", tag = "wisselstages",
    params(("code" = String, Path), ("id" = i64, Path), ("les_id" = i64, Path)),
    responses((status = 200, body = Les), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn publish_lesson(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id, lesson_id)): Path<(String, i64, i64)>,
) -> AppResult<Json<Les>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_coordinate_exchange())?;
    let row = state.store.publish_exchange_lesson(region.id, id, lesson_id, &user.actor("api")).await?;
    let round = round_state(&state, &region, id).await?;
    Ok(Json(lesson_view(&row, &round, &access).ok_or_else(AppError::not_found)?))
}
