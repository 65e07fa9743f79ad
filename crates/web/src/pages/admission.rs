//! Open admission in the browser (a provider applies, the region decides with a reason per
//! condition) and the administrative burden figures.

use super::{
    procurement_nav, render, see_other, show, success_notice, FormView, Layout, NavItem, Notice, PageError, PageResult,
    RegionCtx,
};
use crate::api::admission::{decision, describe_step};
use crate::auth::{region_for, PageUser};
use crate::error::AppError;
use crate::forms::{CsrfForm, FormPairs};
use crate::procurement::burden_report;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use samenspel_domain::accountability::RequestKind;
use samenspel_domain::validation::optional_text;
use samenspel_domain::Invalid;
use samenspel_store::admission::ApplicationStatus;
use serde::Deserialize;

pub struct ApplicationLine {
    pub id: i64,
    pub lot: String,
    pub provider: String,
    pub status: String,
    pub submitted: String,
    pub reason: String,
}

pub struct OpenLot {
    pub name: String,
    pub conditions: Vec<String>,
}

#[derive(Template)]
#[template(path = "admissions.html")]
struct AdmissionsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    provider_view: bool,
    open_lots: Vec<OpenLot>,
    applications: Vec<ApplicationLine>,
    form: Option<FormView>,
}

async fn apply_form(ctx: &RegionCtx<'_>, v: &FormPairs) -> Result<Option<FormView>, PageError> {
    if ctx.access.providers.is_empty() {
        return Ok(None);
    }
    let open: Vec<(String, String)> = ctx
        .state
        .store
        .lots(ctx.region.id)
        .await?
        .into_iter()
        .filter(|l| l.admission_open)
        .map(|l| (l.id.to_string(), l.name))
        .collect();
    if open.is_empty() {
        return Ok(None);
    }
    let mut f = FormView::new(
        "aanvraag",
        format!("/regios/{}/toelating", ctx.region.code),
        "Toelating aanvragen",
        ctx.user.csrf(),
    )
    .select("perceelId", "Perceel", v.get("perceelId"), open, true);
    if ctx.access.providers.len() > 1 {
        let mut providers = Vec::new();
        for id in &ctx.access.providers {
            providers.push((id.to_string(), ctx.state.store.provider(ctx.region.id, *id).await?.name));
        }
        f = f.select("aanbiederId", "Namens zorgaanbieder", v.get("aanbiederId"), providers, true);
    }
    Ok(Some(f.field("motivatie", "Toelichting bij uw aanvraag", "textarea", v.get("motivatie"), false).hint(
        "Vertel kort hoe u aan de voorwaarden voldoet. De regio toetst elke voorwaarde en laat u het besluit met de reden weten.",
    )))
}

async fn admissions_page(
    ctx: &RegionCtx<'_>,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let provider_view = !access.providers.is_empty() && !access.can_view_applications_of(-1);
    if !provider_view && !access.can_view_applications_of(-1) {
        return Err(AppError::forbidden().into());
    }
    let mut open_lots = Vec::new();
    for lot in state.store.lots(region.id).await?.into_iter().filter(|l| l.admission_open) {
        let conditions = state.store.conditions(lot.id).await?.into_iter().map(|c| c.text).collect();
        open_lots.push(OpenLot { name: lot.name, conditions });
    }
    let applications = state
        .store
        .applications(region.id, None)
        .await?
        .into_iter()
        .filter(|a| access.can_view_applications_of(a.provider_id))
        .map(|a| ApplicationLine {
            id: a.id,
            lot: a.lot_name,
            provider: a.provider_name,
            status: ApplicationStatus::label(&a.status).to_string(),
            submitted: show::datetime(a.submitted_at),
            reason: a.decision_reason.or(a.end_reason).unwrap_or_default(),
        })
        .collect();
    let form = match form {
        Some(f) => Some(f),
        None => apply_form(ctx, &FormPairs::default()).await?,
    };
    let page = AdmissionsPage {
        layout: Layout::for_region("Toelating", user, region, access, &format!("/regios/{}/toelating", region.code))
            .with_notice(notice),
        subnav: procurement_nav(&region.code, "toelating"),
        code: region.code.clone(),
        provider_view,
        open_lots,
        applications,
        form: form.map(FormView::done),
    };
    Ok(render(&page, status))
}

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<super::home::NoticeQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    admissions_page(&ctx, None, success_notice(q.gelukt.as_deref(), None), StatusCode::OK).await
}

pub async fn apply(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if access.providers.is_empty() {
        return Err(AppError::new(StatusCode::FORBIDDEN, "Alleen een zorgaanbieder vraagt toelating aan.").into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let mut invalid = Invalid::new();
    let lot = form
        .get("perceelId")
        .parse::<i64>()
        .map_err(|_| invalid.push("perceelId", "required", "Kies een perceel."))
        .ok();
    let provider = match (form.get("aanbiederId").parse::<i64>().ok(), access.providers.as_slice()) {
        (Some(p), _) if access.can_apply_for(p) => Some(p),
        (None, [only]) => Some(*only),
        _ => {
            invalid.push("aanbiederId", "required", "Kies de zorgaanbieder waarvoor u aanvraagt.");
            None
        }
    };
    let motivation = invalid.check("motivatie", optional_text(form.get("motivatie"), 4000));
    let result = match (lot, provider, motivation) {
        (Some(l), Some(p), Some(m)) if invalid.is_empty() => state
            .store
            .apply_for_admission(region.id, l, p, m.as_deref(), &user.actor("web"))
            .await
            .map_err(AppError::from),
        _ => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/toelating?gelukt=aanvraag-ingediend", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let f = apply_form(&ctx, &form).await?.map(|f| f.with_errors(&invalid));
            let notice = f.is_none().then(|| Notice { kind: "error", text: invalid.to_string() });
            admissions_page(&ctx, f, notice, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub struct CheckLine {
    pub id: i64,
    pub position: i32,
    pub text: String,
    pub outcome: String,
    pub met: String,
    pub note: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "admission.html")]
struct AdmissionPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    id: i64,
    lot: String,
    provider: String,
    status: String,
    motivation: String,
    reason: String,
    end_reason: String,
    contract_id: Option<i64>,
    checks: Vec<CheckLine>,
    can_decide: bool,
    can_end: bool,
    csrf: String,
    errors: Vec<(String, String)>,
    admit: String,
    decision_reason: String,
    contract_start: String,
    end_date: String,
    end_text: String,
}

#[derive(Default)]
struct Typed {
    values: FormPairs,
    invalid: Invalid,
}

async fn admission_page(
    ctx: &RegionCtx<'_>,
    id: i64,
    typed: Typed,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let a = state.store.application(region.id, id).await?;
    if !access.can_view_applications_of(a.provider_id) {
        return Err(AppError::not_found().into());
    }
    let checks = state.store.application_checks(id).await?;
    let v = &typed.values;
    let check_lines = state
        .store
        .conditions(a.lot_id)
        .await?
        .into_iter()
        .map(|c| {
            let done = checks.iter().find(|k| k.condition_id == c.id);
            CheckLine {
                outcome: match done {
                    Some(k) if k.met => "voldaan".into(),
                    Some(_) => "niet voldaan".into(),
                    None => "nog niet getoetst".into(),
                },
                met: v.get(&format!("voldaan-{}", c.id)).to_string(),
                note: done
                    .and_then(|k| k.note.clone())
                    .unwrap_or_else(|| v.get(&format!("toelichting-{}", c.id)).to_string()),
                error: typed.invalid.for_field(&format!("voorwaarde-{}", c.id)).unwrap_or("").to_string(),
                id: c.id,
                position: c.position,
                text: c.text,
            }
        })
        .collect();
    let admin = access.can_manage_procurement();
    let today = samenspel_store::today().to_string();
    let page = AdmissionPage {
        layout: Layout::for_region(
            &format!("Aanvraag {} – {}", a.provider_name, a.lot_name),
            user,
            region,
            access,
            &format!("/regios/{}/toelating", region.code),
        )
        .with_notice(notice),
        subnav: procurement_nav(&region.code, "toelating"),
        code: region.code.clone(),
        id,
        lot: a.lot_name.clone(),
        provider: a.provider_name.clone(),
        status: ApplicationStatus::label(&a.status).to_string(),
        motivation: a.motivation.clone().unwrap_or_default(),
        reason: a.decision_reason.clone().unwrap_or_default(),
        end_reason: a.end_reason.clone().unwrap_or_default(),
        contract_id: a.contract_id,
        checks: check_lines,
        can_decide: admin && a.status == ApplicationStatus::Submitted.code(),
        can_end: admin && a.status == ApplicationStatus::Admitted.code(),
        csrf: user.csrf().to_string(),
        errors: typed.invalid.errors.iter().map(|e| (e.name.clone(), e.reason.clone())).collect(),
        admit: v.get("besluit").to_string(),
        decision_reason: v.get("reden").to_string(),
        contract_start: if v.get("contractVanaf").is_empty() {
            today.clone()
        } else {
            v.get("contractVanaf").to_string()
        },
        end_date: if v.get("einddatum").is_empty() { today } else { v.get("einddatum").to_string() },
        end_text: v.get("eindreden").to_string(),
    };
    Ok(render(&page, status))
}

pub async fn detail(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<super::home::NoticeQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    admission_page(&ctx, id, Typed::default(), success_notice(q.gelukt.as_deref(), None), StatusCode::OK).await
}

pub async fn decide(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let a = state.store.application(region.id, id).await?;
    let mut checks = Vec::new();
    for c in state.store.conditions(a.lot_id).await? {
        match form.get(&format!("voldaan-{}", c.id)) {
            "ja" => checks.push((c.id, true, Some(form.get(&format!("toelichting-{}", c.id)).to_string()))),
            "nee" => checks.push((c.id, false, Some(form.get(&format!("toelichting-{}", c.id)).to_string()))),
            _ => {}
        }
    }
    let admit = match form.get("besluit") {
        "toelaten" => Some(true),
        "weigeren" => Some(false),
        _ => None,
    };
    let result = match decision(admit, form.get("reden"), checks, form.get("contractVanaf")) {
        Ok(d) => state.store.decide_admission(region.id, id, &d, &user.actor("web")).await.map_err(AppError::from),
        Err(i) => Err(AppError::invalid(i)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/toelating/{id}?gelukt=besluit-vastgelegd", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            admission_page(&ctx, id, Typed { values: form, invalid }, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn end(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_procurement() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let mut invalid = Invalid::new();
    let end = crate::input::required_date(
        &mut invalid,
        "einddatum",
        form.get("einddatum"),
        "de laatste dag van het contract",
    );
    let result = match end {
        Some(e) if invalid.is_empty() => state
            .store
            .end_admission(region.id, id, e, form.get("eindreden"), &user.actor("web"))
            .await
            .map_err(AppError::from),
        _ => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/toelating/{id}?gelukt=toelating-beeindigd", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            admission_page(&ctx, id, Typed { values: form, invalid }, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub struct BurdenLine {
    pub name: String,
    pub members: usize,
    pub lots: usize,
    pub products: usize,
    pub tariffs: usize,
    pub differing: usize,
    pub requests: usize,
    pub hours: String,
    pub score: usize,
    /// Bar length in the chart, 0–100.
    pub bar: usize,
    pub y: usize,
    /// Before standardisation (every member apart): tariffs, conditions, requests, hours.
    pub before: (usize, usize, usize, String),
}

pub struct StepLine {
    pub text: String,
    pub saving: usize,
    pub affected: usize,
}

#[derive(Template)]
#[template(path = "burden.html")]
struct BurdenPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    year: i32,
    years: Vec<(i32, bool)>,
    total: usize,
    hours: String,
    hours_before: String,
    lines: Vec<BurdenLine>,
    steps: Vec<StepLine>,
    chart_height: usize,
    /// The hours per request kind; a form for the region admin, a list for everyone else.
    hours_form: Option<FormView>,
    hours_per_kind: Vec<(String, u32, bool)>,
}

#[derive(Deserialize, Default)]
pub struct BurdenQuery {
    jaar: Option<String>,
    formaat: Option<String>,
    gelukt: Option<String>,
}

/// The form field of a request kind's hours.
fn hours_field(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Production => "uren_productie",
        RequestKind::Quality => "uren_kwaliteit",
        RequestKind::WaitingTimes => "uren_wachttijden",
        RequestKind::Other => "uren_overig",
    }
}

/// Reads the hours per request kind from a form: whole hours, 0 to 1000.
pub fn parse_hours(get: &dyn Fn(&str) -> String) -> Result<Vec<(RequestKind, u32)>, Invalid> {
    let mut invalid = Invalid::default();
    let mut hours = Vec::new();
    for kind in RequestKind::ALL {
        let field = hours_field(kind);
        let typed = get(field);
        match typed.trim().parse::<u32>() {
            Ok(h) if h <= 1000 => hours.push((kind, h)),
            Ok(_) => invalid.push(
                field,
                "range",
                format!("{} uur per inzending is meer dan de 1000 die we aannemelijk vinden.", typed.trim()),
            ),
            Err(_) => invalid.push(
                field,
                "number",
                format!("Vul bij {} een heel aantal uren in, zoals 16.", kind.label().to_lowercase()),
            ),
        }
    }
    if invalid.is_empty() {
        Ok(hours)
    } else {
        Err(invalid)
    }
}

fn hours_text(h: u64) -> String {
    samenspel_domain::nl::group_thousands(h)
}

async fn burden_page(
    ctx: &RegionCtx<'_>,
    year: i32,
    typed: Option<(FormPairs, Invalid)>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let (state, region) = (ctx.state, ctx.region);
    let this_year = samenspel_store::now().year();
    let report = burden_report(state, region, year).await?;
    let members = state.store.memberships(region.id).await?;
    let name_of = |code: &str| {
        members
            .iter()
            .find(|m| m.municipality_code == code)
            .map(|m| m.municipality_name.clone())
            .unwrap_or(code.to_string())
    };
    let max = report.providers.iter().map(|p| p.burden.score()).max().unwrap_or(0).max(1);
    let lines: Vec<BurdenLine> = report
        .providers
        .iter()
        .enumerate()
        .map(|(i, p)| BurdenLine {
            name: p.name.clone(),
            members: p.burden.members,
            lots: p.burden.lots,
            products: p.burden.product_codes,
            tariffs: p.burden.tariffs,
            differing: p.burden.differing_conditions,
            requests: p.burden.requests,
            hours: hours_text(p.burden.hours_per_year),
            score: p.burden.score(),
            bar: p.burden.score() * 100 / max,
            y: i * 28,
            before: (
                p.before.tariffs,
                p.before.differing_conditions,
                p.before.requests,
                hours_text(p.before.hours_per_year),
            ),
        })
        .collect();
    let stored = state.store.burden_hours(region.id).await?;
    let hours_per_kind: Vec<(String, u32, bool)> =
        stored.iter().map(|(k, (h, set))| (k.label().to_string(), *h, *set)).collect();
    let hours_form = ctx.access.can_manage_provider_side().then(|| {
        let action = format!("/regios/{}/administratieve-lasten/uren?jaar={year}", region.code);
        let mut form = FormView::new("lastenuren", action, "Uren opslaan", ctx.user.csrf());
        for (kind, (h, _)) in &stored {
            let value = match &typed {
                Some((v, _)) => v.get(hours_field(*kind)).to_string(),
                None => h.to_string(),
            };
            form = form
                .field(
                    hours_field(*kind),
                    &format!("Uren per inzending: {}", kind.label().to_lowercase()),
                    "text",
                    &value,
                    true,
                )
                .hint("Hele uren, 0 tot en met 1000.");
        }
        match &typed {
            Some((_, invalid)) => form.with_errors(invalid),
            None => form,
        }
    });
    let page = BurdenPage {
        layout: Layout::for_region(
            "Administratieve lasten",
            ctx.user,
            region,
            ctx.access,
            &format!("/regios/{}/administratieve-lasten", region.code),
        )
        .with_notice(notice),
        subnav: procurement_nav(&region.code, "administratieve-lasten"),
        code: region.code.clone(),
        year,
        years: (this_year - 2..=this_year + 1).rev().map(|y| (y, y == year)).collect(),
        total: report.total(),
        hours: hours_text(report.hours()),
        hours_before: hours_text(report.hours_before()),
        chart_height: lines.len() * 28 + 4,
        lines,
        steps: report
            .steps
            .iter()
            .take(10)
            .map(|s| StepLine {
                text: describe_step(&s.step, &name_of).1,
                saving: s.reduction,
                affected: s.providers_affected,
            })
            .collect(),
        hours_form,
        hours_per_kind,
    };
    Ok(render(&page, status))
}

fn burden_year(jaar: Option<&str>) -> Result<i32, PageError> {
    match jaar.filter(|y| !y.is_empty()) {
        Some(y) => Ok(crate::input::year(y).map_err(AppError::invalid)?),
        None => Ok(samenspel_store::now().year()),
    }
}

pub async fn burden(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<BurdenQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let year = burden_year(q.jaar.as_deref())?;
    if q.formaat.as_deref() == Some("csv") {
        let report = burden_report(&state, &region, year).await?;
        let mut out = String::from(
            "aanbieder;gemeenten;percelen;productcodes;tarieven;afwijkende_voorwaarden;verantwoordingsverzoeken;\
             uren_per_jaar;score;tarieven_elk_lid_apart;voorwaarden_elk_lid_apart;verzoeken_elk_lid_apart;\
             uren_elk_lid_apart\r\n",
        );
        for p in &report.providers {
            let (b, v) = (&p.burden, &p.before);
            out.push_str(&format!(
                "{};{};{};{};{};{};{};{};{};{};{};{};{}\r\n",
                p.name.replace(';', ","),
                b.members,
                b.lots,
                b.product_codes,
                b.tariffs,
                b.differing_conditions,
                b.requests,
                b.hours_per_year,
                b.score(),
                v.tariffs,
                v.differing_conditions,
                v.requests,
                v.hours_per_year,
            ));
        }
        let disposition = format!("attachment; filename=\"administratieve-lasten-{}-{year}.csv\"", region.code);
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
            out,
        )
            .into_response());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let notice = (q.gelukt.as_deref() == Some("uren-opgeslagen")).then(|| Notice {
        kind: "ok",
        text: "De uren per verzoek zijn opgeslagen; de schatting hieronder gebruikt ze.".into(),
    });
    burden_page(&ctx, year, None, notice, StatusCode::OK).await
}

pub async fn set_hours(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<BurdenQuery>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_provider_side() {
        return Err(AppError::forbidden().into());
    }
    let year = burden_year(q.jaar.as_deref())?;
    let result = match parse_hours(&|f| form.get(f).to_string()) {
        Ok(hours) => state.store.set_burden_hours(region.id, &hours, &user.actor("web")).await.map_err(AppError::from),
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(()) => {
            Ok(see_other(&format!("/regios/{}/administratieve-lasten?jaar={year}&gelukt=uren-opgeslagen", region.code)))
        }
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
            burden_page(&ctx, year, Some((form, invalid)), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
