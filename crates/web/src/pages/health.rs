//! Collaboration health pages (issue 7): instruments and rounds for the coach, the
//! questionnaire a respondent opens with a personal link (no account), the results of a round,
//! the early warnings and the printable leave-or-remain dossier.

use super::{render, see_other, show, FormView, Layout, NavItem, Notice, PageError, PageResult, RegionCtx};
use crate::auth::secrets::token_hash;
use crate::auth::{region_for, CurrentUser, PageUser};
use crate::chart::{intervals, Interval};
use crate::error::AppError;
use crate::forms::{CsrfForm, FormPairs};
use crate::health::{
    answers_from_form, dec, dimension_name, early_warnings, invite, latest_closed_rounds, parse_invitees, rated_name,
    require, results, IssuedLink, RoundResults,
};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::Form;
use samenspel_calc::health::{Group, OVERALL};
use samenspel_calc::survey::Estimate;
use samenspel_domain::instrument::{answer_key, Answers, Instrument, Party, SHIPPED};
use samenspel_domain::nl::{date_time_input, parse_date_time};
use samenspel_domain::Invalid;
use samenspel_store::health::{shipped, InstrumentChoice, LinkError, NewRound, RoundRow};
use samenspel_store::regions::RegionRow;
use serde::Deserialize;

/// The pages of collaboration health, shown as a second menu on each of them.
const HEALTH_PAGES: [(&str, &str); 3] = [
    ("gezondheid", "Meetrondes"),
    ("gezondheid/waarschuwingen", "Vroegsignalering"),
    ("gezondheid/dossier", "Dossier blijven of uittreden"),
];

pub fn health_nav(region_code: &str, access: &samenspel_domain::access::RegionAccess, current: &str) -> Vec<NavItem> {
    HEALTH_PAGES
        .iter()
        .filter(|(path, _)| *path == "gezondheid" || access.can_view_health_warnings())
        .map(|(path, label)| NavItem {
            href: format!("/regios/{region_code}/{path}"),
            label,
            current: *path == current,
        })
        .collect()
}

/// A table as shown: the first cell of each row is its header.
pub struct Table {
    pub id: String,
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A part of a results page: a heading, what it shows, a chart, tables.
pub struct Section {
    pub heading: String,
    pub intro: String,
    pub chart: Option<String>,
    pub tables: Vec<Table>,
}

fn estimate_text(e: Option<Estimate>) -> String {
    match e {
        Some(e) => format!("{} ({}–{}; n = {})", dec(e.mean, 2), dec(e.low, 2), dec(e.high, 2), e.n),
        None => "—".to_string(),
    }
}

fn interval(label: String, e: &Estimate) -> Interval {
    Interval { label, mean: e.mean, low: e.low, high: e.high }
}

async fn region_page(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
) -> Result<(RegionRow, samenspel_domain::access::RegionAccess), PageError> {
    let (region, access) = region_for(state, user, code).await?;
    require(access.can_view_health_results())?;
    Ok((region, access))
}

// ------------------------------------------------------------------------- overview

struct RoundLine {
    href: String,
    title: String,
    kind: &'static str,
    instrument: String,
    status: &'static str,
    closes: String,
    responses: String,
    generated: bool,
}

struct InstrumentLine {
    href: String,
    name: String,
    origin: String,
}

#[derive(Template)]
#[template(path = "health.html")]
struct OverviewPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    subnav_label: &'static str,
    rounds: Vec<RoundLine>,
    instruments: Vec<InstrumentLine>,
    round_form: Option<FormView>,
    instrument_form: Option<FormView>,
}

fn instrument_options(rows: &[samenspel_store::health::InstrumentRow]) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), "kies een instrument".to_string())];
    for (key, json) in SHIPPED {
        if let Ok(i) = Instrument::parse(json) {
            out.push((format!("samenspel:{key}"), format!("{} (Samenspel)", i.name)));
        }
    }
    for r in rows {
        if let Some(i) = r.instrument() {
            out.push((format!("regio:{}", r.id), format!("{} (regio, versie {})", i.name, r.version)));
        }
    }
    out
}

fn round_form(
    csrf: &str,
    code: &str,
    options: Vec<(String, String)>,
    typed: Option<(&FormPairs, &Invalid)>,
) -> FormView {
    let v =
        |name: &str, default: &str| typed.map(|(f, _)| f.get(name).to_string()).unwrap_or_else(|| default.to_string());
    let closes = date_time_input(samenspel_store::now() + time::Duration::days(21));
    let parties: Vec<String> = match typed {
        Some((f, _)) => f.all("partijen"),
        None => Party::ALL.iter().map(|p| p.code().to_string()).collect(),
    };
    let mut form = FormView::new("ronde", format!("/regios/{code}/gezondheid/rondes"), "Meetronde voorbereiden", csrf)
        .field("titel", "Titel", "text", &v("titel", ""), true)
        .hint("Bijvoorbeeld: Nulmeting vertrouwen 2026.")
        .select(
            "soort",
            "Soort meting",
            &v("soort", "nulmeting"),
            vec![
                ("nulmeting".into(), "Nulmeting (bij de start)".into()),
                ("periodiek".into(), "Periodieke meting".into()),
            ],
            true,
        )
        .select("instrument", "Instrument", &v("instrument", ""), options, true)
        .checkboxes(
            "partijen",
            "Partijen waarover de respondenten oordelen",
            &parties,
            Party::ALL.iter().map(|p| (p.code().to_string(), p.label().to_string())).collect(),
            false,
        )
        .hint("Alleen voor een instrument dat per partij wordt beantwoord (vertrouwen: wie vertrouwt wie).")
        .field("sluit", "Sluit op", "datetime-local", &v("sluit", &closes), true)
        .hint("Daarna werken de links niet meer.");
    if let Some((_, invalid)) = typed {
        form = form.with_errors(invalid);
    }
    form.done()
}

fn instrument_form(
    csrf: &str,
    action: String,
    submit: &'static str,
    document: &str,
    typed: Option<(&FormPairs, &Invalid)>,
) -> FormView {
    let value = typed.map(|(f, _)| f.get("document").to_string()).unwrap_or_else(|| document.to_string());
    let mut form = FormView::new("instrument", action, submit, csrf)
        .field("document", "Het instrument (JSON)", "textarea", &value, true)
        .hint(
            "Dimensies met stellingen op een schaal van 5 of 7 punten; zie docs/gezondheid.md voor de velden. Begin met \
             een kopie van een meegeleverd instrument (te vinden op zijn pagina).",
        );
    if let Some((_, invalid)) = typed {
        form = form.with_errors(invalid);
    }
    form.done()
}

async fn overview_page(
    ctx: &RegionCtx<'_>,
    typed_round: Option<(&FormPairs, &Invalid)>,
    typed_instrument: Option<(&FormPairs, &Invalid)>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let code = &region.code;
    let manage = access.can_manage_health();
    let instruments = state.store.instruments(region.id).await?;
    let mut rounds = Vec::new();
    for r in state.store.survey_rounds(region.id).await? {
        if r.status == "concept" && !manage {
            continue;
        }
        let responses = if manage {
            let rates = state.store.response_rates(r.id).await?;
            let (invited, submitted) = rates.iter().fold((0, 0), |(i, s), r| (i + r.invited, s + r.submitted));
            format!("{submitted} van {invited}")
        } else {
            String::new()
        };
        rounds.push(RoundLine {
            href: format!("/regios/{code}/gezondheid/rondes/{}", r.id),
            title: r.title.clone(),
            kind: r.kind_label(),
            instrument: r.instrument_label.clone(),
            status: r.status_label(),
            closes: show::datetime(r.closes_at),
            responses,
            generated: r.generated,
        });
    }
    let mut lines: Vec<InstrumentLine> = SHIPPED
        .iter()
        .filter_map(|(key, json)| Instrument::parse(json).ok().map(|i| (key, i)))
        .map(|(key, i)| InstrumentLine {
            href: format!("/regios/{code}/gezondheid/instrumenten/samenspel-{key}"),
            name: i.name,
            origin: "meegeleverd met Samenspel (versie 1)".into(),
        })
        .collect();
    for r in &instruments {
        if let Some(i) = r.instrument() {
            lines.push(InstrumentLine {
                href: format!("/regios/{code}/gezondheid/instrumenten/{}", r.id),
                name: i.name,
                origin: format!("van de regio, versie {}", r.version),
            });
        }
    }
    let page = OverviewPage {
        layout: Layout::for_region(
            "Gezondheid van de samenwerking",
            user,
            region,
            access,
            &format!("/regios/{code}/gezondheid"),
        )
        .with_notice(notice),
        subnav: health_nav(code, access, "gezondheid"),
        subnav_label: "Gezondheid",
        rounds,
        instruments: lines,
        round_form: manage.then(|| round_form(user.csrf(), code, instrument_options(&instruments), typed_round)),
        instrument_form: manage.then(|| {
            instrument_form(
                user.csrf(),
                format!("/regios/{code}/gezondheid/instrumenten"),
                "Instrument opslaan",
                "",
                typed_instrument,
            )
        }),
    };
    Ok(render(&page, status))
}

#[derive(Deserialize, Default)]
pub struct Done {
    gelukt: Option<String>,
}

fn done_notice(code: Option<&str>) -> Option<Notice> {
    let text = match code? {
        "ronde" => "De meetronde is voorbereid. Nodig respondenten uit en open haar.",
        "instrument" => "Het instrument is opgeslagen.",
        "nieuwe-versie" => {
            "Deze versie is al gebruikt in een geopende meetronde en blijft daarom ongewijzigd; uw wijziging is opgeslagen als nieuwe versie."
        }
        "open" => "De meetronde is geopend: de links werken tot de sluitingsdatum.",
        "gesloten" => "De meetronde is gesloten: de links werken niet meer en de uitkomsten liggen vast.",
        "conclusies" => "De conclusies van de regio zijn opgeslagen.",
        _ => return None,
    };
    Some(Notice { kind: "ok", text: text.to_string() })
}

pub async fn overview(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<Done>,
) -> PageResult {
    let (region, access) = region_page(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    overview_page(&ctx, None, None, done_notice(q.gelukt.as_deref()), StatusCode::OK).await
}

pub async fn create_round(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_page(&state, &user, &code).await?;
    require(access.can_manage_health())?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match new_round(&form) {
        Ok(new) => state.store.create_survey_round(region.id, &new, &user.actor("web")).await.map_err(AppError::from),
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(r) => Ok(see_other(&format!("/regios/{code}/gezondheid/rondes/{}?gelukt=ronde", r.id))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            overview_page(&ctx, Some((&form, &invalid)), None, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// A new round from the form (or the API's fields of the same names).
pub fn new_round(form: &FormPairs) -> Result<NewRound, Invalid> {
    let mut invalid = Invalid::new();
    let instrument = InstrumentChoice::parse(form.get("instrument"));
    if instrument.is_none() {
        invalid.push("instrument", "required", "Kies een instrument uit de lijst.");
    }
    let closes_at = invalid.check("sluit", parse_date_time(form.get("sluit")));
    let mut parties = Vec::new();
    for p in form.all("partijen") {
        match Party::parse(&p) {
            Some(p) => parties.push(p),
            None => {
                invalid.push("partijen", "enum", format!("'{p}' is geen partij; kies gemeenten, regio of aanbieders."))
            }
        }
    }
    match (instrument, closes_at) {
        (Some(instrument), Some(closes_at)) if invalid.is_empty() => Ok(NewRound {
            title: form.get("titel").to_string(),
            kind: form.get("soort").to_string(),
            instrument,
            parties,
            closes_at,
        }),
        _ => Err(invalid),
    }
}

fn instrument_problems(problems: Vec<String>) -> Invalid {
    let mut invalid = Invalid::new();
    for p in problems {
        invalid.push("document", "instrument", p);
    }
    invalid
}

pub async fn create_instrument(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_page(&state, &user, &code).await?;
    require(access.can_manage_health())?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match Instrument::parse(form.get("document")) {
        Ok(i) => state.store.save_instrument(region.id, None, &i, &user.actor("web")).await.map_err(AppError::from),
        Err(problems) => Err(AppError::invalid(instrument_problems(problems))),
    };
    match result {
        Ok((row, _)) => Ok(see_other(&format!("/regios/{code}/gezondheid/instrumenten/{}?gelukt=instrument", row.id))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            overview_page(&ctx, None, Some((&form, &invalid)), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ------------------------------------------------------------------------- instrument

struct DimensionView {
    name: String,
    category: String,
    labels: String,
    items: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "health_instrument.html")]
struct InstrumentPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    subnav_label: &'static str,
    instrument: Instrument,
    origin: String,
    thresholds: String,
    dimensions: Vec<DimensionView>,
    comparisons: Vec<String>,
    json: String,
    form: Option<FormView>,
}

async fn instrument_page(
    ctx: &RegionCtx<'_>,
    reference: &str,
    typed: Option<(&FormPairs, &Invalid)>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let code = &region.code;
    let (instrument, origin, editable) = if let Some(key) = reference.strip_prefix("samenspel-") {
        let i = shipped(key).ok_or_else(AppError::not_found)?;
        (
            i,
            "Meegeleverd met Samenspel, versie 1. Maak een eigen versie door de JSON hieronder te kopiëren."
                .to_string(),
            None,
        )
    } else {
        let id: i64 = reference.parse().map_err(|_| AppError::not_found())?;
        let row = state.store.instrument(region.id, id).await?;
        let i = row.instrument().ok_or_else(|| AppError::internal("opgeslagen instrument onleesbaar"))?;
        (
            i,
            format!(
                "Van de regio, versie {} (opgeslagen door {} op {}).",
                row.version,
                row.created_by,
                show::datetime(row.created_at)
            ),
            Some(row.id),
        )
    };
    let dimensions = instrument
        .dimensions
        .iter()
        .map(|d| DimensionView {
            name: d.name.clone(),
            category: d.category.clone().unwrap_or_default(),
            labels: instrument.labels(d).join(" · "),
            items: d.items.iter().map(|i| (i.text.clone(), i.reverse)).collect(),
        })
        .collect();
    let json = serde_json::to_string_pretty(&instrument).unwrap_or_default();
    let form = match editable {
        Some(id) if access.can_manage_health() => Some(instrument_form(
            user.csrf(),
            format!("/regios/{code}/gezondheid/instrumenten/{id}"),
            "Wijziging opslaan",
            &json,
            typed,
        )),
        _ => None,
    };
    let page = InstrumentPage {
        layout: Layout::for_region(&instrument.name, user, region, access, &format!("/regios/{code}/gezondheid"))
            .with_notice(notice),
        subnav: health_nav(code, access, "gezondheid"),
        subnav_label: "Gezondheid",
        thresholds: instrument
            .thresholds
            .map(|t| {
                format!(
                    "Vanaf {} een sterk punt, van {} tot {} een grensgeval, onder {} een zorgpunt.",
                    dec(t.strength_from, 1),
                    dec(t.concern_below, 1),
                    dec(t.strength_from, 1),
                    dec(t.concern_below, 1)
                )
            })
            .unwrap_or_default(),
        comparisons: instrument
            .comparisons
            .iter()
            .map(|c| {
                let text = |k: &str| instrument.item(k).map(|(_, i)| i.text.clone()).unwrap_or_default();
                format!("{}: beoogd „{}” tegenover ervaren „{}”", c.name, text(&c.intended), text(&c.experienced))
            })
            .collect(),
        dimensions,
        origin,
        json,
        form,
        instrument,
    };
    Ok(render(&page, status))
}

pub async fn instrument(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, reference)): Path<(String, String)>,
    Query(q): Query<Done>,
) -> PageResult {
    let (region, access) = region_page(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    instrument_page(&ctx, &reference, None, done_notice(q.gelukt.as_deref()), StatusCode::OK).await
}

pub async fn save_instrument(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_page(&state, &user, &code).await?;
    require(access.can_manage_health())?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    state.store.instrument(region.id, id).await?;
    let result = match Instrument::parse(form.get("document")) {
        Ok(i) => state.store.save_instrument(region.id, Some(id), &i, &user.actor("web")).await.map_err(AppError::from),
        Err(problems) => Err(AppError::invalid(instrument_problems(problems))),
    };
    match result {
        Ok((row, new_version)) => Ok(see_other(&format!(
            "/regios/{code}/gezondheid/instrumenten/{}?gelukt={}",
            row.id,
            if new_version { "nieuwe-versie" } else { "instrument" }
        ))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            instrument_page(&ctx, &id.to_string(), Some((&form, &invalid)), None, StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
    }
}

// ------------------------------------------------------------------------- round

struct RateLine {
    group: String,
    invited: i64,
    submitted: i64,
    percent: String,
}

#[derive(Template)]
#[template(path = "health_round.html")]
struct RoundPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    subnav_label: &'static str,
    code: String,
    round: RoundRow,
    parties: String,
    closes: String,
    manage: bool,
    csrf: String,
    rates: Vec<RateLine>,
    invite_form: Option<FormView>,
    issued: Vec<IssuedLink>,
}

impl RoundPage {
    fn group_label(&self, link: &IssuedLink) -> String {
        match &link.member {
            Some(m) => format!("{} ({m})", link.group.label()),
            None => link.group.label().to_string(),
        }
    }
}

fn rate_label(group: &str, large: Option<bool>) -> String {
    let base = Party::parse(group).map(Party::label).unwrap_or("onbekend");
    match large {
        Some(true) => format!("{base}: grote gemeenten"),
        Some(false) => format!("{base}: kleine gemeenten"),
        None => base.to_string(),
    }
}

async fn round_page(
    ctx: &RegionCtx<'_>,
    id: i64,
    typed: Option<(&FormPairs, &Invalid)>,
    issued: Vec<IssuedLink>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let code = &region.code;
    let round = state.store.survey_round(region.id, id).await?;
    let manage = access.can_manage_health();
    if round.status == "concept" && !manage {
        return Err(AppError::not_found().into());
    }
    let rates = if manage {
        state
            .store
            .response_rates(round.id)
            .await?
            .into_iter()
            .map(|r| RateLine {
                group: rate_label(&r.respondent_group, r.large_member),
                invited: r.invited,
                submitted: r.submitted,
                percent: if r.invited > 0 { format!("{} %", r.submitted * 100 / r.invited) } else { "—".into() },
            })
            .collect()
    } else {
        Vec::new()
    };
    let can_invite = manage && round.status != "gesloten";
    let invite_form = can_invite.then(|| {
        let mut form = FormView::new("uitnodigen", format!("/regios/{code}/gezondheid/rondes/{id}/uitnodigingen"), "Links maken", user.csrf())
            .field("uitgenodigden", "Respondenten, één per regel", "textarea", typed.map(|(f, _)| f.get("uitgenodigden")).unwrap_or(""), true)
            .hint(
                "Per regel: groep;gemeentecode;e-mailadres. Groep is gemeente, regio of aanbieder; de gemeentecode alleen bij \
                 gemeente (alleen of zij tot de grotere of kleinere helft van de regio hoort wordt bewaard); het e-mailadres \
                 mag leeg blijven, dan geeft u de link zelf door. Bijvoorbeeld: gemeente;GM0518;a.jansen@denhaag.nl",
            );
        if let Some((_, invalid)) = typed {
            form = form.with_errors(invalid);
        }
        form.done()
    });
    let page = RoundPage {
        layout: Layout::for_region(&round.title, user, region, access, &format!("/regios/{code}/gezondheid"))
            .with_notice(notice),
        subnav: health_nav(code, access, "gezondheid"),
        subnav_label: "Gezondheid",
        code: code.clone(),
        parties: round.parties().iter().map(|p| p.label()).collect::<Vec<_>>().join(", "),
        closes: show::datetime(round.closes_at),
        manage,
        csrf: user.csrf().to_string(),
        rates,
        invite_form,
        issued,
        round,
    };
    Ok(render(&page, status))
}

pub async fn round(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<Done>,
) -> PageResult {
    let (region, access) = region_page(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    round_page(&ctx, id, None, Vec::new(), done_notice(q.gelukt.as_deref()), StatusCode::OK).await
}

pub async fn set_status(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_page(&state, &user, &code).await?;
    require(access.can_manage_health())?;
    let open = match form.get("actie") {
        "openen" => true,
        "sluiten" => false,
        _ => return Err(AppError::bad_request("Kies openen of sluiten.").into()),
    };
    match state.store.set_survey_round_status(region.id, id, open, &user.actor("web")).await {
        Ok(_) => Ok(see_other(&format!(
            "/regios/{code}/gezondheid/rondes/{id}?gelukt={}",
            if open { "open" } else { "gesloten" }
        ))),
        Err(e) => {
            let e = AppError::from(e);
            if !e.status.is_client_error() || matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) {
                return Err(e.into());
            }
            let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
            let notice =
                Notice { kind: "error", text: e.invalid.first().map(|i| i.reason.clone()).unwrap_or(e.detail) };
            round_page(&ctx, id, None, Vec::new(), Some(notice), StatusCode::CONFLICT).await
        }
    }
}

pub async fn create_invitations(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_page(&state, &user, &code).await?;
    require(access.can_manage_health())?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let round = state.store.survey_round(region.id, id).await?;
    let result = match parse_invitees(form.get("uitgenodigden")) {
        Ok(invitees) => invite(&state, &region, &round, &invitees, &user.actor("web")).await,
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(issued) => {
            let mailed = issued.iter().filter(|l| l.mailed).count();
            let notice = Notice {
                kind: "ok",
                text: format!(
                    "{} links gemaakt, {mailed} per e-mail verstuurd. Geef de andere links nu door: Samenspel bewaart alleen een vingerafdruk en kan ze niet opnieuw tonen.",
                    issued.len()
                ),
            };
            let mut response = round_page(&ctx, id, None, issued, Some(notice), StatusCode::OK).await?;
            response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(e) => {
            let invalid = super::form_problem(e)?;
            round_page(&ctx, id, Some((&form, &invalid)), Vec::new(), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ------------------------------------------------------------------------- results

#[derive(Template)]
#[template(path = "health_results.html")]
struct ResultsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    subnav_label: &'static str,
    round: RoundRow,
    groups: Vec<(String, String)>,
    sections: Vec<Section>,
    open: Vec<(String, Vec<String>)>,
}

/// The sections of a round's results: scores (who trusts whom for an instrument answered per
/// party), reliability, intended against experienced value, and the trend.
pub fn result_sections(r: &RoundResults, id_prefix: &str) -> Vec<Section> {
    let i = &r.instrument;
    let mut out = Vec::new();
    let shown_groups: Vec<Group> = Group::ALL.to_vec();
    if i.per_party {
        let respondent_groups =
            [Group::Members, Group::LargeMembers, Group::SmallMembers, Group::Region, Group::Providers, Group::All];
        let mut tables = Vec::new();
        let mut dims: Vec<String> = vec![OVERALL.to_string()];
        dims.extend(i.dimensions.iter().map(|d| d.key.clone()));
        for (n, d) in dims.iter().enumerate() {
            tables.push(Table {
                id: format!("{id_prefix}-wie-{n}"),
                caption: format!(
                    "{}: gemiddelde (95 %-interval; aantal) per groep die oordeelt (rij) over de partij (kolom)",
                    dimension_name(i, d)
                ),
                head: std::iter::once("Wie oordeelt".to_string())
                    .chain(r.parties.iter().map(|p| format!("over {}", rated_name(*p))))
                    .collect(),
                rows: respondent_groups
                    .iter()
                    .map(|g| {
                        std::iter::once(g.label().to_string())
                            .chain(
                                r.parties
                                    .iter()
                                    .map(|p| estimate_text(r.report.score(d, Some(*p), *g).and_then(|s| s.estimate))),
                            )
                            .collect()
                    })
                    .collect(),
            });
        }
        let chart_rows: Vec<(Interval, Option<f64>)> = respondent_groups
            .iter()
            .flat_map(|g| r.parties.iter().map(move |p| (*g, *p)))
            .filter_map(|(g, p)| {
                r.report
                    .score(OVERALL, Some(p), g)
                    .and_then(|s| s.estimate)
                    .map(|e| (interval(format!("{} over {}", g.label(), rated_name(p)), &e), None))
            })
            .collect();
        out.push(Section {
            heading: "Wie vertrouwt wie".into(),
            intro: format!(
                "Gemiddelde op de schaal van 1 tot {} (hoger is meer vertrouwen; omgekeerde stellingen zijn omgerekend), met het 95 %-betrouwbaarheidsinterval en het aantal respondenten. Een streepje: minder dan vijf respondenten, of verborgen zodat een kleine groep niet door aftrekken te vinden is.",
                i.points
            ),
            chart: (!chart_rows.is_empty()).then(|| intervals(&format!("{id_prefix}-grafiek"), "Vertrouwen, alle stellingen samen", "Gemiddelde per groep en beoordeelde partij met 95 %-interval; de cijfers staan in de tabellen.", i.points, &chart_rows)),
            tables,
        });
    } else {
        let mut rows = Vec::new();
        let mut chart_rows = Vec::new();
        for d in &i.dimensions {
            let mut row = vec![match &d.category {
                Some(c) => format!("{c}: {}", d.name),
                None => d.name.clone(),
            }];
            for g in &shown_groups {
                let s = r.report.score(&d.key, None, *g);
                let mut text = estimate_text(s.and_then(|s| s.estimate));
                if let Some(v) = s.and_then(|s| s.verdict) {
                    text = format!("{text}: {}", v.label());
                }
                row.push(text);
            }
            if let Some(e) = r.report.score(&d.key, None, Group::All).and_then(|s| s.estimate) {
                chart_rows.push((interval(d.name.clone(), &e), None));
            }
            rows.push(row);
        }
        out.push(Section {
            heading: "Scores per dimensie en groep".into(),
            intro: format!(
                "Gemiddelde op de schaal van 1 tot {} met het 95 %-betrouwbaarheidsinterval en het aantal respondenten.{}",
                i.points,
                i.thresholds.map(|t| format!(" Vanaf {} een sterk punt, onder {} een zorgpunt.", dec(t.strength_from, 1), dec(t.concern_below, 1))).unwrap_or_default()
            ),
            chart: (!chart_rows.is_empty()).then(|| intervals(&format!("{id_prefix}-grafiek"), "Scores van alle respondenten", "Gemiddelde per dimensie met 95 %-interval; de cijfers staan in de tabel.", i.points, &chart_rows)),
            tables: vec![Table {
                id: format!("{id_prefix}-dimensies"),
                caption: "Gemiddelde (95 %-interval; aantal) per dimensie en groep".into(),
                head: std::iter::once("Dimensie".to_string()).chain(shown_groups.iter().map(|g| g.label().to_string())).collect(),
                rows,
            }],
        });
    }
    if !i.comparisons.is_empty() {
        let groups =
            [Group::All, Group::Members, Group::LargeMembers, Group::SmallMembers, Group::Region, Group::Providers];
        let mut rows = Vec::new();
        let mut chart_rows = Vec::new();
        for c in &i.comparisons {
            for g in groups {
                let Some(gap) = r.report.gaps.iter().find(|x| x.name == c.name && x.group == g) else { continue };
                rows.push(vec![
                    format!("{} — {}", c.name, g.label()),
                    estimate_text(gap.intended),
                    estimate_text(gap.experienced),
                    gap.gap.map(|x| dec(x, 2)).unwrap_or_else(|| "—".into()),
                ]);
                if g == Group::All {
                    if let (Some(e), Some(intended)) = (gap.experienced, gap.intended) {
                        chart_rows.push((interval(c.name.clone(), &e), Some(intended.mean)));
                    }
                }
            }
        }
        out.push(Section {
            heading: "Beoogde tegenover ervaren waarde".into(),
            intro: "Per waarde hoe belangrijk zij is (beoogd) en hoe goed zij gerealiseerd wordt (ervaren). Een verschil onder nul: de waarde blijft achter bij wat men ervan verwacht. In de grafiek is de stip het ervaren gemiddelde met interval, de ring het beoogde.".into(),
            chart: (!chart_rows.is_empty()).then(|| intervals(&format!("{id_prefix}-waarde"), "Beoogde en ervaren waarde, alle respondenten", "Ervaren waarde als stip met interval, beoogde als ring; de cijfers staan in de tabel.", i.points, &chart_rows)),
            tables: vec![Table {
                id: format!("{id_prefix}-waardetabel"),
                caption: "Beoogd en ervaren per waarde en groep (gemiddelde, 95 %-interval, aantal) en het verschil".into(),
                head: vec!["Waarde en groep".into(), "Beoogd (belang)".into(), "Ervaren (realisatie)".into(), "Verschil".into()],
                rows,
            }],
        });
    }
    out.push(Section {
        heading: "Betrouwbaarheid van het instrument".into(),
        intro: "Cronbachs alfa per dimensie over alle respondenten (en elke beoordeelde partij): vanaf 0,70 meet de dimensie één ding voldoende samenhangend; daaronder zijn de scores van die dimensie voorzichtig te lezen.".into(),
        chart: None,
        tables: vec![Table {
            id: format!("{id_prefix}-alfa"),
            caption: "Cronbachs alfa per dimensie".into(),
            head: vec!["Dimensie".into(), "Alfa".into(), "Oordeel".into(), "Volledige antwoordrijen".into()],
            rows: r
                .report
                .reliability
                .iter()
                .map(|x| {
                    vec![
                        dimension_name(i, &x.dimension),
                        x.alpha.map(|a| dec(a, 2)).unwrap_or_else(|| "—".into()),
                        match x.alpha {
                            Some(a) if a >= 0.7 => "voldoende",
                            Some(a) if a >= 0.6 => "matig",
                            Some(_) => "zwak",
                            None => "te weinig antwoorden of geen spreiding",
                        }
                        .to_string(),
                        x.rows.to_string(),
                    ]
                })
                .collect(),
        }],
    });
    if r.history.len() > 1 {
        // The overall score where there is one (trust, the factors); each dimension otherwise.
        let keys: Vec<String> = if i.dimensions.len() > 1 && i.comparisons.is_empty() {
            vec![OVERALL.to_string()]
        } else {
            i.dimensions.iter().map(|d| d.key.clone()).collect()
        };
        let mut rows = Vec::new();
        for key in &keys {
            for party in i.passes(&r.parties) {
                for g in Group::ALL {
                    let cells: Vec<String> = r
                        .history
                        .iter()
                        .map(|(_, report)| {
                            report
                                .score(key, party, g)
                                .and_then(|s| s.estimate)
                                .map(|e| format!("{} (n = {})", dec(e.mean, 2), e.n))
                                .unwrap_or_else(|| "—".into())
                        })
                        .collect();
                    if cells.iter().all(|c| c == "—") {
                        continue;
                    }
                    let label = format!(
                        "{}{} — {}",
                        dimension_name(i, key),
                        party.map(|p| format!(" over {}", rated_name(p))).unwrap_or_default(),
                        g.label()
                    );
                    rows.push(std::iter::once(label).chain(cells).collect());
                }
            }
        }
        out.push(Section {
            heading: "Verloop over alle meetrondes".into(),
            intro: "Het gemiddelde per gesloten meetronde met hetzelfde instrument, van de eerste tot deze. Een streepje: geen cijfer voor die groep in die ronde.".into(),
            chart: None,
            tables: vec![Table {
                id: format!("{id_prefix}-rondes"),
                caption: "Gemiddelde (aantal) per meetronde".into(),
                head: std::iter::once("Score en groep".to_string()).chain(r.history.iter().map(|(round, _)| round.title.clone())).collect(),
                rows,
            }],
        });
    }
    if let Some(p) = &r.previous {
        let rows: Vec<Vec<String>> = r
            .trends
            .iter()
            .filter_map(|t| t.change.map(|c| (t, c)))
            .map(|(t, c)| {
                vec![
                    format!(
                        "{}{} — {}",
                        dimension_name(i, &t.dimension),
                        t.party.map(|p| format!(" over {}", rated_name(p))).unwrap_or_default(),
                        t.group.label()
                    ),
                    t.before.map(|e| dec(e.mean, 2)).unwrap_or_default(),
                    t.after.map(|e| dec(e.mean, 2)).unwrap_or_default(),
                    dec(c.difference, 2),
                    if c.decline { "gedaald: groter dan de ruis".into() } else { "geen daling boven de ruis".into() },
                ]
            })
            .collect();
        out.push(Section {
            heading: format!("Verloop sinds '{}'", p.title),
            intro: format!(
                "Een daling wordt gemeld als beide rondes minstens vijf respondenten in de groep hebben, het gemiddelde minstens {} punt zakte en Welch' t-toets (eenzijdig, 5 %) zegt dat de daling niet aan toeval ligt, gecorrigeerd voor het aantal vergelijkingen (Benjamini–Hochberg): eerst de totaalscore per groep en partij, en alleen waar die daalde de dimensies. Kleinere of onzekere verschuivingen zijn ruis.",
                dec(samenspel_calc::survey::MIN_DECLINE, 2)
            ),
            chart: None,
            tables: vec![Table {
                id: format!("{id_prefix}-verloop"),
                caption: format!("Van '{}' naar deze ronde", p.title),
                head: vec!["Score en groep".into(), "Vorige".into(), "Nu".into(), "Verschil".into(), "Oordeel".into()],
                rows,
            }],
        });
    }
    out
}

pub async fn round_results(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
) -> PageResult {
    let (region, access) = region_page(&state, &user, &code).await?;
    let round = state.store.survey_round(region.id, id).await?;
    if round.status == "concept" {
        return Err(AppError::not_found().into());
    }
    if !round.closed() {
        let page = ResultsPage {
            layout: Layout::for_region(
                &format!("Uitkomsten: {}", round.title),
                &user,
                &region,
                &access,
                &format!("/regios/{code}/gezondheid"),
            ),
            subnav: health_nav(&code, &access, "gezondheid"),
            subnav_label: "Gezondheid",
            sections: Vec::new(),
            open: Vec::new(),
            groups: Vec::new(),
            round,
        };
        return Ok(render(&page, StatusCode::OK));
    }
    let r = results(&state, &round).await?;
    let groups = r
        .report
        .groups
        .iter()
        .map(|g| {
            (
                g.group.label().to_string(),
                g.hidden.map(|h| h.label().to_string()).unwrap_or_else(|| format!("{} respondenten", g.n)),
            )
        })
        .collect();
    let page = ResultsPage {
        layout: Layout::for_region(
            &format!("Uitkomsten: {}", round.title),
            &user,
            &region,
            &access,
            &format!("/regios/{code}/gezondheid"),
        ),
        subnav: health_nav(&code, &access, "gezondheid"),
        subnav_label: "Gezondheid",
        sections: result_sections(&r, "uitkomst"),
        open: if access.can_manage_health() { r.open.clone() } else { Vec::new() },
        groups,
        round,
    };
    Ok(render(&page, StatusCode::OK))
}

// ------------------------------------------------------------------------- early warning

#[derive(Template)]
#[template(path = "health_warnings.html")]
struct WarningsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    subnav_label: &'static str,
    warnings: crate::health::EarlyWarnings,
}

impl WarningsPage {
    fn kind(&self, kind: &str) -> &'static str {
        crate::health::kind_label(kind)
    }
}

use crate::health::kind_label;

pub async fn warnings(State(state): State<AppState>, PageUser(user): PageUser, Path(code): Path<String>) -> PageResult {
    let (region, access) = region_page(&state, &user, &code).await?;
    require(access.can_view_health_warnings())?;
    let warnings = early_warnings(&state, &region, &access).await?;
    let page = WarningsPage {
        layout: Layout::for_region(
            "Vroegsignalering",
            &user,
            &region,
            &access,
            &format!("/regios/{code}/gezondheid/waarschuwingen"),
        ),
        subnav: health_nav(&code, &access, "gezondheid/waarschuwingen"),
        subnav_label: "Gezondheid",
        warnings,
    };
    Ok(render(&page, StatusCode::OK))
}

// ------------------------------------------------------------------------- dossier

struct MemberDossier {
    name: String,
    code: String,
    size: &'static str,
    voice: Vec<(String, String)>,
    money: String,
    warnings: Vec<String>,
}

#[derive(Template)]
#[template(path = "health_dossier.html")]
struct DossierPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    subnav_label: &'static str,
    code: String,
    region_name: String,
    year: i32,
    printed: String,
    sections: Vec<(String, String, Vec<Section>)>,
    members: Vec<MemberDossier>,
    risk_note: Option<String>,
    conclusions: String,
    conclusions_by: String,
    form: Option<FormView>,
}

async fn dossier_page(
    ctx: &RegionCtx<'_>,
    typed: Option<(&FormPairs, &Invalid)>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let code = &region.code;
    let year = samenspel_store::today().year();
    let mut sections = Vec::new();
    for (n, round) in latest_closed_rounds(state, region).await?.iter().enumerate() {
        let r = results(state, round).await?;
        let mut parts = result_sections(&r, &format!("dossier{n}"));
        // The dossier keeps what decides: scores, value and trend.
        parts.retain(|s| !s.heading.starts_with("Betrouwbaarheid"));
        let generated = if round.generated { " — gegenereerde antwoorden (demonstratie)" } else { "" };
        sections.push((
            format!("{} ({}, {}){generated}", round.title, round.instrument_label, round.kind_label()),
            format!("meting{n}"),
            parts,
        ));
    }
    let warnings = early_warnings(state, region, access).await?;
    let voice = crate::governance::voice_report(state, region, access).await?;
    let sizes = state.store.member_size_classes(region.id).await?;
    let members = warnings
        .members
        .iter()
        .map(|m| {
            let v = voice.members.iter().find(|(c, _, _)| *c == m.member).map(|(_, _, v)| v);
            MemberDossier {
                name: m.name.clone(),
                code: m.member.clone(),
                size: match sizes.iter().find(|(c, _)| *c == m.member) {
                    Some((_, Some(true))) => "grotere helft van de regio (inwoners)",
                    Some((_, Some(false))) => "kleinere helft van de regio (inwoners)",
                    _ => "",
                },
                voice: v
                    .map(|v| {
                        let pct = |p: Option<u32>| p.map(|p| format!("{p} %")).unwrap_or_else(|| "—".into());
                        vec![
                            (
                                "Inbreng (deels) overgenomen".to_string(),
                                format!(
                                    "{} van {} beantwoorde zienswijzen ({})",
                                    v.total.adopted + v.total.partly,
                                    v.total.answered,
                                    pct(v.total.heard_percent())
                                ),
                            ),
                            (
                                "Meegedaan aan consultaties".to_string(),
                                format!(
                                    "{} van {} ({})",
                                    v.total.joined,
                                    v.total.consultations,
                                    pct(v.total.joined_percent())
                                ),
                            ),
                            (
                                "Aan de verliezende kant".to_string(),
                                format!(
                                    "{} van {} open stemmingen ({})",
                                    v.total.lost,
                                    v.total.votes,
                                    pct(v.total.lost_percent())
                                ),
                            ),
                        ]
                    })
                    .unwrap_or_default(),
                money: match v.and_then(|v| v.pays_more_than_alone) {
                    Some(c) if c.0 > 0 => format!(
                        "Betaalt onder de vereveningsafspraak {c} meer dan zij alleen zou betalen (jaar {}).",
                        voice.risk_year.unwrap_or(year)
                    ),
                    Some(c) => format!(
                        "Betaalt onder de vereveningsafspraak {} minder dan zij alleen zou betalen (jaar {}).",
                        samenspel_domain::Cents(-c.0),
                        voice.risk_year.unwrap_or(year)
                    ),
                    None => "Geen vergelijking met alleen verder: zie de opmerking over de verevening.".into(),
                },
                warnings: m.warnings.iter().map(|w| format!("{}: {}", kind_label(w.kind), w.reason)).collect(),
            }
        })
        .collect();
    let saved = state.store.evaluation_conclusions(region.id, year).await?;
    let (conclusions, conclusions_by) = match &saved {
        Some((body, by, at)) => (body.clone(), format!("{by}, {}", show::datetime(*at))),
        None => (String::new(), String::new()),
    };
    let form = access.can_write_evaluation().then(|| {
        let value = typed.map(|(f, _)| f.get("conclusies").to_string()).unwrap_or_else(|| conclusions.clone());
        let mut form = FormView::new(
            "conclusies",
            format!("/regios/{code}/gezondheid/dossier"),
            "Conclusies opslaan",
            user.csrf(),
        )
        .field("conclusies", &format!("Conclusies van de regio over {year}"), "textarea", &value, false)
        .hint("Wat de regio uit dit dossier concludeert: per lid of voor de hele regio. Komt in de afdruk.");
        if let Some((_, invalid)) = typed {
            form = form.with_errors(invalid);
        }
        form.done()
    });
    let page = DossierPage {
        layout: Layout::for_region(
            "Dossier blijven of uittreden",
            user,
            region,
            access,
            &format!("/regios/{code}/gezondheid/dossier"),
        )
        .with_notice(notice),
        subnav: health_nav(code, access, "gezondheid/dossier"),
        subnav_label: "Gezondheid",
        code: code.clone(),
        region_name: region.name.clone(),
        year,
        printed: show::datetime(samenspel_store::now()),
        sections,
        members,
        risk_note: voice.risk_note,
        conclusions,
        conclusions_by,
        form,
    };
    Ok(render(&page, status))
}

pub async fn dossier(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<Done>,
) -> PageResult {
    let (region, access) = region_page(&state, &user, &code).await?;
    require(access.can_view_health_warnings())?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    dossier_page(&ctx, None, done_notice(q.gelukt.as_deref()), StatusCode::OK).await
}

pub async fn save_conclusions(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_page(&state, &user, &code).await?;
    require(access.can_write_evaluation())?;
    let year = samenspel_store::today().year();
    match state.store.save_evaluation_conclusions(region.id, year, form.get("conclusies"), &user.actor("web")).await {
        Ok(()) => Ok(see_other(&format!("/regios/{code}/gezondheid/dossier?gelukt=conclusies"))),
        Err(e) => {
            let invalid = super::form_problem(AppError::from(e))?;
            let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
            dossier_page(&ctx, Some((&form, &invalid)), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ------------------------------------------------------------------------- questionnaire

struct QuestionView {
    /// The form field name (the answer key) and a safe element id.
    name: String,
    id: String,
    number: usize,
    text: String,
    chosen: u8,
    error: String,
}

struct BlockView {
    heading: String,
    labels: Vec<String>,
    questions: Vec<QuestionView>,
}

struct PassView {
    heading: String,
    blocks: Vec<BlockView>,
}

#[derive(Template)]
#[template(path = "questionnaire.html")]
struct QuestionnairePage {
    layout: Layout,
    action: String,
    region_name: String,
    round_title: String,
    instrument_name: String,
    closes: String,
    passes: Vec<PassView>,
    /// Number, question, what was typed, the error.
    open: Vec<(usize, String, String, String)>,
    /// The element it is about (empty when none on the page) and the reason.
    errors: Vec<(String, String)>,
    saved: bool,
    count: usize,
    max_open: usize,
}

#[derive(Template)]
#[template(path = "questionnaire_message.html")]
struct MessagePage {
    layout: Layout,
    heading: String,
    text: String,
    /// What the respondent typed, given back when it could not be stored: statement and answer.
    typed: Vec<(String, String)>,
}

fn element_id(key: &str) -> String {
    format!("v-{}", key.replace(':', "-"))
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

fn message(status: StatusCode, heading: &str, text: &str) -> Response {
    message_with(status, heading, text, Vec::new())
}

fn message_with(status: StatusCode, heading: &str, text: &str, typed: Vec<(String, String)>) -> Response {
    let page =
        MessagePage { layout: Layout::anonymous(heading), heading: heading.to_string(), text: text.to_string(), typed };
    no_store(render(&page, status))
}

/// The answers as the respondent gave them, statement by statement, with the words of the scale.
fn typed_answers(instrument: &Instrument, parties: &[Party], answers: &Answers) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for pass in instrument.passes(parties) {
        for d in &instrument.dimensions {
            let labels = instrument.labels(d);
            for i in &d.items {
                if let Some(&v) = answers.scale.get(&answer_key(pass, &i.key)) {
                    let about = pass.map(|p| format!(" ({})", p.rated_label().to_lowercase())).unwrap_or_default();
                    let label = labels.get(usize::from(v).saturating_sub(1)).cloned().unwrap_or_else(|| v.to_string());
                    out.push((format!("{}{about}", i.text), label));
                }
            }
        }
    }
    for (q, a) in instrument.open_questions.iter().zip(&answers.open) {
        if !a.trim().is_empty() {
            out.push((q.clone(), a.clone()));
        }
    }
    out
}

/// A link that no longer works, with what the respondent typed given back (nothing was stored).
fn link_response_with(e: LinkError, round: &RoundRow, answers: &Answers) -> Result<Response, PageError> {
    let typed = typed_answers(&round.instrument(), &round.parties(), answers);
    match (e, typed.is_empty()) {
        (LinkError::Link(p), false) => {
            let text = format!("{} Hieronder staat wat u invulde, zodat het niet verloren gaat.", p.message());
            Ok(message_with(StatusCode::GONE, "Niet opgeslagen", &text, typed))
        }
        (e, _) => link_response(e),
    }
}

fn link_response(e: LinkError) -> Result<Response, PageError> {
    use samenspel_store::health::LinkProblem;
    match e {
        LinkError::Link(p) => {
            let status = match p {
                LinkProblem::Unknown => StatusCode::NOT_FOUND,
                LinkProblem::Used | LinkProblem::Expired => StatusCode::GONE,
                LinkProblem::NotOpen => StatusCode::CONFLICT,
            };
            let heading = match p {
                LinkProblem::Used => "Al ingevuld",
                LinkProblem::Expired => "Link verlopen",
                LinkProblem::NotOpen => "Nog niet geopend",
                LinkProblem::Unknown => "Link onbekend",
            };
            Ok(message(status, heading, p.message()))
        }
        LinkError::Answers(_) => Err(AppError::internal("onverwachte controle").into()),
        LinkError::Store(e) => Err(AppError::from(e).into()),
    }
}

async fn questionnaire_page(
    state: &AppState,
    token: &str,
    round: &RoundRow,
    answers: &Answers,
    invalid: Option<&Invalid>,
    saved: bool,
    status: StatusCode,
) -> PageResult {
    let instrument = round.instrument();
    let parties = round.parties();
    let region = state.store.region(round.region_id).await?;
    let error_of = |key: &str| {
        invalid.and_then(|i| i.errors.iter().find(|e| e.name == key)).map(|e| e.reason.clone()).unwrap_or_default()
    };
    let mut number = 0;
    let passes = instrument
        .passes(&parties)
        .into_iter()
        .map(|pass| PassView {
            heading: pass.map(|p| p.rated_label().to_string()).unwrap_or_default(),
            blocks: instrument
                .dimensions
                .iter()
                .map(|d| BlockView {
                    heading: d.name.clone(),
                    labels: instrument.labels(d),
                    questions: d
                        .items
                        .iter()
                        .map(|i| {
                            number += 1;
                            let key = answer_key(pass, &i.key);
                            QuestionView {
                                id: element_id(&key),
                                number,
                                text: i.text.clone(),
                                chosen: answers.scale.get(&key).copied().unwrap_or(0),
                                error: error_of(&key),
                                name: key,
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let open = instrument
        .open_questions
        .iter()
        .enumerate()
        .map(|(n, q)| (n, q.clone(), answers.open.get(n).cloned().unwrap_or_default(), error_of(&format!("open{n}"))))
        .collect();
    // A summary link only where the page has the element; "open0" is the first open answer.
    let targets: Vec<String> = passes_keys(&instrument, &parties)
        .into_iter()
        .chain((0..instrument.open_questions.len()).map(|n| format!("open{n}")))
        .collect();
    let errors = invalid
        .map(|i| {
            i.errors
                .iter()
                .map(|e| {
                    (if targets.contains(&e.name) { element_id(&e.name) } else { String::new() }, e.reason.clone())
                })
                .collect()
        })
        .unwrap_or_default();
    let page = QuestionnairePage {
        layout: Layout::anonymous(&format!("Vragenlijst: {}", round.title)),
        action: format!("/vragenlijst/{token}"),
        region_name: region.name,
        round_title: round.title.clone(),
        instrument_name: instrument.name.clone(),
        closes: show::datetime(round.closes_at),
        count: number,
        passes,
        open,
        errors,
        saved,
        max_open: samenspel_domain::instrument::MAX_OPEN_ANSWER,
    };
    Ok(no_store(render(&page, status)))
}

pub async fn questionnaire(State(state): State<AppState>, Path(token): Path<String>) -> PageResult {
    match state.store.invitation(&token_hash(&token)).await {
        Ok((invitation, round)) => {
            questionnaire_page(&state, &token, &round, &invitation.draft(), None, false, StatusCode::OK).await
        }
        Err(e) => link_response(e),
    }
}

/// Saves (`actie=opslaan`) or submits the questionnaire. The link is the respondent's only
/// credential, so there is no session and no CSRF token: a forged post would need the link.
pub async fn answer(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let form = FormPairs(form);
    let hash = token_hash(&token);
    let (_, round) = match state.store.invitation(&hash).await {
        Ok(found) => found,
        Err(e) => {
            return match state.store.round_of_link(&hash).await? {
                Some(round) => {
                    let answers = answers_from_form(&round.instrument(), &round.parties(), &form);
                    link_response_with(e, &round, &answers)
                }
                None => link_response(e),
            }
        }
    };
    let answers = answers_from_form(&round.instrument(), &round.parties(), &form);
    if form.get("actie") == "opslaan" {
        return match state.store.save_draft(&hash, &answers).await {
            Ok(()) => questionnaire_page(&state, &token, &round, &answers, None, true, StatusCode::OK).await,
            Err(e) => link_response_with(e, &round, &answers),
        };
    }
    match state.store.submit_response(&hash, &answers).await {
        Ok(()) => Ok(message(
            StatusCode::OK,
            "Dank u wel",
            "Uw antwoorden zijn verstuurd en opgeslagen zonder uw link en zonder uw naam. De link werkt nu niet meer.",
        )),
        Err(LinkError::Answers(invalid)) => {
            questionnaire_page(
                &state,
                &token,
                &round,
                &answers,
                Some(&invalid),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => link_response_with(e, &round, &answers),
    }
}

/// The form field of every statement a respondent answers.
fn passes_keys(instrument: &Instrument, parties: &[Party]) -> Vec<String> {
    instrument
        .passes(parties)
        .into_iter()
        .flat_map(|pass| {
            instrument.dimensions.iter().flat_map(move |d| d.items.iter().map(move |i| answer_key(pass, &i.key)))
        })
        .collect()
}
