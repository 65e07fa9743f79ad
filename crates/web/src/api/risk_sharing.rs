//! `/regios/{code}/vereveningsafspraken` and `/regios/{code}/verevening`: the region's
//! risk-sharing agreements with their versions, and the settlement of a year compared with the
//! reference models. Amounts in cents; every column adds up.

use super::json::ApiJson;
use super::pagination::{single_page, PageQuery, PageResponse};
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::risk_analysis::{
    analysis, fair_allocation, leave_scenario, simulate_blocking, simulated_agreement, GameSettings, WEB_MAX_YEARS,
};
use crate::risk_sharing::{applied_pair, selection, settle_selection, SettlementQuery};
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
    /// The first year this version applies to; a year uses the version with the latest first year
    /// at or before it (the newest of those).
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

/// The settings of the analyses (amounts in euros, Dutch notation accepted); absent ones take
/// the example defaults (see docs/verevening.md).
#[allow(dead_code)]
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct AnalyseInstellingen {
    /// The regional team per year.
    pub team: Option<String>,
    /// A member's overhead procuring alone, per year.
    pub overhead_alleen: Option<String>,
    /// A member's own overhead inside the region, per year.
    pub overhead_binnen: Option<String>,
    /// The price of risk: percent of the spread of the yearly cost.
    pub risicoprijs: Option<String>,
    /// A client costing more than this in a year counts as expensive care.
    pub dure_zorg_vanaf: Option<String>,
}

fn settings(q: &crate::forms::FormPairs) -> AppResult<GameSettings> {
    GameSettings::from_query(q).map_err(AppError::invalid)
}

async fn analysis_of(
    state: &AppState,
    region: &samenspel_store::regions::RegionRow,
    q: &SettlementQuery,
    settings: &GameSettings,
) -> AppResult<(crate::risk_sharing::Selection, crate::risk_analysis::Analysis)> {
    let s = selection(state, region, q).await?;
    let unprocessable = |p: Vec<String>| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, p.join("; "));
    let (agreement, _) = applied_pair(state, &s, s.year).await?.map_err(unprocessable)?;
    let a = analysis(&state.store, region, s.year, &s.law, agreement, settings.expensive_from_cents)
        .await?
        .map_err(unprocessable)?;
    Ok((s, a))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShapleyGemeente {
    pub gemeentecode: String,
    pub zorgkosten_cent: i64,
    /// Standard deviation of the yearly care cost (fitted model).
    pub spreiding_cent: i64,
    /// c({i}): the member alone.
    pub alleen_cent: i64,
    pub shapley_cent: i64,
    /// Half the 95 % interval when sampled (more than 25 members).
    pub marge_cent: Option<i64>,
    /// What the agreement charges: contribution, own overhead, share of team and risk price.
    pub afspraak_cent: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bezwaar {
    /// The members of a coalition that would be better off alone.
    pub gemeenten: Vec<String>,
    pub afspraak_cent: i64,
    pub alleen_cent: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EerlijkeVerdeling {
    pub jaar: i32,
    pub afspraak_id: i64,
    /// c(N): the whole region.
    pub totaal_cent: i64,
    pub exact: bool,
    pub gemeenten: Vec<ShapleyGemeente>,
    /// Coalitions that would pay less alone, largest saving first (at most 10).
    pub bezwaren: Vec<Bezwaar>,
    pub aantal_bezwaren: u64,
    /// Whether every coalition was checked (up to 25 members) or single members and pairs.
    pub kern_volledig_getoetst: bool,
}

#[utoipa::path(get, path = "/regios/{code}/verevening/shapley", tag = "verevening",
    params(("code" = String, Path), SettlementQuery, AnalyseInstellingen),
    responses((status = 200, body = EerlijkeVerdeling),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn shapley(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    Query(q): Query<SettlementQuery>,
    Query(extra): Query<crate::forms::FormPairs>,
) -> AppResult<Json<EerlijkeVerdeling>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_risk_sharing() {
        return Err(AppError::forbidden());
    }
    let settings = settings(&extra)?;
    let (_, a) = analysis_of(&state, &region, &q, &settings).await?;
    let f = fair_allocation(&a, &settings).map_err(|p| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, p))?;
    Ok(Json(EerlijkeVerdeling {
        jaar: a.settled.year,
        afspraak_id: a.settled.agreement.row.id,
        totaal_cent: f.total_cents,
        exact: f.exact,
        bezwaren: f
            .core
            .objections
            .iter()
            .map(|o| Bezwaar {
                gemeenten: o.members.iter().map(|i| f.lines[*i].member.clone()).collect(),
                afspraak_cent: o.charged,
                alleen_cent: o.alone,
            })
            .collect(),
        aantal_bezwaren: f.core.count,
        kern_volledig_getoetst: f.core.exhaustive,
        gemeenten: f
            .lines
            .into_iter()
            .map(|l| ShapleyGemeente {
                gemeentecode: l.member,
                zorgkosten_cent: l.care_cents,
                spreiding_cent: l.sd_cents,
                alleen_cent: l.alone_cents,
                shapley_cent: l.shapley_cents,
                marge_cent: l.margin_cents,
                afspraak_cent: l.charged_cents,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Blijver {
    pub gemeentecode: String,
    pub bijdrage_nu_cent: i64,
    pub bijdrage_na_cent: i64,
    pub teamaandeel_nu_cent: i64,
    pub teamaandeel_na_cent: i64,
    /// 95 % value at risk of the yearly cost inside the agreement, in euros.
    pub var95_nu: f64,
    pub var95_na: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Uittreder {
    pub gemeentecode: String,
    pub zorgkosten_cent: i64,
    /// Contribution under the agreement + own overhead inside + share of the team.
    pub binnen_cent: i64,
    /// Care + overhead procuring alone.
    pub alleen_cent: i64,
    pub spreiding_binnen: f64,
    pub spreiding_alleen: f64,
    pub var95_binnen: f64,
    pub var95_alleen: f64,
    pub kans_overschrijding_binnen: Option<f64>,
    pub kans_overschrijding_alleen: Option<f64>,
    pub aanbieders: Vec<String>,
    pub contracten: Vec<String>,
    /// Pseudonymised clients with a running assignment on `peildatum`.
    pub clienten_met_lopende_toewijzing: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Uittreden {
    pub jaar: i32,
    #[schema(format = Date)]
    pub peildatum: String,
    pub gesimuleerde_jaren: u64,
    pub uittreders: Vec<Uittreder>,
    pub blijvers: Vec<Blijver>,
}

/// The members that leave: `gemeente`, repeated (`?gemeente=GM1842&gemeente=GM0629`).
#[allow(dead_code)]
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UittredenKeuze {
    pub gemeente: Vec<String>,
}

#[utoipa::path(get, path = "/regios/{code}/verevening/uittreden", tag = "verevening",
    params(("code" = String, Path), SettlementQuery, AnalyseInstellingen, UittredenKeuze),
    responses((status = 200, body = Uittreden),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn leave(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    Query(q): Query<SettlementQuery>,
    Query(extra): Query<crate::forms::FormPairs>,
) -> AppResult<Json<Uittreden>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_risk_sharing() {
        return Err(AppError::forbidden());
    }
    let settings = settings(&extra)?;
    let (_, a) = analysis_of(&state, &region, &q, &settings).await?;
    let l = leave_scenario(&state.store, &region, &a, &settings, &extra.all("gemeente"), 1)
        .await?
        .map_err(|p| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, p.join("; ")))?;
    Ok(Json(Uittreden {
        jaar: a.settled.year,
        peildatum: l.footprint_day.to_string(),
        gesimuleerde_jaren: l.years,
        uittreders: l
            .leavers
            .into_iter()
            .map(|r| Uittreder {
                gemeentecode: r.member,
                zorgkosten_cent: r.care_cents,
                binnen_cent: r.inside_total_cents,
                alleen_cent: r.alone_total_cents,
                spreiding_binnen: r.sd_inside,
                spreiding_alleen: r.sd_alone,
                var95_binnen: r.var95_inside,
                var95_alleen: r.var95_alone,
                kans_overschrijding_binnen: r.overrun_inside,
                kans_overschrijding_alleen: r.overrun_alone,
                aanbieders: r.providers,
                contracten: r.contracts,
                clienten_met_lopende_toewijzing: r.running_clients,
            })
            .collect(),
        blijvers: l
            .remaining
            .into_iter()
            .map(|r| Blijver {
                gemeentecode: r.member,
                bijdrage_nu_cent: r.contribution_before_cents,
                bijdrage_na_cent: r.contribution_after_cents,
                teamaandeel_nu_cent: r.team_before_cents,
                teamaandeel_na_cent: r.team_after_cents,
                var95_nu: r.var95_before,
                var95_na: r.var95_after,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Budgetrisico {
    pub gemeentecode: String,
    /// The member's budget for the law and year (member figures).
    pub budget_cent: Option<i64>,
    pub gemiddeld_alleen: f64,
    pub gemiddeld_binnen: f64,
    pub spreiding_alleen: f64,
    pub spreiding_binnen: f64,
    pub kans_overschrijding_alleen: Option<f64>,
    pub kans_overschrijding_binnen: Option<f64>,
    pub var95_alleen: f64,
    pub var95_binnen: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Simulatie {
    pub jaar: i32,
    pub jaren: u64,
    pub seed: u64,
    pub solidariteit: f64,
    pub drempel: Option<f64>,
    /// Months of the year with claims; fewer than 12 understates a year's cost.
    pub maanden_met_declaraties: i64,
    pub gemeenten: Vec<Budgetrisico>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimulatieKeuze {
    /// Simulated years, 1 to 1,000,000 (default 100,000).
    pub jaren: Option<u64>,
    /// Same seed, same result (default 1).
    pub seed: Option<u64>,
}

#[utoipa::path(get, path = "/regios/{code}/verevening/budgetrisico", tag = "verevening",
    params(("code" = String, Path), SettlementQuery, SimulatieKeuze),
    responses((status = 200, body = Simulatie),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn budget_risk(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    Query(q): Query<SettlementQuery>,
    Query(extra): Query<crate::forms::FormPairs>,
) -> AppResult<Json<Simulatie>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_risk_sharing() {
        return Err(AppError::forbidden());
    }
    let settings = settings(&extra)?;
    let mut invalid = Invalid::new();
    let years = match extra.get("jaren").trim() {
        "" => 100_000,
        y => y.parse::<u64>().ok().filter(|n| (1..=WEB_MAX_YEARS).contains(n)).unwrap_or_else(|| {
            invalid.push("jaren", "range", format!("Kies 1 tot en met {WEB_MAX_YEARS} jaren."));
            0
        }),
    };
    let seed = match extra.get("seed").trim() {
        "" => 1,
        s => s.parse::<u64>().unwrap_or_else(|_| {
            invalid.push("seed", "pattern", "Een geheel getal.");
            0
        }),
    };
    if !invalid.is_empty() {
        return Err(AppError::invalid(invalid));
    }
    let (s, a) = analysis_of(&state, &region, &q, &settings).await?;
    let pools = a.settled.agreement.model.pools_in(s.year);
    let agreement = simulated_agreement(&pools);
    let sim = simulate_blocking(a.models.clone(), agreement, years, seed)
        .await?
        .map_err(|e| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let budgets: std::collections::BTreeMap<String, Option<f64>> =
        a.models.iter().map(|m| (m.member.clone(), m.budget_euros)).collect();
    Ok(Json(Simulatie {
        jaar: s.year,
        jaren: sim.years,
        seed: sim.seed,
        solidariteit: agreement.solidarity,
        drempel: agreement.threshold_euros,
        maanden_met_declaraties: state.store.production_months(region.id, &s.law, s.year).await?,
        gemeenten: sim
            .members
            .into_iter()
            .map(|m| Budgetrisico {
                budget_cent: budgets.get(&m.member).copied().flatten().map(|b| (b * 100.0).round() as i64),
                gemeentecode: m.member,
                gemiddeld_alleen: m.mean_standalone,
                gemiddeld_binnen: m.mean_inside,
                spreiding_alleen: m.sd_standalone,
                spreiding_binnen: m.sd_inside,
                kans_overschrijding_alleen: m.overrun_standalone,
                kans_overschrijding_binnen: m.overrun_inside,
                var95_alleen: m.var95_standalone,
                var95_binnen: m.var95_inside,
            })
            .collect(),
    }))
}
