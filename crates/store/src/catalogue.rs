//! The national product code lists and each region's product catalogue.

use crate::{insert_audit, now, on_pool, on_unique, Actor, AuditEntry, PageRequest, Paged, Result, Store, StoreError};
use samenspel_domain::procurement::{category_of_code, FundingVariant, Law, Unit};
use samenspel_refdata::products::CodeLists;
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CategoryRow {
    pub law: String,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct NationalProductRow {
    pub law: String,
    pub code: String,
    pub description: String,
    pub category: Option<String>,
    pub list_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProductRow {
    pub id: i64,
    pub region_id: i64,
    pub law: String,
    pub category: String,
    pub code: Option<String>,
    pub name: String,
    pub unit: String,
    pub funding_variant: String,
    pub national: bool,
    pub active: bool,
    pub created_at: OffsetDateTime,
}

impl ProductRow {
    /// `45A03 Jeugdhulp ambulant…`, or `45 (aspecifiek) …` without a code.
    pub fn label(&self) -> String {
        match &self.code {
            Some(code) => format!("{code} {}", self.name),
            None => format!("{} (aspecifiek) {}", self.category, self.name),
        }
    }
}

/// A product as the region describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDetails {
    pub law: Law,
    pub category: String,
    pub code: Option<String>,
    pub name: String,
    pub unit: Unit,
    pub funding_variant: FundingVariant,
    /// A code of the region's own, not on the national list.
    pub own_code: bool,
    pub active: bool,
}

const PRODUCT_COLUMNS: &str =
    "id, region_id, law, category, code, name, unit, funding_variant, national, active, created_at";

impl Store {
    /// Loads the shipped national code lists if they are not there yet. Run at start-up.
    pub async fn ensure_code_lists(&self) -> Result<bool> {
        let loaded: i64 = on_pool!(self, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM product_categories")
            .fetch_one(pool)
            .await?);
        if loaded > 0 {
            return Ok(false);
        }
        let lists = CodeLists::shipped();
        let result: Result<()> = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for c in &lists.categories {
                sqlx::query("INSERT INTO product_categories (law, code, name) VALUES ($1, $2, $3)")
                    .bind(c.law.code())
                    .bind(&c.code)
                    .bind(&c.name)
                    .execute(&mut *tx)
                    .await?;
            }
            for p in &lists.products {
                sqlx::query("INSERT INTO national_products (law, code, description, category, list_name) VALUES ($1, $2, $3, $4, $5)")
                    .bind(p.law.code())
                    .bind(&p.code)
                    .bind(&p.description)
                    .bind(&p.category)
                    .bind(p.list)
                    .execute(&mut *tx)
                    .await?;
            }
            let entry = AuditEntry::new("laden", "productcodelijsten", lists.products.len());
            insert_audit!(&mut *tx, &Actor::system(), &entry)?;
            tx.commit().await?;
            Ok(())
        });
        match result {
            Ok(()) => Ok(true),
            // Another process loaded them at the same moment.
            Err(StoreError::Database(_)) if self.has_code_lists().await? => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn has_code_lists(&self) -> Result<bool> {
        on_pool!(self, |pool| Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM product_categories")
            .fetch_one(pool)
            .await?
            > 0))
    }

    pub async fn product_categories(&self, law: Option<Law>) -> Result<Vec<CategoryRow>> {
        let law = law.map(|l| l.code()).unwrap_or("");
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, CategoryRow>(
            "SELECT law, code, name FROM product_categories WHERE $1 = '' OR law = $1 ORDER BY law, code"
        )
        .bind(law)
        .fetch_all(pool)
        .await?))
    }

    /// The national product codes, filtered by law, category and a search in code or description.
    pub async fn national_products(
        &self,
        law: Option<Law>,
        category: Option<&str>,
        search: Option<&str>,
        page: PageRequest,
    ) -> Result<Paged<NationalProductRow>> {
        let law = law.map(|l| l.code()).unwrap_or("");
        let category = category.unwrap_or("");
        let search = format!("%{}%", search.unwrap_or("").trim().to_lowercase().replace(['%', '_', '\\'], ""));
        let filter = "WHERE ($1 = '' OR law = $1) AND ($2 = '' OR category = $2) \
                      AND (LOWER(code) LIKE $3 OR LOWER(description) LIKE $3)";
        let list = format!(
            "SELECT law, code, description, category, list_name FROM national_products {filter} ORDER BY law, code LIMIT $4 OFFSET $5"
        );
        let count = format!("SELECT COUNT(*) FROM national_products {filter}");
        on_pool!(self, |pool| {
            let items = sqlx::query_as::<_, NationalProductRow>(&list)
                .bind(law)
                .bind(category)
                .bind(&search)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(&count).bind(law).bind(category).bind(&search).fetch_one(pool).await?;
            Ok(Paged { items, total })
        })
    }

    pub async fn national_product(&self, law: Law, code: &str) -> Result<Option<NationalProductRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, NationalProductRow>(
            "SELECT law, code, description, category, list_name FROM national_products WHERE law = $1 AND code = $2"
        )
        .bind(law.code())
        .bind(code)
        .fetch_optional(pool)
        .await?))
    }

    /// Checks a product against the code lists; returns whether its code is national.
    async fn check_product(&self, details: &ProductDetails) -> Result<bool> {
        let categories = self.product_categories(Some(details.law)).await?;
        if !categories.iter().any(|c| c.code == details.category) {
            return Err(StoreError::invalid(
                "categorie",
                "unknown",
                format!("Categorie {} bestaat niet in de {}.", details.category, details.law.label()),
            ));
        }
        let Some(code) = &details.code else {
            return Ok(false);
        };
        match self.national_product(details.law, code).await? {
            Some(national) => {
                let stated = national.category.clone().or_else(|| category_of_code(code).map(str::to_string));
                if let Some(stated) = stated.filter(|s| *s != details.category) {
                    return Err(StoreError::invalid(
                        "categorie",
                        "S329",
                        format!("Productcode {code} hoort bij categorie {stated}, niet bij {}.", details.category),
                    ));
                }
                if details.own_code {
                    return Err(StoreError::invalid(
                        "eigenCode",
                        "national",
                        format!("{code} staat op de landelijke codelijst; vink 'eigen code' uit."),
                    ));
                }
                Ok(true)
            }
            None if details.own_code => Ok(false),
            None => Err(StoreError::invalid(
                "code",
                "unknown",
                format!(
                    "Productcode {code} staat niet op de landelijke codelijst van de {}. Is het een code van de regio zelf? Vink dan 'eigen code' aan.",
                    details.law.label()
                ),
            )),
        }
    }

    pub async fn products(&self, region_id: i64, include_inactive: bool) -> Result<Vec<ProductRow>> {
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE region_id = $1 AND (active OR $2) ORDER BY law, category, code, name"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, ProductRow>(&sql)
            .bind(region_id)
            .bind(include_inactive)
            .fetch_all(pool)
            .await?))
    }

    pub async fn product(&self, region_id: i64, id: i64) -> Result<ProductRow> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE region_id = $1 AND id = $2");
        on_pool!(self, |pool| sqlx::query_as::<_, ProductRow>(&sql)
            .bind(region_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound))
    }

    pub async fn create_product(&self, region_id: i64, details: &ProductDetails, actor: &Actor) -> Result<ProductRow> {
        let national = self.check_product(details).await?;
        let sql = format!(
            "INSERT INTO products (region_id, law, category, code, name, unit, funding_variant, national, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {PRODUCT_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: ProductRow = sqlx::query_as(&sql)
                .bind(region_id)
                .bind(details.law.code())
                .bind(&details.category)
                .bind(&details.code)
                .bind(&details.name)
                .bind(details.unit.code())
                .bind(details.funding_variant.code())
                .bind(national)
                .bind(details.active)
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(on_unique("code", "Dit product staat al in de catalogus van de regio."))?;
            let entry = AuditEntry::new("aanmaken", "product", row.id).region(region_id).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    pub async fn update_product(
        &self,
        region_id: i64,
        id: i64,
        details: &ProductDetails,
        actor: &Actor,
    ) -> Result<ProductRow> {
        let before = self.product(region_id, id).await?;
        let national = self.check_product(details).await?;
        let sql = format!(
            "UPDATE products SET law = $1, category = $2, code = $3, name = $4, unit = $5, funding_variant = $6, \
             national = $7, active = $8 WHERE id = $9 AND region_id = $10 RETURNING {PRODUCT_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: ProductRow = sqlx::query_as(&sql)
                .bind(details.law.code())
                .bind(&details.category)
                .bind(&details.code)
                .bind(&details.name)
                .bind(details.unit.code())
                .bind(details.funding_variant.code())
                .bind(national)
                .bind(details.active)
                .bind(id)
                .bind(region_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(on_unique("code", "Dit product staat al in de catalogus van de regio."))?;
            let entry = AuditEntry::new("wijzigen", "product", id).region(region_id).before(&before).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }
}
