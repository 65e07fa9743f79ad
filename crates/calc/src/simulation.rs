//! Budget risk by simulation: many possible years of each member's care cost, standalone and
//! inside the risk-sharing agreement, so the insurance value of solidarity shows, in particular
//! for small members.
//!
//! Per member a compound model fitted to its production data:
//! - regular clients: the number per year is Poisson, each client's yearly cost lognormal; for
//!   more than [`EXACT_CLIENTS`] clients in a year their total is drawn from the normal
//!   distribution with the same mean and variance (the sum of that many independent costs);
//! - expensive care (residential placements and the like): rare events, Poisson per year, each
//!   with a heavy-tailed lognormal cost, drawn one by one.
//!
//! Inside the agreement a simulated year is settled like a real one: expensive care above the
//! threshold is pooled (everything, without a threshold), α of the pool goes by key share and the
//! rest back by own pooled cost. Limits on paying in and receiving are not simulated (they move
//! money between members in exceptional years only; the settlement applies them exactly).
//!
//! Reproducible: the years are drawn in a fixed number of blocks, each with its own generator
//! seeded from the seed and the block, spread over the available cores.

use rand::SeedableRng;
use rand_distr::{Distribution, LogNormal, Normal, Poisson};
use serde::{Deserialize, Serialize};

/// Below this many regular clients in a year each cost is drawn; above, their sum.
pub const EXACT_CLIENTS: u64 = 30;
/// At most this many simulated years (two arrays of years × members stay in memory).
pub const MAX_YEARS: u64 = 10_000_000;
/// Years are simulated in this many blocks (so results do not depend on the number of cores).
const BLOCKS: u64 = 64;

/// A lognormal cost: ln(cost in euros) has this mean and standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LogNormalCost {
    pub mu: f64,
    pub sigma: f64,
}

impl LogNormalCost {
    /// Fitted to observed costs in cents (each above zero) by the moments of their logarithms.
    pub fn fit(costs_cents: &[i64]) -> Option<LogNormalCost> {
        let logs: Vec<f64> = costs_cents.iter().filter(|c| **c > 0).map(|c| (*c as f64 / 100.0).ln()).collect();
        if logs.is_empty() {
            return None;
        }
        let n = logs.len() as f64;
        let mu = logs.iter().sum::<f64>() / n;
        let sigma =
            if logs.len() > 1 { (logs.iter().map(|l| (l - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
        Some(LogNormalCost { mu, sigma })
    }

    pub fn mean(&self) -> f64 {
        (self.mu + self.sigma * self.sigma / 2.0).exp()
    }

    pub fn variance(&self) -> f64 {
        let s2 = self.sigma * self.sigma;
        (s2.exp() - 1.0) * (2.0 * self.mu + s2).exp()
    }
}

/// One member's cost model, in euros.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberModel {
    pub member: String,
    pub clients_per_year: f64,
    pub client_cost: Option<LogNormalCost>,
    pub expensive_per_year: f64,
    pub expensive_cost: Option<LogNormalCost>,
    pub budget_euros: Option<f64>,
    /// Key weight for the solidarity part.
    pub weight: f64,
}

impl MemberModel {
    /// Fits a member's model from its clients' yearly costs (cents) over one or more years: a
    /// client costing more than `expensive_from_cents` in a year counts as expensive care.
    pub fn fit(
        member: &str,
        years: &[Vec<i64>],
        expensive_from_cents: i64,
        budget_euros: Option<f64>,
        weight: f64,
    ) -> MemberModel {
        let (mut regular, mut expensive) = (Vec::new(), Vec::new());
        for year in years {
            for &cost in year {
                if cost > expensive_from_cents {
                    expensive.push(cost);
                } else if cost > 0 {
                    regular.push(cost);
                }
            }
        }
        let n = years.len().max(1) as f64;
        MemberModel {
            member: member.to_string(),
            clients_per_year: regular.len() as f64 / n,
            client_cost: LogNormalCost::fit(&regular),
            expensive_per_year: expensive.len() as f64 / n,
            expensive_cost: LogNormalCost::fit(&expensive),
            budget_euros,
            weight,
        }
    }
}

/// The agreement as the simulation applies it.
impl MemberModel {
    /// The mean of the member's yearly cost in euros.
    pub fn yearly_mean_euros(&self) -> f64 {
        let mean = |c: &Option<LogNormalCost>| c.map(|c| c.mean()).unwrap_or(0.0);
        self.clients_per_year * mean(&self.client_cost) + self.expensive_per_year * mean(&self.expensive_cost)
    }

    /// The standard deviation of the member's yearly cost in euros: a compound Poisson sum has
    /// variance λ·E[X²] for each kind of client.
    pub fn yearly_sd_euros(&self) -> f64 {
        let second = |c: &Option<LogNormalCost>| c.map(|c| c.variance() + c.mean() * c.mean()).unwrap_or(0.0);
        let variance =
            self.clients_per_year * second(&self.client_cost) + self.expensive_per_year * second(&self.expensive_cost);
        if variance.is_finite() {
            variance.max(0.0).sqrt()
        } else {
            0.0
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SimulatedAgreement {
    /// α, 0.0 to 1.0.
    pub solidarity: f64,
    /// Per-client threshold in euros for expensive care; `None` pools everything.
    pub threshold_euros: Option<f64>,
}

/// One member's risk, standalone and inside the agreement, in euros.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberRisk {
    pub member: String,
    pub mean_standalone: f64,
    pub mean_inside: f64,
    /// Probability of spending more than the budget.
    pub overrun_standalone: Option<f64>,
    pub overrun_inside: Option<f64>,
    /// The 95th percentile of the year's cost (value at risk 95 %).
    pub var95_standalone: f64,
    pub var95_inside: f64,
    /// Standard deviation of the year's cost.
    pub sd_standalone: f64,
    pub sd_inside: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    pub years: u64,
    pub seed: u64,
    pub members: Vec<MemberRisk>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SimulationError {
    /// A rate or spread that is negative or not a number.
    BadModel {
        member: String,
    },
    NoYears,
    TooManyYears,
    NoKey,
}

impl std::fmt::Display for SimulationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimulationError::BadModel { member } => {
                write!(f, "het kostenmodel van {member} heeft een negatieve of ongeldige waarde")
            }
            SimulationError::NoYears => write!(f, "simuleer ten minste één jaar"),
            SimulationError::TooManyYears => write!(f, "simuleer hooguit {MAX_YEARS} jaren"),
            SimulationError::NoKey => write!(f, "de verdeelsleutel heeft voor geen enkel lid een waarde"),
        }
    }
}

impl std::error::Error for SimulationError {}

struct Sampler {
    clients: Option<Poisson<f64>>,
    client_cost: Option<(LogNormal<f64>, f64, f64)>,
    expensive: Option<Poisson<f64>>,
    expensive_cost: Option<LogNormal<f64>>,
}

impl Sampler {
    fn new(m: &MemberModel) -> Result<Sampler, SimulationError> {
        let bad = || SimulationError::BadModel { member: m.member.clone() };
        let rate = |r: f64| -> Result<Option<Poisson<f64>>, SimulationError> {
            if !(r.is_finite() && r >= 0.0) {
                return Err(bad());
            }
            if r == 0.0 {
                Ok(None)
            } else {
                Poisson::new(r).map(Some).map_err(|_| bad())
            }
        };
        let cost = |c: Option<LogNormalCost>| -> Result<Option<LogNormal<f64>>, SimulationError> {
            match c {
                None => Ok(None),
                Some(c) if c.mu.is_finite() && c.sigma.is_finite() && c.sigma >= 0.0 => {
                    LogNormal::new(c.mu, c.sigma).map(Some).map_err(|_| bad())
                }
                Some(_) => Err(bad()),
            }
        };
        let client_cost = cost(m.client_cost)?.zip(m.client_cost).map(|(d, c)| (d, c.mean(), c.variance().sqrt()));
        Ok(Sampler {
            clients: if client_cost.is_some() { rate(m.clients_per_year)? } else { None },
            client_cost,
            expensive: if m.expensive_cost.is_some() { rate(m.expensive_per_year)? } else { None },
            expensive_cost: cost(m.expensive_cost)?,
        })
    }

    /// One year: (cost kept by the member, cost entering the pool).
    fn year(&self, rng: &mut impl rand::Rng, threshold: Option<f64>) -> (f64, f64) {
        let split = |cost: f64| match threshold {
            Some(t) => (cost.min(t), (cost - t).max(0.0)),
            None => (0.0, cost),
        };
        let (mut kept, mut pooled) = (0.0, 0.0);
        if let (Some(count), Some((each, mean, sd))) = (&self.clients, &self.client_cost) {
            let n = count.sample(rng) as u64;
            if n <= EXACT_CLIENTS {
                for _ in 0..n {
                    let (k, p) = split(each.sample(rng));
                    kept += k;
                    pooled += p;
                }
            } else {
                // The sum of n costs: mean n·m, standard deviation √n·s. Regular clients stay
                // below any threshold on average, so with a threshold the sum is kept whole.
                let total = Normal::new(n as f64 * mean, (n as f64).sqrt() * sd)
                    .map(|d| d.sample(rng))
                    .unwrap_or(n as f64 * mean)
                    .max(0.0);
                match threshold {
                    Some(_) => kept += total,
                    None => pooled += total,
                }
            }
        }
        if let (Some(count), Some(each)) = (&self.expensive, &self.expensive_cost) {
            for _ in 0..count.sample(rng) as u64 {
                let (k, p) = split(each.sample(rng));
                kept += k;
                pooled += p;
            }
        }
        (kept, pooled)
    }
}

/// A block of years: its number and its parts of the standalone and inside arrays.
type Block<'a> = (u64, &'a mut [f64], &'a mut [f64]);

/// Simulates `years` region-years on up to `threads` threads.
pub fn simulate(
    members: &[MemberModel],
    agreement: SimulatedAgreement,
    years: u64,
    seed: u64,
    threads: usize,
) -> Result<Simulation, SimulationError> {
    if years == 0 {
        return Err(SimulationError::NoYears);
    }
    if years > MAX_YEARS || (years as usize).checked_mul(members.len()).is_none() {
        return Err(SimulationError::TooManyYears);
    }
    let samplers: Vec<Sampler> = members.iter().map(Sampler::new).collect::<Result<_, _>>()?;
    if let Some(m) = members.iter().find(|m| !(m.weight.is_finite() && m.weight >= 0.0)) {
        return Err(SimulationError::BadModel { member: m.member.clone() });
    }
    let total_weight: f64 = members.iter().map(|m| m.weight).sum();
    if agreement.solidarity > 0.0 && total_weight <= 0.0 {
        return Err(SimulationError::NoKey);
    }
    let shares: Vec<f64> =
        members.iter().map(|m| if total_weight > 0.0 { m.weight / total_weight } else { 0.0 }).collect();
    let alpha = agreement.solidarity.clamp(0.0, 1.0);
    let n = members.len();
    let blocks: Vec<(u64, u64)> =
        (0..BLOCKS).map(|b| (b * years / BLOCKS, (b + 1) * years / BLOCKS)).filter(|(a, b)| b > a).collect();

    // Year-major arrays (year × member); each block fills its own contiguous part.
    let mut standalone = vec![0f64; years as usize * n];
    let mut inside = vec![0f64; years as usize * n];
    let mut work: Vec<Block> = Vec::with_capacity(blocks.len());
    {
        let (mut own_rest, mut charged_rest) = (standalone.as_mut_slice(), inside.as_mut_slice());
        for (b, (from, to)) in blocks.iter().enumerate() {
            let len = (to - from) as usize * n;
            let (own, next_own) = own_rest.split_at_mut(len);
            let (charged, next_charged) = charged_rest.split_at_mut(len);
            work.push((b as u64, own, charged));
            (own_rest, charged_rest) = (next_own, next_charged);
        }
    }
    let run_block = |block: u64, own: &mut [f64], charged: &mut [f64]| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ block.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut kept = vec![0f64; n];
        let mut pooled = vec![0f64; n];
        for (own, charged) in own.chunks_exact_mut(n).zip(charged.chunks_exact_mut(n)) {
            for (i, s) in samplers.iter().enumerate() {
                (kept[i], pooled[i]) = s.year(&mut rng, agreement.threshold_euros);
            }
            let pool: f64 = pooled.iter().sum();
            for i in 0..n {
                own[i] = kept[i] + pooled[i];
                charged[i] = kept[i] + (1.0 - alpha) * pooled[i] + alpha * shares[i] * pool;
            }
        }
    };
    let threads = threads.max(1);
    let mut per_thread: Vec<Vec<Block>> = (0..threads).map(|_| Vec::new()).collect();
    for (k, item) in work.into_iter().enumerate() {
        per_thread[k % threads].push(item);
    }
    std::thread::scope(|scope| {
        let run_block = &run_block;
        for mine in per_thread {
            scope.spawn(move || {
                for (block, own, charged) in mine {
                    run_block(block, own, charged);
                }
            });
        }
    });
    let column = |v: &[f64], i: usize| -> Vec<f64> { v.iter().skip(i).step_by(n.max(1)).copied().collect() };

    let members = members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (mut own, mut charged) = (column(&standalone, i), column(&inside, i));
            let (mean_s, sd_s) = mean_sd(&own);
            let (mean_i, sd_i) = mean_sd(&charged);
            let overrun =
                |v: &[f64]| m.budget_euros.map(|b| v.iter().filter(|c| **c > b).count() as f64 / v.len() as f64);
            MemberRisk {
                member: m.member.clone(),
                mean_standalone: mean_s,
                mean_inside: mean_i,
                overrun_standalone: overrun(&own),
                overrun_inside: overrun(&charged),
                var95_standalone: percentile(&mut own, 0.95),
                var95_inside: percentile(&mut charged, 0.95),
                sd_standalone: sd_s,
                sd_inside: sd_i,
            }
        })
        .collect();
    Ok(Simulation { years, seed, members })
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 { v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (mean, var.sqrt())
}

/// The q-th quantile (nearest rank); reorders `v`.
fn percentile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    let (_, value, _) = v.select_nth_unstable_by(rank, f64::total_cmp);
    *value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, clients: f64, expensive: f64, budget: f64, weight: f64) -> MemberModel {
        MemberModel {
            member: name.into(),
            clients_per_year: clients,
            client_cost: Some(LogNormalCost { mu: 8.5, sigma: 1.0 }),
            expensive_per_year: expensive,
            expensive_cost: Some(LogNormalCost { mu: 11.5, sigma: 0.6 }),
            budget_euros: Some(budget),
            weight,
        }
    }

    #[test]
    fn lognormal_fit_recovers_its_parameters() {
        let d = LogNormal::new(9.0, 0.8).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let costs: Vec<i64> = (0..50_000).map(|_| (d.sample(&mut rng) * 100.0) as i64).collect();
        let fit = LogNormalCost::fit(&costs).unwrap();
        assert!((fit.mu - 9.0).abs() < 0.02 && (fit.sigma - 0.8).abs() < 0.02, "{fit:?}");
        assert_eq!(LogNormalCost::fit(&[]), None);
    }

    #[test]
    fn solidarity_lowers_a_small_members_risk_and_keeps_the_means() {
        // A large member and a small one with the same risk per inhabitant.
        let members =
            [member("groot", 2_000.0, 20.0, 25_000_000.0, 200_000.0), member("klein", 50.0, 0.5, 620_000.0, 5_000.0)];
        let full = SimulatedAgreement { solidarity: 1.0, threshold_euros: None };
        let sim = simulate(&members, full, 50_000, 42, 2).unwrap();
        let small = &sim.members[1];
        assert!(small.sd_inside < small.sd_standalone / 2.0, "{small:?}");
        assert!(small.var95_inside < small.var95_standalone);
        // Solidarity moves risk, not money on average: means stay close when the members'
        // expected cost per unit of key is alike.
        let total_s: f64 = sim.members.iter().map(|m| m.mean_standalone).sum();
        let total_i: f64 = sim.members.iter().map(|m| m.mean_inside).sum();
        assert!((total_s - total_i).abs() < 1e-6 * total_s);
        // Reproducible, and independent of the number of threads.
        assert_eq!(sim, simulate(&members, full, 50_000, 42, 1).unwrap());
        // No solidarity: inside is standalone.
        let none =
            simulate(&members, SimulatedAgreement { solidarity: 0.0, threshold_euros: None }, 10_000, 1, 2).unwrap();
        for m in &none.members {
            assert!((m.mean_inside - m.mean_standalone).abs() < 1e-6 * m.mean_standalone);
            assert_eq!(m.var95_inside, m.var95_standalone);
        }
    }

    #[test]
    fn the_yearly_spread_matches_the_simulation() {
        let m = member("GM0518", 400.0, 4.0, 1.0, 1.0);
        let sim = simulate(
            std::slice::from_ref(&m),
            SimulatedAgreement { solidarity: 0.0, threshold_euros: None },
            40_000,
            7,
            2,
        )
        .unwrap();
        let (mean, sd) = (m.yearly_mean_euros(), m.yearly_sd_euros());
        assert!((sim.members[0].mean_standalone - mean).abs() < 0.01 * mean, "{mean} {:?}", sim.members[0]);
        assert!((sim.members[0].sd_standalone - sd).abs() < 0.03 * sd, "{sd} {:?}", sim.members[0]);
        let empty = MemberModel { client_cost: None, expensive_cost: None, ..m };
        assert_eq!((empty.yearly_mean_euros(), empty.yearly_sd_euros()), (0.0, 0.0));
    }

    #[test]
    fn bad_models_are_named() {
        let mut m = member("GM0518", -1.0, 1.0, 1.0, 1.0);
        assert_eq!(
            simulate(&[m.clone()], SimulatedAgreement { solidarity: 0.5, threshold_euros: None }, 10, 1, 1),
            Err(SimulationError::BadModel { member: "GM0518".into() })
        );
        m.clients_per_year = 1.0;
        let agreement = SimulatedAgreement { solidarity: 0.5, threshold_euros: None };
        assert_eq!(simulate(&[m.clone()], agreement, 0, 1, 1), Err(SimulationError::NoYears));
        assert_eq!(simulate(&[m.clone()], agreement, MAX_YEARS + 1, 1, 1), Err(SimulationError::TooManyYears));
        m.weight = 0.0;
        assert_eq!(
            simulate(&[m], SimulatedAgreement { solidarity: 0.5, threshold_euros: None }, 10, 1, 1),
            Err(SimulationError::NoKey)
        );
    }

    #[test]
    fn fitting_splits_expensive_care() {
        let years = vec![vec![100_000, 200_000, 15_000_000], vec![150_000, 9_000_000]];
        let m = MemberModel::fit("GM0518", &years, 5_000_000, Some(1e6), 1.0);
        assert_eq!((m.clients_per_year, m.expensive_per_year), (1.5, 1.0));
        assert!(m.expensive_cost.unwrap().mean() > 90_000.0);
    }
}
