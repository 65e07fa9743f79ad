//! `/gemeenten` and `/jeugdregios`: the CBS reference data, readable by every signed-in user.

use super::pagination::{page, single_page, PageQuery, PageResponse};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::Json;
use samenspel_domain::{MunicipalityCode, YouthRegionCode};
use samenspel_store::reference::{MunicipalityFilter, MunicipalityRow, YouthRegionRow};
use serde::{Deserialize, Serialize};

/// A municipality from the CBS reference data (Bron: CBS, CC BY 4.0).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Gemeente {
    /// CBS code, `GM` plus four digits.
    #[schema(example = "GM0518")]
    pub code: String,
    /// The four digits as used in iJw/iWmo messages.
    #[schema(example = "0518")]
    pub gemeentecode: String,
    #[schema(example = "'s-Gravenhage")]
    pub naam: String,
    pub provinciecode: String,
    pub provincie: String,
    /// Inhabitants on 1 January of `peiljaar`.
    pub inwoners: i64,
    pub peiljaar: i32,
    /// False when a newer CBS year no longer lists it (merged).
    pub actueel: bool,
}

impl From<MunicipalityRow> for Gemeente {
    fn from(m: MunicipalityRow) -> Self {
        Gemeente {
            gemeentecode: m.code.trim_start_matches("GM").to_string(),
            code: m.code,
            naam: m.name,
            provinciecode: m.province_code,
            provincie: m.province_name,
            inwoners: m.inhabitants,
            peiljaar: m.reference_year,
            actueel: m.current,
        }
    }
}

/// A CBS youth-care region (jeugdregio).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Jeugdregio {
    #[schema(example = "JZ24")]
    pub code: String,
    pub naam: String,
    pub indelingsjaar: i32,
    pub aantal_gemeenten: i64,
    pub inwoners: i64,
    /// CBS codes of the members (only on the single resource).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gemeenten: Option<Vec<String>>,
}

impl From<YouthRegionRow> for Jeugdregio {
    fn from(r: YouthRegionRow) -> Self {
        Jeugdregio {
            code: r.code,
            naam: r.name,
            indelingsjaar: r.classification_year,
            aantal_gemeenten: r.member_count,
            inwoners: r.inhabitants,
            gemeenten: None,
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct GemeentenQuery {
    /// Part of the name, case-insensitive.
    pub naam: Option<String>,
    /// Province code, e.g. PV28.
    pub provinciecode: Option<String>,
    /// Include municipalities that no longer exist (`true`).
    #[param(value_type = Option<bool>)]
    pub ook_opgeheven: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: PageQuery,
}

#[utoipa::path(get, path = "/gemeenten", tag = "referentie", params(GemeentenQuery, PageQuery),
    responses((status = 200, description = "Municipalities by name", body = super::pagination::Page<Gemeente>)))]
pub async fn list_municipalities(
    State(state): State<AppState>,
    _user: ApiUser,
    uri: Uri,
    Query(q): Query<GemeentenQuery>,
) -> AppResult<PageResponse<Gemeente>> {
    let request = q.page.request()?;
    let filter = MunicipalityFilter {
        name: q.naam.clone(),
        province_code: q.provinciecode.clone(),
        include_former: q.ook_opgeheven.as_deref() == Some("true"),
    };
    let paged = state.store.municipalities(&filter, request).await?;
    Ok(page(paged, request, &uri, Gemeente::from))
}

#[utoipa::path(get, path = "/gemeenten/{code}", tag = "referentie",
    params(("code" = String, Path, description = "CBS code (GM0518) or the four digits")),
    responses((status = 200, body = Gemeente)))]
pub async fn get_municipality(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(code): Path<String>,
) -> AppResult<Json<Gemeente>> {
    let code = MunicipalityCode::parse(&code).map_err(|_| AppError::not_found())?;
    let row = state.store.municipality(&code).await?.ok_or_else(AppError::not_found)?;
    Ok(Json(row.into()))
}

#[utoipa::path(get, path = "/jeugdregios", tag = "referentie", params(PageQuery),
    responses((status = 200, body = super::pagination::Page<Jeugdregio>)))]
pub async fn list_youth_regions(
    State(state): State<AppState>,
    _user: ApiUser,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Jeugdregio>> {
    let request = q.request()?;
    let all: Vec<Jeugdregio> = state.store.youth_regions().await?.into_iter().map(Jeugdregio::from).collect();
    Ok(single_page(all, request, &uri))
}

#[utoipa::path(get, path = "/jeugdregios/{code}", tag = "referentie",
    params(("code" = String, Path, description = "CBS code such as JZ24")),
    responses((status = 200, body = Jeugdregio)))]
pub async fn get_youth_region(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(code): Path<String>,
) -> AppResult<Json<Jeugdregio>> {
    let code = YouthRegionCode::parse(&code).map_err(|_| AppError::not_found())?;
    let (region, members) = state.store.youth_region(&code).await?.ok_or_else(AppError::not_found)?;
    let mut out = Jeugdregio::from(region);
    out.gemeenten = Some(members.into_iter().map(|m| m.code).collect());
    Ok(Json(out))
}
