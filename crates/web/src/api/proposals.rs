//! Governance through the API: `voorstellen` (with their steps and `zienswijzen`), `stemmingen`
//! (a proposal's vote: state, cast, change), `besluiten` (the decision list), `inspraak` (the
//! voice indicators) and `vertegenwoordigers`. The same rules as the pages: drafts only for the
//! region team, a member's own input and vote always, others' votes only after an open vote.

use super::json::ApiJson;
use super::pagination::{single_page, PageQuery, PageResponse};
use super::timestamp;
use crate::auth::{region_for, ApiUser};
use crate::error::{AppError, AppResult, Problem};
use crate::governance::{input_visible, parse_step, visible_proposal, vote_visible};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use samenspel_domain::access::RegionAccess;
use samenspel_domain::charter::Charter;
use samenspel_domain::nl::parse_date;
use samenspel_domain::proposal::{Choice, ProposalText, Step};
use samenspel_domain::{Invalid, MunicipalityCode};
use samenspel_store::proposals::{InputRow, NewRepresentative, ProposalRow, RepresentativeRow, VoteMode};
use samenspel_store::regions::RegionRow;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stemgerechtigde {
    pub gemeentecode: String,
    pub naam: String,
    /// The weight under the rule (1 for one member one vote).
    pub gewicht: u64,
    /// `voor`, `tegen`, `onthouding`; absent when not voted or not visible to this user.
    pub stem: Option<String>,
    pub gestemd: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Uitkomst {
    pub aangenomen: bool,
    /// `aangenomen`, `verworpen`, `geen-quorum` (no decision) or `veto`.
    pub uitslag: String,
    pub voor: u64,
    pub tegen: u64,
    pub onthouding: u64,
    pub niet_gestemd: u64,
    /// The arithmetic in Dutch: who voted what, weights, thresholds, quorum.
    pub toelichting: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Voorstel {
    pub id: i64,
    pub soort: String,
    pub titel: String,
    pub tekst: String,
    /// `concept`, `consultatie`, `reactie`, `stemming`, `aangenomen`, `verworpen`, `ingetrokken`.
    pub fase: String,
    pub besluitnummer: Option<String>,
    #[schema(format = DateTime)]
    pub aangemaakt_op: String,
    pub aangemaakt_door: String,
    #[schema(format = DateTime)]
    pub zienswijzen_tot: Option<String>,
    #[schema(format = DateTime)]
    pub stemmen_tot: Option<String>,
    #[schema(format = DateTime)]
    pub besloten_op: Option<String>,
    /// The charter version whose rule applies (fixed when voting opened).
    pub handvestversie: Option<i32>,
    /// The rule as the charter states it.
    #[schema(value_type = Option<Object>)]
    pub besluitregel: Option<serde_json::Value>,
    pub geheim: bool,
    /// For a charter change: the proposed charter.
    #[schema(value_type = Option<Object>)]
    pub handvest: Option<serde_json::Value>,
    #[schema(format = Date)]
    pub handvest_geldig_vanaf: Option<String>,
    pub reden_intrekken: Option<String>,
    pub uitkomst: Option<Uitkomst>,
    /// The attachments (on a single proposal; absent in lists).
    pub bijlagen: Option<Vec<Bijlage>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bijlage {
    pub id: i64,
    pub bestandsnaam: String,
    pub bytes: i64,
    pub sha256: String,
    pub toegevoegd_door: String,
    #[schema(format = DateTime)]
    pub toegevoegd_op: String,
}

fn bijlage(a: samenspel_store::proposals::AttachmentRow) -> Bijlage {
    Bijlage {
        id: a.id,
        bestandsnaam: a.file_name,
        bytes: a.size_bytes,
        sha256: a.sha256,
        toegevoegd_door: a.uploaded_by,
        toegevoegd_op: timestamp(a.uploaded_at),
    }
}

pub fn voorstel(p: &ProposalRow) -> Voorstel {
    Voorstel {
        id: p.id,
        soort: p.kind.clone(),
        titel: p.title.clone(),
        tekst: p.body.clone(),
        fase: p.phase.clone(),
        besluitnummer: p.decision_number.clone(),
        aangemaakt_op: timestamp(p.created_at),
        aangemaakt_door: p.created_by.clone(),
        zienswijzen_tot: p.consultation_deadline.map(timestamp),
        stemmen_tot: p.vote_deadline.map(timestamp),
        besloten_op: p.decided_at.map(timestamp),
        handvestversie: p.charter_version,
        besluitregel: p.rule.as_deref().and_then(|r| serde_json::from_str(r).ok()),
        geheim: p.secret(),
        handvest: p.charter_document.as_deref().and_then(|d| serde_json::from_str(d).ok()),
        handvest_geldig_vanaf: p.charter_valid_from.map(|d| d.to_string()),
        reden_intrekken: p.withdrawn_reason.clone(),
        uitkomst: p.outcome().map(|o| Uitkomst {
            aangenomen: o.adopted,
            uitslag: match &o.tally.outcome {
                samenspel_calc::voting::Outcome::Adopted => "aangenomen",
                samenspel_calc::voting::Outcome::Rejected => "verworpen",
                samenspel_calc::voting::Outcome::NoQuorum => "geen-quorum",
                samenspel_calc::voting::Outcome::Vetoed(_) => "veto",
            }
            .to_string(),
            voor: o.tally.for_.members,
            tegen: o.tally.against.members,
            onthouding: o.tally.abstain.members,
            niet_gestemd: o.tally.not_voted.members,
            toelichting: o.tally.explanation,
        }),
        bijlagen: None,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Zienswijze {
    pub id: i64,
    pub voorstel_id: i64,
    pub gemeentecode: String,
    pub gemeente: String,
    pub tekst: String,
    pub ingediend_door: String,
    #[schema(format = DateTime)]
    pub ingediend_op: String,
    /// `overgenomen`, `deels`, `niet`; absent until the region answered.
    pub verwerking: Option<String>,
    pub reactie: Option<String>,
    #[schema(format = DateTime)]
    pub beantwoord_op: Option<String>,
}

fn zienswijze(i: InputRow) -> Zienswijze {
    Zienswijze {
        id: i.id,
        voorstel_id: i.proposal_id,
        gemeentecode: i.municipality_code,
        gemeente: i.municipality_name,
        tekst: i.body,
        ingediend_door: i.submitted_by,
        ingediend_op: timestamp(i.submitted_at),
        verwerking: i.handling,
        reactie: i.response,
        beantwoord_op: i.responded_at.map(timestamp),
    }
}

/// A proposal's vote as this user may see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stemming {
    pub voorstel_id: i64,
    pub fase: String,
    #[schema(format = DateTime)]
    pub stemmen_tot: Option<String>,
    pub geheim: bool,
    pub uitgebracht: usize,
    pub stemgerechtigden: Vec<Stemgerechtigde>,
    pub uitkomst: Option<Uitkomst>,
}

async fn stemming(state: &AppState, access: &RegionAccess, p: &ProposalRow) -> AppResult<Stemming> {
    let votes = state.store.votes(p.id).await?;
    Ok(Stemming {
        voorstel_id: p.id,
        fase: p.phase.clone(),
        stemmen_tot: p.vote_deadline.map(timestamp),
        geheim: p.secret(),
        uitgebracht: votes.len(),
        stemgerechtigden: p
            .voters()
            .into_iter()
            .map(|v| {
                let vote = votes.iter().find(|x| x.municipality_code == v.member);
                Stemgerechtigde {
                    stem: vote.filter(|x| vote_visible(access, p, x)).map(|x| x.choice.clone()),
                    gestemd: vote.is_some(),
                    gemeentecode: v.member,
                    naam: v.name,
                    gewicht: v.weight,
                }
            })
            .collect(),
        uitkomst: voorstel(p).uitkomst,
    })
}

/// The whole record of the decisions for the members' councils: each decision with its inputs
/// and answers and the votes this user may see.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Besluit {
    pub voorstel: Voorstel,
    pub zienswijzen: Vec<Zienswijze>,
    pub stemming: Stemming,
}

pub async fn record(
    state: &AppState,
    _region: &RegionRow,
    access: &RegionAccess,
    rows: &[ProposalRow],
) -> AppResult<Vec<Besluit>> {
    let mut out = Vec::new();
    for p in rows {
        let inputs = state.store.inputs(p.id).await?;
        out.push(Besluit {
            voorstel: voorstel(p),
            zienswijzen: inputs.into_iter().filter(|i| input_visible(access, p, i)).map(zienswijze).collect(),
            stemming: stemming(state, access, p).await?,
        });
    }
    Ok(out)
}

fn forbidden_unless(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

#[utoipa::path(get, path = "/regios/{code}/voorstellen", tag = "bestuur", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Voorstel>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(page): Query<PageQuery>,
) -> AppResult<PageResponse<Voorstel>> {
    let request = page.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    forbidden_unless(access.can_view_proposals())?;
    let items = state
        .store
        .proposals(region.id)
        .await?
        .iter()
        .filter(|p| access.can_manage_proposals() || p.phase().visible_to_members())
        .map(voorstel)
        .collect();
    Ok(single_page(items, request, &uri))
}

/// A new proposal (a draft).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct VoorstelInvoer {
    pub soort: Option<String>,
    pub titel: Option<String>,
    pub tekst: Option<String>,
    /// For `soort` `handvest`: the proposed charter (docs/bestuur.md).
    #[schema(value_type = Option<Object>)]
    pub handvest: Option<serde_json::Value>,
    #[schema(format = Date)]
    pub handvest_geldig_vanaf: Option<String>,
}

type ProposalInput = (ProposalText, Option<(Charter, time::Date)>);

fn proposal_input(b: &VoorstelInvoer) -> Result<ProposalInput, Invalid> {
    let text = ProposalText::check(
        b.soort.as_deref().unwrap_or(""),
        b.titel.as_deref().unwrap_or(""),
        b.tekst.as_deref().unwrap_or(""),
    );
    let mut invalid = match &text {
        Ok(_) => Invalid::new(),
        Err(i) => i.clone(),
    };
    let charter = match &b.handvest {
        None => None,
        Some(value) => match serde_json::from_value::<Charter>(value.clone()) {
            Ok(c) => {
                let day = match b.handvest_geldig_vanaf.as_deref().map(parse_date) {
                    Some(Ok(d)) => Some(d),
                    Some(Err(e)) => {
                        invalid.push("handvestGeldigVanaf", &e.code, e.reason);
                        None
                    }
                    None => {
                        invalid.push(
                            "handvestGeldigVanaf",
                            "required",
                            "Geef de dag waarop het nieuwe handvest ingaat.",
                        );
                        None
                    }
                };
                day.map(|d| (c, d))
            }
            Err(e) => {
                invalid.push("handvest", "json", format!("Het handvest is onleesbaar: {e}"));
                None
            }
        },
    };
    match text {
        Ok(t) if invalid.is_empty() => Ok((t, charter)),
        _ => Err(invalid),
    }
}

#[utoipa::path(post, path = "/regios/{code}/voorstellen", tag = "bestuur", params(("code" = String, Path)),
    request_body = VoorstelInvoer,
    responses((status = 201, body = Voorstel),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<VoorstelInvoer>,
) -> AppResult<(StatusCode, Json<Voorstel>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    forbidden_unless(access.can_manage_proposals())?;
    let (text, charter) = body.check(proposal_input)?;
    let row = state
        .store
        .create_proposal(region.id, &text, charter.as_ref().map(|(c, d)| (c, *d)), &user.actor("api"))
        .await?;
    Ok((StatusCode::CREATED, Json(voorstel(&row))))
}

#[utoipa::path(get, path = "/regios/{code}/voorstellen/{id}", tag = "bestuur",
    params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Voorstel), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Voorstel>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let p = visible_proposal(&state, &region, &access, id).await?;
    let mut out = voorstel(&p);
    out.bijlagen = Some(state.store.attachments(p.id).await?.into_iter().map(bijlage).collect());
    Ok(Json(out))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BijlageQuery {
    /// The file's name, as it will be downloaded.
    pub bestandsnaam: Option<String>,
}

#[utoipa::path(post, path = "/regios/{code}/voorstellen/{id}/bijlagen", tag = "bestuur",
    params(("code" = String, Path), ("id" = i64, Path), BijlageQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "De inhoud van het bestand (hoogstens 10 MB)"),
    responses((status = 201, body = Bijlage),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn add_attachment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<BijlageQuery>,
    body: axum::body::Bytes,
) -> AppResult<(StatusCode, Json<Bijlage>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    forbidden_unless(access.can_manage_proposals())?;
    visible_proposal(&state, &region, &access, id).await?;
    let name = q.bestandsnaam.unwrap_or_default();
    let media_type = crate::pages::attachment_media_type(&name);
    let row = state.store.add_attachment(region.id, id, &name, media_type, &body, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(bijlage(row))))
}

#[utoipa::path(get, path = "/regios/{code}/voorstellen/{id}/bijlagen/{bijlage}", tag = "bestuur",
    params(("code" = String, Path), ("id" = i64, Path), ("bijlage" = i64, Path)),
    responses((status = 200, description = "Het bestand, als download", content_type = "application/octet-stream"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn attachment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id, attachment_id)): Path<(String, i64, i64)>,
) -> AppResult<axum::response::Response> {
    let (region, access) = region_for(&state, &user, &code).await?;
    visible_proposal(&state, &region, &access, id).await?;
    let (meta, content) = state.store.attachment_content(id, attachment_id).await?;
    Ok(crate::pages::download_response(&meta.file_name, crate::pages::attachment_media_type(&meta.file_name), content))
}

#[utoipa::path(put, path = "/regios/{code}/voorstellen/{id}", tag = "bestuur",
    params(("code" = String, Path), ("id" = i64, Path)), request_body = VoorstelInvoer,
    responses((status = 200, body = Voorstel),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<VoorstelInvoer>,
) -> AppResult<Json<Voorstel>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    forbidden_unless(access.can_manage_proposals())?;
    let (text, charter) = body.check(proposal_input)?;
    if charter.is_some() {
        return Err(AppError::invalid(Invalid::single(
            "handvest",
            "fixed",
            "Het voorgestelde handvest ligt vast; trek het voorstel in en maak een nieuw.",
        )));
    }
    let row = state.store.update_proposal_text(region.id, id, &text, &user.actor("api")).await?;
    Ok(Json(voorstel(&row)))
}

/// A step in the lifecycle.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct StapInvoer {
    /// `consultatie-openen`, `consultatie-sluiten`, `stemming-openen`, `stemming-sluiten`, `intrekken`.
    pub stap: Option<String>,
    /// Deadline for opening a consultation or vote (RFC 3339, or Dutch time `30-11-2026 17:00`).
    pub termijn: Option<String>,
    /// Why, for `intrekken`.
    pub reden: Option<String>,
}

#[utoipa::path(post, path = "/regios/{code}/voorstellen/{id}/stappen", tag = "bestuur",
    params(("code" = String, Path), ("id" = i64, Path)), request_body = StapInvoer,
    responses((status = 200, body = Voorstel),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn step(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<StapInvoer>,
) -> AppResult<Json<Voorstel>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    forbidden_unless(access.can_manage_proposals())?;
    let (step, reason) = body.check(|b| {
        if b.stap.is_none() {
            return Err(Invalid::single("stap", "required", "Geef de stap."));
        }
        Ok((
            parse_step(b.stap.as_deref().unwrap_or(""), b.termijn.as_deref().unwrap_or(""))?,
            b.reden.clone().unwrap_or_default(),
        ))
    })?;
    let actor = user.actor("api");
    let row = match step {
        Step::Withdraw => state.store.withdraw_proposal(region.id, id, &reason, &actor).await?,
        step => state.store.proposal_step(region.id, id, step, state.settings.min_deadline, &actor).await?,
    };
    crate::mail::notify(&state, &region, &row);
    Ok(Json(voorstel(&row)))
}

#[utoipa::path(get, path = "/regios/{code}/voorstellen/{id}/zienswijzen", tag = "bestuur",
    params(("code" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Vec<Zienswijze>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn inputs(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Vec<Zienswijze>>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let p = visible_proposal(&state, &region, &access, id).await?;
    let items =
        state.store.inputs(id).await?.into_iter().filter(|i| input_visible(&access, &p, i)).map(zienswijze).collect();
    Ok(Json(items))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ZienswijzeInvoer {
    pub gemeentecode: Option<String>,
    pub tekst: Option<String>,
}

/// The member a request acts for, when this user works for it.
fn acting_for(access: &RegionAccess, code: Option<&str>) -> AppResult<MunicipalityCode> {
    let Some(code) = code else {
        return Err(AppError::invalid(Invalid::single(
            "gemeentecode",
            "required",
            "Geef de gemeente waarvoor u dit doet.",
        )));
    };
    match MunicipalityCode::parse(code) {
        Ok(m) if access.can_give_input_for(&m) => Ok(m),
        Ok(_) => Err(AppError::forbidden()),
        Err(e) => Err(AppError::invalid(Invalid::single("gemeentecode", &e.code, e.reason))),
    }
}

#[utoipa::path(post, path = "/regios/{code}/voorstellen/{id}/zienswijzen", tag = "bestuur",
    params(("code" = String, Path), ("id" = i64, Path)), request_body = ZienswijzeInvoer,
    responses((status = 201, body = Zienswijze),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn give_input(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<ZienswijzeInvoer>,
) -> AppResult<(StatusCode, Json<Zienswijze>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    visible_proposal(&state, &region, &access, id).await?;
    let (member, text) = body.check(|b| Ok((b.gemeentecode.clone(), b.tekst.clone().unwrap_or_default())))?;
    let member = acting_for(&access, member.as_deref())?;
    let row = state.store.submit_input(region.id, id, &member, &text, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(zienswijze(row))))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ReactieInvoer {
    /// `overgenomen`, `deels` or `niet`.
    pub verwerking: Option<String>,
    /// Why; required unless adopted.
    pub reactie: Option<String>,
}

#[utoipa::path(put, path = "/regios/{code}/voorstellen/{id}/zienswijzen/{zienswijze}/reactie", tag = "bestuur",
    params(("code" = String, Path), ("id" = i64, Path), ("zienswijze" = i64, Path)), request_body = ReactieInvoer,
    responses((status = 200, body = Zienswijze),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn respond(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id, input_id)): Path<(String, i64, i64)>,
    body: ApiJson<ReactieInvoer>,
) -> AppResult<Json<Zienswijze>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    forbidden_unless(access.can_manage_proposals())?;
    let (handling, reason) =
        body.check(|b| Ok((b.verwerking.clone().unwrap_or_default(), b.reactie.clone().unwrap_or_default())))?;
    let row = state.store.respond_to_input(region.id, id, input_id, &handling, &reason, &user.actor("api")).await?;
    Ok(Json(zienswijze(row)))
}

#[utoipa::path(get, path = "/regios/{code}/stemmingen/{id}", tag = "bestuur",
    params(("code" = String, Path), ("id" = i64, Path, description = "Het id van het voorstel")),
    responses((status = 200, body = Stemming), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn vote_state(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> AppResult<Json<Stemming>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    let p = visible_proposal(&state, &region, &access, id).await?;
    Ok(Json(stemming(&state, &access, &p).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct StemInvoer {
    /// The member voted for (only when casting a new vote).
    pub gemeentecode: Option<String>,
    /// `voor`, `tegen` or `onthouding`.
    pub stem: Option<String>,
}

fn choice_of(b: &StemInvoer) -> Result<Choice, Invalid> {
    b.stem
        .as_deref()
        .and_then(Choice::parse)
        .ok_or_else(|| Invalid::single("stem", "enum", "Kies voor, tegen of onthouding."))
}

#[utoipa::path(post, path = "/regios/{code}/stemmingen/{id}/stemmen", tag = "bestuur",
    params(("code" = String, Path), ("id" = i64, Path)), request_body = StemInvoer,
    responses((status = 201, body = Stemming),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn cast(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    body: ApiJson<StemInvoer>,
) -> AppResult<(StatusCode, Json<Stemming>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    visible_proposal(&state, &region, &access, id).await?;
    let (member, choice) = body.check(|b| Ok((b.gemeentecode.clone(), choice_of(b)?)))?;
    let member = acting_for(&access, member.as_deref())?;
    require_representative(&state, &region, user.user.id, &member).await?;
    state.store.cast_vote(region.id, id, &member, choice, VoteMode::Cast, user.user.id, &user.actor("api")).await?;
    let p = state.store.proposal(region.id, id).await?;
    Ok((StatusCode::CREATED, Json(stemming(&state, &access, &p).await?)))
}

#[utoipa::path(put, path = "/regios/{code}/stemmingen/{id}/stemmen/{gemeentecode}", tag = "bestuur",
    params(("code" = String, Path), ("id" = i64, Path), ("gemeentecode" = String, Path)), request_body = StemInvoer,
    responses((status = 200, body = Stemming),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn change(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((code, id, member)): Path<(String, i64, String)>,
    body: ApiJson<StemInvoer>,
) -> AppResult<Json<Stemming>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    visible_proposal(&state, &region, &access, id).await?;
    let choice = body.check(choice_of)?;
    let member = acting_for(&access, Some(&member))?;
    require_representative(&state, &region, user.user.id, &member).await?;
    state.store.cast_vote(region.id, id, &member, choice, VoteMode::Change, user.user.id, &user.actor("api")).await?;
    let p = state.store.proposal(region.id, id).await?;
    Ok(Json(stemming(&state, &access, &p).await?))
}

/// Only the member's representative votes: anyone else is refused with 403 before the store
/// (which checks again inside the vote's transaction).
async fn require_representative(
    state: &AppState,
    region: &RegionRow,
    user_id: i64,
    member: &MunicipalityCode,
) -> AppResult<()> {
    let today = samenspel_store::today();
    if state.store.represented_by(region.id, user_id, today).await?.contains(member) {
        Ok(())
    } else {
        Err(AppError::new(
            StatusCode::FORBIDDEN,
            format!("U bent vandaag geen gemachtigde vertegenwoordiger van {member}; alleen die stemt."),
        ))
    }
}

#[utoipa::path(get, path = "/regios/{code}/besluiten", tag = "bestuur", params(("code" = String, Path), PageQuery),
    responses((status = 200, body = super::pagination::Page<Besluit>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn decisions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    uri: Uri,
    Query(page): Query<PageQuery>,
) -> AppResult<PageResponse<Besluit>> {
    let request = page.request()?;
    let (region, access) = region_for(&state, &user, &code).await?;
    forbidden_unless(access.can_view_decisions())?;
    let rows = crate::governance::decisions(&state, &region).await?;
    Ok(single_page(record(&state, &region, &access, &rows).await?, request, &uri))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InspraakTelling {
    pub beantwoorde_zienswijzen: u32,
    pub overgenomen: u32,
    pub deels_overgenomen: u32,
    pub consultaties: u32,
    pub meegedaan: u32,
    pub open_stemmingen: u32,
    pub verliezende_kant: u32,
}

fn telling(c: &samenspel_calc::voice::VoiceCounts) -> InspraakTelling {
    InspraakTelling {
        beantwoorde_zienswijzen: c.answered,
        overgenomen: c.adopted,
        deels_overgenomen: c.partly,
        consultaties: c.consultations,
        meegedaan: c.joined,
        open_stemmingen: c.votes,
        verliezende_kant: c.lost,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Inspraak {
    pub gemeentecode: String,
    pub naam: String,
    pub totaal: InspraakTelling,
    #[schema(value_type = Object)]
    pub per_jaar: std::collections::BTreeMap<i32, InspraakTelling>,
    /// What it pays under the adopted risk-sharing agreement minus alone, in cents.
    pub betaalt_meer_dan_alleen_centen: Option<i64>,
    pub signalen: Vec<String>,
}

#[utoipa::path(get, path = "/regios/{code}/inspraak", tag = "bestuur", params(("code" = String, Path)),
    responses((status = 200, body = Vec<Inspraak>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn voice(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
) -> AppResult<Json<Vec<Inspraak>>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    forbidden_unless(access.can_view_voice())?;
    let report = crate::governance::voice_report(&state, &region, &access).await?;
    Ok(Json(
        report
            .members
            .into_iter()
            .map(|(code, name, v)| Inspraak {
                gemeentecode: code,
                naam: name,
                totaal: telling(&v.total),
                per_jaar: v.by_year.iter().map(|(y, c)| (*y, telling(c))).collect(),
                betaalt_meer_dan_alleen_centen: v.pays_more_than_alone.map(|c| c.0),
                signalen: v.warnings,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Vertegenwoordiger {
    pub id: i64,
    pub gemeentecode: String,
    pub gemeente: String,
    pub gebruiker_id: i64,
    pub login: String,
    pub naam: String,
    /// `wethouder` or `gemachtigde`.
    pub functie: String,
    #[schema(format = Date)]
    pub vanaf: String,
    #[schema(format = Date)]
    pub tot: Option<String>,
}

fn vertegenwoordiger(r: RepresentativeRow) -> Vertegenwoordiger {
    Vertegenwoordiger {
        id: r.id,
        gemeentecode: r.municipality_code,
        gemeente: r.municipality_name,
        gebruiker_id: r.user_id,
        login: r.login,
        naam: r.display_name,
        functie: r.title,
        vanaf: r.valid_from.to_string(),
        tot: r.valid_until.map(|d| d.to_string()),
    }
}

#[utoipa::path(get, path = "/regios/{code}/vertegenwoordigers", tag = "bestuur", params(("code" = String, Path)),
    responses((status = 200, body = Vec<Vertegenwoordiger>),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn representatives(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
) -> AppResult<Json<Vec<Vertegenwoordiger>>> {
    let (region, access) = region_for(&state, &user, &code).await?;
    forbidden_unless(access.can_view_representatives())?;
    Ok(Json(state.store.representatives(region.id).await?.into_iter().map(vertegenwoordiger).collect()))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct VertegenwoordigerInvoer {
    pub gemeentecode: Option<String>,
    pub gebruiker_id: Option<i64>,
    pub functie: Option<String>,
    #[schema(format = Date)]
    pub vanaf: Option<String>,
    #[schema(format = Date)]
    pub tot: Option<String>,
}

#[utoipa::path(post, path = "/regios/{code}/vertegenwoordigers", tag = "bestuur", params(("code" = String, Path)),
    request_body = VertegenwoordigerInvoer,
    responses((status = 201, body = Vertegenwoordiger),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn add_representative(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: ApiJson<VertegenwoordigerInvoer>,
) -> AppResult<(StatusCode, Json<Vertegenwoordiger>)> {
    let (region, access) = region_for(&state, &user, &code).await?;
    forbidden_unless(access.can_manage_representatives())?;
    let new = body.check(|b| {
        let mut invalid = Invalid::new();
        let municipality = match b.gemeentecode.as_deref().map(MunicipalityCode::parse) {
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => {
                invalid.push("gemeentecode", &e.code, e.reason);
                None
            }
            None => {
                invalid.push("gemeentecode", "required", "Geef de gemeente.");
                None
            }
        };
        if b.gebruiker_id.is_none() {
            invalid.push("gebruikerId", "required", "Geef de gebruiker.");
        }
        let date = |field: &str, value: Option<&str>, invalid: &mut Invalid| match value.map(parse_date) {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                invalid.push(field, &e.code, e.reason);
                None
            }
            None => None,
        };
        let valid_from = date("vanaf", b.vanaf.as_deref(), &mut invalid);
        if b.vanaf.is_none() {
            invalid.push("vanaf", "required", "Geef de eerste dag van de machtiging.");
        }
        let valid_until = date("tot", b.tot.as_deref(), &mut invalid);
        match (municipality, b.gebruiker_id, valid_from) {
            (Some(municipality), Some(user_id), Some(valid_from)) if invalid.is_empty() => Ok(NewRepresentative {
                municipality,
                user_id,
                title: b.functie.clone().unwrap_or_else(|| "wethouder".into()),
                valid_from,
                valid_until,
            }),
            _ => Err(invalid),
        }
    })?;
    let row = state.store.add_representative(region.id, &new, &user.actor("api")).await?;
    Ok((StatusCode::CREATED, Json(vertegenwoordiger(row))))
}
