//! CBS reference data in the database: municipalities, their inhabitants per year, and the
//! youth-care regions.

use crate::{insert_audit, now, on_pool, Actor, AuditEntry, PageRequest, Paged, Result, Store, StoreError};
use samenspel_domain::{MunicipalityCode, YouthRegionCode};
use samenspel_refdata::ReferenceSet;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MunicipalityRow {
    pub code: String,
    pub name: String,
    pub province_code: String,
    pub province_name: String,
    pub inhabitants: i64,
    pub reference_year: i32,
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct YouthRegionRow {
    pub code: String,
    pub name: String,
    pub classification_year: i32,
    pub member_count: i64,
    pub inhabitants: i64,
}

/// What a reference load changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadSummary {
    pub municipality_year: i32,
    pub classification_year: i32,
    pub municipalities: usize,
    pub added: usize,
    pub no_longer_current: usize,
    pub youth_regions: usize,
}

/// Filters for the municipality list.
#[derive(Debug, Clone, Default)]
pub struct MunicipalityFilter {
    /// Part of the name, case-insensitive.
    pub name: Option<String>,
    pub province_code: Option<String>,
    pub include_former: bool,
}

const MUNICIPALITY_COLUMNS: &str = "code, name, province_code, province_name, inhabitants, reference_year, current";

impl Store {
    /// Whether any reference data was loaded yet.
    pub async fn has_reference_data(&self) -> Result<bool> {
        on_pool!(self, |pool| {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reference_loads").fetch_one(pool).await?;
            Ok(n > 0)
        })
    }

    /// The most recent municipality year loaded.
    pub async fn reference_year(&self) -> Result<Option<i32>> {
        on_pool!(self, |pool| Ok(sqlx::query_scalar::<_, Option<i32>>(
            "SELECT MAX(municipality_year) FROM reference_loads"
        )
        .fetch_one(pool)
        .await?))
    }

    /// Loads a CBS reference set in one transaction. A year older than the newest already
    /// loaded is refused, so that a mistake cannot roll the register back.
    pub async fn load_reference(&self, set: &ReferenceSet, source: &str, actor: &Actor) -> Result<LoadSummary> {
        if let Some(latest) = self.reference_year().await? {
            if set.municipality_year < latest {
                return Err(StoreError::invalid(
                    "jaar",
                    "range",
                    format!(
                        "De referentiegegevens van {} zijn ouder dan de al geladen gegevens van {latest}.",
                        set.municipality_year
                    ),
                ));
            }
        }
        let at = now();
        let mut summary = LoadSummary {
            municipality_year: set.municipality_year,
            classification_year: set.classification_year,
            municipalities: set.municipalities.len(),
            youth_regions: set.youth_regions.len(),
            ..LoadSummary::default()
        };
        let codes: Vec<&str> = set.municipalities.iter().map(|m| m.code.as_str()).collect();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let existing: Vec<String> =
                sqlx::query_scalar("SELECT code FROM municipalities").fetch_all(&mut *tx).await?;
            sqlx::query("UPDATE municipalities SET current = FALSE").execute(&mut *tx).await?;
            for m in &set.municipalities {
                if !existing.iter().any(|c| c == m.code.as_str()) {
                    summary.added += 1;
                }
                sqlx::query(
                    "INSERT INTO municipalities (code, name, province_code, province_name, inhabitants, reference_year, current) \
                     VALUES ($1, $2, $3, $4, $5, $6, TRUE) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, province_code = excluded.province_code, \
                     province_name = excluded.province_name, inhabitants = excluded.inhabitants, \
                     reference_year = excluded.reference_year, current = TRUE",
                )
                .bind(m.code.as_str())
                .bind(&m.name)
                .bind(&m.province_code)
                .bind(&m.province_name)
                .bind(m.inhabitants)
                .bind(set.municipality_year)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO municipality_population (municipality_code, year, inhabitants) VALUES ($1, $2, $3) \
                     ON CONFLICT (municipality_code, year) DO UPDATE SET inhabitants = excluded.inhabitants",
                )
                .bind(m.code.as_str())
                .bind(set.municipality_year)
                .bind(m.inhabitants)
                .execute(&mut *tx)
                .await?;
            }
            summary.no_longer_current = existing.iter().filter(|c| !codes.contains(&c.as_str())).count();

            sqlx::query("DELETE FROM youth_region_members").execute(&mut *tx).await?;
            sqlx::query("UPDATE youth_regions SET current = FALSE").execute(&mut *tx).await?;
            for r in &set.youth_regions {
                sqlx::query(
                    "INSERT INTO youth_regions (code, name, classification_year, current) VALUES ($1, $2, $3, TRUE) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                     classification_year = excluded.classification_year, current = TRUE",
                )
                .bind(r.code.as_str())
                .bind(&r.name)
                .bind(set.classification_year)
                .execute(&mut *tx)
                .await?;
                for m in &r.members {
                    sqlx::query(
                        "INSERT INTO youth_region_members (youth_region_code, municipality_code) VALUES ($1, $2)",
                    )
                    .bind(r.code.as_str())
                    .bind(m.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
            }
            sqlx::query(
                "INSERT INTO reference_loads (municipality_year, classification_year, source, loaded_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(set.municipality_year)
            .bind(set.classification_year)
            .bind(source)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let entry = AuditEntry::new("laden", "referentiegegevens", set.municipality_year).after(&summary);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(summary)
        })
    }

    pub async fn municipalities(
        &self,
        filter: &MunicipalityFilter,
        page: PageRequest,
    ) -> Result<Paged<MunicipalityRow>> {
        let name = filter
            .name
            .as_deref()
            .map(|n| format!("%{}%", n.trim().to_lowercase().replace(['%', '_', '\\'], "")))
            .unwrap_or_else(|| "%".to_string());
        let province = filter.province_code.clone().unwrap_or_default();
        let where_clause = "WHERE LOWER(name) LIKE $1 AND ($2 = '' OR province_code = $2) AND (current OR $3)";
        let list = format!(
            "SELECT {MUNICIPALITY_COLUMNS} FROM municipalities {where_clause} ORDER BY name, code LIMIT $4 OFFSET $5"
        );
        let count = format!("SELECT COUNT(*) FROM municipalities {where_clause}");
        on_pool!(self, |pool| {
            let items = sqlx::query_as::<_, MunicipalityRow>(&list)
                .bind(&name)
                .bind(&province)
                .bind(filter.include_former)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(&count)
                .bind(&name)
                .bind(&province)
                .bind(filter.include_former)
                .fetch_one(pool)
                .await?;
            Ok(Paged { items, total })
        })
    }

    pub async fn municipality(&self, code: &MunicipalityCode) -> Result<Option<MunicipalityRow>> {
        let sql = format!("SELECT {MUNICIPALITY_COLUMNS} FROM municipalities WHERE code = $1");
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, MunicipalityRow>(&sql)
            .bind(code.as_str())
            .fetch_optional(pool)
            .await?))
    }

    pub async fn youth_regions(&self) -> Result<Vec<YouthRegionRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, YouthRegionRow>(
            "SELECT y.code, y.name, y.classification_year, COUNT(m.code) AS member_count, \
             CAST(COALESCE(SUM(m.inhabitants), 0) AS BIGINT) AS inhabitants \
             FROM youth_regions y \
             LEFT JOIN youth_region_members ym ON ym.youth_region_code = y.code \
             LEFT JOIN municipalities m ON m.code = ym.municipality_code \
             WHERE y.current GROUP BY y.code, y.name, y.classification_year ORDER BY y.code"
        )
        .fetch_all(pool)
        .await?))
    }

    pub async fn youth_region(&self, code: &YouthRegionCode) -> Result<Option<(YouthRegionRow, Vec<MunicipalityRow>)>> {
        let Some(region) = self.youth_regions().await?.into_iter().find(|r| r.code == code.as_str()) else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {MUNICIPALITY_COLUMNS} FROM municipalities WHERE code IN \
             (SELECT municipality_code FROM youth_region_members WHERE youth_region_code = $1) ORDER BY name"
        );
        let members = on_pool!(self, |pool| sqlx::query_as::<_, MunicipalityRow>(&sql)
            .bind(code.as_str())
            .fetch_all(pool)
            .await?);
        Ok(Some((region, members)))
    }

    /// Loads the shipped CBS data if nothing was loaded yet. Run at start-up.
    pub async fn ensure_reference_data(&self) -> Result<Option<LoadSummary>> {
        if self.has_reference_data().await? {
            return Ok(None);
        }
        let set = ReferenceSet::shipped();
        match self.load_reference(&set, "meegeleverd: data/cbs (Bron: CBS)", &Actor::system()).await {
            Ok(summary) => Ok(Some(summary)),
            // Another process loaded it at the same moment.
            Err(_) if self.has_reference_data().await? => Ok(None),
            Err(e) => Err(e),
        }
    }
}
