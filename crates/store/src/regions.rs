//! Regions and their members over time.

use crate::{insert_audit, now, on_pool, on_unique, Actor, AuditEntry, Result, Store, StoreError};
use samenspel_domain::region::{Domain, MembershipPeriod};
use samenspel_domain::{MunicipalityCode, RegionCode, YouthRegionCode};
use serde::Serialize;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RegionRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub domain: String,
    pub centre_municipality: Option<String>,
    pub youth_region_code: Option<String>,
    pub created_at: OffsetDateTime,
}

impl RegionRow {
    pub fn domain(&self) -> Domain {
        Domain::parse(&self.domain).unwrap_or(Domain::YouthAndWmo)
    }
}

/// A period of membership with the member's reference figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MembershipRow {
    pub id: i64,
    pub region_id: i64,
    pub municipality_code: String,
    pub municipality_name: String,
    pub province_name: String,
    pub inhabitants: i64,
    pub joined_on: Date,
    pub left_on: Option<Date>,
}

impl MembershipRow {
    pub fn period(&self) -> MembershipPeriod {
        MembershipPeriod { joined_on: self.joined_on, left_on: self.left_on }
    }

    pub fn is_active_on(&self, day: Date) -> bool {
        self.period().is_active_on(day)
    }
}

/// A region to create.
#[derive(Debug, Clone)]
pub struct NewRegion {
    pub code: RegionCode,
    pub name: String,
    pub domain: Domain,
    pub centre: Option<MunicipalityCode>,
    pub youth_region: Option<YouthRegionCode>,
    pub members: Vec<MunicipalityCode>,
    pub joined_on: Date,
}

/// Changes to a region's settings.
#[derive(Debug, Clone)]
pub struct RegionChanges {
    pub name: String,
    pub domain: Domain,
    pub centre: Option<MunicipalityCode>,
}

const REGION_COLUMNS: &str = "id, code, name, domain, centre_municipality, youth_region_code, created_at";
const MEMBERSHIP_SELECT: &str = "SELECT ms.id, ms.region_id, ms.municipality_code, m.name AS municipality_name, \
     m.province_name, m.inhabitants, ms.joined_on, ms.left_on \
     FROM memberships ms JOIN municipalities m ON m.code = ms.municipality_code";

impl Store {
    /// A new region set up from a CBS youth-care region: its name, a code derived from the
    /// name, and all its municipalities as members from `joined_on`. The centre municipality
    /// is left open: CBS does not record it, and the region names it itself.
    pub async fn new_region_from_youth_region(
        &self,
        code: &YouthRegionCode,
        domain: Domain,
        joined_on: Date,
    ) -> Result<NewRegion> {
        let (youth_region, members) = self
            .youth_region(code)
            .await?
            .ok_or_else(|| StoreError::invalid("jeugdregio", "unknown", format!("Jeugdregio {code} bestaat niet.")))?;
        let region_code = RegionCode::from_name(&youth_region.name)
            .ok_or_else(|| StoreError::invalid("code", "pattern", "Geef zelf een code voor de regio op."))?;
        Ok(NewRegion {
            code: region_code,
            name: youth_region.name,
            domain,
            centre: None,
            youth_region: Some(code.clone()),
            members: members.into_iter().filter_map(|m| MunicipalityCode::parse(&m.code).ok()).collect(),
            joined_on,
        })
    }

    /// Creates a region with its first members in one transaction.
    pub async fn create_region(&self, new: &NewRegion, actor: &Actor) -> Result<RegionRow> {
        let mut unknown = Vec::new();
        for m in new.members.iter().chain(new.centre.iter()) {
            if self.municipality(m).await?.is_none() {
                unknown.push(m.to_string());
            }
        }
        if !unknown.is_empty() {
            return Err(StoreError::invalid(
                "leden",
                "unknown",
                format!("Onbekende gemeentecode(s): {}.", unknown.join(", ")),
            ));
        }
        if let Some(centre) = &new.centre {
            if !new.members.contains(centre) {
                return Err(StoreError::invalid(
                    "centrumgemeente",
                    "membership",
                    "De centrumgemeente moet lid zijn van de regio.",
                ));
            }
        }
        let mut members = new.members.clone();
        members.sort();
        members.dedup();
        let created_at = now();
        let region = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let region: RegionRow = sqlx::query_as(&format!(
                "INSERT INTO regions (code, name, domain, centre_municipality, youth_region_code, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING {REGION_COLUMNS}"
            ))
            .bind(new.code.as_str())
            .bind(&new.name)
            .bind(new.domain.code())
            .bind(new.centre.as_ref().map(|c| c.as_str()))
            .bind(new.youth_region.as_ref().map(|c| c.as_str()))
            .bind(created_at)
            .fetch_one(&mut *tx)
            .await
            .map_err(on_unique("code", "Er bestaat al een regio met deze code."))?;
            for m in &members {
                sqlx::query("INSERT INTO memberships (region_id, municipality_code, joined_on) VALUES ($1, $2, $3)")
                    .bind(region.id)
                    .bind(m.as_str())
                    .bind(new.joined_on)
                    .execute(&mut *tx)
                    .await?;
            }
            let entry = AuditEntry::new("aanmaken", "regio", &region.code)
                .region(region.id)
                .after(&serde_json::json!({ "regio": &region, "leden": &members, "lidVanaf": new.joined_on }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            region
        });
        Ok(region)
    }

    pub async fn regions(&self) -> Result<Vec<RegionRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, RegionRow>(&format!(
            "SELECT {REGION_COLUMNS} FROM regions ORDER BY name, id"
        ))
        .fetch_all(pool)
        .await?))
    }

    pub async fn region_by_code(&self, code: &str) -> Result<Option<RegionRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, RegionRow>(&format!(
            "SELECT {REGION_COLUMNS} FROM regions WHERE code = $1"
        ))
        .bind(code)
        .fetch_optional(pool)
        .await?))
    }

    pub async fn region(&self, id: i64) -> Result<RegionRow> {
        on_pool!(self, |pool| sqlx::query_as::<_, RegionRow>(&format!(
            "SELECT {REGION_COLUMNS} FROM regions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound))
    }

    pub async fn update_region(&self, region_id: i64, changes: &RegionChanges, actor: &Actor) -> Result<RegionRow> {
        let before = self.region(region_id).await?;
        if let Some(centre) = &changes.centre {
            let today = crate::today();
            let members = self.memberships(region_id).await?;
            if !members.iter().any(|m| m.municipality_code == centre.as_str() && m.is_active_on(today)) {
                return Err(StoreError::invalid(
                    "centrumgemeente",
                    "membership",
                    "De centrumgemeente moet nu lid zijn van de regio.",
                ));
            }
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let after: RegionRow = sqlx::query_as(&format!(
                "UPDATE regions SET name = $1, domain = $2, centre_municipality = $3 WHERE id = $4 RETURNING {REGION_COLUMNS}"
            ))
            .bind(&changes.name)
            .bind(changes.domain.code())
            .bind(changes.centre.as_ref().map(|c| c.as_str()))
            .bind(region_id)
            .fetch_one(&mut *tx)
            .await?;
            let entry =
                AuditEntry::new("wijzigen", "regio", &after.code).region(region_id).before(&before).after(&after);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(after)
        })
    }

    /// All membership periods of a region, current and past, by municipality name.
    pub async fn memberships(&self, region_id: i64) -> Result<Vec<MembershipRow>> {
        let sql = format!("{MEMBERSHIP_SELECT} WHERE ms.region_id = $1 ORDER BY m.name, ms.joined_on");
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, MembershipRow>(&sql).bind(region_id).fetch_all(pool).await?))
    }

    /// Whether a municipality is a member on a day.
    pub async fn is_member_on(&self, region_id: i64, municipality: &MunicipalityCode, day: Date) -> Result<bool> {
        Ok(self
            .memberships(region_id)
            .await?
            .iter()
            .any(|m| m.municipality_code == municipality.as_str() && m.is_active_on(day)))
    }

    /// Adds a period of membership; periods of the same member may not overlap.
    pub async fn add_membership(
        &self,
        region_id: i64,
        municipality: &MunicipalityCode,
        period: MembershipPeriod,
        actor: &Actor,
    ) -> Result<MembershipRow> {
        if self.municipality(municipality).await?.is_none() {
            return Err(StoreError::invalid(
                "gemeentecode",
                "unknown",
                format!("Gemeente {municipality} bestaat niet."),
            ));
        }
        let existing = self.memberships(region_id).await?;
        if let Some(clash) =
            existing.iter().find(|m| m.municipality_code == municipality.as_str() && m.period().overlaps(&period))
        {
            return Err(StoreError::conflict(
                "lidVanaf",
                format!(
                    "{} is in deze periode al lid (sinds {}).",
                    clash.municipality_name,
                    samenspel_domain::nl::date(clash.joined_on)
                ),
            ));
        }
        let id = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO memberships (region_id, municipality_code, joined_on, left_on) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(region_id)
            .bind(municipality.as_str())
            .bind(period.joined_on)
            .bind(period.left_on)
            .fetch_one(&mut *tx)
            .await?;
            let entry = AuditEntry::new("aanmaken", "lidmaatschap", id).region(region_id).after(&serde_json::json!({
                "gemeente": municipality, "lidVanaf": period.joined_on, "lidTot": period.left_on
            }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            id
        });
        self.membership(region_id, id).await
    }

    pub async fn membership(&self, region_id: i64, id: i64) -> Result<MembershipRow> {
        let sql = format!("{MEMBERSHIP_SELECT} WHERE ms.region_id = $1 AND ms.id = $2");
        on_pool!(self, |pool| sqlx::query_as::<_, MembershipRow>(&sql)
            .bind(region_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound))
    }

    /// Ends a membership on a date (the member leaves). The centre municipality cannot
    /// leave while it is the centre.
    pub async fn end_membership(&self, region_id: i64, id: i64, left_on: Date, actor: &Actor) -> Result<MembershipRow> {
        let before = self.membership(region_id, id).await?;
        let period = MembershipPeriod::new(before.joined_on, Some(left_on)).map_err(StoreError::Invalid)?;
        let others = self.memberships(region_id).await?;
        if let Some(clash) = others
            .iter()
            .find(|m| m.id != id && m.municipality_code == before.municipality_code && m.period().overlaps(&period))
        {
            return Err(StoreError::conflict(
                "lidTot",
                format!(
                    "Dan loopt dit lidmaatschap door in een volgend lidmaatschap van {} (vanaf {}).",
                    clash.municipality_name,
                    samenspel_domain::nl::date(clash.joined_on)
                ),
            ));
        }
        let region = self.region(region_id).await?;
        if region.centre_municipality.as_deref() == Some(before.municipality_code.as_str()) {
            return Err(StoreError::invalid(
                "lidTot",
                "centre",
                format!(
                    "{} is de centrumgemeente; wijs eerst een andere centrumgemeente aan.",
                    before.municipality_name
                ),
            ));
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE memberships SET left_on = $1 WHERE id = $2 AND region_id = $3")
                .bind(left_on)
                .bind(id)
                .bind(region_id)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry::new("wijzigen", "lidmaatschap", id)
                .region(region_id)
                .before(&before)
                .after(&serde_json::json!({ "lidTot": left_on }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        self.membership(region_id, id).await
    }
}
