//! `/regios/{code}/aanbieders`: the care providers registered in a region.

use super::json::ApiJson;
use super::pagination::{page, PageQuery, PageResponse};
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::input::{self, ProviderText};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_store::providers::ProviderRow;
use serde::{Deserialize, Serialize};

/// A care provider in the region's register.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Aanbieder {
    pub id: i64,
    pub naam: String,
    /// AGB code (8 digits).
    pub agb_code: Option<String>,
    /// Chamber of Commerce number (8 digits).
    pub kvk_nummer: Option<String>,
    pub plaats: Option<String>,
    pub email: Option<String>,
    pub telefoon: Option<String>,
    pub actief: bool,
}

impl From<ProviderRow> for Aanbieder {
    fn from(p: ProviderRow) -> Self {
        Aanbieder {
            id: p.id,
            naam: p.name,
            agb_code: p.agb_code,
            kvk_nummer: p.kvk_number,
            plaats: p.city,
            email: p.email,
            telefoon: p.phone,
            actief: p.active,
        }
    }
}

/// A provider's details. On PATCH absent fields stay as they are; a provider may change
/// only its own `email` and `telefoon`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AanbiederInvoer {
    pub naam: Option<String>,
    pub agb_code: Option<String>,
    pub kvk_nummer: Option<String>,
    pub plaats: Option<String>,
    pub email: Option<String>,
    pub telefoon: Option<String>,
    pub actief: Option<bool>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AanbiedersQuery {
    /// Include providers that are no longer active (`true`).
    #[param(value_type = Option<bool>)]
    pub ook_inactief: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: PageQuery,
}

#[utoipa::path(get, path = "/regios/{code}/aanbieders", tag = "aanbieders", params(("code" = String, Path), AanbiedersQuery, PageQuery),
    responses((status = 200, body = super::pagination::Page<Aanbieder>)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<AanbiedersQuery>,
) -> AppResult<PageResponse<Aanbieder>> {
    let request = q.page.request()?;
    let (region, _) = region_for(&state, &user, &code).await?;
    let paged = state.store.providers(region.id, q.ook_inactief.as_deref() == Some("true"), request).await?;
    Ok(page(paged, request, &uri, Aanbieder::from))
}

#[utoipa::path(get, path = "/regios/{code}/aanbieders/{id}", tag = "aanbieders", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Aanbieder)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Aanbieder>> {
    let (region, _) = region_for(&state, &user, &code).await?;
    Ok(Json(state.store.provider(region.id, id).await?.into()))
}

#[utoipa::path(post, path = "/regios/{code}/aanbieders", tag = "aanbieders", params(("code" = String, Path)), request_body = AanbiederInvoer,
    responses((status = 201, body = Aanbieder),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<AanbiederInvoer>,
) -> AppResult<(StatusCode, Json<Aanbieder>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_providers() {
        return Err(AppError::forbidden());
    }
    let details = body.check(|b| {
        input::provider_details(&ProviderText {
            naam: b.naam.as_deref().unwrap_or(""),
            agb_code: b.agb_code.as_deref().unwrap_or(""),
            kvk_nummer: b.kvk_nummer.as_deref().unwrap_or(""),
            plaats: b.plaats.as_deref().unwrap_or(""),
            email: b.email.as_deref().unwrap_or(""),
            telefoon: b.telefoon.as_deref().unwrap_or(""),
            actief: b.actief.unwrap_or(true),
        })
    })?;
    let row = state.store.create_provider(region.id, &details, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(patch, path = "/regios/{code}/aanbieders/{id}", tag = "aanbieders", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = AanbiederInvoer,
    responses((status = 200, body = Aanbieder),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<AanbiederInvoer>,
) -> AppResult<Json<Aanbieder>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let current = state.store.provider(region.id, id).await?;
    let actor = user.actor("api");
    let text = |v: &Option<String>, old: &Option<String>| v.clone().or_else(|| old.clone()).unwrap_or_default();
    if access.can_manage_providers() {
        let details = body.check(|b| {
            input::provider_details(&ProviderText {
                naam: b.naam.as_deref().unwrap_or(&current.name),
                agb_code: &text(&b.agb_code, &current.agb_code),
                kvk_nummer: &text(&b.kvk_nummer, &current.kvk_number),
                plaats: &text(&b.plaats, &current.city),
                email: &text(&b.email, &current.email),
                telefoon: &text(&b.telefoon, &current.phone),
                actief: b.actief.unwrap_or(current.active),
            })
        })?;
        return Ok(Json(state.store.update_provider(region.id, id, &details, &actor).await?.into()));
    }
    if !access.can_edit_provider_contact(id) {
        return Err(AppError::forbidden());
    }
    let contact = body.check(|b| {
        let registered = [
            ("naam", b.naam.is_some()),
            ("agbCode", b.agb_code.is_some()),
            ("kvkNummer", b.kvk_nummer.is_some()),
            ("plaats", b.plaats.is_some()),
            ("actief", b.actief.is_some()),
        ];
        let mut invalid = samenspel_domain::Invalid::new();
        for (name, _) in registered.iter().filter(|(_, sent)| *sent) {
            invalid.push(
                name,
                "forbidden",
                "Alleen de regio wijzigt dit gegeven; u kunt e-mail en telefoon aanpassen.",
            );
        }
        let contact = input::provider_contact(&text(&b.email, &current.email), &text(&b.telefoon, &current.phone));
        match contact {
            Ok(contact) if invalid.is_empty() => Ok(contact),
            Ok(_) => Err(invalid),
            Err(more) => {
                invalid.errors.extend(more.errors);
                Err(invalid)
            }
        }
    })?;
    Ok(Json(state.store.update_provider_contact(region.id, id, &contact, &actor).await?.into()))
}
