//! `/regios/{code}/vereveningsafspraken` and `/regios/{code}/verevening`: the region's
//! risk-sharing agreements with their versions, and the settlement of a year compared with the
//! reference models. Amounts in cents; every column adds up.

use super::json::ApiJson;
use super::pagination::{single_page, PageQuery, PageResponse};
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::risk_sharing::{selection, settle_selection, SettlementQuery};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_domain::risk_sharing::Agreement;
use samenspel_domain::Invalid;
use samenspel_store::risk_sharing::{AgreementRow, AgreementStatus, AgreementVersion};
use serde::{Deserialize, Serialize};

/// A version of an agreement: the whole model, from a year on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AfspraakVersie {
    pub versie: i32,
    /// The first year this version applies to; a year uses the newest version at or before it.
    pub vanaf_jaar: i32,
    pub toelichting: Option<String>,
    pub vastgelegd_door: String,
    #[schema(format = DateTime)]
    pub vastgelegd_op: String,
    /// The model (see docs/verevening.md): `naam` and `potten`.
    #[schema(value_type = Object)]
    pub model: serde_json::Value,
}

/// A risk-sharing agreement (vereveningsafspraak).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Vereveningsafspraak {
    pub id: i64,
    pub naam: String,
    /// `vastgesteld` (at most one per region), `voorstel` or `vervallen`.
    pub status: String,
    /// Newest first.
    pub versies: Vec<AfspraakVersie>,
}

/// A new agreement (`status`, `vanafJaar`, `model`) or a new version (`vanafJaar`, `model`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AfspraakInvoer {
    pub status: Option<String>,
    pub vanaf_jaar: Option<i32>,
    pub toelichting: Option<String>,
    #[schema(value_type = Object)]
    pub model: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct StatusInvoer {
    pub status: Option<String>,
}

async fn afspraak(state: &AppState, row: AgreementRow) -> AppResult<Vereveningsafspraak> {
    let versions = state.store.agreement_versions(row.id).await?;
    let mut versies = Vec::new();
    for v in versions {
        versies.push(AfspraakVersie {
            versie: v.version,
            vanaf_jaar: v.first_year,
            model: serde_json::from_str(&v.model).map_err(AppError::internal)?,
            toelichting: v.reason,
            vastgelegd_door: v.created_by,
            vastgelegd_op: v
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .map_err(AppError::internal)?,
        });
    }
    Ok(Vereveningsafspraak { id: row.id, naam: row.name, status: row.status, versies })
}

/// The version in the body, with every problem of the model named.
fn version_input(b: &AfspraakInvoer, new: bool) -> Result<(AgreementStatus, AgreementVersion), Invalid> {
    let mut invalid = Invalid::new();
    let status = match (new, b.status.as_deref().and_then(AgreementStatus::parse)) {
        (_, Some(s)) => s,
        (true, None) => {
            invalid.push("status", "enum", "Kies vastgesteld, voorstel of vervallen.");
            AgreementStatus::Proposed
        }
        (false, None) => AgreementStatus::Proposed,
    };
    let first_year = b.vanaf_jaar.unwrap_or_else(|| {
        invalid.push("vanafJaar", "required", "Geef het eerste jaar waarin deze versie geldt.");
        0
    });
    let model = match &b.model {
        None => {
            invalid.push("model", "required", "Geef het model: naam en potten.");
            None
        }
        Some(value) => match serde_json::from_value::<Agreement>(value.clone()) {
            Ok(model) => {
                for p in model.problems() {
                    if new || !p.starts_with("het model heeft geen naam") {
                        invalid.push("model", "agreement", p);
                    }
                }
                Some(model)
            }
            Err(e) => {
                invalid.push("model", "json", format!("Het model is onleesbaar: {e}"));
                None
            }
        },
    };
    match model {
        Some(model) if invalid.is_empty() => Ok((
            status,
            AgreementVersion { first_year, model, reason: b.toelichting.clone().filter(|t| !t.trim().is_empty()) },
        )),
        _ => Err(invalid),
    }
}

#[utoipa::path(get, path = "/regios/{code}/vereveningsafspraken", tag = "verevening", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Vereveningsafspraak>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(page): Query<PageQuery>,
) -> AppResult<PageResponse<Vereveningsafspraak>> {
    let request = page.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_risk_sharing() {
        return Err(AppError::forbidden());
    }
    let mut out = Vec::new();
    for row in state.store.agreements(region.id).await? {
        out.push(afspraak(&state, row).await?);
    }
    Ok(single_page(out, request, &uri))
}

#[utoipa::path(post, path = "/regios/{code}/vereveningsafspraken", tag = "verevening", params(("code" = String, Path)),
    request_body = AfspraakInvoer,
    responses((status = 201, body = Vereveningsafspraak),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<AfspraakInvoer>,
) -> AppResult<(StatusCode, Json<Vereveningsafspraak>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_risk_sharing() {
        return Err(AppError::forbidden());
    }
    let (status, version) = body.check(|b| version_input(b, true))?;
    let (row, _) = state.store.create_agreement(region.id, status, &version, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(afspraak(&state, row).await?)))
}

#[utoipa::path(get, path = "/regios/{code}/vereveningsafspraken/{id}", tag = "verevening",
    params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Vereveningsafspraak),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Vereveningsafspraak>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_risk_sharing() {
        return Err(AppError::forbidden());
    }
    let row = state.store.agreement(region.id, id).await?;
    Ok(Json(afspraak(&state, row).await?))
}

#[utoipa::path(post, path = "/regios/{code}/vereveningsafspraken/{id}/versies", tag = "verevening",
    params(("code" = String, Path), ("id" = i64, Path)),
    request_body = AfspraakInvoer,
    responses((status = 201, body = Vereveningsafspraak),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn add_version(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<AfspraakInvoer>,
) -> AppResult<(StatusCode, Json<Vereveningsafspraak>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_risk_sharing() {
        return Err(AppError::forbidden());
    }
    let row = state.store.agreement(region.id, id).await?;
    let (_, version) = body.check(|b| version_input(b, false))?;
    state.store.add_agreement_version(region.id, id, &version, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(afspraak(&state, row).await?)))
}

#[utoipa::path(patch, path = "/regios/{code}/vereveningsafspraken/{id}", tag = "verevening",
    params(("code" = String, Path), ("id" = i64, Path)),
    request_body = StatusInvoer,
    responses((status = 200, body = Vereveningsafspraak),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn set_status(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<StatusInvoer>,
) -> AppResult<Json<Vereveningsafspraak>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_risk_sharing() {
        return Err(AppError::forbidden());
    }
    let status = body.check(|b| {
        b.status
            .as_deref()
            .and_then(AgreementStatus::parse)
            .ok_or_else(|| Invalid::single("status", "enum", "Kies vastgesteld, voorstel of vervallen."))
    })?;
    let row = state.store.set_agreement_status(region.id, id, status, &user.actor("api")).await?;
    Ok(Json(afspraak(&state, row).await?))
}

/// One member in one pool of one model.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PotGemeente {
    pub gemeentecode: String,
    pub eigen_kosten_cent: i64,
    /// Client cost below the threshold: always the member's own.
    pub onder_drempel_cent: i64,
    pub in_de_pot_cent: i64,
    /// (1 − solidarity) of the pool, back in proportion to the member's cost in it.
    pub eigen_deel_cent: i64,
    /// Solidarity × the pool, by key share.
    pub solidair_deel_cent: i64,
    /// Change from the limits on paying in and receiving.
    pub grenzen_cent: i64,
    pub bijdrage_cent: i64,
    /// Contribution − own cost: positive pays in, negative receives.
    pub verschil_cent: i64,
    pub uitleg: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelPot {
    pub naam: String,
    pub solidariteit_basispunten: u32,
    pub sleutel: String,
    pub totaal_cent: i64,
    pub gedeeld_cent: i64,
    pub gemeenten: Vec<PotGemeente>,
}

/// A member over all pools of one model.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelGemeente {
    pub gemeentecode: String,
    pub naam: String,
    pub eigen_kosten_cent: i64,
    pub bijdrage_cent: i64,
    pub verschil_cent: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VereveningModel {
    pub naam: String,
    pub gemeenten: Vec<ModelGemeente>,
    pub potten: Vec<ModelPot>,
}

/// A year settled under the agreement and the models it is compared with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Verevening {
    pub jaar: i32,
    pub wet: String,
    pub afspraak_id: i64,
    pub afspraak_versie: i32,
    pub voorstel_id: Option<i64>,
    /// Index in `modellen` of the agreement; the proposal follows it. Before it: user pays
    /// (`profijtbeginsel`) and full solidarity by each key.
    pub afspraak_index: usize,
    pub modellen: Vec<VereveningModel>,
}

#[utoipa::path(get, path = "/regios/{code}/verevening", tag = "verevening", params(("code" = String, Path), SettlementQuery),
    responses((status = 200, body = Verevening),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn settlement(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    Query(q): Query<SettlementQuery>,
) -> AppResult<Json<Verevening>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_risk_sharing() {
        return Err(AppError::forbidden());
    }
    let s = selection(&state, &region, &q).await?;
    let settled = settle_selection(&state, &region, &s, s.year)
        .await?
        .map_err(|p| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, p.join("; ")))?;
    let c = &settled.comparison;
    let name = |gm: &str| settled.names.get(gm).cloned().unwrap_or_default();
    let modellen = c
        .models
        .iter()
        .enumerate()
        .map(|(i, m)| VereveningModel {
            naam: m.name.clone(),
            gemeenten: c
                .members
                .iter()
                .map(|g| ModelGemeente {
                    gemeentecode: g.member.clone(),
                    naam: name(&g.member),
                    eigen_kosten_cent: g.own_cents,
                    bijdrage_cent: g.contribution_cents[i],
                    verschil_cent: g.difference_cents[i],
                })
                .collect(),
            potten: m
                .pools
                .iter()
                .map(|p| ModelPot {
                    naam: p.rule.name.clone(),
                    solidariteit_basispunten: p.rule.solidarity,
                    sleutel: p.rule.key.clone(),
                    totaal_cent: p.total_cents,
                    gedeeld_cent: p.pooled_cents,
                    gemeenten: p
                        .members
                        .iter()
                        .map(|g| PotGemeente {
                            gemeentecode: g.member.clone(),
                            eigen_kosten_cent: g.own_cents,
                            onder_drempel_cent: g.kept_cents,
                            in_de_pot_cent: g.pooled_own_cents,
                            eigen_deel_cent: g.user_pays_cents,
                            solidair_deel_cent: g.solidarity_cents,
                            grenzen_cent: g.limit_cents,
                            bijdrage_cent: g.contribution_cents,
                            verschil_cent: g.difference_cents,
                            uitleg: g.explanation(p),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Ok(Json(Verevening {
        jaar: settled.year,
        wet: settled.law.clone(),
        afspraak_id: settled.agreement.row.id,
        afspraak_versie: settled.agreement.version.version,
        voorstel_id: settled.proposal.as_ref().map(|p| p.row.id),
        afspraak_index: settled.agreement_index,
        modellen,
    }))
}
