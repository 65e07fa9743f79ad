//! The partner charter (handvest) of a region in versions: each version the whole document,
//! valid from a date on. The charter in force on a day is the version with the latest start on
//! or before it (the newest of those). Checked before anything is stored.

use crate::{insert_audit, now, on_pool, on_unique, Actor, AuditEntry, Result, Store, StoreError};
use samenspel_domain::charter::Charter;
use serde::Serialize;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CharterRow {
    pub region_id: i64,
    pub version: i32,
    pub valid_from: Date,
    /// The document as JSON (see docs/bestuur.md).
    pub document: String,
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: OffsetDateTime,
}

impl CharterRow {
    pub fn charter(&self) -> std::result::Result<Charter, Vec<String>> {
        Charter::parse(&self.document)
    }
}

const COLUMNS: &str = "region_id, version, valid_from, document, reason, created_by, created_at";

impl Store {
    /// The versions of a region's charter, newest first.
    pub async fn charters(&self, region_id: i64) -> Result<Vec<CharterRow>> {
        let sql = format!("SELECT {COLUMNS} FROM charters WHERE region_id = $1 ORDER BY version DESC");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await?))
    }

    /// The charter in force on a day.
    pub async fn charter_on(&self, region_id: i64, day: Date) -> Result<Option<CharterRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM charters WHERE region_id = $1 AND valid_from <= $2 \
             ORDER BY valid_from DESC, version DESC LIMIT 1"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).bind(day).fetch_optional(pool).await?))
    }

    /// Records a new version of the charter.
    pub async fn add_charter(
        &self,
        region_id: i64,
        charter: &Charter,
        valid_from: Date,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<CharterRow> {
        self.insert_charter(region_id, charter, valid_from, reason, false, actor)
            .await?
            .ok_or_else(|| StoreError::conflict("handvest", "De regio heeft al een handvest."))
    }

    /// Records the region's founding charter, unless it has one already (then `None`: a change
    /// is a decision, taken through a proposal). Checked and written in one transaction, so two
    /// admins saving at once do not both found the charter.
    pub async fn add_first_charter(
        &self,
        region_id: i64,
        charter: &Charter,
        valid_from: Date,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<Option<CharterRow>> {
        self.insert_charter(region_id, charter, valid_from, reason, true, actor).await
    }

    async fn insert_charter(
        &self,
        region_id: i64,
        charter: &Charter,
        valid_from: Date,
        reason: Option<&str>,
        first_only: bool,
        actor: &Actor,
    ) -> Result<Option<CharterRow>> {
        let problems = charter.problems();
        if !problems.is_empty() {
            let mut invalid = samenspel_domain::Invalid::default();
            for p in problems {
                invalid.push("handvest", "charter", p);
            }
            return Err(StoreError::Invalid(invalid));
        }
        let document = serde_json::to_string_pretty(charter)
            .map_err(|e| StoreError::invalid("handvest", "json", e.to_string()))?;
        let sql = format!(
            "INSERT INTO charters (region_id, version, valid_from, document, reason, created_by, created_at) \
             SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6 FROM charters WHERE region_id = $1 \
             RETURNING {COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = crate::WritePool::begin_write(pool).await?;
            if first_only {
                // Locks the region's row on PostgreSQL, so a concurrent founding waits and then
                // sees this one.
                let lock = format!("SELECT id FROM regions WHERE id = $1{}", crate::no_key_update_clause(pool));
                sqlx::query(&lock).bind(region_id).execute(&mut *tx).await?;
                let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM charters WHERE region_id = $1")
                    .bind(region_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if existing > 0 {
                    return Ok(None);
                }
            }
            let row: CharterRow = sqlx::query_as(&sql)
                .bind(region_id)
                .bind(valid_from)
                .bind(&document)
                .bind(reason)
                .bind(&actor.login)
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(on_unique(
                    "handvest",
                    "Er werd tegelijk een andere versie opgeslagen; probeer het opnieuw.",
                ))?;
            let entry = AuditEntry::new("nieuwe versie", "handvest", i64::from(row.version)).region(region_id).after(
                &serde_json::json!({ "versie": row.version, "geldigVanaf": row.valid_from, "handvest": charter }),
            );
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(Some(row))
        })
    }
}
