//! The provider side in the browser (issue 8): accountability requests the region asks once,
//! the provider's one submission (form or file), and each member's part of it.

use super::production::csv_response;
use super::{render, see_other, show, FormView, Layout, NavItem, Notice, PageError, PageResult, RegionCtx};
use crate::auth::{region_for, PageUser};
use crate::error::AppError;
use crate::forms::{CsrfForm, CsrfMultipart, FormPairs};
use crate::provider_side::{
    acting_provider, parse_request, request_status, served_members, visible_request, RequestInput,
};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_domain::accountability::{
    field_lines, from_form, parse_file, FieldSpec, Format, Frequency, RequestKind, Scope, SubmissionProblem, Value,
    ValueKey, CSV_COLUMNS,
};
use samenspel_domain::Invalid;
use samenspel_store::accountability::{NewSubmission, RequestRow, SubmissionRow};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The provider-side pages, shown as a second menu on each of them.
pub const PROVIDER_PAGES: [(&str, &str); 1] = [("verantwoording", "Verantwoording")];

pub fn provider_nav(region_code: &str, current: &str) -> Vec<NavItem> {
    PROVIDER_PAGES
        .iter()
        .map(|(path, label)| NavItem {
            href: format!("/regios/{region_code}/{path}"),
            label,
            current: *path == current,
        })
        .collect()
}

/// Whether a page belongs to the provider side, for the main menu.
pub fn is_provider_side_path(base: &str, current: &str) -> bool {
    PROVIDER_PAGES.iter().any(|(path, _)| current.starts_with(&format!("{base}/{path}")))
}

fn layout(ctx: &RegionCtx<'_>, title: &str, notice: Option<Notice>) -> Layout {
    Layout::for_region(title, ctx.user, ctx.region, ctx.access, &format!("/regios/{}/verantwoording", ctx.region.code))
        .with_notice(notice)
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    pub gelukt: Option<String>,
    pub aanbieder: Option<i64>,
}

fn notice_for(code: Option<&str>) -> Option<Notice> {
    let text = match code? {
        "aangemaakt" => "Het verzoek is aangemaakt als concept. Aanbieders zien het zodra u het opent.",
        "opgeslagen" => "De wijzigingen zijn opgeslagen.",
        "geopend" => "Het verzoek staat open. Elke aanbieder met een contract ziet het op zijn startpagina.",
        "gesloten" => "Het verzoek is gesloten; er komen geen inzendingen meer bij.",
        "ingediend" => "Uw inzending is ontvangen. Elke gemeente ziet het deel dat haar aangaat.",
        "ingediend-te-laat" => {
            "Uw inzending is ontvangen, maar na de termijn; de regio ziet haar als te laat aangeleverd."
        }
        "ongewijzigd" => "Deze inzending is gelijk aan wat u al had ingediend; er is niets veranderd.",
        _ => return None,
    };
    Some(Notice { kind: "ok", text: text.to_string() })
}

// ------------------------------------------------------------------ the list

pub struct RequestLine {
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub period: String,
    pub deadline: String,
    pub status: &'static str,
    /// For a provider: where it stands; for the region: received of asked.
    pub progress: String,
}

#[derive(Template)]
#[template(path = "accountability_requests.html")]
struct RequestsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    subnav_label: &'static str,
    code: String,
    lines: Vec<RequestLine>,
    form: Option<FormView>,
}

fn kind_options() -> Vec<(String, String)> {
    RequestKind::ALL.iter().map(|k| (k.code().to_string(), k.label().to_string())).collect()
}

fn frequency_options() -> Vec<(String, String)> {
    Frequency::ALL.iter().map(|f| (f.code().to_string(), f.label().to_string())).collect()
}

async fn lot_options(ctx: &RegionCtx<'_>) -> Result<Vec<(String, String)>, PageError> {
    let mut options = vec![(String::new(), "alle aanbieders met een contract".to_string())];
    for lot in ctx.state.store.lots(ctx.region.id).await? {
        options.push((lot.id.to_string(), format!("alleen perceel {}", lot.name)));
    }
    Ok(options)
}

async fn request_form(
    ctx: &RegionCtx<'_>,
    action: String,
    submit: &'static str,
    v: &FormPairs,
) -> Result<FormView, PageError> {
    let lots = lot_options(ctx).await?;
    Ok(FormView::new("verzoek", action, submit, ctx.user.csrf())
        .field("titel", "Titel", "text", v.get("titel"), true)
        .select("soort", "Soort uitvraag", v.get("soort"), kind_options(), true)
        .hint("De regio schat per soort de uren die een inzending een aanbieder kost (zie Administratieve lasten).")
        .select("frequentie", "Hoe vaak", v.get("frequentie"), frequency_options(), true)
        .field("periode", "Over welke periode", "text", v.get("periode"), true)
        .hint("Bijvoorbeeld 2025 of 2026 K3.")
        .field("deadline", "Uiterlijk aanleveren op", "text", v.get("deadline"), true)
        .hint("Als dd-mm-jjjj.")
        .select("perceelId", "Wie levert aan", v.get("perceelId"), lots, false)
        .field("velden", "Gevraagde cijfers", "textarea", v.get("velden"), true)
        .hint("Eén per regel: sleutel; omschrijving; eenheid (aantal, bedrag, getal of tekst); niveau (gemeente: een waarde per gemeente, aanbieder: één waarde voor de aanbieder als geheel). Bijvoorbeeld: clienten; Cliënten in zorg op 31 december; aantal; gemeente")
        .field("toelichting", "Toelichting voor aanbieders", "textarea", v.get("toelichting"), false))
}

fn request_input(v: &FormPairs) -> RequestInput {
    RequestInput {
        title: v.get("titel").into(),
        kind: v.get("soort").into(),
        frequency: v.get("frequentie").into(),
        period: v.get("periode").into(),
        description: v.get("toelichting").into(),
        field_lines: v.get("velden").into(),
        fields: None,
        deadline: v.get("deadline").into(),
        lot_id: v.get("perceelId").parse().ok(),
    }
}

async fn requests_page(
    ctx: &RegionCtx<'_>,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, region, access, .. } = *ctx;
    if !access.can_view_provider_side() {
        return Err(AppError::forbidden().into());
    }
    let mut lines = Vec::new();
    for r in state.store.accountability_requests(region.id).await? {
        if !crate::provider_side::may_see_request(access, &r) {
            continue;
        }
        let progress = if r.status == "concept" {
            String::new()
        } else if !access.providers.is_empty() {
            let status = request_status(state, region, &r).await?;
            status
                .iter()
                .filter(|l| access.providers.contains(&l.provider_id))
                .map(|l| l.standing.label())
                .collect::<Vec<_>>()
                .join(", ")
        } else if access.can_manage_provider_side() {
            let status = request_status(state, region, &r).await?;
            let received = status.iter().filter(|l| l.current.is_some()).count();
            let asked = status.iter().filter(|l| l.asked).count();
            format!("{received} van {asked} ontvangen")
        } else {
            String::new()
        };
        lines.push(RequestLine {
            id: r.id,
            kind: r.kind().label(),
            status: r.status_label(),
            deadline: show::date(Some(r.deadline)),
            title: r.title,
            period: r.period,
            progress,
        });
    }
    let form = match form {
        Some(f) => Some(f),
        None if access.can_manage_provider_side() => Some(
            request_form(
                ctx,
                format!("/regios/{}/verantwoording", region.code),
                "Verzoek aanmaken",
                &FormPairs::default(),
            )
            .await?,
        ),
        None => None,
    };
    let page = RequestsPage {
        layout: layout(ctx, "Verantwoording", notice),
        subnav: provider_nav(&region.code, "verantwoording"),
        subnav_label: "Aanbiedersloket",
        code: region.code.clone(),
        lines,
        form: form.map(FormView::done),
    };
    Ok(render(&page, status))
}

pub async fn requests(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    requests_page(&ctx, None, notice_for(q.gelukt.as_deref()), StatusCode::OK).await
}

pub async fn create_request(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_provider_side() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match parse_request(&request_input(&form)) {
        Ok(details) => state
            .store
            .create_accountability_request(region.id, &details, &user.actor("web"))
            .await
            .map_err(AppError::from),
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(row) => Ok(see_other(&format!("/regios/{}/verantwoording/{}?gelukt=aangemaakt", region.code, row.id))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let f = request_form(&ctx, format!("/regios/{}/verantwoording", region.code), "Verzoek aanmaken", &form)
                .await?
                .with_errors(&invalid);
            requests_page(&ctx, Some(f), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ------------------------------------------------------------------ one request

pub struct FieldLine {
    pub key: String,
    pub label: String,
    pub unit: &'static str,
    pub scope: &'static str,
}

/// A submission's values as a table: a row per member with the per-member figures, and the
/// provider's own figures below it.
pub struct ValuesView {
    /// Unique on the page, for the table's caption.
    pub id: String,
    pub provider: String,
    pub version: i32,
    pub submitted: String,
    pub by: String,
    pub late: bool,
    pub format: String,
    pub member_fields: Vec<String>,
    pub member_rows: Vec<(String, Vec<String>)>,
    pub provider_values: Vec<(String, String)>,
}

pub struct StatusRow {
    pub provider_id: i64,
    pub provider: String,
    pub members: usize,
    pub standing: &'static str,
    pub standing_code: &'static str,
    pub version: String,
    pub submitted: String,
}

/// One input cell of the submission form.
pub struct Cell {
    pub name: String,
    pub label: String,
    pub value: String,
    pub error: String,
    pub text: bool,
}

pub struct SubmitView {
    pub provider_id: i64,
    pub provider: String,
    pub choose_provider: bool,
    pub member_fields: Vec<String>,
    /// Member name and the cells of its row.
    pub rows: Vec<(String, Vec<Cell>)>,
    pub provider_cells: Vec<Cell>,
    pub problems: Vec<SubmissionProblem>,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "accountability_request.html")]
struct RequestPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    subnav_label: &'static str,
    code: String,
    request: RequestRow,
    kind: &'static str,
    frequency: &'static str,
    deadline: String,
    lot: String,
    fields: Vec<FieldLine>,
    manage: bool,
    edit_form: Option<FormView>,
    csrf: String,
    status_rows: Vec<StatusRow>,
    /// Submissions shown in full (a provider's own, or the one the region picked).
    full: Vec<ValuesView>,
    /// Earlier versions: (version, submitted, late).
    versions: Vec<(i32, String, bool)>,
    /// A member's parts, one per provider that serves it.
    parts: Vec<ValuesView>,
    member_view: bool,
    submit: Vec<SubmitView>,
    upload_problems: Vec<SubmissionProblem>,
    upload_form: Option<FormView>,
}

/// What a page shows after a refused submission: the typed values or the file's problems.
#[derive(Default)]
struct Typed {
    provider_id: Option<i64>,
    values: FormPairs,
    problems: Vec<SubmissionProblem>,
    upload_problems: Vec<SubmissionProblem>,
    edit: Option<(FormPairs, Invalid)>,
}

fn unit_label(spec: &FieldSpec) -> &'static str {
    spec.unit.code()
}

fn cell_name(member: Option<&str>, key: &str) -> String {
    format!("w.{}.{key}", member.unwrap_or("aanbieder"))
}

async fn member_names(ctx: &RegionCtx<'_>) -> Result<BTreeMap<String, String>, PageError> {
    Ok(ctx
        .state
        .store
        .memberships(ctx.region.id)
        .await?
        .into_iter()
        .map(|m| (m.municipality_code, m.municipality_name))
        .collect())
}

fn values_view(
    specs: &[FieldSpec],
    sub: &SubmissionRow,
    values: &BTreeMap<ValueKey, Value>,
    members: &[String],
    names: &BTreeMap<String, String>,
) -> ValuesView {
    let member_specs: Vec<&FieldSpec> = specs.iter().filter(|s| s.scope == Scope::PerMember).collect();
    let member_rows = members
        .iter()
        .map(|m| {
            let cells = member_specs
                .iter()
                .map(|s| values.get(&(Some(m.clone()), s.key.clone())).map(Value::display).unwrap_or_default())
                .collect();
            (names.get(m).cloned().unwrap_or_else(|| m.clone()), cells)
        })
        .collect();
    let provider_values = specs
        .iter()
        .filter(|s| s.scope == Scope::Provider)
        .map(|s| (s.label.clone(), values.get(&(None, s.key.clone())).map(Value::display).unwrap_or_default()))
        .collect();
    ValuesView {
        id: format!("inzending-{}", sub.id),
        provider: sub.provider_name.clone(),
        version: sub.version,
        submitted: show::datetime(sub.submitted_at),
        by: sub.submitted_by.clone(),
        late: sub.late,
        format: sub.format.clone(),
        member_fields: member_specs.iter().map(|s| s.label.clone()).collect(),
        member_rows: if member_specs.is_empty() { Vec::new() } else { member_rows },
        provider_values,
    }
}

async fn request_page(
    ctx: &RegionCtx<'_>,
    id: i64,
    q: &PageQuery,
    typed: Typed,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let request = visible_request(state, region, access, id).await?;
    let specs = request.field_specs();
    let names = member_names(ctx).await?;
    let manage = access.can_manage_provider_side();
    let lot = match request.lot_id {
        Some(l) => state.store.lot(region.id, l).await.map(|l| l.name).unwrap_or_default(),
        None => "alle aanbieders met een contract".into(),
    };
    let lines = if request.status == "concept" { Vec::new() } else { request_status(state, region, &request).await? };
    let status_rows = if manage {
        lines
            .iter()
            .map(|l| StatusRow {
                provider_id: l.provider_id,
                provider: l.provider_name.clone(),
                members: l.members.len(),
                standing: l.standing.label(),
                standing_code: l.standing.code(),
                version: l.current.as_ref().map(|c| c.version.to_string()).unwrap_or_default(),
                submitted: l.current.as_ref().map(|c| show::datetime(c.submitted_at)).unwrap_or_default(),
            })
            .collect()
    } else {
        Vec::new()
    };

    // Submissions shown in full: the provider's own, or the one the region picked.
    let mut full = Vec::new();
    let mut versions = Vec::new();
    let shown: Vec<i64> = if manage { q.aanbieder.into_iter().collect() } else { access.providers.clone() };
    for provider_id in shown {
        let all = state.store.accountability_submissions(request.id, Some(provider_id)).await?;
        if let Some(current) = all.first() {
            let values = state.store.submission_values(&request, current.id, None).await?;
            let members = state.store.submission_members(current.id).await?;
            full.push(values_view(&specs, current, &values, &members, &names));
            versions.extend(all.iter().skip(1).map(|s| (s.version, show::datetime(s.submitted_at), s.late)));
        }
    }

    // A member's parts.
    let member_view = !access.municipalities.is_empty() && !manage;
    let mut parts = Vec::new();
    if member_view && request.status != "concept" {
        for m in &access.municipalities {
            for sub in state.store.submissions_concerning(request.id, m.as_str()).await? {
                let values = state.store.submission_values(&request, sub.id, Some(m.as_str())).await?;
                parts.push(values_view(&specs, &sub, &values, &[m.as_str().to_string()], &names));
            }
        }
    }

    // The submission form for each provider this user works for and the request asks.
    let mut submit = Vec::new();
    if request.status == "open" {
        let served = served_members(state, region, crate::provider_side::request_day(&request), request.lot_id).await?;
        let choose_provider = access.providers.len() > 1;
        for provider_id in &access.providers {
            let Some(s) = served.get(provider_id) else { continue };
            let current = state.store.accountability_submissions(request.id, Some(*provider_id)).await?;
            let stored = match current.first() {
                Some(c) => state.store.submission_values(&request, c.id, None).await?,
                None => BTreeMap::new(),
            };
            let retyped = typed.provider_id == Some(*provider_id);
            let problems: &[SubmissionProblem] = if retyped { &typed.problems } else { &[] };
            let cell = |m: Option<&str>, spec: &FieldSpec| {
                let name = cell_name(m, &spec.key);
                let value = if retyped {
                    typed.values.get(&name).to_string()
                } else {
                    stored.get(&(m.map(str::to_string), spec.key.clone())).map(Value::plain).unwrap_or_default()
                };
                let error = problems
                    .iter()
                    .find(|p| p.municipality.as_deref() == m && p.field.as_deref() == Some(spec.key.as_str()))
                    .map(|p| p.message.clone())
                    .unwrap_or_default();
                let whom = m.map(|m| names.get(m).cloned().unwrap_or_else(|| m.to_string()));
                Cell {
                    label: match whom {
                        Some(w) => format!("{} – {w}", spec.label),
                        None => spec.label.clone(),
                    },
                    name,
                    value,
                    error,
                    text: spec.unit == samenspel_domain::accountability::Unit::Text,
                }
            };
            let member_specs: Vec<&FieldSpec> = specs.iter().filter(|f| f.scope == Scope::PerMember).collect();
            let rows = if member_specs.is_empty() {
                Vec::new()
            } else {
                s.members
                    .iter()
                    .map(|m| {
                        (
                            names.get(m).cloned().unwrap_or_else(|| m.clone()),
                            member_specs.iter().map(|spec| cell(Some(m), spec)).collect(),
                        )
                    })
                    .collect()
            };
            submit.push(SubmitView {
                provider_id: *provider_id,
                provider: s.name.clone(),
                choose_provider,
                member_fields: member_specs.iter().map(|f| format!("{} ({})", f.label, unit_label(f))).collect(),
                rows,
                provider_cells: specs
                    .iter()
                    .filter(|f| f.scope == Scope::Provider)
                    .map(|spec| cell(None, spec))
                    .collect(),
                problems: problems.to_vec(),
                csrf: user.csrf().to_string(),
            });
        }
    }
    let upload_form = (!submit.is_empty()).then(|| {
        let mut f = FormView::new(
            "bestand",
            format!("/regios/{}/verantwoording/{}/bestand", region.code, request.id),
            "Bestand insturen",
            user.csrf(),
        )
        .multipart();
        if access.providers.len() > 1 {
            let options = submit.iter().map(|s| (s.provider_id.to_string(), s.provider.clone())).collect();
            f = f.select("aanbiederId", "Namens zorgaanbieder", "", options, true);
        }
        f.field("bestand", "CSV- of JSON-bestand", "file", "", true)
            .accept(".csv,.json,text/csv,application/json")
            .hint("CSV met de kolommen gemeentecode;veld;waarde (gemeentecode leeg voor een cijfer van de aanbieder als geheel), of JSON zoals beschreven in de handleiding. Een bestand wordt helemaal ingelezen of niet.")
            .done()
    });
    let edit_form = if manage && request.status == "concept" {
        let (values, invalid) = match typed.edit {
            Some((v, i)) => (v, i),
            None => {
                let mut v = FormPairs::default();
                for (k, val) in [
                    ("titel", request.title.clone()),
                    ("soort", request.kind.clone()),
                    ("frequentie", request.frequency.clone()),
                    ("periode", request.period.clone()),
                    ("deadline", show::date(Some(request.deadline))),
                    ("perceelId", request.lot_id.map(|l| l.to_string()).unwrap_or_default()),
                    ("velden", field_lines(&specs)),
                    ("toelichting", request.description.clone().unwrap_or_default()),
                ] {
                    v.0.push((k.to_string(), val));
                }
                (v, Invalid::new())
            }
        };
        let action = format!("/regios/{}/verantwoording/{}", region.code, request.id);
        Some(request_form(ctx, action, "Wijzigingen opslaan", &values).await?.with_errors(&invalid).done())
    } else {
        None
    };
    let page = RequestPage {
        layout: layout(ctx, &request.title, notice),
        subnav: provider_nav(&region.code, "verantwoording"),
        subnav_label: "Aanbiedersloket",
        code: region.code.clone(),
        kind: request.kind().label(),
        frequency: request.frequency().label(),
        deadline: show::date(Some(request.deadline)),
        lot,
        fields: specs
            .iter()
            .map(|s| FieldLine {
                key: s.key.clone(),
                label: s.label.clone(),
                unit: unit_label(s),
                scope: if s.scope == Scope::PerMember { "per gemeente" } else { "aanbieder als geheel" },
            })
            .collect(),
        manage,
        edit_form,
        csrf: user.csrf().to_string(),
        status_rows,
        full,
        versions,
        parts,
        member_view,
        submit,
        upload_problems: typed.upload_problems,
        upload_form,
        request,
    };
    Ok(render(&page, status))
}

pub async fn request(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    request_page(&ctx, id, &q, Typed::default(), notice_for(q.gelukt.as_deref()), StatusCode::OK).await
}

pub async fn update_request(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_provider_side() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match parse_request(&request_input(&form)) {
        Ok(details) => state
            .store
            .update_accountability_request(region.id, id, &details, &user.actor("web"))
            .await
            .map_err(AppError::from),
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/verantwoording/{id}?gelukt=opgeslagen", region.code))),
        Err(e) => {
            let status = e.status;
            let invalid = super::form_problem(e)?;
            let typed = Typed { edit: Some((form, invalid)), ..Typed::default() };
            request_page(&ctx, id, &PageQuery::default(), typed, None, status).await
        }
    }
}

pub async fn set_status(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_provider_side() {
        return Err(AppError::forbidden().into());
    }
    let open = match form.get("stap") {
        "openen" => true,
        "sluiten" => false,
        _ => return Err(AppError::bad_request("Onbekende stap; kies openen of sluiten.").into()),
    };
    match state.store.set_accountability_request_open(region.id, id, open, &user.actor("web")).await {
        Ok(_) => Ok(see_other(&format!(
            "/regios/{}/verantwoording/{id}?gelukt={}",
            region.code,
            if open { "geopend" } else { "gesloten" }
        ))),
        Err(e) => {
            let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
            let notice = Notice { kind: "error", text: e.to_string() };
            request_page(&ctx, id, &PageQuery::default(), Typed::default(), Some(notice), StatusCode::CONFLICT).await
        }
    }
}

/// Stores a checked submission and sends the provider back with what happened.
async fn store_submission(
    ctx: &RegionCtx<'_>,
    request: &RequestRow,
    provider_id: i64,
    served: &BTreeSet<String>,
    parsed: &samenspel_domain::accountability::Submitted,
    format: Format,
) -> PageResult {
    let outcome = ctx
        .state
        .store
        .submit_accountability(
            ctx.region.id,
            &NewSubmission { request_id: request.id, provider_id, concerns: served, values: parsed, format },
            &ctx.user.actor("web"),
        )
        .await;
    match outcome {
        Ok(o) => {
            let code = if o.unchanged {
                "ongewijzigd"
            } else if o.submission.late {
                "ingediend-te-laat"
            } else {
                "ingediend"
            };
            Ok(see_other(&format!("/regios/{}/verantwoording/{}?gelukt={code}", ctx.region.code, request.id)))
        }
        Err(e) => {
            let notice = Notice { kind: "error", text: e.to_string() };
            let status = AppError::from(e).status;
            request_page(ctx, request.id, &PageQuery::default(), Typed::default(), Some(notice), status).await
        }
    }
}

/// The members the provider serves for this request, or a page saying it is not asked.
async fn served_for(
    ctx: &RegionCtx<'_>,
    request: &RequestRow,
    provider_id: i64,
) -> Result<BTreeSet<String>, PageError> {
    let served =
        served_members(ctx.state, ctx.region, crate::provider_side::request_day(request), request.lot_id).await?;
    served.get(&provider_id).map(|s| s.members.clone()).ok_or_else(|| {
        AppError::new(
            StatusCode::CONFLICT,
            "Dit verzoek vraagt uw organisatie niets: u heeft geen lopend contract waaronder u zorg levert aan gemeenten in deze regio.",
        )
        .into()
    })
}

pub async fn submit_form(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let request = visible_request(&state, &region, &access, id).await?;
    let Some(provider_id) = acting_provider(&access, form.get("aanbiederId").parse().ok()) else {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "Alleen een zorgaanbieder levert cijfers aan, voor zichzelf.",
        )
        .into());
    };
    let served = served_for(&ctx, &request, provider_id).await?;
    let specs = request.field_specs();
    // Every cell of the form, also the empty ones: an empty cell is a missing value.
    let mut entries: Vec<(Option<String>, String, String)> = Vec::new();
    for spec in &specs {
        let members: Vec<Option<String>> = match spec.scope {
            Scope::PerMember => served.iter().cloned().map(Some).collect(),
            Scope::Provider => vec![None],
        };
        for m in members {
            let text = form.get(&cell_name(m.as_deref(), &spec.key)).to_string();
            if !text.trim().is_empty() {
                entries.push((m, spec.key.clone(), text));
            }
        }
    }
    let parsed = from_form(entries.iter().map(|(m, k, t)| (m.as_deref(), k.as_str(), t.as_str())), &specs, &served);
    match parsed {
        Ok(values) => store_submission(&ctx, &request, provider_id, &served, &values, Format::Form).await,
        Err(problems) => {
            let notice = Notice {
                kind: "error",
                text: format!(
                    "Uw inzending is niet opgeslagen: {} {}. Wat u typte staat er nog.",
                    problems.len(),
                    if problems.len() == 1 { "punt" } else { "punten" }
                ),
            };
            let typed = Typed { provider_id: Some(provider_id), values: form, problems, ..Typed::default() };
            request_page(&ctx, id, &PageQuery::default(), typed, Some(notice), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn submit_file(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    upload: CsrfMultipart,
) -> PageResult {
    let user = upload.user;
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let request = visible_request(&state, &region, &access, id).await?;
    let chosen = upload.fields.get("aanbiederId").and_then(|v| v.parse().ok());
    let Some(provider_id) = acting_provider(&access, chosen) else {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "Alleen een zorgaanbieder levert cijfers aan, voor zichzelf.",
        )
        .into());
    };
    let served = served_for(&ctx, &request, provider_id).await?;
    let Some(file) = upload.files.get("bestand").filter(|f| !f.bytes.is_empty()) else {
        let notice = Notice { kind: "error", text: "Kies een CSV- of JSON-bestand om in te sturen.".into() };
        return request_page(
            &ctx,
            id,
            &PageQuery::default(),
            Typed::default(),
            Some(notice),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let (format, parsed) = parse_file(&file.bytes, &request.field_specs(), &served);
    match parsed {
        Ok(values) => store_submission(&ctx, &request, provider_id, &served, &values, format).await,
        Err(problems) => {
            let notice = Notice {
                kind: "error",
                text: format!(
                    "Het bestand {} is niet ingelezen: {} {}. Er is niets opgeslagen; verbeter het bestand en stuur het opnieuw.",
                    file.file_name,
                    problems.len(),
                    if problems.len() == 1 { "fout" } else { "fouten" }
                ),
            };
            let typed = Typed { upload_problems: problems, ..Typed::default() };
            request_page(&ctx, id, &PageQuery::default(), typed, Some(notice), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The submissions as CSV in the submission format plus the provider: everything for the region,
/// a provider's own, a member's part.
pub async fn export(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let request = visible_request(&state, &region, &access, id).await?;
    let mut rows = Vec::new();
    for sub in state.store.current_accountability_submissions(request.id).await? {
        let concerns = state.store.submission_members(sub.id).await?;
        let Some(view) = access.submission_view(sub.provider_id, &concerns) else { continue };
        let only = view.as_ref().map(|m| m.as_str());
        for ((m, field), value) in state.store.submission_values(&request, sub.id, only).await? {
            rows.push(vec![
                sub.provider_name.clone(),
                m.unwrap_or_default(),
                field,
                value.plain(),
                sub.version.to_string(),
                if sub.late { "ja".into() } else { "nee".into() },
            ]);
        }
    }
    let mut header = vec!["aanbieder"];
    header.extend(CSV_COLUMNS);
    header.extend(["versie", "te_laat"]);
    Ok(csv_response(&format!("verantwoording-{}-{}", region.code, request.id), &header, rows))
}
