//! Fair allocation: the collaboration's costs as a cooperative cost game, each member's Shapley
//! value (its average marginal cost over every order in which the members could have joined),
//! and the core check (would a member, or a group of members, be better off on its own?).
//!
//! Exact for up to [`EXACT_LIMIT`] members by enumerating every coalition; by sampling random
//! joining orders beyond, with a 95 % confidence interval per member. Values are whole units
//! (cents) that add up exactly to the cost of the whole region (largest remainder over the
//! exact rational values).

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;

/// Enumerating 2^25 coalitions takes about a second on one core; beyond that, sample.
pub const EXACT_LIMIT: usize = 25;

/// A cost game: the cost of every coalition, a bit set of members (bit i = member i).
pub trait CostGame {
    fn players(&self) -> usize;
    /// The cost of a coalition in whole units (cents); the empty coalition costs nothing.
    fn cost(&self, coalition: u64) -> i64;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum GameError {
    /// Exact values need every coalition: at most [`EXACT_LIMIT`] members.
    TooManyPlayers {
        players: usize,
    },
    NoPlayers,
    /// Costs too large to add up exactly.
    TooLarge,
}

impl std::fmt::Display for GameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GameError::TooManyPlayers { players } => write!(
                f,
                "{players} leden: de exacte Shapley-waarde kan tot {EXACT_LIMIT} leden; gebruik de steekproef"
            ),
            GameError::NoPlayers => write!(f, "er zijn geen leden"),
            GameError::TooLarge => write!(f, "de bedragen zijn te groot om exact te rekenen"),
        }
    }
}

impl std::error::Error for GameError {}

fn factorials(n: usize) -> Vec<i128> {
    let mut f = vec![1i128; n + 1];
    for i in 1..=n {
        f[i] = f[i - 1] * i as i128;
    }
    f
}

/// Exact Shapley values, rounded to whole units that add up to the cost of all members.
///
/// φ_i = Σ_S |S|!·(n−|S|−1)!/n! · (c(S ∪ {i}) − c(S)) over S not containing i, computed as
/// Σ_{S ∋ i} w(|S|−1)·c(S) − Σ_{S ∌ i} w(|S|)·c(S) with w(s) = s!·(n−s−1)!, so every coalition's
/// cost is read once.
pub fn exact(game: &impl CostGame) -> Result<Vec<i64>, GameError> {
    let n = game.players();
    if n == 0 {
        return Err(GameError::NoPlayers);
    }
    if n > EXACT_LIMIT {
        return Err(GameError::TooManyPlayers { players: n });
    }
    let f = factorials(n);
    let weight: Vec<i128> = (0..n).map(|s| f[s] * f[n - s - 1]).collect();
    let mut numerators = vec![0i128; n];
    let full: u64 = (1u64 << n) - 1;
    for coalition in 1..=full {
        let cost = i128::from(game.cost(coalition));
        let size = coalition.count_ones() as usize;
        let inside = weight[size - 1].checked_mul(cost).ok_or(GameError::TooLarge)?;
        let outside = if size < n { weight[size].checked_mul(cost).ok_or(GameError::TooLarge)? } else { 0 };
        for (i, numerator) in numerators.iter_mut().enumerate() {
            let term = if coalition & (1 << i) != 0 { inside } else { -outside };
            *numerator = numerator.checked_add(term).ok_or(GameError::TooLarge)?;
        }
    }
    round_common(game.cost(full), &numerators, f[n])
}

/// Rounds numerators over one common positive denominator to whole units adding up to `total`
/// (they must add up to `total × denominator` exactly): floors, then the units left over to
/// the largest remainders, ties to the lower index.
fn round_common(total: i64, numerators: &[i128], denominator: i128) -> Result<Vec<i64>, GameError> {
    let mut parts = Vec::with_capacity(numerators.len());
    let mut rests = Vec::with_capacity(numerators.len());
    for (i, n) in numerators.iter().enumerate() {
        parts.push(i64::try_from(n.div_euclid(denominator)).map_err(|_| GameError::TooLarge)?);
        rests.push((n.rem_euclid(denominator), i));
    }
    let left = i128::from(total) - parts.iter().map(|p| i128::from(*p)).sum::<i128>();
    if left < 0 || left > parts.len() as i128 {
        return Err(GameError::TooLarge);
    }
    rests.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in rests.iter().take(left as usize) {
        parts[i] += 1;
    }
    Ok(parts)
}

/// Shapley values estimated from random joining orders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sampled {
    /// Whole units adding up to the cost of all members.
    pub values: Vec<i64>,
    /// Half the width of the 95 % confidence interval per member (1.96 standard errors).
    pub margin: Vec<f64>,
    pub samples: u32,
    pub seed: u64,
}

/// Shapley values by sampling `samples` random joining orders (seeded, so reproducible). Each
/// order's marginal costs add up to the cost of all members, so the means do too.
pub fn sampled(game: &impl CostGame, samples: u32, seed: u64) -> Result<Sampled, GameError> {
    let n = game.players();
    if n == 0 {
        return Err(GameError::NoPlayers);
    }
    if n > 64 {
        return Err(GameError::TooManyPlayers { players: n });
    }
    let samples = samples.max(2);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    let mut sum = vec![0i128; n];
    let mut sum_sq = vec![0f64; n];
    for _ in 0..samples {
        order.shuffle(&mut rng);
        let mut coalition = 0u64;
        let mut before = 0i64;
        for &i in &order {
            coalition |= 1 << i;
            let after = game.cost(coalition);
            let marginal = after.checked_sub(before).ok_or(GameError::TooLarge)?;
            sum[i] += i128::from(marginal);
            sum_sq[i] += (marginal as f64) * (marginal as f64);
            before = after;
        }
    }
    let m = f64::from(samples);
    let margin = (0..n)
        .map(|i| {
            let mean = sum[i] as f64 / m;
            let variance = ((sum_sq[i] - m * mean * mean) / (m - 1.0)).max(0.0);
            1.96 * (variance / m).sqrt()
        })
        .collect();
    let full = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    let values = round_common(game.cost(full), &sum, i128::from(samples))?;
    Ok(Sampled { values, margin, samples, seed })
}

/// A coalition that would pay less on its own than the agreement charges it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Objection {
    /// Member indices.
    pub members: Vec<usize>,
    /// What the agreement charges them together.
    pub charged: i64,
    /// What they would cost on their own.
    pub alone: i64,
}

/// The core check of an allocation (what each member is charged): every coalition whose
/// charge exceeds its own cost, largest saving first, at most `limit` of them. With more than
/// [`EXACT_LIMIT`] members only single members and pairs are checked; `exhaustive` says which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoreCheck {
    pub objections: Vec<Objection>,
    /// How many coalitions object in all.
    pub count: u64,
    pub exhaustive: bool,
}

pub fn core_check(game: &impl CostGame, charged: &[i64], limit: usize) -> CoreCheck {
    let n = game.players().min(charged.len());
    let mut objections: Vec<Objection> = Vec::new();
    let mut count = 0u64;
    let mut consider = |coalition: u64, objections: &mut Vec<Objection>| {
        let alone = game.cost(coalition);
        let members: Vec<usize> = (0..n).filter(|i| coalition & (1 << i) != 0).collect();
        let total: i64 = members.iter().map(|i| charged[*i]).sum();
        if total > alone {
            count += 1;
            objections.push(Objection { members, charged: total, alone });
            if objections.len() > limit.max(1) * 4 {
                objections.sort_by_key(|o| std::cmp::Reverse(o.charged - o.alone));
                objections.truncate(limit);
            }
        }
    };
    let full = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    let exhaustive = n <= EXACT_LIMIT;
    if exhaustive {
        for coalition in 1..full {
            consider(coalition, &mut objections);
        }
    } else {
        for i in 0..n {
            consider(1 << i, &mut objections);
            for j in i + 1..n {
                consider((1 << i) | (1 << j), &mut objections);
            }
        }
    }
    objections.sort_by(|a, b| (b.charged - b.alone).cmp(&(a.charged - a.alone)).then(a.members.cmp(&b.members)));
    objections.truncate(limit);
    CoreCheck { objections, count, exhaustive }
}

/// What one member brings to the region's cost game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GameMember {
    pub member: String,
    /// Its care costs: the same alone or together.
    pub care_cents: i64,
    /// What procuring alone would cost it (its own procurement and contract management).
    pub standalone_overhead_cents: i64,
    /// What it still spends itself inside the collaboration.
    pub inside_overhead_cents: i64,
    /// The standard deviation of its yearly care cost (from the simulation), in cents.
    pub cost_sd_cents: i64,
}

/// The region's cost game: c(S) = care of S + overhead + price of the risk S carries, where the
/// overhead is a member's standalone overhead when it is alone, and the regional team plus each
/// member's inside overhead for two or more; and the risk price is `risk_price` (basis points)
/// of the standard deviation of S's total cost, √(Σ σ_i²) for independent members: pooling
/// risk is what makes solidarity worth something.
///
/// Sums over a coalition come from two half tables (low and high bits), so evaluating a
/// coalition takes constant time and a few kilobytes, whatever the size.
pub struct RegionGame {
    n: usize,
    low_bits: usize,
    low: Vec<Sums>,
    high: Vec<Sums>,
    standalone: Vec<i64>,
    team_cents: i64,
    risk_price: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    care: i64,
    inside: i64,
    variance: f64,
}

impl RegionGame {
    pub fn new(members: &[GameMember], team_cents: i64, risk_price_basis_points: u32) -> RegionGame {
        let n = members.len().min(63);
        let low_bits = n / 2;
        let table = |from: usize, bits: usize| -> Vec<Sums> {
            let mut t = vec![Sums::default(); 1 << bits];
            for mask in 1..t.len() {
                let bit = mask.trailing_zeros() as usize;
                let rest = t[mask & (mask - 1)];
                let m = &members[from + bit];
                let sd = m.cost_sd_cents as f64;
                t[mask] = Sums {
                    care: rest.care.saturating_add(m.care_cents),
                    inside: rest.inside.saturating_add(m.inside_overhead_cents),
                    variance: rest.variance + sd * sd,
                };
            }
            t
        };
        RegionGame {
            n,
            low_bits,
            low: table(0, low_bits),
            high: table(low_bits, n - low_bits),
            standalone: members.iter().take(n).map(|m| m.standalone_overhead_cents).collect(),
            team_cents,
            risk_price: risk_price_basis_points,
        }
    }
}

impl CostGame for RegionGame {
    fn players(&self) -> usize {
        self.n
    }

    fn cost(&self, coalition: u64) -> i64 {
        if coalition == 0 {
            return 0;
        }
        let low = self.low[(coalition & ((1 << self.low_bits) - 1)) as usize];
        let high = self.high[(coalition >> self.low_bits) as usize];
        let overhead = if coalition.count_ones() == 1 {
            self.standalone[coalition.trailing_zeros() as usize]
        } else {
            self.team_cents.saturating_add(low.inside).saturating_add(high.inside)
        };
        let risk = ((low.variance + high.variance).sqrt() * f64::from(self.risk_price) / 10_000.0).round() as i64;
        low.care.saturating_add(high.care).saturating_add(overhead).saturating_add(risk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A game from a table of costs.
    #[derive(Debug, Clone)]
    struct Table(usize, Vec<i64>);

    impl CostGame for Table {
        fn players(&self) -> usize {
            self.0
        }
        fn cost(&self, coalition: u64) -> i64 {
            self.1[coalition as usize]
        }
    }

    /// Brute force over all n! orders.
    fn by_orders(game: &Table) -> Vec<f64> {
        fn permute(order: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
            if k == order.len() {
                out.push(order.clone());
                return;
            }
            for i in k..order.len() {
                order.swap(k, i);
                permute(order, k + 1, out);
                order.swap(k, i);
            }
        }
        let mut orders = Vec::new();
        permute(&mut (0..game.0).collect(), 0, &mut orders);
        let mut totals = vec![0f64; game.0];
        for order in &orders {
            let mut coalition = 0u64;
            for &i in order {
                let before = game.cost(coalition);
                coalition |= 1 << i;
                totals[i] += (game.cost(coalition) - before) as f64;
            }
        }
        totals.iter().map(|t| t / orders.len() as f64).collect()
    }

    /// The savings game of a purchasing group with price p(q) = 100/√q, in millionths, from
    /// the test vectors in the research notes (Shapley 240.3175, 228.9826, 169.2469).
    #[test]
    fn the_purchasing_group_test_vectors() {
        for (volumes, expected) in
            [([60.0, 30.0, 10.0], [240.3175, 228.9826, 169.2469]), ([50.0, 25.0, 25.0], [251.7650, 227.6709, 227.6709])]
        {
            let price = |q: f64| 100.0 / q.sqrt();
            // Savings are a gain; as a cost game, minus the savings.
            let costs: Vec<i64> = (0..8u64)
                .map(|s| {
                    let members: Vec<f64> = (0..3).filter(|i| s & (1 << i) != 0).map(|i| volumes[i]).collect();
                    let q: f64 = members.iter().sum();
                    let saving = if members.is_empty() {
                        0.0
                    } else {
                        members.iter().map(|v| v * price(*v)).sum::<f64>() - q * price(q)
                    };
                    -(saving * 1e6).round() as i64
                })
                .collect();
            let values = exact(&Table(3, costs)).unwrap();
            for (v, e) in values.iter().zip(expected) {
                assert!((-*v as f64 / 1e6 - e).abs() < 1e-4, "{values:?}");
            }
        }
    }

    #[test]
    fn sampling_comes_close_and_is_reproducible() {
        let members: Vec<GameMember> = (0..8)
            .map(|i| GameMember {
                member: format!("M{i}"),
                care_cents: 1_000_000 * (i + 1),
                standalone_overhead_cents: 300_000,
                inside_overhead_cents: 50_000,
                cost_sd_cents: 200_000 * (i + 1),
            })
            .collect();
        let game = RegionGame::new(&members, 800_000, 10_000);
        let exact = exact(&game).unwrap();
        let a = sampled(&game, 20_000, 7).unwrap();
        assert_eq!(a, sampled(&game, 20_000, 7).unwrap());
        assert_eq!(a.values.iter().sum::<i64>(), exact.iter().sum::<i64>());
        for i in 0..8 {
            // Within the stated interval (allowing for the 5 % it may miss, times a margin).
            assert!(((a.values[i] - exact[i]) as f64).abs() <= 2.0 * a.margin[i] + 1.0, "{i}: {a:?} {exact:?}");
        }
    }

    #[test]
    fn the_core_names_who_is_better_off_alone() {
        let members: Vec<GameMember> = ["groot", "klein", "midden"]
            .iter()
            .map(|m| GameMember {
                member: m.to_string(),
                care_cents: 0,
                standalone_overhead_cents: 100,
                inside_overhead_cents: 0,
                cost_sd_cents: 0,
            })
            .collect();
        // Together the team costs 240; alone each pays 100.
        let game = RegionGame::new(&members, 240, 0);
        let fair = exact(&game).unwrap();
        assert_eq!(fair, [80, 80, 80]);
        assert!(core_check(&game, &fair, 10).objections.is_empty());
        // Charging the big member 150 makes it better off alone (100); no pair objects
        // (150 + 45 = 195 is below the 240 a pair costs).
        let check = core_check(&game, &[150, 45, 45], 10);
        assert_eq!(check.objections[0], Objection { members: vec![0], charged: 150, alone: 100 });
        assert_eq!(check.count, 1);
        assert!(check.exhaustive);
    }

    #[test]
    fn too_many_for_exact() {
        let members = vec![
            GameMember {
                member: "x".into(),
                care_cents: 1,
                standalone_overhead_cents: 1,
                inside_overhead_cents: 1,
                cost_sd_cents: 1
            };
            26
        ];
        let game = RegionGame::new(&members, 1, 1);
        assert_eq!(exact(&game), Err(GameError::TooManyPlayers { players: 26 }));
        assert_eq!(sampled(&game, 100, 1).unwrap().values.iter().sum::<i64>(), game.cost((1 << 26) - 1));
    }

    fn table_strategy() -> impl Strategy<Value = Table> {
        (1usize..=5).prop_flat_map(|n| {
            proptest::collection::vec(-1_000_000i64..1_000_000, 1 << n).prop_map(move |mut costs| {
                costs[0] = 0;
                Table(n, costs)
            })
        })
    }

    proptest! {
        #[test]
        fn exact_matches_brute_force_and_is_efficient(game in table_strategy()) {
            let values = exact(&game).unwrap();
            prop_assert_eq!(values.iter().sum::<i64>(), game.cost((1 << game.0) - 1));
            for (v, b) in values.iter().zip(by_orders(&game)) {
                prop_assert!((*v as f64 - b).abs() < 1.0, "{values:?}");
            }
        }

        #[test]
        fn symmetric_members_get_the_same_and_dummies_nothing(a in 0i64..1_000_000, b in 0i64..1_000_000, extra in 0i64..1_000_000) {
            // Members 0 and 1 symmetric; member 2 a dummy that adds nothing to any coalition.
            let base = |s: u64| -> i64 {
                match s & 0b011 { 0 => 0, 0b001 | 0b010 => a, _ => a + b + extra }
            };
            let game = Table(3, (0..8u64).map(base).collect());
            let values = exact(&game).unwrap();
            prop_assert!((values[0] - values[1]).abs() <= 1);
            prop_assert_eq!(values[2], 0);
        }

        #[test]
        fn region_games_are_efficient(members in proptest::collection::vec((0i64..10_000_000, 0i64..1_000_000, 0i64..100_000, 0i64..5_000_000), 1..10),
                                      team in 0i64..5_000_000, price in 0u32..20_000) {
            let members: Vec<GameMember> = members.into_iter().enumerate().map(|(i, (care, alone, inside, sd))| GameMember {
                member: format!("M{i}"), care_cents: care, standalone_overhead_cents: alone, inside_overhead_cents: inside, cost_sd_cents: sd,
            }).collect();
            let game = RegionGame::new(&members, team, price);
            let values = exact(&game).unwrap();
            prop_assert_eq!(values.iter().sum::<i64>(), game.cost((1 << members.len()) - 1));
        }
    }
}
