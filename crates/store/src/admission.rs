//! Open admission (toelating): a provider applies for a lot whose conditions are published,
//! the region checks every condition and admits or refuses with a reason; admission starts a
//! contract. Re-admission is a new application; termination ends the contract.

use crate::contracts::ContractDetails;
use crate::{
    insert_audit, insert_contract, now, on_pool, on_unique, overlapping_contracts, Actor, AuditEntry, Result, Store,
    StoreError,
};
use samenspel_domain::procurement::{ContractStatus, Period};
use samenspel_domain::Invalid;
use serde::Serialize;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationStatus {
    Submitted,
    Admitted,
    Refused,
    Ended,
}

impl ApplicationStatus {
    pub fn code(self) -> &'static str {
        match self {
            ApplicationStatus::Submitted => "ingediend",
            ApplicationStatus::Admitted => "toegelaten",
            ApplicationStatus::Refused => "geweigerd",
            ApplicationStatus::Ended => "beeindigd",
        }
    }

    pub fn label(code: &str) -> &'static str {
        match code {
            "ingediend" => "ingediend, wacht op besluit",
            "toegelaten" => "toegelaten",
            "geweigerd" => "geweigerd",
            "beeindigd" => "beëindigd",
            _ => "onbekend",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ApplicationRow {
    pub id: i64,
    pub lot_id: i64,
    pub lot_name: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub status: String,
    pub motivation: Option<String>,
    pub submitted_at: OffsetDateTime,
    pub submitted_by: String,
    pub decided_at: Option<OffsetDateTime>,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
    pub contract_id: Option<i64>,
    pub ended_at: Option<OffsetDateTime>,
    pub end_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CheckRow {
    pub application_id: i64,
    pub condition_id: i64,
    pub met: bool,
    pub note: Option<String>,
}

/// The region's decision on an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Per condition: met or not, with a note.
    pub checks: Vec<(i64, bool, Option<String>)>,
    pub admit: bool,
    pub reason: String,
    /// When the contract starts (on admission).
    pub contract_starts_on: Date,
}

const APPLICATION_SELECT: &str = "SELECT a.id, a.lot_id, l.name AS lot_name, a.provider_id, p.name AS provider_name, a.status, \
     a.motivation, a.submitted_at, a.submitted_by, a.decided_at, a.decided_by, a.decision_reason, a.contract_id, a.ended_at, a.end_reason \
     FROM admission_applications a JOIN lots l ON l.id = a.lot_id JOIN providers p ON p.id = a.provider_id";

impl Store {
    /// Applications in a region, optionally of one provider.
    pub async fn applications(&self, region_id: i64, provider_id: Option<i64>) -> Result<Vec<ApplicationRow>> {
        let sql = format!(
            "{APPLICATION_SELECT} WHERE l.region_id = $1 AND ($2 = 0 OR a.provider_id = $2) ORDER BY a.submitted_at DESC, a.id DESC"
        );
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, ApplicationRow>(&sql)
            .bind(region_id)
            .bind(provider_id.unwrap_or(0))
            .fetch_all(pool)
            .await?))
    }

    pub async fn application(&self, region_id: i64, id: i64) -> Result<ApplicationRow> {
        let sql = format!("{APPLICATION_SELECT} WHERE l.region_id = $1 AND a.id = $2");
        on_pool!(self, |pool| sqlx::query_as::<_, ApplicationRow>(&sql)
            .bind(region_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound))
    }

    pub async fn application_checks(&self, application_id: i64) -> Result<Vec<CheckRow>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, CheckRow>(
            "SELECT application_id, condition_id, met, note FROM admission_checks WHERE application_id = $1 ORDER BY condition_id"
        )
        .bind(application_id)
        .fetch_all(pool)
        .await?)
        })
    }

    /// A provider applies for admission to a lot that is open for it.
    pub async fn apply_for_admission(
        &self,
        region_id: i64,
        lot_id: i64,
        provider_id: i64,
        motivation: Option<&str>,
        actor: &Actor,
    ) -> Result<ApplicationRow> {
        let lot = self.lot(region_id, lot_id).await?;
        self.provider(region_id, provider_id).await?;
        if !lot.admission_open {
            return Err(StoreError::invalid("perceelId", "closed", "Dit perceel staat nu niet open voor toelating."));
        }
        let earlier = self.applications(region_id, Some(provider_id)).await?;
        for a in earlier.iter().filter(|a| a.lot_id == lot_id) {
            if a.status == ApplicationStatus::Submitted.code() {
                return Err(StoreError::conflict("perceelId", "Er loopt al een aanvraag voor dit perceel."));
            }
            if a.status == ApplicationStatus::Admitted.code() {
                return Err(StoreError::conflict("perceelId", "U bent al toegelaten tot dit perceel."));
            }
        }
        let today = crate::today();
        // A contract runs until its last day, whatever its status says.
        let running = self
            .contracts(region_id, Some(provider_id))
            .await?
            .into_iter()
            .any(|c| c.lot_id == lot_id && c.period().ends_on.is_none_or(|e| e >= today));
        if running {
            return Err(StoreError::conflict("perceelId", "U heeft al een lopend contract voor dit perceel."));
        }
        let id = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO admission_applications (lot_id, provider_id, status, motivation, submitted_at, submitted_by) \
                 VALUES ($1, $2, 'ingediend', $3, $4, $5) RETURNING id",
            )
            .bind(lot_id)
            .bind(provider_id)
            .bind(motivation.map(str::trim).filter(|m| !m.is_empty()))
            .bind(now())
            .bind(&actor.login)
            .fetch_one(&mut *tx)
            .await
            .map_err(on_unique("perceelId", "Er loopt al een aanvraag voor dit perceel."))?;
            let entry = AuditEntry::new("aanvragen", "toelating", id)
                .region(region_id)
                .after(&serde_json::json!({ "perceel": lot_id, "aanbieder": provider_id }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            id
        });
        self.application(region_id, id).await
    }

    /// Decides on an application: every condition checked, a reason always; admission only
    /// when all conditions are met, and it starts a contract for the rest of the lot's period.
    pub async fn decide_admission(
        &self,
        region_id: i64,
        id: i64,
        decision: &Decision,
        actor: &Actor,
    ) -> Result<ApplicationRow> {
        let application = self.application(region_id, id).await?;
        if application.status != ApplicationStatus::Submitted.code() {
            return Err(StoreError::conflict("besluit", "Over deze aanvraag is al besloten."));
        }
        let lot = self.lot(region_id, application.lot_id).await?;
        let conditions = self.conditions(lot.id).await?;
        let mut invalid = Invalid::new();
        if decision.reason.trim().is_empty() {
            invalid.push("reden", "required", "Geef de reden van het besluit; de aanbieder ziet die.");
        }
        for c in &conditions {
            if !decision.checks.iter().any(|(id, _, _)| *id == c.id) {
                invalid.push(
                    &format!("voorwaarde-{}", c.id),
                    "required",
                    format!("Toets voorwaarde {}: {}", c.position, c.text),
                );
            }
        }
        let mut seen = std::collections::HashSet::new();
        if decision.checks.iter().any(|(id, _, _)| !seen.insert(*id)) {
            invalid.push("voorwaarden", "duplicate", "Elke voorwaarde wordt één keer getoetst.");
        }
        if decision.checks.iter().any(|(id, _, _)| !conditions.iter().any(|c| c.id == *id)) {
            invalid.push("voorwaarden", "unknown", "Er is een voorwaarde getoetst die niet bij dit perceel hoort.");
        }
        if decision.admit && decision.checks.iter().any(|(_, met, _)| !met) {
            invalid.push("besluit", "conditions", "Toelaten kan alleen als aan alle voorwaarden is voldaan.");
        }
        let contract = ContractDetails {
            provider_id: application.provider_id,
            lot_id: lot.id,
            period: Period { starts_on: decision.contract_starts_on, ends_on: lot.ends_on },
            status: ContractStatus::Active,
            reference: Some(format!("toelating {id}")),
        };
        if decision.admit && !lot.period().contains(decision.contract_starts_on) {
            invalid.push("contractVanaf", "range", "Het contract begint binnen de looptijd van het perceel.");
        }
        if !invalid.is_empty() {
            return Err(StoreError::Invalid(invalid));
        }
        if decision.admit {
            self.check_contract_for_admission(region_id, &contract).await?;
        }
        let status = if decision.admit { ApplicationStatus::Admitted } else { ApplicationStatus::Refused };
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for (condition_id, met, note) in &decision.checks {
                sqlx::query(
                    "INSERT INTO admission_checks (application_id, condition_id, met, note) VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(condition_id)
                .bind(met)
                .bind(note.as_deref().map(str::trim).filter(|n| !n.is_empty()))
                .execute(&mut *tx)
                .await?;
            }
            if decision.admit && overlapping_contracts!(&mut *tx, &contract, 0)? > 0 {
                return Err(StoreError::conflict(
                    "contractVanaf",
                    "Deze zorgaanbieder heeft voor dit perceel al een contract in deze periode.",
                ));
            }
            let contract_id =
                if decision.admit { Some(insert_contract!(&mut *tx, region_id, &contract)?) } else { None };
            // Guarded on the status, so two decisions sent at once cannot both land.
            let decided = sqlx::query(
                "UPDATE admission_applications SET status = $1, decided_at = $2, decided_by = $3, decision_reason = $4, contract_id = $5 \
                 WHERE id = $6 AND status = 'ingediend'",
            )
            .bind(status.code())
            .bind(now())
            .bind(&actor.login)
            .bind(decision.reason.trim())
            .bind(contract_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if decided == 0 {
                return Err(StoreError::conflict("besluit", "Over deze aanvraag is al besloten."));
            }
            let entry = AuditEntry::new("besluiten", "toelating", id).region(region_id).before(&application).after(&serde_json::json!({
                "status": status.code(), "reden": decision.reason.trim(), "contract": contract_id,
                "toetsing": decision.checks.iter().map(|(c, m, n)| serde_json::json!({"voorwaarde": c, "voldaan": m, "toelichting": n})).collect::<Vec<_>>()
            }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        self.application(region_id, id).await
    }

    async fn check_contract_for_admission(&self, region_id: i64, contract: &ContractDetails) -> Result<()> {
        let running = self
            .contracts(region_id, Some(contract.provider_id))
            .await?
            .into_iter()
            .find(|c| c.lot_id == contract.lot_id && c.period().overlaps(&contract.period));
        match running {
            Some(c) => Err(StoreError::conflict(
                "contractVanaf",
                format!(
                    "{} heeft voor dit perceel al een lopend contract (vanaf {}).",
                    c.provider_name,
                    samenspel_domain::nl::date(c.starts_on)
                ),
            )),
            None => Ok(()),
        }
    }

    /// Ends an admission: the contract ends on `ends_on` (the last day) and is marked ended.
    pub async fn end_admission(
        &self,
        region_id: i64,
        id: i64,
        ends_on: Date,
        reason: &str,
        actor: &Actor,
    ) -> Result<ApplicationRow> {
        let application = self.application(region_id, id).await?;
        if application.status != ApplicationStatus::Admitted.code() {
            return Err(StoreError::conflict("besluit", "Alleen een toelating die loopt kan worden beëindigd."));
        }
        if reason.trim().is_empty() {
            return Err(StoreError::invalid("reden", "required", "Geef de reden van de beëindiging."));
        }
        let contract = match application.contract_id {
            Some(c) => Some(self.contract(region_id, c).await?),
            None => None,
        };
        if let Some(c) = &contract {
            if ends_on < c.starts_on {
                return Err(StoreError::invalid(
                    "einddatum",
                    "range",
                    "De einddatum ligt vóór de start van het contract.",
                ));
            }
            if c.ends_on.is_some_and(|end| ends_on > end) {
                return Err(StoreError::invalid(
                    "einddatum",
                    "range",
                    format!(
                        "Het contract liep al tot en met {}; beëindigen kan alleen eerder.",
                        c.ends_on.map(samenspel_domain::nl::date).unwrap_or_default()
                    ),
                ));
            }
        }
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            if let Some(c) = &contract {
                sqlx::query("UPDATE contracts SET ends_on = $1, status = 'beeindigd' WHERE id = $2 AND region_id = $3")
                    .bind(ends_on)
                    .bind(c.id)
                    .bind(region_id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "UPDATE admission_applications SET status = 'beeindigd', ended_at = $1, end_reason = $2 WHERE id = $3",
            )
            .bind(now())
            .bind(reason.trim())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let entry = AuditEntry::new("beeindigen", "toelating", id)
                .region(region_id)
                .before(&application)
                .after(&serde_json::json!({ "einddatum": ends_on, "reden": reason.trim() }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        self.application(region_id, id).await
    }
}
