//! The risk-sharing pages (verevening): the region's agreements with their versions, entered in
//! a form; the settlement of a year from the imported production compared with user pays, full
//! solidarity by each key and a proposal, with an explanation per member and pool, as table,
//! chart and CSV.

use super::{render, see_other, show, success_notice, FormView, Layout, NavItem, Notice, PageResult, RegionCtx};
use crate::auth::{region_for, PageUser};
use crate::chart;
use crate::error::AppError;
use crate::forms::{CsrfForm, FormPairs};
use crate::risk_sharing::{
    key_label, law_label, model_label, selection, settle_selection, RegionSettlement, Selection, SettlementQuery,
    REGION_KEYS,
};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_domain::procurement::parse_percentage;
use samenspel_domain::risk_sharing::{Agreement, PoolDefinition, TransitionStep};
use samenspel_domain::{Cents, Invalid};
use samenspel_store::regions::RegionRow;
use samenspel_store::risk_sharing::{AgreementRow, AgreementStatus, AgreementVersion};
use serde::Deserialize;

/// The second menu of the risk-sharing pages.
pub fn risk_nav(region: &RegionRow, current: &str) -> Vec<NavItem> {
    [
        ("verevening", "Afspraken"),
        ("verevening/afrekening", "Afrekening en vergelijking"),
        ("verevening/shapley", "Eerlijke verdeling"),
        ("verevening/uittreden", "Blijven of uittreden"),
        ("verevening/budgetrisico", "Budgetrisico"),
    ]
    .into_iter()
    .map(|(path, label)| NavItem { href: format!("/regios/{}/{path}", region.code), label, current: path == current })
    .collect()
}

fn money(cents: i64) -> String {
    Cents(cents).to_string()
}

/// A difference with a sign: `+ € 1.000,00` pays in, `− € 1.000,00` receives.
pub fn signed(cents: i64) -> String {
    match cents.signum() {
        1 => format!("+ {}", Cents(cents)),
        -1 => format!("− {}", Cents(-cents)),
        _ => Cents(0).to_string(),
    }
}

fn status_label(code: &str) -> &'static str {
    match AgreementStatus::parse(code) {
        Some(AgreementStatus::Adopted) => "vastgesteld",
        Some(AgreementStatus::Proposed) => "voorstel",
        _ => "vervallen",
    }
}

// ---------------------------------------------------------------------------------------------
// The agreement form

/// The form fields of one pot; the form has `POTS` of them, empty ones are skipped.
struct PotFields {
    name: &'static str,
    solidarity: &'static str,
    key: &'static str,
    categories: &'static str,
    threshold: &'static str,
    max_pay_in: &'static str,
    max_receive: &'static str,
    transition: &'static str,
    fixed: &'static str,
}

macro_rules! pot_fields {
    ($($n:literal),*) => {
        [$(PotFields {
            name: concat!("pot", $n, "Naam"),
            solidarity: concat!("pot", $n, "Solidariteit"),
            key: concat!("pot", $n, "Sleutel"),
            categories: concat!("pot", $n, "Categorieen"),
            threshold: concat!("pot", $n, "Drempel"),
            max_pay_in: concat!("pot", $n, "MaxInleg"),
            max_receive: concat!("pot", $n, "MaxOntvangst"),
            transition: concat!("pot", $n, "Overgang"),
            fixed: concat!("pot", $n, "Vast"),
        }),*]
    };
}

const POTS: [PotFields; 3] = pot_fields!("1", "2", "3");

fn optional_euros(invalid: &mut Invalid, field: &'static str, value: &str) -> Option<f64> {
    if value.trim().is_empty() {
        return None;
    }
    match Cents::parse(value) {
        Ok(c) if c.0 > 0 => Some(c.0 as f64 / 100.0),
        Ok(_) => {
            invalid.push(field, "range", "Vul een bedrag boven nul in, of laat het veld leeg.");
            None
        }
        Err(e) => {
            invalid.push(field, &e.code, e.reason);
            None
        }
    }
}

fn percent(invalid: &mut Invalid, field: &'static str, value: &str) -> Option<f64> {
    match parse_percentage(value) {
        Ok(bp) if (0..=10_000).contains(&bp) => Some(bp as f64 / 100.0),
        Err(e) if e.code != "range" => {
            invalid.push(field, &e.code, e.reason);
            None
        }
        _ => {
            invalid.push(field, "range", "Een percentage ligt tussen 0 en 100.");
            None
        }
    }
}

/// `2027: 50; 2028: 25` (or one step per line).
fn transition(invalid: &mut Invalid, field: &'static str, value: &str) -> Vec<TransitionStep> {
    let mut steps = Vec::new();
    for part in value.split([';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let parsed = part.split_once(':').and_then(|(y, p)| {
            let year = y.trim().parse::<i32>().ok().filter(|y| (2000..=2100).contains(y))?;
            let bp = parse_percentage(p).ok().filter(|bp| (0..=10_000).contains(bp))?;
            Some(TransitionStep { year, solidarity_percent: bp as f64 / 100.0 })
        });
        match parsed {
            Some(step) => steps.push(step),
            None => {
                invalid.push(
                    field,
                    "pattern",
                    format!("'{part}' is geen stap; schrijf jaar: percentage, zoals 2027: 50; 2028: 25."),
                );
                return steps;
            }
        }
    }
    steps
}

/// `GM0518 30,5` per line (or `GM0518;30,5`).
fn fixed_shares(invalid: &mut Invalid, field: &'static str, value: &str) -> std::collections::BTreeMap<String, f64> {
    let mut shares = std::collections::BTreeMap::new();
    for line in value.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut parts = line.split([';', ' ', '\t', '=', ':']).filter(|p| !p.is_empty());
        let parsed = match (parts.next(), parts.next(), parts.next()) {
            (Some(gm), Some(p), None) => samenspel_domain::MunicipalityCode::parse(gm)
                .ok()
                .zip(parse_percentage(p).ok().filter(|bp| (0..=10_000).contains(bp))),
            _ => None,
        };
        match parsed {
            Some((gm, bp)) => {
                shares.insert(gm.as_str().to_string(), bp as f64 / 100.0);
            }
            None => {
                invalid.push(
                    field,
                    "pattern",
                    format!("'{line}' is geen regel van de verdeling; schrijf per regel gemeentecode en percentage, zoals GM0518 30,5."),
                );
                return shares;
            }
        }
    }
    shares
}

/// What the agreement form posted: the status (for a new agreement) and the version.
pub fn agreement_input(form: &FormPairs, with_name: bool) -> Result<(AgreementStatus, AgreementVersion), Invalid> {
    let mut invalid = Invalid::new();
    let name = form.get("naam").trim().to_string();
    if with_name && name.is_empty() {
        invalid.push("naam", "required", "Geef de afspraak een naam.");
    }
    let status = AgreementStatus::parse(form.get("status")).unwrap_or_else(|| {
        if with_name {
            invalid.push("status", "enum", "Kies vastgesteld of voorstel.");
        }
        AgreementStatus::Proposed
    });
    let first_year = match form.get("vanafJaar").trim().parse::<i32>() {
        Ok(y) if (2000..=2100).contains(&y) => y,
        _ => {
            invalid.push("vanafJaar", "range", "Vul het eerste jaar in waarin deze versie geldt, zoals 2026.");
            0
        }
    };
    let reason = Some(form.get("toelichting").trim().to_string()).filter(|r| !r.is_empty());
    let mut pools = Vec::new();
    for f in &POTS {
        let pot_name = form.get(f.name).trim();
        if pot_name.is_empty() {
            // A threshold, a key or a limit without a pot would be lost silently.
            let others =
                [f.solidarity, f.key, f.categories, f.threshold, f.max_pay_in, f.max_receive, f.transition, f.fixed];
            if others.iter().any(|field| !form.get(field).trim().is_empty()) {
                invalid.push(f.name, "required", "Geef deze pot een naam, of maak zijn andere velden leeg.");
            }
            continue;
        }
        let solidarity = percent(&mut invalid, f.solidarity, form.get(f.solidarity));
        let key = form.get(f.key).trim().to_string();
        if key.is_empty() {
            invalid.push(f.key, "required", "Kies de verdeelsleutel van deze pot.");
        }
        // The region has no column of fixed percentages: the pot brings its own.
        if key == samenspel_domain::risk_sharing::FIXED_KEY && form.get(f.fixed).trim().is_empty() {
            invalid.push(
                f.fixed,
                "required",
                "Vul de vaste verdeling in: per regel een gemeentecode en een percentage.",
            );
        }
        pools.push(PoolDefinition {
            name: pot_name.to_string(),
            solidarity_percent: solidarity.unwrap_or(0.0),
            transition: transition(&mut invalid, f.transition, form.get(f.transition)),
            key,
            threshold_euros: optional_euros(&mut invalid, f.threshold, form.get(f.threshold)),
            max_pay_in_euros: optional_euros(&mut invalid, f.max_pay_in, form.get(f.max_pay_in)),
            max_receive_euros: optional_euros(&mut invalid, f.max_receive, form.get(f.max_receive)),
            categories: form
                .get(f.categories)
                .split([',', ';', ' '])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            fixed_shares: fixed_shares(&mut invalid, f.fixed, form.get(f.fixed)),
        });
    }
    if pools.is_empty() && invalid.is_empty() {
        invalid.push(POTS[0].name, "required", "Een afspraak heeft minstens één pot.");
    }
    let model = Agreement { name, pools };
    if invalid.is_empty() {
        for problem in model.problems() {
            if with_name || !problem.starts_with("het model heeft geen naam") {
                invalid.push("", "agreement", problem);
            }
        }
    }
    if invalid.is_empty() {
        Ok((status, AgreementVersion { first_year, model, reason }))
    } else {
        Err(invalid)
    }
}

fn euros_text(euros: Option<f64>) -> String {
    euros.map(|e| Cents((e * 100.0).round() as i64).plain()).unwrap_or_default()
}

fn percent_text(p: f64) -> String {
    let bp = (p * 100.0).round() as i64;
    if bp % 100 == 0 {
        (bp / 100).to_string()
    } else {
        format!("{},{:02}", bp / 100, bp % 100).trim_end_matches('0').to_string()
    }
}

/// The form's values for a stored model: a new version starts from the one before.
pub fn form_values(model: &Agreement, first_year: i32) -> FormPairs {
    let mut pairs = vec![("naam".to_string(), model.name.clone()), ("vanafJaar".to_string(), first_year.to_string())];
    for (f, p) in POTS.iter().zip(&model.pools) {
        pairs.push((f.name.into(), p.name.clone()));
        pairs.push((f.solidarity.into(), percent_text(p.solidarity_percent)));
        pairs.push((f.key.into(), p.key.clone()));
        pairs.push((f.categories.into(), p.categories.join(", ")));
        pairs.push((f.threshold.into(), euros_text(p.threshold_euros)));
        pairs.push((f.max_pay_in.into(), euros_text(p.max_pay_in_euros)));
        pairs.push((f.max_receive.into(), euros_text(p.max_receive_euros)));
        pairs.push((
            f.transition.into(),
            p.transition
                .iter()
                .map(|s| format!("{}: {}", s.year, percent_text(s.solidarity_percent)))
                .collect::<Vec<_>>()
                .join("; "),
        ));
        pairs.push((
            f.fixed.into(),
            p.fixed_shares
                .iter()
                .map(|(gm, pct)| format!("{gm} {}", percent_text(*pct)))
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
    FormPairs(pairs)
}

fn agreement_form(
    id: &'static str,
    action: String,
    submit: &'static str,
    csrf: &str,
    v: &FormPairs,
    new: bool,
) -> FormView {
    let mut form = FormView::new(id, action, submit, csrf);
    if new {
        form = form.field("naam", "Naam van de afspraak", "text", v.get("naam"), true).select(
            "status",
            "Status",
            v.get("status"),
            vec![
                ("voorstel".into(), "voorstel".into()),
                ("vastgesteld".into(), "vastgesteld (de afspraak die geldt)".into()),
            ],
            true,
        );
    }
    form = form
        .field("vanafJaar", "Geldt vanaf het jaar", "number", v.get("vanafJaar"), true)
        .hint("Een afrekening van een jaar gebruikt de versie met het laatste beginjaar tot en met dat jaar.")
        .field("toelichting", "Toelichting (besluit, reden van de wijziging)", "textarea", v.get("toelichting"), false);
    let mut keys: Vec<(String, String)> = vec![(String::new(), "kies een sleutel".into())];
    keys.extend(REGION_KEYS.iter().map(|(k, l)| (k.to_string(), l.to_string())));
    for (i, f) in POTS.iter().enumerate() {
        let n = i + 1;
        // A key entered elsewhere (API, command line) stays selectable.
        let mut keys = keys.clone();
        let current = v.get(f.key).trim();
        if !current.is_empty() && !keys.iter().any(|(k, _)| k == current) {
            keys.push((current.to_string(), current.to_string()));
        }
        form = form
            .field(f.name, &format!("Pot {n}: naam"), "text", v.get(f.name), n == 1)
            .hint(if n == 1 {
                "Bijvoorbeeld 'verblijf' of 'overig'. Laat een pot leeg als u hem niet nodig hebt."
            } else {
                "Leeg: geen pot."
            })
            .field(f.solidarity, &format!("Pot {n}: solidariteit in procenten"), "text", v.get(f.solidarity), n == 1)
            .hint("0 = ieder betaalt eigen kosten (profijtbeginsel), 100 = alles naar de sleutel.")
            .select(f.key, &format!("Pot {n}: verdeelsleutel"), v.get(f.key), keys, n == 1)
            .field(f.categories, &format!("Pot {n}: productcategorieën"), "text", v.get(f.categories), false)
            .hint("Zoals 43, 46. Precies één pot noemt er geen: die neemt de overige categorieën.")
            .field(f.threshold, &format!("Pot {n}: drempel per cliënt in euro's"), "text", v.get(f.threshold), false)
            .hint("Alleen de kosten van een cliënt boven de drempel gaan in de pot.")
            .field(
                f.max_pay_in,
                &format!("Pot {n}: hoogste inleg per gemeente in euro's"),
                "text",
                v.get(f.max_pay_in),
                false,
            )
            .field(
                f.max_receive,
                &format!("Pot {n}: hoogste ontvangst per gemeente in euro's"),
                "text",
                v.get(f.max_receive),
                false,
            )
            .field(f.transition, &format!("Pot {n}: overgangspad"), "text", v.get(f.transition), false)
            .hint("Vanaf welk jaar welke solidariteit, zoals 2027: 50; 2028: 25.")
            .field(f.fixed, &format!("Pot {n}: vaste verdeling (bij sleutel vast)"), "textarea", v.get(f.fixed), false)
            .hint("Per regel een gemeentecode en een percentage, samen 100, zoals GM0518 30,5.");
    }
    form
}

// ---------------------------------------------------------------------------------------------
// The agreements

pub struct AgreementLine {
    pub id: i64,
    pub name: String,
    pub status: &'static str,
    pub versions: usize,
    pub latest: String,
}

#[derive(Template)]
#[template(path = "risk_agreements.html")]
struct AgreementsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    agreements: Vec<AgreementLine>,
    form: Option<FormView>,
}

async fn agreements_page(
    ctx: &RegionCtx<'_>,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let mut agreements = Vec::new();
    for a in state.store.agreements(region.id).await? {
        let versions = state.store.agreement_versions(a.id).await?;
        agreements.push(AgreementLine {
            id: a.id,
            status: status_label(&a.status),
            versions: versions.len(),
            latest: versions
                .first()
                .map(|v| format!("versie {} vanaf {}", v.version, v.first_year))
                .unwrap_or_default(),
            name: a.name,
        });
    }
    let form = match form {
        Some(f) => Some(f),
        None if access.can_manage_risk_sharing() => {
            let year = samenspel_store::now().year().to_string();
            let defaults = FormPairs(vec![("status".into(), "voorstel".into()), ("vanafJaar".into(), year)]);
            Some(
                agreement_form(
                    "nieuwe-afspraak",
                    format!("/regios/{}/verevening", region.code),
                    "Afspraak opslaan",
                    user.csrf(),
                    &defaults,
                    true,
                )
                .done(),
            )
        }
        None => None,
    };
    let layout = Layout::for_region(
        "Verevening: afspraken",
        user,
        region,
        access,
        &format!("/regios/{}/verevening", region.code),
    )
    .with_notice(notice);
    Ok(render(
        &AgreementsPage { layout, subnav: risk_nav(region, "verevening"), code: region.code.clone(), agreements, form },
        status,
    ))
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    gelukt: Option<String>,
}

fn risk_notice(code: Option<&str>) -> Option<Notice> {
    let text = match code? {
        "afspraak-opgeslagen" => "De afspraak is opgeslagen.",
        "versie-opgeslagen" => "De nieuwe versie is opgeslagen.",
        "status-gewijzigd" => "De status is gewijzigd.",
        other => return success_notice(Some(other), None),
    };
    Some(Notice { kind: "ok", text: text.into() })
}

pub async fn agreements(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_risk_sharing() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    agreements_page(&ctx, None, risk_notice(q.gelukt.as_deref()), StatusCode::OK).await
}

pub async fn create_agreement(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_risk_sharing() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match agreement_input(&form, true) {
        Ok((status, version)) => {
            state.store.create_agreement(region.id, status, &version, &user.actor("web")).await.map_err(AppError::from)
        }
        Err(i) => Err(AppError::invalid(i)),
    };
    match result {
        Ok((row, _)) => Ok(see_other(&format!(
            "/regios/{}/verevening/afspraken/{}?gelukt=afspraak-opgeslagen",
            region.code, row.id
        ))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let f = agreement_form(
                "nieuwe-afspraak",
                format!("/regios/{}/verevening", region.code),
                "Afspraak opslaan",
                user.csrf(),
                &form,
                true,
            )
            .with_errors(&invalid)
            .done();
            agreements_page(&ctx, Some(f), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub struct PoolLine {
    pub name: String,
    pub rule: String,
}

pub struct VersionView {
    pub version: i32,
    pub first_year: i32,
    pub reason: String,
    pub by: String,
    pub at: String,
    pub pools: Vec<PoolLine>,
    pub json: String,
}

/// A pool's rule in words, as the agreement page and the explanations show it.
pub fn pool_rule_text(p: &PoolDefinition) -> String {
    let mut parts = vec![format!("solidariteit {} %", percent_text(p.solidarity_percent))];
    parts.push(format!("sleutel {}", key_label(&p.key.trim().to_lowercase())));
    if !p.fixed_shares.is_empty() {
        let shares: Vec<String> =
            p.fixed_shares.iter().map(|(gm, pct)| format!("{gm} {} %", percent_text(*pct))).collect();
        parts.push(format!("vaste verdeling {}", shares.join(", ")));
    }
    if let Some(t) = p.threshold_euros {
        parts.push(format!("drempel {} per cliënt", money((t * 100.0).round() as i64)));
    }
    if let Some(m) = p.max_pay_in_euros {
        parts.push(format!("hoogstens {} inleg", money((m * 100.0).round() as i64)));
    }
    if let Some(m) = p.max_receive_euros {
        parts.push(format!("hoogstens {} ontvangst", money((m * 100.0).round() as i64)));
    }
    if !p.transition.is_empty() {
        let steps: Vec<String> =
            p.transition.iter().map(|s| format!("vanaf {} {} %", s.year, percent_text(s.solidarity_percent))).collect();
        parts.push(format!("overgang: {}", steps.join(", ")));
    }
    parts.push(if p.categories.is_empty() {
        "overige productcategorieën".into()
    } else {
        format!("productcategorieën {}", p.categories.join(", "))
    });
    parts.join("; ")
}

#[derive(Template)]
#[template(path = "risk_agreement.html")]
struct AgreementPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    id: i64,
    name: String,
    status: &'static str,
    status_code: String,
    csrf: String,
    can_manage: bool,
    versions: Vec<VersionView>,
    form: Option<FormView>,
    form_note: String,
}

async fn agreement_page(
    ctx: &RegionCtx<'_>,
    row: AgreementRow,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let stored = state.store.agreement_versions(row.id).await?;
    let mut versions = Vec::new();
    for v in &stored {
        let model = v.agreement().map_err(|p| AppError::internal(p.join("; ")))?;
        versions.push(VersionView {
            version: v.version,
            first_year: v.first_year,
            reason: v.reason.clone().unwrap_or_default(),
            by: v.created_by.clone(),
            at: show::datetime(v.created_at),
            pools: model.pools.iter().map(|p| PoolLine { name: p.name.clone(), rule: pool_rule_text(p) }).collect(),
            json: v.model.clone(),
        });
    }
    let action = format!("/regios/{}/verevening/afspraken/{}", region.code, row.id);
    let latest = stored.first().and_then(|v| v.agreement().ok().map(|m| (m, v.first_year + 1)));
    // An agreement with more pots than the form holds is changed through the API or the command
    // line: the form would drop the pots it cannot show.
    let fits = latest.as_ref().is_none_or(|(m, _)| m.pools.len() <= POTS.len());
    let form = match form {
        Some(f) => Some(f),
        None if access.can_manage_risk_sharing() && fits => {
            let values = latest.map(|(m, y)| form_values(&m, y)).unwrap_or_default();
            Some(agreement_form("nieuwe-versie", action, "Nieuwe versie opslaan", user.csrf(), &values, false).done())
        }
        None => None,
    };
    let form_note = if access.can_manage_risk_sharing() && !fits {
        format!(
            "Deze afspraak heeft meer dan {} potten; leg een nieuwe versie vast via de API of met samenspel afspraak.",
            POTS.len()
        )
    } else {
        String::new()
    };
    let layout = Layout::for_region(
        &format!("Afspraak {}", row.name),
        user,
        region,
        access,
        &format!("/regios/{}/verevening", region.code),
    )
    .with_notice(notice);
    Ok(render(
        &AgreementPage {
            layout,
            subnav: risk_nav(region, "verevening"),
            code: region.code.clone(),
            id: row.id,
            status: status_label(&row.status),
            status_code: row.status.clone(),
            name: row.name,
            csrf: user.csrf().to_string(),
            can_manage: access.can_manage_risk_sharing(),
            versions,
            form,
            form_note,
        },
        status,
    ))
}

pub async fn agreement(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_risk_sharing() {
        return Err(AppError::forbidden().into());
    }
    let row = state.store.agreement(region.id, id).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    agreement_page(&ctx, row, None, risk_notice(q.gelukt.as_deref()), StatusCode::OK).await
}

pub async fn add_version(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_risk_sharing() {
        return Err(AppError::forbidden().into());
    }
    let row = state.store.agreement(region.id, id).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let mut named = form.clone();
    named.0.push(("naam".into(), row.name.clone()));
    let result = match agreement_input(&named, false) {
        Ok((_, version)) => {
            state.store.add_agreement_version(region.id, id, &version, &user.actor("web")).await.map_err(AppError::from)
        }
        Err(i) => Err(AppError::invalid(i)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/verevening/afspraken/{id}?gelukt=versie-opgeslagen", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let action = format!("/regios/{}/verevening/afspraken/{id}", region.code);
            let f = agreement_form("nieuwe-versie", action, "Nieuwe versie opslaan", user.csrf(), &form, false)
                .with_errors(&invalid)
                .done();
            agreement_page(&ctx, row, Some(f), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn set_status(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_risk_sharing() {
        return Err(AppError::forbidden().into());
    }
    let row = state.store.agreement(region.id, id).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let Some(status) = AgreementStatus::parse(form.get("status")) else {
        let notice = Notice { kind: "error", text: "Kies vastgesteld, voorstel of vervallen.".into() };
        return agreement_page(&ctx, row, None, Some(notice), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match state.store.set_agreement_status(region.id, id, status, &user.actor("web")).await {
        Ok(_) => Ok(see_other(&format!("/regios/{}/verevening/afspraken/{id}?gelukt=status-gewijzigd", region.code))),
        Err(e) => {
            let invalid = super::form_problem(AppError::from(e))?;
            let text = invalid.errors.iter().map(|e| e.reason.clone()).collect::<Vec<_>>().join(" ");
            agreement_page(&ctx, row, None, Some(Notice { kind: "error", text }), StatusCode::CONFLICT).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The settlement and the comparison

pub struct ComparisonLine {
    pub name: String,
    pub own: String,
    pub differences: Vec<String>,
}

pub struct ExplainedMember {
    pub name: String,
    pub own: String,
    pub kept: String,
    pub pooled: String,
    pub user_pays: String,
    pub solidarity: String,
    pub limit: String,
    pub contribution: String,
    pub difference: String,
    pub explanation: String,
}

pub struct ExplainedPool {
    pub name: String,
    pub rule: String,
    pub total: String,
    pub pooled: String,
    pub members: Vec<ExplainedMember>,
}

pub struct YearsLine {
    pub name: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "risk_settlement.html")]
struct SettlementPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    action: String,
    extra_fields: String,
    year: i32,
    options: Vec<(String, String, bool)>,
    proposal_options: Vec<(String, String, bool)>,
    laws: Vec<(&'static str, &'static str, bool)>,
    problems: Vec<String>,
    title: String,
    models: Vec<String>,
    lines: Vec<ComparisonLine>,
    totals: Vec<String>,
    own_total: String,
    chart: String,
    pools: Vec<ExplainedPool>,
    years: Vec<i32>,
    years_models: Vec<String>,
    years_lines: Vec<YearsLine>,
    years_notes: Vec<String>,
    key_notes: Vec<String>,
    csv_href: String,
}

pub fn agreement_options(
    all: &[AgreementRow],
    chosen: Option<&AgreementRow>,
    none: Option<&str>,
) -> Vec<(String, String, bool)> {
    let mut options: Vec<(String, String, bool)> =
        none.map(|n| (String::new(), n.to_string(), chosen.is_none())).into_iter().collect();
    options.extend(all.iter().map(|a| {
        (a.id.to_string(), format!("{} ({})", a.name, status_label(&a.status)), chosen.is_some_and(|c| c.id == a.id))
    }));
    options
}

pub fn law_options(law: &str) -> Vec<(&'static str, &'static str, bool)> {
    vec![("jeugd", "Jeugdwet", law == "jeugd"), ("wmo", "Wmo 2015", law == "wmo")]
}

fn query_string(s: &Selection) -> String {
    let mut q = format!("jaar={}&wet={}", s.year, s.law);
    if let Some(a) = &s.agreement {
        q.push_str(&format!("&afspraak={}", a.id));
    }
    if let Some(p) = &s.proposal {
        q.push_str(&format!("&voorstel={}", p.id));
    }
    q
}

pub async fn settlement(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<SettlementQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_risk_sharing() {
        return Err(AppError::forbidden().into());
    }
    let s = selection(&state, &region, &q).await?;
    let settled = settle_selection(&state, &region, &s, s.year).await?;
    if q.formaat.as_deref() == Some("csv") {
        let settled = settled.map_err(|p| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, p.join("; ")))?;
        return Ok(settlement_csv(&settled));
    }
    let mut page = SettlementPage {
        layout: Layout::for_region(
            &format!("Verevening {}", s.year),
            &user,
            &region,
            &access,
            &format!("/regios/{}/verevening", region.code),
        ),
        subnav: risk_nav(&region, "verevening/afrekening"),
        action: format!("/regios/{}/verevening/afrekening", region.code),
        extra_fields: String::new(),
        year: s.year,
        options: agreement_options(&s.all, s.agreement.as_ref(), None),
        proposal_options: agreement_options(&s.all, s.proposal.as_ref(), Some("geen voorstel")),
        laws: law_options(&s.law),
        problems: Vec::new(),
        title: String::new(),
        models: Vec::new(),
        lines: Vec::new(),
        totals: Vec::new(),
        own_total: String::new(),
        chart: String::new(),
        pools: Vec::new(),
        years: Vec::new(),
        years_models: Vec::new(),
        years_lines: Vec::new(),
        years_notes: Vec::new(),
        key_notes: Vec::new(),
        csv_href: format!("/regios/{}/verevening/afrekening?{}&formaat=csv", region.code, query_string(&s)),
    };
    let settled = match settled {
        Ok(settled) => settled,
        Err(problems) => {
            page.problems = problems;
            return Ok(render(&page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let name = |gm: &str| settled.names.get(gm).cloned().unwrap_or_else(|| gm.to_string());
    let c = &settled.comparison;
    page.title = format!(
        "{} ({}), versie {} (geldt vanaf {}), {} {}",
        settled.agreement.row.name,
        status_label(&settled.agreement.row.status),
        settled.agreement.version.version,
        settled.agreement.version.first_year,
        law_label(&settled.law),
        settled.year,
    );
    page.models = c.models.iter().map(|m| model_label(&m.name)).collect();
    page.key_notes = settled
        .incomplete_keys
        .iter()
        .map(|(key, missing)| {
            let names: Vec<String> = missing.iter().map(|gm| name(gm)).collect();
            format!("volledig solidair naar {}: geen waarde voor {}", key_label(key), names.join(", "))
        })
        .collect();
    page.lines = c
        .members
        .iter()
        .map(|m| ComparisonLine {
            name: name(&m.member),
            own: money(m.own_cents),
            differences: m.difference_cents.iter().map(|d| signed(*d)).collect(),
        })
        .collect();
    page.own_total = money(c.members.iter().map(|m| m.own_cents).sum());
    page.totals = (0..c.models.len()).map(|i| signed(c.members.iter().map(|m| m.difference_cents[i]).sum())).collect();
    let shown: Vec<usize> = (settled.agreement_index..c.models.len()).collect();
    let series_names: Vec<String> = shown.iter().map(|i| model_label(&c.models[*i].name)).collect();
    let series: Vec<&str> = series_names.iter().map(String::as_str).collect();
    let rows: Vec<(String, Vec<i64>)> =
        c.members.iter().map(|m| (name(&m.member), shown.iter().map(|i| m.difference_cents[*i]).collect())).collect();
    page.chart = chart::diverging(
        "verevening-grafiek",
        &format!("Verschil met eigen kosten per gemeente in {}", settled.year),
        "Staven naar rechts: de gemeente betaalt in; naar links: ze ontvangt. Dezelfde bedragen staan in de tabel.",
        &series,
        &rows,
        ("← ontvangt", "betaalt in →"),
    );
    let agreement_outcome = &c.models[settled.agreement_index];
    page.pools = agreement_outcome
        .pools
        .iter()
        .map(|pool| ExplainedPool {
            name: pool.rule.name.clone(),
            rule: settled
                .agreement
                .model
                .pools
                .iter()
                .find(|p| p.name == pool.rule.name)
                .map(pool_rule_text)
                .unwrap_or_default(),
            total: money(pool.total_cents),
            pooled: money(pool.pooled_cents),
            members: pool
                .members
                .iter()
                .map(|m| ExplainedMember {
                    name: name(&m.member),
                    own: money(m.own_cents),
                    kept: money(m.kept_cents),
                    pooled: money(m.pooled_own_cents),
                    user_pays: money(m.user_pays_cents),
                    solidarity: money(m.solidarity_cents),
                    limit: signed(m.limit_cents),
                    contribution: money(m.contribution_cents),
                    difference: signed(m.difference_cents),
                    explanation: m.explanation(pool),
                })
                .collect(),
        })
        .collect();
    // The same agreement over the years before: each year under the version in force then.
    page.years_models = series.iter().map(|s| s.to_string()).collect();
    let mut by_member: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
    for year in settled.year - 2..=settled.year {
        let outcome = if year == settled.year {
            Ok(settled.clone())
        } else {
            settle_selection(&state, &region, &s, year).await?
        };
        match outcome {
            Ok(o) => {
                page.years.push(year);
                for m in &o.comparison.members {
                    let cells = by_member.entry(m.member.clone()).or_default();
                    let missing = (page.years.len() - 1) * shown.len();
                    cells.resize(missing.max(cells.len()), "–".into());
                    // Earlier years may compare fewer keys: the agreement sits at its own index.
                    cells.extend((0..shown.len()).map(|k| {
                        m.difference_cents.get(o.agreement_index + k).map(|d| signed(*d)).unwrap_or("–".into())
                    }));
                }
            }
            Err(problems) => page.years_notes.push(format!("{year}: {}", problems.join("; "))),
        }
    }
    page.years_lines = by_member
        .into_iter()
        .map(|(gm, mut cells)| {
            cells.resize(page.years.len() * shown.len(), "–".into());
            YearsLine { name: name(&gm), cells }
        })
        .collect();
    Ok(render(&page, StatusCode::OK))
}

fn settlement_csv(settled: &RegionSettlement) -> axum::response::Response {
    let mut rows = Vec::new();
    for model in &settled.comparison.models {
        for pool in &model.pools {
            for m in &pool.members {
                rows.push(vec![
                    settled.year.to_string(),
                    model_label(&model.name),
                    pool.rule.name.clone(),
                    m.member.clone(),
                    settled.names.get(&m.member).cloned().unwrap_or_default(),
                    Cents(m.own_cents).plain(),
                    Cents(m.contribution_cents).plain(),
                    Cents(m.difference_cents).plain(),
                    m.explanation(pool),
                ]);
            }
        }
    }
    super::production::csv_response(
        &format!("verevening-{}-{}", settled.year, settled.law),
        &["jaar", "model", "pot", "gemeentecode", "gemeente", "eigen_kosten", "bijdrage", "verschil", "uitleg"],
        rows,
    )
}
