//! Collaboration health: `instrumenten`, `meetrondes`, their `uitnodigingen` and `resultaten`,
//! and the `vroegsignalen`. Raw responses never leave Samenspel: results are aggregates of
//! groups of at least five respondents, with the same suppression as the pages.

use super::json::ApiJson;
use super::pagination::{single_page, PageQuery, PageResponse};
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::forms::FormPairs;
use crate::health::{early_warnings, invite, parse_invitees, require, results, EarlyWarnings, IssuedLink};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_calc::health::RoundReport;
use samenspel_domain::instrument::{Instrument, SHIPPED};
use samenspel_domain::Invalid;
use samenspel_store::health::{shipped, InstrumentRow, RoundRow};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstrumentView {
    /// `samenspel-KEY` for a shipped instrument, the number for one of the region.
    pub id: String,
    pub versie: i32,
    pub herkomst: String,
    /// The instrument itself (docs/gezondheid.md).
    #[schema(value_type = Object)]
    pub instrument: Instrument,
}

fn region_instrument(row: &InstrumentRow) -> AppResult<InstrumentView> {
    Ok(InstrumentView {
        id: row.id.to_string(),
        versie: row.version,
        herkomst: "regio".into(),
        instrument: row.instrument().ok_or_else(|| AppError::internal("opgeslagen instrument onleesbaar"))?,
    })
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct InstrumentInvoer {
    /// The instrument as on docs/gezondheid.md.
    #[schema(value_type = Object)]
    pub instrument: Option<serde_json::Value>,
}

fn read_instrument(b: &InstrumentInvoer) -> Result<Instrument, Invalid> {
    let mut invalid = Invalid::new();
    match &b.instrument {
        None => invalid.push("instrument", "required", "Geef het instrument."),
        Some(v) => match Instrument::parse(&v.to_string()) {
            Ok(i) => return Ok(i),
            Err(problems) => {
                for p in problems {
                    invalid.push("instrument", "instrument", p);
                }
            }
        },
    }
    Err(invalid)
}

#[utoipa::path(get, path = "/regios/{code}/instrumenten", tag = "gezondheid", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<InstrumentView>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn instruments(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(page): Query<PageQuery>,
) -> AppResult<PageResponse<InstrumentView>> {
    let request = page.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_view_health_results())?;
    let mut items: Vec<InstrumentView> = SHIPPED
        .iter()
        .filter_map(|(key, _)| shipped(key).map(|i| (key, i)))
        .map(|(key, instrument)| InstrumentView {
            id: format!("samenspel-{key}"),
            versie: 1,
            herkomst: "samenspel".into(),
            instrument,
        })
        .collect();
    for row in state.store.instruments(region.id).await? {
        items.push(region_instrument(&row)?);
    }
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(get, path = "/regios/{code}/instrumenten/{id}", tag = "gezondheid",
    params(("code" = String, Path), ("id" = String, Path, description = "samenspel-vertrouwen or a number")),
    responses((status = 200, body = InstrumentView), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn instrument(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, String)>,
) -> AppResult<Json<InstrumentView>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_view_health_results())?;
    if let Some(key) = id.strip_prefix("samenspel-") {
        let instrument = shipped(key).ok_or_else(AppError::not_found)?;
        return Ok(Json(InstrumentView { id, versie: 1, herkomst: "samenspel".into(), instrument }));
    }
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    Ok(Json(region_instrument(&state.store.instrument(region.id, id).await?)?))
}

#[utoipa::path(post, path = "/regios/{code}/instrumenten", tag = "gezondheid", params(("code" = String, Path)),
    request_body = InstrumentInvoer,
    responses((status = 201, body = InstrumentView), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create_instrument(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<InstrumentInvoer>,
) -> AppResult<(StatusCode, Json<InstrumentView>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_manage_health())?;
    let instrument = body.check(read_instrument)?;
    let (row, _) = state.store.save_instrument(region.id, None, &instrument, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(region_instrument(&row)?)))
}

/// Changing a version no opened round used changes it (200); otherwise the change is a new
/// version (201, with its own id), and the round keeps what it asked.
#[utoipa::path(put, path = "/regios/{code}/instrumenten/{id}", tag = "gezondheid", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = InstrumentInvoer,
    responses((status = 200, body = InstrumentView), (status = 201, body = InstrumentView, description = "in use: a new version"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn update_instrument(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<InstrumentInvoer>,
) -> AppResult<(StatusCode, Json<InstrumentView>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_manage_health())?;
    state.store.instrument(region.id, id).await?;
    let instrument = body.check(read_instrument)?;
    let (row, new_version) = state.store.save_instrument(region.id, Some(id), &instrument, &user.actor("api")).await?;
    Ok((if new_version { StatusCode::CREATED } else { StatusCode::OK }, Json(region_instrument(&row)?)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Meetronde {
    pub id: i64,
    pub titel: String,
    /// `nulmeting` or `periodiek`.
    pub soort: String,
    pub instrument: String,
    /// The parties rated: `gemeenten`, `regio`, `aanbieders`.
    pub partijen: Vec<String>,
    /// `concept`, `open` or `gesloten`.
    pub status: String,
    #[schema(format = DateTime)]
    pub sluit: String,
    /// Answers generated for a demonstration, not given by people.
    pub gegenereerd: bool,
}

fn round_view(r: &RoundRow) -> Meetronde {
    Meetronde {
        id: r.id,
        titel: r.title.clone(),
        soort: r.kind.clone(),
        instrument: r.instrument_label.clone(),
        partijen: r.parties().iter().map(|p| p.code().to_string()).collect(),
        status: r.status.clone(),
        sluit: r.closes_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        gegenereerd: r.generated,
    }
}

async fn visible_round(state: &AppState, region_id: i64, id: i64, manage: bool) -> AppResult<RoundRow> {
    let round = state.store.survey_round(region_id, id).await?;
    if round.status == "concept" && !manage {
        return Err(AppError::not_found());
    }
    Ok(round)
}

#[utoipa::path(get, path = "/regios/{code}/meetrondes", tag = "gezondheid", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Meetronde>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn rounds(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(page): Query<PageQuery>,
) -> AppResult<PageResponse<Meetronde>> {
    let request = page.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_view_health_results())?;
    let manage = access.can_manage_health();
    let items = state
        .store
        .survey_rounds(region.id)
        .await?
        .iter()
        .filter(|r| manage || r.status != "concept")
        .map(round_view)
        .collect();
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(get, path = "/regios/{code}/meetrondes/{id}", tag = "gezondheid", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Meetronde), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn round(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Meetronde>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_view_health_results())?;
    Ok(Json(round_view(&visible_round(&state, region.id, id, access.can_manage_health()).await?)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct MeetrondeInvoer {
    pub titel: Option<String>,
    /// `nulmeting` or `periodiek`.
    pub soort: Option<String>,
    /// `samenspel:vertrouwen`, `samenspel:samenwerkingsfactoren`, `samenspel:waarde` or `regio:ID`.
    pub instrument: Option<String>,
    pub partijen: Option<Vec<String>>,
    #[schema(format = DateTime)]
    pub sluit: Option<String>,
}

#[utoipa::path(post, path = "/regios/{code}/meetrondes", tag = "gezondheid", params(("code" = String, Path)),
    request_body = MeetrondeInvoer,
    responses((status = 201, body = Meetronde), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create_round(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<MeetrondeInvoer>,
) -> AppResult<(StatusCode, Json<Meetronde>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_manage_health())?;
    let new = body.check(|b| {
        let mut pairs = vec![
            ("titel".to_string(), b.titel.clone().unwrap_or_default()),
            ("soort".to_string(), b.soort.clone().unwrap_or_default()),
            ("instrument".to_string(), b.instrument.clone().unwrap_or_default()),
            ("sluit".to_string(), b.sluit.clone().unwrap_or_default()),
        ];
        for p in b.partijen.clone().unwrap_or_default() {
            pairs.push(("partijen".to_string(), p));
        }
        crate::pages::new_survey_round(&FormPairs(pairs))
    })?;
    let row = state.store.create_survey_round(region.id, &new, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(round_view(&row))))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct StatusInvoer {
    /// `openen` or `sluiten`.
    pub actie: Option<String>,
}

#[utoipa::path(post, path = "/regios/{code}/meetrondes/{id}/status", tag = "gezondheid", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = StatusInvoer,
    responses((status = 200, body = Meetronde), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn set_status(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<StatusInvoer>,
) -> AppResult<Json<Meetronde>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_manage_health())?;
    let open = body.check(|b| match b.actie.as_deref() {
        Some("openen") => Ok(true),
        Some("sluiten") => Ok(false),
        _ => Err(Invalid::single("actie", "enum", "Kies openen of sluiten.")),
    })?;
    let row = state.store.set_survey_round_status(region.id, id, open, &user.actor("api")).await?;
    Ok(Json(round_view(&row)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct UitnodigingInvoer {
    /// One per line: `groep;gemeentecode;e-mailadres` (see docs/gezondheid.md).
    pub uitgenodigden: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Uitnodigingen {
    /// The personal links, given out once: Samenspel keeps only their hashes.
    #[schema(value_type = Vec<Object>)]
    pub links: Vec<IssuedLink>,
}

#[utoipa::path(post, path = "/regios/{code}/meetrondes/{id}/uitnodigingen", tag = "gezondheid", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = UitnodigingInvoer,
    responses((status = 201, body = Uitnodigingen), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn create_invitations(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<UitnodigingInvoer>,
) -> AppResult<(StatusCode, Json<Uitnodigingen>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_manage_health())?;
    let round = state.store.survey_round(region.id, id).await?;
    let invitees = body.check(|b| parse_invitees(b.uitgenodigden.as_deref().unwrap_or("")))?;
    let links = invite(&state, &region, &round, &invitees, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(Uitnodigingen { links })))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Respons {
    /// `gemeenten`, `regio` or `aanbieders`.
    pub groep: String,
    /// For members: the larger (`true`) or smaller half of the region.
    pub grote_gemeente: Option<bool>,
    pub uitgenodigd: i64,
    pub ingevuld: i64,
}

/// The response rate per group: counts only, for the coach while the round runs.
#[utoipa::path(get, path = "/regios/{code}/meetrondes/{id}/uitnodigingen", tag = "gezondheid", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Vec<Respons>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn response_rates(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Vec<Respons>>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_manage_health())?;
    let round = state.store.survey_round(region.id, id).await?;
    Ok(Json(
        state
            .store
            .response_rates(round.id)
            .await?
            .into_iter()
            .map(|r| Respons {
                groep: r.respondent_group,
                grote_gemeente: r.large_member,
                uitgenodigd: r.invited,
                ingevuld: r.submitted,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Resultaten {
    pub meetronde: Meetronde,
    /// Groups with why they are hidden, if they are; scores per dimension, party and group with
    /// their 95 % intervals and n (none for a hidden group), Cronbach's alpha (the lowest over the
    /// parties rated), the gap between intended and experienced value.
    #[schema(value_type = Object)]
    pub uitkomsten: RoundReport,
    /// The same scores against the closed round of the same instrument before this one.
    #[schema(value_type = Vec<Object>)]
    pub verloop: Vec<samenspel_calc::health::Trend>,
    pub vorige_meetronde: Option<i64>,
}

#[utoipa::path(get, path = "/regios/{code}/meetrondes/{id}/resultaten", tag = "gezondheid", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Resultaten), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json", description = "the round has not closed")))]
pub async fn round_results(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Resultaten>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_view_health_results())?;
    let round = visible_round(&state, region.id, id, access.can_manage_health()).await?;
    if !round.closed() {
        // While a round runs, each new figure next to the last would show one response.
        return Err(AppError::new(StatusCode::CONFLICT, "De uitkomsten verschijnen als de meetronde sluit."));
    }
    let r = results(&state, &round).await?;
    Ok(Json(Resultaten {
        meetronde: round_view(&round),
        vorige_meetronde: r.previous.as_ref().map(|p| p.id),
        verloop: r.trends.into_iter().filter(|t| t.change.is_some()).collect(),
        uitkomsten: r.report,
    }))
}

#[utoipa::path(get, path = "/regios/{code}/vroegsignalen", tag = "gezondheid", params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn warnings(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
) -> AppResult<Json<EarlyWarnings>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_view_health_warnings())?;
    Ok(Json(early_warnings(&state, &region, &access).await?))
}
