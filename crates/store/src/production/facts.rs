//! Loads what the import checks need to know about a region into [`Facts`].

use crate::{on_pool, Result, Store};
use samenspel_istd::checks::{ContractFact, Facts, TariffFact};
use samenspel_istd::Standard;
use time::Date;

fn standard(law: &str) -> Standard {
    if law == "wmo" {
        Standard::Iwmo
    } else {
        Standard::Ijw
    }
}

/// `GM0518` → `0518`.
fn digits(code: &str) -> String {
    code.trim_start_matches("GM").to_string()
}

/// Contract, category, code, year, municipality, cents.
type TariffTuple = (i64, String, Option<String>, i32, Option<String>, i64);

impl Store {
    /// Members, providers, product lists and contracts of a region. Assignments are loaded per
    /// municipality when a message for it comes by, inside the import's transaction.
    pub async fn load_facts(&self, region_id: i64, today: Date, scope: Option<&str>) -> Result<Facts> {
        let region = self.region(region_id).await?;
        let mut facts = Facts {
            today: Some(today),
            laws: match region.domain.as_str() {
                "jeugd" => vec![Standard::Ijw],
                "wmo" => vec![Standard::Iwmo],
                _ => vec![Standard::Ijw, Standard::Iwmo],
            },
            scope: scope.map(digits),
            ..Facts::default()
        };
        for m in self.memberships(region_id).await? {
            facts.members.entry(digits(&m.municipality_code)).or_default().push((m.joined_on, m.left_on));
        }
        let (providers, national, categories, own, contracts, lot_products, tariffs) = on_pool!(self, |pool| {
            let providers: Vec<(String, i64)> =
                sqlx::query_as("SELECT agb_code, id FROM providers WHERE region_id = $1 AND agb_code IS NOT NULL")
                    .bind(region_id)
                    .fetch_all(pool)
                    .await?;
            let national: Vec<(String, String)> =
                sqlx::query_as("SELECT law, code FROM national_products").fetch_all(pool).await?;
            let categories: Vec<(String, String)> =
                sqlx::query_as("SELECT law, code FROM product_categories").fetch_all(pool).await?;
            let own: Vec<(String, String)> = sqlx::query_as(
                "SELECT law, code FROM products WHERE region_id = $1 AND code IS NOT NULL AND national = $2",
            )
            .bind(region_id)
            .bind(false)
            .fetch_all(pool)
            .await?;
            let contracts: Vec<(i64, i64, i64, Date, Option<Date>)> = sqlx::query_as(
                "SELECT id, provider_id, lot_id, starts_on, ends_on FROM contracts \
                 WHERE region_id = $1 AND status <> 'concept'",
            )
            .bind(region_id)
            .fetch_all(pool)
            .await?;
            let lot_products: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
                "SELECT lp.lot_id, p.law, p.category, p.code FROM lot_products lp \
                 JOIN products p ON p.id = lp.product_id WHERE p.region_id = $1",
            )
            .bind(region_id)
            .fetch_all(pool)
            .await?;
            let tariffs: Vec<TariffTuple> = sqlx::query_as(
                "SELECT t.contract_id, p.category, p.code, t.year, t.municipality_code, t.amount_cents \
                 FROM tariffs t JOIN products p ON p.id = t.product_id JOIN contracts c ON c.id = t.contract_id \
                 WHERE c.region_id = $1",
            )
            .bind(region_id)
            .fetch_all(pool)
            .await?;
            Ok::<_, crate::StoreError>((providers, national, categories, own, contracts, lot_products, tariffs))
        })?;
        facts.providers = providers.into_iter().collect();
        facts.national_codes = national.into_iter().map(|(law, code)| (standard(&law), code)).collect();
        facts.categories = categories.into_iter().map(|(law, code)| (standard(&law), code)).collect();
        facts.own_codes = own.into_iter().map(|(law, code)| (standard(&law), code)).collect();
        for (id, provider_id, lot_id, starts_on, ends_on) in contracts {
            let products = lot_products
                .iter()
                .filter(|(lot, ..)| *lot == lot_id)
                .map(|(_, law, category, code)| (standard(law), category.clone(), code.clone()))
                .collect();
            let tariffs = tariffs
                .iter()
                .filter(|t| t.0 == id)
                .map(|(_, category, code, year, municipality, cents)| TariffFact {
                    category: category.clone(),
                    code: code.clone(),
                    year: *year,
                    municipality: municipality.as_deref().map(digits),
                    cents: *cents,
                })
                .collect();
            facts.contracts.entry(provider_id).or_default().push(ContractFact {
                provider_id,
                lot_id,
                starts_on,
                ends_on,
                products,
                tariffs,
            });
        }
        Ok(facts)
    }
}
