//! The aggregates the spend views read: from `spend_months` and the money per client packed per
//! group in `client_cells`, which the importer keeps up to date, so a view never scans claim lines.

use super::client_money;
use crate::{on_pool, Result, Store, StoreError};
use rustc_hash::FxHashMap;
use serde::Serialize;

/// What a spend view groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Dimension {
    Member,
    Provider,
    Lot,
    Product,
    Month,
}

impl Dimension {
    pub const ALL: [Dimension; 5] =
        [Dimension::Member, Dimension::Provider, Dimension::Lot, Dimension::Product, Dimension::Month];

    /// The URL and API name.
    pub fn code(self) -> &'static str {
        match self {
            Dimension::Member => "gemeente",
            Dimension::Provider => "aanbieder",
            Dimension::Lot => "perceel",
            Dimension::Product => "product",
            Dimension::Month => "maand",
        }
    }

    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.code() == s)
    }

    fn column(self) -> &'static str {
        match self {
            Dimension::Member => "municipality_code",
            Dimension::Provider => "CAST(provider_id AS TEXT)",
            Dimension::Lot => "CAST(lot_id AS TEXT)",
            Dimension::Product => "category || ' ' || product_code",
            Dimension::Month => "CAST(month AS TEXT)",
        }
    }
}

/// Which spend to add up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendFilter {
    pub year: i32,
    /// `jeugd` or `wmo`; both when absent.
    pub law: Option<String>,
    pub municipality: Option<String>,
    pub provider_id: Option<i64>,
    /// yyyymm, inclusive; defaults to the whole year.
    pub from_month: Option<i32>,
    pub to_month: Option<i32>,
}

impl SpendFilter {
    pub fn year(year: i32) -> SpendFilter {
        SpendFilter { year, law: None, municipality: None, provider_id: None, from_month: None, to_month: None }
    }

    fn months(&self) -> (i32, i32) {
        (self.from_month.unwrap_or(self.year * 100 + 1), self.to_month.unwrap_or(self.year * 100 + 12))
    }
}

/// One group of a spend view: its key (a GM code, provider id, lot id (0 = no contract),
/// `category code`, or yyyymm) and its totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SpendCell {
    pub key: String,
    pub amount_cents: i64,
    pub volume: i64,
    pub lines: i64,
}

/// One client's money in a year with one provider for one product category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientMoney {
    pub law: String,
    pub municipality_code: String,
    pub provider_id: i64,
    pub category: String,
    /// The pseudonym.
    pub client: String,
    pub amount_cents: i64,
}

fn damaged(e: client_money::Damaged) -> StoreError {
    StoreError::Damaged(format!("geld per cliënt: {}", e.0))
}

/// Clients and money per group for a year (from the packed money per client).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ClientCell {
    pub key: String,
    pub clients: i64,
    pub amount_cents: i64,
}

const CONDITION: &str = "region_id = $1 AND month >= $2 AND month <= $3 AND ($4 = '' OR law = $4) \
    AND ($5 = '' OR municipality_code = $5) AND ($6 = 0 OR provider_id = $6)";

impl Store {
    /// Spend grouped by one dimension. Without a member or provider filter it reads the
    /// per-dimension rollup, which stays small however large the region.
    pub async fn spend(&self, region_id: i64, dimension: Dimension, filter: &SpendFilter) -> Result<Vec<SpendCell>> {
        if filter.municipality.is_none() && filter.provider_id.is_none() {
            let (from, to) = filter.months();
            let (table_dimension, key) = match dimension {
                Dimension::Month => ("gemeente", "CAST(month AS TEXT)"),
                d => (d.code(), "key"),
            };
            let sql = format!(
                "SELECT {key} AS key, CAST(SUM(amount_cents) AS BIGINT) AS amount_cents, \
                 CAST(SUM(volume) AS BIGINT) AS volume, CAST(SUM(lines) AS BIGINT) AS lines FROM spend_rollup \
                 WHERE region_id = $1 AND dimension = $2 AND month >= $3 AND month <= $4 AND ($5 = '' OR law = $5) \
                 GROUP BY {key} ORDER BY {key}"
            );
            return on_pool!(self, |pool| Ok(sqlx::query_as::<_, SpendCell>(&sql)
                .bind(region_id)
                .bind(table_dimension)
                .bind(from)
                .bind(to)
                .bind(filter.law.clone().unwrap_or_default())
                .fetch_all(pool)
                .await?));
        }
        let key = dimension.column();
        let sql = format!(
            "SELECT {key} AS key, CAST(SUM(amount_cents) AS BIGINT) AS amount_cents, CAST(SUM(volume) AS BIGINT) AS volume, \
             CAST(SUM(lines) AS BIGINT) AS lines FROM spend_months WHERE {CONDITION} GROUP BY {key} ORDER BY {key}"
        );
        let (from, to) = filter.months();
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, SpendCell>(&sql)
            .bind(region_id)
            .bind(from)
            .bind(to)
            .bind(filter.law.clone().unwrap_or_default())
            .bind(filter.municipality.clone().unwrap_or_default())
            .bind(filter.provider_id.unwrap_or(0))
            .fetch_all(pool)
            .await?))
    }

    /// Spend per member and month, for the forecasts: (GM code, yyyymm, cents).
    pub async fn spend_per_member_month(
        &self,
        region_id: i64,
        filter: &SpendFilter,
    ) -> Result<Vec<(String, i32, i64)>> {
        if filter.municipality.is_none() && filter.provider_id.is_none() {
            let (from, to) = filter.months();
            return on_pool!(self, |pool| Ok(sqlx::query_as(
                "SELECT key, month, CAST(SUM(amount_cents) AS BIGINT) FROM spend_rollup WHERE region_id = $1 \
                 AND dimension = 'gemeente' AND month >= $2 AND month <= $3 AND ($4 = '' OR law = $4) \
                 GROUP BY key, month ORDER BY key, month"
            )
            .bind(region_id)
            .bind(from)
            .bind(to)
            .bind(filter.law.clone().unwrap_or_default())
            .fetch_all(pool)
            .await?));
        }
        let sql = format!(
            "SELECT municipality_code, month, CAST(SUM(amount_cents) AS BIGINT) FROM spend_months WHERE {CONDITION} \
             GROUP BY municipality_code, month ORDER BY municipality_code, month"
        );
        let (from, to) = filter.months();
        on_pool!(self, |pool| Ok(sqlx::query_as(&sql)
            .bind(region_id)
            .bind(from)
            .bind(to)
            .bind(filter.law.clone().unwrap_or_default())
            .bind(filter.municipality.clone().unwrap_or_default())
            .bind(filter.provider_id.unwrap_or(0))
            .fetch_all(pool)
            .await?))
    }

    /// Clients (distinct pseudonyms) and money in a year, grouped by member, provider or
    /// provider and category (`provider_id category`).
    pub async fn clients(&self, region_id: i64, by: &str, filter: &SpendFilter) -> Result<Vec<ClientCell>> {
        // One law, the whole region: the counts kept by the importer.
        if let (Some(law), None, None) = (&filter.law, &filter.municipality, filter.provider_id) {
            let grouping = if by == "gemeente" {
                "gemeente"
            } else if by == "aanbieder" {
                ""
            } else {
                "aanbieder-categorie"
            };
            if !grouping.is_empty() {
                return on_pool!(self, |pool| Ok(sqlx::query_as::<_, ClientCell>(
                    "SELECT key, clients, amount_cents FROM client_counts \
                     WHERE region_id = $1 AND law = $2 AND year = $3 AND grouping = $4 ORDER BY key",
                )
                .bind(region_id)
                .bind(law)
                .bind(filter.year)
                .bind(grouping)
                .fetch_all(pool)
                .await?));
            }
        }
        let cells: Vec<(String, i64, String, Vec<u8>)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT municipality_code, provider_id, category, clients FROM client_cells \
             WHERE region_id = $1 AND year = $2 AND ($3 = '' OR law = $3) AND ($4 = '' OR municipality_code = $4) \
             AND ($5 = 0 OR provider_id = $5) AND client_count > 0",
        )
        .bind(region_id)
        .bind(filter.year)
        .bind(filter.law.clone().unwrap_or_default())
        .bind(filter.municipality.clone().unwrap_or_default())
        .bind(filter.provider_id.unwrap_or(0))
        .fetch_all(pool)
        .await)?;
        let mut groups: std::collections::BTreeMap<String, Vec<&[u8]>> = std::collections::BTreeMap::new();
        for (member, provider_id, category, packed) in &cells {
            let key = match by {
                "gemeente" => member.clone(),
                "aanbieder" => provider_id.to_string(),
                _ => format!("{provider_id} {category}"),
            };
            groups.entry(key).or_default().push(packed);
        }
        groups
            .into_iter()
            .map(|(key, values)| {
                let (clients, amount_cents) = client_money::distinct(values).map_err(damaged)?;
                Ok(ClientCell { key, clients, amount_cents })
            })
            .collect()
    }

    /// Every client's money in a year: per law, member, provider and product category, the
    /// pseudonym and the cents, in that order.
    pub async fn client_money(&self, region_id: i64, year: i32) -> Result<Vec<ClientMoney>> {
        let cells: Vec<(String, String, i64, String, Vec<u8>)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT law, municipality_code, provider_id, category, clients FROM client_cells \
             WHERE region_id = $1 AND year = $2 ORDER BY law, municipality_code, provider_id, category",
        )
        .bind(region_id)
        .bind(year)
        .fetch_all(pool)
        .await)?;
        let mut out = Vec::new();
        for (law, member, provider_id, category, packed) in cells {
            for (client, amount_cents) in client_money::entries(&packed).map_err(damaged)? {
                out.push(ClientMoney {
                    law: law.clone(),
                    municipality_code: member.clone(),
                    provider_id,
                    category: category.clone(),
                    client: format!("{client:032x}"),
                    amount_cents,
                });
            }
        }
        Ok(out)
    }

    /// Each member's cost per product category in a year: (GM code, category, cents).
    pub async fn category_costs(&self, region_id: i64, year: i32, law: &str) -> Result<Vec<(String, String, i64)>> {
        Ok(on_pool!(self, |pool| sqlx::query_as(
            "SELECT municipality_code, category, CAST(SUM(amount_cents) AS BIGINT) FROM client_cells \
             WHERE region_id = $1 AND law = $2 AND year = $3 AND client_count > 0 \
             GROUP BY municipality_code, category ORDER BY municipality_code, category",
        )
        .bind(region_id)
        .bind(law)
        .bind(year)
        .fetch_all(pool)
        .await)?)
    }

    /// The clients whose cost in a year over some product categories (or over all others, with
    /// `except`) is above an amount, per member: (GM code, cents). A threshold for expensive
    /// care leaves only these to be read one by one.
    pub async fn clients_above(
        &self,
        region_id: i64,
        year: i32,
        law: &str,
        (categories, except): (&[String], bool),
        above_cents: i64,
    ) -> Result<Vec<(String, i64)>> {
        if categories.is_empty() && !except {
            return Ok(Vec::new());
        }
        let cells: Vec<(String, Vec<u8>)> = on_pool!(self, |pool| {
            let mut q =
                sqlx::QueryBuilder::new("SELECT municipality_code, clients FROM client_cells WHERE region_id = ");
            q.push_bind(region_id).push(" AND law = ").push_bind(law).push(" AND year = ").push_bind(year);
            if !categories.is_empty() {
                q.push(if except { " AND category NOT IN (" } else { " AND category IN (" });
                let mut list = q.separated(", ");
                for c in categories {
                    list.push_bind(c.as_str());
                }
                q.push(")");
            }
            q.push(" ORDER BY municipality_code");
            q.build_query_as().fetch_all(pool).await?
        });
        // A client's cost over the member's groups (providers and categories), then the threshold.
        let mut above = Vec::new();
        for member_cells in cells.chunk_by(|a, b| a.0 == b.0) {
            let mut per_client: FxHashMap<u128, i64> = FxHashMap::default();
            for (_, packed) in member_cells {
                for (client, cents) in client_money::entries(packed).map_err(damaged)? {
                    let sum = per_client.entry(client).or_default();
                    *sum = sum.saturating_add(cents);
                }
            }
            let mut costs: Vec<(u128, i64)> = per_client.into_iter().filter(|(_, c)| *c > above_cents).collect();
            costs.sort_unstable();
            above.extend(costs.into_iter().map(|(_, cents)| (member_cells[0].0.clone(), cents)));
        }
        Ok(above)
    }

    /// The cost table of an agreement's pools in a year from the imported production; `None`
    /// when the year has no production for the law. The inner error names every category no
    /// pool takes and every producing municipality `is_member` refuses.
    pub async fn settlement_costs(
        &self,
        region_id: i64,
        year: i32,
        law: &str,
        agreement: &samenspel_domain::risk_sharing::Agreement,
        is_member: impl Fn(&str) -> bool,
    ) -> Result<Option<std::result::Result<samenspel_domain::risk_sharing::CostTable, Vec<String>>>> {
        use samenspel_domain::risk_sharing::{costs_from_production, pool_categories};
        let sums = self.category_costs(region_id, year, law).await?;
        if sums.is_empty() {
            return Ok(None);
        }
        let mut expensive = std::collections::BTreeMap::new();
        for pool in agreement.pools_in(year) {
            if let Some(threshold) = pool.threshold_cents {
                let (categories, except) = pool_categories(agreement, &pool.name);
                let clients = self.clients_above(region_id, year, law, (&categories, except), threshold).await?;
                expensive.insert(pool.name.clone(), clients);
            }
        }
        let sums = sums.iter().map(|(gm, category, cents)| (gm.as_str(), category.as_str(), *cents));
        Ok(Some(costs_from_production(agreement, sums, &expensive, is_member)))
    }

    /// The newest month with spend in a year (yyyymm).
    pub async fn last_spend_month(&self, region_id: i64, year: i32) -> Result<Option<i32>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
            "SELECT MAX(month) FROM spend_rollup WHERE region_id = $1 AND dimension = 'gemeente' AND month >= $2 AND month <= $3"
        )
        .bind(region_id)
        .bind(year * 100 + 1)
        .bind(year * 100 + 12)
        .fetch_one(pool)
        .await?)
        })
    }

    /// Years with spend, newest first.
    pub async fn spend_years(&self, region_id: i64) -> Result<Vec<i32>> {
        let months: Vec<i32> = on_pool!(self, |pool| {
            sqlx::query_scalar(
            "SELECT DISTINCT month / 100 FROM spend_rollup WHERE region_id = $1 AND dimension = 'gemeente' ORDER BY 1 DESC"
        )
        .bind(region_id)
        .fetch_all(pool)
        .await
        })?;
        Ok(months)
    }

    /// Assignments running in each month of a year per member (deleted ones not counted):
    /// (GM code, [count per month]). Running in month m: started in m or before, not ended
    /// before m.
    pub async fn running_assignments(
        &self,
        region_id: i64,
        year: i32,
        law: Option<&str>,
    ) -> Result<Vec<(String, [u32; 12])>> {
        let (first, last) = (year * 100 + 1, year * 100 + 12);
        let law = law.unwrap_or("").to_string();
        // Month 0 gathers everything before the year.
        let rows: Vec<(String, i32, i64, i64)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT municipality_code, CASE WHEN month < $3 THEN 0 ELSE month % 100 END AS m, \
             CAST(SUM(started) AS BIGINT), CAST(SUM(ended) AS BIGINT) FROM assignment_months \
             WHERE region_id = $1 AND ($2 = '' OR law = $2) AND month <= $4 \
             GROUP BY municipality_code, CASE WHEN month < $3 THEN 0 ELSE month % 100 END \
             ORDER BY municipality_code, 2",
        )
        .bind(region_id)
        .bind(&law)
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await)?;
        let mut per_member: Vec<(String, [i64; 13], [i64; 13])> = Vec::new();
        for (member, month, started, ended) in rows {
            if per_member.last().is_none_or(|(m, ..)| *m != member) {
                per_member.push((member, [0; 13], [0; 13]));
            }
            if let (Some(last), Ok(i)) = (per_member.last_mut(), usize::try_from(month)) {
                if i <= 12 {
                    last.1[i] += started;
                    last.2[i] += ended;
                }
            }
        }
        Ok(per_member
            .into_iter()
            .map(|(member, started, ended)| {
                let mut months = [0u32; 12];
                let (mut started_so_far, mut ended_before) = (started[0], ended[0]);
                for m in 1..=12 {
                    started_so_far += started[m];
                    months[m - 1] = u32::try_from(started_so_far - ended_before).unwrap_or(0);
                    ended_before += ended[m];
                }
                (member, months)
            })
            .collect())
    }

    /// Assignments that started and that ended in a range of months (yyyymm), per member.
    pub async fn assignment_flow(
        &self,
        region_id: i64,
        law: Option<&str>,
        from_month: i32,
        to_month: i32,
    ) -> Result<Vec<(String, i64, i64)>> {
        let law = law.unwrap_or("").to_string();
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT municipality_code, CAST(SUM(started) AS BIGINT), CAST(SUM(ended) AS BIGINT) \
                 FROM assignment_months WHERE region_id = $1 AND ($2 = '' OR law = $2) AND month >= $3 AND month <= $4 \
                 GROUP BY municipality_code ORDER BY municipality_code",
            )
            .bind(region_id)
            .bind(&law)
            .bind(from_month)
            .bind(to_month)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Claim lines above the contracted tariff per provider in a year: (provider, lines,
    /// cents above the contract = (claimed − contracted tariff) × volume), rejected lines not
    /// counted; from the importer's `above_tariff_months`.
    pub async fn above_tariff(&self, region_id: i64, filter: &SpendFilter) -> Result<Vec<(i64, i64, i64)>> {
        let (from, to) = filter.months();
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT provider_id, CAST(SUM(lines) AS BIGINT), CAST(SUM(cents_above) AS BIGINT) \
             FROM above_tariff_months WHERE region_id = $1 AND month >= $2 AND month <= $3 AND ($4 = '' OR law = $4) \
             AND ($5 = '' OR municipality_code = $5) GROUP BY provider_id HAVING SUM(lines) > 0 ORDER BY 3 DESC, 1",
        )
        .bind(region_id)
        .bind(from)
        .bind(to)
        .bind(filter.law.clone().unwrap_or_default())
        .bind(filter.municipality.clone().unwrap_or_default())
        .fetch_all(pool)
        .await?))
    }
}
