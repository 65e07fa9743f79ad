//! `/regios/{code}/contracten`: contracts and their tariffs. Members see the region's
//! contracts; a provider only its own; only region admins change them.

use super::json::ApiJson;
use super::pagination::{single_page, PageQuery, PageResponse};
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::input::{self, TariffText};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_domain::access::RegionAccess;
use samenspel_domain::procurement::parse_percentage;
use samenspel_domain::{Cents, Invalid};
use samenspel_store::contracts::{ContractRow, TariffRow};
use serde::{Deserialize, Serialize};

/// A contract: provider × lot × period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    pub id: i64,
    pub aanbieder_id: i64,
    pub aanbieder: String,
    pub perceel_id: i64,
    pub perceel: String,
    #[schema(format = Date)]
    pub begindatum: String,
    /// Last day (inclusive).
    #[schema(format = Date)]
    pub einddatum: Option<String>,
    /// `concept`, `actief`, `opgeschort` or `beeindigd`.
    pub status: String,
    /// Reference, for instance the TenderNed or Mercell dossier.
    pub kenmerk: Option<String>,
}

impl From<ContractRow> for Contract {
    fn from(c: ContractRow) -> Self {
        Contract {
            id: c.id,
            aanbieder_id: c.provider_id,
            aanbieder: c.provider_name,
            perceel_id: c.lot_id,
            perceel: c.lot_name,
            begindatum: c.starts_on.to_string(),
            einddatum: c.ends_on.map(|d| d.to_string()),
            status: c.status,
            kenmerk: c.reference,
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ContractInvoer {
    pub aanbieder_id: Option<i64>,
    pub perceel_id: Option<i64>,
    #[schema(format = Date)]
    pub begindatum: Option<String>,
    #[schema(format = Date)]
    pub einddatum: Option<String>,
    pub status: Option<String>,
    pub kenmerk: Option<String>,
}

/// The cost build-up of a tariff per unit, in euro cents; the parts add up to the tariff.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Kostenopbouw {
    pub personeel_cent: i64,
    pub overhead_cent: i64,
    pub improductief_cent: i64,
    pub reis_en_scholing_cent: i64,
    pub indexatie_cent: i64,
    /// Other costs, reporting included.
    pub overig_cent: i64,
}

/// A tariff per product and year; with `gemeentecode`, a member's own tariff (convoy).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tarief {
    pub id: i64,
    pub product_id: i64,
    pub productcode: Option<String>,
    pub productcategorie: String,
    pub product: String,
    pub jaar: i32,
    pub gemeentecode: Option<String>,
    pub bedrag_cent: i64,
    pub eenheid: String,
    pub kostenopbouw: Option<Kostenopbouw>,
}

impl From<TariffRow> for Tarief {
    fn from(t: TariffRow) -> Self {
        let opbouw = t.build_up().map(|b| Kostenopbouw {
            personeel_cent: b.staff.0,
            overhead_cent: b.overhead.0,
            improductief_cent: b.non_productive.0,
            reis_en_scholing_cent: b.travel_and_training.0,
            indexatie_cent: b.indexation.0,
            overig_cent: b.other.0,
        });
        Tarief {
            id: t.id,
            product_id: t.product_id,
            productcode: t.product_code,
            productcategorie: t.product_category,
            product: t.product_name,
            jaar: t.year,
            gemeentecode: t.municipality_code,
            bedrag_cent: t.amount_cents,
            eenheid: t.unit,
            kostenopbouw: opbouw,
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct TariefInvoer {
    pub product_id: Option<i64>,
    pub jaar: Option<i32>,
    pub gemeentecode: Option<String>,
    pub bedrag_cent: Option<i64>,
    pub eenheid: Option<String>,
    pub kostenopbouw: Option<Kostenopbouw>,
}

/// Index this year's tariffs into the next year.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Indexatie {
    /// The year whose tariffs are indexed into the next.
    pub jaar: Option<i32>,
    /// Percentage, at most two decimals, e.g. `"3,25"`.
    pub percentage: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IndexatieResultaat {
    /// Tariffs created for the next year.
    pub aangemaakt: usize,
    /// Tariffs not carried over because the rules no longer allow them (product left the lot,
    /// member no longer in convoy or no longer a member).
    pub overgeslagen: usize,
}

/// A contract the viewer may see; a provider's contract is invisible to other providers.
pub async fn visible_contract(
    state: &AppState,
    access: &RegionAccess,
    region_id: i64,
    id: i64,
) -> AppResult<ContractRow> {
    let contract = state.store.contract(region_id, id).await?;
    if !access.can_view_contracts_of(contract.provider_id) {
        return Err(AppError::not_found());
    }
    Ok(contract)
}

#[utoipa::path(get, path = "/regios/{code}/contracten", tag = "inkoop", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Contract>)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Contract>> {
    let request = q.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    let items = state
        .store
        .contracts(region.id, None)
        .await?
        .into_iter()
        .filter(|c| access.can_view_contracts_of(c.provider_id))
        .map(Contract::from)
        .collect();
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(get, path = "/regios/{code}/contracten/{id}", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Contract)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Contract>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    Ok(Json(visible_contract(&state, &access, region.id, id).await?.into()))
}

fn contract_input(
    b: &ContractInvoer,
    current: Option<&ContractRow>,
) -> Result<samenspel_store::contracts::ContractDetails, Invalid> {
    let id = |v: Option<i64>, old: Option<i64>| v.or(old).map(|i| i.to_string()).unwrap_or_default();
    let pick = |v: &Option<String>, old: Option<String>| v.clone().or(old).unwrap_or_default();
    input::contract(
        &id(b.aanbieder_id, current.map(|c| c.provider_id)),
        &id(b.perceel_id, current.map(|c| c.lot_id)),
        &pick(&b.begindatum, current.map(|c| c.starts_on.to_string())),
        &pick(&b.einddatum, current.and_then(|c| c.ends_on.map(|d| d.to_string()))),
        &pick(&b.status, current.map(|c| c.status.clone()).or(Some("actief".into()))),
        &pick(&b.kenmerk, current.and_then(|c| c.reference.clone())),
    )
}

#[utoipa::path(post, path = "/regios/{code}/contracten", tag = "inkoop", params(("code" = String, Path)), request_body = ContractInvoer,
    responses((status = 201, body = Contract),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<ContractInvoer>,
) -> AppResult<(StatusCode, Json<Contract>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let details = body.check(|b| contract_input(b, None))?;
    let row = state.store.create_contract(region.id, &details, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(patch, path = "/regios/{code}/contracten/{id}", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = ContractInvoer,
    responses((status = 200, body = Contract),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<ContractInvoer>,
) -> AppResult<Json<Contract>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let current = visible_contract(&state, &access, region.id, id).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let details = body.check(|b| contract_input(b, Some(&current)))?;
    Ok(Json(state.store.update_contract(region.id, id, &details, &user.actor("api")).await?.into()))
}

#[utoipa::path(get, path = "/regios/{code}/contracten/{id}/tarieven", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Tarief>)))]
pub async fn tariffs(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Tarief>> {
    let request = q.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    visible_contract(&state, &access, region.id, id).await?;
    let items = state.store.tariffs(id).await?.into_iter().map(Tarief::from).collect();
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(post, path = "/regios/{code}/contracten/{id}/tarieven", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = TariefInvoer,
    responses((status = 201, body = Tarief),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn add_tariff(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<TariefInvoer>,
) -> AppResult<(StatusCode, Json<Tarief>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    visible_contract(&state, &access, region.id, id).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let details = body.check(|b| {
        let euros = |c: Option<i64>| c.map(|c| Cents(c).to_string()).unwrap_or_default();
        let parts: [String; 6] = match &b.kostenopbouw {
            Some(k) => [
                k.personeel_cent,
                k.overhead_cent,
                k.improductief_cent,
                k.reis_en_scholing_cent,
                k.indexatie_cent,
                k.overig_cent,
            ]
            .map(|c| euros(Some(c))),
            None => Default::default(),
        };
        input::tariff(&TariffText {
            product: &b.product_id.map(|p| p.to_string()).unwrap_or_default(),
            jaar: &b.jaar.map(|j| j.to_string()).unwrap_or_default(),
            gemeentecode: b.gemeentecode.as_deref().unwrap_or(""),
            bedrag: &euros(b.bedrag_cent),
            eenheid: b.eenheid.as_deref().unwrap_or(""),
            opbouw: [&parts[0], &parts[1], &parts[2], &parts[3], &parts[4], &parts[5]],
        })
    })?;
    let row = state.store.add_tariff(region.id, id, &details, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(delete, path = "/regios/{code}/contracten/{id}/tarieven/{tarief_id}", tag = "inkoop",
    params(("code" = String, Path), ("id" = i64, Path), ("tarief_id" = i64, Path)),
    responses((status = 204, description = "Removed"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_tariff(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id, tariff)): Path<(String, i64, i64)>,
) -> AppResult<StatusCode> {
    let (region, access) = region_for(&state, &user, &code).await?;
    visible_contract(&state, &access, region.id, id).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    state.store.remove_tariff(region.id, id, tariff, &user.actor("api")).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/regios/{code}/contracten/{id}/_indexeer", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = Indexatie,
    responses((status = 200, body = IndexatieResultaat), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn index(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<Indexatie>,
) -> AppResult<Json<IndexatieResultaat>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    visible_contract(&state, &access, region.id, id).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let (year, bp) = body.check(|b| {
        let mut invalid = Invalid::new();
        let year = match b.jaar {
            None => {
                invalid.push("jaar", "required", "Noem het jaar waarvan de tarieven geïndexeerd worden.");
                None
            }
            Some(y) => invalid.check("jaar", samenspel_domain::figures::check_year(i64::from(y))),
        };
        let bp = invalid.check("percentage", parse_percentage(b.percentage.as_deref().unwrap_or("")));
        match (year, bp) {
            (Some(y), Some(bp)) => Ok((y, bp)),
            _ => Err(invalid),
        }
    })?;
    let outcome = state.store.index_tariffs(region.id, id, year, bp, &user.actor("api")).await?;
    Ok(Json(IndexatieResultaat { aangemaakt: outcome.made, overgeslagen: outcome.skipped }))
}
