//! Care providers registered in a region.

use crate::{insert_audit, now, on_pool, on_unique, Actor, AuditEntry, PageRequest, Paged, Result, Store, StoreError};
use samenspel_domain::{AgbCode, KvkNumber};
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProviderRow {
    pub id: i64,
    pub region_id: i64,
    pub name: String,
    pub agb_code: Option<String>,
    pub kvk_number: Option<String>,
    pub city: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub active: bool,
    pub created_at: OffsetDateTime,
}

/// A provider's registered details, as the region admin maintains them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderDetails {
    pub name: String,
    pub agb_code: Option<AgbCode>,
    pub kvk_number: Option<KvkNumber>,
    pub city: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub active: bool,
}

/// The part a provider keeps up to date itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderContact {
    pub email: Option<String>,
    pub phone: Option<String>,
}

const PROVIDER_COLUMNS: &str = "id, region_id, name, agb_code, kvk_number, city, email, phone, active, created_at";
const DUPLICATE_AGB: &str = "Er staat in deze regio al een zorgaanbieder met deze AGB-code.";

impl Store {
    pub async fn providers(
        &self,
        region_id: i64,
        include_inactive: bool,
        page: PageRequest,
    ) -> Result<Paged<ProviderRow>> {
        let filter = "WHERE region_id = $1 AND (active OR $2)";
        let list = format!("SELECT {PROVIDER_COLUMNS} FROM providers {filter} ORDER BY name, id LIMIT $3 OFFSET $4");
        let count = format!("SELECT COUNT(*) FROM providers {filter}");
        on_pool!(self, |pool| {
            let items = sqlx::query_as::<_, ProviderRow>(&list)
                .bind(region_id)
                .bind(include_inactive)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(&count).bind(region_id).bind(include_inactive).fetch_one(pool).await?;
            Ok(Paged { items, total })
        })
    }

    /// A provider of this region; a provider of another region is not found.
    pub async fn provider(&self, region_id: i64, id: i64) -> Result<ProviderRow> {
        let sql = format!("SELECT {PROVIDER_COLUMNS} FROM providers WHERE region_id = $1 AND id = $2");
        on_pool!(self, |pool| sqlx::query_as::<_, ProviderRow>(&sql)
            .bind(region_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound))
    }

    pub async fn create_provider(
        &self,
        region_id: i64,
        details: &ProviderDetails,
        actor: &Actor,
    ) -> Result<ProviderRow> {
        let sql = format!(
            "INSERT INTO providers (region_id, name, agb_code, kvk_number, city, email, phone, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {PROVIDER_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: ProviderRow = sqlx::query_as(&sql)
                .bind(region_id)
                .bind(&details.name)
                .bind(details.agb_code.as_ref().map(|c| c.as_str()))
                .bind(details.kvk_number.as_ref().map(|c| c.as_str()))
                .bind(&details.city)
                .bind(&details.email)
                .bind(&details.phone)
                .bind(details.active)
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(on_unique("agbCode", DUPLICATE_AGB))?;
            let entry = AuditEntry::new("aanmaken", "aanbieder", row.id).region(region_id).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    pub async fn update_provider(
        &self,
        region_id: i64,
        id: i64,
        details: &ProviderDetails,
        actor: &Actor,
    ) -> Result<ProviderRow> {
        let before = self.provider(region_id, id).await?;
        let sql = format!(
            "UPDATE providers SET name = $1, agb_code = $2, kvk_number = $3, city = $4, email = $5, phone = $6, active = $7 \
             WHERE id = $8 AND region_id = $9 RETURNING {PROVIDER_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: ProviderRow = sqlx::query_as(&sql)
                .bind(&details.name)
                .bind(details.agb_code.as_ref().map(|c| c.as_str()))
                .bind(details.kvk_number.as_ref().map(|c| c.as_str()))
                .bind(&details.city)
                .bind(&details.email)
                .bind(&details.phone)
                .bind(details.active)
                .bind(id)
                .bind(region_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(on_unique("agbCode", DUPLICATE_AGB))?;
            let entry = AuditEntry::new("wijzigen", "aanbieder", id).region(region_id).before(&before).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    pub async fn update_provider_contact(
        &self,
        region_id: i64,
        id: i64,
        contact: &ProviderContact,
        actor: &Actor,
    ) -> Result<ProviderRow> {
        let before = self.provider(region_id, id).await?;
        let details = ProviderDetails {
            name: before.name.clone(),
            agb_code: before.agb_code.as_deref().and_then(|c| AgbCode::parse(c).ok()),
            kvk_number: before.kvk_number.as_deref().and_then(|c| KvkNumber::parse(c).ok()),
            city: before.city.clone(),
            email: contact.email.clone(),
            phone: contact.phone.clone(),
            active: before.active,
        };
        self.update_provider(region_id, id, &details, actor).await
    }
}
