//! Proposals, the members' input (zienswijzen) and the region's answers, representatives,
//! votes and decisions. Each step runs in one write transaction that first locks the proposal
//! (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: `SELECT … FOR UPDATE`), then checks the lifecycle
//! rules of `samenspel_domain::proposal` against what is stored at that moment, so votes cast
//! at the same time, or at the deadline, are counted exactly once and consistently.

use crate::{insert_audit, now, on_pool, Actor, AuditEntry, Result, Store, StoreError, WritePool};
use samenspel_calc::voting::{tally, Outcome, Tally, Vote, Voter};
use samenspel_domain::charter::Charter;
use samenspel_domain::governance::{DecisionRule, Weighting};
use samenspel_domain::nl::dutch_date;
use samenspel_domain::proposal::{
    check_input_text, check_response, decision_number, input_allowed, next_phase, vote_allowed, Choice, Phase,
    ProposalText, Step, StepContext,
};
use samenspel_domain::{Invalid, MunicipalityCode};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

fn for_update<P: WritePool>(_: &P) -> &'static str {
    P::FOR_UPDATE
}

use crate::no_key_update_clause as for_no_key_update;

/// Reads a proposal of a region inside a write transaction and locks it until the transaction
/// ends (PostgreSQL: `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` holds the whole database), so
/// every check that follows sees what is stored at this moment. Not found: `StoreError::NotFound`.
macro_rules! locked_proposal {
    ($pool:expr, $tx:expr, $region_id:expr, $id:expr) => {{
        let select =
            format!("SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE region_id = $1 AND id = $2{}", for_update($pool));
        let row: Option<ProposalRow> =
            sqlx::query_as(&select).bind($region_id).bind($id).fetch_optional(&mut *$tx).await?;
        row.ok_or(StoreError::NotFound)?
    }};
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProposalRow {
    pub id: i64,
    pub region_id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub phase: String,
    pub charter_document: Option<String>,
    pub charter_valid_from: Option<Date>,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub consultation_opened_at: Option<OffsetDateTime>,
    pub consultation_deadline: Option<OffsetDateTime>,
    pub consulted_members: Option<String>,
    pub vote_opened_at: Option<OffsetDateTime>,
    pub vote_deadline: Option<OffsetDateTime>,
    pub charter_version: Option<i32>,
    pub rule: Option<String>,
    pub chair: Option<String>,
    pub voters: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
    pub decision_number: Option<String>,
    pub outcome: Option<String>,
    pub withdrawn_reason: Option<String>,
}

const PROPOSAL_COLUMNS: &str = "id, region_id, kind, title, body, phase, charter_document, charter_valid_from, \
     created_by, created_at, updated_at, consultation_opened_at, consultation_deadline, consulted_members, \
     vote_opened_at, vote_deadline, charter_version, rule, chair, voters, decided_at, decision_number, outcome, \
     withdrawn_reason";

/// A member entitled to vote and its weight under the rule, fixed when voting opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitledVoter {
    #[serde(rename = "gemeente")]
    pub member: String,
    #[serde(rename = "naam")]
    pub name: String,
    #[serde(rename = "gewicht")]
    pub weight: u64,
}

/// The count as stored when the vote closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOutcome {
    pub adopted: bool,
    pub tally: Tally,
}

impl ProposalRow {
    pub fn phase(&self) -> Phase {
        Phase::parse(&self.phase).unwrap_or(Phase::Concept)
    }

    pub fn voters(&self) -> Vec<EntitledVoter> {
        self.voters.as_deref().and_then(|v| serde_json::from_str(v).ok()).unwrap_or_default()
    }

    pub fn consulted(&self) -> Vec<String> {
        self.consulted_members.as_deref().and_then(|v| serde_json::from_str(v).ok()).unwrap_or_default()
    }

    pub fn rule(&self) -> Option<DecisionRule> {
        self.rule.as_deref().and_then(|r| serde_json::from_str(r).ok())
    }

    /// Whether the votes are secret (the rule fixed when voting opened says so).
    pub fn secret(&self) -> bool {
        self.rule().is_some_and(|r| r.secret)
    }

    pub fn outcome(&self) -> Option<StoredOutcome> {
        self.outcome.as_deref().and_then(|o| serde_json::from_str(o).ok())
    }

    pub fn proposed_charter(&self) -> Option<Charter> {
        self.charter_document.as_deref().and_then(|d| Charter::parse(d).ok())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct InputRow {
    pub id: i64,
    pub proposal_id: i64,
    pub municipality_code: String,
    pub municipality_name: String,
    pub body: String,
    pub submitted_by: String,
    pub submitted_at: OffsetDateTime,
    pub handling: Option<String>,
    pub response: Option<String>,
    pub responded_by: Option<String>,
    pub responded_at: Option<OffsetDateTime>,
}

const INPUT_SELECT: &str = "SELECT i.id, i.proposal_id, i.municipality_code, m.name AS municipality_name, i.body, \
     i.submitted_by, i.submitted_at, i.handling, i.response, i.responded_by, i.responded_at \
     FROM consultation_inputs i JOIN municipalities m ON m.code = i.municipality_code";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct VoteRow {
    pub proposal_id: i64,
    pub municipality_code: String,
    pub choice: String,
    pub cast_by: String,
    pub cast_at: OffsetDateTime,
    pub changes: i32,
}

impl VoteRow {
    pub fn choice(&self) -> Option<Choice> {
        Choice::parse(&self.choice)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: i64,
    pub proposal_id: i64,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RepresentativeRow {
    pub id: i64,
    pub region_id: i64,
    pub municipality_code: String,
    pub municipality_name: String,
    pub user_id: i64,
    pub login: String,
    pub display_name: String,
    pub title: String,
    pub valid_from: Date,
    pub valid_until: Option<Date>,
}

impl RepresentativeRow {
    pub fn active_on(&self, day: Date) -> bool {
        self.valid_from <= day && self.valid_until.is_none_or(|u| day <= u)
    }
}

const REPRESENTATIVE_SELECT: &str = "SELECT r.id, r.region_id, r.municipality_code, m.name AS municipality_name, \
     r.user_id, u.login, u.display_name, r.title, r.valid_from, r.valid_until FROM representatives r \
     JOIN municipalities m ON m.code = r.municipality_code JOIN users u ON u.id = r.user_id";

/// An authorisation to vote for a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRepresentative {
    pub municipality: MunicipalityCode,
    pub user_id: i64,
    /// `wethouder` or `gemachtigde`.
    pub title: String,
    pub valid_from: Date,
    pub valid_until: Option<Date>,
}

/// Whether a new vote may replace an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteMode {
    /// The member's first vote; refused when it already voted.
    Cast,
    /// A change of the member's vote; refused when it has not voted yet.
    Change,
}

/// The largest attachment: decision documents, not archives.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

fn refused(field: &str, code: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid(Invalid::single(field, code, reason))
}

impl Store {
    // ---------------------------------------------------------------- representatives

    pub async fn representatives(&self, region_id: i64) -> Result<Vec<RepresentativeRow>> {
        let sql = format!("{REPRESENTATIVE_SELECT} WHERE r.region_id = $1 ORDER BY m.name, r.valid_from, u.login");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await?))
    }

    /// The members a user represents on a day.
    pub async fn represented_by(&self, region_id: i64, user_id: i64, day: Date) -> Result<Vec<MunicipalityCode>> {
        let sql = format!("{REPRESENTATIVE_SELECT} WHERE r.region_id = $1 AND r.user_id = $2");
        let rows: Vec<RepresentativeRow> =
            on_pool!(self, |pool| sqlx::query_as(&sql).bind(region_id).bind(user_id).fetch_all(pool).await)?;
        let mut members: Vec<MunicipalityCode> = rows
            .iter()
            .filter(|r| r.active_on(day))
            .filter_map(|r| MunicipalityCode::parse(&r.municipality_code).ok())
            .collect();
        members.sort();
        members.dedup();
        Ok(members)
    }

    /// Authorises a user to vote for a member from a day (until a day, or open-ended). The user
    /// must work for that member in the region (hold its member role) and the municipality must
    /// be a member.
    pub async fn add_representative(
        &self,
        region_id: i64,
        new: &NewRepresentative,
        actor: &Actor,
    ) -> Result<RepresentativeRow> {
        let NewRepresentative { municipality, user_id, title, valid_from, valid_until } = new;
        let (user_id, title, valid_from, valid_until) = (*user_id, title.as_str(), *valid_from, *valid_until);
        let mut invalid = Invalid::new();
        if !matches!(title, "wethouder" | "gemachtigde") {
            invalid.push("functie", "enum", "Kies wethouder of gemachtigde.");
        }
        if valid_until.is_some_and(|u| u < valid_from) {
            invalid.push("tot", "order", "De einddatum ligt voor de begindatum.");
        }
        if !self.is_member_on(region_id, municipality, valid_from).await? {
            invalid.push("gemeentecode", "member", format!("{municipality} is op die dag geen lid van de regio."));
        }
        let holds_role: i64 = on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM role_grants WHERE user_id = $1 AND region_id = $2 AND role = 'gemeente' \
             AND municipality_code = $3"
        )
        .bind(user_id)
        .bind(region_id)
        .bind(municipality.as_str())
        .fetch_one(pool)
        .await)?;
        if holds_role == 0 {
            invalid.push(
                "gebruiker",
                "role",
                format!("Deze gebruiker werkt niet voor {municipality} in deze regio; geef eerst de rol gemeente."),
            );
        }
        if !invalid.is_empty() {
            return Err(StoreError::Invalid(invalid));
        }
        let id = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO representatives (region_id, municipality_code, user_id, title, valid_from, valid_until, \
                 created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(region_id)
            .bind(municipality.as_str())
            .bind(user_id)
            .bind(title)
            .bind(valid_from)
            .bind(valid_until)
            .bind(&actor.login)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            let entry = AuditEntry::new("aanwijzen", "vertegenwoordiger", id)
                .region(region_id)
                .after(&serde_json::json!({"gemeente": municipality, "gebruiker": user_id, "functie": title,
                    "vanaf": valid_from, "tot": valid_until}));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<i64, StoreError>(id)
        })?;
        let sql = format!("{REPRESENTATIVE_SELECT} WHERE r.id = $1");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(id).fetch_one(pool).await?))
    }

    /// Ends an authorisation on a day.
    pub async fn end_representative(&self, region_id: i64, id: i64, until: Date, actor: &Actor) -> Result<()> {
        let sql = format!("{REPRESENTATIVE_SELECT} WHERE r.id = $1 AND r.region_id = $2");
        let row: RepresentativeRow =
            on_pool!(self, |pool| sqlx::query_as(&sql).bind(id).bind(region_id).fetch_optional(pool).await)?
                .ok_or(StoreError::NotFound)?;
        if until < row.valid_from {
            return Err(refused("tot", "order", "De einddatum ligt voor de begindatum."));
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE representatives SET valid_until = $1 WHERE id = $2")
                .bind(until)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry::new("beëindigen", "vertegenwoordiger", id)
                .region(region_id)
                .before(&row)
                .after(&serde_json::json!({ "tot": until }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// E-mail addresses (with names) of the active users who work for these members, each once.
    pub async fn member_staff_addresses(&self, region_id: i64, members: &[String]) -> Result<Vec<(String, String)>> {
        let rows: Vec<(String, String, String)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT DISTINCT u.email, u.display_name, g.municipality_code FROM role_grants g \
             JOIN users u ON u.id = g.user_id WHERE g.region_id = $1 AND g.role = 'gemeente' \
             AND u.active AND u.email IS NOT NULL AND u.email <> ''"
        )
        .bind(region_id)
        .fetch_all(pool)
        .await)?;
        Ok(distinct_addresses(rows.into_iter().filter(|(_, _, m)| members.contains(m)).map(|(e, n, _)| (e, n))))
    }

    /// E-mail addresses of the active users who represent these members on a day, each once.
    pub async fn representative_addresses(
        &self,
        region_id: i64,
        members: &[String],
        day: Date,
    ) -> Result<Vec<(String, String)>> {
        let sql = format!("{REPRESENTATIVE_SELECT} WHERE r.region_id = $1");
        let rows: Vec<RepresentativeRow> =
            on_pool!(self, |pool| sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await)?;
        let mut out = Vec::new();
        for r in rows.iter().filter(|r| r.active_on(day) && members.contains(&r.municipality_code)) {
            let user = self.user(r.user_id).await?;
            if let Some(email) = user.email.filter(|e| !e.is_empty() && user.active) {
                out.push((email, user.display_name));
            }
        }
        Ok(distinct_addresses(out.into_iter()))
    }

    // ---------------------------------------------------------------- proposals

    /// A region's proposals, newest first.
    pub async fn proposals(&self, region_id: i64) -> Result<Vec<ProposalRow>> {
        let sql = format!("SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE region_id = $1 ORDER BY id DESC");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await?))
    }

    pub async fn proposal(&self, region_id: i64, id: i64) -> Result<ProposalRow> {
        let sql = format!("SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE region_id = $1 AND id = $2");
        on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(region_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound))
    }

    /// A new proposal in draft. A charter change carries the proposed charter, checked whole.
    pub async fn create_proposal(
        &self,
        region_id: i64,
        text: &ProposalText,
        charter: Option<(&Charter, Date)>,
        actor: &Actor,
    ) -> Result<ProposalRow> {
        let document = match (text.kind.as_str(), charter) {
            ("handvest", Some((charter, from))) => {
                let mut problems = charter.problems();
                let members: Vec<String> =
                    self.member_names(region_id, from).await?.into_iter().map(|(code, _)| code).collect();
                let outsiders = charter.outsiders(&members);
                if !outsiders.is_empty() {
                    problems.push(format!(
                        "{} is geen lid van de regio op {}; de voorzitter en vetohouders zijn leden",
                        outsiders.join(", "),
                        samenspel_domain::nl::date(from)
                    ));
                }
                if !problems.is_empty() {
                    let mut invalid = Invalid::new();
                    for p in problems {
                        invalid.push("handvest", "charter", p);
                    }
                    return Err(StoreError::Invalid(invalid));
                }
                Some((serde_json::to_string_pretty(charter).unwrap_or_default(), from))
            }
            ("handvest", None) => {
                return Err(refused(
                    "handvest",
                    "required",
                    "Een voorstel tot wijziging van het handvest bevat het nieuwe handvest.",
                ))
            }
            (_, Some(_)) => {
                return Err(refused("handvest", "kind", "Alleen een voorstel van soort handvest bevat een handvest."))
            }
            (_, None) => None,
        };
        let at = now();
        let sql = format!(
            "INSERT INTO proposals (region_id, kind, title, body, phase, charter_document, charter_valid_from, \
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 'concept', $5, $6, $7, $8, $8) \
             RETURNING {PROPOSAL_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: ProposalRow = sqlx::query_as(&sql)
                .bind(region_id)
                .bind(&text.kind)
                .bind(&text.title)
                .bind(&text.text)
                .bind(document.as_ref().map(|d| d.0.as_str()))
                .bind(document.as_ref().map(|d| d.1))
                .bind(&actor.login)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
            let entry = AuditEntry::new("aanmaken", "voorstel", row.id).region(region_id).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Changes title and text while the phase allows it (draft, or while answering the inputs).
    pub async fn update_proposal_text(
        &self,
        region_id: i64,
        id: i64,
        text: &ProposalText,
        actor: &Actor,
    ) -> Result<ProposalRow> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let before = locked_proposal!(pool, tx, region_id, id);
            if !before.phase().text_editable() {
                return Err(refused(
                    "tekst",
                    "phase",
                    format!(
                        "De tekst kan alleen in concept of tijdens de reactie op zienswijzen wijzigen (fase nu: {}).",
                        before.phase().label()
                    ),
                ));
            }
            if text.kind != before.kind && before.phase() != Phase::Concept {
                return Err(refused("soort", "phase", "De soort besluit ligt vast zodra de consultatie is geopend."));
            }
            if text.kind != before.kind && (text.kind == "handvest" || before.kind == "handvest") {
                return Err(refused(
                    "soort",
                    "charter",
                    "Een wijziging van het handvest blijft een voorstel van soort handvest, en een ander voorstel \
                     wordt er geen: maak een nieuw voorstel.",
                ));
            }
            let update = format!(
                "UPDATE proposals SET kind = $1, title = $2, body = $3, updated_at = $4 WHERE id = $5 \
                 RETURNING {PROPOSAL_COLUMNS}"
            );
            let after: ProposalRow = sqlx::query_as(&update)
                .bind(&text.kind)
                .bind(&text.title)
                .bind(&text.text)
                .bind(now())
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let entry = AuditEntry::new("wijzigen", "voorstel", id)
                .region(region_id)
                .before(&serde_json::json!({"soort": before.kind, "titel": before.title, "tekst": before.body}))
                .after(&serde_json::json!({"soort": after.kind, "titel": after.title, "tekst": after.body}));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(after)
        })
    }

    /// Takes a step in the lifecycle. Opening the vote fixes the charter rule in force today,
    /// the chair and every member's weight; closing it counts the votes under that rule, and an
    /// adopted charter change becomes the new charter version in the same transaction.
    pub async fn proposal_step(
        &self,
        region_id: i64,
        id: i64,
        step: Step,
        min_open: time::Duration,
        actor: &Actor,
    ) -> Result<ProposalRow> {
        self.take_step(region_id, id, step, min_open, None, actor).await
    }

    async fn take_step(
        &self,
        region_id: i64,
        id: i64,
        step: Step,
        min_open: time::Duration,
        withdraw_reason: Option<&str>,
        actor: &Actor,
    ) -> Result<ProposalRow> {
        // What opening the vote needs is read before the transaction: the charter and figures
        // are not changed by this step. The plan is made only when the phase allows the step, so
        // a step out of turn is refused for its phase, not for a missing charter.
        let today = crate::today();
        let proposal = self.proposal(region_id, id).await?;
        let voters_plan = match step {
            Step::OpenVoting { .. } if proposal.phase() == Phase::Reactie => {
                Some(self.plan_vote(region_id, &proposal.kind, today).await?)
            }
            _ => None,
        };
        let members_today = self.member_names(region_id, today).await?;
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let before = locked_proposal!(pool, tx, region_id, id);
            let unanswered: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM consultation_inputs WHERE proposal_id = $1 AND handling IS NULL",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let at = now();
            let ctx = StepContext {
                phase: before.phase(),
                now: at,
                consultation_deadline: before.consultation_deadline,
                vote_deadline: before.vote_deadline,
                unanswered_inputs: u32::try_from(unanswered).unwrap_or(u32::MAX),
                min_open,
            };
            let next = next_phase(&ctx, step)?;
            let mut closing_votes: Option<Vec<serde_json::Value>> = None;
            let update =
                format!("UPDATE proposals SET phase = $1, updated_at = $2 WHERE id = $3 RETURNING {PROPOSAL_COLUMNS}");
            let after: ProposalRow = match step {
                Step::OpenConsultation { deadline } => {
                    let consulted: Vec<&String> = members_today.iter().map(|(code, _)| code).collect();
                    sqlx::query_as(&format!(
                        "UPDATE proposals SET phase = $1, updated_at = $2, consultation_opened_at = $2, \
                         consultation_deadline = $3, consulted_members = $4 WHERE id = $5 RETURNING {PROPOSAL_COLUMNS}"
                    ))
                    .bind(next.code())
                    .bind(at)
                    .bind(deadline)
                    .bind(serde_json::to_string(&consulted).unwrap_or_default())
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?
                }
                Step::OpenVoting { deadline } => {
                    let plan = voters_plan.clone().ok_or(StoreError::NotFound)?;
                    sqlx::query_as(&format!(
                        "UPDATE proposals SET phase = $1, updated_at = $2, vote_opened_at = $2, vote_deadline = $3, \
                         charter_version = $4, rule = $5, chair = $6, voters = $7 WHERE id = $8 \
                         RETURNING {PROPOSAL_COLUMNS}"
                    ))
                    .bind(next.code())
                    .bind(at)
                    .bind(deadline)
                    .bind(plan.charter_version)
                    .bind(serde_json::to_string(&plan.rule).unwrap_or_default())
                    .bind(&plan.chair)
                    .bind(serde_json::to_string(&plan.voters).unwrap_or_default())
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?
                }
                Step::CloseVoting => {
                    let votes: Vec<VoteRow> = sqlx::query_as(
                        "SELECT proposal_id, municipality_code, choice, cast_by, cast_at, changes FROM votes \
                         WHERE proposal_id = $1",
                    )
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                    let outcome = count_votes(&before, &votes)?;
                    // The log keeps each vote from the moment the vote is closed (during the
                    // vote it records only that a member voted); a secret vote only in totals.
                    closing_votes = (!before.secret()).then(|| {
                        votes
                            .iter()
                            .map(|v| serde_json::json!({"gemeente": v.municipality_code, "stem": v.choice}))
                            .collect()
                    });
                    let phase = if outcome.adopted { Phase::Aangenomen } else { Phase::Verworpen };
                    let year = dutch_date(at).year();
                    // Decisions are numbered per region: closes of different proposals of one
                    // region take turns (SQLite's single writer does this already).
                    // NO KEY UPDATE: rows that merely refer to the region can still be written.
                    sqlx::query(&format!("SELECT id FROM regions WHERE id = $1{}", for_no_key_update(pool)))
                        .bind(region_id)
                        .execute(&mut *tx)
                        .await?;
                    let taken: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM proposals WHERE region_id = $1 AND decision_number LIKE $2",
                    )
                    .bind(region_id)
                    .bind(format!("{year}-%"))
                    .fetch_one(&mut *tx)
                    .await?;
                    let number = decision_number(year, taken + 1);
                    let after: ProposalRow = sqlx::query_as(&format!(
                        "UPDATE proposals SET phase = $1, updated_at = $2, decided_at = $2, decision_number = $3, \
                         outcome = $4 WHERE id = $5 RETURNING {PROPOSAL_COLUMNS}"
                    ))
                    .bind(phase.code())
                    .bind(at)
                    .bind(&number)
                    .bind(serde_json::to_string(&outcome).unwrap_or_default())
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                    if outcome.adopted && after.kind == "handvest" {
                        if let (Some(document), Some(from)) = (&after.charter_document, after.charter_valid_from) {
                            let version: i32 = sqlx::query_scalar(
                                "INSERT INTO charters (region_id, version, valid_from, document, reason, created_by, \
                                 created_at) SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6 \
                                 FROM charters WHERE region_id = $1 RETURNING version",
                            )
                            .bind(region_id)
                            .bind(from.max(dutch_date(at)))
                            .bind(document)
                            .bind(format!("Besluit {number}: {}", after.title))
                            .bind(&actor.login)
                            .bind(at)
                            .fetch_one(&mut *tx)
                            .await?;
                            let entry = AuditEntry::new("nieuwe versie", "handvest", i64::from(version))
                                .region(region_id)
                                .after(&serde_json::json!({ "versie": version, "besluit": number }));
                            insert_audit!(&mut *tx, actor, &entry)?;
                        }
                    }
                    after
                }
                Step::Withdraw => {
                    sqlx::query_as(&format!(
                        "UPDATE proposals SET phase = $1, updated_at = $2, withdrawn_reason = $3 WHERE id = $4 \
                         RETURNING {PROPOSAL_COLUMNS}"
                    ))
                    .bind(next.code())
                    .bind(at)
                    .bind(withdraw_reason.unwrap_or_default())
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?
                }
                Step::CloseConsultation => {
                    sqlx::query_as(&update).bind(next.code()).bind(at).bind(id).fetch_one(&mut *tx).await?
                }
            };
            let entry = AuditEntry::new(step.name(), "voorstel", id).region(region_id).after(&serde_json::json!({
                "fase": after.phase, "besluitnummer": after.decision_number,
                "consultatieTot": after.consultation_deadline, "stemmenTot": after.vote_deadline,
                "uitkomst": after.outcome().map(|o| o.tally.explanation),
                "stemmen": closing_votes, "reden": after.withdrawn_reason,
            }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(after)
        })
    }

    /// Withdraws a proposal with the reason.
    pub async fn withdraw_proposal(&self, region_id: i64, id: i64, reason: &str, actor: &Actor) -> Result<ProposalRow> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(refused("reden", "required", "Geef de reden van het intrekken: de leden moeten die kennen."));
        }
        if reason.chars().count() > samenspel_domain::proposal::MAX_REASON {
            return Err(refused("reden", "length", "De reden is te lang."));
        }
        self.take_step(region_id, id, Step::Withdraw, time::Duration::ZERO, Some(reason), actor).await
    }

    /// The members of the region on a day, by code with their names, by name.
    async fn member_names(&self, region_id: i64, day: Date) -> Result<Vec<(String, String)>> {
        Ok(self
            .memberships(region_id)
            .await?
            .into_iter()
            .filter(|m| m.is_active_on(day))
            .map(|m| (m.municipality_code, m.municipality_name))
            .collect())
    }

    /// What voting on a kind of decision opened today is fixed on: the charter in force, its
    /// rule for the kind, the chair and every member's weight. Names every missing piece.
    pub async fn plan_vote(&self, region_id: i64, kind: &str, day: Date) -> Result<VotePlan> {
        let charter_row = self.charter_on(region_id, day).await?.ok_or_else(|| {
            refused(
                "handvest",
                "missing",
                "De regio heeft nog geen handvest in werking: zonder besluitregel geen stemming.",
            )
        })?;
        let charter = charter_row.charter().map_err(|problems| refused("handvest", "charter", problems.join(" ")))?;
        let rule = charter.rules.iter().find(|r| r.kind == kind).cloned().ok_or_else(|| {
            refused(
                "soort",
                "rule",
                format!(
                    "Het handvest (versie {}) heeft geen besluitregel voor de soort '{kind}'.",
                    charter_row.version
                ),
            )
        })?;
        let members = self.member_names(region_id, day).await?;
        let weights: Vec<Option<u64>> = match rule.weighting {
            Weighting::Lid => members.iter().map(|_| Some(1)).collect(),
            Weighting::Inwoners => {
                let mut out = Vec::new();
                for (code, _) in &members {
                    let inhabitants: Option<i64> = on_pool!(self, |pool| sqlx::query_scalar(
                        "SELECT inhabitants FROM municipalities WHERE code = $1"
                    )
                    .bind(code)
                    .fetch_optional(pool)
                    .await)?;
                    out.push(inhabitants.and_then(|i| u64::try_from(i).ok()).filter(|i| *i > 0));
                }
                out
            }
            Weighting::Budget => {
                let region = self.region(region_id).await?;
                let domain = region.domain();
                let mut out = Vec::new();
                for (code, _) in &members {
                    let budget: Option<(Option<i64>, Option<i64>)> = on_pool!(self, |pool| sqlx::query_as(
                        "SELECT budget_youth_cents, budget_wmo_cents FROM member_figures \
                         WHERE region_id = $1 AND municipality_code = $2 AND year = $3"
                    )
                    .bind(region_id)
                    .bind(code)
                    .bind(day.year())
                    .fetch_optional(pool)
                    .await)?;
                    let (youth, wmo) = budget.unwrap_or((None, None));
                    let cents = match domain {
                        samenspel_domain::region::Domain::Youth => youth,
                        samenspel_domain::region::Domain::Wmo => wmo,
                        samenspel_domain::region::Domain::YouthAndWmo => youth.zip(wmo).map(|(y, w)| y + w),
                    };
                    out.push(cents.and_then(|c| u64::try_from(c).ok()).filter(|c| *c > 0));
                }
                out
            }
        };
        let missing: Vec<&str> =
            members.iter().zip(&weights).filter(|(_, w)| w.is_none()).map(|((_, name), _)| name.as_str()).collect();
        if !missing.is_empty() {
            let what = match rule.weighting {
                Weighting::Budget => format!("het budget {}", day.year()),
                _ => "het aantal inwoners".to_string(),
            };
            return Err(refused(
                "weging",
                "missing",
                format!(
                    "De besluitregel voor '{kind}' weegt naar {what}, en dat ontbreekt voor {}. Vul het eerst in \
                     (Kerncijfers); de stemming is niet geopend.",
                    missing.join(", ")
                ),
            ));
        }
        let voters = members
            .into_iter()
            .zip(weights)
            .map(|((member, name), weight)| EntitledVoter { member, name, weight: weight.unwrap_or(0) })
            .collect();
        Ok(VotePlan { charter_version: charter_row.version, rule, chair: charter.chair.clone(), voters })
    }

    // ---------------------------------------------------------------- attachments

    pub async fn attachments(&self, proposal_id: i64) -> Result<Vec<AttachmentRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT id, proposal_id, file_name, media_type, size_bytes, sha256, uploaded_by, uploaded_at \
             FROM proposal_attachments WHERE proposal_id = $1 ORDER BY id"
        )
        .bind(proposal_id)
        .fetch_all(pool)
        .await?))
    }

    /// An attachment's name, type and bytes.
    pub async fn attachment_content(&self, proposal_id: i64, id: i64) -> Result<(AttachmentRow, Vec<u8>)> {
        let meta = self.attachments(proposal_id).await?.into_iter().find(|a| a.id == id).ok_or(StoreError::NotFound)?;
        let content: Vec<u8> =
            on_pool!(self, |pool| sqlx::query_scalar("SELECT content FROM proposal_attachments WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await)?;
        Ok((meta, content))
    }

    /// Adds an attachment while the text may change.
    pub async fn add_attachment(
        &self,
        region_id: i64,
        proposal_id: i64,
        file_name: &str,
        media_type: &str,
        content: &[u8],
        actor: &Actor,
    ) -> Result<AttachmentRow> {
        use sha2::{Digest, Sha256};
        let file_name: String =
            file_name.chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\')).take(200).collect();
        let file_name = file_name.trim();
        if file_name.is_empty() {
            return Err(refused("bijlage", "required", "Kies een bestand met een naam."));
        }
        if content.is_empty() {
            return Err(refused("bijlage", "empty", format!("Het bestand {file_name} is leeg.")));
        }
        if content.len() > MAX_ATTACHMENT_BYTES {
            return Err(refused("bijlage", "size", format!("Het bestand {file_name} is groter dan 10 MB.")));
        }
        let digest = hex::encode(Sha256::digest(content));
        let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let phase = locked_proposal!(pool, tx, region_id, proposal_id).phase;
            if !Phase::parse(&phase).is_some_and(|p| p.text_editable()) {
                return Err(refused(
                    "bijlage",
                    "phase",
                    "Bijlagen kunnen alleen in concept of tijdens de reactie op zienswijzen worden toegevoegd.",
                ));
            }
            let row: AttachmentRow = sqlx::query_as(
                "INSERT INTO proposal_attachments (proposal_id, file_name, media_type, size_bytes, sha256, content, \
                 uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 RETURNING id, proposal_id, file_name, media_type, size_bytes, sha256, uploaded_by, uploaded_at",
            )
            .bind(proposal_id)
            .bind(file_name)
            .bind(media_type)
            .bind(size)
            .bind(&digest)
            .bind(content)
            .bind(&actor.login)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            let entry = AuditEntry::new("bijlage toevoegen", "voorstel", proposal_id)
                .region(region_id)
                .after(&serde_json::json!({ "bestand": row.file_name, "sha256": row.sha256, "bytes": size }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    // ---------------------------------------------------------------- inputs

    pub async fn inputs(&self, proposal_id: i64) -> Result<Vec<InputRow>> {
        let sql = format!("{INPUT_SELECT} WHERE i.proposal_id = $1 ORDER BY i.id");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(proposal_id).fetch_all(pool).await?))
    }

    /// Every input in a region, for the voice indicators and a member's overview.
    pub async fn region_inputs(&self, region_id: i64) -> Result<Vec<InputRow>> {
        let sql = format!(
            "{INPUT_SELECT} JOIN proposals p ON p.id = i.proposal_id WHERE p.region_id = $1 ORDER BY i.proposal_id, i.id"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await?))
    }

    /// A member's input on a proposal in consultation, before the deadline.
    pub async fn submit_input(
        &self,
        region_id: i64,
        proposal_id: i64,
        municipality: &MunicipalityCode,
        text: &str,
        actor: &Actor,
    ) -> Result<InputRow> {
        let text = check_input_text(text)?;
        let id = on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let proposal = locked_proposal!(pool, tx, region_id, proposal_id);
            let at = now();
            input_allowed(proposal.phase(), proposal.consultation_deadline, at)?;
            if !proposal.consulted().iter().any(|m| m == municipality.as_str()) {
                return Err(refused(
                    "gemeente",
                    "member",
                    format!("{municipality} was geen lid toen de consultatie openging en geeft hier geen zienswijze."),
                ));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO consultation_inputs (proposal_id, municipality_code, body, submitted_by, submitted_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(proposal_id)
            .bind(municipality.as_str())
            .bind(&text)
            .bind(&actor.login)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            let entry = AuditEntry::new("zienswijze geven", "voorstel", proposal_id)
                .region(region_id)
                .after(&serde_json::json!({ "zienswijze": id, "gemeente": municipality, "tekst": text }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<i64, StoreError>(id)
        })?;
        self.inputs(proposal_id).await?.into_iter().find(|i| i.id == id).ok_or(StoreError::NotFound)
    }

    /// The region's answer to an input, while the proposal is in the response phase (an answer
    /// can be revised until the vote opens).
    pub async fn respond_to_input(
        &self,
        region_id: i64,
        proposal_id: i64,
        input_id: i64,
        handling: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<InputRow> {
        let (handling, reason) = check_response(handling, reason)?;
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let phase = locked_proposal!(pool, tx, region_id, proposal_id).phase;
            if phase != Phase::Reactie.code() {
                return Err(refused(
                    "verwerking",
                    "phase",
                    format!(
                        "Zienswijzen worden beantwoord na de consultatie en voor de stemming (fase nu: {}).",
                        Phase::parse(&phase).map_or(phase.as_str(), |p| p.label())
                    ),
                ));
            }
            let updated = sqlx::query(
                "UPDATE consultation_inputs SET handling = $1, response = $2, responded_by = $3, responded_at = $4 \
                 WHERE id = $5 AND proposal_id = $6",
            )
            .bind(handling.code())
            .bind(&reason)
            .bind(&actor.login)
            .bind(now())
            .bind(input_id)
            .bind(proposal_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(StoreError::NotFound);
            }
            let entry = AuditEntry::new("zienswijze beantwoorden", "voorstel", proposal_id)
                .region(region_id)
                .after(&serde_json::json!({ "zienswijze": input_id, "verwerking": handling, "reactie": reason }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.inputs(proposal_id).await?.into_iter().find(|i| i.id == input_id).ok_or(StoreError::NotFound)
    }

    // ---------------------------------------------------------------- votes

    pub async fn votes(&self, proposal_id: i64) -> Result<Vec<VoteRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT proposal_id, municipality_code, choice, cast_by, cast_at, changes FROM votes \
             WHERE proposal_id = $1 ORDER BY municipality_code"
        )
        .bind(proposal_id)
        .fetch_all(pool)
        .await?))
    }

    /// Every vote in a region, for the voice indicators.
    pub async fn region_votes(&self, region_id: i64) -> Result<Vec<VoteRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT v.proposal_id, v.municipality_code, v.choice, v.cast_by, v.cast_at, v.changes FROM votes v \
             JOIN proposals p ON p.id = v.proposal_id WHERE p.region_id = $1"
        )
        .bind(region_id)
        .fetch_all(pool)
        .await?))
    }

    /// Casts or changes a member's vote. Inside one locked transaction: the vote is open and
    /// its deadline not reached, the member is entitled to vote on it, the user is the member's
    /// representative today, and the member has (for a change) or has not (for a first vote)
    /// voted already. A secret vote's choice stays out of the audit log.
    #[allow(clippy::too_many_arguments)]
    pub async fn cast_vote(
        &self,
        region_id: i64,
        proposal_id: i64,
        municipality: &MunicipalityCode,
        choice: Choice,
        mode: VoteMode,
        user_id: i64,
        actor: &Actor,
    ) -> Result<VoteRow> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let proposal = locked_proposal!(pool, tx, region_id, proposal_id);
            let at = now();
            vote_allowed(proposal.phase(), proposal.vote_deadline, at)?;
            if !proposal.voters().iter().any(|v| v.member == municipality.as_str()) {
                return Err(refused(
                    "gemeente",
                    "member",
                    format!(
                        "{municipality} heeft in deze stemming geen stem: het was geen lid toen de stemming openging."
                    ),
                ));
            }
            let today = dutch_date(at);
            let authorised: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM representatives WHERE region_id = $1 AND municipality_code = $2 AND user_id = $3 \
                 AND valid_from <= $4 AND (valid_until IS NULL OR valid_until >= $4)",
            )
            .bind(region_id)
            .bind(municipality.as_str())
            .bind(user_id)
            .bind(today)
            .fetch_one(&mut *tx)
            .await?;
            if authorised == 0 {
                return Err(refused(
                    "stem",
                    "representative",
                    format!("U bent vandaag geen gemachtigde vertegenwoordiger van {municipality}; alleen die stemt."),
                ));
            }
            let existing: Option<VoteRow> = sqlx::query_as(
                "SELECT proposal_id, municipality_code, choice, cast_by, cast_at, changes FROM votes \
                 WHERE proposal_id = $1 AND municipality_code = $2",
            )
            .bind(proposal_id)
            .bind(municipality.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let row: VoteRow = match (mode, &existing) {
                (VoteMode::Cast, Some(previous)) => {
                    return Err(StoreError::conflict(
                        "stem",
                        format!(
                            "{municipality} heeft al gestemd (door {} op {}). Wijzig die stem als dat de bedoeling is; \
                             er is niets veranderd.",
                            previous.cast_by,
                            samenspel_domain::nl::date_time(previous.cast_at)
                        ),
                    ))
                }
                (VoteMode::Change, None) => {
                    return Err(refused("stem", "missing", format!("{municipality} heeft nog niet gestemd; breng eerst een stem uit.")))
                }
                (VoteMode::Cast, None) => sqlx::query_as(
                    "INSERT INTO votes (proposal_id, municipality_code, choice, cast_by, cast_at, changes) \
                     VALUES ($1, $2, $3, $4, $5, 0) RETURNING proposal_id, municipality_code, choice, cast_by, cast_at, changes",
                )
                .bind(proposal_id)
                .bind(municipality.as_str())
                .bind(choice.code())
                .bind(&actor.login)
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err(crate::on_unique("stem", "Deze gemeente heeft tegelijk al gestemd; wijzig die stem als dat de bedoeling is."))?,
                (VoteMode::Change, Some(_)) => sqlx::query_as(
                    "UPDATE votes SET choice = $1, cast_by = $2, cast_at = $3, changes = changes + 1 \
                     WHERE proposal_id = $4 AND municipality_code = $5 \
                     RETURNING proposal_id, municipality_code, choice, cast_by, cast_at, changes",
                )
                .bind(choice.code())
                .bind(&actor.login)
                .bind(at)
                .bind(proposal_id)
                .bind(municipality.as_str())
                .fetch_one(&mut *tx)
                .await?,
            };
            // How a member voted is nobody's business until the vote closes (the close records the
            // votes of an open ballot); the log holds that it voted, and when.
            let action = if existing.is_some() { "stem wijzigen" } else { "stemmen" };
            let entry = AuditEntry::new(action, "voorstel", proposal_id)
                .region(region_id)
                .after(&serde_json::json!({ "gemeente": municipality, "stem": "uitgebracht" }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }
}

fn distinct_addresses(rows: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (email, name) in rows {
        if !out.iter().any(|(e, _)| e.eq_ignore_ascii_case(&email)) {
            out.push((email, name));
        }
    }
    out.sort();
    out
}

/// What a vote is fixed on when it opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VotePlan {
    pub charter_version: i32,
    pub rule: DecisionRule,
    pub chair: Option<String>,
    pub voters: Vec<EntitledVoter>,
}

/// Counts the stored votes under the rule fixed when voting opened.
pub fn count_votes(proposal: &ProposalRow, votes: &[VoteRow]) -> Result<StoredOutcome> {
    let rule = proposal
        .rule()
        .ok_or_else(|| refused("stem", "rule", "De besluitregel van deze stemming ontbreekt."))?
        .check()
        .map_err(|problems| refused("stem", "rule", problems.join(" ")))?;
    let weighted = rule.weighting != Weighting::Lid;
    let voters: Vec<Voter> = proposal
        .voters()
        .into_iter()
        .map(|v| {
            let vote =
                votes.iter().find(|x| x.municipality_code == v.member).and_then(VoteRow::choice).map(|c| match c {
                    Choice::Voor => Vote::For,
                    Choice::Tegen => Vote::Against,
                    Choice::Onthouding => Vote::Abstain,
                });
            Voter { member: v.member.clone(), name: Some(v.name.clone()), weight: weighted.then_some(v.weight), vote }
        })
        .collect();
    let mut tally =
        tally(&rule, &voters, proposal.chair.as_deref()).map_err(|e| refused("stem", "tally", e.to_string()))?;
    // A secret ballot names nobody, also not who used a veto.
    if rule.secret {
        if let Outcome::Vetoed(names) = &mut tally.outcome {
            names.clear();
        }
    }
    Ok(StoredOutcome { adopted: tally.outcome == Outcome::Adopted, tally })
}
