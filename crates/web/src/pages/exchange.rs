//! Exchange placements in the browser (wisselstage, issue 8): hosts offer places, members and
//! providers register participants with their wishes, the coordinator gets a stable matching,
//! adjusts and confirms it, and participants' lessons are recorded and published.

use super::provider_side::provider_nav;
use super::{render, see_other, show, FormView, Layout, NavItem, Notice, PageError, PageResult, RegionCtx};
use crate::auth::{region_for, PageUser};
use crate::error::AppError;
use crate::exchange::{
    check_adjustment, check_confirmation, describe_moves, generate_participants, may_see_participant,
    own_organisations, partners, propose, rematch,
};
use crate::forms::{CsrfForm, FormPairs};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_domain::exchange::{
    parse_lesson, parse_participant, parse_place, LessonInput, Mode, ParticipantInput, PlaceInput, MAX_WISHES,
};
use samenspel_domain::validation::{optional_text, required_text};
use samenspel_domain::Invalid;
use samenspel_store::exchange::{MatchingChange, RoundState};
use serde::Deserialize;
use std::collections::BTreeMap;

const WISH_FIELDS: [&str; MAX_WISHES] = ["wens1", "wens2", "wens3", "wens4", "wens5"];
/// The wishes the registration form asks; the API takes up to `MAX_WISHES`.
const FORM_WISHES: usize = 3;

#[derive(Deserialize, Default)]
pub struct Gelukt {
    gelukt: Option<String>,
}

fn notice_for(code: Option<&str>) -> Option<Notice> {
    let text = match code? {
        "ronde-aangemaakt" => "De ronde is aangemaakt. Gastheren kunnen nu plekken aanbieden.",
        "plek-aangeboden" => "De plek staat in de ronde.",
        "aangemeld" => "De deelnemer is aangemeld met zijn wensen.",
        "gegenereerd" => "Er zijn gegenereerde deelnemers aangemeld (gemarkeerd als gegenereerd).",
        "aangepast" => "De indeling is aangepast en wacht op bevestiging.",
        "bevestigd" => "De indeling is bevestigd. Deelnemers en gastheren zien hun plek.",
        "les-vastgelegd" => "De lessen zijn vastgelegd. De coördinator kan ze publiceren voor de regio.",
        "les-gepubliceerd" => "De lessen zijn gepubliceerd voor iedereen in de regio.",
        _ => return None,
    };
    Some(Notice { kind: "ok", text: text.to_string() })
}

/// The region and access of a user who must be the exchange coordinator; others get 403.
async fn as_coordinator(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    code: &str,
) -> Result<(samenspel_store::regions::RegionRow, samenspel_domain::access::RegionAccess), PageError> {
    let (region, access) = region_for(state, user, code).await?;
    if !access.can_coordinate_exchange() {
        return Err(AppError::forbidden().into());
    }
    Ok((region, access))
}

fn layout(ctx: &RegionCtx<'_>, title: &str, notice: Option<Notice>) -> Layout {
    Layout::for_region(title, ctx.user, ctx.region, ctx.access, &format!("/regios/{}/wisselstages", ctx.region.code))
        .with_notice(notice)
}

// ------------------------------------------------------------------ the list of rounds

pub struct RoundLine {
    pub id: i64,
    pub title: String,
    pub status: &'static str,
    pub places: usize,
    pub participants: usize,
}

#[derive(Template)]
#[template(path = "exchange_rounds.html")]
struct RoundsPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    subnav_label: &'static str,
    code: String,
    lines: Vec<RoundLine>,
    form: Option<FormView>,
}

async fn rounds_page(ctx: &RegionCtx<'_>, typed: Option<(FormPairs, Invalid)>, status: StatusCode) -> PageResult {
    if !ctx.access.any() {
        return Err(AppError::forbidden().into());
    }
    let mut lines = Vec::new();
    for r in ctx.state.store.exchange_rounds(ctx.region.id).await? {
        let places = ctx.state.store.exchange_places(r.id).await?.iter().filter(|p| !p.is_withdrawn()).count();
        let participants = ctx.state.store.exchange_participants(r.id).await?.len();
        lines.push(RoundLine { id: r.id, status: r.status_label(), title: r.title, places, participants });
    }
    let form = ctx.access.can_coordinate_exchange().then(|| {
        let empty = FormPairs::default();
        let (values, invalid) = match &typed {
            Some((v, i)) => (v, Some(i)),
            None => (&empty, None),
        };
        let f = FormView::new(
            "ronde",
            format!("/regios/{}/wisselstages", ctx.region.code),
            "Ronde aanmaken",
            ctx.user.csrf(),
        )
        .field("titel", "Titel", "text", values.get("titel"), true)
        .field("omschrijving", "Omschrijving", "textarea", values.get("omschrijving"), false)
        .hint("Wat de ronde wil bereiken, en wanneer gastheren en deelnemers zich kunnen melden.");
        match invalid {
            Some(i) => f.with_errors(i).done(),
            None => f.done(),
        }
    });
    let page = RoundsPage {
        layout: layout(ctx, "Wisselstages", None),
        subnav: provider_nav(&ctx.region.code, "wisselstages"),
        subnav_label: "Aanbiedersloket",
        code: ctx.region.code.clone(),
        lines,
        form,
    };
    Ok(render(&page, status))
}

pub async fn rounds(State(state): State<AppState>, PageUser(user): PageUser, Path(code): Path<String>) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    rounds_page(&ctx, None, StatusCode::OK).await
}

pub async fn create_round(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = as_coordinator(&state, &user, &code).await?;
    let mut invalid = Invalid::new();
    let title = invalid.check("titel", required_text(form.get("titel"), 3, 200));
    let description = invalid.check("omschrijving", optional_text(form.get("omschrijving"), 4000));
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    match (title, description) {
        (Some(title), Some(description)) if invalid.is_empty() => {
            let round = state
                .store
                .create_exchange_round(region.id, &title, description.as_deref(), &user.actor("web"))
                .await?;
            Ok(see_other(&format!("/regios/{}/wisselstages/{}?gelukt=ronde-aangemaakt", region.code, round.id)))
        }
        _ => rounds_page(&ctx, Some((form, invalid)), StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

// ------------------------------------------------------------------ one round

pub struct PlaceLine {
    pub id: i64,
    pub theme: String,
    pub description: String,
    pub host: String,
    pub period: String,
    pub mode: &'static str,
    pub capacity: i32,
    /// Participants placed here (after a matching), of the capacity.
    pub placed: usize,
    pub withdrawn: String,
}

pub struct ParticipantLine {
    pub name: String,
    pub job_title: String,
    pub organisation: String,
    pub wishes: String,
    pub place: String,
}

/// A row of the coordinator's adjustment form.
pub struct AdjustLine {
    pub id: i64,
    pub name: String,
    pub organisation: String,
    pub wishes: String,
    /// Place options `(id, label, selected)`; the empty id is "geen plek".
    pub options: Vec<(String, String, bool)>,
    pub error: String,
}

pub struct LessonLine {
    pub id: i64,
    pub heading: String,
    pub learned: String,
    pub surprised: String,
    pub takeaway: String,
    pub tip: String,
    pub recommend: i32,
    pub published: bool,
    pub can_publish: bool,
}

#[derive(Template)]
#[template(path = "exchange_round.html")]
struct RoundPage {
    layout: Layout,
    subnav: Vec<NavItem>,
    subnav_label: &'static str,
    code: String,
    csrf: String,
    id: i64,
    title: String,
    description: String,
    status: String,
    status_label: &'static str,
    places: Vec<PlaceLine>,
    participants: Vec<ParticipantLine>,
    participants_total: usize,
    unplaced: usize,
    coordinator: bool,
    place_form: Option<FormView>,
    withdraw_form: Option<FormView>,
    participant_form: Option<FormView>,
    generate_form: Option<FormView>,
    adjust: Vec<AdjustLine>,
    adjust_errors: Vec<String>,
    warnings: Vec<String>,
    confirm_form: Option<FormView>,
    lesson_form: Option<FormView>,
    lessons: Vec<LessonLine>,
}

/// A form that was refused: which one, what was typed and why.
pub struct Typed {
    form: &'static str,
    values: FormPairs,
    invalid: Invalid,
}

impl Typed {
    fn for_form(typed: &Option<Typed>, form: &str) -> Option<(FormPairs, Invalid)> {
        typed.as_ref().filter(|t| t.form == form).map(|t| (t.values.clone(), t.invalid.clone()))
    }
}

fn finish(f: FormView, typed: Option<(FormPairs, Invalid)>) -> FormView {
    match typed {
        Some((_, invalid)) => f.with_errors(&invalid).done(),
        None => f.done(),
    }
}

async fn round_page(
    ctx: &RegionCtx<'_>,
    id: i64,
    typed: Option<Typed>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    if !access.any() {
        return Err(AppError::forbidden().into());
    }
    let round = state.store.exchange_round(region.id, id).await?;
    let places = state.store.exchange_places(id).await?;
    let participants = state.store.exchange_participants(id).await?;
    let lessons = state.store.exchange_lessons(id).await?;
    let coordinator = access.can_coordinate_exchange();
    let matched = round.status != "aanmelden";
    let base = format!("/regios/{}/wisselstages/{id}", region.code);
    let state_now = RoundState { round: round.clone(), places: places.clone(), participants: participants.clone() };
    let place_label = |pid: i64| crate::exchange::place_name(&state_now, pid);
    let wishes_text = |wishes: Vec<i64>| wishes.into_iter().map(place_label).collect::<Vec<_>>().join("; ");

    let place_lines: Vec<PlaceLine> = places
        .iter()
        .map(|p| PlaceLine {
            id: p.id,
            theme: p.theme.clone(),
            description: p.description.clone().unwrap_or_default(),
            host: p.host_name.clone(),
            period: format!(
                "{} tot en met {}",
                samenspel_domain::nl::date(p.starts_on),
                samenspel_domain::nl::date(p.ends_on)
            ),
            mode: Mode::parse(&p.mode).map(Mode::label).unwrap_or("Op locatie"),
            capacity: p.capacity,
            placed: participants.iter().filter(|q| q.place_id == Some(p.id)).count(),
            withdrawn: match (&p.withdrawn_at, &p.withdrawn_reason) {
                (Some(at), reason) => {
                    format!("Ingetrokken op {}: {}", show::datetime(*at), reason.clone().unwrap_or_default())
                }
                _ => String::new(),
            },
        })
        .collect();
    let visible: Vec<_> = participants.iter().filter(|p| may_see_participant(access, p, &places)).collect();
    let participant_lines = visible
        .iter()
        .map(|p| ParticipantLine {
            name: p.name.clone(),
            job_title: p.job_title.clone(),
            organisation: p.organisation_name.clone(),
            wishes: wishes_text(p.wishes()),
            place: if matched {
                p.place_id.map(place_label).unwrap_or_else(|| "geen plek".into())
            } else {
                "nog niet ingedeeld".into()
            },
        })
        .collect();

    let orgs = own_organisations(state, region, access).await?;
    let open_places: Vec<_> = places.iter().filter(|p| !p.is_withdrawn()).collect();
    let registering = round.status == "aanmelden";
    let place_form = (registering && !orgs.is_empty()).then(|| {
        let t = Typed::for_form(&typed, "plek");
        let v = t.as_ref().map(|(v, _)| v.clone()).unwrap_or_default();
        let modes = Mode::ALL.iter().map(|m| (m.code().to_string(), m.label().to_string())).collect();
        let f = FormView::new("plek", format!("{base}/plekken"), "Plek aanbieden", user.csrf())
            .select("gastheer", "Gastheer", v.get("gastheer"), orgs.clone(), true)
            .field("thema", "Thema", "text", v.get("thema"), true)
            .hint("Waar de deelnemer aan meewerkt, bijvoorbeeld 'Wijkteam en jeugdhulp' of 'Contractmanagement'.")
            .field("omschrijving", "Omschrijving", "textarea", v.get("omschrijving"), false)
            .field("van", "Van", "text", v.get("van"), true)
            .hint("Als dd-mm-jjjj.")
            .field("tot", "Tot en met", "text", v.get("tot"), true)
            .hint("Als dd-mm-jjjj; hoogstens een jaar na de begindatum.")
            .select("vorm", "Vorm", v.get("vorm"), modes, true)
            .field("capaciteit", "Aantal deelnemers", "text", v.get("capaciteit"), true)
            .hint("1 tot en met 50.");
        finish(f, t)
    });
    let withdrawable: Vec<(String, String)> = open_places
        .iter()
        .filter(|p| access.acts_for(&p.host()))
        .map(|p| (p.id.to_string(), format!("{} bij {}", p.theme, p.host_name)))
        .collect();
    let withdraw_form = (!withdrawable.is_empty()).then(|| {
        let t = Typed::for_form(&typed, "intrekken");
        let v = t.as_ref().map(|(v, _)| v.clone()).unwrap_or_default();
        let f = FormView::new("intrekken", format!("{base}/plekken/intrekken"), "Plek intrekken", user.csrf())
            .select("plekId", "Plek", v.get("plekId"), withdrawable, true)
            .field("reden", "Reden", "text", v.get("reden"), true)
            .hint("Deelnemers en de coördinator zien de reden. Na de indeling wordt opnieuw ingedeeld.");
        finish(f, t)
    });
    let participant_form = (registering && !orgs.is_empty() && !open_places.is_empty()).then(|| {
        let t = Typed::for_form(&typed, "deelnemer");
        let v = t.as_ref().map(|(v, _)| v.clone()).unwrap_or_default();
        let mut options = vec![(String::new(), "geen keuze".to_string())];
        options.extend(open_places.iter().map(|p| (p.id.to_string(), format!("{} bij {}", p.theme, p.host_name))));
        let mut f = FormView::new("deelnemer", format!("{base}/deelnemers"), "Deelnemer aanmelden", user.csrf())
            .field("naam", "Naam", "text", v.get("naam"), true)
            .autocomplete("off")
            .field("functie", "Functie", "text", v.get("functie"), true)
            .select("organisatie", "Organisatie", v.get("organisatie"), orgs.clone(), true);
        for (i, name) in WISH_FIELDS.iter().take(FORM_WISHES).enumerate() {
            let label = match i {
                0 => "Eerste keus",
                1 => "Tweede keus",
                _ => "Derde keus",
            };
            f = f.select(name, label, v.get(name), options.clone(), i == 0);
        }
        let f = f.hint("Gemeentemedewerkers gaan naar een aanbieder, medewerkers van aanbieders naar een gemeente.");
        finish(f, t)
    });
    let generate_form = (coordinator && registering && !open_places.is_empty()).then(|| {
        let t = Typed::for_form(&typed, "genereren");
        let v = t.as_ref().map(|(v, _)| v.get("aantal").to_string()).unwrap_or_else(|| "12".into());
        let f = FormView::new("genereren", format!("{base}/genereren"), "Deelnemers genereren", user.csrf())
            .field("aantal", "Aantal", "text", &v, true)
            .hint(
                "Voor een demonstratie: verzonnen deelnemers met wensen, gemarkeerd als gegenereerd. 1 tot en met 200.",
            );
        finish(f, t)
    });

    // The coordinator's adjustment and confirmation.
    let partners_now = if coordinator && matched { Some(partners(state, region).await?) } else { None };
    let adjust_typed = typed.as_ref().filter(|t| t.form == "indeling");
    let mut adjust = Vec::new();
    let mut adjust_errors = Vec::new();
    let mut warnings = Vec::new();
    if let Some(partners_now) = &partners_now {
        for p in &participants {
            let field = format!("plek{}", p.id);
            let chosen = match adjust_typed {
                Some(t) => t.values.get(&field).to_string(),
                None => p.place_id.map(|id| id.to_string()).unwrap_or_default(),
            };
            let org = p.organisation();
            let mut options = vec![(String::new(), "geen plek".to_string(), chosen.is_empty())];
            for pl in open_places.iter().filter(|pl| org.may_visit(&pl.host())) {
                let value = pl.id.to_string();
                let selected = value == chosen;
                options.push((value, format!("{} bij {}", pl.theme, pl.host_name), selected));
            }
            let error = adjust_typed
                .and_then(|t| t.invalid.errors.iter().find(|e| e.name == field))
                .map(|e| e.reason.clone())
                .unwrap_or_default();
            adjust.push(AdjustLine {
                id: p.id,
                name: p.name.clone(),
                organisation: p.organisation_name.clone(),
                wishes: wishes_text(p.wishes()),
                options,
                error,
            });
        }
        if let Some(t) = adjust_typed {
            adjust_errors = t.invalid.errors.iter().map(|e| e.reason.clone()).collect();
        }
        warnings =
            check_adjustment(&state_now, partners_now, &state_now.assignment()).unwrap_or_else(|e| vec![e.to_string()]);
    }
    let confirm_form = (coordinator && round.status == "voorstel").then(|| {
        let t = Typed::for_form(&typed, "bevestigen");
        let mut f = FormView::new("bevestigen", format!("{base}/bevestigen"), "Indeling bevestigen", user.csrf());
        if !warnings.is_empty() {
            f = f.field("ondanks", "Bevestig ondanks de instabiele paren hierboven", "checkbox", "", false);
        }
        finish(f, t)
    });

    // Lessons: published ones for everyone; others for the coordinator and the own organisation.
    let mut lesson_lines = Vec::new();
    for l in &lessons {
        let Some(p) = participants.iter().find(|p| p.id == l.participant_id) else { continue };
        let own = access.acts_for(&p.organisation());
        let published = l.published_at.is_some();
        if !(published || own || coordinator) {
            continue;
        }
        let at = p.place_id.map(place_label).unwrap_or_default();
        // Published lessons speak for the organisation, not the person.
        let heading = if published && !own && !coordinator {
            format!("Een medewerker van {} over {at}", p.organisation_name)
        } else {
            format!("{} ({}) over {at}", p.name, p.organisation_name)
        };
        lesson_lines.push(LessonLine {
            id: l.id,
            heading,
            learned: l.learned.clone(),
            surprised: l.surprised.clone().unwrap_or_default(),
            takeaway: l.takeaway.clone(),
            tip: l.tip_for_region.clone().unwrap_or_default(),
            recommend: l.recommend,
            published,
            can_publish: coordinator && !published,
        });
    }
    let recordable: Vec<(String, String)> = participants
        .iter()
        .filter(|p| p.place_id.is_some() && access.acts_for(&p.organisation()))
        .filter(|p| !lessons.iter().any(|l| l.participant_id == p.id && l.published_at.is_some()))
        .map(|p| (p.id.to_string(), format!("{} ({})", p.name, p.organisation_name)))
        .collect();
    let lesson_form = (round.status == "bevestigd" && !recordable.is_empty()).then(|| {
        let t = Typed::for_form(&typed, "les");
        let v = t.as_ref().map(|(v, _)| v.clone()).unwrap_or_default();
        let scale = (1..=5)
            .map(|i| {
                let label = match i {
                    1 => "1 – nee",
                    2 => "2",
                    3 => "3",
                    4 => "4",
                    _ => "5 – zeker",
                };
                (i.to_string(), label.to_string())
            })
            .collect();
        let f = FormView::new("les", format!("{base}/lessen"), "Lessen vastleggen", user.csrf())
            .select("deelnemerId", "Deelnemer", v.get("deelnemerId"), recordable, true)
            .field("geleerd", "Wat heb je geleerd over het werk van de ander?", "textarea", v.get("geleerd"), true)
            .field("verrast", "Wat verraste je?", "text", v.get("verrast"), false)
            .field("meenemen", "Wat neem je mee naar je eigen werk?", "textarea", v.get("meenemen"), true)
            .field("tip", "Tip voor de regio", "text", v.get("tip"), false)
            .select("aanrader", "Zou je een collega een wisselstage aanraden?", v.get("aanrader"), scale, true);
        finish(f, t)
    });

    let page = RoundPage {
        layout: layout(ctx, &round.title, notice),
        subnav: provider_nav(&region.code, "wisselstages"),
        subnav_label: "Aanbiedersloket",
        code: region.code.clone(),
        csrf: user.csrf().to_string(),
        id,
        title: round.title.clone(),
        description: round.description.clone().unwrap_or_default(),
        status: round.status.clone(),
        status_label: round.status_label(),
        places: place_lines,
        participants_total: participants.len(),
        unplaced: if matched { participants.iter().filter(|p| p.place_id.is_none()).count() } else { 0 },
        participants: participant_lines,
        coordinator,
        place_form,
        withdraw_form,
        participant_form,
        generate_form,
        adjust,
        adjust_errors,
        warnings,
        confirm_form,
        lesson_form,
        lessons: lesson_lines,
    };
    Ok(render(&page, status))
}

pub async fn round(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<Gelukt>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    round_page(&ctx, id, None, notice_for(q.gelukt.as_deref()), StatusCode::OK).await
}

/// The outcome of a form post: back to the round with a notice, the page with a message (200),
/// or the page with the typed form and its problems (422).
async fn answer(
    ctx: &RegionCtx<'_>,
    id: i64,
    form: &'static str,
    values: FormPairs,
    result: Result<Outcome, AppError>,
) -> PageResult {
    match result {
        Ok(Outcome::Redirect(code)) => {
            Ok(see_other(&format!("/regios/{}/wisselstages/{id}?gelukt={code}", ctx.region.code)))
        }
        Ok(Outcome::Message(notice)) => round_page(ctx, id, None, Some(notice), StatusCode::OK).await,
        // A conflict is about the round, not the input (it moved on, or the place is gone):
        // say so at the top, since the form may no longer be on the page.
        Err(e) if e.status == StatusCode::CONFLICT => {
            round_page(ctx, id, None, Some(Notice { kind: "error", text: e.detail }), StatusCode::CONFLICT).await
        }
        Err(e) => {
            let invalid = super::form_problem(e)?;
            round_page(ctx, id, Some(Typed { form, values, invalid }), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

enum Outcome {
    Redirect(&'static str),
    Message(Notice),
}

pub async fn offer_place(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let input = PlaceInput {
        host: form.get("gastheer").into(),
        theme: form.get("thema").into(),
        description: form.get("omschrijving").into(),
        starts_on: form.get("van").into(),
        ends_on: form.get("tot").into(),
        mode: form.get("vorm").into(),
        capacity: form.get("capaciteit").into(),
    };
    let result = async {
        let place = parse_place(&input).map_err(AppError::invalid)?;
        if !access.acts_for(&place.host) {
            return Err(AppError::forbidden());
        }
        state.store.add_exchange_place(region.id, id, &place, &user.actor("web")).await?;
        Ok(Outcome::Redirect("plek-aangeboden"))
    }
    .await;
    answer(&ctx, id, "plek", form, result).await
}

pub async fn withdraw_place(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = async {
        let place_id: i64 = form
            .get("plekId")
            .parse()
            .map_err(|_| AppError::invalid(Invalid::single("plekId", "required", "Kies een plek.")))?;
        let place = state.store.exchange_places(id).await?.into_iter().find(|p| p.id == place_id).ok_or_else(|| {
            AppError::invalid(Invalid::single("plekId", "unknown", "Deze plek hoort niet bij de ronde."))
        })?;
        if !access.acts_for(&place.host()) {
            return Err(AppError::forbidden());
        }
        let reason = required_text(form.get("reden"), 3, 500).map_err(|e| {
            AppError::invalid(Invalid {
                errors: vec![samenspel_domain::validation::FieldError { name: "reden".into(), ..e }],
            })
        })?;
        let partners_now = partners(&state, &region).await?;
        let moved = state
            .store
            .withdraw_exchange_place(
                region.id,
                id,
                place_id,
                &reason,
                |s| rematch(s, &partners_now),
                &user.actor("web"),
            )
            .await?;
        let after = state.store.exchange_participants(id).await?;
        let round = state.store.exchange_round(region.id, id).await?;
        let places = state.store.exchange_places(id).await?;
        let view = RoundState { round, places, participants: after };
        let mut text = format!("De plek '{}' is ingetrokken.", place.theme);
        if view.round.status == "aanmelden" {
            text.push_str(" Deelnemers die haar wensten, worden bij de indeling op hun andere wensen ingedeeld.");
        } else if moved.moved.is_empty() {
            text.push_str(" Er is opnieuw ingedeeld; niemand hoefde te verhuizen. De indeling wacht op bevestiging.");
        } else {
            text.push_str(" Er is opnieuw ingedeeld; de indeling wacht weer op bevestiging. ");
            // Only the moves of participants this user may see are named; the rest are counted.
            let visible: Vec<_> = moved
                .moved
                .iter()
                .filter(|(p, _, _)| {
                    view.participants.iter().any(|q| q.id == *p && may_see_participant(&access, q, &view.places))
                })
                .copied()
                .collect();
            text.push_str(&describe_moves(&view, &visible).join(" "));
            let hidden = moved.moved.len() - visible.len();
            if hidden > 0 {
                text.push_str(&format!(" Ook {hidden} deelnemer(s) van andere organisaties kregen een andere plek."));
            }
        }
        Ok(Outcome::Message(Notice { kind: "info", text }))
    }
    .await;
    answer(&ctx, id, "intrekken", form, result).await
}

pub async fn register(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let input = ParticipantInput {
        name: form.get("naam").into(),
        job_title: form.get("functie").into(),
        organisation: form.get("organisatie").into(),
        wishes: WISH_FIELDS.iter().map(|w| form.get(w).to_string()).collect(),
    };
    let result = async {
        let participant = parse_participant(&input).map_err(AppError::invalid)?;
        if !access.acts_for(&participant.organisation) {
            return Err(AppError::forbidden());
        }
        state.store.register_exchange_participants(region.id, id, &[participant], &user.actor("web")).await?;
        Ok(Outcome::Redirect("aangemeld"))
    }
    .await;
    answer(&ctx, id, "deelnemer", form, result).await
}

pub async fn generate(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = as_coordinator(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = async {
        let count = match form.get("aantal").trim().parse::<usize>() {
            Ok(n) if (1..=200).contains(&n) => n,
            _ => {
                return Err(AppError::invalid(Invalid::single("aantal", "range", "Kies 1 tot en met 200 deelnemers.")))
            }
        };
        // A different seed per round, so two demo rounds do not look alike.
        generate_participants(&state, &region, id, count, id as u64, &user.actor("web")).await?;
        Ok(Outcome::Redirect("gegenereerd"))
    }
    .await;
    answer(&ctx, id, "genereren", form, result).await
}

pub async fn propose_matching(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = as_coordinator(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = async {
        let partners_now = partners(&state, &region).await?;
        state
            .store
            .set_exchange_matching(region.id, id, MatchingChange::Propose, |s| propose(s, &partners_now), &user.actor("web"))
            .await?;
        let participants = state.store.exchange_participants(id).await?;
        let placed = participants.iter().filter(|p| p.place_id.is_some()).count();
        let mut text = format!(
            "Samenspel stelt een stabiele indeling voor: {placed} van de {} deelnemers hebben een plek.",
            participants.len()
        );
        if placed < participants.len() {
            text.push_str(
                " De anderen passen niet: hun gewenste plekken zijn vol met deelnemers die de gastheer eerder aanneemt. \
                 Bied zo nodig meer plekken aan of pas de indeling aan.",
            );
        }
        text.push_str(" Controleer de indeling en bevestig haar.");
        Ok(Outcome::Message(Notice { kind: "ok", text }))
    }
    .await;
    answer(&ctx, id, "voorstel", form, result).await
}

pub async fn adjust(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = as_coordinator(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let mut assignment = BTreeMap::new();
    let mut invalid = Invalid::new();
    for (name, value) in &form.0 {
        let Some(participant) = name.strip_prefix("plek").and_then(|p| p.parse::<i64>().ok()) else { continue };
        if value.is_empty() {
            continue;
        }
        match value.parse::<i64>() {
            Ok(place) => {
                assignment.insert(participant, place);
            }
            Err(_) => invalid.push(name, "unknown", "Kies een plek uit de lijst."),
        }
    }
    let result = async {
        if !invalid.is_empty() {
            return Err(AppError::invalid(invalid));
        }
        let partners_now = partners(&state, &region).await?;
        state
            .store
            .set_exchange_matching(
                region.id,
                id,
                MatchingChange::Adjust,
                |s| {
                    check_adjustment(s, &partners_now, &assignment)?;
                    Ok(assignment.clone())
                },
                &user.actor("web"),
            )
            .await?;
        Ok(Outcome::Redirect("aangepast"))
    }
    .await;
    answer(&ctx, id, "indeling", form, result).await
}

pub async fn confirm(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = as_coordinator(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = async {
        let partners_now = partners(&state, &region).await?;
        let accept = form.flag("ondanks");
        state
            .store
            .confirm_exchange_matching(
                region.id,
                id,
                |s| check_confirmation(s, &partners_now, accept),
                &user.actor("web"),
            )
            .await?;
        Ok(Outcome::Redirect("bevestigd"))
    }
    .await;
    answer(&ctx, id, "bevestigen", form, result).await
}

pub async fn record_lesson(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let input = LessonInput {
        learned: form.get("geleerd").into(),
        surprised: form.get("verrast").into(),
        takeaway: form.get("meenemen").into(),
        tip: form.get("tip").into(),
        recommend: form.get("aanrader").into(),
    };
    let result = async {
        let participant_id: i64 = form
            .get("deelnemerId")
            .parse()
            .map_err(|_| AppError::invalid(Invalid::single("deelnemerId", "required", "Kies de deelnemer.")))?;
        let participant =
            state.store.exchange_participants(id).await?.into_iter().find(|p| p.id == participant_id).ok_or_else(
                || AppError::invalid(Invalid::single("deelnemerId", "unknown", "Kies een deelnemer uit de lijst.")),
            )?;
        if !access.acts_for(&participant.organisation()) {
            return Err(AppError::forbidden());
        }
        let lesson = parse_lesson(&input).map_err(AppError::invalid)?;
        state.store.record_exchange_lesson(region.id, id, participant_id, &lesson, &user.actor("web")).await?;
        Ok(Outcome::Redirect("les-vastgelegd"))
    }
    .await;
    answer(&ctx, id, "les", form, result).await
}

pub async fn publish_lesson(
    State(state): State<AppState>,
    Path((code, id, lesson)): Path<(String, i64, i64)>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = as_coordinator(&state, &user, &code).await?;
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = state
        .store
        .publish_exchange_lesson(region.id, id, lesson, &user.actor("web"))
        .await
        .map(|_| Outcome::Redirect("les-gepubliceerd"))
        .map_err(AppError::from);
    answer(&ctx, id, "publiceren", form, result).await
}
