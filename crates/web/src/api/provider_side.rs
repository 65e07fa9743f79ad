//! The provider side (issue 8): `verantwoordingsverzoeken` the region asks once, and their
//! `inzendingen`: a provider sends one document (JSON or CSV, the format of docs/aanbieders.md)
//! and reads back its own; a member reads the part that concerns it; the region reads all and
//! the `stand` per provider.

use super::json::ApiJson;
use super::pagination::{single_page, PageQuery, PageResponse};
use super::timestamp;
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::provider_side::{
    acting_provider, parse_request, request_status, served_members, visible_request, RequestInput,
};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::Json;
use samenspel_domain::accountability::{
    parse_csv, parse_json, FieldSpec, Format, Scope, SubmissionProblem, Unit, Value, ValueKey,
};
use samenspel_domain::Invalid;
use samenspel_store::accountability::{NewSubmission, RequestRow, SubmissionRow};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};
use std::collections::BTreeMap;

fn require(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Veld {
    /// Key used in submissions: lowercase letters, digits, `_`.
    pub sleutel: String,
    pub omschrijving: String,
    /// `aantal`, `bedrag`, `getal` or `tekst`.
    pub eenheid: String,
    /// `gemeente` (a value per member served) or `aanbieder` (one for the provider).
    pub niveau: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Verantwoordingsverzoek {
    pub id: i64,
    pub titel: String,
    /// `productie`, `kwaliteit`, `wachttijden` or `overig`.
    pub soort: String,
    /// `jaarlijks`, `kwartaal` or `eenmalig`.
    pub frequentie: String,
    pub periode: String,
    pub toelichting: Option<String>,
    pub velden: Vec<Veld>,
    /// Last day to submit (ISO date).
    pub deadline: String,
    /// Only providers with a contract in this lot are asked.
    pub perceel_id: Option<i64>,
    /// `concept`, `open` or `gesloten`.
    pub status: String,
}

fn veld(f: &FieldSpec) -> Veld {
    Veld {
        sleutel: f.key.clone(),
        omschrijving: f.label.clone(),
        eenheid: f.unit.code().into(),
        niveau: f.scope.code().into(),
    }
}

fn request_view(r: &RequestRow) -> Verantwoordingsverzoek {
    Verantwoordingsverzoek {
        id: r.id,
        titel: r.title.clone(),
        soort: r.kind.clone(),
        frequentie: r.frequency.clone(),
        periode: r.period.clone(),
        toelichting: r.description.clone(),
        velden: r.field_specs().iter().map(veld).collect(),
        deadline: r.deadline.to_string(),
        perceel_id: r.lot_id,
        status: r.status.clone(),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct VerzoekInvoer {
    pub titel: Option<String>,
    pub soort: Option<String>,
    pub frequentie: Option<String>,
    pub periode: Option<String>,
    pub toelichting: Option<String>,
    pub velden: Option<Vec<Veld>>,
    /// `2027-01-15` or `15-01-2027`.
    pub deadline: Option<String>,
    pub perceel_id: Option<i64>,
}

fn read_request(b: &VerzoekInvoer) -> Result<samenspel_store::accountability::RequestDetails, Invalid> {
    let mut invalid = Invalid::new();
    let fields = match &b.velden {
        None => {
            invalid.push("velden", "required", "Geef de gevraagde cijfers.");
            None
        }
        Some(list) => {
            let mut out = Vec::new();
            for (i, v) in list.iter().enumerate() {
                match (Unit::parse(&v.eenheid), Scope::parse(&v.niveau)) {
                    (Ok(unit), Ok(scope)) => out.push(FieldSpec {
                        key: v.sleutel.trim().to_string(),
                        label: v.omschrijving.trim().to_string(),
                        unit,
                        scope,
                    }),
                    (unit, scope) => {
                        for e in [unit.err(), scope.err()].into_iter().flatten() {
                            invalid.push("velden", &e.code, format!("Veld {}: {}", i + 1, e.reason));
                        }
                    }
                }
            }
            Some(out)
        }
    };
    // ISO dates too, as an API client writes them.
    let deadline = b.deadline.clone().unwrap_or_default();
    let deadline = match time::Date::parse(&deadline, &time::format_description::well_known::Iso8601::DATE) {
        Ok(d) => samenspel_domain::nl::date(d),
        Err(_) => deadline,
    };
    let input = RequestInput {
        title: b.titel.clone().unwrap_or_default(),
        kind: b.soort.clone().unwrap_or_default(),
        frequency: b.frequentie.clone().unwrap_or_default(),
        period: b.periode.clone().unwrap_or_default(),
        description: b.toelichting.clone().unwrap_or_default(),
        field_lines: String::new(),
        fields: Some(fields.unwrap_or_default()),
        deadline,
        lot_id: b.perceel_id,
    };
    match parse_request(&input) {
        Ok(details) if invalid.is_empty() => Ok(details),
        Ok(_) => Err(invalid),
        Err(found) => {
            invalid.errors.extend(found.errors.into_iter().filter(|e| e.name != "velden" || b.velden.is_some()));
            Err(invalid)
        }
    }
}

#[utoipa::path(get, path = "/regios/{code}/verantwoordingsverzoeken", tag = "aanbiedersloket", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Verantwoordingsverzoek>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(page): Query<PageQuery>,
) -> AppResult<PageResponse<Verantwoordingsverzoek>> {
    let request = page.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_view_provider_side())?;
    let items = state
        .store
        .accountability_requests(region.id)
        .await?
        .iter()
        .filter(|r| crate::provider_side::may_see_request(&access, r))
        .map(request_view)
        .collect();
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(post, path = "/regios/{code}/verantwoordingsverzoeken", tag = "aanbiedersloket", params(("code" = String, Path)),
    request_body = VerzoekInvoer,
    responses((status = 201, body = Verantwoordingsverzoek), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<VerzoekInvoer>,
) -> AppResult<(StatusCode, Json<Verantwoordingsverzoek>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_manage_provider_side())?;
    let details = body.check(read_request)?;
    let row = state.store.create_accountability_request(region.id, &details, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(request_view(&row))))
}

#[utoipa::path(get, path = "/regios/{code}/verantwoordingsverzoeken/{id}", tag = "aanbiedersloket", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Verantwoordingsverzoek), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Verantwoordingsverzoek>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    Ok(Json(request_view(&visible_request(&state, &region, &access, id).await?)))
}

/// Changes a concept; an open request keeps the figures it asks (409).
#[utoipa::path(put, path = "/regios/{code}/verantwoordingsverzoeken/{id}", tag = "aanbiedersloket", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = VerzoekInvoer,
    responses((status = 200, body = Verantwoordingsverzoek), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<VerzoekInvoer>,
) -> AppResult<Json<Verantwoordingsverzoek>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_manage_provider_side())?;
    let details = body.check(read_request)?;
    let row = state.store.update_accountability_request(region.id, id, &details, &user.actor("api")).await?;
    Ok(Json(request_view(&row)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct StatusInvoer {
    /// `openen` or `sluiten`.
    pub actie: Option<String>,
}

#[utoipa::path(post, path = "/regios/{code}/verantwoordingsverzoeken/{id}/status", tag = "aanbiedersloket", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = StatusInvoer,
    responses((status = 200, body = Verantwoordingsverzoek), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn set_status(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<StatusInvoer>,
) -> AppResult<Json<Verantwoordingsverzoek>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_manage_provider_side())?;
    let open = body.check(|b| match b.actie.as_deref() {
        Some("openen") => Ok(true),
        Some("sluiten") => Ok(false),
        _ => Err(Invalid::single("actie", "enum", "Kies openen of sluiten.")),
    })?;
    let row = state.store.set_accountability_request_open(region.id, id, open, &user.actor("api")).await?;
    Ok(Json(request_view(&row)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Inzending {
    pub id: i64,
    pub aanbieder_id: i64,
    pub aanbieder_naam: String,
    pub versie: i32,
    /// `formulier`, `csv` or `json`.
    pub formaat: String,
    pub te_laat: bool,
    pub ingediend_op: String,
    pub ingediend_door: String,
    /// The members this submission concerns (for a member: itself).
    pub gemeenten: Vec<String>,
    /// As sent: `{"aanbieder": {...}, "gemeenten": {"GM0518": {...}}}`; counts as numbers,
    /// amounts and other numbers as exact decimal strings (`"1234.50"`), text as text.
    #[schema(value_type = Object)]
    pub waarden: serde_json::Value,
}

fn json_value(v: &Value) -> serde_json::Value {
    let decimal = |h: i64| {
        let sign = if h < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", h.unsigned_abs() / 100, h.unsigned_abs() % 100)
    };
    match v {
        Value::Count(n) => json!(n),
        Value::Amount(c) => json!(decimal(c.0)),
        Value::Decimal(h) => json!(decimal(*h)),
        Value::Text(t) => json!(t),
    }
}

fn values_json(values: &BTreeMap<ValueKey, Value>) -> serde_json::Value {
    let mut provider = Map::new();
    let mut members: Map<String, serde_json::Value> = Map::new();
    for ((m, key), v) in values {
        match m {
            None => {
                provider.insert(key.clone(), json_value(v));
            }
            Some(m) => {
                if let Some(obj) = members.entry(m.clone()).or_insert_with(|| json!({})).as_object_mut() {
                    obj.insert(key.clone(), json_value(v));
                }
            }
        }
    }
    json!({"aanbieder": provider, "gemeenten": members})
}

async fn submission_view(
    state: &AppState,
    request: &RequestRow,
    sub: &SubmissionRow,
    only: Option<&[String]>,
) -> AppResult<Inzending> {
    let values = state.store.submission_values_seen(request, sub.id, only).await?;
    let gemeenten = match only {
        Some(members) => members.to_vec(),
        None => state.store.submission_members(sub.id).await?,
    };
    Ok(Inzending {
        id: sub.id,
        aanbieder_id: sub.provider_id,
        aanbieder_naam: sub.provider_name.clone(),
        versie: sub.version,
        formaat: sub.format.clone(),
        te_laat: sub.late,
        ingediend_op: timestamp(sub.submitted_at),
        ingediend_door: sub.submitted_by.clone(),
        gemeenten,
        waarden: values_json(&values),
    })
}

/// The current submission of every provider this user may read: all for the region, its own
/// for a provider, a member's part of those that concern it.
#[utoipa::path(get, path = "/regios/{code}/verantwoordingsverzoeken/{id}/inzendingen", tag = "aanbiedersloket",
    params(("code" = String, Path), ("id" = i64, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Inzending>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn submissions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    uri: Uri,
    Query(page): Query<PageQuery>,
) -> AppResult<PageResponse<Inzending>> {
    let paging = page.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    let request = visible_request(&state, &region, &access, id).await?;
    let mut items = Vec::new();
    for sub in state.store.current_accountability_submissions(request.id).await? {
        let concerns = state.store.submission_members(sub.id).await?;
        if let Some(view) = access.submission_view(sub.provider_id, &concerns) {
            items.push(submission_view(&state, &request, &sub, view.as_deref()).await?);
        }
    }
    Ok(single_page(items, paging, &uri))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct SubmitQuery {
    /// For a user who works for several providers: on whose behalf.
    pub aanbieder_id: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Inzendingsresultaat {
    /// False when the document equals the current version: nothing new was stored.
    pub nieuwe_versie: bool,
    pub inzending: Inzending,
}

fn problems_error(problems: Vec<SubmissionProblem>) -> AppError {
    let mut invalid = Invalid::new();
    for p in &problems {
        let name = match (&p.municipality, &p.field) {
            (Some(m), Some(f)) => format!("gemeenten.{m}.{f}"),
            (None, Some(f)) => format!("aanbieder.{f}"),
            (Some(m), None) => format!("gemeenten.{m}"),
            (None, None) => "inzending".to_string(),
        };
        invalid.push(&name, p.rule, p.to_string());
    }
    AppError::invalid(invalid)
}

/// One submission for all members: the document of docs/aanbieders.md as JSON
/// (`application/json`) or CSV (`text/csv`). A correction is a new version; the same document
/// again changes nothing (200 with `nieuweVersie: false`).
#[utoipa::path(post, path = "/regios/{code}/verantwoordingsverzoeken/{id}/inzendingen", tag = "aanbiedersloket",
    params(("code" = String, Path), ("id" = i64, Path), SubmitQuery),
    request_body(content = Object, description = "JSON of CSV (gemeentecode;veld;waarde)"),
    responses((status = 201, body = Inzendingsresultaat), (status = 200, body = Inzendingsresultaat, description = "unchanged"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn submit(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<SubmitQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<(StatusCode, Json<Inzendingsresultaat>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let request = visible_request(&state, &region, &access, id).await?;
    let provider_id = acting_provider(&access, q.aanbieder_id).ok_or_else(|| {
        AppError::new(StatusCode::FORBIDDEN, "Alleen een zorgaanbieder levert cijfers aan, voor zichzelf.")
    })?;
    let served = served_members(&state, &region, crate::provider_side::request_day(&request), request.lot_id).await?;
    let served = served.get(&provider_id).map(|s| s.members.clone()).ok_or_else(|| {
        AppError::new(
            StatusCode::CONFLICT,
            "Dit verzoek vraagt uw organisatie niets: u heeft geen lopend contract waaronder u zorg levert aan gemeenten in deze regio.",
        )
    })?;
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let specs = request.field_specs();
    let (format, parsed) = match mime.as_str() {
        "application/json" => (Format::Json, parse_json(&body, &specs, &served)),
        "text/csv" => (Format::Csv, parse_csv(&body, &specs, &served)),
        _ => {
            return Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Stuur de inzending als application/json of als text/csv.",
            ))
        }
    };
    let values = parsed.map_err(problems_error)?;
    let outcome = state
        .store
        .submit_accountability(
            region.id,
            &NewSubmission { request_id: request.id, provider_id, concerns: &served, values: &values, format },
            &user.actor("api"),
        )
        .await?;
    let status = if outcome.unchanged { StatusCode::OK } else { StatusCode::CREATED };
    let inzending = submission_view(&state, &request, &outcome.submission, None).await?;
    Ok((status, Json(Inzendingsresultaat { nieuwe_versie: !outcome.unchanged, inzending })))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stand {
    pub aanbieder_id: i64,
    pub aanbieder_naam: String,
    /// Asked now; a provider that answered earlier and is no longer asked keeps its line.
    pub gevraagd: bool,
    pub gemeenten: Vec<String>,
    /// `op-tijd`, `te-laat`, `verwacht` or `ontbreekt`.
    pub stand: String,
    pub versie: Option<i32>,
    pub ingediend_op: Option<String>,
}

/// Where each provider stands: the region sees all, a provider itself.
#[utoipa::path(get, path = "/regios/{code}/verantwoordingsverzoeken/{id}/stand", tag = "aanbiedersloket",
    params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Vec<Stand>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn standing(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Vec<Stand>>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_manage_provider_side() || !access.providers.is_empty())?;
    let request = visible_request(&state, &region, &access, id).await?;
    let lines = request_status(&state, &region, &request).await?;
    Ok(Json(
        lines
            .into_iter()
            .filter(|l| access.can_manage_provider_side() || access.providers.contains(&l.provider_id))
            .map(|l| Stand {
                aanbieder_id: l.provider_id,
                aanbieder_naam: l.provider_name,
                gevraagd: l.asked,
                gemeenten: l.members.into_iter().collect(),
                stand: l.standing.code().into(),
                versie: l.current.as_ref().map(|c| c.version),
                ingediend_op: l.current.as_ref().map(|c| timestamp(c.submitted_at)),
            })
            .collect(),
    ))
}

// ------------------------------------------------------------------ announcements

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Mededeling {
    pub id: i64,
    /// `mededeling` or `aanbesteding`.
    pub soort: String,
    pub titel: String,
    pub tekst: String,
    pub perceel_id: Option<i64>,
    /// For a procurement round: the last day to respond (ISO date).
    pub sluit_op: Option<String>,
    pub gepubliceerd_op: String,
}

fn announcement_view(a: &samenspel_store::dialogue::AnnouncementRow) -> Mededeling {
    Mededeling {
        id: a.id,
        soort: a.kind.clone(),
        titel: a.title.clone(),
        tekst: a.body.clone(),
        perceel_id: a.lot_id,
        sluit_op: a.closes_on.map(|d| d.to_string()),
        gepubliceerd_op: timestamp(a.published_at),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct MededelingInvoer {
    pub soort: Option<String>,
    pub titel: Option<String>,
    pub tekst: Option<String>,
    pub perceel_id: Option<i64>,
    /// `2027-01-15` or `15-01-2027`; required for `aanbesteding`.
    pub sluit_op: Option<String>,
}

fn dutch_or_iso_date(text: &str) -> String {
    match time::Date::parse(text, &time::format_description::well_known::Iso8601::DATE) {
        Ok(d) => samenspel_domain::nl::date(d),
        Err(_) => text.to_string(),
    }
}

#[utoipa::path(get, path = "/regios/{code}/mededelingen", tag = "aanbiedersloket", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Mededeling>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn announcements(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(page): Query<PageQuery>,
) -> AppResult<PageResponse<Mededeling>> {
    let request = page.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_view_provider_side())?;
    let items = state.store.announcements(region.id).await?.iter().map(announcement_view).collect();
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(post, path = "/regios/{code}/mededelingen", tag = "aanbiedersloket", params(("code" = String, Path)),
    request_body = MededelingInvoer,
    responses((status = 201, body = Mededeling), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn publish(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<MededelingInvoer>,
) -> AppResult<(StatusCode, Json<Mededeling>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_manage_provider_side())?;
    let new = body.check(|b| {
        crate::provider_side::parse_announcement(
            b.soort.as_deref().unwrap_or(""),
            b.titel.as_deref().unwrap_or(""),
            b.tekst.as_deref().unwrap_or(""),
            b.perceel_id,
            &dutch_or_iso_date(b.sluit_op.as_deref().unwrap_or("")),
        )
    })?;
    let row = state.store.publish_announcement(region.id, &new, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(announcement_view(&row))))
}

// ------------------------------------------------------------------ questions

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Vraag {
    pub id: i64,
    /// Set when published: the number in the region's list of answers.
    pub nummer: Option<i32>,
    pub onderwerp: String,
    /// The published wording once answered; the wording as asked before that (asker and region only).
    pub vraag: String,
    pub antwoord: Option<String>,
    /// The procurement round the question is about.
    pub aankondiging_id: Option<i64>,
    /// `open` or `beantwoord`.
    pub status: String,
    /// Only for the region and the asking provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aanbieder_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gesteld_op: Option<String>,
    pub beantwoord_op: Option<String>,
}

fn question_view(q: &samenspel_store::dialogue::QuestionRow, own: bool) -> Vraag {
    Vraag {
        id: q.id,
        nummer: q.number,
        onderwerp: q.subject.clone(),
        vraag: q
            .published_question
            .clone()
            .filter(|_| !own || q.status == "beantwoord")
            .unwrap_or_else(|| q.question.clone()),
        antwoord: q.answer.clone(),
        aankondiging_id: q.announcement_id,
        status: q.status.clone(),
        aanbieder_id: own.then_some(q.provider_id),
        gesteld_op: own.then(|| timestamp(q.asked_at)),
        beantwoord_op: q.answered_at.map(timestamp),
    }
}

/// Published answers for everyone; a provider also sees its own open questions, the region all.
#[utoipa::path(get, path = "/regios/{code}/vragen", tag = "aanbiedersloket", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Vraag>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn questions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(page): Query<PageQuery>,
) -> AppResult<PageResponse<Vraag>> {
    let request = page.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_view_provider_side())?;
    let manage = access.can_manage_provider_side();
    let items = state
        .store
        .provider_questions(region.id, None)
        .await?
        .iter()
        .filter_map(|q| {
            let own = manage || access.providers.contains(&q.provider_id);
            (own || q.status == "beantwoord").then(|| question_view(q, own))
        })
        .collect();
    Ok(single_page(items, request, &uri))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct VraagInvoer {
    pub onderwerp: Option<String>,
    pub vraag: Option<String>,
    /// An open procurement round (`mededelingen` of soort `aanbesteding`), or absent.
    pub aankondiging_id: Option<i64>,
    /// For a user who works for several providers.
    pub aanbieder_id: Option<i64>,
}

#[utoipa::path(post, path = "/regios/{code}/vragen", tag = "aanbiedersloket", params(("code" = String, Path)),
    request_body = VraagInvoer,
    responses((status = 201, body = Vraag), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn ask(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<VraagInvoer>,
) -> AppResult<(StatusCode, Json<Vraag>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let body = body.accept()?;
    let provider_id = acting_provider(&access, body.aanbieder_id).ok_or_else(|| {
        AppError::new(StatusCode::FORBIDDEN, "Alleen een zorgaanbieder stelt hier vragen, namens zichzelf.")
    })?;
    let (subject, question) = crate::provider_side::parse_question(
        body.onderwerp.as_deref().unwrap_or(""),
        body.vraag.as_deref().unwrap_or(""),
    )
    .map_err(AppError::invalid)?;
    let row = state
        .store
        .ask_question(region.id, provider_id, body.aankondiging_id, &subject, &question, &user.actor("api"))
        .await?;
    Ok((StatusCode::CREATED, Json(question_view(&row, true))))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AntwoordInvoer {
    /// The question as it will be published (without what identifies the asker).
    pub gepubliceerde_vraag: Option<String>,
    pub antwoord: Option<String>,
}

#[utoipa::path(post, path = "/regios/{code}/vragen/{id}/antwoord", tag = "aanbiedersloket", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = AntwoordInvoer,
    responses((status = 200, body = Vraag), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn answer(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<AntwoordInvoer>,
) -> AppResult<Json<Vraag>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    require(access.can_manage_provider_side())?;
    let (question, answer) = body.check(|b| {
        crate::provider_side::parse_answer(
            b.gepubliceerde_vraag.as_deref().unwrap_or(""),
            b.antwoord.as_deref().unwrap_or(""),
        )
    })?;
    let row = state.store.answer_question(region.id, id, &question, &answer, &user.actor("api")).await?;
    Ok(Json(question_view(&row, true)))
}

// ------------------------------------------------------------------ the portal

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoketTarief {
    pub product: String,
    pub eenheid: String,
    /// Cents.
    pub regionaal_cent: Option<i64>,
    /// Members' own tariffs: municipality code → cents.
    pub per_gemeente_cent: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoketContract {
    pub id: i64,
    pub perceel_id: i64,
    pub perceel: String,
    pub vanaf: String,
    pub tot_en_met: Option<String>,
    pub status: String,
    pub gemeenten: Vec<String>,
    pub tarieven: Vec<LoketTarief>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoketMaand {
    /// yyyymm.
    pub maand: i32,
    pub regels: i64,
    pub bedrag_cent: i64,
    pub afgewezen_regels: i64,
    pub afgewezen_cent: i64,
    pub boven_contracttarief: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Loket {
    pub aanbieder_id: i64,
    pub aanbieder_naam: String,
    pub jaar: i32,
    pub contracten: Vec<LoketContract>,
    /// Lots open for admission: id, name and conditions.
    #[schema(value_type = Vec<Object>)]
    pub open_voor_toelating: Vec<serde_json::Value>,
    pub lopende_aanbestedingen: Vec<Mededeling>,
    pub mededelingen: Vec<Mededeling>,
    pub declaraties: Vec<LoketMaand>,
    /// Open accountability requests that ask this provider, with `stand`.
    #[schema(value_type = Vec<Object>)]
    pub verantwoording: Vec<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct LoketQuery {
    /// Whose portal: the provider's own (may be left out when it works for one), any for the region.
    pub aanbieder_id: Option<i64>,
}

/// Everything one provider deals with in the region: contracts and tariffs, open rounds,
/// announcements, its claims as the region received them, open accountability requests.
#[utoipa::path(get, path = "/regios/{code}/loket", tag = "aanbiedersloket", params(("code" = String, Path), LoketQuery),
    responses((status = 200, body = Loket), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn portal(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    Query(q): Query<LoketQuery>,
) -> AppResult<Json<Loket>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let provider_id = match (q.aanbieder_id, access.can_manage_provider_side()) {
        (Some(p), true) => p,
        (chosen, _) => acting_provider(&access, chosen).ok_or_else(AppError::forbidden)?,
    };
    let p = crate::provider_side::portal(&state, &region, provider_id).await?;
    Ok(Json(Loket {
        aanbieder_id: p.provider_id,
        aanbieder_naam: p.name,
        jaar: p.year,
        contracten: p
            .contracts
            .into_iter()
            .map(|c| LoketContract {
                id: c.id,
                perceel_id: c.lot_id,
                perceel: c.lot,
                vanaf: c.starts_on.to_string(),
                tot_en_met: c.ends_on.map(|d| d.to_string()),
                status: c.status,
                gemeenten: c.members,
                tarieven: c
                    .tariffs
                    .into_iter()
                    .map(|t| LoketTarief {
                        product: t.product,
                        eenheid: t.unit,
                        regionaal_cent: t.regional,
                        per_gemeente_cent: t.by_member.into_iter().collect(),
                    })
                    .collect(),
            })
            .collect(),
        open_voor_toelating: p
            .open_admission
            .into_iter()
            .map(|(id, name, conditions)| json!({"perceelId": id, "perceel": name, "voorwaarden": conditions}))
            .collect(),
        lopende_aanbestedingen: p.open_rounds.iter().map(announcement_view).collect(),
        mededelingen: p.announcements.iter().map(announcement_view).collect(),
        declaraties: p
            .claims
            .into_iter()
            .map(|m| LoketMaand {
                maand: m.month,
                regels: m.lines,
                bedrag_cent: m.amount_cents,
                afgewezen_regels: m.rejected_lines,
                afgewezen_cent: m.rejected_cents,
                boven_contracttarief: m.above_tariff,
            })
            .collect(),
        verantwoording: p
            .requests
            .into_iter()
            .map(|(r, s)| json!({"verzoekId": r.id, "titel": r.title, "deadline": r.deadline.to_string(), "stand": s.code()}))
            .collect(),
    }))
}
