//! Collaboration health for the pages and the API alike (issue 7): reading invitees, issuing
//! links, reading a respondent's form, a round's results with the trend against the round
//! before, and the early warnings per member that bring trust, value, voice and money together.

use crate::auth::secrets::{random_token, token_hash};
use crate::error::{AppError, AppResult};
use crate::forms::FormPairs;
use crate::AppState;
use samenspel_calc::health::{report, trends, Group, RoundReport, Trend, OVERALL};
use samenspel_domain::access::RegionAccess;
use samenspel_domain::instrument::{answer_key, Answers, Instrument, Party};
use samenspel_domain::{Invalid, MunicipalityCode};
use samenspel_store::health::{NewInvitation, RoundRow};
use samenspel_store::regions::RegionRow;
use samenspel_store::Actor;

/// The most invitations one request may issue.
pub const MAX_INVITEES: usize = 2000;

/// A respondent to invite, as the coach listed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    /// The line it was on, for messages.
    pub line: usize,
    pub group: Party,
    pub member: Option<MunicipalityCode>,
    pub email: Option<String>,
}

/// Reads one invitee per line: `groep;gemeentecode;e-mailadres`, the group `gemeente`, `regio`
/// or `aanbieder`; the municipality code only (and then required) for `gemeente`; the address
/// optional (without it, the coach hands the link out). Every bad line is named.
pub fn parse_invitees(text: &str) -> Result<Vec<Invitee>, Invalid> {
    let mut out = Vec::new();
    let mut invalid = Invalid::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split([';', ',', '\t']).map(str::trim).collect();
        let at = |reason: String| format!("Regel {}: {reason}", n + 1);
        let group = match fields[0].to_lowercase().as_str() {
            "gemeente" | "gemeenten" | "lid" => Party::Members,
            "regio" | "regionaal team" => Party::Region,
            "aanbieder" | "aanbieders" => Party::Providers,
            other => {
                invalid.push(
                    "uitgenodigden",
                    "group",
                    at(format!("'{other}' is geen groep; kies gemeente, regio of aanbieder.")),
                );
                continue;
            }
        };
        let member = match (group, fields.get(1).copied().unwrap_or("")) {
            (Party::Members, "") => {
                invalid.push("uitgenodigden", "member", at("noem de gemeentecode (GM….) van de gemeente.".into()));
                continue;
            }
            (Party::Members, code) => match MunicipalityCode::parse(code) {
                Ok(code) => Some(code),
                Err(_) => {
                    invalid.push(
                        "uitgenodigden",
                        "member",
                        at(format!("'{code}' is geen gemeentecode (GM en vier cijfers).")),
                    );
                    continue;
                }
            },
            _ => None,
        };
        let email = fields.get(2).copied().filter(|e| !e.is_empty()).map(str::to_string);
        if let Some(e) = &email {
            if e.parse::<lettre::Address>().is_err() {
                invalid.push("uitgenodigden", "email", at(format!("'{e}' is geen e-mailadres.")));
                continue;
            }
        }
        out.push(Invitee { line: n + 1, group, member, email });
    }
    if out.is_empty() && invalid.is_empty() {
        invalid.push("uitgenodigden", "required", "Noem minstens één respondent, één per regel.");
    }
    if out.len() > MAX_INVITEES {
        invalid.push("uitgenodigden", "max", format!("Hoogstens {MAX_INVITEES} uitnodigingen per keer."));
    }
    if invalid.is_empty() {
        Ok(out)
    } else {
        Err(invalid)
    }
}

/// A link issued once: shown to the coach (or mailed) and never again; Samenspel keeps its hash.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedLink {
    #[serde(rename = "groep")]
    pub group: Party,
    #[serde(rename = "gemeente", skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    #[serde(rename = "email", skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The path of the questionnaire (`/vragenlijst/…`), only when it was not mailed: whoever
    /// holds a link can read the draft behind it, so a mailed link goes to the respondent alone.
    #[serde(rename = "link", skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(rename = "gemaild")]
    pub mailed: bool,
}

/// Issues a link per invitee, records their hashes and mails those with an address (when
/// e-mail is configured).
pub async fn invite(
    state: &AppState,
    region: &RegionRow,
    round: &RoundRow,
    invitees: &[Invitee],
    actor: &Actor,
) -> AppResult<Vec<IssuedLink>> {
    // Named by line before anything is stored: the store can only say which member is wrong.
    let sizes = round.size_classes();
    let mut invalid = Invalid::new();
    for i in invitees {
        if let Some(code) = &i.member {
            if !sizes.iter().any(|(c, _)| c == code.as_str()) {
                invalid.push(
                    "uitgenodigden",
                    "member",
                    format!("Regel {}: {code} was geen lid van de regio toen de meetronde werd voorbereid.", i.line),
                );
            }
        }
    }
    if !invalid.is_empty() {
        return Err(AppError::invalid(invalid));
    }
    let tokens: Vec<String> = invitees.iter().map(|_| random_token()).collect();
    let rows: Vec<(NewInvitation, String)> = invitees
        .iter()
        .zip(&tokens)
        .map(|(i, t)| (NewInvitation { group: i.group, member: i.member.clone() }, token_hash(t)))
        .collect();
    state.store.create_invitations(region.id, round.id, &rows, actor).await?;
    let mut out = Vec::new();
    for (invitee, token) in invitees.iter().zip(tokens) {
        let path = format!("/vragenlijst/{token}");
        let mailed = match (&state.settings.mailer, &invitee.email) {
            (Some(mailer), Some(address)) => mailer.send_invitation(address, region, round, &path).await,
            _ => false,
        };
        out.push(IssuedLink {
            group: invitee.group,
            member: invitee.member.as_ref().map(|m| m.to_string()),
            email: invitee.email.clone(),
            path: (!mailed).then_some(path),
            mailed,
        });
    }
    Ok(out)
}

/// A respondent's answers as the form posted them: only the statements and open questions
/// the round asks; a value that is no number counts as unanswered.
pub fn answers_from_form(instrument: &Instrument, parties: &[Party], form: &FormPairs) -> Answers {
    let mut answers = Answers::default();
    for pass in instrument.passes(parties) {
        for d in &instrument.dimensions {
            for i in &d.items {
                let key = answer_key(pass, &i.key);
                if let Ok(v) = form.get(&key).trim().parse::<u8>() {
                    answers.scale.insert(key, v);
                }
            }
        }
    }
    answers.open = (0..instrument.open_questions.len()).map(|n| form.get(&format!("open{n}")).to_string()).collect();
    while answers.open.last().is_some_and(|a| a.trim().is_empty()) {
        answers.open.pop();
    }
    answers
}

/// A round's results, and the trend against the closed round of the same instrument before it.
pub struct RoundResults {
    pub instrument: Instrument,
    pub parties: Vec<Party>,
    pub report: RoundReport,
    pub previous: Option<RoundRow>,
    pub trends: Vec<Trend>,
    /// Every closed round that asked the same instrument, oldest first, up to this one, with its
    /// report: the longer trend.
    pub history: Vec<(RoundRow, RoundReport)>,
    /// Per open question its answers, sorted; empty under [`samenspel_calc::survey::MIN_GROUP`]
    /// respondents (for those who manage the round only).
    pub open: Vec<(String, Vec<String>)>,
}

/// The results of a closed round. Callers show nothing of a round that is not closed: while it
/// runs, its figures could be followed from one response to the next.
pub async fn results(state: &AppState, round: &RoundRow) -> AppResult<RoundResults> {
    let instrument = round.instrument();
    let parties = round.parties();
    let (respondents, open) = state.store.respondents(round.id).await?;
    let report = report(&instrument, &parties, &respondents);
    let previous = state.store.previous_round(round).await?;
    let trends = match &previous {
        Some(p) => {
            let (before, _) = state.store.respondents(p.id).await?;
            trends(&instrument, &parties, &before, &respondents)
        }
        None => Vec::new(),
    };
    let mut history = Vec::new();
    for r in state.store.survey_rounds(round.region_id).await? {
        let same = r.instrument_source == round.instrument_source && r.instrument == round.instrument;
        if same && r.closed() && (r.created_at, r.id) <= (round.created_at, round.id) {
            let (answers, _) = state.store.respondents(r.id).await?;
            let report = samenspel_calc::health::report(&instrument, &r.parties(), &answers);
            history.push((r, report));
        }
    }
    let open = if respondents.len() >= samenspel_calc::survey::MIN_GROUP {
        instrument.open_questions.iter().cloned().zip(open.into_iter().chain(std::iter::repeat(Vec::new()))).collect()
    } else {
        Vec::new()
    };
    Ok(RoundResults { instrument, parties, report, previous, trends, history, open })
}

/// A number with a decimal comma.
pub fn dec(x: f64, places: usize) -> String {
    format!("{x:.places$}").replace('.', ",").replace("-", "−")
}

/// The name of a score's dimension (or the overall score).
pub fn dimension_name(instrument: &Instrument, key: &str) -> String {
    if key == OVERALL {
        "Alle stellingen samen".to_string()
    } else {
        instrument.dimension(key).map(|d| d.name.clone()).unwrap_or_else(|| key.to_string())
    }
}

/// A warning with where it comes from and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    /// `vertrouwen`, `samenwerking`, `waarde`, `inspraak` (voice and money from governance and
    /// risk sharing).
    #[serde(rename = "soort")]
    pub kind: &'static str,
    #[serde(rename = "reden")]
    pub reason: String,
}

/// The warnings of a member.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MemberWarnings {
    #[serde(rename = "gemeente")]
    pub member: String,
    #[serde(rename = "naam")]
    pub name: String,
    #[serde(rename = "signalen")]
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EarlyWarnings {
    /// Warnings about the whole region or the regional team and providers.
    #[serde(rename = "regio")]
    pub region: Vec<Warning>,
    #[serde(rename = "leden")]
    pub members: Vec<MemberWarnings>,
    /// What could not be looked at, and why.
    #[serde(rename = "opmerkingen")]
    pub notes: Vec<String>,
}

/// Which members a group's warning is about: the larger or smaller half for a size group;
/// none for the others, whose warnings are region-wide (a decline of the members as a whole is
/// not laid at every member's door: the size groups say where it comes from).
fn members_of(group: Group, sizes: &[(String, Option<bool>)]) -> Option<Vec<String>> {
    let pick = |large: bool| sizes.iter().filter(|(_, l)| *l == Some(large)).map(|(c, _)| c.clone()).collect();
    match group {
        Group::LargeMembers => Some(pick(true)),
        Group::SmallMembers => Some(pick(false)),
        _ => None,
    }
}

/// The latest closed round per instrument, newest first.
pub async fn latest_closed_rounds(state: &AppState, region: &RegionRow) -> AppResult<Vec<RoundRow>> {
    let mut rounds: Vec<RoundRow> =
        state.store.survey_rounds(region.id).await?.into_iter().filter(|r| r.status == "gesloten").collect();
    rounds.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
    let mut seen: Vec<String> = Vec::new();
    rounds.retain(|r| {
        let fresh = !seen.contains(&r.instrument_source);
        seen.push(r.instrument_source.clone());
        fresh
    });
    Ok(rounds)
}

/// Brings the warnings together: declines larger than the noise in the latest closed round of
/// each instrument, dimensions in the concern zone or below their warning level, value that
/// falls a point or more short of its importance, and the governance voice indicators with the
/// risk-sharing disadvantage (crate::governance::voice_report). Members see their own row only.
pub async fn early_warnings(state: &AppState, region: &RegionRow, access: &RegionAccess) -> AppResult<EarlyWarnings> {
    let sizes = state.store.member_size_classes(region.id).await?;
    let mut region_wide = Vec::new();
    let mut per_member: std::collections::BTreeMap<String, Vec<Warning>> =
        sizes.iter().map(|(c, _)| (c.clone(), Vec::new())).collect();
    let mut notes = Vec::new();
    // A round's size groups are the split it fixed when it was prepared.
    let mut raise = |group: Group, sizes: &[(String, Option<bool>)], warning: Warning| match members_of(group, sizes) {
        Some(members) => {
            for m in members {
                per_member.entry(m).or_default().push(warning.clone());
            }
        }
        None => region_wide.push(warning),
    };
    let rounds = latest_closed_rounds(state, region).await?;
    if rounds.is_empty() {
        notes.push(
            "Er is nog geen gesloten meetronde: vertrouwen, samenwerking en waarde zijn nog niet gemeten.".into(),
        );
    }
    for round in &rounds {
        let r = results(state, round).await?;
        let sizes = round.size_classes();
        let kind = if r.instrument.per_party {
            "vertrouwen"
        } else if r.instrument.comparisons.is_empty() {
            "samenwerking"
        } else {
            "waarde"
        };
        let about = |party: Option<Party>| match party {
            Some(p) => format!(", over {}", rated_name(p)),
            None => String::new(),
        };
        if r.previous.is_none() {
            notes.push(format!("'{}' heeft nog geen eerdere gesloten meetronde om mee te vergelijken.", round.title));
        }
        for t in &r.trends {
            let (Some(c), Some(b), Some(a)) = (t.change, t.before, t.after) else { continue };
            if !c.decline {
                continue;
            }
            let test = if c.t.is_finite() {
                format!("Welch t = {}", dec(c.t, 1))
            } else {
                "zonder spreiding in beide rondes".to_string()
            };
            raise(
                t.group,
                &sizes,
                Warning {
                    kind,
                    reason: format!(
                        "{} volgens {}{}: gedaald van {} naar {} ({} punt; groter dan de ruis, {test}) tussen '{}' en '{}'.",
                        dimension_name(&r.instrument, &t.dimension),
                        t.group.phrase(),
                        about(t.party),
                        dec(b.mean, 2),
                        dec(a.mean, 2),
                        dec(c.difference, 2),
                        r.previous.as_ref().map(|p| p.title.as_str()).unwrap_or(""),
                        round.title
                    ),
                },
            );
        }
        for s in &r.report.scores {
            let Some(e) = s.estimate else { continue };
            // The whole is covered by its parts; a warning per group says more.
            if s.group == Group::All || s.dimension == OVERALL {
                continue;
            }
            let Some(d) = r.instrument.dimension(&s.dimension) else { continue };
            let below = d.warn_below.filter(|w| e.mean < *w).map(|w| format!("onder het signaalniveau {}", dec(w, 1)));
            let concern = r
                .instrument
                .thresholds
                .filter(|_| s.verdict == Some(samenspel_domain::instrument::Verdict::Concern))
                .map(|t| format!("een zorgpunt (onder {})", dec(t.concern_below, 1)));
            if let Some(why) = below.or(concern) {
                raise(
                    s.group,
                    &sizes,
                    Warning {
                        kind,
                        reason: format!(
                            "{} volgens {}{}: {} in '{}', {}.",
                            d.name,
                            s.group.phrase(),
                            about(s.party),
                            dec(e.mean, 2),
                            round.title,
                            why
                        ),
                    },
                );
            }
        }
        for g in &r.report.gaps {
            let (Some(gap), Some(i), Some(x)) = (g.gap, g.intended, g.experienced) else { continue };
            if g.group == Group::All || gap > -VALUE_GAP {
                continue;
            }
            raise(
                g.group,
                &sizes,
                Warning {
                    kind,
                    reason: format!(
                        "{} volgens {}: belang {}, gerealiseerd {} (verschil {} punt) in '{}'.",
                        g.name,
                        g.group.phrase(),
                        dec(i.mean, 2),
                        dec(x.mean, 2),
                        dec(gap, 2),
                        round.title
                    ),
                },
            );
        }
    }
    let voice = crate::governance::voice_report(state, region, access).await?;
    if let Some(note) = &voice.risk_note {
        notes.push(format!("Verevening: {note}"));
    }
    for (code, _, v) in &voice.members {
        for w in &v.warnings {
            per_member.entry(code.clone()).or_default().push(Warning { kind: "inspraak", reason: w.clone() });
        }
    }
    let names = crate::risk_sharing::members_in(&state.store, region.id, samenspel_store::now().year()).await?;
    let mut members: Vec<MemberWarnings> = per_member
        .into_iter()
        .filter(|(code, _)| MunicipalityCode::parse(code).is_ok_and(|c| access.can_view_voice_of(&c)))
        .map(|(code, warnings)| MemberWarnings {
            name: names
                .iter()
                .find(|m| m.municipality_code == code)
                .map(|m| m.municipality_name.clone())
                .unwrap_or_else(|| code.clone()),
            member: code,
            warnings,
        })
        .collect();
    members.sort_by(|a, b| b.warnings.len().cmp(&a.warnings.len()).then(a.name.cmp(&b.name)));
    Ok(EarlyWarnings { region: region_wide, members, notes })
}

/// How far realised value may fall short of its importance before it is a warning, in points.
pub const VALUE_GAP: f64 = 1.0;

/// A warning's kind as shown.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "vertrouwen" => "Vertrouwen",
        "samenwerking" => "Samenwerkingsfactoren",
        "waarde" => "Waarde",
        _ => "Inspraak en geld",
    }
}

/// The party rated, as it reads after "over": "over het regionale team".
pub fn rated_name(p: Party) -> &'static str {
    match p {
        Party::Members => "de gemeenten",
        Party::Region => "het regionale team",
        Party::Providers => "de aanbieders",
    }
}

/// Refuses a page or call about health for who may not see it.
pub fn require(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}
