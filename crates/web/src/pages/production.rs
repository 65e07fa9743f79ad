//! The production pages: spend against budget with the forecast, spend per member, provider,
//! lot, product or month, the signals, the imports with their reports and the quarantine, and
//! the client-level rows for the member or provider they belong to. Every table downloads as
//! CSV (semicolons, Dutch decimal commas, as Dutch spreadsheets read them).

use super::{render, see_other, show, success_notice, Layout, NavItem, Notice, PageResult, Pager};
use crate::api::production::{client_filter, spend_selection, ClientRowQuery, SpendQuery};
use crate::auth::{region_for, CurrentUser, PageUser};
use crate::chart::{self, Bar, BarKind};
use crate::error::AppError;
use crate::forms::CsrfMultipart;
use crate::production::{self as assemble, month_label, MemberOutlook};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use samenspel_domain::access::RegionAccess;
use samenspel_domain::nl;
use samenspel_domain::{Cents, MunicipalityCode};
use samenspel_store::production::{Dimension, ImportRow};
use samenspel_store::regions::RegionRow;
use samenspel_store::PageRequest;
use serde::Deserialize;

/// The production pages, shown as a second menu on each of them.
pub fn production_nav(region: &RegionRow, access: &RegionAccess, current: &str) -> Vec<NavItem> {
    let mut pages: Vec<(&str, &'static str)> = vec![("uitgaven", "Uitgaven en budget"), ("signalen", "Signalen")];
    if access.can_view_imports() {
        pages.push(("importen", "Importen"));
    }
    if access.sees_client_rows() {
        pages.push(("toewijzingen", "Toewijzingen"));
        pages.push(("declaraties", "Declaraties"));
    }
    pages
        .into_iter()
        .map(|(path, label)| NavItem {
            href: format!("/regios/{}/{path}", region.code),
            label,
            current: path == current,
        })
        .collect()
}

fn money(cents: i64) -> String {
    Cents(cents).to_string()
}

/// A CSV download: semicolons, CRLF, with a byte-order mark so spreadsheets read UTF-8.
pub(super) fn csv_response(name: &str, header_row: &[&str], rows: Vec<Vec<String>>) -> axum::response::Response {
    let mut out = String::from("\u{feff}");
    out.push_str(&header_row.join(";"));
    out.push_str("\r\n");
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| if c.contains([';', '"', '\n']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c })
            .collect();
        out.push_str(&cells.join(";"));
        out.push_str("\r\n");
    }
    let disposition = format!("attachment; filename=\"{name}.csv\"");
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], out)
        .into_response()
}

/// An amount for CSV: euros with a decimal comma, no thousands separator.
fn csv_money(cents: i64) -> String {
    Cents(cents).plain()
}

fn csv_money_opt(cents: Option<i64>) -> String {
    cents.map(csv_money).unwrap_or_default()
}

#[derive(Debug, Default, Deserialize)]
pub struct SpendPageQuery {
    jaar: Option<String>,
    wet: Option<String>,
    per: Option<String>,
    formaat: Option<String>,
    tabel: Option<String>,
}

pub struct OutlookLine {
    pub name: String,
    pub budget: String,
    pub realised: String,
    pub year_end: String,
    pub difference: String,
    pub depletion: String,
    pub clients: String,
    pub overrun: bool,
    pub budget_missing: bool,
}

fn outlook_line(name: &str, clients: Option<i64>, f: &samenspel_calc::spend::Forecast) -> OutlookLine {
    OutlookLine {
        name: name.to_string(),
        budget: show::money(f.budget),
        realised: money(f.realised),
        year_end: money(f.year_end),
        difference: f.budget.map(|b| money(b - f.year_end)).unwrap_or_default(),
        depletion: match (f.budget, f.depletion) {
            (None, _) => String::new(),
            (Some(_), Some(d)) => nl::date(d),
            (Some(_), None) => "niet dit jaar".into(),
        },
        clients: clients.map(nl::integer).unwrap_or_default(),
        overrun: f.overrun.is_some(),
        budget_missing: f.budget.is_none(),
    }
}

pub struct SpendLine {
    pub label: String,
    pub amount: String,
    pub volume: String,
    pub lines: String,
    pub share: String,
}

pub struct MonthLine {
    pub month: String,
    pub amount: String,
    pub forecast: bool,
}

#[derive(Template)]
#[template(path = "spend.html")]
struct SpendPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    year: i32,
    law: String,
    law_label: &'static str,
    years: Vec<(i32, bool)>,
    laws: Vec<(&'static str, &'static str, bool)>,
    dimensions: Vec<(&'static str, &'static str, bool)>,
    dimension: &'static str,
    dimension_label: &'static str,
    through: String,
    outlook: Vec<OutlookLine>,
    region_line: OutlookLine,
    months_chart: String,
    months: Vec<MonthLine>,
    spend_chart: String,
    spend: Vec<SpendLine>,
    total: String,
    has_data: bool,
}

fn dimension_label(d: Dimension) -> &'static str {
    match d {
        Dimension::Member => "gemeente",
        Dimension::Provider => "zorgaanbieder",
        Dimension::Lot => "perceel",
        Dimension::Product => "product",
        Dimension::Month => "maand",
    }
}

fn law_label(law: &str) -> &'static str {
    if law == "wmo" {
        "Wmo"
    } else {
        "Jeugdwet"
    }
}

pub async fn spend(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<SpendPageQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_spend() {
        return Err(AppError::forbidden().into());
    }
    let query = SpendQuery { jaar: q.jaar.clone(), wet: q.wet.clone(), per: q.per.clone(), ..SpendQuery::default() };
    let s = spend_selection(&region, &query).map_err(AppError::invalid)?;
    let today = samenspel_store::today();
    let outlook = assemble::outlook(&state.store, region.id, s.year, &s.law, today).await?;
    let rows = assemble::spend_rows(&state.store, region.id, s.dimension, &s.filter).await?;
    let total: i64 = rows.iter().map(|r| r.amount_cents).sum();
    let share = |amount: i64| if total == 0 { String::new() } else { nl::percentage(amount as f64 / total as f64) };
    if q.formaat.as_deref() == Some("csv") {
        let name = format!("uitgaven-{}-{}-{}", region.code, s.year, s.law);
        return Ok(if q.tabel.as_deref() == Some("prognose") {
            let rows = outlook
                .members
                .iter()
                .map(|m| {
                    let f = &m.forecast;
                    vec![
                        m.municipality_code.clone(),
                        m.name.clone(),
                        csv_money_opt(f.budget),
                        csv_money(f.realised),
                        csv_money(f.year_end),
                        csv_money_opt(f.overrun),
                        f.depletion.map(|d| d.to_string()).unwrap_or_default(),
                        m.clients.to_string(),
                    ]
                })
                .collect();
            csv_response(
                &format!("prognose-{}-{}-{}", region.code, s.year, s.law),
                &[
                    "gemeentecode",
                    "gemeente",
                    "budget",
                    "gerealiseerd",
                    "prognose_jaareinde",
                    "overschrijding",
                    "budget_op",
                    "clienten",
                ],
                rows,
            )
        } else {
            let rows = rows
                .iter()
                .map(|r| {
                    vec![
                        r.key.trim().to_string(),
                        r.label.clone(),
                        csv_money(r.amount_cents),
                        r.volume.to_string(),
                        r.lines.to_string(),
                    ]
                })
                .collect();
            csv_response(
                &format!("{name}-per-{}", s.dimension.code()),
                &["sleutel", "naam", "bedrag", "volume", "regels"],
                rows,
            )
        });
    }
    let through = usize::from(outlook.through);
    let months: Vec<MonthLine> = outlook
        .region
        .projected
        .iter()
        .enumerate()
        .map(|(i, amount)| MonthLine {
            month: month_label(&format!("{}{:02}", s.year, i + 1)),
            amount: money(*amount),
            forecast: i >= through,
        })
        .collect();
    let bars: Vec<Bar> = outlook
        .region
        .projected
        .iter()
        .enumerate()
        .map(|(i, v)| Bar {
            label: month_label(&format!("{}{:02}", s.year, i + 1)).split(' ').next().unwrap_or("").to_string(),
            value: *v,
            kind: if i >= through { BarKind::Forecast } else { BarKind::Realised },
        })
        .collect();
    let monthly_budget = outlook.region.budget.map(|b| (b / 12, "budget per maand"));
    let months_chart = chart::columns(
        "maanden",
        &format!("Uitgaven per maand {} ({}), regio", s.year, law_label(&s.law)),
        "Staafdiagram: gerealiseerde uitgaven tot en met de laatste volledige maand, daarna de prognose; \
         de stippellijn is een twaalfde van het jaarbudget. De cijfers staan in de tabel hieronder.",
        &bars,
        monthly_budget,
    );
    let spend_bars: Vec<Bar> = rows
        .iter()
        .take(15)
        .map(|r| Bar { label: r.label.clone(), value: r.amount_cents, kind: BarKind::Realised })
        .collect();
    let spend_chart = chart::rows(
        "verdeling",
        &format!("Uitgaven {} per {}", s.year, dimension_label(s.dimension)),
        "Staafdiagram van de grootste posten; alle posten met hun bedrag staan in de tabel ernaast.",
        &spend_bars,
    );
    let years = {
        let mut ys = state.store.spend_years(region.id).await?;
        if !ys.contains(&s.year) {
            ys.push(s.year);
        }
        ys.sort_unstable_by(|a, b| b.cmp(a));
        ys.into_iter().map(|y| (y, y == s.year)).collect()
    };
    let laws = match region.domain.as_str() {
        "jeugd" => vec![("jeugd", "Jeugdwet", true)],
        "wmo" => vec![("wmo", "Wmo", true)],
        _ => vec![("jeugd", "Jeugdwet", s.law == "jeugd"), ("wmo", "Wmo", s.law == "wmo")],
    };
    let dimensions = Dimension::ALL
        .into_iter()
        .filter(|d| *d != Dimension::Month)
        .map(|d| (d.code(), dimension_label(d), d == s.dimension))
        .collect();
    let page = SpendPage {
        layout: Layout::for_region("Uitgaven en budget", &user, &region, &access, &format!("/regios/{code}/uitgaven")),
        subnav: production_nav(&region, &access, "uitgaven"),
        code: region.code.clone(),
        year: s.year,
        law: s.law.clone(),
        law_label: law_label(&s.law),
        years,
        laws,
        dimensions,
        dimension: s.dimension.code(),
        dimension_label: dimension_label(s.dimension),
        through: if through == 0 { "nog geen maand".into() } else { month_label(&format!("{}{through:02}", s.year)) },
        outlook: outlook.members.iter().map(|m| outlook_line(&m.name, Some(m.clients), &m.forecast)).collect(),
        region_line: outlook_line("Regio totaal", None, &outlook.region),
        months_chart,
        months,
        spend_chart,
        spend: rows
            .iter()
            .map(|r| SpendLine {
                label: r.label.clone(),
                amount: money(r.amount_cents),
                volume: nl::integer(r.volume),
                lines: nl::integer(r.lines),
                share: share(r.amount_cents),
            })
            .collect(),
        total: money(total),
        has_data: total != 0 || outlook.region.realised != 0,
    };
    Ok(render(&page, StatusCode::OK))
}

pub struct SignalLine {
    pub subject: String,
    pub detail: String,
}

pub struct SignalSection {
    pub id: &'static str,
    pub title: &'static str,
    pub lines: Vec<SignalLine>,
}

#[derive(Template)]
#[template(path = "signals.html")]
struct SignalsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    year: i32,
    law: String,
    sections: Vec<SignalSection>,
}

fn overrun_line(m: &MemberOutlook) -> SignalLine {
    let f = &m.forecast;
    SignalLine {
        subject: m.name.clone(),
        detail: format!(
            "prognose {} bij een budget van {}: {} te weinig{}",
            money(f.year_end),
            show::money(f.budget),
            money(f.overrun.unwrap_or(0)),
            f.depletion.map(|d| format!("; het budget is op rond {}", nl::date(d))).unwrap_or_default()
        ),
    }
}

pub async fn signals(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<SpendPageQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_spend() {
        return Err(AppError::forbidden().into());
    }
    let query = SpendQuery { jaar: q.jaar.clone(), wet: q.wet.clone(), ..SpendQuery::default() };
    let s = spend_selection(&region, &query).map_err(AppError::invalid)?;
    let today = samenspel_store::today();
    let found = assemble::signals(&state.store, region.id, s.year, &s.law, today).await?;
    let overrun: Vec<SignalLine> = found.overrun.iter().map(overrun_line).collect();
    let above_tariff: Vec<SignalLine> = found
        .above_tariff
        .iter()
        .map(|a| SignalLine {
            subject: a.provider.clone(),
            detail: format!(
                "{} declaratieregels boven het contracttarief, samen {} meer dan het contract",
                nl::integer(a.lines),
                money(a.above_cents)
            ),
        })
        .collect();
    let price: Vec<SignalLine> = found
        .price
        .iter()
        .map(|p| SignalLine {
            subject: format!("{} (categorie {})", p.provider, p.signal.category),
            detail: format!(
                "{} per cliënt ({} cliënten) tegen een mediaan van {} in de regio: {} keer zoveel",
                money(p.signal.price_per_client_cents),
                p.signal.clients,
                money(p.signal.median_cents),
                format!("{:.1}", p.signal.ratio).replace('.', ",")
            ),
        })
        .collect();
    let growth: Vec<SignalLine> = found
        .growth
        .iter()
        .map(|g| SignalLine {
            subject: g.provider.clone(),
            detail: format!(
                "groei {} in de laatste drie maanden tegen {} in de regio ({} → {})",
                nl::percentage(g.signal.growth),
                nl::percentage(g.signal.regional_growth),
                money(g.signal.before_cents),
                money(g.signal.after_cents)
            ),
        })
        .collect();
    if q.formaat.as_deref() == Some("csv") {
        let mut rows = Vec::new();
        for (kind, lines) in [
            ("dreigende overschrijding", &overrun),
            ("boven contracttarief", &above_tariff),
            ("prijs per client", &price),
            ("groei", &growth),
        ] {
            for l in lines {
                rows.push(vec![kind.to_string(), l.subject.clone(), l.detail.clone()]);
            }
        }
        return Ok(csv_response(
            &format!("signalen-{}-{}-{}", region.code, s.year, s.law),
            &["signaal", "betreft", "toelichting"],
            rows,
        ));
    }
    let page = SignalsPage {
        layout: Layout::for_region("Signalen", &user, &region, &access, &format!("/regios/{code}/uitgaven")),
        subnav: production_nav(&region, &access, "signalen"),
        code: region.code.clone(),
        year: s.year,
        law: s.law,
        sections: vec![
            SignalSection {
                id: "overschrijding",
                title: "Gemeenten die over hun budget dreigen te gaan",
                lines: overrun,
            },
            SignalSection { id: "tarief", title: "Declaraties boven het contracttarief", lines: above_tariff },
            SignalSection { id: "prijs", title: "Prijs per cliënt ver van het regionale patroon", lines: price },
            SignalSection { id: "groei", title: "Groei ver van het regionale patroon", lines: growth },
        ],
    };
    Ok(render(&page, StatusCode::OK))
}

pub struct ImportLine {
    pub id: i64,
    pub file_name: String,
    pub message: String,
    pub status: String,
    pub counts: String,
    pub started: String,
    pub by: String,
}

fn status_label(status: &str) -> &'static str {
    match status {
        "bezig" => "bezig",
        "klaar" => "ingelezen",
        "afgewezen" => "afgewezen, niets ingelezen",
        "dubbel" => "al eerder ingelezen, niets toegevoegd",
        _ => "onbekend",
    }
}

fn import_line(r: &ImportRow) -> ImportLine {
    ImportLine {
        id: r.id,
        file_name: r.file_name.clone(),
        message: r.message.clone(),
        status: status_label(&r.status).to_string(),
        counts: format!(
            "{} ingelezen, {} in quarantaine, {} dubbel, {} waarschuwingen",
            nl::integer(r.accepted),
            nl::integer(r.quarantined),
            nl::integer(r.duplicates),
            nl::integer(r.warnings)
        ),
        started: show::datetime(r.started_at),
        by: r.imported_by.clone(),
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    csrf: String,
    imports: Vec<ImportLine>,
    pager: Pager,
    open_quarantine: i64,
    can_reprocess: bool,
    scope: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pagina: Option<u32>,
    gelukt: Option<String>,
    aantal: Option<String>,
}

async fn imports_page(
    state: &AppState,
    user: &CurrentUser,
    region: &RegionRow,
    access: &RegionAccess,
    page_number: u32,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let request = PageRequest { page: page_number.max(1), page_size: 25 };
    let scope = access.import_scope().map(|m| m.as_str().to_string());
    let rows = state.store.imports(region.id, scope.as_deref(), request).await?;
    let code = region.code.clone();
    let page = ImportsPage {
        layout: Layout::for_region("Importen", user, region, access, &format!("/regios/{code}/uitgaven"))
            .with_notice(notice),
        subnav: production_nav(region, access, "importen"),
        pager: Pager::new(request.page, rows.total, request.page_size, |n| {
            format!("/regios/{code}/importen?pagina={n}")
        }),
        code,
        csrf: user.csrf().to_string(),
        imports: rows.items.iter().map(import_line).collect(),
        open_quarantine: state.store.open_quarantine(region.id).await?,
        can_reprocess: access.can_reprocess_quarantine(),
        scope: access.import_scope().map(|m| m.as_str().to_string()),
    };
    Ok(render(&page, status))
}

pub async fn imports(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_imports() {
        return Err(AppError::forbidden().into());
    }
    let notice = success_notice(q.gelukt.as_deref(), q.aantal.as_deref());
    imports_page(&state, &user, &region, &access, q.pagina.unwrap_or(1), notice, StatusCode::OK).await
}

pub async fn upload(State(state): State<AppState>, Path(code): Path<String>, form: CsrfMultipart) -> PageResult {
    let user = form.user;
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_import_production() {
        return Err(AppError::forbidden().into());
    }
    let Some(file) = form.files.get("bestand").filter(|f| !f.bytes.is_empty()) else {
        let notice = Notice {
            kind: "error",
            text:
                "Kies een bestand om in te lezen: een iJw- of iWmo-bericht (XML), een GGK-envelop of een CSV-bestand."
                    .into(),
        };
        return imports_page(&state, &user, &region, &access, 1, Some(notice), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let name = std::path::Path::new(&file.file_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "upload".into());
    let id = assemble::start_import(&state, &region, &access, &user, "web", &name, file.bytes.clone()).await?;
    Ok(see_other(&format!("/regios/{}/importen/{id}", region.code)))
}

pub async fn reprocess(
    State(state): State<AppState>,
    Path(code): Path<String>,
    crate::forms::CsrfForm(user, _): crate::forms::CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_reprocess_quarantine() {
        return Err(AppError::forbidden().into());
    }
    let today = samenspel_store::today();
    let outcome = state.store.reprocess_quarantine(region.id, today, &user.actor("web")).await?;
    let notice = Notice {
        kind: if outcome.still_open == 0 { "ok" } else { "info" },
        text: format!(
            "Quarantaine opnieuw verwerkt: {} records geprobeerd, {} nu ingelezen, {} blijven in quarantaine.",
            outcome.tried, outcome.resolved, outcome.still_open
        ),
    };
    imports_page(&state, &user, &region, &access, 1, Some(notice), StatusCode::OK).await
}

pub struct ProblemLine {
    pub place: String,
    pub field: String,
    pub rule: String,
    pub message: String,
    pub severity: &'static str,
    pub status: &'static str,
    pub record: Option<String>,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    import: ImportLine,
    running: bool,
    percent: u8,
    rejected: bool,
    duplicate_of: Option<i64>,
    problems: Vec<ProblemLine>,
    problem_total: i64,
    pager: Pager,
    records: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ImportQuery {
    pagina: Option<u32>,
    formaat: Option<String>,
}

pub async fn import(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<ImportQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_imports() {
        return Err(AppError::forbidden().into());
    }
    let row = state.store.import(region.id, id).await?;
    let own = access.import_scope().map(|m| m.as_str().to_string());
    if own.is_some() && row.municipality_scope != own {
        return Err(AppError::not_found().into());
    }
    let own_record = |municipality: &Option<String>| {
        municipality
            .as_deref()
            .and_then(|m| MunicipalityCode::parse(m).ok())
            .is_some_and(|m| access.can_view_client_rows_of(&m))
    };
    if q.formaat.as_deref() == Some("csv") {
        let all = state.store.import_problems(region.id, id, PageRequest { page: 1, page_size: 1_000_000 }).await?;
        let rows = all
            .items
            .into_iter()
            .map(|p| {
                vec![
                    p.line.map(|l| l.to_string()).unwrap_or_default(),
                    p.byte_offset.to_string(),
                    p.field,
                    p.rule,
                    p.message,
                    p.severity,
                    p.status,
                ]
            })
            .collect();
        return Ok(csv_response(
            &format!("import-{id}-verslag"),
            &["regel", "positie", "veld", "regelcode", "melding", "ernst", "status"],
            rows,
        ));
    }
    let request = PageRequest { page: q.pagina.unwrap_or(1).max(1), page_size: 50 };
    let problems = state.store.import_problems(region.id, id, request).await?;
    let progress = state.import_progress(id);
    let page = ImportPage {
        layout: Layout::for_region(
            &format!("Import {}", row.file_name),
            &user,
            &region,
            &access,
            &format!("/regios/{code}/uitgaven"),
        ),
        subnav: production_nav(&region, &access, "importen"),
        code: region.code.clone(),
        running: row.status == "bezig",
        percent: progress.map(|p| p.percent()).unwrap_or(0),
        rejected: row.status == "afgewezen",
        duplicate_of: row.duplicate_of,
        records: nl::integer(row.records),
        pager: Pager::new(request.page, problems.total, request.page_size, |n| {
            format!("/regios/{}/importen/{id}?pagina={n}", region.code)
        }),
        problem_total: problems.total,
        problems: problems
            .items
            .into_iter()
            .map(|p| ProblemLine {
                place: p.line.map(|l| format!("regel {l}")).unwrap_or_else(|| format!("positie {}", p.byte_offset)),
                record: if own_record(&p.municipality_code) { p.record_json.clone() } else { None },
                field: p.field,
                rule: p.rule,
                message: p.message,
                severity: if p.severity == "waarschuwing" { "waarschuwing" } else { "fout" },
                status: match p.status.as_str() {
                    "open" => "in quarantaine",
                    "verwerkt" => "verwerkt",
                    _ => "bestand corrigeren",
                },
            })
            .collect(),
        import: import_line(&row),
    };
    Ok(render(&page, StatusCode::OK))
}

pub struct AssignmentLine {
    pub municipality: String,
    pub provider: String,
    pub client: String,
    pub number: String,
    pub product: String,
    pub period: String,
    pub scope: String,
}

pub struct ClaimLine {
    pub month: String,
    pub municipality: String,
    pub provider: String,
    pub client: String,
    pub reference: String,
    pub product: String,
    pub volume: String,
    pub tariff: String,
    pub amount: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "client_rows.html")]
struct ClientRowsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    title: &'static str,
    path: &'static str,
    whose: String,
    assignments: Vec<AssignmentLine>,
    claims: Vec<ClaimLine>,
    total: i64,
    pager: Pager,
    query: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ClientPageQuery {
    gemeentecode: Option<String>,
    #[serde(rename = "aanbiederId")]
    aanbieder_id: Option<String>,
    wet: Option<String>,
    pagina: Option<u32>,
    formaat: Option<String>,
}

async fn client_rows(state: AppState, user: CurrentUser, code: String, q: ClientPageQuery, claims: bool) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let query = ClientRowQuery {
        gemeentecode: q.gemeentecode.clone(),
        aanbieder_id: q.aanbieder_id.clone(),
        wet: q.wet.clone(),
        ..ClientRowQuery::default()
    };
    let filter = client_filter(&access, &query)?;
    let csv = q.formaat.as_deref() == Some("csv");
    let request = if csv {
        PageRequest { page: 1, page_size: 1_000_000 }
    } else {
        PageRequest { page: q.pagina.unwrap_or(1).max(1), page_size: 50 }
    };
    let names: std::collections::HashMap<String, String> = state
        .store
        .memberships(region.id)
        .await?
        .into_iter()
        .map(|m| (m.municipality_code, m.municipality_name))
        .collect();
    let name = |c: &str| names.get(c).cloned().unwrap_or_else(|| c.to_string());
    let whose = match (&filter.municipality, filter.provider_id) {
        (Some(m), _) if !access.municipalities.is_empty() => format!("cliënten van {}", name(m)),
        _ => "de eigen productie van uw organisatie".to_string(),
    };
    let keep: Vec<(&str, String)> =
        [("gemeentecode", q.gemeentecode.clone()), ("aanbiederId", q.aanbieder_id.clone()), ("wet", q.wet.clone())]
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.filter(|v| !v.is_empty())?)))
            .collect();
    let query_string = serde_urlencoded::to_string(&keep).unwrap_or_default();
    let product = |cat: &Option<String>, code: &Option<String>| {
        format!("{} {}", cat.clone().unwrap_or_default(), code.clone().unwrap_or_default()).trim().to_string()
    };
    let (path, title) = if claims { ("declaraties", "Declaraties") } else { ("toewijzingen", "Toewijzingen") };
    let mut page = ClientRowsPage {
        layout: Layout::for_region(title, &user, &region, &access, &format!("/regios/{code}/uitgaven")),
        subnav: production_nav(&region, &access, path),
        code: region.code.clone(),
        title,
        path,
        whose,
        assignments: Vec::new(),
        claims: Vec::new(),
        total: 0,
        pager: Pager::new(1, 0, 50, |_| String::new()),
        query: query_string.clone(),
    };
    let href = |n: u32| {
        let sep = if query_string.is_empty() { "" } else { "&" };
        format!("/regios/{}/{path}?{query_string}{sep}pagina={n}", region.code)
    };
    if claims {
        let rows = state.store.claim_lines(region.id, &filter, request).await?;
        if csv {
            let out = rows
                .items
                .into_iter()
                .map(|l| {
                    vec![
                        l.period_start.to_string(),
                        l.period_end.to_string(),
                        l.municipality_code,
                        l.provider_name,
                        l.claim_number,
                        l.client,
                        l.reference,
                        l.previous_reference.unwrap_or_default(),
                        l.assignment_number.to_string(),
                        l.category,
                        l.product_code.unwrap_or_default(),
                        l.volume.to_string(),
                        l.unit,
                        csv_money_opt(l.tariff_cents),
                        csv_money(l.amount_cents),
                        csv_money_opt(l.contract_tariff_cents),
                        if l.rejected { "afgewezen".into() } else { String::new() },
                    ]
                })
                .collect();
            return Ok(csv_response(
                &format!("declaraties-{}", region.code),
                &[
                    "begindatum",
                    "einddatum",
                    "gemeente",
                    "aanbieder",
                    "declaratienummer",
                    "client",
                    "referentienummer",
                    "vorigreferentienummer",
                    "toewijzingnummer",
                    "productcategorie",
                    "productcode",
                    "volume",
                    "eenheid",
                    "tarief",
                    "bedrag",
                    "contracttarief",
                    "status",
                ],
                out,
            ));
        }
        page.total = rows.total;
        page.pager = Pager::new(request.page, rows.total, request.page_size, href);
        page.claims = rows
            .items
            .into_iter()
            .map(|l| ClaimLine {
                month: month_label(&format!("{}{:02}", l.period_start.year(), u8::from(l.period_start.month()))),
                municipality: name(&l.municipality_code),
                provider: l.provider_name.clone(),
                client: l.client.chars().take(12).collect(),
                reference: l.reference.clone(),
                product: product(&Some(l.category.clone()), &l.product_code),
                volume: format!("{} × {}", nl::integer(l.volume), unit_label(&l.unit)),
                tariff: show::money(l.tariff_cents),
                amount: money(l.amount_cents),
                note: match (l.rejected, l.tariff_cents, l.contract_tariff_cents) {
                    (true, _, _) => "afgewezen door de gemeente".into(),
                    (false, Some(t), Some(c)) if t > c => format!("boven contracttarief ({})", money(c)),
                    (false, _, None) => "geen contracttarief".into(),
                    _ => String::new(),
                },
            })
            .collect();
    } else {
        let rows = state.store.assignments(region.id, &filter, request).await?;
        if csv {
            let out = rows
                .items
                .into_iter()
                .map(|a| {
                    vec![
                        a.municipality_code,
                        a.provider_name,
                        a.client,
                        a.number.to_string(),
                        a.category.unwrap_or_default(),
                        a.product_code.unwrap_or_default(),
                        a.assigned_on.to_string(),
                        a.starts_on.to_string(),
                        a.ends_on.map(|d| d.to_string()).unwrap_or_default(),
                        a.volume.map(|v| v.to_string()).unwrap_or_default(),
                        a.unit.unwrap_or_default(),
                        a.frequency.unwrap_or_default(),
                        csv_money_opt(a.budget_cents),
                        a.change_reason.unwrap_or_default(),
                    ]
                })
                .collect();
            return Ok(csv_response(
                &format!("toewijzingen-{}", region.code),
                &[
                    "gemeente",
                    "aanbieder",
                    "client",
                    "toewijzingnummer",
                    "productcategorie",
                    "productcode",
                    "toewijzingsdatum",
                    "ingangsdatum",
                    "einddatum",
                    "volume",
                    "eenheid",
                    "frequentie",
                    "budget",
                    "redenwijziging",
                ],
                out,
            ));
        }
        page.total = rows.total;
        page.pager = Pager::new(request.page, rows.total, request.page_size, href);
        page.assignments = rows
            .items
            .into_iter()
            .map(|a| AssignmentLine {
                municipality: name(&a.municipality_code),
                provider: a.provider_name.clone(),
                client: a.client.chars().take(12).collect(),
                number: a.number.to_string(),
                product: product(&a.category, &a.product_code),
                period: format!(
                    "{} t/m {}",
                    nl::date(a.starts_on),
                    a.ends_on.map(nl::date).unwrap_or_else(|| "onbepaald".into())
                ),
                scope: match (a.volume, &a.unit, &a.frequency, a.budget_cents) {
                    (Some(v), Some(u), f, _) => format!(
                        "{} × {}{}",
                        nl::integer(v),
                        unit_label(u),
                        f.as_deref().map(frequency_label).unwrap_or_default()
                    ),
                    (_, _, _, Some(b)) => format!("budget {}", money(b)),
                    _ => String::new(),
                },
            })
            .collect();
    }
    Ok(render(&page, StatusCode::OK))
}

fn unit_label(code: &str) -> &'static str {
    samenspel_domain::procurement::Unit::parse(code).map(|u| u.label()).unwrap_or("eenheden")
}

fn frequency_label(code: &str) -> &'static str {
    match code {
        "1" => " per dag",
        "2" => " per week",
        "4" => " per maand",
        "6" => " in totaal",
        _ => "",
    }
}

pub async fn assignments(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<ClientPageQuery>,
) -> PageResult {
    client_rows(state, user, code, q, false).await
}

pub async fn claim_lines(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<ClientPageQuery>,
) -> PageResult {
    client_rows(state, user, code, q, true).await
}
