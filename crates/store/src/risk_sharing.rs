//! Risk-sharing agreements (risicoverevening) of a region, with their versions: each version
//! holds the whole model and applies from a year on, so a settlement of an earlier year keeps
//! using the rules that held then. The model is checked before anything is stored.

use crate::{insert_audit, now, on_pool, on_unique, Actor, AuditEntry, Result, Store, StoreError};
use samenspel_domain::risk_sharing::Agreement;
use serde::Serialize;
use time::OffsetDateTime;

/// What an agreement is for the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AgreementStatus {
    /// The agreement in force; at most one per region.
    Adopted,
    Proposed,
    Lapsed,
}

impl AgreementStatus {
    pub const ALL: [AgreementStatus; 3] =
        [AgreementStatus::Adopted, AgreementStatus::Proposed, AgreementStatus::Lapsed];

    pub fn code(self) -> &'static str {
        match self {
            AgreementStatus::Adopted => "vastgesteld",
            AgreementStatus::Proposed => "voorstel",
            AgreementStatus::Lapsed => "vervallen",
        }
    }

    pub fn parse(code: &str) -> Option<AgreementStatus> {
        AgreementStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AgreementRow {
    pub id: i64,
    pub region_id: i64,
    pub name: String,
    pub status: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AgreementVersionRow {
    pub agreement_id: i64,
    pub version: i32,
    pub first_year: i32,
    /// The model as JSON (see docs/verevening.md).
    pub model: String,
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: OffsetDateTime,
}

impl AgreementVersionRow {
    /// The stored model; it was checked when stored.
    pub fn agreement(&self) -> std::result::Result<Agreement, Vec<String>> {
        Agreement::parse(&self.model)
    }
}

/// A new agreement or a new version of one.
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementVersion {
    pub first_year: i32,
    pub model: Agreement,
    pub reason: Option<String>,
}

const AGREEMENT_COLUMNS: &str = "id, region_id, name, status, created_at";
const VERSION_COLUMNS: &str = "agreement_id, version, first_year, model, reason, created_by, created_at";

fn check(version: &AgreementVersion) -> Result<()> {
    if !(2000..=2100).contains(&version.first_year) {
        return Err(StoreError::invalid("vanafJaar", "range", "Het eerste jaar ligt tussen 2000 en 2100."));
    }
    let problems = version.model.problems();
    if problems.is_empty() {
        Ok(())
    } else {
        let mut invalid = samenspel_domain::Invalid::default();
        for p in problems {
            invalid.push("model", "agreement", p);
        }
        Err(StoreError::Invalid(invalid))
    }
}

const ADOPTED_TWICE: &str = "De regio heeft al een vastgestelde afspraak; zet die eerst op vervallen.";

impl Store {
    pub async fn agreements(&self, region_id: i64) -> Result<Vec<AgreementRow>> {
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM risk_agreements WHERE region_id = $1 ORDER BY name");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_all(pool).await?))
    }

    /// An agreement of this region; another region's is not found.
    pub async fn agreement(&self, region_id: i64, id: i64) -> Result<AgreementRow> {
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM risk_agreements WHERE region_id = $1 AND id = $2");
        on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(region_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound))
    }

    pub async fn agreement_by_name(&self, region_id: i64, name: &str) -> Result<AgreementRow> {
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM risk_agreements WHERE region_id = $1 AND name = $2");
        on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(region_id)
            .bind(name)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound))
    }

    /// The versions of an agreement, newest first.
    pub async fn agreement_versions(&self, agreement_id: i64) -> Result<Vec<AgreementVersionRow>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM risk_agreement_versions WHERE agreement_id = $1 ORDER BY version DESC"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(agreement_id).fetch_all(pool).await?))
    }

    /// The version in force in a year: of the versions whose first year is at or before it, the
    /// one with the latest first year (the newest of those when several share it).
    pub async fn agreement_in_force(&self, agreement_id: i64, year: i32) -> Result<Option<AgreementVersionRow>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM risk_agreement_versions WHERE agreement_id = $1 AND first_year <= $2 \
             ORDER BY first_year DESC, version DESC LIMIT 1"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(agreement_id).bind(year).fetch_optional(pool).await?))
    }

    /// Records a new agreement with its first version, in one transaction. The agreement's name
    /// is the model's name.
    pub async fn create_agreement(
        &self,
        region_id: i64,
        status: AgreementStatus,
        version: &AgreementVersion,
        actor: &Actor,
    ) -> Result<(AgreementRow, AgreementVersionRow)> {
        check(version)?;
        if status == AgreementStatus::Adopted && self.adopted_agreement(region_id).await?.is_some() {
            return Err(StoreError::conflict("status", ADOPTED_TWICE));
        }
        let name = version.model.name.trim().to_string();
        let model = serde_json::to_string_pretty(&version.model)
            .map_err(|e| StoreError::invalid("model", "json", e.to_string()))?;
        let insert = format!(
            "INSERT INTO risk_agreements (region_id, name, status, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING {AGREEMENT_COLUMNS}"
        );
        let insert_version = format!(
            "INSERT INTO risk_agreement_versions (agreement_id, version, first_year, model, reason, created_by, created_at) \
             VALUES ($1, 1, $2, $3, $4, $5, $6) RETURNING {VERSION_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: AgreementRow = sqlx::query_as(&insert)
                .bind(region_id)
                .bind(&name)
                .bind(status.code())
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(on_unique("naam", "Er is al een afspraak met deze naam (of tegelijk een vastgestelde)."))?;
            let stored: AgreementVersionRow = sqlx::query_as(&insert_version)
                .bind(row.id)
                .bind(version.first_year)
                .bind(&model)
                .bind(&version.reason)
                .bind(&actor.login)
                .bind(now())
                .fetch_one(&mut *tx)
                .await?;
            let entry = AuditEntry::new("aanmaken", "vereveningsafspraak", row.id)
                .region(region_id)
                .after(&serde_json::json!({ "afspraak": &row, "versie": &stored }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok((row, stored))
        })
    }

    /// Adds a version to an agreement. The model keeps the agreement's name.
    pub async fn add_agreement_version(
        &self,
        region_id: i64,
        agreement_id: i64,
        version: &AgreementVersion,
        actor: &Actor,
    ) -> Result<AgreementVersionRow> {
        let row = self.agreement(region_id, agreement_id).await?;
        let mut version = version.clone();
        version.model.name = row.name.clone();
        check(&version)?;
        let model = serde_json::to_string_pretty(&version.model)
            .map_err(|e| StoreError::invalid("model", "json", e.to_string()))?;
        let insert = format!(
            "INSERT INTO risk_agreement_versions (agreement_id, version, first_year, model, reason, created_by, created_at) \
             SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6 FROM risk_agreement_versions WHERE agreement_id = $1 \
             RETURNING {VERSION_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let stored: AgreementVersionRow = sqlx::query_as(&insert)
                .bind(agreement_id)
                .bind(version.first_year)
                .bind(&model)
                .bind(&version.reason)
                .bind(&actor.login)
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(on_unique("model", "Er werd tegelijk een andere versie opgeslagen; probeer het opnieuw."))?;
            let entry = AuditEntry::new("nieuwe versie", "vereveningsafspraak", agreement_id)
                .region(region_id)
                .after(&serde_json::json!({ "versie": &stored }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(stored)
        })
    }

    /// Changes what an agreement is (adopted, proposed, lapsed); one adopted agreement per region.
    pub async fn set_agreement_status(
        &self,
        region_id: i64,
        agreement_id: i64,
        status: AgreementStatus,
        actor: &Actor,
    ) -> Result<AgreementRow> {
        let before = self.agreement(region_id, agreement_id).await?;
        let sql = format!(
            "UPDATE risk_agreements SET status = $1 WHERE id = $2 AND region_id = $3 RETURNING {AGREEMENT_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: AgreementRow = sqlx::query_as(&sql)
                .bind(status.code())
                .bind(agreement_id)
                .bind(region_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(on_unique("status", ADOPTED_TWICE))?;
            let entry = AuditEntry::new("status wijzigen", "vereveningsafspraak", agreement_id)
                .region(region_id)
                .before(&before)
                .after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// The region's adopted agreement, if any.
    pub async fn adopted_agreement(&self, region_id: i64) -> Result<Option<AgreementRow>> {
        let sql =
            format!("SELECT {AGREEMENT_COLUMNS} FROM risk_agreements WHERE region_id = $1 AND status = 'vastgesteld'");
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql).bind(region_id).fetch_optional(pool).await?))
    }
}

/// What a member's leaving touches in a year: the providers that delivered care for it, the
/// (provider, lot) pairs its claims ran under, and its clients with an assignment running on a day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberFootprint {
    pub providers: Vec<i64>,
    pub provider_lots: Vec<(i64, i64)>,
    pub running_clients: i64,
}

impl Store {
    pub async fn member_footprint(
        &self,
        region_id: i64,
        law: &str,
        municipality: &str,
        year: i32,
        on: time::Date,
    ) -> Result<MemberFootprint> {
        let (first_month, last_month) = (year * 100 + 1, year * 100 + 12);
        on_pool!(self, |pool| {
            let providers: Vec<(i64,)> = sqlx::query_as(
                "SELECT DISTINCT provider_id FROM client_cells WHERE region_id = $1 AND law = $2 AND year = $3 \
                 AND municipality_code = $4 AND client_count > 0 ORDER BY provider_id",
            )
            .bind(region_id)
            .bind(law)
            .bind(year)
            .bind(municipality)
            .fetch_all(pool)
            .await?;
            let provider_lots: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT DISTINCT provider_id, lot_id FROM claim_lines WHERE region_id = $1 AND municipality_code = $2 \
                 AND month BETWEEN $3 AND $4 AND law = $5 AND lot_id IS NOT NULL AND NOT rejected ORDER BY provider_id, lot_id",
            )
            .bind(region_id)
            .bind(municipality)
            .bind(first_month)
            .bind(last_month)
            .bind(law)
            .fetch_all(pool)
            .await?;
            let (running_clients,): (i64,) = sqlx::query_as(
                "SELECT COUNT(DISTINCT client) FROM assignments WHERE region_id = $1 AND law = $2 \
                 AND municipality_code = $3 AND starts_on <= $4 AND (ends_on IS NULL OR ends_on >= $4)",
            )
            .bind(region_id)
            .bind(law)
            .bind(municipality)
            .bind(on)
            .fetch_one(pool)
            .await?;
            Ok(MemberFootprint {
                providers: providers.into_iter().map(|(p,)| p).collect(),
                provider_lots,
                running_clients,
            })
        })
    }
}

impl Store {
    /// The months of a year with claims for the law: a year with fewer than twelve understates
    /// a year's cost.
    pub async fn production_months(&self, region_id: i64, law: &str, year: i32) -> Result<i64> {
        on_pool!(self, |pool| {
            let (months,): (i64,) = sqlx::query_as(
                "SELECT COUNT(DISTINCT month) FROM claim_lines WHERE region_id = $1 AND law = $2 \
                 AND month BETWEEN $3 AND $4",
            )
            .bind(region_id)
            .bind(law)
            .bind(year * 100 + 1)
            .bind(year * 100 + 12)
            .fetch_one(pool)
            .await?;
            Ok(months)
        })
    }
}
