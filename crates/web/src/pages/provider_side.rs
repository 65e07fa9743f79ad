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
pub const PROVIDER_PAGES: [(&str, &str); 4] = [
    ("loket", "Loket"),
    ("verantwoording", "Verantwoording"),
    ("vragen", "Vragen en antwoorden"),
    ("wisselstages", "Wisselstages"),
];

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
    Layout::for_region(title, ctx.user, ctx.region, ctx.access, &format!("/regios/{}/loket", ctx.region.code))
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
        "gepubliceerd" => "De mededeling staat op het loket van alle aanbieders.",
        "vraag-gesteld" => {
            "Uw vraag is verstuurd. Het antwoord wordt met de vraag gepubliceerd voor alle aanbieders, zonder uw naam."
        }
        "beantwoord" => "Het antwoord is gepubliceerd voor alle aanbieders.",
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
            // A form with mistakes is 422 on the pages; a conflict stays 409.
            let status = if e.status == StatusCode::BAD_REQUEST { StatusCode::UNPROCESSABLE_ENTITY } else { e.status };
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
        let values = state.store.submission_values_seen(&request, sub.id, view.as_deref()).await?;
        for ((m, field), value) in values {
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

// ------------------------------------------------------------------ the portal

pub struct ContractView {
    pub id: i64,
    pub lot: String,
    pub period: String,
    pub status: String,
    pub members: String,
    /// Product, unit, regional tariff, members' own tariffs.
    pub tariffs: Vec<(String, String, String, String)>,
}

pub struct AnnouncementView {
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    pub published: String,
    pub lot: String,
    pub closes: String,
}

pub struct PortalView {
    pub provider_id: i64,
    pub name: String,
    pub year: i32,
    pub contracts: Vec<ContractView>,
    pub requests: Vec<(i64, String, String, &'static str)>,
    /// Month, lines, amount, rejected lines, rejected amount, above tariff.
    pub claims: Vec<(String, String, String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "provider_portal.html")]
struct PortalPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    subnav_label: &'static str,
    code: String,
    portals: Vec<PortalView>,
    open_rounds: Vec<AnnouncementView>,
    open_admission: Vec<(String, Vec<String>)>,
    announcements: Vec<AnnouncementView>,
    /// For the region: look at the portal as one provider sees it.
    provider_choice: Vec<(String, String, bool)>,
    form: Option<FormView>,
}

fn announcement_view(a: &samenspel_store::dialogue::AnnouncementRow, lots: &BTreeMap<i64, String>) -> AnnouncementView {
    AnnouncementView {
        kind: a.kind_label(),
        title: a.title.clone(),
        body: a.body.clone(),
        published: show::datetime(a.published_at),
        lot: a.lot_id.and_then(|l| lots.get(&l).cloned()).unwrap_or_default(),
        closes: show::date(a.closes_on),
    }
}

fn month_label(yyyymm: i32) -> String {
    const MONTHS: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    let month = (yyyymm % 100).clamp(1, 12) as usize;
    format!("{} {}", MONTHS[month - 1], yyyymm / 100)
}

async fn announcement_form(ctx: &RegionCtx<'_>, v: &FormPairs) -> Result<FormView, PageError> {
    let mut lots = vec![(String::new(), "geen perceel".to_string())];
    for lot in ctx.state.store.lots(ctx.region.id).await? {
        lots.push((lot.id.to_string(), lot.name));
    }
    let kinds = vec![
        ("mededeling".to_string(), "Mededeling".to_string()),
        ("aanbesteding".to_string(), "Aanbesteding (met sluitingsdatum)".to_string()),
    ];
    Ok(FormView::new("mededeling", format!("/regios/{}/mededelingen", ctx.region.code), "Publiceren", ctx.user.csrf())
        .select("soort", "Soort", v.get("soort"), kinds, true)
        .field("titel", "Titel", "text", v.get("titel"), true)
        .field("tekst", "Tekst", "textarea", v.get("tekst"), true)
        .hint("Bij een aanbesteding: wat de regio inkoopt, de voorwaarden en hoe aanbieders reageren.")
        .select("perceelId", "Perceel", v.get("perceelId"), lots, false)
        .field("sluitOp", "Termijn sluit op", "text", v.get("sluitOp"), false)
        .hint("Als dd-mm-jjjj; verplicht bij een aanbesteding."))
}

async fn portal_page(
    ctx: &RegionCtx<'_>,
    chosen: Option<i64>,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, region, access, .. } = *ctx;
    if !access.can_view_provider_side() {
        return Err(AppError::forbidden().into());
    }
    let manage = access.can_manage_provider_side();
    let shown: Vec<i64> = if !access.providers.is_empty() {
        access.providers.clone()
    } else if manage {
        chosen.into_iter().collect()
    } else {
        Vec::new()
    };
    let names = member_names(ctx).await?;
    let lots: BTreeMap<i64, String> = state.store.lots(region.id).await?.into_iter().map(|l| (l.id, l.name)).collect();
    let mut portals = Vec::new();
    for provider_id in shown {
        let p = crate::provider_side::portal(state, region, provider_id).await?;
        let money = |c: i64| samenspel_domain::Cents(c).to_string();
        let member_list = |codes: &[String]| {
            codes.iter().map(|m| names.get(m).cloned().unwrap_or_else(|| m.clone())).collect::<Vec<_>>().join(", ")
        };
        portals.push(PortalView {
            provider_id,
            name: p.name,
            year: p.year,
            contracts: p
                .contracts
                .iter()
                .map(|c| ContractView {
                    id: c.id,
                    lot: c.lot.clone(),
                    period: format!(
                        "{} tot en met {}",
                        show::date(Some(c.starts_on)),
                        c.ends_on.map(|d| show::date(Some(d))).unwrap_or_else(|| "onbepaald".into())
                    ),
                    status: c.status.clone(),
                    members: member_list(&c.members),
                    tariffs: c
                        .tariffs
                        .iter()
                        .map(|t| {
                            let own = t
                                .by_member
                                .iter()
                                .map(|(m, a)| {
                                    format!("{}: {}", names.get(m).cloned().unwrap_or_else(|| m.clone()), money(*a))
                                })
                                .collect::<Vec<_>>()
                                .join("; ");
                            (t.product.clone(), t.unit.clone(), t.regional.map(money).unwrap_or_default(), own)
                        })
                        .collect(),
                })
                .collect(),
            requests: p
                .requests
                .iter()
                .map(|(r, s)| (r.id, r.title.clone(), show::date(Some(r.deadline)), s.label()))
                .collect(),
            claims: p
                .claims
                .iter()
                .map(|m| {
                    (
                        month_label(m.month),
                        samenspel_domain::nl::integer(m.lines),
                        money(m.amount_cents),
                        samenspel_domain::nl::integer(m.rejected_lines),
                        money(m.rejected_cents),
                        samenspel_domain::nl::integer(m.above_tariff),
                    )
                })
                .collect(),
        });
    }
    let today = samenspel_store::today();
    let announcements = state.store.announcements(region.id).await?;
    let mut open_admission = Vec::new();
    for lot in state.store.lots(region.id).await?.into_iter().filter(|l| l.admission_open) {
        let conditions = state.store.conditions(lot.id).await?.into_iter().map(|c| c.text).collect();
        open_admission.push((lot.name, conditions));
    }
    let provider_choice = if manage {
        state
            .store
            .providers(region.id, false, samenspel_store::PageRequest::all())
            .await?
            .items
            .into_iter()
            .map(|p| (p.id.to_string(), p.name, chosen == Some(p.id)))
            .collect()
    } else {
        Vec::new()
    };
    let form = match form {
        Some(f) => Some(f),
        None if manage => Some(announcement_form(ctx, &FormPairs::default()).await?),
        None => None,
    };
    let page = PortalPage {
        layout: layout(ctx, "Aanbiedersloket", notice),
        subnav: provider_nav(&region.code, "loket"),
        subnav_label: "Aanbiedersloket",
        code: region.code.clone(),
        portals,
        open_rounds: announcements
            .iter()
            .filter(|a| a.is_open_round(today))
            .map(|a| announcement_view(a, &lots))
            .collect(),
        open_admission,
        announcements: announcements
            .iter()
            .take(crate::provider_side::PORTAL_ANNOUNCEMENTS)
            .map(|a| announcement_view(a, &lots))
            .collect(),
        provider_choice,
        form: form.map(FormView::done),
    };
    Ok(render(&page, status))
}

pub async fn portal(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    portal_page(&ctx, q.aanbieder, None, notice_for(q.gelukt.as_deref()), StatusCode::OK).await
}

pub async fn publish(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_provider_side() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let parsed = crate::provider_side::parse_announcement(
        form.get("soort"),
        form.get("titel"),
        form.get("tekst"),
        form.get("perceelId").parse().ok(),
        form.get("sluitOp"),
    );
    let result = match parsed {
        Ok(new) => state.store.publish_announcement(region.id, &new, &user.actor("web")).await.map_err(AppError::from),
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/loket?gelukt=gepubliceerd", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let f = announcement_form(&ctx, &form).await?.with_errors(&invalid);
            portal_page(&ctx, None, Some(f), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ------------------------------------------------------------------ questions and answers

pub struct PublishedAnswer {
    pub number: i32,
    pub subject: String,
    pub round: String,
    pub question: String,
    pub answer: String,
    pub answered: String,
}

pub struct OwnQuestion {
    pub subject: String,
    pub asked: String,
    pub status: String,
    pub provider: String,
}

/// An open question as the region sees it, with its answer form.
pub struct OpenQuestion {
    pub id: i64,
    pub provider: String,
    pub subject: String,
    pub question: String,
    pub asked: String,
    pub published_question: String,
    pub answer: String,
    pub errors: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "provider_questions.html")]
struct QuestionsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    subnav_label: &'static str,
    code: String,
    csrf: String,
    published: Vec<PublishedAnswer>,
    own: Vec<OwnQuestion>,
    open: Vec<OpenQuestion>,
    form: Option<FormView>,
}

/// What a refused answer brings back: the question, the typed texts and the problems.
struct TypedAnswer {
    id: i64,
    values: FormPairs,
    invalid: Invalid,
}

async fn ask_form(ctx: &RegionCtx<'_>, v: &FormPairs) -> Result<Option<FormView>, PageError> {
    if ctx.access.providers.is_empty() {
        return Ok(None);
    }
    let today = samenspel_store::today();
    let mut rounds = vec![(String::new(), "de regio in het algemeen".to_string())];
    for a in ctx.state.store.announcements(ctx.region.id).await?.into_iter().filter(|a| a.is_open_round(today)) {
        rounds.push((a.id.to_string(), format!("aanbesteding: {}", a.title)));
    }
    let mut f =
        FormView::new("vraag", format!("/regios/{}/vragen", ctx.region.code), "Vraag versturen", ctx.user.csrf());
    if ctx.access.providers.len() > 1 {
        let mut providers = Vec::new();
        for id in &ctx.access.providers {
            providers.push((id.to_string(), ctx.state.store.provider(ctx.region.id, *id).await?.name));
        }
        f = f.select("aanbiederId", "Namens zorgaanbieder", v.get("aanbiederId"), providers, true);
    }
    Ok(Some(
        f.select("aankondigingId", "Uw vraag gaat over", v.get("aankondigingId"), rounds, false)
            .field("onderwerp", "Onderwerp", "text", v.get("onderwerp"), true)
            .field("vraag", "Uw vraag", "textarea", v.get("vraag"), true)
            .hint("De regio publiceert het antwoord met de vraag voor alle aanbieders, zonder de naam van uw organisatie."),
    ))
}

async fn questions_page(
    ctx: &RegionCtx<'_>,
    form: Option<FormView>,
    typed: Option<TypedAnswer>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    if !access.can_view_provider_side() {
        return Err(AppError::forbidden().into());
    }
    let announcements: BTreeMap<i64, String> =
        state.store.announcements(region.id).await?.into_iter().map(|a| (a.id, a.title)).collect();
    let providers: BTreeMap<i64, String> = state
        .store
        .providers(region.id, false, samenspel_store::PageRequest::all())
        .await?
        .items
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let published = state
        .store
        .published_answers(region.id)
        .await?
        .into_iter()
        .map(|q| PublishedAnswer {
            number: q.number.unwrap_or(0),
            round: q.announcement_id.and_then(|a| announcements.get(&a).cloned()).unwrap_or_default(),
            question: q.published_question.unwrap_or(q.question),
            answer: q.answer.unwrap_or_default(),
            answered: q.answered_at.map(show::datetime).unwrap_or_default(),
            subject: q.subject,
        })
        .collect();
    let mut own = Vec::new();
    for provider_id in &access.providers {
        for q in state.store.provider_questions(region.id, Some(*provider_id)).await? {
            own.push(OwnQuestion {
                subject: q.subject,
                asked: show::datetime(q.asked_at),
                status: match q.number {
                    Some(n) => format!("beantwoord als vraag {n}"),
                    None => "wacht op antwoord".into(),
                },
                provider: providers.get(provider_id).cloned().unwrap_or_default(),
            });
        }
    }
    let mut open = Vec::new();
    if access.can_manage_provider_side() {
        for q in state.store.provider_questions(region.id, None).await?.into_iter().filter(|q| q.status == "open") {
            let retyped = typed.as_ref().filter(|t| t.id == q.id);
            open.push(OpenQuestion {
                id: q.id,
                provider: providers.get(&q.provider_id).cloned().unwrap_or_default(),
                asked: show::datetime(q.asked_at),
                published_question: retyped
                    .map(|t| t.values.get("gepubliceerdeVraag").to_string())
                    .unwrap_or_else(|| q.question.clone()),
                answer: retyped.map(|t| t.values.get("antwoord").to_string()).unwrap_or_default(),
                errors: retyped
                    .map(|t| t.invalid.errors.iter().map(|e| (e.name.clone(), e.reason.clone())).collect())
                    .unwrap_or_default(),
                subject: q.subject,
                question: q.question,
            });
        }
    }
    let form = match form {
        Some(f) => Some(f),
        None => ask_form(ctx, &FormPairs::default()).await?,
    };
    let page = QuestionsPage {
        layout: layout(ctx, "Vragen en antwoorden", notice),
        subnav: provider_nav(&region.code, "vragen"),
        subnav_label: "Aanbiedersloket",
        code: region.code.clone(),
        csrf: user.csrf().to_string(),
        published,
        own,
        open,
        form: form.map(FormView::done),
    };
    Ok(render(&page, status))
}

pub async fn questions(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    questions_page(&ctx, None, None, notice_for(q.gelukt.as_deref()), StatusCode::OK).await
}

pub async fn ask(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let Some(provider_id) = acting_provider(&access, form.get("aanbiederId").parse().ok()) else {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "Alleen een zorgaanbieder stelt hier vragen, namens zichzelf.",
        )
        .into());
    };
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match crate::provider_side::parse_question(form.get("onderwerp"), form.get("vraag")) {
        Ok((subject, question)) => state
            .store
            .ask_question(
                region.id,
                provider_id,
                form.get("aankondigingId").parse().ok(),
                &subject,
                &question,
                &user.actor("web"),
            )
            .await
            .map_err(AppError::from),
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/vragen?gelukt=vraag-gesteld", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let f = ask_form(&ctx, &form).await?.map(|f| f.with_errors(&invalid));
            questions_page(&ctx, f, None, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn answer(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_provider_side() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match crate::provider_side::parse_answer(form.get("gepubliceerdeVraag"), form.get("antwoord")) {
        Ok((question, answer)) => state
            .store
            .answer_question(region.id, id, &question, &answer, &user.actor("web"))
            .await
            .map_err(AppError::from),
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/vragen?gelukt=beantwoord", region.code))),
        Err(e) => {
            // A form with mistakes is 422 on the pages; a conflict stays 409.
            let status = if e.status == StatusCode::BAD_REQUEST { StatusCode::UNPROCESSABLE_ENTITY } else { e.status };
            let invalid = super::form_problem(e)?;
            let notice = (status == StatusCode::CONFLICT).then(|| Notice {
                kind: "error",
                text: invalid.errors.iter().map(|e| e.reason.as_str()).collect::<Vec<_>>().join(" "),
            });
            let typed = TypedAnswer { id, values: form, invalid };
            questions_page(&ctx, None, Some(typed), notice, status).await
        }
    }
}
