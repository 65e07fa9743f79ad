//! Self-assessments against the Norm voor Opdrachtgeverschap, kept over time per region.

use crate::{insert_audit, now, on_pool, Actor, AuditEntry, Result, Store, StoreError};
use samenspel_domain::norm::{check_answers, NormAnswer};
use serde::Serialize;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct NormAssessmentRow {
    pub id: i64,
    pub region_id: i64,
    pub assessed_on: Date,
    /// The answers as JSON (`[{"onderdeel", "antwoord", "onderbouwing"}]`).
    pub answers: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
}

impl NormAssessmentRow {
    pub fn answers(&self) -> std::result::Result<Vec<NormAnswer>, String> {
        serde_json::from_str(&self.answers).map_err(|e| e.to_string())
    }
}

const COLUMNS: &str = "id, region_id, assessed_on, answers, created_by, created_at";

impl Store {
    /// A region's self-assessments, the latest first.
    pub async fn norm_assessments(&self, region_id: i64) -> Result<Vec<NormAssessmentRow>> {
        let sql =
            format!("SELECT {COLUMNS} FROM norm_assessments WHERE region_id = $1 ORDER BY assessed_on DESC, id DESC");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await?))
    }

    pub async fn add_norm_assessment(
        &self,
        region_id: i64,
        assessed_on: Date,
        answers: &[NormAnswer],
        actor: &Actor,
    ) -> Result<NormAssessmentRow> {
        let problems = check_answers(answers);
        if !problems.is_empty() {
            let mut invalid = samenspel_domain::Invalid::default();
            for p in problems {
                invalid.push("antwoorden", "norm", p);
            }
            return Err(StoreError::Invalid(invalid));
        }
        let json =
            serde_json::to_string(answers).map_err(|e| StoreError::invalid("antwoorden", "json", e.to_string()))?;
        let sql = format!(
            "INSERT INTO norm_assessments (region_id, assessed_on, answers, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: NormAssessmentRow = sqlx::query_as(&sql)
                .bind(region_id)
                .bind(assessed_on)
                .bind(&json)
                .bind(&actor.login)
                .bind(now())
                .fetch_one(&mut *tx)
                .await?;
            let entry = AuditEntry::new("aanmaken", "norm-zelfevaluatie", row.id)
                .region(region_id)
                .after(&serde_json::json!({ "datum": row.assessed_on, "antwoorden": answers }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }
}
