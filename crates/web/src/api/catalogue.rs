//! `/productcategorieen`, `/productcodes` (the national lists) and `/regios/{code}/producten`
//! (the region's catalogue).

use super::json::ApiJson;
use super::pagination::{page, single_page, PageQuery, PageResponse};
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::input::{self, ProductText};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_domain::procurement::Law;
use samenspel_store::catalogue::{NationalProductRow, ProductRow};
use serde::{Deserialize, Serialize};

/// A national product category.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Productcategorie {
    /// `jeugd` or `wmo`.
    pub wet: String,
    #[schema(example = "45")]
    pub code: String,
    pub omschrijving: String,
}

/// A code of the national product code list (021).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Productcode {
    pub wet: String,
    #[schema(example = "45A03")]
    pub code: String,
    pub omschrijving: String,
    /// The category the code states, where it does.
    pub categorie: Option<String>,
    /// Which copy of the list (and how old it is).
    pub lijst: String,
}

impl From<NationalProductRow> for Productcode {
    fn from(p: NationalProductRow) -> Self {
        Productcode { wet: p.law, code: p.code, omschrijving: p.description, categorie: p.category, lijst: p.list_name }
    }
}

/// A product in the region's catalogue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: i64,
    pub wet: String,
    pub categorie: String,
    /// Absent for an aspecific product (category only).
    pub code: Option<String>,
    pub naam: String,
    /// WJ756 unit code: 01 minuut, 04 uur, 14 etmaal, 16 dagdeel, 82/84 stuks, 83 euro's.
    pub eenheid: String,
    /// `inspanningsgericht`, `outputgericht` or `taakgericht`.
    pub uitvoeringsvariant: String,
    /// On the national code list (false: the region's own code).
    pub landelijk: bool,
    pub actief: bool,
}

impl From<ProductRow> for Product {
    fn from(p: ProductRow) -> Self {
        Product {
            id: p.id,
            wet: p.law,
            categorie: p.category,
            code: p.code,
            naam: p.name,
            eenheid: p.unit,
            uitvoeringsvariant: p.funding_variant,
            landelijk: p.national,
            actief: p.active,
        }
    }
}

/// A product to add; on PATCH absent fields stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ProductInvoer {
    pub wet: Option<String>,
    pub categorie: Option<String>,
    pub code: Option<String>,
    pub naam: Option<String>,
    pub eenheid: Option<String>,
    pub uitvoeringsvariant: Option<String>,
    /// A code of the region's own, not on the national list.
    pub eigen_code: Option<bool>,
    pub actief: Option<bool>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CodesQuery {
    /// `jeugd` or `wmo`.
    pub wet: Option<String>,
    /// Two-digit category.
    pub categorie: Option<String>,
    /// Part of the code or description.
    pub zoek: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: PageQuery,
}

fn law_of(value: Option<&str>) -> Result<Option<Law>, AppError> {
    value
        .filter(|v| !v.is_empty())
        .map(Law::parse)
        .transpose()
        .map_err(|e| AppError::invalid(samenspel_domain::Invalid::single("wet", &e.code, e.reason)))
}

#[utoipa::path(get, path = "/productcategorieen", tag = "inkoop", params(("wet" = Option<String>, Query), PageQuery),
    responses((status = 200, body = super::pagination::Page<Productcategorie>)))]
pub async fn categories(
    State(state): State<AppState>,
    _user: ApiUser,
    uri: Uri,
    Query(q): Query<CodesQuery>,
) -> AppResult<PageResponse<Productcategorie>> {
    let request = q.page.request()?;
    let rows = state.store.product_categories(law_of(q.wet.as_deref())?).await?;
    let items = rows.into_iter().map(|c| Productcategorie { wet: c.law, code: c.code, omschrijving: c.name }).collect();
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(get, path = "/productcodes", tag = "inkoop", params(CodesQuery, PageQuery),
    responses((status = 200, body = super::pagination::Page<Productcode>)))]
pub async fn codes(
    State(state): State<AppState>,
    _user: ApiUser,
    uri: Uri,
    Query(q): Query<CodesQuery>,
) -> AppResult<PageResponse<Productcode>> {
    let request = q.page.request()?;
    let paged = state
        .store
        .national_products(law_of(q.wet.as_deref())?, q.categorie.as_deref(), q.zoek.as_deref(), request)
        .await?;
    Ok(page(paged, request, &uri, Productcode::from))
}

#[utoipa::path(get, path = "/regios/{code}/producten", tag = "inkoop", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Product>)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Product>> {
    let request = q.request()?;
    let (region, _) = region_for(&state, &user, &code).await?;
    let items = state.store.products(region.id, true).await?.into_iter().map(Product::from).collect();
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(get, path = "/regios/{code}/producten/{id}", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Product)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Product>> {
    let (region, _) = region_for(&state, &user, &code).await?;
    Ok(Json(state.store.product(region.id, id).await?.into()))
}

fn text<'a>(b: &'a ProductInvoer, current: Option<&'a ProductRow>) -> ProductText<'a> {
    let pick = |v: &'a Option<String>, old: Option<&'a str>| v.as_deref().or(old).unwrap_or("");
    ProductText {
        wet: pick(&b.wet, current.map(|c| c.law.as_str())),
        categorie: pick(&b.categorie, current.map(|c| c.category.as_str())),
        code: pick(&b.code, current.and_then(|c| c.code.as_deref())),
        naam: pick(&b.naam, current.map(|c| c.name.as_str())),
        eenheid: pick(&b.eenheid, current.map(|c| c.unit.as_str())),
        uitvoeringsvariant: pick(&b.uitvoeringsvariant, current.map(|c| c.funding_variant.as_str())),
        eigen_code: b.eigen_code.unwrap_or(current.is_some_and(|c| !c.national && c.code.is_some())),
        actief: b.actief.unwrap_or(current.is_none_or(|c| c.active)),
    }
}

#[utoipa::path(post, path = "/regios/{code}/producten", tag = "inkoop", params(("code" = String, Path)), request_body = ProductInvoer,
    responses((status = 201, body = Product),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<ProductInvoer>,
) -> AppResult<(StatusCode, Json<Product>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let details = body.check(|b| input::product_details(&text(b, None)))?;
    let row = state.store.create_product(region.id, &details, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(patch, path = "/regios/{code}/producten/{id}", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = ProductInvoer,
    responses((status = 200, body = Product),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<ProductInvoer>,
) -> AppResult<Json<Product>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let current = state.store.product(region.id, id).await?;
    let details = body.check(|b| input::product_details(&text(b, Some(&current))))?;
    Ok(Json(state.store.update_product(region.id, id, &details, &user.actor("api")).await?.into()))
}
