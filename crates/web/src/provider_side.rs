//! What the provider-side pages and API share (issue 8): which members each provider serves, who
//! must answer an accountability request and how far they are, reading a request from a form or
//! a JSON body, and the reminders on the home page.

use crate::error::{AppError, AppResult};
use crate::governance::Awaiting;
use crate::procurement::burden_facts;
use crate::AppState;
use samenspel_domain::access::RegionAccess;
use samenspel_domain::accountability::{parse_field_lines, FieldSpec, Frequency, RequestKind};
use samenspel_domain::nl::{date, parse_date};
use samenspel_domain::procurement::CollaborationForm;
use samenspel_domain::validation::{optional_text, required_text};
use samenspel_domain::Invalid;
use samenspel_store::accountability::{RequestDetails, RequestRow, SubmissionRow};
use samenspel_store::regions::RegionRow;
use std::collections::{BTreeMap, BTreeSet};
use time::Date;

/// A provider with the members it serves under its running contracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub provider_id: i64,
    pub name: String,
    pub members: BTreeSet<String>,
}

/// The members each provider serves on `day`: members in the lots of its running contracts,
/// except those buying that lot locally. With `lot`, only contracts in that lot count.
pub async fn served_members(
    state: &AppState,
    region: &RegionRow,
    day: Date,
    lot: Option<i64>,
) -> AppResult<BTreeMap<i64, Served>> {
    let facts = burden_facts(state, region, day.year(), day).await?;
    let mut out = BTreeMap::new();
    for p in facts {
        let members: BTreeSet<String> = p
            .contracts
            .iter()
            .filter(|c| lot.is_none_or(|l| l == c.lot_id))
            .flat_map(|c| c.members.iter().filter(|(_, f)| *f != CollaborationForm::Local).map(|(m, _)| m.clone()))
            .collect();
        if !members.is_empty() {
            out.insert(p.provider_id, Served { provider_id: p.provider_id, name: p.name, members });
        }
    }
    Ok(out)
}

/// The day whose contracts decide who a request asks: today, or the deadline once it passed.
pub fn request_day(request: &RequestRow) -> Date {
    samenspel_store::today().min(request.deadline)
}

/// Where a provider stands with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    OnTime,
    Late,
    /// Not sent, deadline not passed.
    Due,
    /// Not sent, deadline passed.
    Missing,
}

impl Standing {
    pub fn code(self) -> &'static str {
        match self {
            Standing::OnTime => "op-tijd",
            Standing::Late => "te-laat",
            Standing::Due => "verwacht",
            Standing::Missing => "ontbreekt",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Standing::OnTime => "Ontvangen",
            Standing::Late => "Te laat ontvangen",
            Standing::Due => "Nog niet ontvangen",
            Standing::Missing => "Ontbreekt (termijn verstreken)",
        }
    }
}

pub struct StatusLine {
    pub provider_id: i64,
    pub provider_name: String,
    /// Asked now (serves members under the request's contracts); a provider that submitted and
    /// no longer is asked stays listed with what it sent.
    pub asked: bool,
    pub members: BTreeSet<String>,
    pub standing: Standing,
    pub current: Option<SubmissionRow>,
}

/// Every provider the request asks, and every provider that answered it.
pub async fn request_status(state: &AppState, region: &RegionRow, request: &RequestRow) -> AppResult<Vec<StatusLine>> {
    let served = served_members(state, region, request_day(request), request.lot_id).await?;
    let current = state.store.current_accountability_submissions(request.id).await?;
    let overdue = samenspel_store::today() > request.deadline;
    let mut lines: Vec<StatusLine> = served
        .values()
        .map(|s| StatusLine {
            provider_id: s.provider_id,
            provider_name: s.name.clone(),
            asked: true,
            members: s.members.clone(),
            standing: if overdue { Standing::Missing } else { Standing::Due },
            current: None,
        })
        .collect();
    for sub in current {
        let members: BTreeSet<String> = state.store.submission_members(sub.id).await?.into_iter().collect();
        let standing = if sub.late { Standing::Late } else { Standing::OnTime };
        match lines.iter_mut().find(|l| l.provider_id == sub.provider_id) {
            Some(line) => {
                line.standing = standing;
                line.current = Some(sub);
            }
            None => lines.push(StatusLine {
                provider_id: sub.provider_id,
                provider_name: sub.provider_name.clone(),
                asked: false,
                members,
                standing,
                current: Some(sub),
            }),
        }
    }
    lines.sort_by(|a, b| a.provider_name.cmp(&b.provider_name));
    Ok(lines)
}

/// A request as typed in a form or sent as JSON, before checking.
#[derive(Debug, Clone, Default)]
pub struct RequestInput {
    pub title: String,
    pub kind: String,
    pub frequency: String,
    pub period: String,
    pub description: String,
    /// The figures as lines (`sleutel; omschrijving; eenheid; niveau`), or as a list from JSON.
    pub field_lines: String,
    pub fields: Option<Vec<FieldSpec>>,
    pub deadline: String,
    pub lot_id: Option<i64>,
}

/// Checks a request; every problem is named, under the field names the form and the API use.
pub fn parse_request(input: &RequestInput) -> Result<RequestDetails, Invalid> {
    let mut invalid = Invalid::new();
    let title = invalid.check("titel", required_text(&input.title, 3, 200));
    let kind = invalid.check("soort", RequestKind::parse(&input.kind));
    let frequency = invalid.check("frequentie", Frequency::parse(&input.frequency));
    let period = invalid.check("periode", required_text(&input.period, 1, 40));
    let description = invalid.check("toelichting", optional_text(&input.description.replace(['\r', '\n'], " "), 4000));
    let deadline = invalid.check("deadline", parse_date(&input.deadline));
    let fields = match &input.fields {
        Some(list) => samenspel_domain::accountability::check_fields(list).map(|_| list.clone()),
        None => parse_field_lines(&input.field_lines),
    };
    let fields = match fields {
        Ok(f) => Some(f),
        Err(e) => {
            invalid.errors.extend(e.errors);
            None
        }
    };
    match (title, kind, frequency, period, description, deadline, fields) {
        (Some(title), Some(kind), Some(frequency), Some(period), Some(description), Some(deadline), Some(fields))
            if invalid.is_empty() =>
        {
            Ok(RequestDetails { title, kind, frequency, period, description, fields, deadline, lot_id: input.lot_id })
        }
        _ => Err(invalid),
    }
}

/// Which requests a user may see: open and closed ones for everyone on the provider side,
/// concepts only for the regional team.
pub fn may_see_request(access: &RegionAccess, request: &RequestRow) -> bool {
    access.can_manage_provider_side() || (request.status != "concept" && access.can_view_provider_side())
}

/// The request, or not found for someone who may not see it.
pub async fn visible_request(
    state: &AppState,
    region: &RegionRow,
    access: &RegionAccess,
    id: i64,
) -> AppResult<RequestRow> {
    let request = state.store.accountability_request(region.id, id).await?;
    if may_see_request(access, &request) {
        Ok(request)
    } else {
        Err(AppError::not_found())
    }
}

/// The provider a user acts for: the one chosen, or the only one they work for.
pub fn acting_provider(access: &RegionAccess, chosen: Option<i64>) -> Option<i64> {
    match (chosen, access.providers.as_slice()) {
        (Some(p), _) if access.can_submit_for(p) => Some(p),
        (None, [only]) => Some(*only),
        _ => None,
    }
}

/// Accountability reminders for the home page: a provider's open requests it has not answered
/// (overdue ones first), and for the regional team the requests past their deadline with
/// providers missing.
pub async fn awaiting(state: &AppState, region: &RegionRow, access: &RegionAccess) -> AppResult<Vec<Awaiting>> {
    let mut out = Vec::new();
    if access.providers.is_empty() && !access.can_manage_provider_side() {
        return Ok(out);
    }
    let today = samenspel_store::today();
    for request in state.store.accountability_requests(region.id).await?.into_iter().filter(|r| r.status == "open") {
        let href = format!("/regios/{}/verantwoording/{}", region.code, request.id);
        let due = request.deadline.with_hms(23, 59, 59).ok().map(|d| d.assume_utc());
        let lines = request_status(state, region, &request).await?;
        for line in lines.iter().filter(|l| access.providers.contains(&l.provider_id) && l.asked) {
            let text = match line.standing {
                Standing::Due => {
                    format!(
                        "Lever '{}' aan voor {} (uiterlijk {}).",
                        request.title,
                        line.provider_name,
                        date(request.deadline)
                    )
                }
                Standing::Missing => format!(
                    "Te laat: '{}' voor {} had uiterlijk {} binnen moeten zijn.",
                    request.title,
                    line.provider_name,
                    date(request.deadline)
                ),
                _ => continue,
            };
            out.push(Awaiting { text, href: href.clone(), due });
        }
        if access.can_manage_provider_side() && today > request.deadline {
            let missing = lines.iter().filter(|l| l.standing == Standing::Missing).count();
            if missing > 0 {
                out.push(Awaiting {
                    text: format!(
                        "'{}': {missing} {} nog niet aangeleverd na de termijn van {}.",
                        request.title,
                        if missing == 1 { "aanbieder heeft" } else { "aanbieders hebben" },
                        date(request.deadline)
                    ),
                    href,
                    due,
                });
            }
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ the portal

/// A tariff of a contract in the portal: the regional amount and members' own amounts.
pub struct PortalTariff {
    pub product: String,
    pub unit: String,
    pub regional: Option<i64>,
    pub by_member: Vec<(String, i64)>,
}

pub struct PortalContract {
    pub id: i64,
    pub lot_id: i64,
    pub lot: String,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub status: String,
    pub members: Vec<String>,
    pub tariffs: Vec<PortalTariff>,
}

/// Everything one provider deals with in the region, in one place.
pub struct Portal {
    pub provider_id: i64,
    pub name: String,
    pub year: i32,
    pub contracts: Vec<PortalContract>,
    /// Lots open for admission, with their conditions.
    pub open_admission: Vec<(i64, String, Vec<String>)>,
    pub open_rounds: Vec<samenspel_store::dialogue::AnnouncementRow>,
    pub announcements: Vec<samenspel_store::dialogue::AnnouncementRow>,
    pub claims: Vec<samenspel_store::dialogue::ClaimMonth>,
    /// Open accountability requests that ask this provider, with where it stands.
    pub requests: Vec<(RequestRow, Standing)>,
}

/// How many announcements the portal shows; older ones are on the list of announcements.
pub const PORTAL_ANNOUNCEMENTS: usize = 10;

pub async fn portal(state: &AppState, region: &RegionRow, provider_id: i64) -> AppResult<Portal> {
    let store = &state.store;
    let provider = store.provider(region.id, provider_id).await?;
    let today = samenspel_store::today();
    let year = today.year();
    let facts = burden_facts(state, region, year, today).await?;
    let tariffs = store.region_tariffs(region.id).await?;
    let mut contracts = Vec::new();
    for c in store.contracts(region.id, Some(provider_id)).await? {
        let mut by_product: BTreeMap<(String, String), PortalTariff> = BTreeMap::new();
        for t in tariffs.iter().filter(|t| t.contract_id == c.id && t.year == year) {
            let key = (t.product_category.clone(), t.product_code.clone().unwrap_or_default());
            let entry = by_product.entry(key).or_insert_with(|| PortalTariff {
                product: format!(
                    "{} {}",
                    t.product_code.clone().unwrap_or_else(|| t.product_category.clone()),
                    t.product_name
                ),
                unit: t.unit.clone(),
                regional: None,
                by_member: Vec::new(),
            });
            match &t.municipality_code {
                None => entry.regional = Some(t.amount_cents),
                Some(m) => entry.by_member.push((m.clone(), t.amount_cents)),
            }
        }
        // The members this contract serves today: in the lot and not buying it locally.
        let members = facts
            .iter()
            .find(|p| p.provider_id == provider_id)
            .and_then(|p| p.contracts.iter().find(|f| f.lot_id == c.lot_id))
            .map(|f| {
                f.members.iter().filter(|(_, form)| *form != CollaborationForm::Local).map(|(m, _)| m.clone()).collect()
            })
            .unwrap_or_default();
        contracts.push(PortalContract {
            id: c.id,
            lot_id: c.lot_id,
            lot: c.lot_name,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            status: c.status,
            members,
            tariffs: by_product.into_values().collect(),
        });
    }
    let mut open_admission = Vec::new();
    for lot in store.lots(region.id).await?.into_iter().filter(|l| l.admission_open) {
        let conditions = store.conditions(lot.id).await?.into_iter().map(|c| c.text).collect();
        open_admission.push((lot.id, lot.name, conditions));
    }
    let announcements = store.announcements(region.id).await?;
    let open_rounds = announcements.iter().filter(|a| a.is_open_round(today)).cloned().collect();
    let mut requests = Vec::new();
    for request in store.accountability_requests(region.id).await?.into_iter().filter(|r| r.status == "open") {
        let lines = request_status(state, region, &request).await?;
        if let Some(line) = lines.iter().find(|l| l.provider_id == provider_id && l.asked) {
            let standing = line.standing;
            requests.push((request, standing));
        }
    }
    Ok(Portal {
        provider_id,
        name: provider.name,
        year,
        contracts,
        open_admission,
        open_rounds,
        announcements: announcements.into_iter().take(PORTAL_ANNOUNCEMENTS).collect(),
        claims: store.claim_status(region.id, provider_id, year).await?,
        requests,
    })
}

// ------------------------------------------------------------------ announcements and questions

/// Checks an announcement: a procurement round needs a closing day that has not passed.
pub fn parse_announcement(
    kind: &str,
    title: &str,
    body: &str,
    lot_id: Option<i64>,
    closes_on: &str,
) -> Result<samenspel_store::dialogue::NewAnnouncement, Invalid> {
    use samenspel_domain::validation::required_paragraphs;
    let mut invalid = Invalid::new();
    let kind = match kind.trim() {
        k @ ("mededeling" | "aanbesteding") => Some(k.to_string()),
        _ => {
            invalid.push("soort", "enum", "Kies mededeling of aanbesteding.");
            None
        }
    };
    let title = invalid.check("titel", required_text(title, 3, 200));
    let body = invalid.check("tekst", required_paragraphs(body, 1, 20_000));
    let closes_on = match (kind.as_deref(), closes_on.trim()) {
        (Some("aanbesteding"), "") => {
            invalid.push("sluitOp", "required", "Een aanbesteding heeft een datum waarop de termijn sluit.");
            None
        }
        (_, "") => None,
        (_, text) => match invalid.check("sluitOp", parse_date(text)) {
            Some(d) if d < samenspel_store::today() => {
                invalid.push("sluitOp", "future", "Kies een datum vanaf vandaag.");
                None
            }
            d => d,
        },
    };
    match (kind, title, body) {
        (Some(kind), Some(title), Some(body)) if invalid.is_empty() => {
            Ok(samenspel_store::dialogue::NewAnnouncement { kind, title, body, lot_id, closes_on })
        }
        _ => Err(invalid),
    }
}

/// A question as asked: subject and text.
pub fn parse_question(subject: &str, question: &str) -> Result<(String, String), Invalid> {
    use samenspel_domain::validation::required_paragraphs;
    let mut invalid = Invalid::new();
    let subject = invalid.check("onderwerp", required_text(subject, 3, 200));
    let question = invalid.check("vraag", required_paragraphs(question, 10, 4000));
    match (subject, question) {
        (Some(s), Some(q)) if invalid.is_empty() => Ok((s, q)),
        _ => Err(invalid),
    }
}

/// An answer with the question as it will be published.
pub fn parse_answer(published_question: &str, answer: &str) -> Result<(String, String), Invalid> {
    use samenspel_domain::validation::required_paragraphs;
    let mut invalid = Invalid::new();
    let question = invalid.check("gepubliceerdeVraag", required_paragraphs(published_question, 10, 4000));
    let answer = invalid.check("antwoord", required_paragraphs(answer, 1, 20_000));
    match (question, answer) {
        (Some(q), Some(a)) if invalid.is_empty() => Ok((q, a)),
        _ => Err(invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RequestInput {
        RequestInput {
            title: "Jaarverantwoording 2025".into(),
            kind: "productie".into(),
            frequency: "jaarlijks".into(),
            period: "2025".into(),
            description: String::new(),
            field_lines: "clienten; Cliënten; aantal; gemeente".into(),
            fields: None,
            deadline: "31-03-2026".into(),
            lot_id: None,
        }
    }

    #[test]
    fn a_request_names_every_problem() {
        assert!(parse_request(&input()).is_ok());
        let bad = RequestInput {
            title: "x".into(),
            kind: "jaarrekening".into(),
            deadline: "morgen".into(),
            field_lines: "clienten; Cliënten; stuks; gemeente".into(),
            ..input()
        };
        let e = parse_request(&bad).unwrap_err();
        let names: Vec<&str> = e.errors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, vec!["titel", "soort", "deadline", "velden"]);
    }
}
