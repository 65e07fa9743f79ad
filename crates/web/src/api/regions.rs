//! `/regios`: regions, their members over time, and the members' figures per year.

use super::json::{double_option, ApiJson};
use super::pagination::{single_page, PageQuery, PageResponse};
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::input;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_domain::figures::MemberFigures;
use samenspel_domain::nl::parse_date;
use samenspel_domain::region::Domain;
use samenspel_domain::validation::required_text;
use samenspel_domain::{Cents, Invalid, MunicipalityCode, RegionCode, YouthRegionCode};
use samenspel_store::regions::{MembershipRow, NewRegion, RegionChanges, RegionRow};
use serde::{Deserialize, Serialize};

/// A region (samenwerkingsverband) on Samenspel.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Regio {
    #[schema(example = "haaglanden")]
    pub code: String,
    pub naam: String,
    /// `jeugd`, `wmo` or `jeugd-en-wmo`.
    pub domein: String,
    /// CBS code of the centre municipality, if named.
    pub centrumgemeente: Option<String>,
    /// The CBS youth-care region it was set up from, if any.
    pub jeugdregio: Option<String>,
    pub aangemaakt_op: String,
}

impl From<RegionRow> for Regio {
    fn from(r: RegionRow) -> Self {
        Regio {
            code: r.code,
            naam: r.name,
            domein: r.domain,
            centrumgemeente: r.centre_municipality,
            jeugdregio: r.youth_region_code,
            aangemaakt_op: super::timestamp(r.created_at),
        }
    }
}

/// A period of membership.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Lidmaatschap {
    pub id: i64,
    pub gemeentecode: String,
    pub gemeente: String,
    pub inwoners: i64,
    #[schema(format = Date)]
    pub lid_vanaf: String,
    /// First day no longer a member; absent while the membership runs.
    #[schema(format = Date)]
    pub lid_tot: Option<String>,
    /// Member today.
    pub actief: bool,
}

impl From<MembershipRow> for Lidmaatschap {
    fn from(m: MembershipRow) -> Self {
        let today = samenspel_store::today();
        Lidmaatschap {
            actief: m.is_active_on(today),
            id: m.id,
            gemeentecode: m.municipality_code,
            gemeente: m.municipality_name,
            inwoners: m.inhabitants,
            lid_vanaf: m.joined_on.to_string(),
            lid_tot: m.left_on.map(|d| d.to_string()),
        }
    }
}

/// A member's figures for a year. Absent figures were not entered; they are never estimated.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Kerncijfers {
    pub gemeentecode: String,
    pub gemeente: String,
    pub jaar: i32,
    /// Inhabitants per CBS (latest reference year).
    pub inwoners: i64,
    /// Youths aged 0–17.
    pub jeugdigen: Option<i64>,
    /// Youth-care budget in euro cents.
    pub budget_jeugd_cent: Option<i64>,
    /// Wmo budget in euro cents.
    pub budget_wmo_cent: Option<i64>,
}

/// A new region: either from a CBS youth-care region (`jeugdregio`), or with `naam` and `leden`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NieuweRegio {
    /// CBS youth-care region to take name and members from, e.g. `JZ24`.
    pub jeugdregio: Option<String>,
    /// URL code; derived from the name when absent.
    pub code: Option<String>,
    pub naam: Option<String>,
    /// `jeugd`, `wmo` or `jeugd-en-wmo` (default `jeugd`).
    pub domein: Option<String>,
    /// CBS codes of the members (when not from a youth-care region).
    pub leden: Option<Vec<String>>,
    pub centrumgemeente: Option<String>,
    /// Date the members join (default: 1 January of this year).
    #[schema(format = Date)]
    pub lid_vanaf: Option<String>,
}

/// Changes to a region; absent fields stay as they are, `centrumgemeente: null` clears it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RegioWijziging {
    pub naam: Option<String>,
    pub domein: Option<String>,
    #[serde(deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub centrumgemeente: Option<Option<String>>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NieuwLidmaatschap {
    pub gemeentecode: Option<String>,
    #[schema(format = Date)]
    pub lid_vanaf: Option<String>,
    #[schema(format = Date)]
    pub lid_tot: Option<String>,
}

/// Ends a membership: the first day the municipality is no longer a member.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct LidmaatschapBeeindigen {
    #[schema(format = Date)]
    pub lid_tot: Option<String>,
}

/// A member's figures for a year; every figure is replaced, `null` or absent clears it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct KerncijfersInvoer {
    pub jeugdigen: Option<i64>,
    pub budget_jeugd_cent: Option<i64>,
    pub budget_wmo_cent: Option<i64>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct JaarQuery {
    /// The year (default: this year).
    #[param(value_type = Option<i32>)]
    pub jaar: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: PageQuery,
}

#[utoipa::path(get, path = "/regios", tag = "regios", params(PageQuery),
    responses((status = 200, description = "Regions where the user holds a role (all, for platform administrators)", body = super::pagination::Page<Regio>)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Regio>> {
    let request = q.request()?;
    let visible: Vec<Regio> =
        state.store.regions().await?.into_iter().filter(|r| user.in_region(r).any()).map(Regio::from).collect();
    Ok(single_page(visible, request, &uri))
}

/// Builds the region to create from the request, shared by the API, the pages and the CLI.
pub async fn new_region(state: &AppState, body: &NieuweRegio) -> Result<NewRegion, AppError> {
    let mut invalid = Invalid::new();
    let domain =
        invalid.check("domein", Domain::parse(body.domein.as_deref().unwrap_or("jeugd"))).unwrap_or(Domain::Youth);
    let joined_on = match body.lid_vanaf.as_deref() {
        Some(d) => invalid.check("lidVanaf", parse_date(d)),
        None => time::Date::from_calendar_date(samenspel_store::now().year(), time::Month::January, 1).ok(),
    };
    let code = body.code.as_deref().and_then(|c| invalid.check("code", RegionCode::parse(c)));
    let name = body.naam.as_deref().and_then(|n| invalid.check("naam", required_text(n, 2, 120)));
    let centre =
        body.centrumgemeente.as_deref().and_then(|c| invalid.check("centrumgemeente", MunicipalityCode::parse(c)));
    let youth_region = body.jeugdregio.as_deref().and_then(|c| invalid.check("jeugdregio", YouthRegionCode::parse(c)));
    let mut members = Vec::new();
    for (i, m) in body.leden.iter().flatten().enumerate() {
        if let Some(m) = invalid.check(&format!("leden[{i}]"), MunicipalityCode::parse(m)) {
            members.push(m);
        }
    }
    if body.jeugdregio.is_none() {
        if body.naam.is_none() {
            invalid.push("naam", "required", "Geef een naam, of kies een jeugdregio om van uit te gaan.");
        }
        if members.is_empty() && body.leden.as_ref().is_none_or(|l| l.is_empty()) {
            invalid.push("leden", "required", "Noem minstens één lid, of kies een jeugdregio.");
        }
    }
    let (Some(joined_on), true) = (joined_on, invalid.is_empty()) else {
        return Err(AppError::invalid(invalid));
    };
    let from_youth_region = match &youth_region {
        Some(y) => Some(state.store.new_region_from_youth_region(y, domain, joined_on).await?),
        None => None,
    };
    let name = name.or_else(|| from_youth_region.as_ref().map(|r| r.name.clone())).unwrap_or_default();
    let code = match code {
        Some(code) => code,
        None => RegionCode::from_name(&name)
            .ok_or_else(|| AppError::invalid(Invalid::single("code", "required", "Geef een code voor de regio.")))?,
    };
    if members.is_empty() {
        members = from_youth_region.map(|r| r.members).unwrap_or_default();
    }
    Ok(NewRegion { code, name, domain, centre, youth_region, members, joined_on })
}

#[utoipa::path(post, path = "/regios", tag = "regios", request_body = NieuweRegio,
    responses((status = 201, body = Regio),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    body: ApiJson<NieuweRegio>,
) -> AppResult<(StatusCode, Json<Regio>)> {
    if !user.principal.can_create_regions() {
        return Err(AppError::forbidden());
    }
    let new = new_region(&state, &body.accept()?).await?;
    let region = state.store.create_region(&new, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(region.into())))
}

#[utoipa::path(get, path = "/regios/{code}", tag = "regios", params(("code" = String, Path)),
    responses((status = 200, body = Regio)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
) -> AppResult<Json<Regio>> {
    let (region, _) = region_for(&state, &user, &code).await?;
    Ok(Json(region.into()))
}

#[utoipa::path(patch, path = "/regios/{code}", tag = "regios", params(("code" = String, Path)), request_body = RegioWijziging,
    responses((status = 200, body = Regio),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<RegioWijziging>,
) -> AppResult<Json<Regio>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_region() {
        return Err(AppError::forbidden());
    }
    let changes: RegionChanges = body.check(|b| {
        let centre = match &b.centrumgemeente {
            None => region.centre_municipality.clone().unwrap_or_default(),
            Some(c) => c.clone().unwrap_or_default(),
        };
        input::region_changes(
            b.naam.as_deref().unwrap_or(&region.name),
            b.domein.as_deref().unwrap_or(&region.domain),
            &centre,
        )
    })?;
    let updated = state.store.update_region(region.id, &changes, &user.actor("api")).await?;
    Ok(Json(updated.into()))
}

#[utoipa::path(get, path = "/regios/{code}/leden", tag = "regios", params(("code" = String, Path), PageQuery),
    responses((status = 200, description = "All membership periods, past and current", body = super::pagination::Page<Lidmaatschap>)))]
pub async fn list_members(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Lidmaatschap>> {
    let request = q.request()?;
    let (region, _) = region_for(&state, &user, &code).await?;
    let members: Vec<Lidmaatschap> =
        state.store.memberships(region.id).await?.into_iter().map(Lidmaatschap::from).collect();
    Ok(single_page(members, request, &uri))
}

#[utoipa::path(post, path = "/regios/{code}/leden", tag = "regios", params(("code" = String, Path)), request_body = NieuwLidmaatschap,
    responses((status = 201, body = Lidmaatschap),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn add_member(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<NieuwLidmaatschap>,
) -> AppResult<(StatusCode, Json<Lidmaatschap>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_region() {
        return Err(AppError::forbidden());
    }
    let (municipality, period) = body.check(|b| {
        input::membership(
            b.gemeentecode.as_deref().unwrap_or(""),
            b.lid_vanaf.as_deref().unwrap_or(""),
            b.lid_tot.as_deref().unwrap_or(""),
        )
    })?;
    let row = state.store.add_membership(region.id, &municipality, period, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(patch, path = "/regios/{code}/leden/{id}", tag = "regios",
    params(("code" = String, Path), ("id" = i64, Path)), request_body = LidmaatschapBeeindigen,
    responses((status = 200, body = Lidmaatschap),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn end_member(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<LidmaatschapBeeindigen>,
) -> AppResult<Json<Lidmaatschap>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_region() {
        return Err(AppError::forbidden());
    }
    let left_on = body.check(|b| {
        let mut invalid = Invalid::new();
        match b.lid_tot.as_deref() {
            None | Some("") => {
                invalid.push("lidTot", "required", "Vul de eerste dag in waarop de gemeente geen lid meer is.");
                Err(invalid)
            }
            Some(d) => invalid.check("lidTot", parse_date(d)).ok_or(invalid),
        }
    })?;
    let row = state.store.end_membership(region.id, id, left_on, &user.actor("api")).await?;
    Ok(Json(row.into()))
}

/// The figures of every current member for a year, missing figures as `null`.
pub async fn figures_table(state: &AppState, region: &RegionRow, year: i32) -> AppResult<Vec<Kerncijfers>> {
    let memberships = state.store.memberships(region.id).await?;
    let figures = state.store.figures(region.id, year).await?;
    let mut out: Vec<Kerncijfers> = Vec::new();
    for m in memberships {
        let member_that_year = m.period().covers_year(year);
        if !member_that_year || out.iter().any(|k| k.gemeentecode == m.municipality_code) {
            continue;
        }
        let f = figures
            .iter()
            .find(|f| f.municipality_code == m.municipality_code)
            .map(|f| f.figures())
            .unwrap_or_default();
        out.push(Kerncijfers {
            gemeentecode: m.municipality_code,
            gemeente: m.municipality_name,
            jaar: year,
            inwoners: m.inhabitants,
            jeugdigen: f.youths,
            budget_jeugd_cent: f.budget_youth.map(|c| c.0),
            budget_wmo_cent: f.budget_wmo.map(|c| c.0),
        });
    }
    Ok(out)
}

#[utoipa::path(get, path = "/regios/{code}/kerncijfers", tag = "regios", params(("code" = String, Path), JaarQuery, PageQuery),
    responses((status = 200, body = super::pagination::Page<Kerncijfers>)))]
pub async fn list_figures(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<JaarQuery>,
) -> AppResult<PageResponse<Kerncijfers>> {
    let request = q.page.request()?;
    let year = match q.jaar.as_deref() {
        Some(y) => input::year(y)?,
        None => samenspel_store::now().year(),
    };
    let (region, _) = region_for(&state, &user, &code).await?;
    Ok(single_page(figures_table(&state, &region, year).await?, request, &uri))
}

#[utoipa::path(put, path = "/regios/{code}/kerncijfers/{jaar}/{gemeentecode}", tag = "regios",
    params(("code" = String, Path), ("jaar" = i32, Path), ("gemeentecode" = String, Path)), request_body = KerncijfersInvoer,
    responses((status = 200, body = Kerncijfers),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn put_figures(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, year, municipality)): Path<(String, String, String)>,
    body: ApiJson<KerncijfersInvoer>,
) -> AppResult<Json<Kerncijfers>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let year = input::year(&year)?;
    let municipality = MunicipalityCode::parse(&municipality).map_err(|_| AppError::not_found())?;
    if !access.can_edit_member_figures(&municipality) {
        return Err(AppError::forbidden());
    }
    let figures = body.check(|b| {
        let mut invalid = Invalid::new();
        for (name, value) in
            [("jeugdigen", b.jeugdigen), ("budgetJeugdCent", b.budget_jeugd_cent), ("budgetWmoCent", b.budget_wmo_cent)]
        {
            if value.is_some_and(|v| v < 0) {
                invalid.push(name, "range", "Een negatief getal kan hier niet.");
            }
        }
        invalid.finish(|| MemberFigures {
            youths: b.jeugdigen,
            budget_youth: b.budget_jeugd_cent.map(Cents),
            budget_wmo: b.budget_wmo_cent.map(Cents),
        })
    })?;
    state.store.set_figures(region.id, &municipality, year, &figures, &user.actor("api")).await?;
    let row = figures_table(&state, &region, year)
        .await?
        .into_iter()
        .find(|k| k.gemeentecode == municipality.as_str())
        .ok_or_else(AppError::not_found)?;
    Ok(Json(row))
}
