//! Accountability requests and the providers' submissions (issue 8): asked once by the region,
//! answered once by the provider, each member reading the part that concerns it.
//!
//! A submission is never overwritten: a correction becomes the next version, and the members it
//! concerned are kept with it, so a member keeps seeing what it was sent even after the
//! provider's contracts change. Submitting is one locked write transaction, so two uploads at
//! once become two versions in order, never one half of each.

use crate::{insert_audit, now, on_pool, Actor, AuditEntry, Result, Store, StoreError, WritePool};
use samenspel_domain::accountability::{FieldSpec, Format, Frequency, RequestKind, Submitted, Value, ValueKey};
use samenspel_domain::nl::dutch_date;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, OffsetDateTime};

fn for_update<P: WritePool>(_: &P) -> &'static str {
    P::FOR_UPDATE
}

/// Reads a request of a region inside a write transaction and locks it until the transaction
/// ends; not found: `StoreError::NotFound`.
macro_rules! locked_request {
    ($pool:expr, $tx:expr, $region_id:expr, $id:expr) => {{
        let select = format!(
            "SELECT {REQUEST_COLUMNS} FROM accountability_requests WHERE region_id = $1 AND id = $2{}",
            for_update($pool)
        );
        let row: Option<RequestRow> =
            sqlx::query_as(&select).bind($region_id).bind($id).fetch_optional(&mut *$tx).await?;
        row.ok_or(StoreError::NotFound)?
    }};
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RequestRow {
    pub id: i64,
    pub region_id: i64,
    pub title: String,
    pub kind: String,
    pub frequency: String,
    pub period: String,
    pub description: Option<String>,
    pub fields: String,
    pub deadline: Date,
    pub lot_id: Option<i64>,
    pub status: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub opened_at: Option<OffsetDateTime>,
    pub closed_at: Option<OffsetDateTime>,
}

const REQUEST_COLUMNS: &str = "id, region_id, title, kind, frequency, period, description, fields, deadline, lot_id, \
     status, created_by, created_at, opened_at, closed_at";

impl RequestRow {
    /// The figures asked; stored lists were checked when saved.
    pub fn field_specs(&self) -> Vec<FieldSpec> {
        serde_json::from_str(&self.fields).unwrap_or_default()
    }

    pub fn kind(&self) -> RequestKind {
        RequestKind::parse(&self.kind).unwrap_or(RequestKind::Other)
    }

    pub fn frequency(&self) -> Frequency {
        Frequency::parse(&self.frequency).unwrap_or(Frequency::Once)
    }

    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "concept" => "Concept",
            "open" => "Open",
            _ => "Gesloten",
        }
    }

    /// Whether something sent at `at` is late: after the deadline day, Dutch time.
    pub fn is_late(&self, at: OffsetDateTime) -> bool {
        dutch_date(at) > self.deadline
    }
}

/// A request as the region describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestDetails {
    pub title: String,
    pub kind: RequestKind,
    pub frequency: Frequency,
    pub period: String,
    pub description: Option<String>,
    pub fields: Vec<FieldSpec>,
    pub deadline: Date,
    pub lot_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SubmissionRow {
    pub id: i64,
    pub request_id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub version: i32,
    pub format: String,
    pub late: bool,
    pub submitted_by: String,
    pub submitted_at: OffsetDateTime,
}

const SUBMISSION_SELECT: &str = "SELECT s.id, s.request_id, s.provider_id, p.name AS provider_name, s.version, \
     s.format, s.late, s.submitted_by, s.submitted_at \
     FROM accountability_submissions s JOIN providers p ON p.id = s.provider_id";

/// A provider's answer to a request, checked against the members it serves (`concerns`).
#[derive(Debug, Clone, Copy)]
pub struct NewSubmission<'a> {
    pub request_id: i64,
    pub provider_id: i64,
    pub concerns: &'a BTreeSet<String>,
    pub values: &'a Submitted,
    pub format: Format,
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitOutcome {
    pub submission: SubmissionRow,
    /// The same values as the version before: nothing new was stored.
    pub unchanged: bool,
}

/// The values of one submission as stored, keyed like [`Submitted`].
pub fn values_of(fields: &[FieldSpec], rows: Vec<(String, String, String)>) -> BTreeMap<ValueKey, Value> {
    rows.into_iter()
        .map(|(m, field, text)| {
            let unit = fields.iter().find(|f| f.key == field).map(|f| f.unit);
            let value = unit.and_then(|u| Value::parse(u, &text).ok()).unwrap_or(Value::Text(text));
            ((Some(m).filter(|m| !m.is_empty()), field), value)
        })
        .collect()
}

impl Store {
    pub async fn accountability_requests(&self, region_id: i64) -> Result<Vec<RequestRow>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM accountability_requests WHERE region_id = $1 ORDER BY deadline DESC, id DESC"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await?))
    }

    pub async fn accountability_request(&self, region_id: i64, id: i64) -> Result<RequestRow> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM accountability_requests WHERE region_id = $1 AND id = $2");
        on_pool!(self, |pool| {
            let row: Option<RequestRow> = sqlx::query_as(&sql).bind(region_id).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    async fn check_request_lot(&self, region_id: i64, lot_id: Option<i64>) -> Result<()> {
        if let Some(lot) = lot_id {
            self.lot(region_id, lot).await.map_err(|e| match e {
                StoreError::NotFound => {
                    StoreError::invalid("perceelId", "unknown", "Dit perceel hoort niet bij de regio.")
                }
                e => e,
            })?;
        }
        Ok(())
    }

    pub async fn create_accountability_request(
        &self,
        region_id: i64,
        details: &RequestDetails,
        actor: &Actor,
    ) -> Result<RequestRow> {
        self.check_request_lot(region_id, details.lot_id).await?;
        let fields = serde_json::to_string(&details.fields).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "INSERT INTO accountability_requests (region_id, title, kind, frequency, period, description, fields, \
             deadline, lot_id, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'concept', $10, $11) RETURNING {REQUEST_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: RequestRow = sqlx::query_as(&sql)
                .bind(region_id)
                .bind(&details.title)
                .bind(details.kind.code())
                .bind(details.frequency.code())
                .bind(&details.period)
                .bind(&details.description)
                .bind(&fields)
                .bind(details.deadline)
                .bind(details.lot_id)
                .bind(&actor.login)
                .bind(now())
                .fetch_one(&mut *tx)
                .await?;
            let entry = AuditEntry::new("aanmaken", "verantwoordingsverzoek", row.id).region(region_id).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Changes a request while it is a concept; once providers see it, its figures stay put.
    pub async fn update_accountability_request(
        &self,
        region_id: i64,
        id: i64,
        details: &RequestDetails,
        actor: &Actor,
    ) -> Result<RequestRow> {
        self.check_request_lot(region_id, details.lot_id).await?;
        let fields = serde_json::to_string(&details.fields).unwrap_or_else(|_| "[]".into());
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let before = locked_request!(pool, tx, region_id, id);
            if before.status != "concept" {
                return Err(StoreError::conflict(
                    "status",
                    "Dit verzoek staat al open voor aanbieders en verandert niet meer; maak zo nodig een nieuw verzoek.",
                ));
            }
            let update = format!(
                "UPDATE accountability_requests SET title = $1, kind = $2, frequency = $3, period = $4, \
                 description = $5, fields = $6, deadline = $7, lot_id = $8 WHERE id = $9 RETURNING {REQUEST_COLUMNS}"
            );
            let row: RequestRow = sqlx::query_as(&update)
                .bind(&details.title)
                .bind(details.kind.code())
                .bind(details.frequency.code())
                .bind(&details.period)
                .bind(&details.description)
                .bind(&fields)
                .bind(details.deadline)
                .bind(details.lot_id)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let entry =
                AuditEntry::new("wijzigen", "verantwoordingsverzoek", id).region(region_id).before(&before).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Opens a concept for providers (`open`), or closes an open request (`!open`).
    pub async fn set_accountability_request_open(
        &self,
        region_id: i64,
        id: i64,
        open: bool,
        actor: &Actor,
    ) -> Result<RequestRow> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let before = locked_request!(pool, tx, region_id, id);
            let (status, column) = match (open, before.status.as_str()) {
                (true, "concept") => ("open", "opened_at"),
                (false, "open") => ("gesloten", "closed_at"),
                (true, _) => return Err(StoreError::conflict("status", "Dit verzoek is al geopend.")),
                (false, _) => return Err(StoreError::conflict("status", "Alleen een open verzoek kan sluiten.")),
            };
            let update = format!(
                "UPDATE accountability_requests SET status = $1, {column} = $2 WHERE id = $3 RETURNING {REQUEST_COLUMNS}"
            );
            let row: RequestRow = sqlx::query_as(&update).bind(status).bind(now()).bind(id).fetch_one(&mut *tx).await?;
            let entry = AuditEntry::new(if open { "openen" } else { "sluiten" }, "verantwoordingsverzoek", id)
                .region(region_id)
                .before(&serde_json::json!({"status": before.status}))
                .after(&serde_json::json!({"status": status}));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Stores a checked submission as the provider's next version, unless it repeats the
    /// current version exactly. `concerns` are the members the provider serves now.
    pub async fn submit_accountability(
        &self,
        region_id: i64,
        new: &NewSubmission<'_>,
        actor: &Actor,
    ) -> Result<SubmitOutcome> {
        let NewSubmission { request_id, provider_id, concerns, values: submitted, format } = *new;
        let at = now();
        // An async block, so the unchanged case can return early from it.
        let outcome = on_pool!(self, |pool| async {
            let mut tx = pool.begin_write().await?;
            let request = locked_request!(pool, tx, region_id, request_id);
            match request.status.as_str() {
                "open" => {}
                "concept" => return Err(StoreError::NotFound),
                _ => {
                    return Err(StoreError::conflict(
                        "status",
                        "Dit verzoek is gesloten en neemt geen inzendingen meer aan; neem contact op met de regio.",
                    ))
                }
            }
            let current: Option<(i64, i32)> = sqlx::query_as(
                "SELECT id, version FROM accountability_submissions WHERE request_id = $1 AND provider_id = $2 \
                 ORDER BY version DESC LIMIT 1",
            )
            .bind(request_id)
            .bind(provider_id)
            .fetch_optional(&mut *tx)
            .await?;
            let stored = |m: &Option<String>| m.clone().unwrap_or_default();
            if let Some((current_id, _)) = current {
                let rows: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT municipality_code, field, value FROM accountability_values WHERE submission_id = $1",
                )
                .bind(current_id)
                .fetch_all(&mut *tx)
                .await?;
                let members: Vec<String> = sqlx::query_scalar(
                    "SELECT municipality_code FROM accountability_submission_members WHERE submission_id = $1",
                )
                .bind(current_id)
                .fetch_all(&mut *tx)
                .await?;
                let before = values_of(&request.field_specs(), rows);
                let same_members = members.into_iter().collect::<BTreeSet<_>>() == *concerns;
                if before == submitted.values && same_members {
                    tx.rollback().await?;
                    return Ok::<(i64, bool), StoreError>((current_id, true));
                }
            }
            let version = current.map(|(_, v)| v + 1).unwrap_or(1);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO accountability_submissions (request_id, provider_id, version, format, late, \
                 submitted_by, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(request_id)
            .bind(provider_id)
            .bind(version)
            .bind(format.code())
            .bind(request.is_late(at))
            .bind(&actor.login)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            for m in concerns {
                sqlx::query(
                    "INSERT INTO accountability_submission_members (submission_id, municipality_code) VALUES ($1, $2)",
                )
                .bind(id)
                .bind(m)
                .execute(&mut *tx)
                .await?;
            }
            for ((m, field), value) in &submitted.values {
                sqlx::query(
                    "INSERT INTO accountability_values (submission_id, municipality_code, field, value) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(stored(m))
                .bind(field)
                .bind(value.plain())
                .execute(&mut *tx)
                .await?;
            }
            let entry = AuditEntry::new("indienen", "inzending", id).region(region_id).after(&serde_json::json!({
                "verzoek": request_id,
                "aanbieder": provider_id,
                "versie": version,
                "formaat": format.code(),
                "waarden": submitted.values.len(),
            }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<(i64, bool), StoreError>((id, false))
        }
        .await)?;
        let submission = self.accountability_submission(request_id, outcome.0).await?;
        Ok(SubmitOutcome { submission, unchanged: outcome.1 })
    }

    pub async fn accountability_submission(&self, request_id: i64, id: i64) -> Result<SubmissionRow> {
        let sql = format!("{SUBMISSION_SELECT} WHERE s.request_id = $1 AND s.id = $2");
        on_pool!(self, |pool| {
            let row: Option<SubmissionRow> =
                sqlx::query_as(&sql).bind(request_id).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// Every version of every provider's submission to a request, newest first per provider.
    pub async fn accountability_submissions(
        &self,
        request_id: i64,
        provider_id: Option<i64>,
    ) -> Result<Vec<SubmissionRow>> {
        let sql = format!(
            "{SUBMISSION_SELECT} WHERE s.request_id = $1 AND ($2 IS NULL OR s.provider_id = $2) \
             ORDER BY p.name, s.provider_id, s.version DESC"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(request_id).bind(provider_id).fetch_all(pool).await?))
    }

    /// The current version of each provider's submission to a request.
    pub async fn current_accountability_submissions(&self, request_id: i64) -> Result<Vec<SubmissionRow>> {
        let mut rows = self.accountability_submissions(request_id, None).await?;
        rows.dedup_by_key(|s| s.provider_id);
        Ok(rows)
    }

    /// Current submissions in a region that concern a member, per request.
    pub async fn submissions_concerning(&self, request_id: i64, municipality: &str) -> Result<Vec<SubmissionRow>> {
        let current = self.current_accountability_submissions(request_id).await?;
        let ids: BTreeSet<i64> = on_pool!(self, |pool| {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT m.submission_id FROM accountability_submission_members m \
                 JOIN accountability_submissions s ON s.id = m.submission_id \
                 WHERE s.request_id = $1 AND m.municipality_code = $2",
            )
            .bind(request_id)
            .bind(municipality)
            .fetch_all(pool)
            .await?;
            Ok::<_, StoreError>(ids)
        })?
        .into_iter()
        .collect();
        Ok(current.into_iter().filter(|s| ids.contains(&s.id)).collect())
    }

    /// The members a submission concerned.
    pub async fn submission_members(&self, submission_id: i64) -> Result<Vec<String>> {
        on_pool!(self, |pool| Ok(sqlx::query_scalar(
            "SELECT municipality_code FROM accountability_submission_members WHERE submission_id = $1 \
             ORDER BY municipality_code"
        )
        .bind(submission_id)
        .fetch_all(pool)
        .await?))
    }

    /// A submission's values; with `municipality`, only that member's and the provider's own.
    pub async fn submission_values(
        &self,
        request: &RequestRow,
        submission_id: i64,
        municipality: Option<&str>,
    ) -> Result<BTreeMap<ValueKey, Value>> {
        let rows: Vec<(String, String, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT municipality_code, field, value FROM accountability_values WHERE submission_id = $1 \
                 AND ($2 IS NULL OR municipality_code = '' OR municipality_code = $2)",
            )
            .bind(submission_id)
            .bind(municipality)
            .fetch_all(pool)
            .await
        })?;
        Ok(values_of(&request.field_specs(), rows))
    }

    /// What a reader sees of a submission: everything (`None`), or the parts of the given
    /// members, each with the provider-level figures (which appear once).
    pub async fn submission_values_seen(
        &self,
        request: &RequestRow,
        submission_id: i64,
        members: Option<&[String]>,
    ) -> Result<BTreeMap<ValueKey, Value>> {
        let Some(members) = members else {
            return self.submission_values(request, submission_id, None).await;
        };
        let mut values = BTreeMap::new();
        for m in members {
            values.extend(self.submission_values(request, submission_id, Some(m)).await?);
        }
        Ok(values)
    }

    /// The hours the region estimates per submission of each kind (defaults where not set).
    pub async fn burden_hours(&self, region_id: i64) -> Result<BTreeMap<RequestKind, (u32, bool)>> {
        let rows: Vec<(String, i32)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT kind, hours FROM burden_hours WHERE region_id = $1")
                .bind(region_id)
                .fetch_all(pool)
                .await
        })?;
        Ok(RequestKind::ALL
            .into_iter()
            .map(|k| {
                let set = rows.iter().find(|(c, _)| c == k.code()).map(|(_, h)| *h as u32);
                (k, set.map(|h| (h, true)).unwrap_or((k.default_hours(), false)))
            })
            .collect())
    }

    pub async fn set_burden_hours(&self, region_id: i64, hours: &[(RequestKind, u32)], actor: &Actor) -> Result<()> {
        if let Some((k, h)) = hours.iter().find(|(_, h)| *h > 1000) {
            return Err(StoreError::invalid(
                &format!("uren_{}", k.code()),
                "range",
                format!("{h} uur per inzending is meer dan de 1000 die we aannemelijk vinden."),
            ));
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for (kind, h) in hours {
                sqlx::query(
                    "INSERT INTO burden_hours (region_id, kind, hours) VALUES ($1, $2, $3) \
                     ON CONFLICT (region_id, kind) DO UPDATE SET hours = excluded.hours",
                )
                .bind(region_id)
                .bind(kind.code())
                .bind(*h as i32)
                .execute(&mut *tx)
                .await?;
            }
            let after: BTreeMap<&str, u32> = hours.iter().map(|(k, h)| (k.code(), *h)).collect();
            let entry = AuditEntry::new("wijzigen", "lastenuren", region_id).region(region_id).after(&after);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(())
        })
    }
}
