//! Governance pages: proposals with their consultation, the region's answers, the vote and the
//! outcome; the decision list; the voice indicators; the representatives. Each form posts,
//! redirects on success and comes back with what was typed and the reason next to each field.

use super::{
    form_problem, render, see_other, show, FormView, Layout, NavItem, Notice, PageError, PageResult, RegionCtx,
};
use crate::auth::{region_for, CurrentUser, PageUser};
use crate::error::AppError;
use crate::forms::{CsrfForm, CsrfMultipart, FormPairs};
use crate::governance::{input_visible, parse_step, visible_proposal, vote_visible};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use samenspel_domain::access::RegionAccess;
use samenspel_domain::governance::DECISION_KINDS;
use samenspel_domain::nl::{date_time, date_time_input, parse_date};
use samenspel_domain::proposal::{Choice, Handling, Phase, ProposalText, Step};
use samenspel_domain::{Invalid, MunicipalityCode};
use samenspel_store::proposals::{NewRepresentative, ProposalRow, VoteMode};
use serde::Deserialize;

/// The governance pages, shown as a second menu on each of them.
const GOVERNANCE_PAGES: [(&str, &str); 6] = [
    ("voorstellen", "Voorstellen"),
    ("besluiten", "Besluitenlijst"),
    ("inspraak", "Inspraak per lid"),
    ("vertegenwoordigers", "Vertegenwoordigers"),
    ("handvest", "Handvest"),
    ("norm", "Norm"),
];

/// The second menu of the governance pages this user may open, with the current one marked.
pub fn governance_nav(region_code: &str, access: &RegionAccess, current: &str) -> Vec<NavItem> {
    GOVERNANCE_PAGES
        .iter()
        .filter(|(path, _)| match *path {
            "voorstellen" | "vertegenwoordigers" => access.can_view_proposals(),
            "besluiten" | "handvest" | "norm" => access.can_view_charter(),
            "inspraak" => access.can_view_voice(),
            _ => false,
        })
        .map(|(path, label)| NavItem {
            href: format!("/regios/{region_code}/{path}"),
            label,
            current: *path == current,
        })
        .collect()
}

/// The paths of the governance pages, for the main menu's "Bestuur" item.
pub fn is_governance_path(base: &str, current: &str) -> bool {
    GOVERNANCE_PAGES.iter().any(|(path, _)| current.starts_with(&format!("{base}/{path}")))
}

pub fn kind_label(kind: &str) -> &'static str {
    DECISION_KINDS.iter().find(|(k, _)| *k == kind).map(|(_, l)| *l).unwrap_or("onbekende soort")
}

fn kind_options() -> Vec<(String, String)> {
    let mut out = vec![(String::new(), "kies de soort besluit".to_string())];
    out.extend(DECISION_KINDS.iter().map(|(k, l)| (k.to_string(), l.to_string())));
    out
}

fn base(ctx: &RegionCtx<'_>) -> String {
    format!("/regios/{}", ctx.region.code)
}

fn layout(ctx: &RegionCtx<'_>, title: &str, path: &str, notice: Option<Notice>) -> Layout {
    Layout::for_region(title, ctx.user, ctx.region, ctx.access, &format!("{}/{path}", base(ctx))).with_notice(notice)
}

/// The confirmations after a successful form.
fn notice(code: Option<&str>) -> Option<Notice> {
    let text = match code? {
        "voorstel" => "Het voorstel is aangemaakt als concept.",
        "tekst" => "De tekst is opgeslagen.",
        "bijlage" => "De bijlage is toegevoegd.",
        "stap" => "De stap is gezet.",
        "zienswijze" => "Uw zienswijze is ontvangen. U ziet hier wat de regio ermee doet.",
        "reactie" => "De reactie op de zienswijze is opgeslagen.",
        "stem" => "Uw stem is opgeslagen. U kunt hem tot de termijn wijzigen.",
        "vertegenwoordiger" => "De vertegenwoordiger is vastgelegd.",
        "beeindigd" => "De machtiging is beëindigd.",
        "handvest-voorstel" => {
            "Er geldt al een handvest: de wijziging is een voorstel van soort handvest geworden. Het gaat in als \
             het volgens de regel voor het handvest is aangenomen."
        }
        _ => return None,
    };
    Some(Notice { kind: "ok", text: text.into() })
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    gelukt: Option<String>,
}

// ------------------------------------------------------------------------------ the list

pub struct ProposalLine {
    pub href: String,
    pub title: String,
    pub kind: &'static str,
    pub phase: &'static str,
    pub when: String,
}

#[derive(Template)]
#[template(path = "proposals.html")]
struct ProposalsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    awaiting: Vec<(String, String)>,
    /// Running, drafts, decided, withdrawn: each with its heading.
    groups: Vec<(&'static str, Vec<ProposalLine>)>,
    empty: bool,
    form: Option<FormView>,
}

fn line(code: &str, p: &ProposalRow) -> ProposalLine {
    let when = match p.phase() {
        Phase::Consultatie => p.consultation_deadline.map(|d| format!("zienswijzen tot {}", date_time(d))),
        Phase::Stemming => p.vote_deadline.map(|d| format!("stemmen tot {}", date_time(d))),
        Phase::Aangenomen | Phase::Verworpen => {
            p.decided_at.map(|d| format!("besluit {} van {}", p.decision_number.as_deref().unwrap_or(""), date_time(d)))
        }
        _ => Some(format!("bijgewerkt {}", date_time(p.updated_at))),
    };
    ProposalLine {
        href: format!("/regios/{code}/voorstellen/{}", p.id),
        title: p.title.clone(),
        kind: kind_label(&p.kind),
        phase: p.phase().label(),
        when: when.unwrap_or_default(),
    }
}

fn new_proposal_form(ctx: &RegionCtx<'_>, v: &FormPairs) -> FormView {
    FormView::new("nieuw-voorstel", format!("{}/voorstellen", base(ctx)), "Concept aanmaken", ctx.user.csrf())
        .select("soort", "Soort besluit", v.get("soort"), kind_options(), true)
        .hint("De soort bepaalt welke besluitregel van het handvest geldt. Een wijziging van het handvest zelf stelt u op de pagina Handvest op.")
        .field("titel", "Titel", "text", v.get("titel"), true)
        .field("tekst", "Tekst van het voorstel", "textarea", v.get("tekst"), true)
        .done()
}

async fn list_page(
    ctx: &RegionCtx<'_>,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let code = &ctx.region.code;
    let mut page = ProposalsPage {
        layout: layout(ctx, "Voorstellen", "voorstellen", notice),
        subnav: governance_nav(code, ctx.access, "voorstellen"),
        awaiting: crate::governance::awaiting(ctx.state, ctx.region, ctx.access, ctx.user.user.id)
            .await?
            .into_iter()
            .map(|a| (a.text, a.href))
            .collect(),
        groups: vec![
            ("Lopend", Vec::new()),
            ("Concepten", Vec::new()),
            ("Besloten", Vec::new()),
            ("Ingetrokken", Vec::new()),
        ],
        empty: true,
        form: None,
    };
    for p in ctx.state.store.proposals(ctx.region.id).await? {
        let group = match p.phase() {
            Phase::Concept if ctx.access.can_manage_proposals() => 1,
            Phase::Concept => continue,
            Phase::Consultatie | Phase::Reactie | Phase::Stemming => 0,
            Phase::Aangenomen | Phase::Verworpen => 2,
            Phase::Ingetrokken => 3,
        };
        page.groups[group].1.push(line(code, &p));
        page.empty = false;
    }
    page.form = match form {
        Some(f) => Some(f),
        None if ctx.access.can_manage_proposals() => Some(new_proposal_form(ctx, &FormPairs::default())),
        None => None,
    };
    Ok(render(&page, status))
}

pub async fn list(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_proposals() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    list_page(&ctx, None, notice(q.gelukt.as_deref()), StatusCode::OK).await
}

pub async fn create(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_proposals() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match ProposalText::check(form.get("soort"), form.get("titel"), form.get("tekst")) {
        Ok(text) if text.kind == "handvest" => Err(AppError::invalid(Invalid::single(
            "soort",
            "kind",
            "Een wijziging van het handvest stelt u op de pagina Handvest op: daar staat het nieuwe handvest in.",
        ))),
        Ok(text) => {
            state.store.create_proposal(region.id, &text, None, &user.actor("web")).await.map_err(AppError::from)
        }
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(p) => Ok(see_other(&format!("/regios/{}/voorstellen/{}?gelukt=voorstel", region.code, p.id))),
        Err(e) => {
            let invalid = form_problem(e)?;
            let f = new_proposal_form(&ctx, &form).with_errors(&invalid).done();
            list_page(&ctx, Some(f), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ------------------------------------------------------------------------------ one proposal

pub struct InputView {
    pub member: String,
    pub text: String,
    pub by: String,
    pub at: String,
    pub handling: String,
    pub response: String,
    pub own: bool,
    pub form: Option<FormView>,
}

pub struct VoterView {
    pub member: String,
    pub weight: String,
    pub vote: String,
}

pub struct OwnVote {
    pub member: String,
    pub current: String,
    pub form: Option<FormView>,
}

#[derive(Template)]
#[template(path = "proposal.html")]
struct ProposalPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    title: String,
    kind: &'static str,
    phase: &'static str,
    phase_code: &'static str,
    decision_number: String,
    withdrawn_reason: String,
    paragraphs: Vec<String>,
    charter_json: String,
    attachments: Vec<(String, String, String)>,
    timeline: Vec<(&'static str, String)>,
    inputs: Vec<InputView>,
    /// How many inputs of other members stay hidden until the consultation closes.
    hidden_note: String,
    input_form: Option<FormView>,
    rule: String,
    weighted: bool,
    voters: Vec<VoterView>,
    voted: usize,
    own_votes: Vec<OwnVote>,
    secret: bool,
    outcome: Option<(String, Vec<String>)>,
    text_form: Option<FormView>,
    attachment_form: Option<FormView>,
    step_forms: Vec<FormView>,
    step_note: String,
}

/// The forms that failed, to show again with their errors.
#[derive(Default)]
struct Failed {
    text: Option<FormView>,
    attachment: Option<FormView>,
    step: Option<FormView>,
    input: Option<FormView>,
    response: Option<(i64, FormView)>,
    vote: Option<(String, FormView)>,
}

fn text_form(ctx: &RegionCtx<'_>, id: i64, v: &FormPairs, phase: Phase) -> FormView {
    let action = format!("{}/voorstellen/{id}/tekst", base(ctx));
    let mut form = FormView::new("tekst", action, "Tekst opslaan", ctx.user.csrf());
    if phase == Phase::Concept {
        form = form.select("soort", "Soort besluit", v.get("soort"), kind_options(), true);
    } else {
        form = form.field("soort", "", "hidden", v.get("soort"), true);
    }
    form.field("titel", "Titel", "text", v.get("titel"), true)
        .field("tekst", "Tekst van het voorstel", "textarea", v.get("tekst"), true)
        .done()
}

fn attachment_form(ctx: &RegionCtx<'_>, id: i64) -> FormView {
    FormView::new("bijlage", format!("{}/voorstellen/{id}/bijlagen", base(ctx)), "Bijlage toevoegen", ctx.user.csrf())
        .field("bijlage", "Bijlage (hoogstens 10 MB)", "file", "", true)
        .accept("")
        .multipart()
        .done()
}

fn step_form(ctx: &RegionCtx<'_>, id: i64, step: &str, v: &FormPairs) -> FormView {
    let action = format!("{}/voorstellen/{id}/stap", base(ctx));
    let default_deadline = date_time_input(samenspel_store::now() + time::Duration::days(14));
    let deadline = if v.get("termijn").is_empty() { default_deadline } else { v.get("termijn").to_string() };
    let (form_id, submit) = match step {
        "consultatie-openen" => ("stap-consultatie-openen", "Consultatie openen"),
        "consultatie-sluiten" => ("stap-consultatie-sluiten", "Consultatie sluiten"),
        "stemming-openen" => ("stap-stemming-openen", "Stemming openen"),
        "stemming-sluiten" => ("stap-stemming-sluiten", "Stemming sluiten en uitslag vaststellen"),
        _ => ("stap-intrekken", "Voorstel intrekken"),
    };
    let mut form = FormView::new(form_id, action, submit, ctx.user.csrf()).field("stap", "", "hidden", step, true);
    match step {
        "consultatie-openen" => {
            form = form
                .field("termijn", "Zienswijzen tot (datum en tijd)", "datetime-local", &deadline, true)
                .hint("Nederlandse tijd. Alle leden krijgen tot dan de gelegenheid hun zienswijze te geven.")
        }
        "stemming-openen" => {
            form = form
                .field("termijn", "Stemmen tot (datum en tijd)", "datetime-local", &deadline, true)
                .hint("Nederlandse tijd. De besluitregel van het handvest dat vandaag geldt, ligt dan vast.")
        }
        "intrekken" => form = form.field("reden", "Reden van het intrekken", "textarea", v.get("reden"), true),
        _ => {}
    }
    form.done()
}

fn input_form(ctx: &RegionCtx<'_>, id: i64, members: &[(String, String)], v: &FormPairs) -> FormView {
    let mut form = FormView::new(
        "zienswijze",
        format!("{}/voorstellen/{id}/zienswijzen", base(ctx)),
        "Zienswijze indienen",
        ctx.user.csrf(),
    );
    form = match members {
        [(code, _)] => form.field("gemeentecode", "", "hidden", code, true),
        _ => form.select("gemeentecode", "Namens", v.get("gemeentecode"), members.to_vec(), true),
    };
    form.field("tekst", "Uw zienswijze", "textarea", v.get("tekst"), true).done()
}

fn response_form(ctx: &RegionCtx<'_>, id: i64, input_id: i64, v: &FormPairs) -> FormView {
    let options = Handling::ALL.iter().map(|h| (h.code().to_string(), h.label().to_string())).collect();
    let mut options_with_blank = vec![(String::new(), "kies".to_string())];
    options_with_blank.extend::<Vec<_>>(options);
    FormView::new(
        format!("reactie-{input_id}"),
        format!("{}/voorstellen/{id}/zienswijzen/{input_id}/reactie", base(ctx)),
        "Reactie opslaan",
        ctx.user.csrf(),
    )
    .select("verwerking", "Wat de regio ermee doet", v.get("verwerking"), options_with_blank, true)
    .field("reactie", "Reactie en reden", "textarea", v.get("reactie"), false)
    .hint("Verplicht als de zienswijze niet of deels is overgenomen.")
    .done()
}

fn vote_form(ctx: &RegionCtx<'_>, id: i64, member: &str, current: Option<Choice>, v: &FormPairs) -> FormView {
    let mut options = vec![(String::new(), "kies".to_string())];
    options.extend(Choice::ALL.iter().map(|c| (c.code().to_string(), c.label().to_string())));
    let chosen = if v.get("stem").is_empty() { current.map(|c| c.code()).unwrap_or("") } else { v.get("stem") };
    FormView::new(
        format!("stem-{member}"),
        format!("{}/voorstellen/{id}/stem", base(ctx)),
        if current.is_some() { "Stem wijzigen" } else { "Stem uitbrengen" },
        ctx.user.csrf(),
    )
    .field("gemeentecode", "", "hidden", member, true)
    .field("wijzigen", "", "hidden", if current.is_some() { "ja" } else { "" }, false)
    .select("stem", "Uw stem", chosen, options, true)
    .done()
}

fn pairs(items: &[(&str, &str)]) -> FormPairs {
    FormPairs(items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

async fn proposal_page(
    ctx: &RegionCtx<'_>,
    id: i64,
    failed: Failed,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, access, region, user } = *ctx;
    let p = visible_proposal(state, region, access, id).await?;
    let phase = p.phase();
    let now = samenspel_store::now();
    let manage = access.can_manage_proposals();
    let today = samenspel_domain::nl::dutch_date(now);
    let members = crate::risk_sharing::members_in(&state.store, region.id, today.year()).await?;
    let name_of = |code: &str| {
        members
            .iter()
            .find(|m| m.municipality_code == code)
            .map(|m| m.municipality_name.clone())
            .unwrap_or(code.to_string())
    };

    let mut timeline = vec![("Aangemaakt", format!("{} door {}", date_time(p.created_at), p.created_by))];
    if let (Some(opened), Some(deadline)) = (p.consultation_opened_at, p.consultation_deadline) {
        timeline.push(("Consultatie", format!("{} tot {}", date_time(opened), date_time(deadline))));
    }
    if let (Some(opened), Some(deadline)) = (p.vote_opened_at, p.vote_deadline) {
        timeline.push(("Stemming", format!("{} tot {}", date_time(opened), date_time(deadline))));
    }
    if let Some(decided) = p.decided_at {
        timeline.push(("Besloten", date_time(decided)));
    }

    // Inputs: what this user may see, with the region's answer; answer forms in the response phase.
    let mut failed = failed;
    let all_inputs = state.store.inputs(p.id).await?;
    let mut inputs = Vec::new();
    for i in all_inputs.iter().filter(|i| input_visible(access, &p, i)) {
        let own = access.municipalities.iter().any(|m| m.as_str() == i.municipality_code);
        let form = if manage && phase == Phase::Reactie {
            match failed.response.take_if(|(input, _)| *input == i.id) {
                Some((_, f)) => Some(f),
                None => Some(response_form(
                    ctx,
                    p.id,
                    i.id,
                    &pairs(&[
                        ("verwerking", i.handling.as_deref().unwrap_or("")),
                        ("reactie", i.response.as_deref().unwrap_or("")),
                    ]),
                )),
            }
        } else {
            None
        };
        inputs.push(InputView {
            member: i.municipality_name.clone(),
            text: i.body.clone(),
            by: i.submitted_by.clone(),
            at: date_time(i.submitted_at),
            handling: i
                .handling
                .as_deref()
                .and_then(Handling::parse)
                .map(|h| h.label())
                .unwrap_or("nog niet beantwoord")
                .into(),
            response: i.response.clone().unwrap_or_default(),
            own,
            form,
        });
    }
    let hidden_inputs = all_inputs.len() - inputs.len();

    // Input form: the member's staff while the consultation runs.
    let consulting = phase == Phase::Consultatie && p.consultation_deadline.is_some_and(|d| now < d);
    let input_members: Vec<(String, String)> = access
        .municipalities
        .iter()
        .filter(|m| p.consulted().iter().any(|c| c == m.as_str()))
        .map(|m| (m.as_str().to_string(), name_of(m.as_str())))
        .collect();
    let input_form = match failed.input.take() {
        Some(f) => Some(f),
        None if consulting && !input_members.is_empty() => {
            Some(input_form(ctx, p.id, &input_members, &FormPairs::default()))
        }
        None => None,
    };

    // The vote: the voters fixed at opening, with the votes this user may see.
    let votes = state.store.votes(p.id).await?;
    let rule = p.rule();
    let weighted = rule.as_ref().is_some_and(|r| r.weighting != samenspel_domain::governance::Weighting::Lid);
    let voters: Vec<VoterView> = p
        .voters()
        .iter()
        .map(|v| {
            let vote = votes.iter().find(|x| x.municipality_code == v.member);
            let shown = match vote {
                Some(x) if vote_visible(access, &p, x) => x.choice().map(|c| c.label()).unwrap_or("").to_string(),
                Some(_) if phase == Phase::Stemming => "heeft gestemd".into(),
                Some(_) => "gestemd (geheim)".into(),
                None => "niet gestemd".into(),
            };
            VoterView { member: v.name.clone(), weight: samenspel_domain::nl::group_thousands(v.weight), vote: shown }
        })
        .collect();
    let voting = phase == Phase::Stemming && p.vote_deadline.is_some_and(|d| now < d);
    let represented = state.store.represented_by(region.id, user.user.id, today).await?;
    let mut own_votes = Vec::new();
    for m in &access.municipalities {
        if !p.voters().iter().any(|v| v.member == m.as_str()) {
            continue;
        }
        let current = votes.iter().find(|v| v.municipality_code == m.as_str());
        let choice = current.and_then(|v| v.choice());
        let form = if voting && represented.contains(m) {
            match failed.vote.take_if(|(member, _)| member == m.as_str()) {
                Some((_, f)) => Some(f),
                None => Some(vote_form(ctx, p.id, m.as_str(), choice, &FormPairs::default())),
            }
        } else {
            None
        };
        own_votes.push(OwnVote {
            member: name_of(m.as_str()),
            current: match current {
                Some(v) => format!(
                    "{} (door {} op {})",
                    choice.map(|c| c.label()).unwrap_or(""),
                    v.cast_by,
                    date_time(v.cast_at)
                ),
                None => "nog niet gestemd".into(),
            },
            form,
        });
    }

    let outcome = p.outcome().map(|o| (crate::governance::outcome_label(&p).to_string(), o.tally.explanation));

    // The region team's forms for this phase.
    let mut step_forms = Vec::new();
    let mut step_note = String::new();
    let (mut text_form_view, mut attachment_form_view) = (None, None);
    if manage {
        if phase.text_editable() {
            text_form_view = Some(failed.text.take().unwrap_or_else(|| {
                text_form(ctx, p.id, &pairs(&[("soort", &p.kind), ("titel", &p.title), ("tekst", &p.body)]), phase)
            }));
            attachment_form_view = Some(failed.attachment.take().unwrap_or_else(|| attachment_form(ctx, p.id)));
        }
        let failed_step = failed.step.take();
        let mut add = |step: &str| {
            let form_id = format!("stap-{step}");
            match &failed_step {
                Some(f) if f.id == form_id => step_forms.push(f.clone()),
                _ => step_forms.push(step_form(ctx, p.id, step, &FormPairs::default())),
            }
        };
        match phase {
            Phase::Concept => add("consultatie-openen"),
            Phase::Consultatie if consulting => {
                step_note = format!(
                    "De consultatie loopt tot {}; daarna sluit u haar hier.",
                    p.consultation_deadline.map(date_time).unwrap_or_default()
                );
            }
            Phase::Consultatie => add("consultatie-sluiten"),
            Phase::Reactie => add("stemming-openen"),
            Phase::Stemming if voting => {
                step_note = format!(
                    "De stemming loopt tot {}; daarna stelt u hier de uitslag vast.",
                    p.vote_deadline.map(date_time).unwrap_or_default()
                );
            }
            Phase::Stemming => add("stemming-sluiten"),
            _ => {}
        }
        let vote_over = phase == Phase::Stemming && !voting;
        if !phase.finished() && !vote_over {
            add("intrekken");
        }
    }

    // A form that failed but is not shown in this phase or to this user: its reasons on top.
    let leftover: Vec<String> = [
        failed.text.take(),
        failed.attachment.take(),
        failed.step.take(),
        failed.response.take().map(|(_, f)| f),
        failed.vote.take().map(|(_, f)| f),
    ]
    .into_iter()
    .flatten()
    .flat_map(|f| f.errors.into_iter().map(|(_, reason)| reason))
    .collect();
    let notice = if leftover.is_empty() { notice } else { Some(Notice { kind: "error", text: leftover.join(" ") }) };
    let page = ProposalPage {
        layout: layout(ctx, &p.title, "voorstellen", notice),
        subnav: governance_nav(&region.code, access, "voorstellen"),
        title: p.title.clone(),
        kind: kind_label(&p.kind),
        phase: phase.label(),
        phase_code: phase.code(),
        decision_number: p.decision_number.clone().unwrap_or_default(),
        withdrawn_reason: p.withdrawn_reason.clone().unwrap_or_default(),
        paragraphs: p.body.split("\n\n").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
        charter_json: p.charter_document.clone().unwrap_or_default(),
        attachments: state
            .store
            .attachments(p.id)
            .await?
            .into_iter()
            .map(|a| {
                (
                    format!("/regios/{}/voorstellen/{}/bijlagen/{}", region.code, p.id, a.id),
                    a.file_name,
                    format!("{} kB", (a.size_bytes + 1023) / 1024),
                )
            })
            .collect(),
        timeline,
        inputs,
        hidden_note: match hidden_inputs {
            0 => String::new(),
            1 => "Andere leden gaven 1 zienswijze; die is zichtbaar zodra de consultatie is gesloten.".into(),
            n => format!("Andere leden gaven {n} zienswijzen; die zijn zichtbaar zodra de consultatie is gesloten."),
        },
        input_form,
        rule: rule.as_ref().map(super::charter::rule_text).unwrap_or_default(),
        weighted,
        voted: votes.len(),
        voters,
        own_votes,
        secret: p.secret(),
        outcome,
        text_form: text_form_view,
        attachment_form: attachment_form_view,
        step_forms,
        step_note,
    };
    Ok(render(&page, status))
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_proposals() && !access.can_view_decisions() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    proposal_page(&ctx, id, Failed::default(), notice(q.gelukt.as_deref()), StatusCode::OK).await
}

fn done(code: &str, id: i64, what: &str) -> Response {
    see_other(&format!("/regios/{code}/voorstellen/{id}?gelukt={what}"))
}

/// Opens a region page for the region team only; others get 403 (or 404 outside the region).
async fn manager(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
) -> Result<(samenspel_store::regions::RegionRow, RegionAccess), PageError> {
    let (region, access) = region_for(state, user, code).await?;
    if !access.can_manage_proposals() {
        return Err(AppError::forbidden().into());
    }
    Ok((region, access))
}

pub async fn update_text(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = manager(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let p = visible_proposal(&state, &region, &access, id).await?;
    let result = match ProposalText::check(form.get("soort"), form.get("titel"), form.get("tekst")) {
        Ok(text) => {
            state.store.update_proposal_text(region.id, id, &text, &user.actor("web")).await.map_err(AppError::from)
        }
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(_) => Ok(done(&region.code, id, "tekst")),
        Err(e) => {
            let invalid = form_problem(e)?;
            let failed = Failed {
                text: Some(text_form(&ctx, id, &form, p.phase()).with_errors(&invalid).done()),
                ..Failed::default()
            };
            proposal_page(&ctx, id, failed, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The media type an attachment is served with, from its extension; unknown kinds download.
pub fn media_type(file_name: &str) -> &'static str {
    let lower = file_name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

pub async fn upload(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    form: CsrfMultipart,
) -> PageResult {
    let CsrfMultipart { user, files, .. } = form;
    let (region, access) = manager(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    visible_proposal(&state, &region, &access, id).await?;
    let result = match files.get("bijlage") {
        Some(upload) if !upload.file_name.is_empty() => state
            .store
            .add_attachment(
                region.id,
                id,
                &upload.file_name,
                media_type(&upload.file_name),
                &upload.bytes,
                &user.actor("web"),
            )
            .await
            .map_err(AppError::from),
        _ => Err(AppError::invalid(Invalid::single("bijlage", "required", "Kies een bestand."))),
    };
    match result {
        Ok(_) => Ok(done(&region.code, id, "bijlage")),
        Err(e) => {
            let invalid = form_problem(e)?;
            let failed = Failed {
                attachment: Some(attachment_form(&ctx, id).with_errors(&invalid).done()),
                ..Failed::default()
            };
            proposal_page(&ctx, id, failed, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn attachment(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id, attachment_id)): Path<(String, i64, i64)>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    visible_proposal(&state, &region, &access, id).await?;
    let (meta, content) = state.store.attachment_content(id, attachment_id).await?;
    download(&meta.file_name, media_type(&meta.file_name), content)
}

/// A file as a download, never shown inline: an uploaded file cannot run in this site's origin.
pub fn download(file_name: &str, media_type: &str, content: Vec<u8>) -> PageResult {
    Ok(download_response(file_name, media_type, content))
}

pub fn download_response(file_name: &str, media_type: &str, content: Vec<u8>) -> Response {
    let safe: String =
        file_name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
    (
        [
            (header::CONTENT_TYPE, media_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{safe}\"")),
        ],
        content,
    )
        .into_response()
}

pub async fn step(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = manager(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    visible_proposal(&state, &region, &access, id).await?;
    let actor = user.actor("web");
    let min = state.settings.min_deadline;
    let result = match parse_step(form.get("stap"), form.get("termijn")) {
        Ok(Step::Withdraw) => {
            state.store.withdraw_proposal(region.id, id, form.get("reden"), &actor).await.map_err(AppError::from)
        }
        Ok(step) => state.store.proposal_step(region.id, id, step, min, &actor).await.map_err(AppError::from),
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(p) => {
            crate::mail::notify(&state, &region, &p);
            Ok(done(&region.code, id, "stap"))
        }
        Err(e) => {
            let invalid = form_problem(e)?;
            let failed = Failed {
                step: Some(step_form(&ctx, id, form.get("stap"), &form).with_errors(&invalid).done()),
                ..Failed::default()
            };
            proposal_page(&ctx, id, failed, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The member a form acts for, if this user works for it.
fn member_of(access: &RegionAccess, code: &str) -> Result<MunicipalityCode, AppError> {
    match MunicipalityCode::parse(code) {
        Ok(m) if access.can_give_input_for(&m) => Ok(m),
        _ => Err(AppError::forbidden()),
    }
}

pub async fn give_input(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let p = visible_proposal(&state, &region, &access, id).await?;
    let member = member_of(&access, form.get("gemeentecode"))?;
    match state.store.submit_input(region.id, id, &member, form.get("tekst"), &user.actor("web")).await {
        Ok(_) => Ok(done(&region.code, id, "zienswijze")),
        Err(e) => {
            let invalid = form_problem(e.into())?;
            let members: Vec<(String, String)> = access
                .municipalities
                .iter()
                .filter(|m| p.consulted().iter().any(|c| c == m.as_str()))
                .map(|m| {
                    let name = p
                        .voters()
                        .into_iter()
                        .find(|v| v.member == m.as_str())
                        .map(|v| v.name)
                        .unwrap_or_else(|| m.as_str().to_string());
                    (m.as_str().to_string(), name)
                })
                .collect();
            let failed = Failed {
                input: Some(input_form(&ctx, id, &members, &form).with_errors(&invalid).done()),
                ..Failed::default()
            };
            proposal_page(&ctx, id, failed, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn respond(
    State(state): State<AppState>,
    Path((code, id, input_id)): Path<(String, i64, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = manager(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    visible_proposal(&state, &region, &access, id).await?;
    match state
        .store
        .respond_to_input(region.id, id, input_id, form.get("verwerking"), form.get("reactie"), &user.actor("web"))
        .await
    {
        Ok(_) => Ok(done(&region.code, id, "reactie")),
        Err(e) => {
            let invalid = form_problem(e.into())?;
            let failed = Failed {
                response: Some((input_id, response_form(&ctx, id, input_id, &form).with_errors(&invalid).done())),
                ..Failed::default()
            };
            proposal_page(&ctx, id, failed, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn vote(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    visible_proposal(&state, &region, &access, id).await?;
    let member = member_of(&access, form.get("gemeentecode"))?;
    let mode = if form.get("wijzigen") == "ja" { VoteMode::Change } else { VoteMode::Cast };
    let result = match Choice::parse(form.get("stem")) {
        Some(choice) => state
            .store
            .cast_vote(region.id, id, &member, choice, mode, user.user.id, &user.actor("web"))
            .await
            .map_err(AppError::from),
        None => Err(AppError::invalid(Invalid::single("stem", "required", "Kies voor, tegen of onthouding."))),
    };
    match result {
        Ok(_) => Ok(done(&region.code, id, "stem")),
        Err(e) => {
            let invalid = form_problem(e)?;
            let current = state
                .store
                .votes(id)
                .await?
                .into_iter()
                .find(|v| v.municipality_code == member.as_str())
                .and_then(|v| v.choice());
            let f = vote_form(&ctx, id, member.as_str(), current, &form).with_errors(&invalid).done();
            let failed = Failed { vote: Some((member.as_str().to_string(), f)), ..Failed::default() };
            proposal_page(&ctx, id, failed, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ------------------------------------------------------------------------------ decision list

pub struct DecisionView {
    pub href: String,
    pub number: String,
    pub date: String,
    pub kind: &'static str,
    pub title: String,
    pub outcome: &'static str,
    pub counts: String,
    pub explanation: Vec<String>,
    pub inputs: String,
}

#[derive(Template)]
#[template(path = "decisions.html")]
struct DecisionsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    code: String,
    printed: String,
    audit_head: String,
    decisions: Vec<DecisionView>,
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    formaat: Option<String>,
    /// For CSV: `besluiten` (default), `zienswijzen` or `stemmen`.
    deel: Option<String>,
}

pub async fn decisions(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<ExportQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_decisions() {
        return Err(AppError::forbidden().into());
    }
    let rows = crate::governance::decisions(&state, &region).await?;
    match q.formaat.as_deref() {
        Some("csv") => {
            let (part, (header, lines)) = match q.deel.as_deref().unwrap_or("besluiten") {
                "besluiten" => ("besluitenlijst", crate::governance::decisions_csv(&rows)),
                "zienswijzen" => ("zienswijzen", crate::governance::inputs_csv(&state, &access, &rows).await?),
                "stemmen" => ("stemmen", crate::governance::votes_csv(&state, &access, &rows).await?),
                other => {
                    return Err(AppError::invalid(Invalid::single(
                        "deel",
                        "enum",
                        format!("Onbekend deel '{other}'; kies besluiten, zienswijzen of stemmen."),
                    ))
                    .into())
                }
            };
            return Ok(super::production::csv_response(&format!("{part}-{}", region.code), header, lines));
        }
        Some("json") => {
            let record = crate::api::proposals::record(&state, &region, &access, &rows).await?;
            let body = serde_json::to_vec_pretty(&record).map_err(AppError::internal)?;
            return download(&format!("besluitenlijst-{}.json", region.code), "application/json", body);
        }
        Some(other) => {
            return Err(AppError::invalid(Invalid::single(
                "formaat",
                "enum",
                format!("Onbekend formaat '{other}'; kies csv of json."),
            ))
            .into())
        }
        None => {}
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let mut decisions = Vec::new();
    for p in &rows {
        let inputs = state.store.inputs(p.id).await?;
        let tally = p.outcome().map(|o| o.tally);
        decisions.push(DecisionView {
            href: format!("/regios/{}/voorstellen/{}", region.code, p.id),
            number: p.decision_number.clone().unwrap_or_default(),
            date: p.decided_at.map(date_time).unwrap_or_default(),
            kind: kind_label(&p.kind),
            title: p.title.clone(),
            outcome: crate::governance::outcome_label(p),
            counts: tally
                .as_ref()
                .map(|t| {
                    format!(
                        "voor {}, tegen {}, onthouding {}, niet gestemd {}",
                        t.for_.members, t.against.members, t.abstain.members, t.not_voted.members
                    )
                })
                .unwrap_or_default(),
            explanation: tally.map(|t| t.explanation).unwrap_or_default(),
            inputs: if inputs.is_empty() {
                "geen zienswijzen".into()
            } else {
                let count = |h: Handling| inputs.iter().filter(|i| i.handling.as_deref() == Some(h.code())).count();
                format!(
                    "{} zienswijzen: {} overgenomen, {} deels, {} niet",
                    inputs.len(),
                    count(Handling::Overgenomen),
                    count(Handling::Deels),
                    count(Handling::Niet)
                )
            },
        });
    }
    let head = state.store.audit_head().await?.unwrap_or_default();
    let page = DecisionsPage {
        layout: layout(&ctx, "Besluitenlijst", "besluiten", None),
        subnav: governance_nav(&region.code, &access, "besluiten"),
        code: region.code.clone(),
        printed: date_time(samenspel_store::now()),
        audit_head: head,
        decisions,
    };
    Ok(render(&page, StatusCode::OK))
}

// ------------------------------------------------------------------------------ voice

pub struct VoiceLine {
    pub member: String,
    pub heard: String,
    pub joined: String,
    pub lost: String,
    pub pays: String,
    pub warnings: Vec<String>,
    pub years: Vec<(i32, String, String, String)>,
}

#[derive(Template)]
#[template(path = "voice.html")]
struct VoicePage {
    layout: Layout,
    subnav: Vec<NavItem>,
    lines: Vec<VoiceLine>,
    risk_note: String,
    risk_year: String,
}

fn share(p: Option<u32>, part: u32, whole: u32) -> String {
    match p {
        Some(p) => format!("{p} % ({part} van {whole})"),
        None => "geen".into(),
    }
}

pub async fn voice(State(state): State<AppState>, PageUser(user): PageUser, Path(code): Path<String>) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_voice() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let report = crate::governance::voice_report(&state, &region, &access).await?;
    let lines = report
        .members
        .iter()
        .map(|(_, name, v)| {
            let t = &v.total;
            VoiceLine {
                member: name.clone(),
                heard: share(t.heard_percent(), t.adopted + t.partly, t.answered),
                joined: share(t.joined_percent(), t.joined, t.consultations),
                lost: share(t.lost_percent(), t.lost, t.votes),
                pays: v.pays_more_than_alone.map(|c| c.to_string()).unwrap_or_else(|| "onbekend".into()),
                warnings: v.warnings.clone(),
                years: v
                    .by_year
                    .iter()
                    .map(|(y, c)| {
                        (
                            *y,
                            share(c.heard_percent(), c.adopted + c.partly, c.answered),
                            share(c.joined_percent(), c.joined, c.consultations),
                            share(c.lost_percent(), c.lost, c.votes),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let page = VoicePage {
        layout: layout(&ctx, "Inspraak per lid", "inspraak", None),
        subnav: governance_nav(&region.code, &access, "inspraak"),
        lines,
        risk_note: report.risk_note.unwrap_or_default(),
        risk_year: report.risk_year.map(|y| y.to_string()).unwrap_or_default(),
    };
    Ok(render(&page, StatusCode::OK))
}

// ------------------------------------------------------------------------------ representatives

pub struct RepresentativeLine {
    pub member: String,
    pub name: String,
    pub title: String,
    pub period: String,
    pub active: bool,
    pub end_form: Option<FormView>,
}

#[derive(Template)]
#[template(path = "representatives.html")]
struct RepresentativesPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    lines: Vec<RepresentativeLine>,
    form: Option<FormView>,
}

async fn representative_form(ctx: &RegionCtx<'_>, v: &FormPairs) -> Result<FormView, PageError> {
    // Candidates: users with a member role in this region.
    let grants = ctx.state.store.grants_in_region(ctx.region.id).await?;
    let mut users = Vec::new();
    for g in grants.iter().filter(|g| g.role == "gemeente") {
        let Some(member) = &g.municipality_code else { continue };
        let user = ctx.state.store.user(g.user_id).await?;
        let member_name = g.municipality_name.as_deref().unwrap_or(member);
        users.push((
            format!("{}:{member}", g.user_id),
            format!("{} ({}) voor {member_name}", user.display_name, user.login),
        ));
    }
    users.sort_by(|a, b| a.1.cmp(&b.1));
    users.dedup();
    users.insert(0, (String::new(), "kies een gebruiker".to_string()));
    Ok(FormView::new(
        "vertegenwoordiger",
        format!("{}/vertegenwoordigers", base(ctx)),
        "Machtiging vastleggen",
        ctx.user.csrf(),
    )
    .select("gebruiker", "Gebruiker en gemeente", v.get("gebruiker"), users, true)
    .hint("Alleen gebruikers met de rol gemeente kunnen een gemeente vertegenwoordigen.")
    .select(
        "functie",
        "Functie",
        v.get("functie"),
        vec![("wethouder".into(), "wethouder".into()), ("gemachtigde".into(), "gemachtigde".into())],
        true,
    )
    .field("vanaf", "Vanaf", "date", v.get("vanaf"), true)
    .field("tot", "Tot en met", "date", v.get("tot"), false)
    .done())
}

async fn representatives_page(
    ctx: &RegionCtx<'_>,
    form: Option<FormView>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let today = samenspel_store::today();
    let manage = ctx.access.can_manage_representatives();
    let lines = ctx
        .state
        .store
        .representatives(ctx.region.id)
        .await?
        .into_iter()
        .map(|r| {
            let active = r.active_on(today);
            let end_form = (manage && active && r.valid_until.is_none()).then(|| {
                FormView::new(
                    format!("einde-{}", r.id),
                    format!("{}/vertegenwoordigers/{}/einde", base(ctx), r.id),
                    "Machtiging beëindigen",
                    ctx.user.csrf(),
                )
                .field("tot", &format!("Laatste dag van {}", r.display_name), "date", &today.to_string(), true)
                .done()
            });
            RepresentativeLine {
                member: r.municipality_name,
                name: r.display_name,
                title: r.title,
                period: match r.valid_until {
                    Some(u) => format!("{} tot en met {}", show::date(Some(r.valid_from)), show::date(Some(u))),
                    None => format!("vanaf {}", show::date(Some(r.valid_from))),
                },
                active,
                end_form,
            }
        })
        .collect();
    let form = match form {
        Some(f) => Some(f),
        None if manage => Some(representative_form(ctx, &pairs(&[("vanaf", &today.to_string())])).await?),
        None => None,
    };
    let page = RepresentativesPage {
        layout: layout(ctx, "Vertegenwoordigers", "vertegenwoordigers", notice),
        subnav: governance_nav(&ctx.region.code, ctx.access, "vertegenwoordigers"),
        lines,
        form,
    };
    Ok(render(&page, status))
}

pub async fn representatives(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_representatives() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    representatives_page(&ctx, None, notice(q.gelukt.as_deref()), StatusCode::OK).await
}

/// The authorisation the form posted.
pub fn representative_input(f: &FormPairs) -> Result<NewRepresentative, Invalid> {
    let mut invalid = Invalid::new();
    let (user_id, municipality) = match f.get("gebruiker").split_once(':') {
        Some((id, code)) => (id.parse::<i64>().ok(), MunicipalityCode::parse(code).ok()),
        None => (None, None),
    };
    if user_id.is_none() || municipality.is_none() {
        invalid.push("gebruiker", "required", "Kies de gebruiker en de gemeente die hij of zij vertegenwoordigt.");
    }
    let valid_from = match parse_date(f.get("vanaf")) {
        Ok(d) => Some(d),
        Err(e) => {
            invalid.push("vanaf", &e.code, e.reason);
            None
        }
    };
    let valid_until = match f.get("tot").trim() {
        "" => None,
        text => match parse_date(text) {
            Ok(d) => Some(d),
            Err(e) => {
                invalid.push("tot", &e.code, e.reason);
                None
            }
        },
    };
    match (user_id, municipality, valid_from) {
        (Some(user_id), Some(municipality), Some(valid_from)) if invalid.is_empty() => Ok(NewRepresentative {
            municipality,
            user_id,
            title: f.get("functie").trim().to_string(),
            valid_from,
            valid_until,
        }),
        _ => Err(invalid),
    }
}

pub async fn add_representative(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_representatives() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match representative_input(&form) {
        Ok(new) => state.store.add_representative(region.id, &new, &user.actor("web")).await.map_err(AppError::from),
        Err(invalid) => Err(AppError::invalid(invalid)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/vertegenwoordigers?gelukt=vertegenwoordiger", region.code))),
        Err(e) => {
            let invalid = form_problem(e)?;
            let f = representative_form(&ctx, &form).await?.with_errors(&invalid).done();
            representatives_page(&ctx, Some(f), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn end_representative(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_manage_representatives() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match parse_date(form.get("tot")) {
        Ok(day) => state.store.end_representative(region.id, id, day, &user.actor("web")).await.map_err(AppError::from),
        Err(e) => Err(AppError::invalid(Invalid::single("tot", &e.code, e.reason))),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/regios/{}/vertegenwoordigers?gelukt=beeindigd", region.code))),
        Err(e) => {
            let invalid = form_problem(e)?;
            let notice = Notice {
                kind: "error",
                text: invalid.errors.iter().map(|e| e.reason.clone()).collect::<Vec<_>>().join(" "),
            };
            representatives_page(&ctx, None, Some(notice), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
