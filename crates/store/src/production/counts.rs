//! Counts kept next to the fact tables (migration 0007): assignments starting and ending per
//! member and month, and distinct clients per year; and the money per client and year, packed
//! per group (`client_money`), from which the client counts come. The importer recomputes them
//! for what an import touched, inside the import's transaction, so they never disagree with
//! the facts.

use super::client_money;
use super::tx::{on_tx, Tx};
use crate::{Result, StoreError};
use std::collections::{BTreeMap, BTreeSet};

/// `region = ? AND law = ? AND municipality_code IN (...)`, for either database's builder.
macro_rules! push_member_filter {
    ($q:expr, $region_id:expr, $law:expr, $members:expr) => {{
        $q.push_bind($region_id).push(" AND law = ").push_bind($law).push(" AND municipality_code IN (");
        let mut list = $q.separated(", ");
        for m in $members {
            list.push_bind(*m);
        }
        $q.push(")");
    }};
}

/// The yyyymm of a date column, as each database spells it.
fn month_of_column(tx: &Tx, column: &str) -> String {
    match tx {
        Tx::Sqlite(_) => format!("CAST(substr({column}, 1, 4) || substr({column}, 6, 2) AS INTEGER)"),
        Tx::Postgres(_) => format!("CAST(to_char({column}, 'YYYYMM') AS INTEGER)"),
    }
}

/// Recomputes `assignment_months` for the (law, member) pairs whose assignments changed.
pub(crate) async fn refresh_assignment_months(
    tx: &mut Tx,
    region_id: i64,
    touched: &BTreeSet<(&'static str, String)>,
) -> Result<()> {
    let mut per_law: BTreeMap<&'static str, Vec<&str>> = BTreeMap::new();
    for (law, member) in touched {
        per_law.entry(law).or_default().push(member);
    }
    let (starts, ends) = (month_of_column(tx, "starts_on"), month_of_column(tx, "ends_on"));
    for (law, members) in per_law {
        for chunk in members.chunks(500) {
            on_tx!(&mut *tx, |conn| {
                let mut delete = sqlx::QueryBuilder::new("DELETE FROM assignment_months WHERE region_id = ");
                push_member_filter!(delete, region_id, law, chunk);
                delete.build().execute(&mut *conn).await?;
                // Deleted assignments (reason 13) are not counted; an end never lies before its
                // start (CS003), so running(m) = started up to m − ended before m.
                let mut insert = sqlx::QueryBuilder::new(format!(
                    "INSERT INTO assignment_months (region_id, law, municipality_code, month, started, ended) \
                     SELECT region_id, law, municipality_code, month, SUM(started), SUM(ended) FROM ( \
                     SELECT region_id, law, municipality_code, {starts} AS month, 1 AS started, 0 AS ended \
                     FROM assignments WHERE (change_reason IS NULL OR change_reason <> '13') AND region_id = "
                ));
                push_member_filter!(insert, region_id, law, chunk);
                insert.push(format!(
                    " UNION ALL SELECT region_id, law, municipality_code, {ends}, 0, 1 FROM assignments \
                     WHERE ends_on IS NOT NULL AND (change_reason IS NULL OR change_reason <> '13') AND region_id = "
                ));
                push_member_filter!(insert, region_id, law, chunk);
                insert.push(") AS events GROUP BY region_id, law, municipality_code, month");
                insert.build().execute(&mut *conn).await?;
            });
        }
    }
    Ok(())
}

/// The members and providers an import brought money per client for, in one law and year.
#[derive(Default)]
pub(crate) struct Touched {
    pub(crate) members: BTreeSet<String>,
    pub(crate) providers: BTreeSet<i64>,
}

/// What a file adds to one group of `client_cells`: cents per client, in pseudonym order.
pub(crate) struct CellDelta {
    pub(crate) id: i64,
    pub(crate) clients: Vec<(u128, i64)>,
}

/// A group as stored: (member, provider, category) and its packed clients.
struct StoredCell {
    law: &'static str,
    year: i32,
    member: String,
    provider_id: i64,
    category: String,
    packed: Vec<u8>,
}

/// Adds a file's money per client to its groups, and recomputes `client_counts` for what it
/// touched: per member the touched members, per provider and category the touched providers'
/// categories over the whole year (a client counts once per provider, whichever member's claim
/// brought it). Other counts cannot have changed, and money per client is never deleted, so no
/// count disappears: each is updated in place.
pub(crate) async fn add_client_money(
    tx: &mut Tx,
    region_id: i64,
    touched: &BTreeMap<(&'static str, i32), Touched>,
    deltas: Vec<CellDelta>,
) -> Result<()> {
    // Every group the counts read: those of the touched members and of the touched providers,
    // which include the groups this file adds to.
    let mut cells: BTreeMap<i64, StoredCell> = BTreeMap::new();
    for (&(law, year), t) in touched {
        let members: Vec<&str> = t.members.iter().map(String::as_str).collect();
        for chunk in members.chunks(500) {
            let rows: Vec<(i64, String, i64, String, Vec<u8>)> = on_tx!(&mut *tx, |conn| {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT id, municipality_code, provider_id, category, clients FROM client_cells WHERE region_id = ",
                );
                push_member_filter!(q, region_id, law, chunk);
                q.push(" AND year = ").push_bind(year);
                q.build_query_as().fetch_all(&mut *conn).await?
            });
            keep(&mut cells, law, year, rows);
        }
        let providers: Vec<i64> = t.providers.iter().copied().collect();
        for chunk in providers.chunks(10_000) {
            let rows: Vec<(i64, String, i64, String, Vec<u8>)> = on_tx!(&mut *tx, |conn| {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT id, municipality_code, provider_id, category, clients FROM client_cells WHERE region_id = ",
                );
                q.push_bind(region_id).push(" AND law = ").push_bind(law).push(" AND year = ").push_bind(year);
                q.push(" AND provider_id IN (");
                let mut list = q.separated(", ");
                for provider_id in chunk {
                    list.push_bind(*provider_id);
                }
                q.push(")");
                q.build_query_as().fetch_all(&mut *conn).await?
            });
            keep(&mut cells, law, year, rows);
        }
    }

    let mut updates: Vec<(i64, i64, i64)> = Vec::with_capacity(deltas.len());
    for delta in deltas {
        let cell = cells.get_mut(&delta.id).ok_or_else(|| {
            StoreError::conflict("client_cells", format!("groep {} hoort niet bij wat het bestand raakte", delta.id))
        })?;
        let merged = client_money::merge(&cell.packed, &delta.clients).map_err(|e| damaged(delta.id, e))?;
        cell.packed = merged.packed;
        updates.push((delta.id, merged.clients, merged.cents));
    }
    // Four values a row: 5,000 rows stay under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
    for chunk in updates.chunks(5_000) {
        let cells = &cells;
        on_tx!(&mut *tx, |conn| {
            let mut q = sqlx::QueryBuilder::new("WITH d (id, clients, client_count, amount_cents) AS (");
            q.push_values(chunk, |mut b, (id, clients, cents)| {
                let packed = cells.get(id).map(|c| c.packed.as_slice()).unwrap_or_default();
                b.push_bind(*id).push_bind(packed).push_bind(*clients).push_bind(*cents);
            });
            q.push(
                ") UPDATE client_cells SET clients = d.clients, client_count = d.client_count, \
                 amount_cents = d.amount_cents FROM d WHERE client_cells.id = d.id",
            );
            q.build().execute(&mut *conn).await?;
        });
    }

    let mut counts: Vec<(&'static str, i32, &'static str, String, i64, i64)> = Vec::new();
    for (&(law, year), t) in touched {
        let in_group = |c: &&StoredCell| c.law == law && c.year == year;
        for member in &t.members {
            let values = cells.values().filter(in_group).filter(|c| &c.member == member).map(|c| c.packed.as_slice());
            let (clients, cents) = client_money::distinct(values).map_err(|e| damaged(0, e))?;
            counts.push((law, year, "gemeente", member.clone(), clients, cents));
        }
        let mut per_category: BTreeMap<(i64, &str), Vec<&[u8]>> = BTreeMap::new();
        for c in cells.values().filter(in_group).filter(|c| t.providers.contains(&c.provider_id)) {
            per_category.entry((c.provider_id, c.category.as_str())).or_default().push(&c.packed);
        }
        for ((provider_id, category), values) in per_category {
            let (clients, cents) = client_money::distinct(values).map_err(|e| damaged(0, e))?;
            counts.push((law, year, "aanbieder-categorie", format!("{provider_id} {category}"), clients, cents));
        }
    }
    for chunk in counts.chunks(4_000) {
        on_tx!(&mut *tx, |conn| {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO client_counts (region_id, law, year, grouping, key, clients, amount_cents) ",
            );
            q.push_values(chunk, |mut b, (law, year, grouping, key, clients, cents)| {
                b.push_bind(region_id)
                    .push_bind(*law)
                    .push_bind(*year)
                    .push_bind(*grouping)
                    .push_bind(key.as_str())
                    .push_bind(*clients)
                    .push_bind(*cents);
            });
            q.push(
                " ON CONFLICT (region_id, law, year, grouping, key) \
                 DO UPDATE SET clients = excluded.clients, amount_cents = excluded.amount_cents",
            );
            q.build().execute(&mut *conn).await?;
        });
    }
    Ok(())
}

fn keep(
    cells: &mut BTreeMap<i64, StoredCell>,
    law: &'static str,
    year: i32,
    rows: Vec<(i64, String, i64, String, Vec<u8>)>,
) {
    for (id, member, provider_id, category, packed) in rows {
        cells.entry(id).or_insert(StoredCell { law, year, member, provider_id, category, packed });
    }
}

fn damaged(cell: i64, e: client_money::Damaged) -> StoreError {
    StoreError::Damaged(format!("geld per cliënt van groep {cell}: {}", e.0))
}
