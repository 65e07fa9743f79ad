//! Views over the procurement facts that both the API and the pages show: the collaboration
//! matrix (members × lots on a day) and the administrative burden per provider.

use crate::error::AppResult;
use crate::AppState;
use samenspel_calc::burden::{
    burden, burden_before_standardisation, harmonisation_steps, Burden, ContractFacts, ProviderFacts, RequestFacts,
    StepEffect, Tariff,
};
use samenspel_domain::procurement::{CollaborationForm, ContractStatus};
use samenspel_store::lots::{forms_on, LotRow};
use samenspel_store::regions::RegionRow;
use samenspel_store::PageRequest;
use std::collections::BTreeMap;
use time::Date;

/// Members × lots: each current member's form of collaboration in each lot on a day.
pub struct Matrix {
    pub day: Date,
    pub lots: Vec<LotRow>,
    pub rows: Vec<MatrixRow>,
}

pub struct MatrixRow {
    pub municipality_code: String,
    pub municipality_name: String,
    /// Per lot, in the order of `lots`; `None` where nothing is recorded.
    pub forms: Vec<Option<CollaborationForm>>,
}

pub async fn matrix(state: &AppState, region: &RegionRow, day: Date) -> AppResult<Matrix> {
    let lots: Vec<LotRow> =
        state.store.lots(region.id).await?.into_iter().filter(|l| l.period().contains(day)).collect();
    let history = state.store.participation(region.id).await?;
    let forms = forms_on(&history, day);
    let mut rows = Vec::new();
    for m in state.store.memberships(region.id).await?.into_iter().filter(|m| m.is_active_on(day)) {
        let cells = lots
            .iter()
            .map(|l| {
                forms.iter().find(|(lot, code, _)| *lot == l.id && *code == m.municipality_code).map(|(_, _, f)| *f)
            })
            .collect();
        rows.push(MatrixRow {
            municipality_code: m.municipality_code,
            municipality_name: m.municipality_name,
            forms: cells,
        });
    }
    Ok(Matrix { day, lots, rows })
}

pub struct ProviderBurden {
    pub provider_id: i64,
    pub name: String,
    pub burden: Burden,
    /// The same provider if every member dealt with it apart.
    pub before: Burden,
}

pub struct BurdenReport {
    pub year: i32,
    pub day: Date,
    pub providers: Vec<ProviderBurden>,
    pub steps: Vec<StepEffect>,
}

impl BurdenReport {
    pub fn total(&self) -> usize {
        self.providers.iter().map(|p| p.burden.score()).sum()
    }

    pub fn hours(&self) -> u64 {
        self.providers.iter().map(|p| p.burden.hours_per_year).sum()
    }

    pub fn hours_before(&self) -> u64 {
        self.providers.iter().map(|p| p.before.hours_per_year).sum()
    }
}

/// The region's accountability request series in a year: requests shown to providers (not
/// concepts) with their deadline in the year, one series per kind, frequency, lot and set of
/// figures, so four quarterly waiting-list requests count as one series asked four times.
async fn request_series(state: &AppState, region: &RegionRow, year: i32) -> AppResult<Vec<RequestFacts>> {
    let hours = state.store.burden_hours(region.id).await?;
    let mut series = BTreeMap::new();
    for r in state.store.accountability_requests(region.id).await? {
        if r.status == "concept" || r.deadline.year() != year {
            continue;
        }
        let (kind, frequency) = (r.kind(), r.frequency());
        series.entry((kind.code(), frequency.code(), r.lot_id, r.fields.clone())).or_insert(RequestFacts {
            lot_id: r.lot_id,
            submissions_per_year: frequency.per_year(),
            hours_each: hours.get(&kind).map(|(h, _)| *h).unwrap_or(kind.default_hours()),
        });
    }
    Ok(series.into_values().collect())
}

/// The facts of every provider's running contracts in a year, with the members' forms on `day`
/// (without the accountability requests, which [`burden_report`] adds).
pub async fn burden_facts(state: &AppState, region: &RegionRow, year: i32, day: Date) -> AppResult<Vec<ProviderFacts>> {
    let store = &state.store;
    let history = store.participation(region.id).await?;
    // Only members on that day count: a municipality that left no longer adds burden.
    let members: Vec<String> = store
        .memberships(region.id)
        .await?
        .into_iter()
        .filter(|m| m.is_active_on(day))
        .map(|m| m.municipality_code)
        .collect();
    let forms: Vec<_> = forms_on(&history, day).into_iter().filter(|(_, m, _)| members.contains(m)).collect();
    let tariffs = store.region_tariffs(region.id).await?;
    let mut lot_products = BTreeMap::new();
    for lot in store.lots(region.id).await? {
        let products: Vec<_> = store.lot_products(lot.id).await?.into_iter().map(|p| (p.category, p.code)).collect();
        lot_products.insert(lot.id, products);
    }
    let mut by_provider: BTreeMap<i64, ProviderFacts> = BTreeMap::new();
    for c in store.contracts(region.id, None).await? {
        if c.status == ContractStatus::Ended.code()
            || c.status == ContractStatus::Draft.code()
            || !c.period().touches_year(year)
        {
            continue;
        }
        let facts = ContractFacts {
            lot_id: c.lot_id,
            lot_name: c.lot_name.clone(),
            products: lot_products.get(&c.lot_id).cloned().unwrap_or_default(),
            members: forms.iter().filter(|(lot, _, _)| *lot == c.lot_id).map(|(_, m, f)| (m.clone(), *f)).collect(),
            tariffs: tariffs
                .iter()
                .filter(|t| t.contract_id == c.id && t.year == year)
                .map(|t| Tariff {
                    product: (t.product_category.clone(), t.product_code.clone()),
                    municipality: t.municipality_code.clone(),
                    amount_cents: t.amount_cents,
                })
                .collect(),
        };
        by_provider
            .entry(c.provider_id)
            .or_insert_with(|| ProviderFacts {
                provider_id: c.provider_id,
                name: c.provider_name.clone(),
                contracts: Vec::new(),
                requests: Vec::new(),
            })
            .contracts
            .push(facts);
    }
    Ok(by_provider.into_values().collect())
}

pub async fn burden_report(state: &AppState, region: &RegionRow, year: i32) -> AppResult<BurdenReport> {
    let today = samenspel_store::today();
    let day = if today.year() == year {
        today
    } else {
        Date::from_calendar_date(year, time::Month::July, 1).unwrap_or(today)
    };
    let mut facts = burden_facts(state, region, year, day).await?;
    // Only the burden counts requests; the other users of the contract facts do not need them.
    let requests = request_series(state, region, year).await?;
    for p in &mut facts {
        p.requests = requests.clone();
    }
    let mut providers: Vec<ProviderBurden> = facts
        .iter()
        .map(|p| ProviderBurden {
            provider_id: p.provider_id,
            name: p.name.clone(),
            burden: burden(p),
            before: burden_before_standardisation(p),
        })
        .collect();
    // Providers without a running contract carry no burden from the region; list them too.
    for p in state.store.providers(region.id, false, PageRequest::all()).await?.items {
        if !providers.iter().any(|b| b.provider_id == p.id) {
            providers.push(ProviderBurden {
                provider_id: p.id,
                name: p.name,
                burden: Burden::default(),
                before: Burden::default(),
            });
        }
    }
    providers.sort_by(|a, b| b.burden.score().cmp(&a.burden.score()).then(a.name.cmp(&b.name)));
    Ok(BurdenReport { year, day, providers, steps: harmonisation_steps(&facts) })
}
