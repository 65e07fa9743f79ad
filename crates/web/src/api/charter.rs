//! `/regios/{code}/handvesten`: the versions of the region's partner charter (handvest).

use super::json::ApiJson;
use super::pagination::{single_page, PageQuery, PageResponse};
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_domain::charter::Charter;
use samenspel_domain::nl::parse_date;
use samenspel_domain::Invalid;
use samenspel_store::charter::CharterRow;
use serde::{Deserialize, Serialize};

/// A version of the charter.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Handvest {
    pub versie: i32,
    #[schema(format = Date)]
    pub geldig_vanaf: String,
    pub toelichting: Option<String>,
    pub vastgelegd_door: String,
    #[schema(format = DateTime)]
    pub vastgelegd_op: String,
    /// The document: `taken`, `besluitregels`, `voorzitter`, `uittreding` (docs/bestuur.md).
    #[schema(value_type = Object)]
    pub handvest: serde_json::Value,
}

fn handvest(row: CharterRow) -> AppResult<Handvest> {
    Ok(Handvest {
        versie: row.version,
        geldig_vanaf: row.valid_from.to_string(),
        handvest: serde_json::from_str(&row.document).map_err(AppError::internal)?,
        toelichting: row.reason,
        vastgelegd_door: row.created_by,
        vastgelegd_op: row
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(AppError::internal)?,
    })
}

/// A new version of the charter.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct HandvestInvoer {
    #[schema(format = Date)]
    pub geldig_vanaf: Option<String>,
    pub toelichting: Option<String>,
    #[schema(value_type = Object)]
    pub handvest: Option<serde_json::Value>,
}

#[utoipa::path(get, path = "/regios/{code}/handvesten", tag = "bestuur", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Handvest>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(page): Query<PageQuery>,
) -> AppResult<PageResponse<Handvest>> {
    let request = page.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_charter() {
        return Err(AppError::forbidden());
    }
    let items = state.store.charters(region.id).await?.into_iter().map(handvest).collect::<AppResult<Vec<_>>>()?;
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(post, path = "/regios/{code}/handvesten", tag = "bestuur", params(("code" = String, Path)),
    request_body = HandvestInvoer,
    responses((status = 201, body = Handvest),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<HandvestInvoer>,
) -> AppResult<(StatusCode, Json<Handvest>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_charter() {
        return Err(AppError::forbidden());
    }
    let (charter, day, reason) = body.check(|b| {
        let mut invalid = Invalid::new();
        let day = match b.geldig_vanaf.as_deref().map(parse_date) {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                invalid.push("geldigVanaf", &e.code, e.reason);
                None
            }
            None => {
                invalid.push("geldigVanaf", "required", "Geef de dag waarop deze versie ingaat.");
                None
            }
        };
        let charter = match &b.handvest {
            None => {
                invalid.push("handvest", "required", "Geef het handvest: taken, besluitregels en uittreding.");
                None
            }
            Some(value) => match serde_json::from_value::<Charter>(value.clone()) {
                Ok(c) => {
                    for p in c.problems() {
                        invalid.push("handvest", "charter", p);
                    }
                    Some(c)
                }
                Err(e) => {
                    invalid.push("handvest", "json", format!("Het handvest is onleesbaar: {e}"));
                    None
                }
            },
        };
        match (charter, day) {
            (Some(c), Some(d)) if invalid.is_empty() => Ok((c, d, b.toelichting.clone())),
            _ => Err(invalid),
        }
    })?;
    let members: Vec<String> = crate::risk_sharing::members_in(&state.store, region.id, day.year())
        .await?
        .into_iter()
        .map(|m| m.municipality_code)
        .collect();
    let outsiders = crate::pages::charter_outsiders(&charter, &members);
    if !outsiders.is_empty() {
        return Err(AppError::invalid(Invalid::single(
            "handvest",
            "member",
            format!(
                "{} is geen lid van de regio in {}; de voorzitter en vetohouders zijn leden",
                outsiders.join(", "),
                day.year()
            ),
        )));
    }
    // The first charter founds the collaboration; every later one is a decision under the
    // charter's own rule, taken through a proposal.
    let Some(row) =
        state.store.add_first_charter(region.id, &charter, day, reason.as_deref(), &user.actor("api")).await?
    else {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            format!(
                "Er geldt al een handvest. Een wijziging is een besluit volgens de regel voor het handvest: dien \
                 haar in als voorstel (POST /api/v1/regios/{}/voorstellen met soort handvest, het nieuwe handvest \
                 en handvestGeldigVanaf).",
                region.code
            ),
        ));
    };
    Ok((StatusCode::CREATED, Json(handvest(row)?)))
}
