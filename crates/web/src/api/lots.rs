//! `/regios/{code}/percelen`: lots, their members' forms of collaboration (and the matrix of
//! them), steering choices in versions, and the conditions of open admission.

use super::json::ApiJson;
use super::pagination::{single_page, PageQuery, PageResponse};
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::input::{self, SteeringText};
use crate::procurement::matrix;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_domain::nl::parse_date;
use samenspel_domain::validation::required_text;
use samenspel_domain::Invalid;
use samenspel_store::lots::{ConditionRow, LotRow, ParticipationRow, SteeringRow};
use serde::{Deserialize, Serialize};

/// A lot (perceel).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Perceel {
    pub id: i64,
    pub naam: String,
    pub omschrijving: Option<String>,
    /// `open-house`, `aanbesteding`, `subsidie` or `inbesteding`.
    pub route: String,
    #[schema(format = Date)]
    pub begindatum: String,
    /// Last day (inclusive); absent when open-ended.
    #[schema(format = Date)]
    pub einddatum: Option<String>,
    /// Open house: conditions published and applications accepted.
    pub toelating_open: bool,
    /// Ids of the catalogue products in this lot.
    pub producten: Vec<i64>,
}

async fn perceel(state: &AppState, lot: LotRow) -> AppResult<Perceel> {
    let products = state.store.lot_products(lot.id).await?.into_iter().map(|p| p.id).collect();
    Ok(Perceel {
        id: lot.id,
        naam: lot.name,
        omschrijving: lot.description,
        route: lot.route,
        begindatum: lot.starts_on.to_string(),
        einddatum: lot.ends_on.map(|d| d.to_string()),
        toelating_open: lot.admission_open,
        producten: products,
    })
}

/// A lot to create or change; on PATCH absent fields stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct PerceelInvoer {
    pub naam: Option<String>,
    pub omschrijving: Option<String>,
    pub route: Option<String>,
    #[schema(format = Date)]
    pub begindatum: Option<String>,
    #[schema(format = Date)]
    pub einddatum: Option<String>,
    pub producten: Option<Vec<i64>>,
    /// Open or close the lot for admission (open house with conditions only).
    pub toelating_open: Option<bool>,
}

/// A member's form of collaboration in a lot from a date on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Samenwerkingsvorm {
    pub id: i64,
    pub perceel_id: i64,
    pub gemeentecode: String,
    /// `bus`, `konvooi`, `meelift` or `lokaal`.
    pub vorm: String,
    #[schema(format = Date)]
    pub vanaf: String,
    pub reden: Option<String>,
}

impl From<ParticipationRow> for Samenwerkingsvorm {
    fn from(p: ParticipationRow) -> Self {
        Samenwerkingsvorm {
            id: p.id,
            perceel_id: p.lot_id,
            gemeentecode: p.municipality_code,
            vorm: p.form,
            vanaf: p.valid_from.to_string(),
            reden: p.reason,
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct SamenwerkingsvormInvoer {
    pub gemeentecode: Option<String>,
    pub vorm: Option<String>,
    #[schema(format = Date)]
    pub vanaf: Option<String>,
    pub reden: Option<String>,
}

/// One row of the matrix: a member's form in each lot, in the order of `percelen`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MatrixRij {
    pub gemeentecode: String,
    pub gemeente: String,
    /// Per lot: `bus`, `konvooi`, `meelift`, `lokaal`, or null when nothing is recorded.
    pub vormen: Vec<Option<String>>,
}

/// Members × lots on a day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Samenwerkingsmatrix {
    #[schema(format = Date)]
    pub datum: String,
    /// Lot ids and names, the columns.
    pub percelen: Vec<MatrixPerceel>,
    pub rijen: Vec<MatrixRij>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MatrixPerceel {
    pub id: i64,
    pub naam: String,
}

/// One version of a lot's steering choices.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sturing {
    pub id: i64,
    #[schema(format = Date)]
    pub vanaf: String,
    pub reden: String,
    /// Access: who refers (`gemeente`, `huisarts`, `jeugdarts`, `gi`, `medisch-specialist`, `zelfverwijzer`, `rechter`).
    pub verwijzers: Vec<String>,
    pub uitvoeringsvariant: String,
    /// For task-based funding, in euro cents.
    pub budgetplafond_cent: Option<i64>,
    /// `maand`, `kwartaal`, `halfjaar` or `jaar`.
    pub frequentie: String,
    pub indicator_volume: Option<String>,
    pub indicator_geld: Option<String>,
    pub indicator_kwaliteit: Option<String>,
    pub pilot: bool,
    #[schema(format = Date)]
    pub evaluatiedatum: Option<String>,
    pub vastgelegd_door: String,
}

impl From<SteeringRow> for Sturing {
    fn from(s: SteeringRow) -> Self {
        Sturing {
            verwijzers: s.referrers().iter().map(|r| r.code().to_string()).collect(),
            id: s.id,
            vanaf: s.valid_from.to_string(),
            reden: s.reason,
            uitvoeringsvariant: s.funding_variant,
            budgetplafond_cent: s.budget_ceiling_cents,
            frequentie: s.cadence,
            indicator_volume: s.indicator_volume,
            indicator_geld: s.indicator_money,
            indicator_kwaliteit: s.indicator_quality,
            pilot: s.pilot,
            evaluatiedatum: s.evaluation_on.map(|d| d.to_string()),
            vastgelegd_door: s.created_by,
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct SturingInvoer {
    pub verwijzers: Option<Vec<String>>,
    pub uitvoeringsvariant: Option<String>,
    pub budgetplafond_cent: Option<i64>,
    pub frequentie: Option<String>,
    pub indicator_volume: Option<String>,
    pub indicator_geld: Option<String>,
    pub indicator_kwaliteit: Option<String>,
    pub pilot: Option<bool>,
    #[schema(format = Date)]
    pub evaluatiedatum: Option<String>,
    #[schema(format = Date)]
    pub vanaf: Option<String>,
    /// Why these choices (or this change); required.
    pub reden: Option<String>,
}

/// A condition of open admission.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Voorwaarde {
    pub id: i64,
    pub volgnummer: i32,
    pub tekst: String,
}

impl From<ConditionRow> for Voorwaarde {
    fn from(c: ConditionRow) -> Self {
        Voorwaarde { id: c.id, volgnummer: c.position, tekst: c.text }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct VoorwaardeInvoer {
    pub tekst: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DatumQuery {
    /// The day to show (default: today).
    #[param(value_type = Option<String>, format = Date)]
    pub datum: Option<String>,
}

#[utoipa::path(get, path = "/regios/{code}/percelen", tag = "inkoop", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Perceel>)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Perceel>> {
    let request = q.request()?;
    let (region, _) = region_for(&state, &user, &code).await?;
    let mut items = Vec::new();
    for lot in state.store.lots(region.id).await? {
        items.push(perceel(&state, lot).await?);
    }
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(get, path = "/regios/{code}/percelen/{id}", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Perceel)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Perceel>> {
    let (region, _) = region_for(&state, &user, &code).await?;
    let lot = state.store.lot(region.id, id).await?;
    Ok(Json(perceel(&state, lot).await?))
}

#[utoipa::path(post, path = "/regios/{code}/percelen", tag = "inkoop", params(("code" = String, Path)), request_body = PerceelInvoer,
    responses((status = 201, body = Perceel),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<PerceelInvoer>,
) -> AppResult<(StatusCode, Json<Perceel>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let details = body.check(|b| {
        let products: Vec<String> = b.producten.iter().flatten().map(|p| p.to_string()).collect();
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        input::lot_details(
            &o(&b.naam),
            &o(&b.omschrijving),
            &o(&b.route),
            &o(&b.begindatum),
            &o(&b.einddatum),
            &products,
        )
    })?;
    let lot = state.store.create_lot(region.id, &details, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(perceel(&state, lot).await?)))
}

#[utoipa::path(patch, path = "/regios/{code}/percelen/{id}", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = PerceelInvoer,
    responses((status = 200, body = Perceel),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<PerceelInvoer>,
) -> AppResult<Json<Perceel>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let lot = state.store.lot(region.id, id).await?;
    let current_products: Vec<String> = state.store.lot_products(id).await?.iter().map(|p| p.id.to_string()).collect();
    let (details, open) = body.check(|b| {
        let products: Vec<String> = match &b.producten {
            Some(p) => p.iter().map(|p| p.to_string()).collect(),
            None => current_products.clone(),
        };
        let pick = |v: &Option<String>, old: Option<String>| v.clone().or(old).unwrap_or_default();
        let details = input::lot_details(
            &pick(&b.naam, Some(lot.name.clone())),
            &pick(&b.omschrijving, lot.description.clone()),
            &pick(&b.route, Some(lot.route.clone())),
            &pick(&b.begindatum, Some(lot.starts_on.to_string())),
            &pick(&b.einddatum, lot.ends_on.map(|d| d.to_string())),
            &products,
        )?;
        Ok((details, b.toelating_open))
    })?;
    let updated = state.store.update_lot(region.id, id, &details, open, &user.actor("api")).await?;
    Ok(Json(perceel(&state, updated).await?))
}

#[utoipa::path(get, path = "/regios/{code}/percelen/{id}/samenwerkingsvormen", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path), PageQuery),
    responses((status = 200, description = "The whole history, per member by date", body = super::pagination::Page<Samenwerkingsvorm>)))]
pub async fn forms(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Samenwerkingsvorm>> {
    let request = q.request()?;
    let (region, _) = region_for(&state, &user, &code).await?;
    state.store.lot(region.id, id).await?;
    let items = state
        .store
        .participation(region.id)
        .await?
        .into_iter()
        .filter(|p| p.lot_id == id)
        .map(Samenwerkingsvorm::from)
        .collect();
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(post, path = "/regios/{code}/percelen/{id}/samenwerkingsvormen", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = SamenwerkingsvormInvoer,
    responses((status = 201, body = Samenwerkingsvorm), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn set_form(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<SamenwerkingsvormInvoer>,
) -> AppResult<(StatusCode, Json<Samenwerkingsvorm>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let change = body.check(|b| {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        input::form_change(&o(&b.gemeentecode), &o(&b.vorm), &o(&b.vanaf), &o(&b.reden))
    })?;
    let row = state.store.set_participation(region.id, id, &change, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/regios/{code}/samenwerkingsmatrix", tag = "inkoop", params(("code" = String, Path), DatumQuery),
    responses((status = 200, body = Samenwerkingsmatrix)))]
pub async fn collaboration_matrix(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    Query(q): Query<DatumQuery>,
) -> AppResult<Json<Samenwerkingsmatrix>> {
    let (region, _) = region_for(&state, &user, &code).await?;
    let day = match q.datum.as_deref() {
        Some(d) => parse_date(d).map_err(|e| AppError::invalid(Invalid::single("datum", &e.code, e.reason)))?,
        None => samenspel_store::today(),
    };
    let m = matrix(&state, &region, day).await?;
    Ok(Json(Samenwerkingsmatrix {
        datum: m.day.to_string(),
        percelen: m.lots.iter().map(|l| MatrixPerceel { id: l.id, naam: l.name.clone() }).collect(),
        rijen: m
            .rows
            .into_iter()
            .map(|r| MatrixRij {
                gemeentecode: r.municipality_code,
                gemeente: r.municipality_name,
                vormen: r.forms.into_iter().map(|f| f.map(|f| f.code().to_string())).collect(),
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/regios/{code}/percelen/{id}/sturing", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path), PageQuery),
    responses((status = 200, description = "Versions, newest first", body = super::pagination::Page<Sturing>)))]
pub async fn steering(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Sturing>> {
    let request = q.request()?;
    let (region, _) = region_for(&state, &user, &code).await?;
    state.store.lot(region.id, id).await?;
    let items = state.store.steering_history(id).await?.into_iter().map(Sturing::from).collect();
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(post, path = "/regios/{code}/percelen/{id}/sturing", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = SturingInvoer,
    responses((status = 201, body = Sturing), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn add_steering(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<SturingInvoer>,
) -> AppResult<(StatusCode, Json<Sturing>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let (choices, valid_from, reason) = body.check(|b| {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let ceiling = b.budgetplafond_cent.map(|c| samenspel_domain::Cents(c).to_string()).unwrap_or_default();
        let referrers = b.verwijzers.clone().unwrap_or_default();
        input::steering(&SteeringText {
            verwijzers: &referrers,
            uitvoeringsvariant: &o(&b.uitvoeringsvariant),
            budgetplafond: &ceiling,
            frequentie: &o(&b.frequentie),
            indicator_volume: &o(&b.indicator_volume),
            indicator_geld: &o(&b.indicator_geld),
            indicator_kwaliteit: &o(&b.indicator_kwaliteit),
            pilot: b.pilot.unwrap_or(false),
            evaluatiedatum: &o(&b.evaluatiedatum),
            vanaf: &o(&b.vanaf),
            reden: &o(&b.reden),
        })
    })?;
    let row = state.store.add_steering(region.id, id, &choices, valid_from, &reason, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/regios/{code}/percelen/{id}/voorwaarden", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Voorwaarde>)))]
pub async fn conditions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Voorwaarde>> {
    let request = q.request()?;
    let (region, _) = region_for(&state, &user, &code).await?;
    state.store.lot(region.id, id).await?;
    let items = state.store.conditions(id).await?.into_iter().map(Voorwaarde::from).collect();
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(post, path = "/regios/{code}/percelen/{id}/voorwaarden", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = VoorwaardeInvoer,
    responses((status = 201, body = Voorwaarde), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn add_condition(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<VoorwaardeInvoer>,
) -> AppResult<(StatusCode, Json<Voorwaarde>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let text = body.check(|b| {
        let mut invalid = Invalid::new();
        invalid.check("tekst", required_text(b.tekst.as_deref().unwrap_or(""), 3, 1000)).ok_or(invalid)
    })?;
    let row = state.store.add_condition(region.id, id, &text, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(delete, path = "/regios/{code}/percelen/{id}/voorwaarden/{voorwaarde_id}", tag = "inkoop",
    params(("code" = String, Path), ("id" = i64, Path), ("voorwaarde_id" = i64, Path)),
    responses((status = 204, description = "Removed"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_condition(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id, condition)): Path<(String, i64, i64)>,
) -> AppResult<StatusCode> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    state.store.remove_condition(region.id, id, condition, &user.actor("api")).await?;
    Ok(StatusCode::NO_CONTENT)
}
