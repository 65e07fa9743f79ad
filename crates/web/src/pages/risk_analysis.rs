//! The analysis pages of risk sharing: fair allocation (Shapley values and the core), leave or
//! remain, and the budget risk by simulation; each from the imported production of a year under
//! a stored agreement, with its settings in the query, as table, chart and CSV.

use super::production::csv_response;
use super::risk_sharing::{agreement_options, law_options, risk_nav, signed};
use super::{render, Layout, NavItem, PageResult};
use crate::auth::{region_for, PageUser};
use crate::chart::{self, escape};
use crate::error::AppError;
use crate::forms::FormPairs;
use crate::risk_analysis::{
    analysis, fair_allocation, leave_scenario, simulate_blocking, simulated_agreement, Analysis, GameSettings,
    WEB_MAX_YEARS,
};
use crate::risk_sharing::{applied_pair, selection, Selection, SettlementQuery};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_domain::{nl, Cents};
use samenspel_store::regions::RegionRow;
use std::collections::BTreeMap;

fn money(cents: i64) -> String {
    Cents(cents).to_string()
}

fn euros(amount: f64) -> String {
    Cents((amount * 100.0).round() as i64).to_string()
}

fn chance(p: Option<f64>) -> String {
    p.map(nl::percentage).unwrap_or_else(|| "geen budget".into())
}

/// A text field in the selection form.
fn input(id: &str, name: &str, label: &str, value: &str, hint: &str) -> String {
    format!(
        "<div class=\"utrecht-form-field\"><div class=\"utrecht-form-field__label\"><label class=\"utrecht-form-label\" \
         for=\"keuze-{id}\">{}</label></div><div class=\"utrecht-form-field-description\" id=\"keuze-{id}-hint\">{}</div>\
         <div class=\"utrecht-form-field__input\"><input class=\"utrecht-textbox utrecht-textbox--html-input\" type=\"text\" \
         id=\"keuze-{id}\" name=\"{name}\" value=\"{}\" aria-describedby=\"keuze-{id}-hint\"></div></div>",
        escape(label),
        escape(hint),
        escape(value)
    )
}

fn settings_inputs(s: &GameSettings, with_risk: bool) -> String {
    let v = s.values();
    let d = GameSettings::default().values();
    let example = |hint: &str, i: usize| format!("{hint} Voorbeeldwaarde {}; vul de waarde van uw regio in.", d[i].1);
    let fields = [
        ("team", "Regionaal team per jaar (euro)", "Gedeelde uitvoeringskosten van de regio."),
        ("alleen", "Overhead per gemeente alleen (euro)", "Zelf inkopen en contractbeheer, per jaar."),
        ("binnen", "Overhead per gemeente binnen de regio (euro)", "Wat een lid zelf nog doet, per jaar."),
        ("risico", "Prijs van risico (% van de spreiding)", "Wat het dragen van risico waard is."),
        ("duur", "Dure zorg vanaf (euro per cliënt per jaar)", "Grens tussen gewone en dure zorg in het kostenmodel."),
    ];
    let mut html = String::new();
    for (i, (id, label, hint)) in fields.iter().enumerate() {
        if *id == "risico" && !with_risk {
            continue;
        }
        html.push_str(&input(id, v[i].0, label, &v[i].1, &example(hint, i)));
    }
    html
}

/// The page around every analysis: the selection form, the problems, the section's name.
#[derive(Template)]
#[template(path = "risk_analysis.html")]
struct AnalysisPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    heading: String,
    intro: String,
    action: String,
    extra_fields: String,
    year: i32,
    options: Vec<(String, String, bool)>,
    proposal_options: Vec<(String, String, bool)>,
    laws: Vec<(&'static str, &'static str, bool)>,
    problems: Vec<String>,
    notes: Vec<String>,
    chart: String,
    tables: Vec<TableView>,
    csv_href: String,
}

/// A table: caption, header cells (the first column names the rows), rows of cells.
pub struct TableView {
    pub id: String,
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Columns from this index on are numbers (right-aligned).
    pub numeric_from: usize,
}

impl TableView {
    /// The table for a spreadsheet: amounts as plain numbers with a decimal comma (`-1234,56`),
    /// never a leading `+` a spreadsheet would read as a formula.
    fn csv(&self) -> (Vec<&str>, Vec<Vec<String>>) {
        let rows = self.rows.iter().map(|row| row.iter().map(|c| plain_cell(c)).collect()).collect();
        (self.header.iter().map(String::as_str).collect(), rows)
    }
}

/// `€ 1.234,56` → `1234,56`, `+ € 1,00` → `1,00`, `− € 5,00` and `-€ 5,00` → `-5,00`,
/// `± € 3,00` → `3,00`; other cells as they are.
fn plain_cell(cell: &str) -> String {
    let (sign, rest) = match cell.split_once("€ ") {
        Some((prefix, rest)) if ["", "+ ", "− ", "-", "± "].contains(&prefix) => {
            (if prefix == "− " || prefix == "-" { "-" } else { "" }, rest)
        }
        _ => return cell.to_string(),
    };
    format!("{sign}{}", rest.replace('.', ""))
}

struct Context {
    region: RegionRow,
    selection: Selection,
    page: AnalysisPage,
}

async fn context(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    code: &str,
    q: &SettlementQuery,
    path: &'static str,
    heading: &str,
    intro: &str,
) -> Result<Context, super::PageError> {
    let (region, access) = region_for(state, user, code).await?;
    if !access.can_view_risk_sharing() {
        return Err(AppError::forbidden().into());
    }
    let s = selection(state, &region, q).await?;
    let page = AnalysisPage {
        layout: Layout::for_region(heading, user, &region, &access, &format!("/regios/{}/verevening", region.code)),
        subnav: risk_nav(&region, path),
        heading: format!("{heading} {}", s.year),
        intro: intro.to_string(),
        action: format!("/regios/{}/{path}", region.code),
        extra_fields: String::new(),
        year: s.year,
        options: agreement_options(&s.all, s.agreement.as_ref(), None),
        proposal_options: Vec::new(),
        laws: law_options(&s.law),
        problems: Vec::new(),
        notes: Vec::new(),
        chart: String::new(),
        tables: Vec::new(),
        csv_href: String::new(),
    };
    Ok(Context { region, selection: s, page })
}

/// The analysis inputs, or the problems shown on the page.
async fn inputs(
    state: &AppState,
    ctx: &Context,
    settings: &GameSettings,
) -> Result<Result<Analysis, Vec<String>>, AppError> {
    let (agreement, _) = match applied_pair(state, &ctx.selection, ctx.selection.year).await? {
        Ok(pair) => pair,
        Err(p) => return Ok(Err(p)),
    };
    Ok(analysis(
        &state.store,
        &ctx.region,
        ctx.selection.year,
        &ctx.selection.law,
        agreement,
        settings.expensive_from_cents,
    )
    .await?)
}

fn query_of(s: &Selection, extra: &[(&str, String)]) -> String {
    let mut pairs: Vec<(String, String)> = vec![("jaar".into(), s.year.to_string()), ("wet".into(), s.law.clone())];
    if let Some(a) = &s.agreement {
        pairs.push(("afspraak".into(), a.id.to_string()));
    }
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    pairs.push(("formaat".into(), "csv".into()));
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

fn finish(mut page: AnalysisPage, q: &SettlementQuery, csv_name: &str) -> PageResult {
    if q.formaat.as_deref() == Some("csv") {
        let Some(table) = page.tables.first() else {
            return Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, page.problems.join("; ")).into());
        };
        let (header, rows) = table.csv();
        return Ok(csv_response(csv_name, &header, rows));
    }
    let status = if page.problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    if !page.problems.is_empty() {
        page.tables.clear();
    }
    Ok(render(&page, status))
}

fn names(a: &Analysis) -> impl Fn(&str) -> String + '_ {
    |gm: &str| a.settled.names.get(gm).cloned().unwrap_or_else(|| gm.to_string())
}

pub async fn fair(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<SettlementQuery>,
    Query(extra): Query<FormPairs>,
) -> PageResult {
    let mut ctx = context(
        &state,
        &user,
        &code,
        &q,
        "verevening/shapley",
        "Eerlijke verdeling",
        "De kosten van de samenwerking als coöperatief spel: wat zou elke groep gemeenten samen kosten? Zorgkosten, plus \
         voor één gemeente alleen haar eigen overhead, voor twee of meer het regionale team en ieders overhead binnen de \
         regio, plus de prijs van het risico dat de groep draagt (een percentage van de spreiding van haar jaarkosten; \
         samen is die spreiding kleiner). De Shapley-waarde is wat een gemeente gemiddeld toevoegt over alle volgordes \
         waarin de leden hadden kunnen aansluiten. De kern toont of een gemeente of groep alleen goedkoper uit zou zijn \
         dan wat de afspraak haar rekent.",
    )
    .await?;
    let settings = match GameSettings::from_query(&extra) {
        Ok(s) => s,
        Err(invalid) => {
            ctx.page.problems = invalid
                .errors
                .iter()
                .map(|e| format!("{}: {}", crate::risk_analysis::setting_label(&e.name), e.reason))
                .collect();
            GameSettings::default()
        }
    };
    ctx.page.extra_fields = settings_inputs(&settings, true);
    if ctx.page.problems.is_empty() {
        match inputs(&state, &ctx, &settings).await? {
            Err(p) => ctx.page.problems = p,
            Ok(a) => match fair_allocation(&a, &settings) {
                Err(p) => ctx.page.problems = vec![p],
                Ok(f) => {
                    let name = names(&a);
                    ctx.page.notes.push(format!(
                        "De hele regio kost {} (zorg, team, overhead en risicoprijs). {}",
                        money(f.total_cents),
                        if f.exact {
                            "Shapley-waarden exact over alle coalities.".to_string()
                        } else {
                            format!("Shapley-waarden geschat uit {} volgordes, met een 95%-interval.", f.samples)
                        }
                    ));
                    if f.core.objections.is_empty() {
                        ctx.page.notes.push(if f.core.exhaustive {
                            "Geen gemeente en geen groep gemeenten is alleen goedkoper uit dan onder de afspraak: de afspraak ligt in de kern.".into()
                        } else {
                            "Geen gemeente en geen paar gemeenten is alleen goedkoper uit (bij meer dan 25 leden worden alleen afzonderlijke gemeenten en paren getoetst).".into()
                        });
                    } else {
                        ctx.page.notes.push(if f.core.count == 1 {
                            "Eén coalitie zou alleen goedkoper uit zijn dan onder de afspraak:".to_string()
                        } else {
                            format!(
                                "{} coalities zouden alleen goedkoper uit zijn dan onder de afspraak{}:",
                                nl::integer(f.core.count as i64),
                                if f.core.count as usize > f.core.objections.len() {
                                    "; de grootste verschillen"
                                } else {
                                    ""
                                }
                            )
                        });
                        for o in &f.core.objections {
                            let who: Vec<String> = o.members.iter().map(|i| name(&f.lines[*i].member)).collect();
                            ctx.page.notes.push(format!(
                                "{}: de afspraak rekent {}, alleen {}; {} goedkoper",
                                who.join(", "),
                                money(o.charged),
                                money(o.alone),
                                money(o.charged - o.alone)
                            ));
                        }
                    }
                    let rows: Vec<(String, Vec<i64>)> =
                        f.lines.iter().map(|l| (name(&l.member), vec![l.charged_cents - l.shapley_cents])).collect();
                    ctx.page.chart = chart::diverging(
                        "shapley-grafiek",
                        "Wat de afspraak rekent min de Shapley-waarde, per gemeente",
                        "Naar rechts: de afspraak rekent meer dan de Shapley-waarde; naar links: minder. Dezelfde bedragen staan in de tabel.",
                        &["afspraak − Shapley"],
                        &rows,
                        ("← minder dan Shapley", "meer dan Shapley →"),
                    );
                    ctx.page.tables.push(TableView {
                        id: "shapley".into(),
                        caption: format!("Shapley-waarde en wat de afspraak rekent, {}", a.settled.year),
                        header: [
                            "Gemeente",
                            "Zorgkosten",
                            "Spreiding per jaar",
                            "Alleen",
                            "Shapley-waarde",
                            "95%-marge",
                            "Afspraak rekent",
                            "Afspraak − Shapley",
                        ]
                        .map(String::from)
                        .to_vec(),
                        rows: f
                            .lines
                            .iter()
                            .map(|l| {
                                vec![
                                    name(&l.member),
                                    money(l.care_cents),
                                    money(l.sd_cents),
                                    money(l.alone_cents),
                                    money(l.shapley_cents),
                                    l.margin_cents.map(|m| format!("± {}", money(m))).unwrap_or_else(|| "exact".into()),
                                    money(l.charged_cents),
                                    signed(l.charged_cents - l.shapley_cents),
                                ]
                            })
                            .collect(),
                        numeric_from: 1,
                    });
                    let v = settings.values();
                    let extra: Vec<(&str, String)> = v.iter().map(|(k, v)| (*k, v.clone())).collect();
                    ctx.page.csv_href =
                        format!("/regios/{}/verevening/shapley?{}", ctx.region.code, query_of(&ctx.selection, &extra));
                }
            },
        }
    }
    finish(ctx.page, &q, &format!("shapley-{}", ctx.selection.year))
}

pub async fn leave(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<SettlementQuery>,
    Query(extra): Query<FormPairs>,
) -> PageResult {
    let mut ctx = context(
        &state,
        &user,
        &code,
        &q,
        "verevening/uittreden",
        "Blijven of uittreden",
        "Kies een of meer gemeenten en zie wat uittreden zou betekenen: hun kosten en risico alleen tegenover binnen de \
         regio, de verandering voor elke gemeente die blijft onder dezelfde afspraak, en de contracten, aanbieders en \
         cliënten met een lopende toewijzing die het raakt. Het risico komt uit een simulatie van de jaarkosten.",
    )
    .await?;
    let settings = match GameSettings::from_query(&extra) {
        Ok(s) => s,
        Err(invalid) => {
            ctx.page.problems = invalid
                .errors
                .iter()
                .map(|e| format!("{}: {}", crate::risk_analysis::setting_label(&e.name), e.reason))
                .collect();
            GameSettings::default()
        }
    };
    let chosen = extra.all("gemeente");
    let members = crate::risk_sharing::members_in(&state.store, ctx.region.id, ctx.selection.year).await?;
    let mut boxes = String::from(
        "<fieldset class=\"utrecht-form-fieldset utrecht-form-fieldset--html-fieldset\"><legend class=\"utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend\">Gemeenten die uittreden</legend>",
    );
    for (i, m) in members.iter().enumerate() {
        let checked = if chosen.contains(&m.municipality_code) { " checked" } else { "" };
        boxes.push_str(&format!(
            "<div class=\"utrecht-form-field utrecht-form-field--checkbox\"><div class=\"utrecht-form-field__input\">\
             <input class=\"utrecht-checkbox utrecht-checkbox--html-input\" type=\"checkbox\" id=\"uittreden-{i}\" name=\"gemeente\" value=\"{}\"{checked}></div>\
             <div class=\"utrecht-form-field__label\"><label class=\"utrecht-form-label utrecht-form-label--checkbox\" for=\"uittreden-{i}\">{}</label></div></div>",
            escape(&m.municipality_code),
            escape(&m.municipality_name)
        ));
    }
    boxes.push_str("</fieldset>");
    ctx.page.extra_fields = format!("{boxes}{}", settings_inputs(&settings, false));
    if chosen.is_empty() && ctx.page.problems.is_empty() {
        return finish(ctx.page, &q, "uittreden");
    }
    if ctx.page.problems.is_empty() {
        match inputs(&state, &ctx, &settings).await? {
            Err(p) => ctx.page.problems = p,
            Ok(a) => match leave_scenario(&state.store, &ctx.region, &a, &settings, &chosen, 1).await? {
                Err(p) => ctx.page.problems = p,
                Ok(l) => {
                    let name = names(&a);
                    ctx.page.notes.push(format!(
                        "Risico uit {} gesimuleerde jaren; lopende toewijzingen op {}.",
                        nl::integer(l.years as i64),
                        nl::date(l.footprint_day)
                    ));
                    for leaver in &l.leavers {
                        ctx.page.notes.push(format!(
                            "{}: {} aanbieders ({}), {} contracten ({}), {} cliënten met een lopende toewijzing.",
                            name(&leaver.member),
                            leaver.providers.len(),
                            leaver.providers.join(", "),
                            leaver.contracts.len(),
                            leaver.contracts.join("; "),
                            nl::integer(leaver.running_clients)
                        ));
                    }
                    ctx.page.tables.push(TableView {
                        id: "blijvers".into(),
                        caption: "Gemeenten die blijven: bijdrage en risico voor en na het uittreden".into(),
                        header: [
                            "Gemeente",
                            "Bijdrage nu",
                            "Bijdrage na uittreden",
                            "Verschil",
                            "Teamaandeel nu",
                            "Teamaandeel na",
                            "95%-risico nu",
                            "95%-risico na",
                        ]
                        .map(String::from)
                        .to_vec(),
                        rows: l
                            .remaining
                            .iter()
                            .map(|r| {
                                vec![
                                    name(&r.member),
                                    money(r.contribution_before_cents),
                                    money(r.contribution_after_cents),
                                    signed(r.contribution_after_cents - r.contribution_before_cents),
                                    money(r.team_before_cents),
                                    money(r.team_after_cents),
                                    euros(r.var95_before),
                                    euros(r.var95_after),
                                ]
                            })
                            .collect(),
                        numeric_from: 1,
                    });
                    ctx.page.tables.push(TableView {
                        id: "uittreders".into(),
                        caption: "Gemeenten die uittreden: binnen de regio tegenover alleen".into(),
                        header: [
                            "Gemeente",
                            "Zorgkosten",
                            "Binnen: bijdrage + overhead + team",
                            "Alleen: zorg + overhead",
                            "Alleen − binnen",
                            "Spreiding binnen",
                            "Spreiding alleen",
                            "95%-risico binnen",
                            "95%-risico alleen",
                            "Kans op overschrijding binnen",
                            "Kans op overschrijding alleen",
                        ]
                        .map(String::from)
                        .to_vec(),
                        rows: l
                            .leavers
                            .iter()
                            .map(|r| {
                                vec![
                                    name(&r.member),
                                    money(r.care_cents),
                                    money(r.inside_total_cents),
                                    money(r.alone_total_cents),
                                    signed(r.alone_total_cents - r.inside_total_cents),
                                    euros(r.sd_inside),
                                    euros(r.sd_alone),
                                    euros(r.var95_inside),
                                    euros(r.var95_alone),
                                    chance(r.overrun_inside),
                                    chance(r.overrun_alone),
                                ]
                            })
                            .collect(),
                        numeric_from: 1,
                    });
                    let rows: Vec<(String, Vec<i64>)> = l
                        .remaining
                        .iter()
                        .map(|r| {
                            let change = r.contribution_after_cents - r.contribution_before_cents + r.team_after_cents
                                - r.team_before_cents;
                            (name(&r.member), vec![change])
                        })
                        .collect();
                    ctx.page.chart = chart::diverging(
                        "uittreden-grafiek",
                        "Verandering in bijdrage en teamaandeel voor de gemeenten die blijven",
                        "Naar rechts: de gemeente gaat meer betalen; naar links: minder. Dezelfde bedragen staan in de tabel.",
                        &["na uittreden − nu"],
                        &rows,
                        ("← minder", "meer →"),
                    );
                    let mut extra: Vec<(&str, String)> = chosen.iter().map(|c| ("gemeente", c.clone())).collect();
                    extra.extend(settings.values().iter().map(|(k, v)| (*k, v.clone())));
                    ctx.page.csv_href = format!(
                        "/regios/{}/verevening/uittreden?{}",
                        ctx.region.code,
                        query_of(&ctx.selection, &extra)
                    );
                }
            },
        }
    }
    finish(ctx.page, &q, &format!("uittreden-{}", ctx.selection.year))
}

pub async fn budget_risk(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<SettlementQuery>,
    Query(extra): Query<FormPairs>,
) -> PageResult {
    let mut ctx = context(
        &state,
        &user,
        &code,
        &q,
        "verevening/budgetrisico",
        "Budgetrisico",
        "Per gemeente een kostenmodel uit de ingelezen productie van het jaar (aantal cliënten, kosten per cliënt met een \
         zware staart, dure zorg als zeldzame gebeurtenissen), en daarmee vele jaren gesimuleerd: de kans dat de gemeente \
         haar budget overschrijdt en het 95%-risico (de jaarkosten die in 1 op de 20 jaren worden overschreden), alleen en \
         binnen de afspraak. Zo wordt de verzekeringswaarde van solidariteit zichtbaar, vooral voor kleine gemeenten.",
    )
    .await?;
    let settings = GameSettings::from_query(&extra).unwrap_or_else(|invalid| {
        ctx.page.problems.extend(
            invalid.errors.iter().map(|e| format!("{}: {}", crate::risk_analysis::setting_label(&e.name), e.reason)),
        );
        GameSettings::default()
    });
    let years = match extra.get("jaren").trim() {
        "" => 100_000,
        y => match y.replace('.', "").parse::<u64>() {
            Ok(n) if (1..=WEB_MAX_YEARS).contains(&n) => n,
            _ => {
                ctx.page.problems.push(format!("jaren: kies 1 tot en met {} jaren", nl::integer(WEB_MAX_YEARS as i64)));
                100_000
            }
        },
    };
    let seed = match extra.get("seed").trim() {
        "" => 1,
        s => s.parse::<u64>().unwrap_or_else(|_| {
            ctx.page.problems.push("seed: een geheel getal".into());
            1
        }),
    };
    ctx.page.extra_fields = format!(
        "{}{}{}",
        input("jaren", "jaren", "Aantal gesimuleerde jaren", &years.to_string(), "Hoe meer jaren, hoe nauwkeuriger."),
        input("seed", "seed", "Startwaarde", &seed.to_string(), "Dezelfde startwaarde geeft dezelfde uitkomst."),
        input(
            "duur",
            "dureZorgVanaf",
            "Dure zorg vanaf (euro per cliënt per jaar)",
            &settings.values()[4].1,
            "Grens tussen gewone en dure zorg in het kostenmodel."
        )
    );
    if ctx.page.problems.is_empty() {
        match inputs(&state, &ctx, &settings).await? {
            Err(p) => ctx.page.problems = p,
            Ok(a) => {
                let pools = a.settled.agreement.model.pools_in(a.settled.year);
                let agreement = simulated_agreement(&pools);
                let months =
                    state.store.production_months(ctx.region.id, &ctx.selection.law, ctx.selection.year).await?;
                match simulate_blocking(a.models.clone(), agreement, years, seed).await? {
                    Err(e) => ctx.page.problems = vec![e],
                    Ok(sim) => {
                        let name = names(&a);
                        ctx.page.notes.push(format!(
                            "{} gesimuleerde jaren (startwaarde {}), met de solidariteit ({}) en de sleutel van pot {}{}. \
                             Maxima op inleg en ontvangst worden niet gesimuleerd.",
                            nl::integer(sim.years as i64),
                            sim.seed,
                            nl::percentage(agreement.solidarity),
                            pools.first().map(|p| p.name.as_str()).unwrap_or(""),
                            agreement
                                .threshold_euros
                                .map(|t| format!(" en een drempel van {} per cliënt", euros(t)))
                                .unwrap_or_default()
                        ));
                        if months < 12 {
                            ctx.page.notes.push(format!(
                                "Let op: {} heeft declaraties in {months} van de 12 maanden; het model onderschat dan de kosten van een heel jaar.",
                                ctx.selection.year
                            ));
                        }
                        let budgets: BTreeMap<&str, Option<f64>> =
                            a.models.iter().map(|m| (m.member.as_str(), m.budget_euros)).collect();
                        let rows: Vec<(String, Vec<i64>)> = sim
                            .members
                            .iter()
                            .map(|m| {
                                (
                                    name(&m.member),
                                    vec![
                                        (m.var95_standalone * 100.0).round() as i64,
                                        (m.var95_inside * 100.0).round() as i64,
                                    ],
                                )
                            })
                            .collect();
                        ctx.page.chart = chart::diverging(
                            "risico-grafiek",
                            "95%-risico per gemeente, alleen en binnen de afspraak",
                            "Per gemeente twee staven: effen alleen, gestreept binnen de afspraak. Dezelfde bedragen staan in de tabel.",
                            &["alleen", "binnen de afspraak"],
                            &rows,
                            ("", ""),
                        );
                        ctx.page.tables.push(TableView {
                            id: "budgetrisico".into(),
                            caption: format!("Budgetrisico {} per gemeente", ctx.selection.year),
                            header: [
                                "Gemeente",
                                "Budget",
                                "Gemiddelde kosten",
                                "Spreiding alleen",
                                "Spreiding binnen",
                                "Kans op overschrijding alleen",
                                "Kans op overschrijding binnen",
                                "95%-risico alleen",
                                "95%-risico binnen",
                            ]
                            .map(String::from)
                            .to_vec(),
                            rows: sim
                                .members
                                .iter()
                                .map(|m| {
                                    vec![
                                        name(&m.member),
                                        budgets
                                            .get(m.member.as_str())
                                            .copied()
                                            .flatten()
                                            .map(euros)
                                            .unwrap_or_else(|| "ontbreekt".into()),
                                        euros(m.mean_standalone),
                                        euros(m.sd_standalone),
                                        euros(m.sd_inside),
                                        chance(m.overrun_standalone),
                                        chance(m.overrun_inside),
                                        euros(m.var95_standalone),
                                        euros(m.var95_inside),
                                    ]
                                })
                                .collect(),
                            numeric_from: 1,
                        });
                        let extra = [
                            ("jaren", years.to_string()),
                            ("seed", seed.to_string()),
                            ("dureZorgVanaf", settings.values()[4].1.clone()),
                        ];
                        ctx.page.csv_href = format!(
                            "/regios/{}/verevening/budgetrisico?{}",
                            ctx.region.code,
                            query_of(&ctx.selection, &extra)
                        );
                    }
                }
            }
        }
    }
    finish(ctx.page, &q, &format!("budgetrisico-{}", ctx.selection.year))
}

#[cfg(test)]
mod tests {
    use super::plain_cell;

    #[test]
    fn csv_cells_are_plain_numbers() {
        assert_eq!(plain_cell("€ 1.234.567,89"), "1234567,89");
        assert_eq!(plain_cell("+ € 1,00"), "1,00");
        assert_eq!(plain_cell("− € 5.000,00"), "-5000,00");
        assert_eq!(plain_cell("-€ 0,05"), "-0,05");
        assert_eq!(plain_cell("± € 3,00"), "3,00");
        assert_eq!(plain_cell("12,5%"), "12,5%");
        assert_eq!(plain_cell("'s-Gravenhage"), "'s-Gravenhage");
    }
}
