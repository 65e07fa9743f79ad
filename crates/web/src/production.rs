//! Assembles what the production views and the generator need from the store: a generator
//! plan from a region's members and contracts, spend with names instead of keys, the year-end
//! forecast per member against its budget, and the signals for contract management.

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::AppState;
use samenspel_calc::signals::{self, GrowthFigure, GrowthSignal, PriceFigure, PriceSignal};
use samenspel_calc::spend::{forecast, Forecast, YearInput};
use samenspel_domain::access::RegionAccess;
use samenspel_istd::{Care, Offer, Plan, PlanMunicipality, PlanTariff, Standard};
use samenspel_store::production::{Dimension, ImportProgress, ImportRequest, ImportSource, SpendFilter};
use samenspel_store::regions::RegionRow;
use samenspel_store::{Result, Store, StoreError};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use time::{Date, Month};

/// Registers an uploaded file and imports it in the background, its progress visible to this
/// process's pages. Returns the import's id at once.
pub async fn start_import(
    state: &AppState,
    region: &RegionRow,
    access: &RegionAccess,
    user: &CurrentUser,
    door: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> AppResult<i64> {
    if !access.can_import_production() {
        return Err(AppError::forbidden());
    }
    let file_name = file_name.trim();
    if file_name.is_empty() || file_name.len() > 255 {
        return Err(AppError::bad_request("Geef een bestandsnaam van 1 tot 255 tekens."));
    }
    let key = state
        .settings
        .keys
        .pseudonymiser(&region.code)
        .map_err(|e| AppError::internal(format!("regiosleutel: {e}")))?;
    let actor = user.actor(door);
    let request = ImportRequest {
        region_id: region.id,
        file_name: file_name.to_string(),
        scope: access.import_scope().map(|m| m.as_str().to_string()),
        today: samenspel_store::today(),
    };
    let prepared = state.store.prepare_import(request, ImportSource::Bytes(Arc::new(bytes)), &actor).await?;
    let id = prepared.import_id;
    if prepared.status != "bezig" {
        return Ok(id);
    }
    let progress = Arc::new(ImportProgress::default());
    if let Ok(mut running) = state.imports.lock() {
        running.insert(id, progress.clone());
    }
    let (store, imports, region_id) = (state.store.clone(), state.imports.clone(), region.id);
    tokio::spawn(async move {
        if let Err(e) = store.run_import(prepared, &key, progress, &actor).await {
            tracing::error!(import = id, error = %e, "import afgebroken");
            if let Err(e) = store.abandon_import(id, region_id, &e.to_string(), &actor).await {
                tracing::error!(import = id, error = %e, "afgebroken import markeren mislukt");
            }
        }
        if let Ok(mut running) = imports.lock() {
            running.remove(&id);
        }
    });
    Ok(id)
}

/// The last complete calendar month before a day: (year, month).
pub fn last_complete_month(today: Date) -> (i32, Month) {
    let first = today.replace_day(1).unwrap_or(today);
    let previous = first.previous_day().unwrap_or(first);
    (previous.year(), previous.month())
}

/// The care profile a unit suggests to the generator.
fn care_for(unit: &str) -> Care {
    match unit {
        "14" => Care::Residential,
        "16" => Care::DayCare,
        "82" | "83" => Care::Output,
        _ => Care::Ambulant,
    }
}

/// A plan for `months` months of production ending with the last complete month before
/// `today`, from the region's current members (weighted by inhabitants) and its contracts in
/// force with their tariffs. Providers need an AGB code; products need a code.
pub async fn plan_for_region(store: &Store, region: &RegionRow, months: u32, seed: u64, today: Date) -> Result<Plan> {
    let standard = if region.domain == "wmo" { Standard::Iwmo } else { Standard::Ijw };
    let municipalities: Vec<PlanMunicipality> = store
        .memberships(region.id)
        .await?
        .into_iter()
        .filter(|m| m.is_active_on(today))
        .map(|m| PlanMunicipality {
            code: m.municipality_code.trim_start_matches("GM").to_string(),
            weight: u32::try_from(m.inhabitants / 100).unwrap_or(u32::MAX).max(1),
        })
        .collect();
    let providers: HashMap<i64, String> = store
        .providers(region.id, true, samenspel_store::PageRequest::all())
        .await?
        .items
        .into_iter()
        .filter_map(|p| Some((p.id, p.agb_code?)))
        .collect();
    let products: HashMap<i64, samenspel_store::catalogue::ProductRow> =
        store.products(region.id, true).await?.into_iter().map(|p| (p.id, p)).collect();
    let mut offers: BTreeMap<(String, String), Offer> = BTreeMap::new();
    for contract in store.contracts(region.id, None).await? {
        if contract.status == "concept" {
            continue;
        }
        let Some(agb) = providers.get(&contract.provider_id) else { continue };
        for tariff in store.tariffs(contract.id).await? {
            let Some(product) = products.get(&tariff.product_id) else { continue };
            let Some(code) = product.code.clone() else { continue };
            if product.funding_variant == "taakgericht" || product.law != standard.law() {
                continue;
            }
            let offer = offers.entry((agb.clone(), code.clone())).or_insert_with(|| Offer {
                provider: agb.clone(),
                category: product.category.clone(),
                code,
                unit: tariff.unit.clone(),
                care: care_for(&tariff.unit),
                tariffs: Vec::new(),
            });
            offer.tariffs.push(PlanTariff {
                year: tariff.year,
                municipality: tariff.municipality_code.as_deref().map(|m| m.trim_start_matches("GM").to_string()),
                cents: tariff.amount_cents,
            });
        }
    }
    if offers.is_empty() {
        return Err(StoreError::invalid(
            "regio",
            "contracts",
            format!(
                "Regio {} heeft geen contracten met tarieven bij aanbieders met een AGB-code; daar valt niets te genereren.",
                region.code
            ),
        ));
    }
    let (year, month) = last_complete_month(today);
    let last = Date::from_calendar_date(year, month, 1).unwrap_or(today);
    let mut first = last;
    for _ in 1..months.max(1) {
        first = first.previous_day().and_then(|d| d.replace_day(1).ok()).unwrap_or(first);
    }
    Ok(Plan {
        standard,
        municipalities,
        offers: offers.into_values().collect(),
        first_month: first,
        months: months.max(1),
        clients_per_1000: 25,
        seed,
        today,
    })
}

/// One row of a spend view with a readable name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpendRow {
    pub key: String,
    pub label: String,
    pub amount_cents: i64,
    pub volume: i64,
    pub lines: i64,
}

/// Names for the keys of a dimension.
pub async fn labels(store: &Store, region_id: i64, dimension: Dimension) -> Result<HashMap<String, String>> {
    Ok(match dimension {
        Dimension::Member => store
            .memberships(region_id)
            .await?
            .into_iter()
            .map(|m| (m.municipality_code, m.municipality_name))
            .collect(),
        Dimension::Provider => store
            .providers(region_id, true, samenspel_store::PageRequest::all())
            .await?
            .items
            .into_iter()
            .map(|p| (p.id.to_string(), p.name))
            .collect(),
        Dimension::Lot => {
            let mut names: HashMap<String, String> =
                store.lots(region_id).await?.into_iter().map(|l| (l.id.to_string(), l.name)).collect();
            names.insert("0".into(), "Zonder contract".into());
            names
        }
        Dimension::Product => store
            .products(region_id, true)
            .await?
            .into_iter()
            .map(|p| (format!("{} {}", p.category, p.code.clone().unwrap_or_default()), p.label()))
            .collect(),
        Dimension::Month => HashMap::new(),
    })
}

const MONTHS: [&str; 12] = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"];

/// `202604` → `apr 2026`.
pub fn month_label(yyyymm: &str) -> String {
    let n: i32 = yyyymm.parse().unwrap_or(0);
    let m = usize::try_from(n % 100).unwrap_or(0);
    match MONTHS.get(m.wrapping_sub(1)) {
        Some(name) => format!("{name} {}", n / 100),
        None => yyyymm.to_string(),
    }
}

/// Spend grouped by a dimension, with names.
pub async fn spend_rows(
    store: &Store,
    region_id: i64,
    dimension: Dimension,
    filter: &SpendFilter,
) -> Result<Vec<SpendRow>> {
    let names = labels(store, region_id, dimension).await?;
    let mut rows: Vec<SpendRow> = store
        .spend(region_id, dimension, filter)
        .await?
        .into_iter()
        .map(|c| SpendRow {
            label: match dimension {
                Dimension::Month => month_label(&c.key),
                _ => names.get(&c.key).cloned().unwrap_or_else(|| c.key.trim().to_string()),
            },
            key: c.key,
            amount_cents: c.amount_cents,
            volume: c.volume,
            lines: c.lines,
        })
        .collect();
    if dimension != Dimension::Month {
        rows.sort_by(|a, b| b.amount_cents.cmp(&a.amount_cents).then(a.label.cmp(&b.label)));
    }
    Ok(rows)
}

/// A member's year against its budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberOutlook {
    pub municipality_code: String,
    pub name: String,
    pub clients: i64,
    #[serde(flatten)]
    pub forecast: Forecast,
}

/// The forecast of every member (and the region as a whole) for a year and law.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outlook {
    pub year: i32,
    pub law: String,
    /// The last month counted as complete (1–12; 0 = none).
    pub through: u8,
    pub members: Vec<MemberOutlook>,
    pub region: Forecast,
}

/// Which month of `year` counts as complete: the newest with claims, and never the current
/// month or later.
pub async fn complete_through(store: &Store, region_id: i64, year: i32, today: Date) -> Result<u8> {
    let (last_year, last_month) = last_complete_month(today);
    let cap = match year.cmp(&last_year) {
        std::cmp::Ordering::Less => 12,
        std::cmp::Ordering::Equal => u8::from(last_month),
        std::cmp::Ordering::Greater => 0,
    };
    let newest = store.last_spend_month(region_id, year).await?.map(|m| u8::try_from(m % 100).unwrap_or(0));
    Ok(newest.unwrap_or(0).min(cap))
}

pub async fn outlook(store: &Store, region_id: i64, year: i32, law: &str, today: Date) -> Result<Outlook> {
    let through = complete_through(store, region_id, year, today).await?;
    let filter = SpendFilter { law: Some(law.to_string()), ..SpendFilter::year(year) };
    let members = store.memberships(region_id).await?;
    let mut monthly: BTreeMap<String, [i64; 12]> = BTreeMap::new();
    for m in &members {
        monthly.entry(m.municipality_code.clone()).or_insert([0; 12]);
    }
    for (code, month, amount) in store.spend_per_member_month(region_id, &filter).await? {
        let slot = usize::try_from(month % 100 - 1).unwrap_or(0).min(11);
        monthly.entry(code).or_insert([0; 12])[slot] += amount;
    }
    let running: HashMap<String, [u32; 12]> =
        store.running_assignments(region_id, year, Some(law)).await?.into_iter().collect();
    let recent_end = Date::from_calendar_date(year, Month::try_from(through.max(1)).unwrap_or(Month::January), 1)
        .map(|d| d.replace_day(d.month().length(year)).unwrap_or(d))
        .unwrap_or(today);
    let mut recent_start = recent_end.replace_day(1).unwrap_or(recent_end);
    for _ in 0..2 {
        recent_start = recent_start.previous_day().and_then(|d| d.replace_day(1).ok()).unwrap_or(recent_start);
    }
    let flow: HashMap<String, (i64, i64)> = store
        .assignment_flow(region_id, Some(law), month_number(recent_start), month_number(recent_end))
        .await?
        .into_iter()
        .map(|(m, s, e)| (m, (s, e)))
        .collect();
    let budgets: HashMap<String, Option<i64>> = store
        .figures(region_id, year)
        .await?
        .into_iter()
        .map(|f| (f.municipality_code, if law == "wmo" { f.budget_wmo_cents } else { f.budget_youth_cents }))
        .collect();
    let clients: HashMap<String, i64> =
        store.clients(region_id, "gemeente", &filter).await?.into_iter().map(|c| (c.key, c.clients)).collect();
    let names: HashMap<String, String> =
        members.iter().map(|m| (m.municipality_code.clone(), m.municipality_name.clone())).collect();
    let mut total = YearInput {
        year,
        monthly: [0; 12],
        through,
        budget: None,
        running: [0; 12],
        started_recently: 0,
        ended_recently: 0,
    };
    let mut any_budget = false;
    let mut all_budgets = true;
    let mut out = Vec::new();
    for (code, months) in monthly {
        let (started, ended) = flow.get(&code).copied().unwrap_or((0, 0));
        let input = YearInput {
            year,
            monthly: months,
            through,
            budget: budgets.get(&code).copied().flatten(),
            running: running.get(&code).copied().unwrap_or([0; 12]),
            started_recently: u32::try_from(started).unwrap_or(0),
            ended_recently: u32::try_from(ended).unwrap_or(0),
        };
        for i in 0..12 {
            total.monthly[i] += input.monthly[i];
            total.running[i] += input.running[i];
        }
        total.started_recently += input.started_recently;
        total.ended_recently += input.ended_recently;
        match input.budget {
            Some(b) => {
                any_budget = true;
                total.budget = Some(total.budget.unwrap_or(0) + b);
            }
            None => all_budgets = false,
        }
        out.push(MemberOutlook {
            name: names.get(&code).cloned().unwrap_or_else(|| code.clone()),
            clients: clients.get(&code).copied().unwrap_or(0),
            municipality_code: code,
            forecast: forecast(&input),
        });
    }
    // The region's budget is the members' together, and only when every member entered one.
    if !(any_budget && all_budgets) {
        total.budget = None;
    }
    Ok(Outlook { year, law: law.to_string(), through, members: out, region: forecast(&total) })
}

/// Claims above the contracted tariff for one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AboveTariff {
    pub provider_id: i64,
    pub provider: String,
    pub lines: i64,
    pub above_cents: i64,
}

/// Everything contract management is prompted to look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signals {
    pub year: i32,
    pub law: String,
    pub overrun: Vec<MemberOutlook>,
    pub above_tariff: Vec<AboveTariff>,
    pub price: Vec<Named<PriceSignal>>,
    pub growth: Vec<Named<GrowthSignal>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Named<T> {
    pub provider: String,
    #[serde(flatten)]
    pub signal: T,
}

pub async fn signals(store: &Store, region_id: i64, year: i32, law: &str, today: Date) -> Result<Signals> {
    let outlook = outlook(store, region_id, year, law, today).await?;
    let filter = SpendFilter { law: Some(law.to_string()), ..SpendFilter::year(year) };
    let names = labels(store, region_id, Dimension::Provider).await?;
    let name = |id: i64| names.get(&id.to_string()).cloned().unwrap_or_else(|| id.to_string());
    let above_tariff = store
        .above_tariff(region_id, &filter)
        .await?
        .into_iter()
        .map(|(provider_id, lines, above_cents)| AboveTariff {
            provider_id,
            provider: name(provider_id),
            lines,
            above_cents,
        })
        .collect();
    let figures: Vec<PriceFigure> = store
        .clients(region_id, "aanbieder-categorie", &filter)
        .await?
        .into_iter()
        .filter_map(|c| {
            let (provider, category) = c.key.split_once(' ')?;
            Some(PriceFigure {
                provider_id: provider.parse().ok()?,
                category: category.to_string(),
                amount_cents: c.amount_cents,
                clients: c.clients,
            })
        })
        .collect();
    let price = signals::price_per_client(&figures, 5)
        .into_iter()
        .map(|s| Named { provider: name(s.provider_id), signal: s })
        .collect();
    // Growth: the last three complete months against the three before.
    let through = i32::from(outlook.through);
    let growth = if through >= 6 {
        let window = |from: i32, to: i32| SpendFilter {
            from_month: Some(year * 100 + from),
            to_month: Some(year * 100 + to),
            ..filter.clone()
        };
        let before = store.spend(region_id, Dimension::Provider, &window(through - 5, through - 3)).await?;
        let after: HashMap<String, i64> = store
            .spend(region_id, Dimension::Provider, &window(through - 2, through))
            .await?
            .into_iter()
            .map(|c| (c.key, c.amount_cents))
            .collect();
        let figures: Vec<GrowthFigure> = before
            .into_iter()
            .filter_map(|c| {
                Some(GrowthFigure {
                    provider_id: c.key.parse().ok()?,
                    before_cents: c.amount_cents,
                    after_cents: after.get(&c.key).copied().unwrap_or(0),
                })
            })
            .collect();
        signals::growth(&figures, 1_000_000)
            .into_iter()
            .map(|s| Named { provider: name(s.provider_id), signal: s })
            .collect()
    } else {
        Vec::new()
    };
    let overrun = outlook.members.into_iter().filter(|m| m.forecast.overrun.is_some()).collect();
    Ok(Signals { year, law: law.to_string(), overrun, above_tariff, price, growth })
}

/// yyyymm of a day.
fn month_number(day: Date) -> i32 {
    day.year() * 100 + i32::from(u8::from(day.month()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn months_and_labels() {
        assert_eq!(last_complete_month(date!(2026 - 11 - 22)), (2026, Month::October));
        assert_eq!(last_complete_month(date!(2027 - 01 - 01)), (2026, Month::December));
        assert_eq!(month_label("202604"), "apr 2026");
        assert_eq!(month_label("x"), "x");
    }
}
