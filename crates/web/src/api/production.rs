//! Production data: `importen` (upload, status, report, quarantine), `toewijzingen` and
//! `declaraties` (client-level rows: a member sees only its own municipality's clients, a
//! provider only its own production, nobody else any), `budgetten`, and `uitgaven` with the
//! forecast and the signals (aggregates: everyone in the region).

use super::pagination::{page, single_page, PageQuery, PageResponse};
use super::timestamp;
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::production::{self as assemble, Outlook, Signals};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use samenspel_domain::access::RegionAccess;
use samenspel_domain::{Invalid, MunicipalityCode};
use samenspel_store::production::{
    AssignmentRow, ClaimLineRow, ClientRowFilter, Dimension, ImportRow, ProblemRow, ReprocessOutcome, SpendFilter,
};
use serde::{Deserialize, Serialize};

/// An import of one file and its outcome.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Import {
    pub id: i64,
    pub bestandsnaam: String,
    /// `xml`, `csv` or `herverwerking`.
    pub formaat: String,
    /// The message read, such as `JW323`, `WMO301` or `CSV JW323`.
    pub bericht: String,
    /// `bezig`, `klaar`, `afgewezen` (nothing imported) or `dubbel` (imported before; nothing added).
    pub status: String,
    pub bytes: i64,
    pub records: i64,
    pub ingelezen: i64,
    pub quarantaine: i64,
    pub dubbel: i64,
    pub waarschuwingen: i64,
    /// A member's import is limited to its own municipality.
    pub gemeentecode: Option<String>,
    /// For `dubbel`: the import that read this file before.
    pub eerder_ingelezen_in: Option<i64>,
    pub ingelezen_door: String,
    pub gestart: String,
    pub klaar: Option<String>,
    /// While running in this server: percentage of the file read.
    pub voortgang: Option<u8>,
}

fn import_json(row: ImportRow, progress: Option<u8>) -> Import {
    Import {
        id: row.id,
        bestandsnaam: row.file_name,
        formaat: row.format,
        bericht: row.message,
        status: row.status,
        bytes: row.bytes,
        records: row.records,
        ingelezen: row.accepted,
        quarantaine: row.quarantined,
        dubbel: row.duplicates,
        waarschuwingen: row.warnings,
        gemeentecode: row.municipality_scope,
        eerder_ingelezen_in: row.duplicate_of,
        ingelezen_door: row.imported_by,
        gestart: timestamp(row.started_at),
        klaar: row.finished_at.map(timestamp),
        voortgang: progress,
    }
}

/// A problem found in an import: where, which field, which rule, why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Probleem {
    pub id: i64,
    pub regel: Option<i64>,
    pub positie: i64,
    pub veld: String,
    /// The standard's rule code (CS002, TR338, …), `XSD`, `CSV`, or a short name.
    pub regelcode: String,
    pub melding: String,
    /// `fout` (the record is not imported) or `waarschuwing` (imported, worth a look).
    pub ernst: String,
    /// `open` (in quarantine, can be processed again after a fix), `blijvend` (needs a
    /// corrected file) or `verwerkt`.
    pub status: String,
    pub gemeentecode: Option<String>,
    /// The quarantined record, pseudonymised: only for the client's own municipality.
    #[schema(value_type = Option<Object>)]
    pub record: Option<serde_json::Value>,
}

fn problem_json(p: ProblemRow, access: &RegionAccess) -> Probleem {
    let own = p
        .municipality_code
        .as_deref()
        .and_then(|m| MunicipalityCode::parse(m).ok())
        .is_some_and(|m| access.can_view_client_rows_of(&m));
    Probleem {
        id: p.id,
        regel: p.line,
        positie: p.byte_offset,
        veld: p.field,
        regelcode: p.rule,
        melding: p.message,
        ernst: p.severity,
        status: p.status,
        gemeentecode: p.municipality_code,
        record: if own { p.record_json.and_then(|r| serde_json::from_str(&r).ok()) } else { None },
    }
}

/// An import visible to this user: the region's team sees all, a member those it made.
async fn visible_import(state: &AppState, access: &RegionAccess, region_id: i64, id: i64) -> AppResult<ImportRow> {
    if !access.can_view_imports() {
        return Err(AppError::forbidden());
    }
    let row = state.store.import(region_id, id).await?;
    let own = access.import_scope().map(|m| m.as_str().to_string());
    if own.is_some() && row.municipality_scope != own {
        return Err(AppError::not_found());
    }
    Ok(row)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, for the report.
    pub bestandsnaam: Option<String>,
}

#[utoipa::path(get, path = "/regios/{code}/importen", tag = "productie", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Import>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_imports(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Import>> {
    let request = q.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_imports() {
        return Err(AppError::forbidden());
    }
    let scope = access.import_scope().map(|m| m.as_str().to_string());
    let rows = state.store.imports(region.id, scope.as_deref(), request).await?;
    Ok(page(rows, request, &uri, |r| {
        let progress = state.import_progress(r.id).map(|p| p.percent());
        import_json(r, progress)
    }))
}

/// Upload one file (the body: an iJw/iWmo message, a GGK envelope or a CSV file, at most
/// 64 MiB). The import runs in the background: the answer is `202` with the import's address;
/// its status turns from `bezig` to `klaar`, `afgewezen` or `dubbel`.
#[utoipa::path(post, path = "/regios/{code}/importen", tag = "productie", params(("code" = String, Path), UploadQuery),
    request_body(content = String, content_type = "application/octet-stream", description = "The file's bytes."),
    responses((status = 202, body = Import),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> AppResult<Response> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_import_production() {
        return Err(AppError::forbidden());
    }
    if body.is_empty() {
        return Err(AppError::bad_request("Het bestand is leeg: stuur de inhoud als body van het verzoek."));
    }
    let name = q.bestandsnaam.unwrap_or_else(|| "upload".into());
    let id = assemble::start_import(&state, &region, &access, &user, "api", &name, body.to_vec()).await?;
    let row = state.store.import(region.id, id).await?;
    let progress = state.import_progress(id).map(|p| p.percent());
    let location = format!("/api/v1/regios/{}/importen/{id}", region.code);
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(import_json(row, progress))).into_response())
}

#[utoipa::path(get, path = "/regios/{code}/importen/{id}", tag = "productie", params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Import), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_import(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Import>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let row = visible_import(&state, &access, region.id, id).await?;
    let progress = state.import_progress(id).map(|p| p.percent());
    Ok(Json(import_json(row, progress)))
}

#[utoipa::path(get, path = "/regios/{code}/importen/{id}/problemen", tag = "productie",
    params(("code" = String, Path), ("id" = i64, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Probleem>)))]
pub async fn import_problems(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> AppResult<PageResponse<Probleem>> {
    let request = q.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    visible_import(&state, &access, region.id, id).await?;
    let rows = state.store.import_problems(region.id, id, request).await?;
    Ok(page(rows, request, &uri, |p| problem_json(p, &access)))
}

/// What processing the quarantine again achieved.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Herverwerking {
    pub geprobeerd: i64,
    pub verwerkt: i64,
    pub nog_in_quarantaine: i64,
}

impl From<ReprocessOutcome> for Herverwerking {
    fn from(o: ReprocessOutcome) -> Self {
        Herverwerking { geprobeerd: o.tried, verwerkt: o.resolved, nog_in_quarantaine: o.still_open }
    }
}

/// Process every open quarantined record again (after the missing assignment arrived, the
/// provider was registered, or the product was added to the catalogue).
#[utoipa::path(post, path = "/regios/{code}/quarantaine/_herverwerk", tag = "productie", params(("code" = String, Path)),
    responses((status = 200, body = Herverwerking), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn reprocess(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
) -> AppResult<Json<Herverwerking>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_reprocess_quarantine() {
        return Err(AppError::forbidden());
    }
    let today = samenspel_store::today();
    Ok(Json(state.store.reprocess_quarantine(region.id, today, &user.actor("api")).await?.into()))
}

/// Which client-level rows to read.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ClientRowQuery {
    /// A member: its own municipality (the default). A provider: narrow to one municipality.
    pub gemeentecode: Option<String>,
    /// A provider: its own id (the default). A member: narrow to one provider.
    pub aanbieder_id: Option<String>,
    /// `jeugd` or `wmo`.
    pub wet: Option<String>,
    /// From month (`2026-01`), claim lines only.
    pub van_maand: Option<String>,
    /// Up to and including month (`2026-06`), claim lines only.
    pub tot_maand: Option<String>,
}

fn parse_month(s: &str) -> Option<i32> {
    let (y, m) = s.trim().split_once('-')?;
    let (y, m): (i32, i32) = (y.parse().ok()?, m.parse().ok()?);
    ((2000..=2100).contains(&y) && (1..=12).contains(&m)).then_some(y * 100 + m)
}

/// The filter a user may read client rows with: always narrowed to their own municipality or
/// their own provider. The region's team, the coach and observers read none.
pub fn client_filter(access: &RegionAccess, q: &ClientRowQuery) -> AppResult<ClientRowFilter> {
    let mut invalid = Invalid::new();
    let municipality = match q.gemeentecode.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => match MunicipalityCode::parse(s) {
            Ok(m) => Some(m),
            Err(e) => {
                invalid.push("gemeentecode", &e.code, e.reason);
                None
            }
        },
        None => None,
    };
    let provider = match q.aanbieder_id.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => match s.parse::<i64>() {
            Ok(p) => Some(p),
            Err(_) => {
                invalid.push("aanbiederId", "pattern", "aanbiederId is een getal.");
                None
            }
        },
        None => None,
    };
    let law = q.wet.clone().filter(|s| !s.is_empty());
    if law.as_deref().is_some_and(|l| l != "jeugd" && l != "wmo") {
        invalid.push("wet", "enum", "Kies jeugd of wmo.");
    }
    let month = |name: &str, v: &Option<String>, invalid: &mut Invalid| match v.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let m = parse_month(s);
            if m.is_none() {
                invalid.push(name, "pattern", "Schrijf een maand als 2026-04.");
            }
            m
        }
    };
    let from_month = month("vanMaand", &q.van_maand, &mut invalid);
    let to_month = month("totMaand", &q.tot_maand, &mut invalid);
    if !invalid.is_empty() {
        return Err(AppError::invalid(invalid));
    }
    let own_member = municipality.clone().or_else(|| access.municipalities.first().cloned());
    let own_provider = provider.or_else(|| access.providers.first().copied());
    let (municipality, provider_id) = match (own_member, own_provider) {
        (Some(m), p) if access.can_view_client_rows_of(&m) => {
            (Some(m.as_str().to_string()), p.filter(|_| provider.is_some()))
        }
        (m, Some(p)) if access.can_view_production_of(p) => {
            (m.filter(|_| municipality.is_some()).map(|m| m.as_str().to_string()), Some(p))
        }
        _ => {
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                "Regels op cliëntniveau ziet alleen de eigen gemeente van de cliënt of de eigen zorgaanbieder; \
                 gebruik de uitgaven voor de totalen van de regio.",
            ))
        }
    };
    Ok(ClientRowFilter { municipality, provider_id, law, from_month, to_month })
}

/// An assignment (301), newest version; the client as a pseudonym.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Toewijzing {
    pub wet: String,
    pub gemeentecode: String,
    pub aanbieder_id: i64,
    pub aanbieder: String,
    pub client: String,
    pub toewijzingnummer: i64,
    pub productcategorie: Option<String>,
    pub productcode: Option<String>,
    #[schema(format = Date)]
    pub toewijzingsdatum: String,
    #[schema(format = Date)]
    pub ingangsdatum: String,
    #[schema(format = Date)]
    pub einddatum: Option<String>,
    pub reden_wijziging: Option<String>,
    pub volume: Option<i64>,
    pub eenheid: Option<String>,
    pub frequentie: Option<String>,
    pub budget_cent: Option<i64>,
}

impl From<AssignmentRow> for Toewijzing {
    fn from(a: AssignmentRow) -> Self {
        Toewijzing {
            wet: a.law,
            gemeentecode: a.municipality_code,
            aanbieder_id: a.provider_id,
            aanbieder: a.provider_name,
            client: a.client,
            toewijzingnummer: a.number,
            productcategorie: a.category,
            productcode: a.product_code,
            toewijzingsdatum: a.assigned_on.to_string(),
            ingangsdatum: a.starts_on.to_string(),
            einddatum: a.ends_on.map(|d| d.to_string()),
            reden_wijziging: a.change_reason,
            volume: a.volume,
            eenheid: a.unit,
            frequentie: a.frequency,
            budget_cent: a.budget_cents,
        }
    }
}

/// A claim line (323 Prestatie); credit lines are negative.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Declaratieregel {
    pub wet: String,
    pub gemeentecode: String,
    pub aanbieder_id: i64,
    pub aanbieder: String,
    pub declaratienummer: String,
    pub client: String,
    pub referentienummer: String,
    pub vorig_referentienummer: Option<String>,
    pub toewijzingnummer: i64,
    pub productcategorie: String,
    pub productcode: Option<String>,
    pub perceel_id: Option<i64>,
    #[schema(format = Date)]
    pub begindatum: String,
    #[schema(format = Date)]
    pub einddatum: String,
    pub volume: i64,
    pub eenheid: String,
    pub tarief_cent: Option<i64>,
    pub bedrag_cent: i64,
    /// The contracted tariff, when a contract applies.
    pub contracttarief_cent: Option<i64>,
    /// Rejected by the municipality in its answer (325): no longer counted as spend.
    pub afgewezen: bool,
}

impl From<ClaimLineRow> for Declaratieregel {
    fn from(l: ClaimLineRow) -> Self {
        Declaratieregel {
            wet: l.law,
            gemeentecode: l.municipality_code,
            aanbieder_id: l.provider_id,
            aanbieder: l.provider_name,
            declaratienummer: l.claim_number,
            client: l.client,
            referentienummer: l.reference,
            vorig_referentienummer: l.previous_reference,
            toewijzingnummer: l.assignment_number,
            productcategorie: l.category,
            productcode: l.product_code,
            perceel_id: l.lot_id,
            begindatum: l.period_start.to_string(),
            einddatum: l.period_end.to_string(),
            volume: l.volume,
            eenheid: l.unit,
            tarief_cent: l.tariff_cents,
            bedrag_cent: l.amount_cents,
            contracttarief_cent: l.contract_tariff_cents,
            afgewezen: l.rejected,
        }
    }
}

#[utoipa::path(get, path = "/regios/{code}/toewijzingen", tag = "productie", params(("code" = String, Path), ClientRowQuery, PageQuery),
    responses((status = 200, body = super::pagination::Page<Toewijzing>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn assignments(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<ClientRowQuery>,
    Query(p): Query<PageQuery>,
) -> AppResult<PageResponse<Toewijzing>> {
    let request = p.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    let filter = client_filter(&access, &q)?;
    let rows = state.store.assignments(region.id, &filter, request).await?;
    Ok(page(rows, request, &uri, Toewijzing::from))
}

#[utoipa::path(get, path = "/regios/{code}/declaraties", tag = "productie", params(("code" = String, Path), ClientRowQuery, PageQuery),
    responses((status = 200, body = super::pagination::Page<Declaratieregel>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn claim_lines(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<ClientRowQuery>,
    Query(p): Query<PageQuery>,
) -> AppResult<PageResponse<Declaratieregel>> {
    let request = p.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    let filter = client_filter(&access, &q)?;
    let rows = state.store.claim_lines(region.id, &filter, request).await?;
    Ok(page(rows, request, &uri, Declaratieregel::from))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SpendQuery {
    /// The year (default: the year of the last complete month).
    pub jaar: Option<String>,
    /// `jeugd` or `wmo` (default: the region's first domain).
    pub wet: Option<String>,
    /// Group by `gemeente`, `aanbieder`, `perceel`, `product` or `maand` (default `gemeente`).
    pub per: Option<String>,
    /// Only this member.
    pub gemeentecode: Option<String>,
    /// Only this provider.
    pub aanbieder_id: Option<String>,
}

/// The year, law and filters of a spend query, checked.
pub struct SpendSelection {
    pub year: i32,
    pub law: String,
    pub dimension: Dimension,
    pub filter: SpendFilter,
}

pub fn spend_selection(
    region: &samenspel_store::regions::RegionRow,
    q: &SpendQuery,
) -> Result<SpendSelection, Invalid> {
    let mut invalid = Invalid::new();
    let today = samenspel_store::today();
    let (default_year, _) = assemble::last_complete_month(today);
    let year = match q.jaar.as_deref().filter(|s| !s.is_empty()) {
        None => default_year,
        Some(s) => match s.parse::<i32>() {
            Ok(y) if (2015..=2100).contains(&y) => y,
            _ => {
                invalid.push("jaar", "range", "Kies een jaar vanaf 2015.");
                default_year
            }
        },
    };
    let default_law = if region.domain == "wmo" { "wmo" } else { "jeugd" };
    let law = match q.wet.as_deref().filter(|s| !s.is_empty()) {
        None => default_law.to_string(),
        Some(l @ ("jeugd" | "wmo")) => l.to_string(),
        Some(_) => {
            invalid.push("wet", "enum", "Kies jeugd of wmo.");
            default_law.to_string()
        }
    };
    let dimension = match q.per.as_deref().filter(|s| !s.is_empty()) {
        None => Dimension::Member,
        Some(s) => Dimension::parse(s).unwrap_or_else(|| {
            invalid.push("per", "enum", "Kies gemeente, aanbieder, perceel, product of maand.");
            Dimension::Member
        }),
    };
    let municipality = match q.gemeentecode.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match MunicipalityCode::parse(s) {
            Ok(m) => Some(m.as_str().to_string()),
            Err(e) => {
                invalid.push("gemeentecode", &e.code, e.reason);
                None
            }
        },
    };
    let provider_id = match q.aanbieder_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => s.parse::<i64>().map(Some).unwrap_or_else(|_| {
            invalid.push("aanbiederId", "pattern", "aanbiederId is een getal.");
            None
        }),
    };
    let filter = SpendFilter { law: Some(law.clone()), municipality, provider_id, ..SpendFilter::year(year) };
    invalid.finish(|| SpendSelection { year, law, dimension, filter })
}

/// One group of spend.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Uitgave {
    /// GM code, provider id, lot id (`0` = no contract), `category code`, or `yyyymm`.
    pub sleutel: String,
    pub naam: String,
    pub bedrag_cent: i64,
    /// Units delivered (hours, days, …); credits subtract.
    pub volume: i64,
    pub regels: i64,
}

#[utoipa::path(get, path = "/regios/{code}/uitgaven", tag = "productie", params(("code" = String, Path), SpendQuery, PageQuery),
    responses((status = 200, body = super::pagination::Page<Uitgave>),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn spend(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<SpendQuery>,
    Query(p): Query<PageQuery>,
) -> AppResult<PageResponse<Uitgave>> {
    let request = p.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_spend() {
        return Err(AppError::forbidden());
    }
    let s = spend_selection(&region, &q)?;
    let rows = assemble::spend_rows(&state.store, region.id, s.dimension, &s.filter).await?;
    let items = rows
        .into_iter()
        .map(|r| Uitgave {
            sleutel: r.key,
            naam: r.label,
            bedrag_cent: r.amount_cents,
            volume: r.volume,
            regels: r.lines,
        })
        .collect();
    Ok(single_page(items, request, &uri))
}

/// Each member's budget per year, as entered in the key figures.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    pub jaar: i32,
    pub gemeentecode: String,
    pub gemeente: String,
    pub budget_jeugd_cent: Option<i64>,
    pub budget_wmo_cent: Option<i64>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The year (default: the year of the last complete month).
    pub jaar: Option<String>,
}

#[utoipa::path(get, path = "/regios/{code}/budgetten", tag = "productie", params(("code" = String, Path), YearQuery, PageQuery),
    responses((status = 200, body = super::pagination::Page<Budget>)))]
pub async fn budgets(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(q): Query<YearQuery>,
    Query(p): Query<PageQuery>,
) -> AppResult<PageResponse<Budget>> {
    let request = p.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_spend() {
        return Err(AppError::forbidden());
    }
    let s = spend_selection(&region, &SpendQuery { jaar: q.jaar, ..SpendQuery::default() })?;
    let names: std::collections::HashMap<String, String> = state
        .store
        .memberships(region.id)
        .await?
        .into_iter()
        .map(|m| (m.municipality_code, m.municipality_name))
        .collect();
    let items = state
        .store
        .figures(region.id, s.year)
        .await?
        .into_iter()
        .map(|f| Budget {
            jaar: f.year,
            gemeente: names.get(&f.municipality_code).cloned().unwrap_or_default(),
            gemeentecode: f.municipality_code,
            budget_jeugd_cent: f.budget_youth_cents,
            budget_wmo_cent: f.budget_wmo_cents,
        })
        .collect();
    Ok(single_page(items, request, &uri))
}

/// A year against its budget; amounts in euro cents.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Prognosecijfers {
    /// Spent up to and including the last complete month.
    pub gerealiseerd_cent: i64,
    /// Mean spend of the last three complete months.
    pub trend_per_maand_cent: i64,
    /// Per month: realised up to the last complete month, forecast after it.
    pub per_maand_cent: Vec<i64>,
    pub jaareinde_cent: i64,
    pub budget_cent: Option<i64>,
    /// The day the budget runs out at this pace, if that is this year.
    #[schema(format = Date)]
    pub budget_op: Option<String>,
    /// How far the year-end forecast exceeds the budget.
    pub overschrijding_cent: Option<i64>,
    /// New assignments per ending one over the last three months (1 = steady).
    pub vervanging: f64,
}

impl From<&samenspel_calc::spend::Forecast> for Prognosecijfers {
    fn from(f: &samenspel_calc::spend::Forecast) -> Self {
        Prognosecijfers {
            gerealiseerd_cent: f.realised,
            trend_per_maand_cent: f.trend_per_month,
            per_maand_cent: f.projected.to_vec(),
            jaareinde_cent: f.year_end,
            budget_cent: f.budget,
            budget_op: f.depletion.map(|d| d.to_string()),
            overschrijding_cent: f.overrun,
            vervanging: f.replacement,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Lidprognose {
    pub gemeentecode: String,
    pub gemeente: String,
    /// Clients with claims this year.
    pub clienten: i64,
    pub prognose: Prognosecijfers,
}

impl From<&assemble::MemberOutlook> for Lidprognose {
    fn from(m: &assemble::MemberOutlook) -> Self {
        Lidprognose {
            gemeentecode: m.municipality_code.clone(),
            gemeente: m.name.clone(),
            clienten: m.clients,
            prognose: (&m.forecast).into(),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Prognose {
    pub jaar: i32,
    pub wet: String,
    /// The last month counted as complete (1–12; 0 = none yet).
    pub tot_en_met_maand: u8,
    pub leden: Vec<Lidprognose>,
    /// The region as a whole; its budget only when every member entered one.
    pub regio: Prognosecijfers,
}

impl From<&Outlook> for Prognose {
    fn from(o: &Outlook) -> Self {
        Prognose {
            jaar: o.year,
            wet: o.law.clone(),
            tot_en_met_maand: o.through,
            leden: o.members.iter().map(Lidprognose::from).collect(),
            regio: (&o.region).into(),
        }
    }
}

/// Spend against budget per member with the year-end forecast and the depletion date.
#[utoipa::path(get, path = "/regios/{code}/uitgaven/prognose", tag = "productie", params(("code" = String, Path), SpendQuery),
    responses((status = 200, body = Prognose)))]
pub async fn outlook(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    Query(q): Query<SpendQuery>,
) -> AppResult<Json<Prognose>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_spend() {
        return Err(AppError::forbidden());
    }
    let s = spend_selection(&region, &q)?;
    let today = samenspel_store::today();
    Ok(Json((&assemble::outlook(&state.store, region.id, s.year, &s.law, today).await?).into()))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BovenTarief {
    pub aanbieder_id: i64,
    pub aanbieder: String,
    pub regels: i64,
    /// (Claimed − contracted tariff) × volume.
    pub boven_contract_cent: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrijsSignaal {
    pub aanbieder_id: i64,
    pub aanbieder: String,
    pub productcategorie: String,
    pub prijs_per_client_cent: i64,
    pub mediaan_cent: i64,
    pub clienten: i64,
    /// Price per client relative to the median of the region's providers.
    pub verhouding: f64,
    /// Robust z-score (above 3.5 counts as far).
    pub score: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroeiSignaal {
    pub aanbieder_id: i64,
    pub aanbieder: String,
    /// Spend in the three months before the last three complete months.
    pub voor_cent: i64,
    /// Spend in the last three complete months.
    pub na_cent: i64,
    pub groei: f64,
    pub regionale_groei: f64,
    pub score: f64,
}

/// Prompts for a conversation, not verdicts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Signalen {
    pub jaar: i32,
    pub wet: String,
    /// Members whose year-end forecast exceeds their budget.
    pub overschrijding: Vec<Lidprognose>,
    pub boven_contracttarief: Vec<BovenTarief>,
    pub prijs_per_client: Vec<PrijsSignaal>,
    pub groei: Vec<GroeiSignaal>,
}

impl From<&Signals> for Signalen {
    fn from(s: &Signals) -> Self {
        Signalen {
            jaar: s.year,
            wet: s.law.clone(),
            overschrijding: s.overrun.iter().map(Lidprognose::from).collect(),
            boven_contracttarief: s
                .above_tariff
                .iter()
                .map(|a| BovenTarief {
                    aanbieder_id: a.provider_id,
                    aanbieder: a.provider.clone(),
                    regels: a.lines,
                    boven_contract_cent: a.above_cents,
                })
                .collect(),
            prijs_per_client: s
                .price
                .iter()
                .map(|p| PrijsSignaal {
                    aanbieder_id: p.signal.provider_id,
                    aanbieder: p.provider.clone(),
                    productcategorie: p.signal.category.clone(),
                    prijs_per_client_cent: p.signal.price_per_client_cents,
                    mediaan_cent: p.signal.median_cents,
                    clienten: p.signal.clients,
                    verhouding: p.signal.ratio,
                    score: p.signal.score,
                })
                .collect(),
            groei: s
                .growth
                .iter()
                .map(|g| GroeiSignaal {
                    aanbieder_id: g.signal.provider_id,
                    aanbieder: g.provider.clone(),
                    voor_cent: g.signal.before_cents,
                    na_cent: g.signal.after_cents,
                    groei: g.signal.growth,
                    regionale_groei: g.signal.regional_growth,
                    score: g.signal.score,
                })
                .collect(),
        }
    }
}

/// Signals for contract management: members heading for overrun, claims above the contracted
/// tariff, and providers whose price per client or growth is far from the regional pattern.
#[utoipa::path(get, path = "/regios/{code}/signalen", tag = "productie", params(("code" = String, Path), SpendQuery),
    responses((status = 200, body = Signalen)))]
pub async fn signals(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    Query(q): Query<SpendQuery>,
) -> AppResult<Json<Signalen>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_spend() {
        return Err(AppError::forbidden());
    }
    let s = spend_selection(&region, &q)?;
    let today = samenspel_store::today();
    Ok(Json((&assemble::signals(&state.store, region.id, s.year, &s.law, today).await?).into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        assert_eq!(parse_month("2026-04"), Some(202604));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("april"), None);
    }
}
