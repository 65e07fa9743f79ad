//! `/regios/{code}/toelatingen`: open admission. A provider applies; the region checks every
//! condition and admits (which starts a contract) or refuses, always with a reason.

use super::json::ApiJson;
use super::pagination::{single_page, PageQuery, PageResponse};
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::procurement::burden_report;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_calc::burden::Step;
use samenspel_domain::accountability::RequestKind;
use samenspel_domain::nl::parse_date;
use samenspel_domain::validation::optional_text;
use samenspel_domain::Invalid;
use samenspel_store::admission::{ApplicationRow, CheckRow, Decision};
use serde::{Deserialize, Serialize};

/// An application for admission and, once decided, the decision.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Toelating {
    pub id: i64,
    pub perceel_id: i64,
    pub perceel: String,
    pub aanbieder_id: i64,
    pub aanbieder: String,
    /// `ingediend`, `toegelaten`, `geweigerd` or `beeindigd`.
    pub status: String,
    pub motivatie: Option<String>,
    #[schema(format = DateTime)]
    pub ingediend_op: String,
    #[schema(format = DateTime)]
    pub besloten_op: Option<String>,
    pub reden: Option<String>,
    /// The contract admission started.
    pub contract_id: Option<i64>,
    pub einde_reden: Option<String>,
    /// How each condition was checked.
    pub toetsing: Vec<Toetsing>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toetsing {
    pub voorwaarde_id: i64,
    pub voldaan: bool,
    pub toelichting: Option<String>,
}

fn toelating(a: ApplicationRow, checks: Vec<CheckRow>) -> Toelating {
    Toelating {
        id: a.id,
        perceel_id: a.lot_id,
        perceel: a.lot_name,
        aanbieder_id: a.provider_id,
        aanbieder: a.provider_name,
        status: a.status,
        motivatie: a.motivation,
        ingediend_op: super::timestamp(a.submitted_at),
        besloten_op: a.decided_at.map(super::timestamp),
        reden: a.decision_reason,
        contract_id: a.contract_id,
        einde_reden: a.end_reason,
        toetsing: checks
            .into_iter()
            .map(|c| Toetsing { voorwaarde_id: c.condition_id, voldaan: c.met, toelichting: c.note })
            .collect(),
    }
}

/// A provider's application.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Aanvraag {
    pub perceel_id: Option<i64>,
    /// Needed only when the user works for more than one provider in the region.
    pub aanbieder_id: Option<i64>,
    pub motivatie: Option<String>,
}

/// The region's decision.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Besluit {
    pub toelaten: Option<bool>,
    /// Required, also when admitting.
    pub reden: Option<String>,
    /// Every condition of the lot, checked.
    pub toetsing: Option<Vec<Toetsing>>,
    #[schema(format = Date)]
    pub contract_vanaf: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Beeindiging {
    /// The contract's last day.
    #[schema(format = Date)]
    pub einddatum: Option<String>,
    pub reden: Option<String>,
}

#[utoipa::path(get, path = "/regios/{code}/toelatingen", tag = "inkoop", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Toelating>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Toelating>> {
    let request = q.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_applications_of(-1) && access.providers.is_empty() {
        return Err(AppError::forbidden());
    }
    let mut items = Vec::new();
    for a in state.store.applications(region.id, None).await? {
        if access.can_view_applications_of(a.provider_id) {
            let checks = state.store.application_checks(a.id).await?;
            items.push(toelating(a, checks));
        }
    }
    Ok(single_page(items, request, &uri))
}

#[utoipa::path(get, path = "/regios/{code}/toelatingen/{id}", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Toelating)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Toelating>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let a = state.store.application(region.id, id).await?;
    if !access.can_view_applications_of(a.provider_id) {
        return Err(AppError::not_found());
    }
    let checks = state.store.application_checks(id).await?;
    Ok(Json(toelating(a, checks)))
}

#[utoipa::path(post, path = "/regios/{code}/toelatingen", tag = "inkoop", params(("code" = String, Path)), request_body = Aanvraag,
    responses((status = 201, body = Toelating),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn apply(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<Aanvraag>,
) -> AppResult<(StatusCode, Json<Toelating>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if access.providers.is_empty() {
        return Err(AppError::new(StatusCode::FORBIDDEN, "Alleen een zorgaanbieder vraagt toelating aan."));
    }
    let (lot, provider, motivation) = body.check(|b| {
        let mut invalid = Invalid::new();
        if b.perceel_id.is_none() {
            invalid.push("perceelId", "required", "Kies het perceel waarvoor u toelating vraagt.");
        }
        let provider = match (b.aanbieder_id, access.providers.as_slice()) {
            (Some(p), _) if access.can_apply_for(p) => Some(p),
            (Some(_), _) => {
                invalid.push("aanbiederId", "forbidden", "U werkt niet voor deze zorgaanbieder.");
                None
            }
            (None, [only]) => Some(*only),
            (None, _) => {
                invalid.push("aanbiederId", "required", "U werkt voor meer zorgaanbieders; kies er een.");
                None
            }
        };
        let motivation = invalid.check("motivatie", optional_text(b.motivatie.as_deref().unwrap_or(""), 4000));
        match (b.perceel_id, provider, motivation) {
            (Some(l), Some(p), Some(m)) => Ok((l, p, m)),
            _ => Err(invalid),
        }
    })?;
    let a =
        state.store.apply_for_admission(region.id, lot, provider, motivation.as_deref(), &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(toelating(a, Vec::new()))))
}

/// Reads a decision; shared with the pages.
pub fn decision(
    admit: Option<bool>,
    reason: &str,
    checks: Vec<(i64, bool, Option<String>)>,
    start: &str,
) -> Result<Decision, Invalid> {
    let mut invalid = Invalid::new();
    if admit.is_none() {
        invalid.push("toelaten", "required", "Kies: toelaten of weigeren.");
    }
    let admit = admit.unwrap_or(false);
    let contract_starts_on = if start.trim().is_empty() {
        if admit {
            invalid.push("contractVanaf", "required", "Vul in wanneer het contract begint.");
        }
        samenspel_store::today()
    } else {
        invalid.check("contractVanaf", parse_date(start)).unwrap_or(samenspel_store::today())
    };
    invalid.finish(|| Decision { checks, admit, reason: reason.to_string(), contract_starts_on })
}

#[utoipa::path(post, path = "/regios/{code}/toelatingen/{id}/besluit", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = Besluit,
    responses((status = 200, body = Toelating),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn decide(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<Besluit>,
) -> AppResult<Json<Toelating>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let d = body.check(|b| {
        let checks = b.toetsing.iter().flatten().map(|t| (t.voorwaarde_id, t.voldaan, t.toelichting.clone())).collect();
        decision(b.toelaten, b.reden.as_deref().unwrap_or(""), checks, b.contract_vanaf.as_deref().unwrap_or(""))
    })?;
    let a = state.store.decide_admission(region.id, id, &d, &user.actor("api")).await?;
    let checks = state.store.application_checks(id).await?;
    Ok(Json(toelating(a, checks)))
}

#[utoipa::path(post, path = "/regios/{code}/toelatingen/{id}/beeindiging", tag = "inkoop", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = Beeindiging,
    responses((status = 200, body = Toelating),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn end(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<Beeindiging>,
) -> AppResult<Json<Toelating>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden());
    }
    let (ends_on, reason) = body.check(|b| {
        let mut invalid = Invalid::new();
        let end = crate::input::required_date(
            &mut invalid,
            "einddatum",
            b.einddatum.as_deref().unwrap_or(""),
            "de laatste dag van het contract",
        );
        let reason = b.reden.clone().unwrap_or_default();
        if reason.trim().is_empty() {
            invalid.push("reden", "required", "Geef de reden van de beëindiging.");
        }
        match end {
            Some(e) if invalid.is_empty() => Ok((e, reason)),
            _ => Err(invalid),
        }
    })?;
    let a = state.store.end_admission(region.id, id, ends_on, &reason, &user.actor("api")).await?;
    let checks = state.store.application_checks(id).await?;
    Ok(Json(toelating(a, checks)))
}

/// The burden figures of one provider.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AanbiederLast {
    pub aanbieder_id: i64,
    pub aanbieder: String,
    pub gemeenten: usize,
    pub percelen: usize,
    pub productcodes: usize,
    /// Distinct tariff amounts summed over products.
    pub tarieven: usize,
    /// Member × lot pairs where the member buys its own variant (convoy).
    pub afwijkende_voorwaarden: usize,
    /// Distinct accountability request series it answers in the year.
    pub verantwoordingsverzoeken: usize,
    /// The sum of the six counts.
    pub score: usize,
    /// Estimated hours a year on accountability: hours per submission × submissions.
    pub uren_per_jaar: u64,
    /// The same provider if every member dealt with it apart (before standardisation).
    pub elk_lid_apart: LastZonderRegio,
}

/// The counts that standardisation changes, with every member dealing with the provider apart.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastZonderRegio {
    pub tarieven: usize,
    pub afwijkende_voorwaarden: usize,
    pub verantwoordingsverzoeken: usize,
    pub uren_per_jaar: u64,
}

/// A harmonisation step and what it saves.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Harmonisatiestap {
    /// `tarief-harmoniseren` or `in-de-bus`.
    pub soort: String,
    pub omschrijving: String,
    pub perceel_id: i64,
    /// Drop of the summed score over all providers.
    pub besparing: usize,
    pub aanbieders_geraakt: usize,
}

/// The administrative burden the region causes, and the steps that lower it most.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdministratieveLasten {
    pub jaar: i32,
    pub totaal: usize,
    /// Estimated accountability hours of all providers together, now and with every member apart.
    pub uren_per_jaar: u64,
    pub uren_per_jaar_elk_lid_apart: u64,
    pub aanbieders: Vec<AanbiederLast>,
    pub stappen: Vec<Harmonisatiestap>,
}

/// Describes a step in Dutch; `name_of` gives a municipality's name for its code.
pub fn describe_step(step: &Step, name_of: &dyn Fn(&str) -> String) -> (String, String, i64) {
    match step {
        Step::HarmoniseTariff { lot_id, lot_name, product } => (
            "tarief-harmoniseren".into(),
            format!(
                "Eén tarief voor {} in {}: laat de eigen tarieven van leden in konvooi vervallen",
                product.1.clone().unwrap_or_else(|| format!("categorie {}", product.0)),
                lot_name
            ),
            *lot_id,
        ),
        Step::JoinTheBus { lot_id, lot_name, municipality } => (
            "in-de-bus".into(),
            format!("{} stapt in {lot_name} over van konvooi naar de bus", name_of(municipality)),
            *lot_id,
        ),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct JaarQuery {
    /// The tariff year (default: this year).
    #[param(value_type = Option<i32>)]
    pub jaar: Option<String>,
}

#[utoipa::path(get, path = "/regios/{code}/administratieve-lasten", tag = "inkoop", params(("code" = String, Path), JaarQuery),
    responses((status = 200, body = AdministratieveLasten)))]
pub async fn burden(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    Query(q): Query<JaarQuery>,
) -> AppResult<Json<AdministratieveLasten>> {
    let (region, _) = region_for(&state, &user, &code).await?;
    let year = match q.jaar.as_deref() {
        Some(y) => crate::input::year(y)?,
        None => samenspel_store::now().year(),
    };
    let report = burden_report(&state, &region, year).await?;
    let members = state.store.memberships(region.id).await?;
    let name_of = |code: &str| {
        members
            .iter()
            .find(|m| m.municipality_code == code)
            .map(|m| m.municipality_name.clone())
            .unwrap_or(code.to_string())
    };
    Ok(Json(AdministratieveLasten {
        jaar: year,
        totaal: report.total(),
        uren_per_jaar: report.hours(),
        uren_per_jaar_elk_lid_apart: report.hours_before(),
        aanbieders: report
            .providers
            .iter()
            .map(|p| AanbiederLast {
                aanbieder_id: p.provider_id,
                aanbieder: p.name.clone(),
                gemeenten: p.burden.members,
                percelen: p.burden.lots,
                productcodes: p.burden.product_codes,
                tarieven: p.burden.tariffs,
                afwijkende_voorwaarden: p.burden.differing_conditions,
                verantwoordingsverzoeken: p.burden.requests,
                score: p.burden.score(),
                uren_per_jaar: p.burden.hours_per_year,
                elk_lid_apart: LastZonderRegio {
                    tarieven: p.before.tariffs,
                    afwijkende_voorwaarden: p.before.differing_conditions,
                    verantwoordingsverzoeken: p.before.requests,
                    uren_per_jaar: p.before.hours_per_year,
                },
            })
            .collect(),
        stappen: report
            .steps
            .iter()
            .map(|s| {
                let (soort, omschrijving, perceel_id) = describe_step(&s.step, &name_of);
                Harmonisatiestap {
                    soort,
                    omschrijving,
                    perceel_id,
                    besparing: s.reduction,
                    aanbieders_geraakt: s.providers_affected,
                }
            })
            .collect(),
    }))
}

/// The hours one submission of a kind of accountability request costs a provider.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Verzoekuren {
    /// `productie`, `kwaliteit`, `wachttijden` or `overig`.
    pub soort: String,
    /// Whole hours, 0 to 1000.
    pub uren: u32,
    /// True when the region has not set it and the default applies.
    pub standaard: bool,
}

async fn hours_view(state: &AppState, region_id: i64) -> AppResult<Vec<Verzoekuren>> {
    Ok(state
        .store
        .burden_hours(region_id)
        .await?
        .into_iter()
        .map(|(k, (uren, set))| Verzoekuren { soort: k.code().to_string(), uren, standaard: !set })
        .collect())
}

#[utoipa::path(get, path = "/regios/{code}/administratieve-lasten/uren", tag = "inkoop", params(("code" = String, Path)),
    responses((status = 200, body = Vec<Verzoekuren>)))]
pub async fn hours(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
) -> AppResult<Json<Vec<Verzoekuren>>> {
    let (region, _) = region_for(&state, &user, &code).await?;
    Ok(Json(hours_view(&state, region.id).await?))
}

/// New hours per submission, per kind; kinds left out keep theirs.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UrenInvoer {
    /// Whole hours, 0 to 1000.
    pub productie: Option<u32>,
    pub kwaliteit: Option<u32>,
    pub wachttijden: Option<u32>,
    pub overig: Option<u32>,
}

fn read_hours(body: &UrenInvoer) -> Result<Vec<(RequestKind, u32)>, Invalid> {
    let mut invalid = Invalid::default();
    let mut out = Vec::new();
    for (kind, hours) in [
        (RequestKind::Production, body.productie),
        (RequestKind::Quality, body.kwaliteit),
        (RequestKind::WaitingTimes, body.wachttijden),
        (RequestKind::Other, body.overig),
    ] {
        match hours {
            Some(h) if h > 1000 => invalid.push(
                kind.code(),
                "range",
                format!("{h} uur per inzending is meer dan de 1000 die we aannemelijk vinden."),
            ),
            Some(h) => out.push((kind, h)),
            None => {}
        }
    }
    if invalid.is_empty() {
        Ok(out)
    } else {
        Err(invalid)
    }
}

/// Sets the hours of the kinds in the list; kinds left out keep theirs. Region admin only.
#[utoipa::path(put, path = "/regios/{code}/administratieve-lasten/uren", tag = "inkoop", params(("code" = String, Path)),
    request_body = UrenInvoer,
    responses((status = 200, body = Vec<Verzoekuren>),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn set_hours(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<UrenInvoer>,
) -> AppResult<Json<Vec<Verzoekuren>>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_provider_side() {
        return Err(AppError::forbidden());
    }
    let hours = body.check(read_hours)?;
    state.store.set_burden_hours(region.id, &hours, &user.actor("api")).await?;
    Ok(Json(hours_view(&state, region.id).await?))
}
