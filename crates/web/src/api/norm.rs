//! `/regios/{code}/norm-zelfevaluaties`: self-assessments against the Norm voor
//! Opdrachtgeverschap.

use super::json::ApiJson;
use super::pagination::{single_page, PageQuery, PageResponse};
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_domain::nl::parse_date;
use samenspel_domain::norm::{check_answers, score, NormAnswer};
use samenspel_domain::Invalid;
use samenspel_store::norm::NormAssessmentRow;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NormAntwoord {
    /// The commitment (`regiovisie`, `beschikbaarheid`, ...; docs/bestuur.md).
    pub onderdeel: String,
    /// `ja`, `deels` or `nee`.
    pub antwoord: String,
    pub onderbouwing: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NormZelfevaluatie {
    pub id: i64,
    #[schema(format = Date)]
    pub datum: String,
    /// Yes 2, partly 1, no 0 points per commitment.
    pub punten: u32,
    pub maximum: u32,
    pub antwoorden: Vec<NormAntwoord>,
    pub vastgelegd_door: String,
}

fn view(row: NormAssessmentRow) -> AppResult<NormZelfevaluatie> {
    let answers = row.answers().map_err(AppError::internal)?;
    let (punten, maximum) = score(&answers);
    Ok(NormZelfevaluatie {
        id: row.id,
        datum: row.assessed_on.to_string(),
        punten,
        maximum,
        antwoorden: answers
            .into_iter()
            .map(|a| NormAntwoord { onderdeel: a.item, antwoord: a.answer.label().into(), onderbouwing: a.evidence })
            .collect(),
        vastgelegd_door: row.created_by,
    })
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NormInvoer {
    #[schema(format = Date)]
    pub datum: Option<String>,
    /// `[{"onderdeel": "regiovisie", "antwoord": "ja", "onderbouwing": "https://..."}]`, every commitment once.
    #[schema(value_type = Vec<Object>)]
    pub antwoorden: Option<serde_json::Value>,
}

#[utoipa::path(get, path = "/regios/{code}/norm-zelfevaluaties", tag = "bestuur", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<NormZelfevaluatie>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(page): Query<PageQuery>,
) -> AppResult<PageResponse<NormZelfevaluatie>> {
    let request = page.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_charter() {
        return Err(AppError::forbidden());
    }
    let items = state.store.norm_assessments(region.id).await?.into_iter().map(view).collect::<AppResult<Vec<_>>>()?;
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(post, path = "/regios/{code}/norm-zelfevaluaties", tag = "bestuur", params(("code" = String, Path)),
    request_body = NormInvoer,
    responses((status = 201, body = NormZelfevaluatie),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<NormInvoer>,
) -> AppResult<(StatusCode, Json<NormZelfevaluatie>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_assess_norm() {
        return Err(AppError::forbidden());
    }
    let (day, answers) = body.check(|b| {
        let mut invalid = Invalid::new();
        let day = match b.datum.as_deref().map(parse_date) {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                invalid.push("datum", &e.code, e.reason);
                None
            }
            None => {
                invalid.push("datum", "required", "Geef de datum van de zelfevaluatie.");
                None
            }
        };
        let answers = match &b.antwoorden {
            None => {
                invalid.push("antwoorden", "required", "Geef per onderdeel het antwoord.");
                None
            }
            Some(v) => match serde_json::from_value::<Vec<NormAnswer>>(v.clone()) {
                Ok(a) => {
                    for p in check_answers(&a) {
                        invalid.push("antwoorden", "norm", p);
                    }
                    Some(a)
                }
                Err(e) => {
                    invalid.push("antwoorden", "json", format!("De antwoorden zijn onleesbaar: {e}"));
                    None
                }
            },
        };
        match (day, answers) {
            (Some(d), Some(a)) if invalid.is_empty() => Ok((d, a)),
            _ => Err(invalid),
        }
    })?;
    let row = state.store.add_norm_assessment(region.id, day, &answers, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(view(row)?)))
}
