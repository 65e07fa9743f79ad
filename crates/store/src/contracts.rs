//! Contracts (provider × lot × period) and their tariffs per product and year, with
//! member-specific tariffs for members in convoy, cost build-up and yearly indexation.

use crate::{
    insert_audit, insert_contract, now, on_pool, on_unique, overlapping_contracts, Actor, AuditEntry, Result, Store,
    StoreError,
};
use samenspel_domain::procurement::{index_tariff, CollaborationForm, ContractStatus, CostBuildUp, Period, Unit};
use samenspel_domain::{Cents, MunicipalityCode};
use serde::Serialize;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ContractRow {
    pub id: i64,
    pub region_id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub lot_id: i64,
    pub lot_name: String,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub status: String,
    pub reference: Option<String>,
    pub created_at: OffsetDateTime,
}

impl ContractRow {
    pub fn period(&self) -> Period {
        Period { starts_on: self.starts_on, ends_on: self.ends_on }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractDetails {
    pub provider_id: i64,
    pub lot_id: i64,
    pub period: Period,
    pub status: ContractStatus,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TariffRow {
    pub id: i64,
    pub contract_id: i64,
    pub product_id: i64,
    pub product_code: Option<String>,
    pub product_category: String,
    pub product_name: String,
    pub year: i32,
    pub municipality_code: Option<String>,
    pub amount_cents: i64,
    pub unit: String,
    pub cost_staff_cents: Option<i64>,
    pub cost_overhead_cents: Option<i64>,
    pub cost_non_productive_cents: Option<i64>,
    pub cost_travel_training_cents: Option<i64>,
    pub cost_indexation_cents: Option<i64>,
    pub cost_other_cents: Option<i64>,
}

impl TariffRow {
    pub fn build_up(&self) -> Option<CostBuildUp> {
        Some(CostBuildUp::from_parts([
            Cents(self.cost_staff_cents?),
            Cents(self.cost_overhead_cents?),
            Cents(self.cost_non_productive_cents?),
            Cents(self.cost_travel_training_cents?),
            Cents(self.cost_indexation_cents?),
            Cents(self.cost_other_cents?),
        ]))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffDetails {
    pub product_id: i64,
    pub year: i32,
    /// A member's own tariff (the member must be in convoy in this lot).
    pub municipality: Option<MunicipalityCode>,
    pub amount: Cents,
    pub unit: Unit,
    pub build_up: Option<CostBuildUp>,
}

/// What an indexation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndexOutcome {
    pub made: usize,
    /// Tariffs the rules no longer allow next year (product left the lot, member left convoy).
    pub skipped: usize,
}

const CONTRACT_SELECT: &str =
    "SELECT c.id, c.region_id, c.provider_id, p.name AS provider_name, c.lot_id, l.name AS lot_name, \
     c.starts_on, c.ends_on, c.status, c.reference, c.created_at \
     FROM contracts c JOIN providers p ON p.id = c.provider_id JOIN lots l ON l.id = c.lot_id";
const TARIFF_SELECT: &str = "SELECT t.id, t.contract_id, t.product_id, pr.code AS product_code, pr.category AS product_category, \
     pr.name AS product_name, t.year, t.municipality_code, t.amount_cents, t.unit, t.cost_staff_cents, t.cost_overhead_cents, \
     t.cost_non_productive_cents, t.cost_travel_training_cents, t.cost_indexation_cents, t.cost_other_cents \
     FROM tariffs t JOIN products pr ON pr.id = t.product_id";

/// Inserts a tariff through any executor of either backend.
macro_rules! insert_tariff {
    ($executor:expr, $contract_id:expr, $t:expr) => {{
        let (contract_id, t): (i64, &TariffDetails) = ($contract_id, $t);
        let parts = t.build_up.map(|b| b.parts().map(|c| c.0));
        let part = |i: usize| parts.map(|p| p[i]);
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO tariffs (contract_id, product_id, year, municipality_code, amount_cents, unit, cost_staff_cents, \
             cost_overhead_cents, cost_non_productive_cents, cost_travel_training_cents, cost_indexation_cents, cost_other_cents, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(contract_id)
        .bind(t.product_id)
        .bind(t.year)
        .bind(t.municipality.as_ref().map(|m| m.as_str()))
        .bind(t.amount.0)
        .bind(t.unit.code())
        .bind(part(0))
        .bind(part(1))
        .bind(part(2))
        .bind(part(3))
        .bind(part(4))
        .bind(part(5))
        .bind(now())
        .fetch_one($executor)
        .await
        .map_err(on_unique("productId", "Voor dit product, jaar en deze gemeente staat al een tarief."))
    }};
}

impl Store {
    /// Contracts of a region, optionally of one provider only.
    pub async fn contracts(&self, region_id: i64, provider_id: Option<i64>) -> Result<Vec<ContractRow>> {
        let sql = format!(
            "{CONTRACT_SELECT} WHERE c.region_id = $1 AND ($2 = 0 OR c.provider_id = $2) ORDER BY p.name, l.name, c.starts_on"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, ContractRow>(&sql)
            .bind(region_id)
            .bind(provider_id.unwrap_or(0))
            .fetch_all(pool)
            .await?))
    }

    pub async fn contract(&self, region_id: i64, id: i64) -> Result<ContractRow> {
        let sql = format!("{CONTRACT_SELECT} WHERE c.region_id = $1 AND c.id = $2");
        on_pool!(self, |pool| sqlx::query_as::<_, ContractRow>(&sql)
            .bind(region_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound))
    }

    /// The provider and lot must belong to the region, the period must lie within the lot's,
    /// and the same provider may not hold two contracts for the same lot at the same time.
    async fn check_contract(&self, region_id: i64, details: &ContractDetails, except: Option<i64>) -> Result<()> {
        self.provider(region_id, details.provider_id).await.map_err(|_| {
            StoreError::invalid("aanbiederId", "unknown", "Deze zorgaanbieder staat niet in deze regio.")
        })?;
        let lot = self
            .lot(region_id, details.lot_id)
            .await
            .map_err(|_| StoreError::invalid("perceelId", "unknown", "Dit perceel bestaat niet in deze regio."))?;
        let (lot_period, period) = (lot.period(), details.period);
        if details.status == ContractStatus::Ended && period.ends_on.is_none() {
            return Err(StoreError::invalid("einddatum", "required", "Een beëindigd contract heeft een laatste dag."));
        }
        if !period.within(&lot_period) {
            return Err(StoreError::invalid(
                "einddatum",
                "range",
                format!(
                    "Een contract valt binnen de looptijd van het perceel ({} tot en met {}).",
                    samenspel_domain::nl::date(lot_period.starts_on),
                    lot_period.ends_on.map(samenspel_domain::nl::date).unwrap_or_else(|| "onbepaald".into())
                ),
            ));
        }
        // An ended contract still occupies its dates: overlap is a matter of dates, not status.
        let clash = self
            .contracts(region_id, Some(details.provider_id))
            .await?
            .into_iter()
            .find(|c| Some(c.id) != except && c.lot_id == details.lot_id && c.period().overlaps(&period));
        if let Some(clash) = clash {
            return Err(StoreError::conflict(
                "begindatum",
                format!(
                    "{} heeft voor {} al een contract dat deze periode overlapt (vanaf {}).",
                    clash.provider_name,
                    clash.lot_name,
                    samenspel_domain::nl::date(clash.starts_on)
                ),
            ));
        }
        if let Some(id) = except {
            if let Some(t) = self.tariffs(id).await?.iter().find(|t| !period.touches_year(t.year)) {
                return Err(StoreError::invalid(
                    "einddatum",
                    "tariffs",
                    format!("Er zijn tarieven voor {}; het contract moet dat jaar blijven dekken.", t.year),
                ));
            }
        }
        Ok(())
    }

    pub async fn create_contract(
        &self,
        region_id: i64,
        details: &ContractDetails,
        actor: &Actor,
    ) -> Result<ContractRow> {
        self.check_contract(region_id, details, None).await?;
        let id = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            if overlapping_contracts!(&mut *tx, details, 0)? > 0 {
                return Err(StoreError::conflict(
                    "begindatum",
                    "Deze zorgaanbieder heeft voor dit perceel al een contract in deze periode.",
                ));
            }
            let id = insert_contract!(&mut *tx, region_id, details)?;
            let entry = AuditEntry::new("aanmaken", "contract", id).region(region_id).after(&serde_json::json!({
                "aanbieder": details.provider_id, "perceel": details.lot_id, "periode": details.period,
                "status": details.status.code(), "kenmerk": details.reference
            }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            id
        });
        self.contract(region_id, id).await
    }

    pub async fn update_contract(
        &self,
        region_id: i64,
        id: i64,
        details: &ContractDetails,
        actor: &Actor,
    ) -> Result<ContractRow> {
        let before = self.contract(region_id, id).await?;
        if before.provider_id != details.provider_id || before.lot_id != details.lot_id {
            return Err(StoreError::invalid(
                "perceelId",
                "fixed",
                "Zorgaanbieder en perceel van een contract liggen vast; maak een nieuw contract.",
            ));
        }
        self.check_contract(region_id, details, Some(id)).await?;
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            if overlapping_contracts!(&mut *tx, details, id)? > 0 {
                return Err(StoreError::conflict(
                    "begindatum",
                    "Deze zorgaanbieder heeft voor dit perceel al een contract in deze periode.",
                ));
            }
            sqlx::query("UPDATE contracts SET starts_on = $1, ends_on = $2, status = $3, reference = $4 WHERE id = $5 AND region_id = $6")
                .bind(details.period.starts_on)
                .bind(details.period.ends_on)
                .bind(details.status.code())
                .bind(&details.reference)
                .bind(id)
                .bind(region_id)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry::new("wijzigen", "contract", id).region(region_id).before(&before).after(
                &serde_json::json!({
                    "periode": details.period, "status": details.status.code(), "kenmerk": details.reference
                }),
            );
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        self.contract(region_id, id).await
    }

    pub async fn tariffs(&self, contract_id: i64) -> Result<Vec<TariffRow>> {
        let sql = format!(
            "{TARIFF_SELECT} WHERE t.contract_id = $1 ORDER BY t.year DESC, pr.category, pr.code, t.municipality_code"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, TariffRow>(&sql).bind(contract_id).fetch_all(pool).await?))
    }

    /// Every tariff of a region's contracts (for the burden figures).
    pub async fn region_tariffs(&self, region_id: i64) -> Result<Vec<TariffRow>> {
        let sql = format!(
            "{TARIFF_SELECT} JOIN contracts c ON c.id = t.contract_id WHERE c.region_id = $1 ORDER BY t.contract_id, t.year, pr.code"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, TariffRow>(&sql).bind(region_id).fetch_all(pool).await?))
    }

    /// Checks a tariff against its contract: the product is in the lot, the year within the
    /// contract, a member-specific tariff only for a member in convoy, the build-up adds up.
    async fn check_tariff(&self, region_id: i64, contract: &ContractRow, t: &TariffDetails) -> Result<()> {
        if !self.lot_products(contract.lot_id).await?.iter().any(|p| p.id == t.product_id) {
            return Err(StoreError::invalid(
                "productId",
                "lot",
                format!("Dit product hoort niet bij perceel {}.", contract.lot_name),
            ));
        }
        if !contract.period().touches_year(t.year) {
            return Err(StoreError::invalid("jaar", "range", format!("Het contract loopt niet in {}.", t.year)));
        }
        if t.amount.0 < 0 {
            return Err(StoreError::invalid("bedrag", "range", "Een tarief kan niet negatief zijn."));
        }
        if let Some(build_up) = &t.build_up {
            build_up.check_against(t.amount).map_err(StoreError::Invalid)?;
        }
        if let Some(m) = &t.municipality {
            let first_day = Date::from_calendar_date(t.year, time::Month::January, 1).unwrap_or(contract.starts_on);
            let day = first_day.max(contract.starts_on);
            if !self.is_member_on(region_id, m, day).await? {
                return Err(StoreError::invalid(
                    "gemeentecode",
                    "membership",
                    format!("{m} is op {} geen lid van de regio.", samenspel_domain::nl::date(day)),
                ));
            }
            let form = self.form_on(region_id, contract.lot_id, m.as_str(), day).await?;
            if form != Some(CollaborationForm::Convoy) {
                let now_form = form.map(|f| f.label()).unwrap_or("niet");
                return Err(StoreError::invalid(
                    "gemeentecode",
                    "convoy",
                    format!(
                        "{m} doet {now_form} mee in {} op {}; alleen een lid in konvooi betaalt een eigen tarief.",
                        contract.lot_name,
                        samenspel_domain::nl::date(day)
                    ),
                ));
            }
        }
        Ok(())
    }

    pub async fn add_tariff(
        &self,
        region_id: i64,
        contract_id: i64,
        t: &TariffDetails,
        actor: &Actor,
    ) -> Result<TariffRow> {
        let contract = self.contract(region_id, contract_id).await?;
        self.check_tariff(region_id, &contract, t).await?;
        let id = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id = insert_tariff!(&mut *tx, contract_id, t)?;
            let entry = AuditEntry::new("aanmaken", "tarief", id).region(region_id).after(&serde_json::json!({
                "contract": contract_id, "product": t.product_id, "jaar": t.year, "gemeente": t.municipality,
                "bedrag": t.amount, "eenheid": t.unit.code(), "opbouw": t.build_up
            }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            id
        });
        self.tariffs(contract_id).await?.into_iter().find(|r| r.id == id).ok_or(StoreError::NotFound)
    }

    /// Removes a tariff, for instance a member's own tariff when the region harmonises.
    pub async fn remove_tariff(
        &self,
        region_id: i64,
        contract_id: i64,
        tariff_id: i64,
        actor: &Actor,
    ) -> Result<TariffRow> {
        self.contract(region_id, contract_id).await?;
        let tariff =
            self.tariffs(contract_id).await?.into_iter().find(|t| t.id == tariff_id).ok_or(StoreError::NotFound)?;
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM tariffs WHERE id = $1 AND contract_id = $2")
                .bind(tariff_id)
                .bind(contract_id)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry::new("verwijderen", "tarief", tariff_id).region(region_id).before(&tariff);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(tariff)
        })
    }

    /// Creates the tariffs of `year + 1` from those of `year`, indexed by a percentage in basis
    /// points, for every tariff that has no successor yet and that the tariff rules still allow
    /// next year (the product still in the lot; an own tariff only for a member still in
    /// convoy). Returns how many were made and how many the rules skipped.
    pub async fn index_tariffs(
        &self,
        region_id: i64,
        contract_id: i64,
        year: i32,
        basis_points: i64,
        actor: &Actor,
    ) -> Result<IndexOutcome> {
        let contract = self.contract(region_id, contract_id).await?;
        let next = samenspel_domain::figures::check_year(i64::from(year) + 1)
            .map_err(|e| StoreError::invalid("jaar", &e.code, e.reason))?;
        if !contract.period().touches_year(next) {
            return Err(StoreError::invalid("jaar", "range", format!("Het contract loopt niet in {next}.")));
        }
        let existing = self.tariffs(contract_id).await?;
        let mut planned = Vec::new();
        let mut skipped = 0;
        for t in existing.iter().filter(|t| t.year == year) {
            let already = existing
                .iter()
                .any(|n| n.year == next && n.product_id == t.product_id && n.municipality_code == t.municipality_code);
            if already {
                continue;
            }
            let amount = index_tariff(Cents(t.amount_cents), basis_points)
                .ok_or_else(|| StoreError::invalid("percentage", "range", "Het geïndexeerde tarief is te groot."))?;
            let successor = TariffDetails {
                product_id: t.product_id,
                year: next,
                municipality: t.municipality_code.as_deref().and_then(|m| MunicipalityCode::parse(m).ok()),
                amount,
                unit: Unit::parse(&t.unit).unwrap_or(Unit::Hour),
                build_up: None,
            };
            match self.check_tariff(region_id, &contract, &successor).await {
                Ok(()) => planned.push(successor),
                Err(StoreError::Invalid(_)) => skipped += 1,
                Err(e) => return Err(e),
            }
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for t in &planned {
                insert_tariff!(&mut *tx, contract_id, t)?;
            }
            let entry =
                AuditEntry::new("indexeren", "tarieven", contract_id).region(region_id).after(&serde_json::json!({
                    "van": year, "naar": next, "basispunten": basis_points, "aantal": planned.len(), "overgeslagen": skipped
                }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        Ok(IndexOutcome { made: planned.len(), skipped })
    }
}

/// Counts contracts of the same provider and lot whose dates overlap a period, through any
/// executor; run inside the transaction that inserts, so concurrent requests cannot both pass.
#[macro_export]
macro_rules! overlapping_contracts {
    ($executor:expr, $details:expr, $except:expr) => {{
        let (details, except): (&$crate::contracts::ContractDetails, i64) = ($details, $except);
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM contracts WHERE provider_id = $1 AND lot_id = $2 AND id <> $3 \
             AND starts_on <= COALESCE($4, '9999-12-31') AND COALESCE(ends_on, '9999-12-31') >= $5",
        )
        .bind(details.provider_id)
        .bind(details.lot_id)
        .bind(except)
        .bind(details.period.ends_on)
        .bind(details.period.starts_on)
        .fetch_one($executor)
        .await
    }};
}

/// Inserts a contract through any executor of either backend (shared with admission decisions).
#[macro_export]
macro_rules! insert_contract {
    ($executor:expr, $region_id:expr, $details:expr) => {{
        let (region_id, details): (i64, &$crate::contracts::ContractDetails) = ($region_id, $details);
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO contracts (region_id, provider_id, lot_id, starts_on, ends_on, status, reference, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(region_id)
        .bind(details.provider_id)
        .bind(details.lot_id)
        .bind(details.period.starts_on)
        .bind(details.period.ends_on)
        .bind(details.status.code())
        .bind(&details.reference)
        .bind($crate::now())
        .fetch_one($executor)
        .await
    }};
}
