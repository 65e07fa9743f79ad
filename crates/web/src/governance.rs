//! What the governance pages and the API share: who sees which proposal, input and vote; the
//! steps as the forms and the API name them; the decision list; the voice indicators with the
//! risk-sharing comparison; and what awaits a user (the notifications on the home page).

use crate::error::{AppError, AppResult};
use crate::AppState;
use samenspel_calc::voice::{voice, MemberVoice, ProposalFacts, VoteFacts};
use samenspel_domain::access::RegionAccess;
use samenspel_domain::nl::{date_time, parse_date_time};
use samenspel_domain::proposal::{Handling, Phase, Step};
use samenspel_domain::{Cents, Invalid, MunicipalityCode};
use samenspel_store::proposals::{InputRow, ProposalRow, VoteRow};
use samenspel_store::regions::RegionRow;
use std::collections::BTreeMap;

/// A proposal the user may see: drafts only for the region team; decided proposals also for
/// observers (the decision list). Anything else is "not found", so its existence stays hidden.
pub async fn visible_proposal(
    state: &AppState,
    region: &RegionRow,
    access: &RegionAccess,
    id: i64,
) -> AppResult<ProposalRow> {
    let proposal = state.store.proposal(region.id, id).await?;
    let phase = proposal.phase();
    let visible = if access.can_manage_proposals() {
        true
    } else if access.can_view_proposals() {
        phase.visible_to_members()
    } else {
        access.can_view_decisions() && phase.decided()
    };
    if visible {
        Ok(proposal)
    } else {
        Err(AppError::not_found())
    }
}

/// Whether the user sees an input: the region team always; a member its own; everyone else
/// (other members, the coach) once the consultation has closed: then it is the region's record.
pub fn input_visible(access: &RegionAccess, proposal: &ProposalRow, input: &InputRow) -> bool {
    if access.admin {
        return true;
    }
    let own = access.municipalities.iter().any(|m| m.as_str() == input.municipality_code);
    own || !matches!(proposal.phase(), Phase::Concept | Phase::Consultatie)
}

/// Whether the user sees how a member voted: a member always sees its own vote; others' votes
/// show once the vote has closed and only in an open ballot.
pub fn vote_visible(access: &RegionAccess, proposal: &ProposalRow, vote: &VoteRow) -> bool {
    let own = access.municipalities.iter().any(|m| m.as_str() == vote.municipality_code);
    own || (proposal.phase().decided() && !proposal.secret())
}

/// A step as the forms and the API name it, with the deadline where it needs one (Dutch time,
/// or RFC 3339 with an offset).
pub fn parse_step(step: &str, deadline: &str) -> Result<Step, Invalid> {
    let deadline_of = |field: &str| -> Result<time::OffsetDateTime, Invalid> {
        if deadline.trim().is_empty() {
            return Err(Invalid::single(field, "required", "Geef de termijn: tot wanneer kan dit?"));
        }
        parse_date_time(deadline).map_err(|e| Invalid::single(field, &e.code, e.reason))
    };
    match step.trim() {
        "consultatie-openen" => Ok(Step::OpenConsultation { deadline: deadline_of("termijn")? }),
        "consultatie-sluiten" => Ok(Step::CloseConsultation),
        "stemming-openen" => Ok(Step::OpenVoting { deadline: deadline_of("termijn")? }),
        "stemming-sluiten" => Ok(Step::CloseVoting),
        "intrekken" => Ok(Step::Withdraw),
        other => Err(Invalid::single(
            "stap",
            "enum",
            format!(
                "Onbekende stap '{other}'; kies consultatie-openen, consultatie-sluiten, stemming-openen, \
                 stemming-sluiten of intrekken."
            ),
        )),
    }
}

/// What became of a decided proposal, in words: a vote without a quorum took no decision.
pub fn outcome_label(p: &ProposalRow) -> &'static str {
    match p.outcome().map(|o| o.tally.outcome) {
        Some(samenspel_calc::voting::Outcome::NoQuorum) => "Geen besluit: quorum niet gehaald",
        Some(samenspel_calc::voting::Outcome::Vetoed(_)) => "Verworpen door een veto",
        _ => p.phase().label(),
    }
}

/// Every decision of the region, oldest first, for the decision list.
pub async fn decisions(state: &AppState, region: &RegionRow) -> AppResult<Vec<ProposalRow>> {
    let mut rows: Vec<ProposalRow> =
        state.store.proposals(region.id).await?.into_iter().filter(|p| p.phase().decided()).collect();
    rows.sort_by_key(|p| (p.decided_at, p.id));
    Ok(rows)
}

/// A free-text cell for a CSV export: a leading formula character is neutralised, so a
/// spreadsheet program shows the text instead of evaluating it (quoting is `csv_response`'s).
fn text_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// A CSV table: its header and rows.
pub type CsvTable = (&'static [&'static str], Vec<Vec<String>>);

/// The decision list as a CSV table (Dutch notation), for the members' councils.
pub fn decisions_csv(rows: &[ProposalRow]) -> CsvTable {
    const HEADER: &[&str] = &[
        "besluitnummer",
        "datum",
        "soort",
        "titel",
        "uitkomst",
        "voor",
        "tegen",
        "onthouding",
        "niet gestemd",
        "toelichting",
    ];
    let lines = rows
        .iter()
        .map(|p| {
            let outcome = p.outcome();
            let tally = outcome.as_ref().map(|o| &o.tally);
            let members =
                |f: fn(&samenspel_calc::voting::Tally) -> u64| tally.map(f).map(|n| n.to_string()).unwrap_or_default();
            vec![
                p.decision_number.clone().unwrap_or_default(),
                p.decided_at.map(date_time).unwrap_or_default(),
                p.kind.clone(),
                text_cell(&p.title),
                outcome_label(p).to_string(),
                members(|t| t.for_.members),
                members(|t| t.against.members),
                members(|t| t.abstain.members),
                members(|t| t.not_voted.members),
                tally.map(|t| t.explanation.join(" ")).unwrap_or_default(),
            ]
        })
        .collect();
    (HEADER, lines)
}

/// Every input on the decided proposals that the reader may see, with the region's answer.
pub async fn inputs_csv(state: &AppState, access: &RegionAccess, rows: &[ProposalRow]) -> AppResult<CsvTable> {
    const HEADER: &[&str] =
        &["besluitnummer", "titel", "gemeentecode", "gemeente", "ingediend op", "zienswijze", "verwerking", "reactie"];
    let mut lines = Vec::new();
    for p in rows {
        for i in state.store.inputs(p.id).await?.iter().filter(|i| input_visible(access, p, i)) {
            lines.push(vec![
                p.decision_number.clone().unwrap_or_default(),
                text_cell(&p.title),
                i.municipality_code.clone(),
                i.municipality_name.clone(),
                date_time(i.submitted_at),
                text_cell(&i.body.replace(['\r', '\n'], " ")),
                i.handling.as_deref().and_then(Handling::parse).map(|h| h.label()).unwrap_or("").to_string(),
                text_cell(&i.response.clone().unwrap_or_default().replace(['\r', '\n'], " ")),
            ]);
        }
    }
    Ok((HEADER, lines))
}

/// Every member's vote on the decided proposals, as far as the reader may see it (open votes;
/// of a secret one only whether the member voted).
pub async fn votes_csv(state: &AppState, access: &RegionAccess, rows: &[ProposalRow]) -> AppResult<CsvTable> {
    const HEADER: &[&str] = &["besluitnummer", "titel", "gemeentecode", "gemeente", "gewicht", "stem"];
    let mut lines = Vec::new();
    for p in rows {
        let votes = state.store.votes(p.id).await?;
        for v in p.voters() {
            let vote = votes.iter().find(|x| x.municipality_code == v.member);
            let shown = match vote {
                Some(x) if vote_visible(access, p, x) => x.choice.clone(),
                Some(_) => "gestemd (geheim)".into(),
                None => "niet gestemd".into(),
            };
            lines.push(vec![
                p.decision_number.clone().unwrap_or_default(),
                text_cell(&p.title),
                v.member,
                v.name,
                v.weight.to_string(),
                shown,
            ]);
        }
    }
    Ok((HEADER, lines))
}

/// The voice indicators of the members this user may see, with their names.
pub struct VoiceReport {
    pub members: Vec<(String, String, MemberVoice)>,
    /// Why the risk-sharing comparison is missing, when it is.
    pub risk_note: Option<String>,
    pub risk_year: Option<i32>,
}

/// Counts the voice indicators from the region's proposals, inputs and votes, and the
/// risk-sharing settlement of the last complete year under the adopted agreement.
pub async fn voice_report(state: &AppState, region: &RegionRow, access: &RegionAccess) -> AppResult<VoiceReport> {
    let today = samenspel_store::today();
    let members = crate::risk_sharing::members_in(&state.store, region.id, today.year()).await?;
    let proposals = state.store.proposals(region.id).await?;
    let inputs = state.store.region_inputs(region.id).await?;
    let votes = state.store.region_votes(region.id).await?;
    let facts: Vec<ProposalFacts> = proposals
        .iter()
        .filter(|p| p.phase() != Phase::Concept)
        .map(|p| {
            let year = p.consultation_opened_at.or(p.vote_opened_at).unwrap_or(p.created_at).year();
            let vote = match (p.phase().decided(), p.outcome()) {
                // Without a quorum there is no decision, so nobody lost.
                (true, Some(outcome)) if outcome.tally.outcome != samenspel_calc::voting::Outcome::NoQuorum => {
                    Some(VoteFacts {
                        secret: p.secret(),
                        adopted: outcome.adopted,
                        votes: votes
                            .iter()
                            .filter(|v| v.proposal_id == p.id)
                            .filter_map(|v| v.choice().map(|c| (v.municipality_code.clone(), c)))
                            .collect(),
                    })
                }
                _ => None,
            };
            ProposalFacts {
                year,
                // A consultation counts once it has closed: until then a member can still join.
                consulted: if matches!(p.phase(), Phase::Consultatie) { Vec::new() } else { p.consulted() },
                inputs: inputs
                    .iter()
                    .filter(|i| i.proposal_id == p.id)
                    .map(|i| (i.municipality_code.clone(), i.handling.as_deref().and_then(Handling::parse)))
                    .collect(),
                vote,
            }
        })
        .collect();
    let (pays_more, risk_year, risk_note) = pays_more_than_alone(state, region).await?;
    let codes: Vec<String> = members.iter().map(|m| m.municipality_code.clone()).collect();
    let names: BTreeMap<&str, &str> =
        members.iter().map(|m| (m.municipality_code.as_str(), m.municipality_name.as_str())).collect();
    let visible = |code: &str| MunicipalityCode::parse(code).is_ok_and(|c| access.can_view_voice_of(&c));
    let mut out: Vec<(String, String, MemberVoice)> = voice(&codes, &facts, &pays_more)
        .into_iter()
        .filter(|v| visible(&v.member))
        .map(|v| (v.member.clone(), names.get(v.member.as_str()).copied().unwrap_or_default().to_string(), v))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(VoiceReport { members: out, risk_note, risk_year })
}

/// Per member what it pays under the adopted agreement minus its own cost, for the last year
/// with complete production; or why that is unknown.
async fn pays_more_than_alone(
    state: &AppState,
    region: &RegionRow,
) -> AppResult<(BTreeMap<String, Cents>, Option<i32>, Option<String>)> {
    let query = crate::risk_sharing::SettlementQuery::default();
    let selection = crate::risk_sharing::selection(state, region, &query).await?;
    let Some(agreement) = &selection.agreement else {
        return Ok((BTreeMap::new(), None, Some("De regio heeft nog geen vereveningsafspraak.".into())));
    };
    if agreement.status != samenspel_store::risk_sharing::AgreementStatus::Adopted.code() {
        return Ok((BTreeMap::new(), None, Some("De regio heeft nog geen vastgestelde vereveningsafspraak.".into())));
    }
    let year = selection.year;
    match crate::risk_sharing::settle_selection(state, region, &selection, year).await? {
        Ok(settled) => {
            let index = settled.agreement_index;
            let map = settled
                .comparison
                .members
                .iter()
                .filter_map(|m| m.difference_cents.get(index).map(|d| (m.member.clone(), Cents(*d))))
                .collect();
            Ok((map, Some(year), None))
        }
        Err(problems) => Ok((
            BTreeMap::new(),
            None,
            Some(format!("De verevening over {year} is niet uit te rekenen: {}", problems.join(" "))),
        )),
    }
}

/// Something that waits for this user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awaiting {
    pub text: String,
    pub href: String,
    /// Sort key: the deadline, soonest first.
    pub due: Option<time::OffsetDateTime>,
}

/// What awaits the user in a region: input asked of its member, a vote it can cast (or its
/// representative should), and for the region team the steps that are due.
pub async fn awaiting(
    state: &AppState,
    region: &RegionRow,
    access: &RegionAccess,
    user_id: i64,
) -> AppResult<Vec<Awaiting>> {
    if !access.can_view_proposals() {
        return Ok(Vec::new());
    }
    let now = samenspel_store::now();
    let represented = state.store.represented_by(region.id, user_id, samenspel_domain::nl::dutch_date(now)).await?;
    let mut out = Vec::new();
    for p in state.store.proposals(region.id).await? {
        let href = format!("/regios/{}/voorstellen/{}", region.code, p.id);
        let due = |deadline: Option<time::OffsetDateTime>| deadline.map(date_time).unwrap_or_default();
        match p.phase() {
            Phase::Consultatie if p.consultation_deadline.is_some_and(|d| now < d) => {
                let inputs = state.store.inputs(p.id).await?;
                for m in &access.municipalities {
                    if p.consulted().iter().any(|c| c == m.as_str())
                        && !inputs.iter().any(|i| i.municipality_code == m.as_str())
                    {
                        out.push(Awaiting {
                            text: format!(
                                "Zienswijze gevraagd van {m} op '{}', uiterlijk {}.",
                                p.title,
                                due(p.consultation_deadline)
                            ),
                            href: href.clone(),
                            due: p.consultation_deadline,
                        });
                    }
                }
            }
            Phase::Consultatie if access.can_manage_proposals() => out.push(Awaiting {
                text: format!(
                    "De consultatie over '{}' is verstreken: sluit die en beantwoord de zienswijzen.",
                    p.title
                ),
                href,
                due: p.consultation_deadline,
            }),
            Phase::Reactie if access.can_manage_proposals() => out.push(Awaiting {
                text: format!("Beantwoord de zienswijzen op '{}' en open de stemming.", p.title),
                href,
                due: None,
            }),
            Phase::Stemming if p.vote_deadline.is_some_and(|d| now < d) => {
                let votes = state.store.votes(p.id).await?;
                for m in &access.municipalities {
                    let entitled = p.voters().iter().any(|v| v.member == m.as_str());
                    let voted = votes.iter().any(|v| v.municipality_code == m.as_str());
                    if entitled && !voted {
                        let text = if represented.contains(m) {
                            format!("Breng de stem van {m} uit over '{}', uiterlijk {}.", p.title, due(p.vote_deadline))
                        } else {
                            format!(
                                "De stemming over '{}' loopt tot {}; de vertegenwoordiger van {m} heeft nog niet gestemd.",
                                p.title,
                                due(p.vote_deadline)
                            )
                        };
                        out.push(Awaiting { text, href: href.clone(), due: p.vote_deadline });
                    }
                }
            }
            Phase::Stemming if access.can_manage_proposals() => out.push(Awaiting {
                text: format!(
                    "De stemming over '{}' is verstreken: sluit die om de uitkomst vast te stellen.",
                    p.title
                ),
                href,
                due: p.vote_deadline,
            }),
            _ => {}
        }
    }
    out.sort_by_key(|a| (a.due.is_none(), a.due));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_need_their_deadline() {
        assert!(matches!(parse_step("consultatie-openen", "30-11-2026 17:00"), Ok(Step::OpenConsultation { .. })));
        let err = parse_step("stemming-openen", "").unwrap_err();
        assert_eq!(err.errors[0].name, "termijn");
        assert!(parse_step("stemming-openen", "morgen").is_err());
        assert_eq!(parse_step("intrekken", "").unwrap(), Step::Withdraw);
        assert!(parse_step("stemmen", "").unwrap_err().errors[0].reason.contains("Onbekende stap"));
    }
}
