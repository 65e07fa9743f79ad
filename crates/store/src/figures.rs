//! Member figures per year (youths 0–17, budgets) that a region enters or imports.

use crate::{insert_audit, now, on_pool, Actor, AuditEntry, Result, Store, StoreError};
use samenspel_domain::figures::{check_figures, FiguresRow, MemberFigures, RowError};
use samenspel_domain::{Cents, MunicipalityCode};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct FiguresRecord {
    pub municipality_code: String,
    pub year: i32,
    pub youths: Option<i64>,
    pub budget_youth_cents: Option<i64>,
    pub budget_wmo_cents: Option<i64>,
}

impl FiguresRecord {
    pub fn figures(&self) -> MemberFigures {
        MemberFigures {
            youths: self.youths,
            budget_youth: self.budget_youth_cents.map(Cents),
            budget_wmo: self.budget_wmo_cents.map(Cents),
        }
    }
}

impl Store {
    /// The figures entered for a region in a year, per member (members without figures absent).
    pub async fn figures(&self, region_id: i64, year: i32) -> Result<Vec<FiguresRecord>> {
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, FiguresRecord>(
            "SELECT municipality_code, year, youths, budget_youth_cents, budget_wmo_cents \
             FROM member_figures WHERE region_id = $1 AND year = $2 ORDER BY municipality_code"
        )
        .bind(region_id)
        .bind(year)
        .fetch_all(pool)
        .await?))
    }

    /// Years for which a region has any figures, newest first.
    pub async fn figure_years(&self, region_id: i64) -> Result<Vec<i32>> {
        on_pool!(self, |pool| Ok(sqlx::query_scalar(
            "SELECT DISTINCT year FROM member_figures WHERE region_id = $1 ORDER BY year DESC"
        )
        .bind(region_id)
        .fetch_all(pool)
        .await?))
    }

    /// Sets one member's figures for a year (all three; `None` clears a figure).
    pub async fn set_figures(
        &self,
        region_id: i64,
        municipality: &MunicipalityCode,
        year: i32,
        figures: &MemberFigures,
        actor: &Actor,
    ) -> Result<FiguresRecord> {
        let row = FiguresRow {
            line: 0,
            municipality: municipality.clone(),
            year,
            youths: Some(figures.youths),
            budget_youth: Some(figures.budget_youth),
            budget_wmo: Some(figures.budget_wmo),
        };
        self.import_figures(region_id, &[row], actor).await.map_err(|e| match e {
            ImportFailure::Rows(rows) => {
                let mut invalid = samenspel_domain::Invalid::new();
                for r in rows {
                    invalid.push(&r.field, &r.rule, r.reason);
                }
                StoreError::Invalid(invalid)
            }
            ImportFailure::Store(e) => e,
        })?;
        let records = self.figures(region_id, year).await?;
        records.into_iter().find(|r| r.municipality_code == municipality.as_str()).ok_or(StoreError::NotFound)
    }

    /// Applies parsed figure rows in one transaction: all rows or none. Each row is checked
    /// against the region's membership in that year and the member's inhabitants; the figures
    /// a row leaves unchanged are read inside the same transaction, so concurrent edits cannot
    /// be overwritten with stale values.
    pub async fn import_figures(
        &self,
        region_id: i64,
        rows: &[FiguresRow],
        actor: &Actor,
    ) -> std::result::Result<usize, ImportFailure> {
        let memberships = self.memberships(region_id).await?;
        let at = now();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let mut errors = Vec::new();
            let mut changed = 0;
            for row in rows {
                let member_that_year = memberships
                    .iter()
                    .find(|m| m.municipality_code == row.municipality.as_str() && m.period().covers_year(row.year));
                let Some(member) = member_that_year else {
                    errors.push(RowError {
                        line: row.line,
                        field: "gemeentecode".into(),
                        rule: "membership".into(),
                        reason: format!("{} was in {} geen lid van deze regio.", row.municipality, row.year),
                    });
                    continue;
                };
                let current: Option<FiguresRecord> = sqlx::query_as(
                    "SELECT municipality_code, year, youths, budget_youth_cents, budget_wmo_cents \
                     FROM member_figures WHERE region_id = $1 AND municipality_code = $2 AND year = $3",
                )
                .bind(region_id)
                .bind(row.municipality.as_str())
                .bind(row.year)
                .fetch_optional(&mut *tx)
                .await?;
                let old = current.as_ref().map(FiguresRecord::figures).unwrap_or_default();
                let new = MemberFigures {
                    youths: row.youths.unwrap_or(old.youths),
                    budget_youth: row.budget_youth.unwrap_or(old.budget_youth),
                    budget_wmo: row.budget_wmo.unwrap_or(old.budget_wmo),
                };
                if let Err(invalid) = check_figures(&new, member.inhabitants) {
                    for e in invalid.errors {
                        errors.push(RowError { line: row.line, field: e.name, rule: e.code, reason: e.reason });
                    }
                    continue;
                }
                if new == old || !errors.is_empty() {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO member_figures (region_id, municipality_code, year, youths, budget_youth_cents, budget_wmo_cents, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (region_id, municipality_code, year) DO UPDATE SET youths = excluded.youths, \
                     budget_youth_cents = excluded.budget_youth_cents, budget_wmo_cents = excluded.budget_wmo_cents, \
                     updated_at = excluded.updated_at",
                )
                .bind(region_id)
                .bind(row.municipality.as_str())
                .bind(row.year)
                .bind(new.youths)
                .bind(new.budget_youth.map(|c| c.0))
                .bind(new.budget_wmo.map(|c| c.0))
                .bind(at)
                .execute(&mut *tx)
                .await?;
                let mut entry =
                    AuditEntry::new("wijzigen", "kerncijfers", format!("{} {}", row.municipality, row.year))
                        .region(region_id)
                        .after(&new);
                if current.is_some() {
                    entry = entry.before(&old);
                }
                insert_audit!(&mut *tx, actor, &entry)?;
                changed += 1;
            }
            if !errors.is_empty() {
                tx.rollback().await?;
                return Err(ImportFailure::Rows(errors));
            }
            tx.commit().await?;
            Ok(changed)
        })
    }
}

/// Why an import stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("{} regel(s) afgekeurd", .0.len())]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ImportFailure {
    fn from(e: sqlx::Error) -> Self {
        ImportFailure::Store(StoreError::Database(e))
    }
}
