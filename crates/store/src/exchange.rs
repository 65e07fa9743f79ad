//! Exchange placements (wisselstage, issue 8): rounds, the places hosts offer, participants with
//! their wishes, the current matching, and what participants learned.
//!
//! Every change to the matching runs under a lock on the round: the caller passes a `plan` that
//! gets the round as it is inside the transaction and returns the new assignment (or refuses),
//! so the matching is computed on exactly what is stored.

use crate::{insert_audit, now, on_pool, Actor, AuditEntry, Result, Store, StoreError, WritePool};
use samenspel_domain::exchange::{Lesson, NewParticipant, NewPlace, Organisation};
use samenspel_domain::Invalid;
use serde::Serialize;
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};

fn for_update<P: WritePool>(_: &P) -> &'static str {
    P::FOR_UPDATE
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RoundRow {
    pub id: i64,
    pub region_id: i64,
    pub title: String,
    pub description: Option<String>,
    /// `aanmelden`, `voorstel` or `bevestigd`.
    pub status: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub confirmed_at: Option<OffsetDateTime>,
}

impl RoundRow {
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "aanmelden" => "Aanmelden",
            "voorstel" => "Indeling voorgesteld",
            _ => "Indeling bevestigd",
        }
    }
}

const ROUND_COLUMNS: &str = "id, region_id, title, description, status, created_by, created_at, confirmed_at";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PlaceRow {
    pub id: i64,
    pub round_id: i64,
    pub host_municipality: Option<String>,
    pub host_provider_id: Option<i64>,
    pub host_name: String,
    pub theme: String,
    pub description: Option<String>,
    pub starts_on: Date,
    pub ends_on: Date,
    pub mode: String,
    pub capacity: i32,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub withdrawn_at: Option<OffsetDateTime>,
    pub withdrawn_reason: Option<String>,
}

impl PlaceRow {
    pub fn host(&self) -> Organisation {
        Organisation::from_columns(self.host_municipality.as_deref(), self.host_provider_id)
    }

    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn_at.is_some()
    }
}

const PLACE_SELECT: &str = "SELECT x.id, x.round_id, x.host_municipality, x.host_provider_id, \
     COALESCE(mu.name, pr.name, '') AS host_name, x.theme, x.description, x.starts_on, x.ends_on, x.mode, \
     x.capacity, x.created_by, x.created_at, x.withdrawn_at, x.withdrawn_reason \
     FROM exchange_places x LEFT JOIN municipalities mu ON mu.code = x.host_municipality \
     LEFT JOIN providers pr ON pr.id = x.host_provider_id";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ParticipantRow {
    pub id: i64,
    pub round_id: i64,
    pub name: String,
    pub job_title: String,
    pub municipality_code: Option<String>,
    pub provider_id: Option<i64>,
    pub organisation_name: String,
    /// Place ids, best first, as JSON.
    pub preferences: String,
    pub generated: bool,
    pub registered_by: String,
    pub registered_at: OffsetDateTime,
    pub place_id: Option<i64>,
}

impl ParticipantRow {
    pub fn organisation(&self) -> Organisation {
        Organisation::from_columns(self.municipality_code.as_deref(), self.provider_id)
    }

    pub fn wishes(&self) -> Vec<i64> {
        serde_json::from_str(&self.preferences).unwrap_or_default()
    }
}

const PARTICIPANT_SELECT: &str = "SELECT x.id, x.round_id, x.name, x.job_title, x.municipality_code, x.provider_id, \
     COALESCE(mu.name, pr.name, '') AS organisation_name, x.preferences, x.generated, x.registered_by, \
     x.registered_at, x.place_id \
     FROM exchange_participants x LEFT JOIN municipalities mu ON mu.code = x.municipality_code \
     LEFT JOIN providers pr ON pr.id = x.provider_id";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LessonRow {
    pub id: i64,
    pub round_id: i64,
    pub participant_id: i64,
    pub learned: String,
    pub surprised: Option<String>,
    pub takeaway: String,
    pub tip_for_region: Option<String>,
    pub recommend: i32,
    pub recorded_by: String,
    pub recorded_at: OffsetDateTime,
    pub published_at: Option<OffsetDateTime>,
    pub published_by: Option<String>,
}

const LESSON_COLUMNS: &str = "id, round_id, participant_id, learned, surprised, takeaway, tip_for_region, recommend, \
     recorded_by, recorded_at, published_at, published_by";

/// A round as stored, read inside the transaction that changes it.
#[derive(Debug, Clone)]
pub struct RoundState {
    pub round: RoundRow,
    pub places: Vec<PlaceRow>,
    pub participants: Vec<ParticipantRow>,
}

impl RoundState {
    pub fn assignment(&self) -> BTreeMap<i64, i64> {
        self.participants.iter().filter_map(|p| p.place_id.map(|place| (p.id, place))).collect()
    }
}

/// What a change to the matching did: per participant whose place changed, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reassignment {
    pub moved: Vec<(i64, Option<i64>, Option<i64>)>,
}

/// Why the matching changes; decides which statuses allow it and the audit action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchingChange {
    /// Samenspel's proposal (from registration, or again later).
    Propose,
    /// The coordinator's own assignment.
    Adjust,
}

/// Reads a round with its places and participants inside a write transaction, locking the round.
macro_rules! locked_round_state {
    ($pool:expr, $tx:expr, $region_id:expr, $round_id:expr) => {{
        let select = format!(
            "SELECT {ROUND_COLUMNS} FROM exchange_rounds WHERE region_id = $1 AND id = $2{}",
            for_update($pool)
        );
        let round: Option<RoundRow> =
            sqlx::query_as(&select).bind($region_id).bind($round_id).fetch_optional(&mut *$tx).await?;
        let round = round.ok_or(StoreError::NotFound)?;
        let places: Vec<PlaceRow> = sqlx::query_as(&format!("{PLACE_SELECT} WHERE x.round_id = $1 ORDER BY x.id"))
            .bind($round_id)
            .fetch_all(&mut *$tx)
            .await?;
        let participants: Vec<ParticipantRow> =
            sqlx::query_as(&format!("{PARTICIPANT_SELECT} WHERE x.round_id = $1 ORDER BY x.id"))
                .bind($round_id)
                .fetch_all(&mut *$tx)
                .await?;
        RoundState { round, places, participants }
    }};
}

/// Writes a new assignment for every participant and returns who moved.
macro_rules! write_assignment {
    ($tx:expr, $state:expr, $new:expr) => {{
        let mut moved = Vec::new();
        for p in &$state.participants {
            let after = $new.get(&p.id).copied();
            if after != p.place_id {
                sqlx::query("UPDATE exchange_participants SET place_id = $1 WHERE id = $2")
                    .bind(after)
                    .bind(p.id)
                    .execute(&mut *$tx)
                    .await?;
                moved.push((p.id, p.place_id, after));
            }
        }
        Reassignment { moved }
    }};
}

fn registration_closed() -> StoreError {
    StoreError::conflict(
        "status",
        "De indeling van deze ronde is al gemaakt; nieuwe plekken en deelnemers kunnen in een volgende ronde.",
    )
}

impl Store {
    pub async fn exchange_rounds(&self, region_id: i64) -> Result<Vec<RoundRow>> {
        let sql = format!("SELECT {ROUND_COLUMNS} FROM exchange_rounds WHERE region_id = $1 ORDER BY id DESC");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await?))
    }

    pub async fn exchange_round(&self, region_id: i64, id: i64) -> Result<RoundRow> {
        let sql = format!("SELECT {ROUND_COLUMNS} FROM exchange_rounds WHERE region_id = $1 AND id = $2");
        on_pool!(self, |pool| {
            let row: Option<RoundRow> = sqlx::query_as(&sql).bind(region_id).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    pub async fn exchange_places(&self, round_id: i64) -> Result<Vec<PlaceRow>> {
        let sql = format!("{PLACE_SELECT} WHERE x.round_id = $1 ORDER BY x.id");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(round_id).fetch_all(pool).await?))
    }

    pub async fn exchange_participants(&self, round_id: i64) -> Result<Vec<ParticipantRow>> {
        let sql = format!("{PARTICIPANT_SELECT} WHERE x.round_id = $1 ORDER BY x.id");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(round_id).fetch_all(pool).await?))
    }

    pub async fn exchange_lessons(&self, round_id: i64) -> Result<Vec<LessonRow>> {
        let sql = format!("SELECT {LESSON_COLUMNS} FROM exchange_lessons WHERE round_id = $1 ORDER BY id");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(round_id).fetch_all(pool).await?))
    }

    pub async fn create_exchange_round(
        &self,
        region_id: i64,
        title: &str,
        description: Option<&str>,
        actor: &Actor,
    ) -> Result<RoundRow> {
        let sql = format!(
            "INSERT INTO exchange_rounds (region_id, title, description, status, created_by, created_at) \
             VALUES ($1, $2, $3, 'aanmelden', $4, $5) RETURNING {ROUND_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: RoundRow = sqlx::query_as(&sql)
                .bind(region_id)
                .bind(title)
                .bind(description)
                .bind(&actor.login)
                .bind(now())
                .fetch_one(&mut *tx)
                .await?;
            let entry = AuditEntry::new("aanmaken", "wisselstage", row.id).region(region_id).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Checks that a host or participant organisation belongs to the region now.
    async fn check_organisation(&self, region_id: i64, org: &Organisation, field: &str) -> Result<()> {
        let known = match org {
            Organisation::Member(code) => {
                let today = crate::today();
                self.memberships(region_id).await?.iter().any(|m| m.municipality_code == *code && m.is_active_on(today))
            }
            Organisation::Provider(id) => match self.provider(region_id, *id).await {
                Ok(_) => true,
                Err(StoreError::NotFound) => false,
                Err(e) => return Err(e),
            },
        };
        if known {
            Ok(())
        } else {
            Err(StoreError::invalid(field, "unknown", "Deze organisatie hoort niet bij de regio."))
        }
    }

    /// A host offers a place, while the round takes registrations.
    pub async fn add_exchange_place(
        &self,
        region_id: i64,
        round_id: i64,
        place: &NewPlace,
        actor: &Actor,
    ) -> Result<PlaceRow> {
        self.check_organisation(region_id, &place.host, "gastheer").await?;
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let state = locked_round_state!(pool, tx, region_id, round_id);
            if state.round.status != "aanmelden" {
                return Err(registration_closed());
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO exchange_places (round_id, host_municipality, host_provider_id, theme, description, \
                 starts_on, ends_on, mode, capacity, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(round_id)
            .bind(place.host.municipality())
            .bind(place.host.provider())
            .bind(&place.theme)
            .bind(&place.description)
            .bind(place.starts_on)
            .bind(place.ends_on)
            .bind(place.mode.code())
            .bind(place.capacity as i32)
            .bind(&actor.login)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            let row: PlaceRow =
                sqlx::query_as(&format!("{PLACE_SELECT} WHERE x.id = $1")).bind(id).fetch_one(&mut *tx).await?;
            let entry = AuditEntry::new("aanbieden", "wisselstageplek", id).region(region_id).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Registers participants (one, or a generated batch) while the round takes registrations.
    /// Every wish must be a place of this round, not withdrawn, on the other side.
    pub async fn register_exchange_participants(
        &self,
        region_id: i64,
        round_id: i64,
        participants: &[NewParticipant],
        actor: &Actor,
    ) -> Result<Vec<i64>> {
        for p in participants {
            self.check_organisation(region_id, &p.organisation, "organisatie").await?;
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let state = locked_round_state!(pool, tx, region_id, round_id);
            if state.round.status != "aanmelden" {
                return Err(registration_closed());
            }
            let mut ids = Vec::new();
            for p in participants {
                let mut invalid = Invalid::new();
                for (i, wish) in p.wishes.iter().enumerate() {
                    let field = format!("wens{}", i + 1);
                    match state.places.iter().find(|pl| pl.id == *wish) {
                        None => invalid.push(&field, "unknown", "Deze plek hoort niet bij deze ronde."),
                        Some(pl) if pl.is_withdrawn() => {
                            invalid.push(&field, "ingetrokken", format!("De plek '{}' is ingetrokken.", pl.theme))
                        }
                        Some(pl) if !p.organisation.may_visit(&pl.host()) => invalid.push(
                            &field,
                            "zelfde-kant",
                            format!(
                                "{} is geen plek voor deze deelnemer: medewerkers van gemeenten gaan naar \
                                 aanbieders en medewerkers van aanbieders naar gemeenten.",
                                pl.host_name
                            ),
                        ),
                        Some(_) => {}
                    }
                }
                if !invalid.is_empty() {
                    return Err(StoreError::Invalid(invalid));
                }
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO exchange_participants (round_id, name, job_title, municipality_code, provider_id, \
                     preferences, generated, registered_by, registered_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(round_id)
                .bind(&p.name)
                .bind(&p.job_title)
                .bind(p.organisation.municipality())
                .bind(p.organisation.provider())
                .bind(serde_json::to_string(&p.wishes).unwrap_or_else(|_| "[]".into()))
                .bind(p.generated)
                .bind(&actor.login)
                .bind(now())
                .fetch_one(&mut *tx)
                .await?;
                ids.push(id);
            }
            // One audit entry per call: a generated batch is one act of the coordinator.
            let after = serde_json::json!({"deelnemers": ids, "gegenereerd": participants.iter().any(|p| p.generated)});
            let entry = AuditEntry::new("aanmelden", "wisselstage", round_id).region(region_id).after(&after);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(ids)
        })
    }

    /// Replaces the matching with what `plan` makes of the round as stored. A proposal is made
    /// during registration or on a proposal; an adjustment on a proposal or a confirmed matching.
    /// Either way the round then awaits confirmation.
    pub async fn set_exchange_matching<F>(
        &self,
        region_id: i64,
        round_id: i64,
        change: MatchingChange,
        plan: F,
        actor: &Actor,
    ) -> Result<Reassignment>
    where
        F: FnOnce(&RoundState) -> Result<BTreeMap<i64, i64>>,
    {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let state = locked_round_state!(pool, tx, region_id, round_id);
            match (change, state.round.status.as_str()) {
                (MatchingChange::Propose, "aanmelden" | "voorstel")
                | (MatchingChange::Adjust, "voorstel" | "bevestigd") => {}
                (MatchingChange::Propose, _) => {
                    return Err(StoreError::conflict(
                        "status",
                        "De indeling is al bevestigd; pas haar aan in plaats van een nieuw voorstel te maken.",
                    ))
                }
                (MatchingChange::Adjust, _) => {
                    return Err(StoreError::conflict("status", "Er is nog geen indeling om aan te passen."))
                }
            }
            let new = plan(&state)?;
            let before = state.assignment();
            let result = write_assignment!(tx, state, new);
            sqlx::query("UPDATE exchange_rounds SET status = 'voorstel', confirmed_at = NULL WHERE id = $1")
                .bind(round_id)
                .execute(&mut *tx)
                .await?;
            let action = match change {
                MatchingChange::Propose => "voorstellen",
                MatchingChange::Adjust => "aanpassen",
            };
            let entry =
                AuditEntry::new(action, "wisselstage-indeling", round_id).region(region_id).before(&before).after(&new);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(result)
        })
    }

    /// Confirms the proposed matching once `check` accepts the round as stored.
    pub async fn confirm_exchange_matching<F>(
        &self,
        region_id: i64,
        round_id: i64,
        check: F,
        actor: &Actor,
    ) -> Result<()>
    where
        F: FnOnce(&RoundState) -> Result<()>,
    {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let state = locked_round_state!(pool, tx, region_id, round_id);
            if state.round.status != "voorstel" {
                return Err(StoreError::conflict("status", "Er is geen voorgestelde indeling om te bevestigen."));
            }
            check(&state)?;
            sqlx::query("UPDATE exchange_rounds SET status = 'bevestigd', confirmed_at = $1 WHERE id = $2")
                .bind(now())
                .bind(round_id)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry::new("bevestigen", "wisselstage-indeling", round_id)
                .region(region_id)
                .after(&state.assignment());
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// A host withdraws a place. Nothing is deleted: the place stays listed as withdrawn with its
    /// reason. Once a matching exists, `rematch` gets the round with the place withdrawn and gives
    /// the new assignment; a confirmed matching goes back to awaiting confirmation.
    pub async fn withdraw_exchange_place<F>(
        &self,
        region_id: i64,
        round_id: i64,
        place_id: i64,
        reason: &str,
        rematch: F,
        actor: &Actor,
    ) -> Result<Reassignment>
    where
        F: FnOnce(&RoundState) -> Result<BTreeMap<i64, i64>>,
    {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let mut state = locked_round_state!(pool, tx, region_id, round_id);
            let at = now();
            let Some(place) = state.places.iter_mut().find(|p| p.id == place_id) else {
                return Err(StoreError::NotFound);
            };
            if place.is_withdrawn() {
                return Err(StoreError::conflict("plek", "Deze plek is al ingetrokken."));
            }
            place.withdrawn_at = Some(at);
            place.withdrawn_reason = Some(reason.to_string());
            let place = place.clone();
            sqlx::query("UPDATE exchange_places SET withdrawn_at = $1, withdrawn_reason = $2 WHERE id = $3")
                .bind(at)
                .bind(reason)
                .bind(place_id)
                .execute(&mut *tx)
                .await?;
            let result = if state.round.status == "aanmelden" {
                Reassignment::default()
            } else {
                let new = rematch(&state)?;
                let result = write_assignment!(tx, state, new);
                sqlx::query("UPDATE exchange_rounds SET status = 'voorstel', confirmed_at = NULL WHERE id = $1")
                    .bind(round_id)
                    .execute(&mut *tx)
                    .await?;
                result
            };
            let after = serde_json::json!({"reden": reason, "verplaatst": result.moved});
            let entry = AuditEntry::new("intrekken", "wisselstageplek", place.id)
                .region(region_id)
                .before(&place)
                .after(&after);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(result)
        })
    }

    /// Records (or, until published, replaces) what a placed participant learned, once the
    /// matching is confirmed.
    pub async fn record_exchange_lesson(
        &self,
        region_id: i64,
        round_id: i64,
        participant_id: i64,
        lesson: &Lesson,
        actor: &Actor,
    ) -> Result<LessonRow> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let state = locked_round_state!(pool, tx, region_id, round_id);
            if state.round.status != "bevestigd" {
                return Err(StoreError::conflict("status", "Lessen leggen deelnemers vast na de bevestigde indeling."));
            }
            let participant = state.participants.iter().find(|p| p.id == participant_id).ok_or(StoreError::NotFound)?;
            if participant.place_id.is_none() {
                return Err(StoreError::conflict("deelnemer", "Deze deelnemer heeft geen plek gekregen."));
            }
            let existing: Option<LessonRow> =
                sqlx::query_as(&format!("SELECT {LESSON_COLUMNS} FROM exchange_lessons WHERE participant_id = $1"))
                    .bind(participant_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if existing.as_ref().is_some_and(|l| l.published_at.is_some()) {
                return Err(StoreError::conflict("les", "Deze lessen zijn al gepubliceerd en veranderen niet meer."));
            }
            // Replacing keeps the lesson's id, so a link or API client holding it stays valid.
            let sql = match &existing {
                Some(_) => format!(
                    "UPDATE exchange_lessons SET round_id = $1, learned = $3, surprised = $4, takeaway = $5, \
                     tip_for_region = $6, recommend = $7, recorded_by = $8, recorded_at = $9 \
                     WHERE participant_id = $2 RETURNING {LESSON_COLUMNS}"
                ),
                None => format!(
                    "INSERT INTO exchange_lessons (round_id, participant_id, learned, surprised, takeaway, \
                     tip_for_region, recommend, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     RETURNING {LESSON_COLUMNS}"
                ),
            };
            let row: LessonRow = sqlx::query_as(&sql)
                .bind(round_id)
                .bind(participant_id)
                .bind(&lesson.learned)
                .bind(&lesson.surprised)
                .bind(&lesson.takeaway)
                .bind(&lesson.tip)
                .bind(i32::from(lesson.recommend))
                .bind(&actor.login)
                .bind(now())
                .fetch_one(&mut *tx)
                .await?;
            let mut entry = AuditEntry::new("vastleggen", "wisselstageles", row.id).region(region_id).after(&row);
            if let Some(before) = &existing {
                entry = entry.before(before);
            }
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Publishes a lesson to everyone in the region.
    pub async fn publish_exchange_lesson(
        &self,
        region_id: i64,
        round_id: i64,
        lesson_id: i64,
        actor: &Actor,
    ) -> Result<LessonRow> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let _state = locked_round_state!(pool, tx, region_id, round_id);
            let row: Option<LessonRow> = sqlx::query_as(&format!(
                "UPDATE exchange_lessons SET published_at = $1, published_by = $2 \
                 WHERE id = $3 AND round_id = $4 AND published_at IS NULL RETURNING {LESSON_COLUMNS}"
            ))
            .bind(now())
            .bind(&actor.login)
            .bind(lesson_id)
            .bind(round_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                let exists: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM exchange_lessons WHERE id = $1 AND round_id = $2")
                        .bind(lesson_id)
                        .bind(round_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                return Err(match exists {
                    Some(_) => StoreError::conflict("les", "Deze lessen zijn al gepubliceerd."),
                    None => StoreError::NotFound,
                });
            };
            let entry = AuditEntry::new("publiceren", "wisselstageles", lesson_id).region(region_id).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }
}
