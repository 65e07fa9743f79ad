//! Collaboration health (issue 7): the region's questionnaire instruments and their versions,
//! rounds, personal invitations and anonymous responses.
//!
//! Privacy by construction: an invitation is stored as the hash of its link with only the
//! respondent group (and for a member whether it is one of the larger half of the region); a
//! submitted response is stored with a random key, no timestamp and no reference to the
//! invitation, so the order of submissions cannot tie a response to a person. Submitting is one
//! locked transaction, so a link is used exactly once. Responses never leave the store except as
//! the respondents handed to the calculations in `samenspel_calc::health`.

use crate::{insert_audit, now, on_pool, Actor, AuditEntry, Result, Store, StoreError, WritePool};
use rand::seq::SliceRandom;
use rand::RngCore;
use samenspel_calc::health::Respondent;
use samenspel_domain::instrument::{Answers, Instrument, Party, SHIPPED};
use samenspel_domain::{Invalid, MunicipalityCode};
use serde::Serialize;
use time::OffsetDateTime;

fn for_update<P: WritePool>(_: &P) -> &'static str {
    P::FOR_UPDATE
}

/// Reads a round of a region inside a write transaction and locks it until the transaction ends;
/// not found: `StoreError::NotFound`.
macro_rules! locked_round {
    ($pool:expr, $tx:expr, $region_id:expr, $id:expr) => {{
        let select =
            format!("SELECT {ROUND_COLUMNS} FROM survey_rounds WHERE region_id = $1 AND id = $2{}", for_update($pool));
        let round: Option<RoundRow> =
            sqlx::query_as(&select).bind($region_id).bind($id).fetch_optional(&mut *$tx).await?;
        round.ok_or(StoreError::NotFound)?
    }};
}

/// Reads and locks an invitation (by the hash of its link) and its round inside a write
/// transaction; an unknown link is `LinkProblem::Unknown`.
macro_rules! locked_invitation {
    ($pool:expr, $tx:expr, $token_hash:expr) => {{
        let sql =
            format!("SELECT {INVITATION_COLUMNS} FROM survey_invitations WHERE token_hash = $1{}", for_update($pool));
        let invitation: Option<InvitationRow> =
            sqlx::query_as(&sql).bind($token_hash).fetch_optional(&mut *$tx).await?;
        let invitation = invitation.ok_or(LinkError::Link(LinkProblem::Unknown))?;
        // The round too: a round closing at this moment waits, or this submission does.
        let round_sql = format!("SELECT {ROUND_COLUMNS} FROM survey_rounds WHERE id = $1{}", for_update($pool));
        let round: RoundRow = sqlx::query_as(&round_sql).bind(invitation.round_id).fetch_one(&mut *$tx).await?;
        (invitation, round)
    }};
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct InstrumentRow {
    pub id: i64,
    pub region_id: i64,
    pub family: String,
    pub version: i32,
    pub document: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
}

impl InstrumentRow {
    /// The instrument; stored documents were checked when saved.
    pub fn instrument(&self) -> Option<Instrument> {
        Instrument::parse(&self.document).ok()
    }
}

const INSTRUMENT_COLUMNS: &str = "id, region_id, family, version, document, created_by, created_at";

/// Where a round's instrument comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstrumentChoice {
    /// Shipped with Samenspel, by key.
    Shipped(String),
    /// A version the region saved.
    Region(i64),
}

impl InstrumentChoice {
    /// Reads `samenspel:KEY` or `regio:ID`, the form value of the choice.
    pub fn parse(s: &str) -> Option<InstrumentChoice> {
        if let Some(key) = s.strip_prefix("samenspel:") {
            return SHIPPED.iter().any(|(k, _)| *k == key).then(|| InstrumentChoice::Shipped(key.to_string()));
        }
        s.strip_prefix("regio:").and_then(|id| id.parse().ok()).map(InstrumentChoice::Region)
    }
}

/// A shipped instrument, read.
pub fn shipped(key: &str) -> Option<Instrument> {
    SHIPPED.iter().find(|(k, _)| *k == key).and_then(|(_, json)| Instrument::parse(json).ok())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RoundRow {
    pub id: i64,
    pub region_id: i64,
    pub title: String,
    pub kind: String,
    pub instrument_source: String,
    pub instrument_id: Option<i64>,
    pub instrument_label: String,
    #[serde(skip)]
    pub instrument: String,
    #[serde(skip)]
    pub parties: String,
    pub status: String,
    pub closes_at: OffsetDateTime,
    pub opened_at: Option<OffsetDateTime>,
    pub closed_at: Option<OffsetDateTime>,
    pub generated: bool,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    /// Which members count as large (JSON), fixed when the round was prepared.
    #[serde(skip)]
    pub size_classes: String,
}

const ROUND_COLUMNS: &str = "id, region_id, title, kind, instrument_source, instrument_id, instrument_label, \
     instrument, parties, status, closes_at, opened_at, closed_at, generated, created_by, created_at, size_classes";

impl RoundRow {
    /// The copy of the instrument this round asks (sound: it was checked when the round was made).
    pub fn instrument(&self) -> Instrument {
        Instrument::parse(&self.instrument).unwrap_or_else(|_| Instrument {
            name: self.instrument_label.clone(),
            source: String::new(),
            points: 5,
            thresholds: None,
            per_party: false,
            dimensions: Vec::new(),
            comparisons: Vec::new(),
            open_questions: Vec::new(),
        })
    }

    pub fn parties(&self) -> Vec<Party> {
        serde_json::from_str(&self.parties).unwrap_or_default()
    }

    /// Per member whether it counted as large when the round was prepared; `None` for every
    /// member when the region was too small to split (see [`Store::member_size_classes`]).
    pub fn size_classes(&self) -> Vec<(String, Option<bool>)> {
        serde_json::from_str(&self.size_classes).unwrap_or_default()
    }

    /// Whether its results may be shown: only once closed, so figures cannot be followed from
    /// one response to the next while it runs.
    pub fn closed(&self) -> bool {
        self.status == "gesloten"
    }

    /// Whether respondents can answer now.
    pub fn accepts_answers(&self, at: OffsetDateTime) -> bool {
        self.status == "open" && at < self.closes_at
    }

    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "concept" => "in voorbereiding",
            "open" if self.closes_at <= now() => "open, termijn verstreken",
            "open" => "open",
            _ => "gesloten",
        }
    }

    pub fn kind_label(&self) -> &'static str {
        if self.kind == "nulmeting" {
            "nulmeting"
        } else {
            "periodieke meting"
        }
    }
}

/// A new round, as the coach fills it in.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub title: String,
    pub kind: String,
    pub instrument: InstrumentChoice,
    pub parties: Vec<Party>,
    pub closes_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct InvitationRow {
    pub id: i64,
    pub round_id: i64,
    pub respondent_group: String,
    pub large_member: Option<bool>,
    pub expires_at: OffsetDateTime,
    pub draft: Option<String>,
    pub submitted: bool,
}

impl InvitationRow {
    pub fn group(&self) -> Party {
        Party::parse(&self.respondent_group).unwrap_or(Party::Members)
    }

    /// The answers saved before submitting.
    pub fn draft(&self) -> Answers {
        self.draft.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default()
    }
}

const INVITATION_COLUMNS: &str = "id, round_id, respondent_group, large_member, expires_at, draft, submitted";

/// Someone to invite: the group they answer for, and for a member respondent the member (only
/// its size class is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub group: Party,
    pub member: Option<MunicipalityCode>,
}

/// Invited and responded, per group (and size class for members), for the coach while a round runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ResponseRate {
    pub respondent_group: String,
    pub large_member: Option<bool>,
    pub invited: i64,
    pub submitted: i64,
}

/// Why a link cannot be used, in Dutch for the respondent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    Unknown,
    Used,
    Expired,
    NotOpen,
}

impl LinkProblem {
    pub fn message(self) -> &'static str {
        match self {
            LinkProblem::Unknown => {
                "Deze link kennen we niet. Controleer of u de hele link uit de uitnodiging hebt overgenomen."
            }
            LinkProblem::Used => {
                "Met deze link is de vragenlijst al ingevuld en verstuurd. Elke link werkt één keer; dank voor uw antwoorden."
            }
            LinkProblem::Expired => "Deze link is verlopen: de meetronde is gesloten. Uw antwoorden kunnen niet meer mee.",
            LinkProblem::NotOpen => "Deze meetronde is nog niet geopend. Probeer het later opnieuw.",
        }
    }
}

/// The outcome of using a link.
#[derive(Debug)]
pub enum LinkError {
    Link(LinkProblem),
    /// The answers do not fit the instrument; nothing was submitted, the draft was kept.
    Answers(Invalid),
    Store(StoreError),
}

impl From<StoreError> for LinkError {
    fn from(e: StoreError) -> Self {
        LinkError::Store(e)
    }
}

impl From<sqlx::Error> for LinkError {
    fn from(e: sqlx::Error) -> Self {
        LinkError::Store(e.into())
    }
}

/// The fewest municipalities in a size class (large or small members).
pub const MIN_PER_SIZE_CLASS: usize = 3;

/// The longest round title.
pub const MAX_TITLE: usize = 200;

/// A response: a random key (so the order of keys says nothing about the order of sending), the
/// group, the size class and the answers; no time, no link.
const INSERT_RESPONSE: &str =
    "INSERT INTO survey_responses (id, round_id, respondent_group, large_member, answers) VALUES ($1, $2, $3, $4, $5)";

fn random_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Store {
    // ---------------------------------------------------------------- instruments

    /// Every version of every instrument the region saved, newest version first per family.
    pub async fn instruments(&self, region_id: i64) -> Result<Vec<InstrumentRow>> {
        let sql =
            format!("SELECT {INSTRUMENT_COLUMNS} FROM instruments WHERE region_id = $1 ORDER BY family, version DESC");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await?))
    }

    pub async fn instrument(&self, region_id: i64, id: i64) -> Result<InstrumentRow> {
        let sql = format!("SELECT {INSTRUMENT_COLUMNS} FROM instruments WHERE region_id = $1 AND id = $2");
        on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(region_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound))
    }

    /// Saves an instrument. Without `edit` it starts a new family at version 1. Editing a version
    /// that no round has opened with changes it in place; once a round has opened with it, the
    /// change becomes a new version (the returned row, with `true`), so a running or past round
    /// keeps exactly what it asked.
    pub async fn save_instrument(
        &self,
        region_id: i64,
        edit: Option<i64>,
        instrument: &Instrument,
        actor: &Actor,
    ) -> Result<(InstrumentRow, bool)> {
        if let problems @ [_, ..] = instrument.problems().as_slice() {
            let mut invalid = Invalid::new();
            for p in problems {
                invalid.push("document", "instrument", p.clone());
            }
            return Err(StoreError::Invalid(invalid));
        }
        let document = instrument.to_json();
        let (id, new_version) = on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let (id, new_version, before) = match edit {
                None => {
                    let family = random_key()[..12].to_string();
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO instruments (region_id, family, version, document, created_by, created_at) \
                         VALUES ($1, $2, 1, $3, $4, $5) RETURNING id",
                    )
                    .bind(region_id)
                    .bind(&family)
                    .bind(&document)
                    .bind(&actor.login)
                    .bind(now())
                    .fetch_one(&mut *tx)
                    .await?;
                    (id, false, None)
                }
                Some(edit) => {
                    let select = format!(
                        "SELECT {INSTRUMENT_COLUMNS} FROM instruments WHERE region_id = $1 AND id = $2{}",
                        for_update(pool)
                    );
                    let row: InstrumentRow = sqlx::query_as(&select)
                        .bind(region_id)
                        .bind(edit)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    let used: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM survey_rounds WHERE instrument_id = $1 AND status <> 'concept'",
                    )
                    .bind(edit)
                    .fetch_one(&mut *tx)
                    .await?;
                    if used == 0 {
                        sqlx::query("UPDATE instruments SET document = $1 WHERE id = $2")
                            .bind(&document)
                            .bind(edit)
                            .execute(&mut *tx)
                            .await?;
                        // Rounds still in preparation ask the version as it now is.
                        sqlx::query(
                            "UPDATE survey_rounds SET instrument = $1, instrument_label = $2 \
                             WHERE instrument_id = $3 AND status = 'concept'",
                        )
                        .bind(&document)
                        .bind(format!("{} (versie {})", instrument.name, row.version))
                        .bind(edit)
                        .execute(&mut *tx)
                        .await?;
                        (edit, false, Some(row.document))
                    } else {
                        let version: i32 = sqlx::query_scalar(
                            "SELECT COALESCE(MAX(version), 0) + 1 FROM instruments WHERE region_id = $1 AND family = $2",
                        )
                        .bind(region_id)
                        .bind(&row.family)
                        .fetch_one(&mut *tx)
                        .await?;
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO instruments (region_id, family, version, document, created_by, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        )
                        .bind(region_id)
                        .bind(&row.family)
                        .bind(version)
                        .bind(&document)
                        .bind(&actor.login)
                        .bind(now())
                        .fetch_one(&mut *tx)
                        .await?;
                        (id, true, None)
                    }
                }
            };
            let mut entry =
                AuditEntry::new(if edit.is_some() && !new_version { "wijzigen" } else { "aanmaken" }, "instrument", id)
                    .region(region_id)
                    .after(&serde_json::json!({"naam": instrument.name, "nieuweVersie": new_version}));
            if let Some(before) = before {
                entry = entry.before(&serde_json::json!({"document": before}));
            }
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<_, StoreError>((id, new_version))
        })?;
        Ok((self.instrument(region_id, id).await?, new_version))
    }

    // ---------------------------------------------------------------- rounds

    pub async fn survey_rounds(&self, region_id: i64) -> Result<Vec<RoundRow>> {
        let sql = format!("SELECT {ROUND_COLUMNS} FROM survey_rounds WHERE region_id = $1 ORDER BY created_at, id");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await?))
    }

    pub async fn survey_round(&self, region_id: i64, id: i64) -> Result<RoundRow> {
        let sql = format!("SELECT {ROUND_COLUMNS} FROM survey_rounds WHERE region_id = $1 AND id = $2");
        on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(region_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound))
    }

    /// The closed round before this one that asked exactly the same instrument (another version
    /// could score differently), to compare with.
    pub async fn previous_round(&self, round: &RoundRow) -> Result<Option<RoundRow>> {
        Ok(self
            .survey_rounds(round.region_id)
            .await?
            .into_iter()
            .filter(|r| {
                r.instrument_source == round.instrument_source
                    && r.instrument == round.instrument
                    && r.status == "gesloten"
                    && r.id != round.id
                    && (r.created_at, r.id) < (round.created_at, round.id)
            })
            .max_by_key(|r| (r.created_at, r.id)))
    }

    /// Prepares a round (status concept); every problem named.
    pub async fn create_survey_round(&self, region_id: i64, new: &NewRound, actor: &Actor) -> Result<RoundRow> {
        let mut invalid = Invalid::new();
        let title = new.title.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE || title.chars().any(char::is_control) {
            invalid.push("titel", "required", format!("Geef de meetronde een titel van hoogstens {MAX_TITLE} tekens."));
        }
        if !matches!(new.kind.as_str(), "nulmeting" | "periodiek") {
            invalid.push("soort", "enum", "Kies nulmeting of periodieke meting.");
        }
        if new.closes_at <= now() {
            invalid.push("sluit", "future", "De sluitingsdatum ligt in het verleden; kies een moment in de toekomst.");
        }
        let (source, instrument_id, label, instrument) = match &new.instrument {
            InstrumentChoice::Shipped(key) => match shipped(key) {
                Some(i) => (format!("samenspel:{key}"), None, format!("{} (Samenspel, versie 1)", i.name), Some(i)),
                None => (String::new(), None, String::new(), None),
            },
            InstrumentChoice::Region(id) => match self.instrument(region_id, *id).await {
                Ok(row) => match row.instrument() {
                    Some(i) => (
                        format!("regio:{}", row.family),
                        Some(row.id),
                        format!("{} (versie {})", i.name, row.version),
                        Some(i),
                    ),
                    None => (String::new(), None, String::new(), None),
                },
                Err(StoreError::NotFound) => (String::new(), None, String::new(), None),
                Err(e) => return Err(e),
            },
        };
        let Some(instrument) = instrument else {
            invalid.push("instrument", "exists", "Kies een instrument uit de lijst.");
            return Err(StoreError::Invalid(invalid));
        };
        let mut parties = new.parties.clone();
        parties.sort();
        parties.dedup();
        if instrument.per_party && parties.is_empty() {
            invalid.push("partijen", "required", "Kies minstens één partij waarover de respondenten oordelen.");
        }
        if !instrument.per_party {
            parties.clear();
        }
        if !invalid.is_empty() {
            return Err(StoreError::Invalid(invalid));
        }
        let parties_json = serde_json::to_string(&parties).unwrap_or_else(|_| "[]".into());
        let sizes = serde_json::to_string(&self.member_size_classes(region_id).await?).unwrap_or_else(|_| "[]".into());
        let id = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO survey_rounds (region_id, title, kind, instrument_source, instrument_id, instrument_label, \
                 instrument, parties, status, closes_at, created_by, created_at, size_classes) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'concept', $9, $10, $11, $12) RETURNING id",
            )
            .bind(region_id)
            .bind(title)
            .bind(&new.kind)
            .bind(&source)
            .bind(instrument_id)
            .bind(&label)
            .bind(instrument.to_json())
            .bind(&parties_json)
            .bind(new.closes_at)
            .bind(&actor.login)
            .bind(now())
            .bind(&sizes)
            .fetch_one(&mut *tx)
            .await?;
            let entry = AuditEntry::new("aanmaken", "meetronde", id).region(region_id).after(&serde_json::json!({
                "titel": title, "soort": new.kind, "instrument": label, "partijen": parties, "sluit": new.closes_at
            }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<i64, StoreError>(id)
        })?;
        self.survey_round(region_id, id).await
    }

    /// Opens a round in preparation (respondents can answer) or closes an open one (links
    /// expire, results become final).
    pub async fn set_survey_round_status(
        &self,
        region_id: i64,
        id: i64,
        open: bool,
        actor: &Actor,
    ) -> Result<RoundRow> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let round = locked_round!(pool, tx, region_id, id);
            let at = now();
            let instrument = round.instrument();
            if open && instrument.per_party && round.parties().is_empty() {
                return Err(StoreError::invalid(
                    "partijen",
                    "required",
                    "Dit instrument wordt per partij beantwoord, maar de meetronde noemt geen partij; maak een nieuwe meetronde.",
                ));
            }
            if open && instrument.item_count() == 0 {
                return Err(StoreError::invalid(
                    "instrument",
                    "empty",
                    "Het instrument van deze meetronde heeft geen stellingen.",
                ));
            }
            let (status, column) = match (open, round.status.as_str()) {
                (true, "concept") if round.closes_at > at => ("open", "opened_at"),
                (true, "concept") => {
                    return Err(StoreError::invalid(
                        "sluit",
                        "future",
                        "De sluitingsdatum is al voorbij; maak een nieuwe meetronde met een latere datum.",
                    ))
                }
                (false, "open") => ("gesloten", "closed_at"),
                (true, _) => return Err(StoreError::conflict("status", "Deze meetronde is al geopend.")),
                (false, _) => return Err(StoreError::conflict("status", "Alleen een open meetronde kan sluiten.")),
            };
            sqlx::query(&format!("UPDATE survey_rounds SET status = $1, {column} = $2 WHERE id = $3"))
                .bind(status)
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if !open {
                // Closing forgets what could tie a response to its invitation: drafts go, every
                // invitation row is rewritten, and the responses are written anew in random
                // order with new keys, so neither PostgreSQL's row versions (xmin) nor the
                // physical order keep the moment of sending.
                sqlx::query("UPDATE survey_invitations SET draft = NULL WHERE round_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let mut rows: Vec<(String, Option<bool>, String)> = sqlx::query_as(
                    "SELECT respondent_group, large_member, answers FROM survey_responses WHERE round_id = $1",
                )
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM survey_responses WHERE round_id = $1").bind(id).execute(&mut *tx).await?;
                rows.shuffle(&mut rand::rngs::OsRng);
                for (group, large, answers) in rows {
                    sqlx::query(INSERT_RESPONSE)
                        .bind(random_key())
                        .bind(id)
                        .bind(group)
                        .bind(large)
                        .bind(answers)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let entry = AuditEntry::new(if open { "openen" } else { "sluiten" }, "meetronde", id)
                .region(region_id)
                .before(&serde_json::json!({"status": round.status}))
                .after(&serde_json::json!({"status": status}));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.survey_round(region_id, id).await
    }

    // ---------------------------------------------------------------- invitations

    /// Whether each member of the region is one of its larger half by inhabitants (the median
    /// member and up count as large), for the size split of the results. A region with fewer
    /// than twice [`MIN_PER_SIZE_CLASS`] members is not split (every member `None`): a half of
    /// one or two municipalities would show their figures.
    pub async fn member_size_classes(&self, region_id: i64) -> Result<Vec<(String, Option<bool>)>> {
        let today = crate::today();
        let mut members: Vec<(String, i64)> = self
            .memberships(region_id)
            .await?
            .into_iter()
            .filter(|m| m.is_active_on(today))
            .map(|m| (m.municipality_code, m.inhabitants))
            .collect();
        members.sort_by_key(|(code, inhabitants)| (std::cmp::Reverse(*inhabitants), code.clone()));
        let large = members.len().div_ceil(2);
        let split = members.len() >= 2 * MIN_PER_SIZE_CLASS;
        Ok(members.into_iter().enumerate().map(|(n, (code, _))| (code, split.then_some(n < large))).collect())
    }

    /// Records invitations for a round, given the hashes of their links (made by the caller,
    /// who hands the links out once). A member respondent keeps only the size class of its
    /// member, as the round fixed it. Nothing is recorded when any invitee is wrong.
    pub async fn create_invitations(
        &self,
        region_id: i64,
        round_id: i64,
        invitees: &[(NewInvitation, String)],
        actor: &Actor,
    ) -> Result<usize> {
        if invitees.is_empty() {
            return Err(StoreError::invalid(
                "uitgenodigden",
                "required",
                "Noem minstens één respondent om uit te nodigen.",
            ));
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let round = locked_round!(pool, tx, region_id, round_id);
            if round.closed() || round.closes_at <= now() {
                return Err(StoreError::conflict(
                    "status",
                    "Deze meetronde is gesloten; nodig uit voor een nieuwe meetronde.",
                ));
            }
            if round.generated {
                return Err(StoreError::conflict(
                    "status",
                    "Deze meetronde heeft gegenereerde antwoorden (demonstratie); nodig echte respondenten uit in een nieuwe meetronde.",
                ));
            }
            let sizes = round.size_classes();
            let mut invalid = Invalid::new();
            let mut rows = Vec::new();
            for (invitee, hash) in invitees {
                let large = match (invitee.group, &invitee.member) {
                    (Party::Members, Some(code)) => match sizes.iter().find(|(c, _)| c == code.as_str()) {
                        Some((_, large)) => *large,
                        None => {
                            invalid.push(
                                "uitgenodigden",
                                "member",
                                format!("{code} was geen lid van de regio toen de meetronde werd voorbereid."),
                            );
                            None
                        }
                    },
                    (Party::Members, None) => {
                        invalid.push(
                            "uitgenodigden",
                            "required",
                            "Noem de gemeente waarvoor een respondent antwoordt.",
                        );
                        None
                    }
                    _ => None,
                };
                rows.push((invitee.group, large, hash));
            }
            if !invalid.is_empty() {
                return Err(StoreError::Invalid(invalid));
            }
            let at = now();
            for (group, large, hash) in &rows {
                sqlx::query(
                    "INSERT INTO survey_invitations (round_id, token_hash, respondent_group, large_member, expires_at, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(round_id)
                .bind(*hash)
                .bind(group.code())
                .bind(*large)
                .bind(round.closes_at)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            let entry = AuditEntry::new("uitnodigen", "meetronde", round_id)
                .region(region_id)
                .after(&serde_json::json!({"aantal": rows.len()}));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(invitees.len())
    }

    pub async fn response_rates(&self, round_id: i64) -> Result<Vec<ResponseRate>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT respondent_group, large_member, COUNT(*) AS invited, \
             SUM(CASE WHEN submitted THEN 1 ELSE 0 END) AS submitted \
             FROM survey_invitations WHERE round_id = $1 GROUP BY respondent_group, large_member \
             ORDER BY respondent_group, large_member"
        )
        .bind(round_id)
        .fetch_all(pool)
        .await?))
    }

    /// The invitation and round behind a link (by the hash of the link's token), or why it
    /// cannot be used. A used link says so, so the respondent knows their answers arrived.
    pub async fn invitation(&self, token_hash: &str) -> std::result::Result<(InvitationRow, RoundRow), LinkError> {
        let sql = format!("SELECT {INVITATION_COLUMNS} FROM survey_invitations WHERE token_hash = $1");
        let invitation: Option<InvitationRow> =
            on_pool!(self, |pool| sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await)?;
        let invitation = invitation.ok_or(LinkError::Link(LinkProblem::Unknown))?;
        let round_sql = format!("SELECT {ROUND_COLUMNS} FROM survey_rounds WHERE id = $1");
        let round: RoundRow =
            on_pool!(self, |pool| sqlx::query_as(&round_sql).bind(invitation.round_id).fetch_one(pool).await)?;
        check_link(&invitation, &round, now())?;
        Ok((invitation, round))
    }

    /// The round behind a link whatever its state, to give a respondent back what they typed
    /// when the link no longer works.
    pub async fn round_of_link(&self, token_hash: &str) -> Result<Option<RoundRow>> {
        let sql = format!(
            "SELECT {} FROM survey_rounds r JOIN survey_invitations i ON i.round_id = r.id WHERE i.token_hash = $1",
            ROUND_COLUMNS.split(", ").map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", ")
        );
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await?))
    }

    /// Saves answers before submitting, so the respondent can come back to them. Answers that
    /// do not fit are kept as typed; they are checked on submitting.
    pub async fn save_draft(&self, token_hash: &str, answers: &Answers) -> std::result::Result<(), LinkError> {
        let draft = serde_json::to_string(answers).unwrap_or_default();
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let (invitation, round) = locked_invitation!(pool, tx, token_hash);
            check_link(&invitation, &round, now())?;
            sqlx::query("UPDATE survey_invitations SET draft = $1 WHERE id = $2")
                .bind(&draft)
                .bind(invitation.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Submits a respondent's answers: checked against the round's instrument, stored as an
    /// anonymous response, and the link used up, in one transaction. When the answers do not fit
    /// they are saved as the draft and every problem is returned.
    pub async fn submit_response(&self, token_hash: &str, answers: &Answers) -> std::result::Result<(), LinkError> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let (invitation, round) = locked_invitation!(pool, tx, token_hash);
            check_link(&invitation, &round, now())?;
            let invalid = round.instrument().check_answers(&round.parties(), answers);
            if !invalid.is_empty() {
                sqlx::query("UPDATE survey_invitations SET draft = $1 WHERE id = $2")
                    .bind(serde_json::to_string(answers).unwrap_or_default())
                    .bind(invitation.id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                return Err(LinkError::Answers(invalid));
            }
            sqlx::query(INSERT_RESPONSE)
                .bind(random_key())
                .bind(round.id)
                .bind(&invitation.respondent_group)
                .bind(invitation.large_member)
                .bind(serde_json::to_string(answers).unwrap_or_default())
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE survey_invitations SET submitted = TRUE, draft = NULL WHERE id = $1")
                .bind(invitation.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The respondents of a round, for the calculations; and the open answers, sorted so their
    /// order says nothing about who gave them.
    pub async fn respondents(&self, round_id: i64) -> Result<(Vec<Respondent>, Vec<Vec<String>>)> {
        let rows: Vec<(String, Option<bool>, String)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT respondent_group, large_member, answers FROM survey_responses WHERE round_id = $1 ORDER BY id"
        )
        .bind(round_id)
        .fetch_all(pool)
        .await)?;
        let mut respondents = Vec::new();
        let mut open: Vec<Vec<String>> = Vec::new();
        for (group, large_member, answers) in rows {
            let Some(group) = Party::parse(&group) else { continue };
            let answers: Answers = serde_json::from_str(&answers).unwrap_or_default();
            for (n, text) in answers.open.iter().enumerate() {
                if open.len() <= n {
                    open.resize(n + 1, Vec::new());
                }
                if !text.trim().is_empty() {
                    open[n].push(text.trim().to_string());
                }
            }
            respondents.push(Respondent { group, large_member, answers: answers.scale });
        }
        for answers in &mut open {
            answers.sort();
        }
        Ok((respondents, open))
    }

    /// Answers generated for a demonstration (never by people): stored like responses, and the
    /// round marked as generated on every page that shows it. The round must be open.
    pub async fn add_generated_responses(
        &self,
        region_id: i64,
        round_id: i64,
        respondents: &[Respondent],
        actor: &Actor,
    ) -> Result<()> {
        let round = self.survey_round(region_id, round_id).await?;
        let instrument = round.instrument();
        let parties = round.parties();
        for (n, r) in respondents.iter().enumerate() {
            let answers = Answers { scale: r.answers.clone(), open: Vec::new() };
            if let Some(e) = instrument.check_answers(&parties, &answers).errors.first() {
                return Err(StoreError::invalid(
                    "antwoorden",
                    "generated",
                    format!("respondent {}: {}", n + 1, e.reason),
                ));
            }
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let round = locked_round!(pool, tx, region_id, round_id);
            if round.status != "open" {
                return Err(StoreError::conflict("status", "Alleen een open meetronde krijgt antwoorden."));
            }
            // Generated answers next to real ones would let a real answer be computed back
            // from a group's figure minus the known generated values.
            let invited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM survey_invitations WHERE round_id = $1")
                .bind(round_id)
                .fetch_one(&mut *tx)
                .await?;
            if invited > 0 {
                return Err(StoreError::conflict(
                    "status",
                    "Deze meetronde heeft echte respondenten uitgenodigd; gegenereerde antwoorden horen in een eigen meetronde.",
                ));
            }
            for r in respondents {
                let answers = Answers { scale: r.answers.clone(), open: Vec::new() };
                sqlx::query(INSERT_RESPONSE)
                    .bind(random_key())
                    .bind(round_id)
                    .bind(r.group.code())
                    .bind(r.large_member)
                    .bind(serde_json::to_string(&answers).unwrap_or_default())
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE survey_rounds SET generated = TRUE WHERE id = $1")
                .bind(round_id)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry::new("genereren", "meetronde", round_id)
                .region(region_id)
                .after(&serde_json::json!({"gegenereerdeAntwoorden": respondents.len()}));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
    }

    // ---------------------------------------------------------------- dossier

    /// The region's own conclusions in the evaluation of a year.
    pub async fn evaluation_conclusions(
        &self,
        region_id: i64,
        year: i32,
    ) -> Result<Option<(String, String, OffsetDateTime)>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT body, updated_by, updated_at FROM evaluation_conclusions WHERE region_id = $1 AND year = $2"
        )
        .bind(region_id)
        .bind(year)
        .fetch_optional(pool)
        .await?))
    }

    pub async fn save_evaluation_conclusions(
        &self,
        region_id: i64,
        year: i32,
        body: &str,
        actor: &Actor,
    ) -> Result<()> {
        if body.chars().count() > 20_000 || body.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(StoreError::invalid(
                "conclusies",
                "length",
                "De conclusies zijn langer dan 20.000 tekens of bevatten stuurtekens.",
            ));
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let before: Option<String> =
                sqlx::query_scalar("SELECT body FROM evaluation_conclusions WHERE region_id = $1 AND year = $2")
                    .bind(region_id)
                    .bind(year)
                    .fetch_optional(&mut *tx)
                    .await?;
            sqlx::query(
                "INSERT INTO evaluation_conclusions (region_id, year, body, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (region_id, year) DO UPDATE SET body = EXCLUDED.body, updated_by = EXCLUDED.updated_by, \
                 updated_at = EXCLUDED.updated_at",
            )
            .bind(region_id)
            .bind(year)
            .bind(body)
            .bind(&actor.login)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            let entry = AuditEntry::new("wijzigen", "evaluatieconclusies", year)
                .region(region_id)
                .before(&serde_json::json!({"tekst": before}))
                .after(&serde_json::json!({"tekst": body}));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
    }
}

/// Whether a link can be used at `at`.
fn check_link(invitation: &InvitationRow, round: &RoundRow, at: OffsetDateTime) -> std::result::Result<(), LinkError> {
    let problem = if invitation.submitted {
        LinkProblem::Used
    } else if round.status == "gesloten" || at >= invitation.expires_at || at >= round.closes_at {
        LinkProblem::Expired
    } else if round.status != "open" {
        LinkProblem::NotOpen
    } else {
        return Ok(());
    };
    Err(LinkError::Link(problem))
}
