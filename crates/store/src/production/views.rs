//! Reading production data back: imports with their reports, and the client-level rows
//! (assignments, claim lines) filtered to what the reader may see.

use crate::{on_pool, PageRequest, Paged, Result, Store, StoreError};
use serde::Serialize;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ImportRow {
    pub id: i64,
    pub region_id: i64,
    pub file_name: String,
    pub sha256: String,
    pub format: String,
    pub message: String,
    pub status: String,
    pub bytes: i64,
    pub records: i64,
    pub accepted: i64,
    pub quarantined: i64,
    pub duplicates: i64,
    pub warnings: i64,
    pub municipality_scope: Option<String>,
    pub duplicate_of: Option<i64>,
    pub imported_by: String,
    pub started_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

/// A problem in an import's report. `record_json` holds the pseudonymised record of a
/// quarantined record: client-level data, shown only to the client's own municipality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProblemRow {
    pub id: i64,
    pub import_id: i64,
    pub line: Option<i64>,
    pub byte_offset: i64,
    pub field: String,
    pub rule: String,
    pub message: String,
    pub severity: String,
    pub municipality_code: Option<String>,
    pub provider_id: Option<i64>,
    pub record_json: Option<String>,
    pub status: String,
}

/// An assignment as stored (the newest version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AssignmentRow {
    pub id: i64,
    pub law: String,
    pub municipality_code: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub client: String,
    pub number: i64,
    pub category: Option<String>,
    pub product_code: Option<String>,
    pub assigned_on: Date,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub change_reason: Option<String>,
    pub volume: Option<i64>,
    pub unit: Option<String>,
    pub frequency: Option<String>,
    pub budget_cents: Option<i64>,
}

/// A claim line as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ClaimLineRow {
    pub id: i64,
    pub law: String,
    pub municipality_code: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub claim_number: String,
    pub client: String,
    pub reference: String,
    pub previous_reference: Option<String>,
    pub assignment_number: i64,
    pub category: String,
    pub product_code: Option<String>,
    pub lot_id: Option<i64>,
    pub period_start: Date,
    pub period_end: Date,
    pub volume: i64,
    pub unit: String,
    pub tariff_cents: Option<i64>,
    pub amount_cents: i64,
    pub contract_tariff_cents: Option<i64>,
    pub rejected: bool,
}

/// Which client-level rows to read. A member reads only its municipality, a provider only its
/// own production: the caller sets these from the reader's rights, never from the request alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientRowFilter {
    pub municipality: Option<String>,
    pub provider_id: Option<i64>,
    pub law: Option<String>,
    /// yyyymm, inclusive.
    pub from_month: Option<i32>,
    pub to_month: Option<i32>,
}

const IMPORT_COLUMNS: &str = "id, region_id, file_name, sha256, format, message, status, bytes, records, accepted, \
    quarantined, duplicates, warnings, municipality_scope, duplicate_of, imported_by, started_at, finished_at";

impl Store {
    /// The imports of a region, newest first. With `scope`, only those a member made itself.
    pub async fn imports(&self, region_id: i64, scope: Option<&str>, page: PageRequest) -> Result<Paged<ImportRow>> {
        let sql = format!(
            "SELECT {IMPORT_COLUMNS} FROM imports WHERE region_id = $1 AND ($2 = '' OR municipality_scope = $2) \
             ORDER BY id DESC LIMIT $3 OFFSET $4"
        );
        let scope = scope.unwrap_or("").to_string();
        on_pool!(self, |pool| {
            let items = sqlx::query_as::<_, ImportRow>(&sql)
                .bind(region_id)
                .bind(&scope)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(pool)
                .await?;
            let total: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM imports WHERE region_id = $1 AND ($2 = '' OR municipality_scope = $2)",
            )
            .bind(region_id)
            .bind(&scope)
            .fetch_one(pool)
            .await?;
            Ok(Paged { items, total })
        })
    }

    pub async fn import(&self, region_id: i64, id: i64) -> Result<ImportRow> {
        let sql = format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE region_id = $1 AND id = $2");
        on_pool!(self, |pool| sqlx::query_as::<_, ImportRow>(&sql)
            .bind(region_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound))
    }

    /// The report of an import: errors first, then warnings, in file order.
    pub async fn import_problems(
        &self,
        region_id: i64,
        import_id: i64,
        page: PageRequest,
    ) -> Result<Paged<ProblemRow>> {
        on_pool!(self, |pool| {
            let items = sqlx::query_as::<_, ProblemRow>(
                "SELECT id, import_id, line, byte_offset, field, rule, message, severity, municipality_code, provider_id, \
                 record_json, status FROM import_problems WHERE region_id = $1 AND import_id = $2 \
                 ORDER BY severity, byte_offset, id LIMIT $3 OFFSET $4",
            )
            .bind(region_id)
            .bind(import_id)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(pool)
            .await?;
            let total: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM import_problems WHERE region_id = $1 AND import_id = $2")
                    .bind(region_id)
                    .bind(import_id)
                    .fetch_one(pool)
                    .await?;
            Ok(Paged { items, total })
        })
    }

    pub async fn assignments(
        &self,
        region_id: i64,
        filter: &ClientRowFilter,
        page: PageRequest,
    ) -> Result<Paged<AssignmentRow>> {
        let (condition, values) = row_conditions("a", region_id, filter, false);
        let n = values.len();
        let sql = format!(
            "SELECT a.id, a.law, a.municipality_code, a.provider_id, p.name AS provider_name, a.client, a.number, \
             a.category, a.product_code, a.assigned_on, a.starts_on, a.ends_on, a.change_reason, a.volume, a.unit, \
             a.frequency, a.budget_cents FROM assignments a JOIN providers p ON p.id = a.provider_id \
             WHERE {condition} ORDER BY a.municipality_code, a.number LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let count = format!("SELECT COUNT(*) FROM assignments a WHERE {condition}");
        on_pool!(self, |pool| {
            let mut items = sqlx::query_as::<_, AssignmentRow>(&sql);
            bind_values!(items, values);
            let items = items.bind(page.limit()).bind(page.offset()).fetch_all(pool).await?;
            let mut total = sqlx::query_scalar::<_, i64>(&count);
            bind_values!(total, values);
            let total = total.fetch_one(pool).await?;
            Ok(Paged { items, total })
        })
    }

    pub async fn claim_lines(
        &self,
        region_id: i64,
        filter: &ClientRowFilter,
        page: PageRequest,
    ) -> Result<Paged<ClaimLineRow>> {
        let (condition, values) = row_conditions("l", region_id, filter, true);
        let n = values.len();
        let sql = format!(
            "SELECT l.id, l.law, l.municipality_code, l.provider_id, p.name AS provider_name, c.number AS claim_number, \
             l.client, l.reference, l.previous_reference, l.assignment_number, l.category, l.product_code, l.lot_id, \
             l.period_start, l.period_end, l.volume, l.unit, l.tariff_cents, l.amount_cents, l.contract_tariff_cents, \
             l.rejected FROM claim_lines l JOIN providers p ON p.id = l.provider_id JOIN claims c ON c.id = l.claim_id \
             WHERE {condition} ORDER BY l.month DESC, l.municipality_code, l.id LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let count = format!("SELECT COUNT(*) FROM claim_lines l WHERE {condition}");
        on_pool!(self, |pool| {
            let mut items = sqlx::query_as::<_, ClaimLineRow>(&sql);
            bind_values!(items, values);
            let items = items.bind(page.limit()).bind(page.offset()).fetch_all(pool).await?;
            let mut total = sqlx::query_scalar::<_, i64>(&count);
            bind_values!(total, values);
            let total = total.fetch_one(pool).await?;
            Ok(Paged { items, total })
        })
    }
}

/// Binds the filter values of [`row_conditions`] to a query, in order.
macro_rules! bind_values {
    ($query:ident, $values:expr) => {
        for value in &$values {
            $query = match value {
                RowValue::Int(v) => $query.bind(*v),
                RowValue::Month(v) => $query.bind(*v),
                RowValue::Text(v) => $query.bind(v.as_str()),
            };
        }
    };
}
use bind_values;

/// A value a list of client rows is filtered on.
enum RowValue {
    Int(i64),
    Month(i32),
    Text(String),
}

/// The conditions of a list of client rows (table alias `t`), naming only the filters that are
/// set, with their values in parameter order. A condition that is always there but switched
/// off by its value, such as `($2 = '' OR t.municipality_code = $2)`, keeps SQLite from using
/// the member's index at all: a member's first page of claim lines took 1.6 s at national scale.
fn row_conditions(t: &str, region_id: i64, filter: &ClientRowFilter, months: bool) -> (String, Vec<RowValue>) {
    let mut values = vec![RowValue::Int(region_id)];
    let mut sql = format!("{t}.region_id = $1");
    let mut add = |column: &str, op: &str, value: RowValue| {
        values.push(value);
        sql.push_str(&format!(" AND {t}.{column} {op} ${}", values.len()));
    };
    // An empty code or law and provider 0 filter nothing, as a form's empty choice.
    if let Some(code) = filter.municipality.as_ref().filter(|c| !c.is_empty()) {
        add("municipality_code", "=", RowValue::Text(code.clone()));
    }
    if let Some(provider) = filter.provider_id.filter(|p| *p != 0) {
        add("provider_id", "=", RowValue::Int(provider));
    }
    if let Some(law) = filter.law.as_ref().filter(|l| !l.is_empty()) {
        add("law", "=", RowValue::Text(law.clone()));
    }
    if months {
        if let Some(from) = filter.from_month {
            add("month", ">=", RowValue::Month(from));
        }
        if let Some(to) = filter.to_month {
            add("month", "<=", RowValue::Month(to));
        }
    }
    (sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Row;

    #[test]
    fn conditions_name_only_the_filters_that_are_set() {
        let (sql, values) = row_conditions("l", 7, &ClientRowFilter::default(), true);
        assert_eq!((sql.as_str(), values.len()), ("l.region_id = $1", 1));
        let filter = ClientRowFilter {
            municipality: Some("GM0518".into()),
            provider_id: Some(0),
            law: Some(String::new()),
            from_month: Some(202_601),
            to_month: None,
        };
        let (sql, values) = row_conditions("l", 7, &filter, true);
        assert_eq!(sql, "l.region_id = $1 AND l.municipality_code = $2 AND l.month >= $3");
        assert!(matches!(&values[1], RowValue::Text(code) if code == "GM0518"));
        assert!(matches!(values[2], RowValue::Month(202_601)));
        let (sql, _) = row_conditions("a", 7, &filter, false);
        assert_eq!(sql, "a.region_id = $1 AND a.municipality_code = $2", "assignments have no month");
    }

    /// SQLite finds a member's claim lines through the member index, not by reading every line
    /// of the region (which the always-present `($2 = '' OR …)` form made it do).
    #[tokio::test]
    async fn a_members_claim_lines_are_found_through_its_index_on_sqlite() {
        let path = std::env::temp_dir().join(format!("samenspel-plan-{}.db", std::process::id()));
        let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        store.prepare().await.unwrap();
        let Store::Sqlite(pool) = &store else { unreachable!("a SQLite URL") };
        let filter = ClientRowFilter {
            municipality: Some("GM0518".into()),
            from_month: Some(202_601),
            to_month: Some(202_612),
            ..ClientRowFilter::default()
        };
        let (condition, _) = row_conditions("l", 1, &filter, true);
        let plan = sqlx::query(&format!(
            "EXPLAIN QUERY PLAN SELECT l.id FROM claim_lines l WHERE {condition} \
             ORDER BY l.month DESC, l.municipality_code, l.id LIMIT 50"
        ))
        .bind(1_i64)
        .bind("GM0518")
        .bind(202_601)
        .bind(202_612)
        .fetch_all(pool)
        .await
        .unwrap();
        let details: Vec<String> = plan.iter().map(|row| row.get::<String, _>("detail")).collect();
        store.close().await;
        let _ = std::fs::remove_file(&path);
        assert!(
            details.iter().any(|d| d.contains("claim_lines_member") && d.contains("municipality_code=?")),
            "{details:?}"
        );
    }
}
