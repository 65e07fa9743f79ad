//! The partner charter (handvest): the version in force with its tasks, decision rules and terms,
//! the earlier versions, and for the region admin a form for a new version.

use super::{render, see_other, show, FormView, Layout, Notice, PageResult, RegionCtx};
use crate::auth::{region_for, PageUser};
use crate::error::AppError;
use crate::forms::{CsrfForm, FormPairs};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_domain::charter::{Charter, Level, Task, Terms};
use samenspel_domain::governance::{Base, DecisionRule, Majority, Tie, Veto, Weighting, DECISION_KINDS};
use samenspel_domain::nl::parse_date;
use samenspel_domain::Invalid;
use serde::Deserialize;

/// The form fields of one kind of decision.
struct RuleFields {
    kind: &'static str,
    weighting: &'static str,
    majority: &'static str,
    percentage: &'static str,
    base: &'static str,
    quorum: &'static str,
    veto: &'static str,
    tie: &'static str,
    secret: &'static str,
}

macro_rules! rule_fields {
    ($($kind:literal),*) => {
        [$(RuleFields {
            kind: $kind,
            weighting: concat!($kind, "Weging"),
            majority: concat!($kind, "Meerderheid"),
            percentage: concat!($kind, "Percentage"),
            base: concat!($kind, "Basis"),
            quorum: concat!($kind, "Quorum"),
            veto: concat!($kind, "Veto"),
            tie: concat!($kind, "Staking"),
            secret: concat!($kind, "Geheim"),
        }),*]
    };
}

const RULES: [RuleFields; 6] =
    rule_fields!("begroting", "verevening", "inkoopstrategie", "toetreding", "handvest", "overig");

/// The kind of decision as the pages name it (`begroting en budget`).
fn kind_label(kind: &str) -> &'static str {
    DECISION_KINDS.iter().find(|(k, _)| *k == kind).map(|(_, l)| *l).unwrap_or("")
}

fn weighting_of(s: &str) -> Option<Weighting> {
    match s {
        "lid" => Some(Weighting::Lid),
        "inwoners" => Some(Weighting::Inwoners),
        "budget" => Some(Weighting::Budget),
        _ => None,
    }
}

fn majority_of(s: &str) -> Option<Majority> {
    match s {
        "gewoon" => Some(Majority::Gewoon),
        "gekwalificeerd" => Some(Majority::Gekwalificeerd),
        "dubbel" => Some(Majority::Dubbel),
        "unaniem" => Some(Majority::Unaniem),
        _ => None,
    }
}

/// `regionaal: onderwerp — toelichting` per line.
fn tasks(invalid: &mut Invalid, text: &str) -> Vec<Task> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let Some((level, rest)) = line.split_once(':') else {
            invalid.push("taken", "pattern", format!("regel {}: begin met regionaal: of lokaal:", i + 1));
            continue;
        };
        let level = match level.trim().to_lowercase().as_str() {
            "regionaal" => Level::Regionaal,
            "lokaal" => Level::Lokaal,
            other => {
                invalid.push("taken", "enum", format!("regel {}: '{other}' is geen regionaal of lokaal", i + 1));
                continue;
            }
        };
        let (subject, note) = rest.split_once(" — ").unwrap_or((rest, ""));
        out.push(Task { subject: subject.trim().to_string(), level, note: note.trim().to_string() });
    }
    out
}

/// A municipality code as the charter keeps it (`1842` → `GM1842`); anything else as typed, for
/// the check to name.
fn normalised(code: &str) -> String {
    samenspel_domain::MunicipalityCode::parse(code).map(|c| c.as_str().to_string()).unwrap_or_else(|_| code.to_string())
}

/// The chair and veto holders that are not members of the region on the day.
pub fn outsiders(charter: &Charter, members: &[String]) -> Vec<String> {
    charter.outsiders(members)
}

/// What the charter form posted: the charter, its first day, the reason.
pub fn charter_input(f: &FormPairs) -> Result<(Charter, time::Date, Option<String>), Invalid> {
    let mut invalid = Invalid::new();
    let valid_from = match parse_date(f.get("geldigVanaf")) {
        Ok(d) => Some(d),
        Err(e) => {
            invalid.push("geldigVanaf", &e.code, e.reason);
            None
        }
    };
    let tasks = tasks(&mut invalid, f.get("taken"));
    let mut rules = Vec::new();
    for r in &RULES {
        let weighting = weighting_of(f.get(r.weighting)).unwrap_or_else(|| {
            invalid.push(r.weighting, "enum", "Kies hoe de stemmen wegen.");
            Weighting::Lid
        });
        let majority = majority_of(f.get(r.majority)).unwrap_or_else(|| {
            invalid.push(r.majority, "enum", "Kies de meerderheid die nodig is.");
            Majority::Gewoon
        });
        let text = |name: &str| Some(f.get(name).trim().to_string()).filter(|s| !s.is_empty());
        let veto = match f.get(r.veto).trim() {
            "" => Veto::Geen,
            "iedereen" => Veto::Iedereen,
            codes => Veto::Leden(codes.split([',', ' ', ';']).filter(|c| !c.is_empty()).map(normalised).collect()),
        };
        rules.push(DecisionRule {
            kind: r.kind.to_string(),
            weighting,
            majority,
            percentage: text(r.percentage),
            base: if f.get(r.base) == "alle" { Base::Alle } else { Base::Uitgebracht },
            quorum: text(r.quorum),
            veto,
            tie: if f.get(r.tie) == "voorzitter" { Tie::Voorzitter } else { Tie::Verworpen },
            secret: f.flag(r.secret),
        });
    }
    let notice_months = match f.get("opzegtermijnMaanden").trim().parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            invalid.push("opzegtermijnMaanden", "pattern", "Vul de opzegtermijn in hele maanden in.");
            0
        }
    };
    let charter = Charter {
        tasks,
        rules,
        chair: Some(f.get("voorzitter").trim()).filter(|c| !c.is_empty()).map(normalised),
        terms: Terms {
            notice_months,
            exit_costs: f.get("uittreedkosten").trim().to_string(),
            running_contracts: f.get("lopendeContracten").trim().to_string(),
            joining: f.get("toetreding").trim().to_string(),
        },
    };
    if invalid.is_empty() {
        for p in charter.problems() {
            // Each problem next to the field it is about where there is one.
            let field = RULES
                .iter()
                .find(|r| p.starts_with(&format!("{}:", r.kind)))
                .map(|r| {
                    if p.contains("quorum") {
                        r.quorum
                    } else if p.contains("veto") {
                        r.veto
                    } else if p.contains("voorzitter") {
                        r.tie
                    } else {
                        r.percentage
                    }
                })
                .unwrap_or(if p.contains("taken") || p.starts_with("taak") {
                    "taken"
                } else if p.contains("uittreedkosten") {
                    "uittreedkosten"
                } else if p.contains("lopende contracten") {
                    "lopendeContracten"
                } else if p.contains("opzegtermijn") || p.contains("maanden") {
                    "opzegtermijnMaanden"
                } else if p.contains("voorzitter") {
                    "voorzitter"
                } else {
                    ""
                });
            invalid.push(field, "charter", p);
        }
    }
    match valid_from {
        Some(day) if invalid.is_empty() => {
            Ok((charter, day, Some(f.get("toelichting").trim().to_string()).filter(|r| !r.is_empty())))
        }
        _ => Err(invalid),
    }
}

/// The form's values for a charter: a new version starts from the one in force.
fn form_values(c: &Charter) -> FormPairs {
    let mut pairs = vec![
        (
            "taken".to_string(),
            c.tasks
                .iter()
                .map(|t| {
                    let level = if t.level == Level::Regionaal { "regionaal" } else { "lokaal" };
                    if t.note.is_empty() {
                        format!("{level}: {}", t.subject)
                    } else {
                        format!("{level}: {} — {}", t.subject, t.note)
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ("voorzitter".to_string(), c.chair.clone().unwrap_or_default()),
        ("opzegtermijnMaanden".to_string(), c.terms.notice_months.to_string()),
        ("uittreedkosten".to_string(), c.terms.exit_costs.clone()),
        ("lopendeContracten".to_string(), c.terms.running_contracts.clone()),
        ("toetreding".to_string(), c.terms.joining.clone()),
    ];
    for r in &RULES {
        let Some(rule) = c.rules.iter().find(|x| x.kind.trim() == r.kind) else { continue };
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        let json = serde_json::to_value(rule).unwrap_or_default();
        pairs.push((r.weighting.into(), text(&json["weging"])));
        pairs.push((r.majority.into(), text(&json["meerderheid"])));
        pairs.push((r.percentage.into(), rule.percentage.clone().unwrap_or_default()));
        pairs.push((r.base.into(), text(&json["basis"])));
        pairs.push((r.quorum.into(), rule.quorum.clone().unwrap_or_default()));
        pairs.push((
            r.veto.into(),
            match &rule.veto {
                Veto::Geen => String::new(),
                Veto::Iedereen => "iedereen".into(),
                Veto::Leden(codes) => codes.join(", "),
            },
        ));
        pairs.push((r.tie.into(), text(&json["staking"])));
        if rule.secret {
            pairs.push((r.secret.into(), "on".into()));
        }
    }
    FormPairs(pairs)
}

fn charter_form(csrf: &str, action: String, v: &FormPairs, members: Vec<(String, String)>) -> FormView {
    let options =
        |items: &[(&str, &str)]| items.iter().map(|(k, l)| (k.to_string(), l.to_string())).collect::<Vec<_>>();
    let mut chair = vec![(String::new(), "geen voorzitter".to_string())];
    chair.extend(members);
    let mut form = FormView::new("nieuw-handvest", action, "Handvest vastleggen", csrf)
        .field("geldigVanaf", "Geldt vanaf", "date", v.get("geldigVanaf"), true)
        .field("toelichting", "Toelichting (besluit, reden van de wijziging)", "textarea", v.get("toelichting"), false)
        .field("taken", "Taken: wat regionaal en wat lokaal", "textarea", v.get("taken"), true)
        .hint("Per regel 'regionaal: onderwerp' of 'lokaal: onderwerp', eventueel met ' — toelichting'.")
        .select("voorzitter", "Voorzitter", v.get("voorzitter"), chair, false)
        .hint("Beslist bij staking van stemmen waar een regel dat zegt.");
    for r in &RULES {
        let lower = kind_label(r.kind);
        let mut chars = lower.chars();
        let label: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
        form = form
            .select(
                r.weighting,
                &format!("{label}: weging"),
                v.get(r.weighting),
                options(&[("lid", "één lid één stem"), ("inwoners", "naar inwoners"), ("budget", "naar budget")]),
                true,
            )
            .select(
                r.majority,
                &format!("{label}: meerderheid"),
                v.get(r.majority),
                options(&[
                    ("gewoon", "gewone meerderheid"),
                    ("gekwalificeerd", "gekwalificeerde meerderheid"),
                    ("dubbel", "dubbele meerderheid (leden én gewicht)"),
                    ("unaniem", "unanimiteit"),
                ]),
                true,
            )
            .field(
                r.percentage,
                &format!("{label}: percentage (bij gekwalificeerd)"),
                "text",
                v.get(r.percentage),
                false,
            )
            .select(
                r.base,
                &format!("{label}: basis"),
                v.get(r.base),
                options(&[("uitgebracht", "van de uitgebrachte stemmen"), ("alle", "van alle leden")]),
                true,
            )
            .field(r.quorum, &format!("{label}: quorum in procenten van de leden"), "text", v.get(r.quorum), false)
            .field(r.veto, &format!("{label}: veto"), "text", v.get(r.veto), false)
            .hint("Leeg: geen veto; 'iedereen'; of gemeentecodes, zoals GM1842, GM0629.")
            .select(
                r.tie,
                &format!("{label}: bij staking van stemmen"),
                v.get(r.tie),
                options(&[("verworpen", "verworpen"), ("voorzitter", "de voorzitter beslist")]),
                true,
            )
            .field(
                r.secret,
                &format!("{label}: geheime stemming"),
                "checkbox",
                if v.flag(r.secret) { "on" } else { "" },
                false,
            );
    }
    form.field("opzegtermijnMaanden", "Opzegtermijn in maanden", "number", v.get("opzegtermijnMaanden"), true)
        .field("uittreedkosten", "Uittreedkosten: hoe ze worden bepaald", "textarea", v.get("uittreedkosten"), true)
        .field("lopendeContracten", "Lopende contracten bij uittreding", "textarea", v.get("lopendeContracten"), true)
        .field("toetreding", "Voorwaarden voor toetreding", "textarea", v.get("toetreding"), false)
}

pub struct RuleLine {
    pub kind: &'static str,
    pub text: String,
}

/// A rule in words.
pub fn rule_text(r: &DecisionRule) -> String {
    let mut parts = vec![match r.weighting {
        Weighting::Lid => "één lid één stem".to_string(),
        Weighting::Inwoners => "gewogen naar inwoners".to_string(),
        Weighting::Budget => "gewogen naar budget".to_string(),
    }];
    parts.push(match r.majority {
        Majority::Gewoon => "gewone meerderheid".into(),
        Majority::Gekwalificeerd => format!(
            "ten minste {}",
            r.percentage
                .as_deref()
                .and_then(samenspel_domain::governance::parse_share)
                .map(samenspel_domain::governance::share_text)
                .unwrap_or_default()
        ),
        Majority::Dubbel => "dubbele meerderheid (leden én gewicht)".into(),
        Majority::Unaniem => "unanimiteit".into(),
    });
    parts.push(if r.base == Base::Alle { "van alle leden".into() } else { "van de uitgebrachte stemmen".into() });
    if let Some(q) = r.quorum.as_deref().and_then(samenspel_domain::governance::parse_share) {
        parts.push(format!("quorum {} van de leden", samenspel_domain::governance::share_text(q)));
    }
    match &r.veto {
        Veto::Geen => {}
        Veto::Iedereen => parts.push("ieder lid heeft een veto".into()),
        Veto::Leden(codes) => parts.push(format!("veto voor {}", codes.join(", "))),
    }
    parts.push(if r.tie == Tie::Voorzitter {
        "bij staking beslist de voorzitter".into()
    } else {
        "bij staking verworpen".into()
    });
    if r.secret {
        parts.push("geheime stemming".into());
    }
    parts.join("; ")
}

pub struct VersionLine {
    pub version: i32,
    pub valid_from: String,
    pub by: String,
    pub at: String,
    pub reason: String,
    pub json: String,
}

#[derive(Template)]
#[template(path = "charter.html")]
struct CharterPage {
    layout: Layout,
    subnav: Vec<super::NavItem>,
    in_force: Option<(i32, String)>,
    regional: Vec<String>,
    local: Vec<String>,
    rules: Vec<RuleLine>,
    chair: String,
    terms: Vec<(&'static str, String)>,
    versions: Vec<VersionLine>,
    form: Option<FormView>,
}

async fn charter_page(
    ctx: &RegionCtx<'_>,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let today = samenspel_store::today();
    let versions = state.store.charters(region.id).await?;
    let current = state.store.charter_on(region.id, today).await?;
    let members = crate::risk_sharing::members_in(&state.store, region.id, today.year()).await?;
    let name = |gm: &str| {
        members
            .iter()
            .find(|m| m.municipality_code == gm)
            .map(|m| m.municipality_name.clone())
            .unwrap_or(gm.to_string())
    };
    let mut page = CharterPage {
        layout: Layout::for_region("Handvest", user, region, access, &format!("/regios/{}/handvest", region.code))
            .with_notice(notice),
        subnav: super::proposals::governance_nav(&region.code, access, "handvest"),
        in_force: None,
        regional: Vec::new(),
        local: Vec::new(),
        rules: Vec::new(),
        chair: String::new(),
        terms: Vec::new(),
        versions: versions
            .iter()
            .map(|v| VersionLine {
                version: v.version,
                valid_from: show::date(Some(v.valid_from)),
                by: v.created_by.clone(),
                at: show::datetime(v.created_at),
                reason: v.reason.clone().unwrap_or_default(),
                json: v.document.clone(),
            })
            .collect(),
        form: None,
    };
    let in_force = match &current {
        Some(row) => Some(row.charter().map_err(|p| AppError::internal(p.join("; ")))?),
        None => None,
    };
    if let (Some(row), Some(c)) = (&current, &in_force) {
        page.in_force = Some((row.version, show::date(Some(row.valid_from))));
        for t in &c.tasks {
            let text = if t.note.is_empty() { t.subject.clone() } else { format!("{} ({})", t.subject, t.note) };
            match t.level {
                Level::Regionaal => page.regional.push(text),
                Level::Lokaal => page.local.push(text),
            }
        }
        page.rules = RULES
            .iter()
            .filter_map(|r| {
                c.rules
                    .iter()
                    .find(|x| x.kind == r.kind)
                    .map(|x| RuleLine { kind: kind_label(r.kind), text: rule_text(x) })
            })
            .collect();
        page.chair = c.chair.as_deref().map(name).unwrap_or_else(|| "geen".into());
        page.terms = vec![
            ("Opzegtermijn", format!("{} maanden", c.terms.notice_months)),
            ("Uittreedkosten", c.terms.exit_costs.clone()),
            ("Lopende contracten", c.terms.running_contracts.clone()),
            ("Toetreding", c.terms.joining.clone()),
        ];
    }
    page.form = match form {
        Some(f) => Some(f),
        None if access.can_manage_charter() => {
            let mut values = in_force.as_ref().map(form_values).unwrap_or_else(|| {
                let mut pairs: Vec<(String, String)> = Vec::new();
                for r in &RULES {
                    pairs.push((r.weighting.into(), "lid".into()));
                    pairs.push((r.majority.into(), "gewoon".into()));
                }
                FormPairs(pairs)
            });
            values.0.push(("geldigVanaf".into(), today.to_string()));
            let options = members.iter().map(|m| (m.municipality_code.clone(), m.municipality_name.clone())).collect();
            Some(charter_form(user.csrf(), format!("/regios/{}/handvest", region.code), &values, options).done())
        }
        None => None,
    };
    Ok(render(&page, status))
}

#[derive(Deserialize, Default)]
pub struct CharterQuery {
    gelukt: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<CharterQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_charter() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let notice = (q.gelukt.as_deref() == Some("handvest"))
        .then(|| Notice { kind: "ok", text: "De nieuwe versie van het handvest is vastgelegd.".into() });
    charter_page(&ctx, None, notice, StatusCode::OK).await
}

pub async fn save(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_charter() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match charter_input(&form) {
        Ok((charter, day, reason)) => {
            let members: Vec<String> = crate::risk_sharing::members_in(&state.store, region.id, day.year())
                .await?
                .into_iter()
                .map(|m| m.municipality_code)
                .collect();
            match outsiders(&charter, &members).as_slice() {
                [] => save_or_propose(&state, region.id, &charter, day, reason.as_deref(), &user.actor("web"))
                    .await
                    .map_err(AppError::from),
                named => Err(AppError::invalid(Invalid::single(
                    "",
                    "member",
                    format!(
                        "{} is geen lid van de regio in {}; de voorzitter en vetohouders zijn leden",
                        named.join(", "),
                        day.year()
                    ),
                ))),
            }
        }
        Err(i) => Err(AppError::invalid(i)),
    };
    match result {
        Ok(Saved::Charter) => Ok(see_other(&format!("/regios/{}/handvest?gelukt=handvest", region.code))),
        Ok(Saved::Proposal(id)) => {
            Ok(see_other(&format!("/regios/{}/voorstellen/{id}?gelukt=handvest-voorstel", region.code)))
        }
        Err(e) => {
            let invalid = super::form_problem(e)?;
            let members = crate::risk_sharing::members_in(&state.store, region.id, samenspel_store::now().year())
                .await?
                .into_iter()
                .map(|m| (m.municipality_code, m.municipality_name))
                .collect();
            let f = charter_form(user.csrf(), format!("/regios/{}/handvest", region.code), &form, members)
                .with_errors(&invalid)
                .done();
            charter_page(&ctx, Some(f), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// What saving the charter form did.
pub enum Saved {
    /// The region's first charter, recorded as founded.
    Charter,
    /// A change to a charter in force: a draft proposal of kind `handvest`.
    Proposal(i64),
}

/// Records the region's first charter directly; any later version is a decision under the
/// charter's own rule, so it becomes a proposal that takes effect when adopted.
pub async fn save_or_propose(
    state: &AppState,
    region_id: i64,
    charter: &Charter,
    valid_from: time::Date,
    reason: Option<&str>,
    actor: &samenspel_store::Actor,
) -> Result<Saved, samenspel_store::StoreError> {
    if state.store.add_first_charter(region_id, charter, valid_from, reason, actor).await?.is_some() {
        return Ok(Saved::Charter);
    }
    let text = samenspel_domain::proposal::ProposalText {
        kind: "handvest".into(),
        title: format!("Wijziging van het handvest per {}", samenspel_domain::nl::date(valid_from)),
        text: reason.map(str::to_string).unwrap_or_else(|| "Voorstel tot wijziging van het handvest.".into()),
    };
    let row = state.store.create_proposal(region_id, &text, Some((charter, valid_from)), actor).await?;
    Ok(Saved::Proposal(row.id))
}
