//! Counts kept next to the fact tables (migration 0007): assignments starting and ending per
//! member and month, and distinct clients per year. The importer recomputes them for what an
//! import touched, inside the import's transaction, so they never disagree with the facts.

use super::tx::{on_tx, Tx};
use crate::Result;
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

/// Recomputes `client_counts` for what an import touched: per member the touched members, per
/// provider and category the touched providers' categories over the whole year (a client
/// counts once per provider, whichever member's claim brought it). Other counts cannot have
/// changed. Money per client is never deleted, so no count disappears: each is updated in place.
pub(crate) async fn refresh_client_counts(
    tx: &mut Tx,
    region_id: i64,
    touched: &BTreeMap<(&'static str, i32), Touched>,
) -> Result<()> {
    for ((law, year), touched) in touched {
        let members: Vec<&String> = touched.members.iter().collect();
        for chunk in members.chunks(500) {
            on_tx!(&mut *tx, |conn| {
                let mut upsert = sqlx::QueryBuilder::new(
                    "INSERT INTO client_counts (region_id, law, year, grouping, key, clients, amount_cents) \
                     SELECT region_id, law, year, 'gemeente', municipality_code, COUNT(DISTINCT client), \
                     SUM(amount_cents) FROM client_years WHERE region_id = ",
                );
                upsert
                    .push_bind(region_id)
                    .push(" AND law = ")
                    .push_bind(*law)
                    .push(" AND year = ")
                    .push_bind(*year)
                    .push(" AND municipality_code IN (");
                let mut list = upsert.separated(", ");
                for m in chunk {
                    list.push_bind(m.as_str());
                }
                upsert.push(
                    ") GROUP BY region_id, law, year, municipality_code \
                     ON CONFLICT (region_id, law, year, grouping, key) \
                     DO UPDATE SET clients = excluded.clients, amount_cents = excluded.amount_cents",
                );
                upsert.build().execute(&mut *conn).await?;
            });
        }
        let providers: Vec<i64> = touched.providers.iter().copied().collect();
        // Each statement reads the year's money per client of its providers once; a region has
        // a few thousand providers at most, so this is one statement (SQLite takes 32,766
        // parameters).
        for chunk in providers.chunks(10_000) {
            on_tx!(&mut *tx, |conn| {
                let mut upsert = sqlx::QueryBuilder::new(
                    "INSERT INTO client_counts (region_id, law, year, grouping, key, clients, amount_cents) \
                     SELECT region_id, law, year, 'aanbieder-categorie', CAST(provider_id AS TEXT) || ' ' || category, \
                     COUNT(DISTINCT client), SUM(amount_cents) FROM client_years WHERE region_id = ",
                );
                upsert
                    .push_bind(region_id)
                    .push(" AND law = ")
                    .push_bind(*law)
                    .push(" AND year = ")
                    .push_bind(*year)
                    .push(" AND provider_id IN (");
                let mut list = upsert.separated(", ");
                for provider_id in chunk {
                    list.push_bind(*provider_id);
                }
                upsert.push(
                    ") GROUP BY region_id, law, year, provider_id, category \
                     ON CONFLICT (region_id, law, year, grouping, key) \
                     DO UPDATE SET clients = excluded.clients, amount_cents = excluded.amount_cents",
                );
                upsert.build().execute(&mut *conn).await?;
            });
        }
    }
    Ok(())
}
