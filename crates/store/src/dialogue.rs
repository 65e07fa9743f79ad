//! The dialogue with providers (issue 8): announcements to all providers, procurement rounds
//! among them, and questions with answers that are published to every provider alike, under a
//! number and without the asker's name.

use crate::{insert_audit, now, on_pool, Actor, AuditEntry, Result, Store, StoreError, WritePool};
use serde::Serialize;
use time::{Date, OffsetDateTime};

fn for_update<P: WritePool>(_: &P) -> &'static str {
    P::FOR_UPDATE
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AnnouncementRow {
    pub id: i64,
    pub region_id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub lot_id: Option<i64>,
    pub closes_on: Option<Date>,
    pub published_at: OffsetDateTime,
    pub created_by: String,
}

impl AnnouncementRow {
    /// A procurement round providers can still respond to.
    pub fn is_open_round(&self, today: Date) -> bool {
        self.kind == "aanbesteding" && self.closes_on.is_some_and(|d| d >= today)
    }

    pub fn kind_label(&self) -> &'static str {
        if self.kind == "aanbesteding" {
            "Aanbesteding"
        } else {
            "Mededeling"
        }
    }
}

const ANNOUNCEMENT_COLUMNS: &str = "id, region_id, kind, title, body, lot_id, closes_on, published_at, created_by";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnnouncement {
    /// `mededeling` or `aanbesteding`.
    pub kind: String,
    pub title: String,
    pub body: String,
    pub lot_id: Option<i64>,
    pub closes_on: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct QuestionRow {
    pub id: i64,
    pub region_id: i64,
    pub provider_id: i64,
    pub announcement_id: Option<i64>,
    pub subject: String,
    pub question: String,
    pub asked_by: String,
    pub asked_at: OffsetDateTime,
    pub status: String,
    pub published_question: Option<String>,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<OffsetDateTime>,
    pub number: Option<i32>,
}

const QUESTION_COLUMNS: &str = "id, region_id, provider_id, announcement_id, subject, question, asked_by, asked_at, \
     status, published_question, answer, answered_by, answered_at, number";

/// A provider's production as the region sees it, per month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ClaimMonth {
    pub month: i32,
    pub lines: i64,
    pub amount_cents: i64,
    pub rejected_lines: i64,
    pub rejected_cents: i64,
    /// Lines claimed above the contracted tariff.
    pub above_tariff: i64,
}

impl Store {
    pub async fn announcements(&self, region_id: i64) -> Result<Vec<AnnouncementRow>> {
        let sql = format!(
            "SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements WHERE region_id = $1 ORDER BY published_at DESC, id DESC"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await?))
    }

    pub async fn announcement(&self, region_id: i64, id: i64) -> Result<AnnouncementRow> {
        let sql = format!("SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements WHERE region_id = $1 AND id = $2");
        on_pool!(self, |pool| {
            let row: Option<AnnouncementRow> =
                sqlx::query_as(&sql).bind(region_id).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    pub async fn publish_announcement(
        &self,
        region_id: i64,
        new: &NewAnnouncement,
        actor: &Actor,
    ) -> Result<AnnouncementRow> {
        if let Some(lot) = new.lot_id {
            self.lot(region_id, lot).await.map_err(|e| match e {
                StoreError::NotFound => {
                    StoreError::invalid("perceelId", "unknown", "Dit perceel hoort niet bij de regio.")
                }
                e => e,
            })?;
        }
        let sql = format!(
            "INSERT INTO announcements (region_id, kind, title, body, lot_id, closes_on, published_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {ANNOUNCEMENT_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: AnnouncementRow = sqlx::query_as(&sql)
                .bind(region_id)
                .bind(&new.kind)
                .bind(&new.title)
                .bind(&new.body)
                .bind(new.lot_id)
                .bind(new.closes_on)
                .bind(now())
                .bind(&actor.login)
                .fetch_one(&mut *tx)
                .await?;
            let entry = AuditEntry::new("publiceren", "mededeling", row.id).region(region_id).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Questions of a region: all (`provider` `None`), or those one provider asked.
    pub async fn provider_questions(&self, region_id: i64, provider: Option<i64>) -> Result<Vec<QuestionRow>> {
        let sql = format!(
            "SELECT {QUESTION_COLUMNS} FROM provider_questions WHERE region_id = $1 AND ($2 IS NULL OR provider_id = $2) \
             ORDER BY asked_at DESC, id DESC"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).bind(provider).fetch_all(pool).await?))
    }

    /// The published questions and answers, by number.
    pub async fn published_answers(&self, region_id: i64) -> Result<Vec<QuestionRow>> {
        let sql = format!(
            "SELECT {QUESTION_COLUMNS} FROM provider_questions WHERE region_id = $1 AND status = 'beantwoord' \
             ORDER BY number"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await?))
    }

    pub async fn provider_question(&self, region_id: i64, id: i64) -> Result<QuestionRow> {
        let sql = format!("SELECT {QUESTION_COLUMNS} FROM provider_questions WHERE region_id = $1 AND id = $2");
        on_pool!(self, |pool| {
            let row: Option<QuestionRow> = sqlx::query_as(&sql).bind(region_id).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    pub async fn ask_question(
        &self,
        region_id: i64,
        provider_id: i64,
        announcement_id: Option<i64>,
        subject: &str,
        question: &str,
        actor: &Actor,
    ) -> Result<QuestionRow> {
        if let Some(a) = announcement_id {
            let round = self.announcement(region_id, a).await.map_err(|e| match e {
                StoreError::NotFound => {
                    StoreError::invalid("aankondigingId", "unknown", "Deze aanbesteding hoort niet bij de regio.")
                }
                e => e,
            })?;
            if !round.is_open_round(crate::today()) {
                return Err(StoreError::invalid(
                    "aankondigingId",
                    "closed",
                    "Voor deze aanbesteding is de termijn voorbij; stel een algemene vraag aan de regio.",
                ));
            }
        }
        let sql = format!(
            "INSERT INTO provider_questions (region_id, provider_id, announcement_id, subject, question, asked_by, \
             asked_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open') RETURNING {QUESTION_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: QuestionRow = sqlx::query_as(&sql)
                .bind(region_id)
                .bind(provider_id)
                .bind(announcement_id)
                .bind(subject)
                .bind(question)
                .bind(&actor.login)
                .bind(now())
                .fetch_one(&mut *tx)
                .await?;
            let entry = AuditEntry::new("stellen", "vraag", row.id).region(region_id).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Answers an open question and publishes it to all providers under the next number.
    pub async fn answer_question(
        &self,
        region_id: i64,
        id: i64,
        published_question: &str,
        answer: &str,
        actor: &Actor,
    ) -> Result<QuestionRow> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let select = format!(
                "SELECT {QUESTION_COLUMNS} FROM provider_questions WHERE region_id = $1 AND id = $2{}",
                for_update(pool)
            );
            let before: Option<QuestionRow> =
                sqlx::query_as(&select).bind(region_id).bind(id).fetch_optional(&mut *tx).await?;
            let before = before.ok_or(StoreError::NotFound)?;
            if before.status != "open" {
                return Err(StoreError::conflict(
                    "status",
                    format!(
                        "Deze vraag is al beantwoord en gepubliceerd als vraag {}; een aanvulling publiceert u als mededeling.",
                        before.number.unwrap_or(0)
                    ),
                ));
            }
            // Numbers follow each other per region; the region row lock serialises numbering
            // on PostgreSQL (SQLite has one writer), and the unique key backs it up.
            let lock = format!("SELECT id FROM regions WHERE id = $1{}", crate::no_key_update_clause(pool));
            let _: Option<i64> = sqlx::query_scalar(&lock).bind(region_id).fetch_optional(&mut *tx).await?;
            let next: i32 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(MAX(number), 0) + 1 AS INTEGER) FROM provider_questions WHERE region_id = $1",
            )
            .bind(region_id)
            .fetch_one(&mut *tx)
            .await?;
            let update = format!(
                "UPDATE provider_questions SET status = 'beantwoord', published_question = $1, answer = $2, \
                 answered_by = $3, answered_at = $4, number = $5 WHERE id = $6 RETURNING {QUESTION_COLUMNS}"
            );
            let row: QuestionRow = sqlx::query_as(&update)
                .bind(published_question)
                .bind(answer)
                .bind(&actor.login)
                .bind(now())
                .bind(next)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let entry = AuditEntry::new("beantwoorden", "vraag", id).region(region_id).before(&before).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// A provider's claims per month of a year as the region received them: lines, money, what
    /// the municipality rejected in its answer, and lines above the contracted tariff.
    pub async fn claim_status(&self, region_id: i64, provider_id: i64, year: i32) -> Result<Vec<ClaimMonth>> {
        // PostgreSQL sums BIGINT to NUMERIC; the casts keep both dialects on 64-bit integers.
        let sql = "SELECT month, CAST(COUNT(*) AS BIGINT) AS lines, \
             CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) AS amount_cents, \
             CAST(COALESCE(SUM(CASE WHEN rejected THEN 1 ELSE 0 END), 0) AS BIGINT) AS rejected_lines, \
             CAST(COALESCE(SUM(CASE WHEN rejected THEN amount_cents ELSE 0 END), 0) AS BIGINT) AS rejected_cents, \
             CAST(COALESCE(SUM(CASE WHEN tariff_cents > contract_tariff_cents THEN 1 ELSE 0 END), 0) AS BIGINT) \
             AS above_tariff FROM claim_lines WHERE region_id = $1 AND provider_id = $2 AND month >= $3 AND month <= $4 \
             GROUP BY month ORDER BY month";
        on_pool!(self, |pool| Ok(sqlx::query_as(sql)
            .bind(region_id)
            .bind(provider_id)
            .bind(year * 100 + 1)
            .bind(year * 100 + 12)
            .fetch_all(pool)
            .await?))
    }
}
