//! Lots (percelen): products bought together, the procurement route, each member's form of
//! collaboration over time, the steering choices in versions, and the admission conditions.

use crate::catalogue::ProductRow;
use crate::{insert_audit, now, on_pool, on_unique, Actor, AuditEntry, Result, Store, StoreError};
use samenspel_domain::procurement::{CollaborationForm, Period, Referrer, Route, SteeringChoices};
use samenspel_domain::{Cents, MunicipalityCode};
use serde::Serialize;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LotRow {
    pub id: i64,
    pub region_id: i64,
    pub name: String,
    pub description: Option<String>,
    pub route: String,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub admission_open: bool,
    pub created_at: OffsetDateTime,
}

impl LotRow {
    pub fn period(&self) -> Period {
        Period { starts_on: self.starts_on, ends_on: self.ends_on }
    }

    pub fn route(&self) -> Option<Route> {
        Route::parse(&self.route).ok()
    }
}

/// A lot as the region describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotDetails {
    pub name: String,
    pub description: Option<String>,
    pub route: Route,
    pub period: Period,
    pub products: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ParticipationRow {
    pub id: i64,
    pub lot_id: i64,
    pub municipality_code: String,
    pub form: String,
    pub valid_from: Date,
    pub reason: Option<String>,
}

/// A member's form of collaboration in a lot from a date on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormChange {
    pub municipality: MunicipalityCode,
    pub form: CollaborationForm,
    pub valid_from: Date,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SteeringRow {
    pub id: i64,
    pub lot_id: i64,
    pub valid_from: Date,
    pub reason: String,
    pub referrers: String,
    pub funding_variant: String,
    pub budget_ceiling_cents: Option<i64>,
    pub cadence: String,
    pub indicator_volume: Option<String>,
    pub indicator_money: Option<String>,
    pub indicator_quality: Option<String>,
    pub pilot: bool,
    pub evaluation_on: Option<Date>,
    pub created_at: OffsetDateTime,
    pub created_by: String,
}

impl SteeringRow {
    pub fn referrers(&self) -> Vec<Referrer> {
        self.referrers.split(',').filter_map(|r| Referrer::parse(r).ok()).collect()
    }

    pub fn budget_ceiling(&self) -> Option<Cents> {
        self.budget_ceiling_cents.map(Cents)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ConditionRow {
    pub id: i64,
    pub lot_id: i64,
    pub position: i32,
    pub text: String,
}

const LOT_COLUMNS: &str = "id, region_id, name, description, route, starts_on, ends_on, admission_open, created_at";
const STEERING_COLUMNS: &str =
    "id, lot_id, valid_from, reason, referrers, funding_variant, budget_ceiling_cents, cadence, \
     indicator_volume, indicator_money, indicator_quality, pilot, evaluation_on, created_at, created_by";

/// The form of each member in each lot on a day, from the participation history.
pub fn forms_on(history: &[ParticipationRow], day: Date) -> Vec<(i64, String, CollaborationForm)> {
    let mut latest: std::collections::BTreeMap<(i64, &str), &ParticipationRow> = Default::default();
    for row in history.iter().filter(|r| r.valid_from <= day) {
        let key = (row.lot_id, row.municipality_code.as_str());
        if latest.get(&key).is_none_or(|prev| prev.valid_from < row.valid_from) {
            latest.insert(key, row);
        }
    }
    latest
        .into_values()
        .filter_map(|r| CollaborationForm::parse(&r.form).ok().map(|f| (r.lot_id, r.municipality_code.clone(), f)))
        .collect()
}

impl Store {
    pub async fn lots(&self, region_id: i64) -> Result<Vec<LotRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, LotRow>(&format!(
            "SELECT {LOT_COLUMNS} FROM lots WHERE region_id = $1 ORDER BY starts_on, name"
        ))
        .bind(region_id)
        .fetch_all(pool)
        .await?))
    }

    /// A lot of this region; a lot of another region is not found.
    pub async fn lot(&self, region_id: i64, id: i64) -> Result<LotRow> {
        on_pool!(self, |pool| sqlx::query_as::<_, LotRow>(&format!(
            "SELECT {LOT_COLUMNS} FROM lots WHERE region_id = $1 AND id = $2"
        ))
        .bind(region_id)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound))
    }

    pub async fn lot_products(&self, lot_id: i64) -> Result<Vec<ProductRow>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, ProductRow>(
            "SELECT p.id, p.region_id, p.law, p.category, p.code, p.name, p.unit, p.funding_variant, p.national, p.active, p.created_at \
             FROM products p JOIN lot_products lp ON lp.product_id = p.id WHERE lp.lot_id = $1 ORDER BY p.law, p.category, p.code"
        )
        .bind(lot_id)
        .fetch_all(pool)
        .await?)
        })
    }

    /// A lot needs at least one product, all from this region's catalogue.
    async fn check_lot(&self, region_id: i64, details: &LotDetails) -> Result<()> {
        if details.products.is_empty() {
            return Err(StoreError::invalid("producten", "required", "Kies minstens één product voor dit perceel."));
        }
        let catalogue = self.products(region_id, true).await?;
        if let Some(unknown) = details.products.iter().find(|id| !catalogue.iter().any(|p| p.id == **id)) {
            return Err(StoreError::invalid(
                "producten",
                "unknown",
                format!("Product {unknown} staat niet in de catalogus van deze regio."),
            ));
        }
        Ok(())
    }

    pub async fn create_lot(&self, region_id: i64, details: &LotDetails, actor: &Actor) -> Result<LotRow> {
        self.check_lot(region_id, details).await?;
        let sql = format!(
            "INSERT INTO lots (region_id, name, description, route, starts_on, ends_on, admission_open, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7) RETURNING {LOT_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let lot: LotRow = sqlx::query_as(&sql)
                .bind(region_id)
                .bind(&details.name)
                .bind(&details.description)
                .bind(details.route.code())
                .bind(details.period.starts_on)
                .bind(details.period.ends_on)
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(on_unique("naam", "Er is al een perceel met deze naam."))?;
            for product in &details.products {
                sqlx::query("INSERT INTO lot_products (lot_id, product_id) VALUES ($1, $2)")
                    .bind(lot.id)
                    .bind(product)
                    .execute(&mut *tx)
                    .await?;
            }
            let entry = AuditEntry::new("aanmaken", "perceel", lot.id)
                .region(region_id)
                .after(&serde_json::json!({ "perceel": &lot, "producten": &details.products }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(lot)
        })
    }

    /// Changes a lot, and optionally opens or closes it for admission, in one transaction. The
    /// lot's contracts must still fit its period and no product with tariffs may leave it.
    pub async fn update_lot(
        &self,
        region_id: i64,
        id: i64,
        details: &LotDetails,
        admission_open: Option<bool>,
        actor: &Actor,
    ) -> Result<LotRow> {
        let before = self.lot(region_id, id).await?;
        let before_products: Vec<i64> = self.lot_products(id).await?.iter().map(|p| p.id).collect();
        self.check_lot(region_id, details).await?;
        let open = admission_open.unwrap_or(before.admission_open);
        if open && details.route != Route::OpenAdmission {
            return Err(StoreError::invalid(
                "route",
                "admission",
                "Alleen een open house staat open voor toelating; sluit eerst de toelating.",
            ));
        }
        if open && !before.admission_open && self.conditions(id).await?.is_empty() {
            return Err(StoreError::invalid("toelatingOpen", "required", "Publiceer eerst de toelatingsvoorwaarden."));
        }
        let contracts: Vec<_> = self.contracts(region_id, None).await?.into_iter().filter(|c| c.lot_id == id).collect();
        if let Some(c) = contracts.iter().find(|c| !c.period().within(&details.period)) {
            return Err(StoreError::invalid(
                "einddatum",
                "contracts",
                format!(
                    "Het contract van {} valt dan buiten de looptijd van het perceel; pas eerst dat contract aan.",
                    c.provider_name
                ),
            ));
        }
        for c in &contracts {
            if let Some(t) = self.tariffs(c.id).await?.into_iter().find(|t| !details.products.contains(&t.product_id)) {
                return Err(StoreError::invalid(
                    "producten",
                    "tariffs",
                    format!(
                        "{} heeft tarieven voor {}; dat product kan niet uit het perceel.",
                        c.provider_name, t.product_name
                    ),
                ));
            }
        }
        let sql = format!(
            "UPDATE lots SET name = $1, description = $2, route = $3, starts_on = $4, ends_on = $5, admission_open = $6 \
             WHERE id = $7 AND region_id = $8 RETURNING {LOT_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let lot: LotRow = sqlx::query_as(&sql)
                .bind(&details.name)
                .bind(&details.description)
                .bind(details.route.code())
                .bind(details.period.starts_on)
                .bind(details.period.ends_on)
                .bind(open)
                .bind(id)
                .bind(region_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(on_unique("naam", "Er is al een perceel met deze naam."))?;
            sqlx::query("DELETE FROM lot_products WHERE lot_id = $1").bind(id).execute(&mut *tx).await?;
            for product in &details.products {
                sqlx::query("INSERT INTO lot_products (lot_id, product_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(product)
                    .execute(&mut *tx)
                    .await?;
            }
            let entry = AuditEntry::new("wijzigen", "perceel", id)
                .region(region_id)
                .before(&serde_json::json!({ "perceel": &before, "producten": before_products }))
                .after(&serde_json::json!({ "perceel": &lot, "producten": &details.products }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(lot)
        })
    }

    /// The whole participation history of a region's lots.
    pub async fn participation(&self, region_id: i64) -> Result<Vec<ParticipationRow>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, ParticipationRow>(
            "SELECT lp.id, lp.lot_id, lp.municipality_code, lp.form, lp.valid_from, lp.reason FROM lot_participation lp \
             JOIN lots l ON l.id = lp.lot_id WHERE l.region_id = $1 ORDER BY lp.lot_id, lp.municipality_code, lp.valid_from"
        )
        .bind(region_id)
        .fetch_all(pool)
        .await?)
        })
    }

    /// Records a member's form of collaboration in a lot from a date on. The member must be a
    /// member of the region on that date.
    pub async fn set_participation(
        &self,
        region_id: i64,
        lot_id: i64,
        change: &FormChange,
        actor: &Actor,
    ) -> Result<ParticipationRow> {
        let FormChange { municipality, form, valid_from, reason } = change;
        let (form, valid_from, reason) = (*form, *valid_from, reason.as_deref());
        let lot = self.lot(region_id, lot_id).await?;
        if !self.is_member_on(region_id, municipality, valid_from).await? {
            return Err(StoreError::invalid(
                "gemeentecode",
                "membership",
                format!("{municipality} is op {} geen lid van de regio.", samenspel_domain::nl::date(valid_from)),
            ));
        }
        let before = self
            .participation(region_id)
            .await?
            .into_iter()
            .filter(|p| {
                p.lot_id == lot_id && p.municipality_code == municipality.as_str() && p.valid_from <= valid_from
            })
            .max_by_key(|p| p.valid_from);
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: ParticipationRow = sqlx::query_as(
                "INSERT INTO lot_participation (lot_id, municipality_code, form, valid_from, reason, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (lot_id, municipality_code, valid_from) DO UPDATE SET form = excluded.form, reason = excluded.reason \
                 RETURNING id, lot_id, municipality_code, form, valid_from, reason",
            )
            .bind(lot.id)
            .bind(municipality.as_str())
            .bind(form.code())
            .bind(valid_from)
            .bind(reason)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            let mut entry = AuditEntry::new("wijzigen", "samenwerkingsvorm", format!("{} {municipality}", lot.id))
                .region(region_id)
                .after(&row);
            if let Some(before) = &before {
                entry = entry.before(before);
            }
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// The form of a member in a lot on a day, if recorded.
    pub async fn form_on(
        &self,
        region_id: i64,
        lot_id: i64,
        municipality: &str,
        day: Date,
    ) -> Result<Option<CollaborationForm>> {
        let history = self.participation(region_id).await?;
        Ok(forms_on(&history, day)
            .into_iter()
            .find(|(lot, m, _)| *lot == lot_id && m == municipality)
            .map(|(_, _, f)| f))
    }

    pub async fn steering_history(&self, lot_id: i64) -> Result<Vec<SteeringRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, SteeringRow>(&format!(
            "SELECT {STEERING_COLUMNS} FROM lot_steering WHERE lot_id = $1 ORDER BY valid_from DESC, id DESC"
        ))
        .bind(lot_id)
        .fetch_all(pool)
        .await?))
    }

    /// Records a new version of a lot's steering choices, with the reason for the change.
    pub async fn add_steering(
        &self,
        region_id: i64,
        lot_id: i64,
        choices: &SteeringChoices,
        valid_from: Date,
        reason: &str,
        actor: &Actor,
    ) -> Result<SteeringRow> {
        let lot = self.lot(region_id, lot_id).await?;
        choices.validate().map_err(StoreError::Invalid)?;
        if reason.trim().is_empty() {
            return Err(StoreError::invalid("reden", "required", "Geef de reden van deze keuze of wijziging."));
        }
        let referrers: Vec<&str> = choices.referrers.iter().map(|r| r.code()).collect();
        let sql = format!(
            "INSERT INTO lot_steering (lot_id, valid_from, reason, referrers, funding_variant, budget_ceiling_cents, cadence, \
             indicator_volume, indicator_money, indicator_quality, pilot, evaluation_on, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING {STEERING_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: SteeringRow = sqlx::query_as(&sql)
                .bind(lot.id)
                .bind(valid_from)
                .bind(reason.trim())
                .bind(referrers.join(","))
                .bind(choices.funding_variant.code())
                .bind(choices.budget_ceiling.map(|c| c.0))
                .bind(choices.cadence.code())
                .bind(&choices.indicator_volume)
                .bind(&choices.indicator_money)
                .bind(&choices.indicator_quality)
                .bind(choices.pilot)
                .bind(choices.evaluation_on)
                .bind(now())
                .bind(&actor.login)
                .fetch_one(&mut *tx)
                .await?;
            let entry = AuditEntry::new("aanmaken", "sturingskeuze", lot.id).region(region_id).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    pub async fn conditions(&self, lot_id: i64) -> Result<Vec<ConditionRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, ConditionRow>(
            "SELECT id, lot_id, position, text FROM admission_conditions WHERE lot_id = $1 ORDER BY position, id"
        )
        .bind(lot_id)
        .fetch_all(pool)
        .await?))
    }

    pub async fn add_condition(&self, region_id: i64, lot_id: i64, text: &str, actor: &Actor) -> Result<ConditionRow> {
        let lot = self.lot(region_id, lot_id).await?;
        if lot.route() != Some(Route::OpenAdmission) {
            return Err(StoreError::invalid("voorwaarde", "route", "Toelatingsvoorwaarden horen bij een open house."));
        }
        let position = self.conditions(lot_id).await?.iter().map(|c| c.position).max().unwrap_or(0) + 1;
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: ConditionRow = sqlx::query_as(
                "INSERT INTO admission_conditions (lot_id, position, text) VALUES ($1, $2, $3) RETURNING id, lot_id, position, text",
            )
            .bind(lot_id)
            .bind(position)
            .bind(text.trim())
            .fetch_one(&mut *tx)
            .await?;
            let entry = AuditEntry::new("aanmaken", "toelatingsvoorwaarde", row.id).region(region_id).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Removes a condition that no application was checked against yet.
    pub async fn remove_condition(&self, region_id: i64, lot_id: i64, condition_id: i64, actor: &Actor) -> Result<()> {
        let lot = self.lot(region_id, lot_id).await?;
        let conditions = self.conditions(lot_id).await?;
        let condition = conditions.iter().find(|c| c.id == condition_id).cloned().ok_or(StoreError::NotFound)?;
        if lot.admission_open && conditions.len() == 1 {
            return Err(StoreError::invalid(
                "voorwaarde",
                "required",
                "Een open perceel houdt minstens één voorwaarde; sluit eerst de toelating.",
            ));
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM admission_checks WHERE condition_id = $1")
                .bind(condition_id)
                .fetch_one(&mut *tx)
                .await?;
            if used > 0 {
                return Err(StoreError::invalid(
                    "voorwaarde",
                    "in-use",
                    "Aan deze voorwaarde zijn al aanvragen getoetst; die blijft staan voor de verantwoording.",
                ));
            }
            sqlx::query("DELETE FROM admission_conditions WHERE id = $1 AND lot_id = $2")
                .bind(condition_id)
                .bind(lot_id)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry::new("verwijderen", "toelatingsvoorwaarde", condition_id)
                .region(region_id)
                .before(&condition);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Opens or closes a lot for applications. Opening needs an open house with conditions.
    pub async fn set_admission_open(&self, region_id: i64, lot_id: i64, open: bool, actor: &Actor) -> Result<LotRow> {
        let lot = self.lot(region_id, lot_id).await?;
        if open {
            if lot.route() != Some(Route::OpenAdmission) {
                return Err(StoreError::invalid(
                    "route",
                    "route",
                    "Alleen een open house kan open staan voor toelating.",
                ));
            }
            if self.conditions(lot_id).await?.is_empty() {
                return Err(StoreError::invalid("voorwaarde", "required", "Publiceer eerst de toelatingsvoorwaarden."));
            }
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row: LotRow = sqlx::query_as(&format!(
                "UPDATE lots SET admission_open = $1 WHERE id = $2 AND region_id = $3 RETURNING {LOT_COLUMNS}"
            ))
            .bind(open)
            .bind(lot_id)
            .bind(region_id)
            .fetch_one(&mut *tx)
            .await?;
            let action = if open { "openen" } else { "sluiten" };
            let entry = AuditEntry::new(action, "toelating", lot_id).region(region_id).before(&lot).after(&row);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(row)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn row(lot_id: i64, m: &str, form: &str, from: Date) -> ParticipationRow {
        ParticipationRow {
            id: 0,
            lot_id,
            municipality_code: m.into(),
            form: form.into(),
            valid_from: from,
            reason: None,
        }
    }

    #[test]
    fn the_latest_form_on_a_day_counts() {
        let history = vec![
            row(1, "GM0518", "bus", date!(2020 - 01 - 01)),
            row(1, "GM0518", "konvooi", date!(2024 - 01 - 01)),
            row(1, "GM1842", "lokaal", date!(2025 - 01 - 01)),
        ];
        let on = |d| forms_on(&history, d);
        assert_eq!(on(date!(2023 - 06 - 01)), vec![(1, "GM0518".to_string(), CollaborationForm::SameBus)]);
        assert_eq!(on(date!(2025 - 06 - 01)).len(), 2);
        assert_eq!(on(date!(2025 - 06 - 01))[0].2, CollaborationForm::Convoy);
        assert!(on(date!(2019 - 01 - 01)).is_empty());
    }
}
