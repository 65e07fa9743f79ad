//! Risk sharing (risicoverevening): what each member pays for a cost pool under the region's
//! agreement, in whole cents that add up to the pool, with the parts a council member can follow.
//!
//! Per pool, with solidarity α (0 = user pays, profijtbeginsel; 1 = full solidarity by key):
//!
//! - without a threshold, all of a member's cost in the pool is *pooled own cost*;
//! - with a per-client threshold T, each client's cost up to T stays the member's own (*kept*),
//!   the part above T is pooled own cost;
//! - the pooled total P = Σ pooled own cost is charged as α·P by key share (the *solidarity
//!   part*) and (1−α)·P back to each member in proportion to its own pooled cost (*user pays*);
//! - contribution = kept + user pays + solidarity part; difference = contribution − own cost
//!   (positive: pays in, negative: receives);
//! - optional limits on what a member pays in or receives: a member over a limit is held at it
//!   and the excess is redistributed over the members not held, pro rata to their key, until
//!   nobody is over; when nobody is left to carry it the settlement is refused.
//!
//! Each of the three parts is split by largest remainder, so every column adds up exactly.

use crate::allocation::{split, AllocationError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Solidarity in basis points: 0 is user pays, 10 000 is full solidarity.
pub const FULL_SOLIDARITY: u32 = 10_000;

/// One cost pool of the agreement, as the calculation needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolRule {
    pub name: String,
    /// α in basis points, 0..=10 000.
    pub solidarity: u32,
    /// What the key is, for the explanation (`inwoners`, `jeugdigen`, ...).
    pub key: String,
    /// Per-client threshold in cents: only cost above it is pooled.
    pub threshold_cents: Option<i64>,
    /// At most this much paid in (difference > 0) per member, in cents.
    pub max_pay_in_cents: Option<i64>,
    /// At most this much received (difference < 0) per member, in cents.
    pub max_receive_cents: Option<i64>,
}

/// One member's facts for a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInput {
    pub member: String,
    /// The member's key weight (inhabitants, youths, cents of budget, clients, or a fixed
    /// percentage in basis points); shares are weight / total weight.
    pub weight: i128,
    /// Client costs in the pool, in cents: with a threshold, at least every client costing more
    /// than it (what the list leaves out of `own_cents` stays the member's own); else unused.
    pub client_costs: Vec<i64>,
    /// Own cost in the pool in cents.
    pub own_cents: i64,
    /// Whether the client costs are known (a pool with a threshold needs them).
    pub clients_listed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SettlementError {
    /// α outside 0..=100 %.
    Solidarity {
        pool: String,
        basis_points: u32,
    },
    /// A negative cost or weight.
    Negative {
        pool: String,
        member: String,
        what: &'static str,
    },
    /// A threshold that is zero or below.
    Threshold {
        pool: String,
    },
    /// A threshold but no per-client costs for a member with cost.
    NoClientCosts {
        pool: String,
        member: String,
    },
    /// Client costs above the threshold that exceed the member's own cost.
    ClientsAboveTotal {
        pool: String,
        member: String,
    },
    /// Solidarity asked, pooled cost to share, and every key weight zero.
    NoKey {
        pool: String,
    },
    /// Limits that leave money no member can carry.
    LimitsTooTight {
        pool: String,
        left_cents: i64,
    },
    TooLarge {
        pool: String,
    },
}

impl std::fmt::Display for SettlementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettlementError::Solidarity { pool, basis_points } => write!(
                f,
                "pot {pool}: de mate van solidariteit is {},{:02} %; kies 0 tot en met 100 %",
                basis_points / 100,
                basis_points % 100
            ),
            SettlementError::Negative { pool, member, what } => {
                write!(f, "pot {pool}: {what} van {member} is negatief")
            }
            SettlementError::Threshold { pool } => write!(f, "pot {pool}: de drempel per cliënt moet boven € 0 liggen"),
            SettlementError::NoClientCosts { pool, member } => write!(
                f,
                "pot {pool}: de pot heeft een drempel per cliënt, maar voor {member} zijn geen kosten per cliënt bekend"
            ),
            SettlementError::NoKey { pool } => {
                write!(f, "pot {pool}: de verdeelsleutel heeft voor geen enkel lid een waarde")
            }
            SettlementError::ClientsAboveTotal { pool, member } => write!(
                f,
                "pot {pool}: de kosten per cliënt van {member} boven de drempel zijn hoger dan de eigen kosten"
            ),
            SettlementError::LimitsTooTight { pool, left_cents } => write!(
                f,
                "pot {pool}: met deze maxima blijft {left_cents} cent over die geen lid meer kan dragen; verruim een maximum"
            ),
            SettlementError::TooLarge { pool } => write!(f, "pot {pool}: de bedragen zijn te groot om exact te rekenen"),
        }
    }
}

impl std::error::Error for SettlementError {}

/// Which limit held a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Held {
    PayIn,
    Receive,
}

/// One member's outcome for one pool; every amount in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberSettlement {
    pub member: String,
    pub own_cents: i64,
    /// Client cost below the threshold: always the member's own.
    pub kept_cents: i64,
    /// Own cost that enters the pool.
    pub pooled_own_cents: i64,
    pub weight: i128,
    /// (1 − α) of the pool, back in proportion to pooled own cost.
    pub user_pays_cents: i64,
    /// α of the pool, by key share.
    pub solidarity_cents: i64,
    /// Change from the limits (held at a limit, or carrying others' excess).
    pub limit_cents: i64,
    pub held: Option<Held>,
    pub contribution_cents: i64,
    /// contribution − own: positive pays in, negative receives.
    pub difference_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolSettlement {
    pub rule: PoolRule,
    pub total_cents: i64,
    pub pooled_cents: i64,
    pub total_weight: i128,
    pub members: Vec<MemberSettlement>,
}

fn too_large(pool: &str) -> impl Fn(AllocationError) -> SettlementError + '_ {
    move |_| SettlementError::TooLarge { pool: pool.to_string() }
}

/// Settles one pool.
pub fn settle(rule: &PoolRule, members: &[MemberInput]) -> Result<PoolSettlement, SettlementError> {
    let pool = rule.name.as_str();
    if rule.solidarity > FULL_SOLIDARITY {
        return Err(SettlementError::Solidarity { pool: pool.into(), basis_points: rule.solidarity });
    }
    if rule.threshold_cents.is_some_and(|t| t <= 0) {
        return Err(SettlementError::Threshold { pool: pool.into() });
    }
    let negative = |member: &MemberInput, what| SettlementError::Negative {
        pool: pool.into(),
        member: member.member.clone(),
        what,
    };
    let mut kept = Vec::with_capacity(members.len());
    let mut pooled_own = Vec::with_capacity(members.len());
    for m in members {
        if m.weight < 0 {
            return Err(negative(m, "de sleutelwaarde"));
        }
        if m.own_cents < 0 || m.client_costs.iter().any(|c| *c < 0) {
            return Err(negative(m, "de eigen kosten"));
        }
        let (k, p) = match rule.threshold_cents {
            Some(threshold) => {
                if !m.clients_listed && m.own_cents > 0 {
                    return Err(SettlementError::NoClientCosts { pool: pool.into(), member: m.member.clone() });
                }
                let above = m.client_costs.iter().try_fold(0i64, |p, c| p.checked_add((c - threshold).max(0)));
                match above {
                    Some(p) if p > m.own_cents => {
                        return Err(SettlementError::ClientsAboveTotal { pool: pool.into(), member: m.member.clone() })
                    }
                    Some(p) => Some((m.own_cents - p, p)),
                    None => None,
                }
            }
            None => Some((0, m.own_cents)),
        }
        .ok_or_else(|| SettlementError::TooLarge { pool: pool.into() })?;
        kept.push(k);
        pooled_own.push(p);
    }
    let sum = |v: &[i64]| v.iter().try_fold(0i64, |a, x| a.checked_add(*x));
    let pooled = sum(&pooled_own).ok_or_else(|| SettlementError::TooLarge { pool: pool.into() })?;
    let total = sum(&kept)
        .and_then(|k| k.checked_add(pooled))
        .ok_or_else(|| SettlementError::TooLarge { pool: pool.into() })?;
    let weights: Vec<i128> = members.iter().map(|m| m.weight).collect();
    let total_weight: i128 = weights.iter().sum();

    // α·P rounded to the cent goes by key; the rest back by own pooled cost.
    let solidarity_total = i64::try_from(
        (i128::from(pooled) * i128::from(rule.solidarity) + i128::from(FULL_SOLIDARITY / 2))
            / i128::from(FULL_SOLIDARITY),
    )
    .map_err(|_| SettlementError::TooLarge { pool: pool.into() })?;
    let user_pays_total = pooled - solidarity_total;
    let solidarity = if solidarity_total == 0 {
        vec![0; members.len()]
    } else if total_weight == 0 {
        return Err(SettlementError::NoKey { pool: pool.into() });
    } else {
        split(solidarity_total, &weights).map_err(too_large(pool))?
    };
    let user_pays = if user_pays_total == 0 {
        vec![0; members.len()]
    } else {
        let own: Vec<i128> = pooled_own.iter().map(|p| i128::from(*p)).collect();
        split(user_pays_total, &own).map_err(too_large(pool))?
    };
    let own: Vec<i64> = kept.iter().zip(&pooled_own).map(|(k, p)| k + p).collect();
    let before: Vec<i64> = (0..members.len()).map(|i| kept[i] + user_pays[i] + solidarity[i] - own[i]).collect();
    let (difference, held) = apply_limits(rule, &before, &weights)?;

    let members = members
        .iter()
        .enumerate()
        .map(|(i, m)| MemberSettlement {
            member: m.member.clone(),
            own_cents: own[i],
            kept_cents: kept[i],
            pooled_own_cents: pooled_own[i],
            weight: m.weight,
            user_pays_cents: user_pays[i],
            solidarity_cents: solidarity[i],
            limit_cents: difference[i] - before[i],
            held: held[i],
            contribution_cents: own[i] + difference[i],
            difference_cents: difference[i],
        })
        .collect();
    Ok(PoolSettlement { rule: rule.clone(), total_cents: total, pooled_cents: pooled, total_weight, members })
}

/// Holds members at the limits and spreads what they no longer carry (or receive) over the
/// others by key, until nobody is over a limit.
fn apply_limits(
    rule: &PoolRule,
    before: &[i64],
    weights: &[i128],
) -> Result<(Vec<i64>, Vec<Option<Held>>), SettlementError> {
    let pool = rule.name.as_str();
    let mut difference = before.to_vec();
    let mut held: Vec<Option<Held>> = vec![None; before.len()];
    if rule.max_pay_in_cents.is_none() && rule.max_receive_cents.is_none() {
        return Ok((difference, held));
    }
    // Each round holds at least one more member, so at most n rounds.
    for _ in 0..=before.len() {
        let mut excess: i64 = 0;
        let mut newly_held = false;
        for i in 0..difference.len() {
            if held[i].is_some() {
                continue;
            }
            if let Some(cap) = rule.max_pay_in_cents.filter(|cap| difference[i] > *cap) {
                excess += difference[i] - cap;
                difference[i] = cap;
                held[i] = Some(Held::PayIn);
                newly_held = true;
            } else if let Some(cap) = rule.max_receive_cents.filter(|cap| -difference[i] > *cap) {
                excess -= -difference[i] - cap;
                difference[i] = -cap;
                held[i] = Some(Held::Receive);
                newly_held = true;
            }
        }
        if !newly_held || excess == 0 {
            return Ok((difference, held));
        }
        let free: Vec<i128> = weights.iter().zip(&held).map(|(w, h)| if h.is_none() { *w } else { 0 }).collect();
        if free.iter().all(|w| *w == 0) {
            return Err(SettlementError::LimitsTooTight { pool: pool.into(), left_cents: excess });
        }
        let shares = split(excess, &free).map_err(too_large(pool))?;
        for (d, s) in difference.iter_mut().zip(shares) {
            *d += s;
        }
    }
    Err(SettlementError::LimitsTooTight { pool: pool.into(), left_cents: 0 })
}

/// Settles every pool of an agreement for a year from the cost and key tables. Every member
/// in the key table takes part (with zero cost where the cost table has none); every problem
/// is named: a pool in the costs that the agreement lacks, a member without a key value, a fixed
/// table that does not add up to 100 %, a member with costs but no key row.
pub fn settle_agreement(
    pools: &[samenspel_domain::risk_sharing::CheckedPool],
    costs: &samenspel_domain::risk_sharing::CostTable,
    keys: &samenspel_domain::risk_sharing::KeyTable,
) -> Result<Vec<PoolSettlement>, Vec<String>> {
    use samenspel_domain::risk_sharing::FIXED_KEY;
    let mut problems = Vec::new();
    for (pool, member) in costs.keys() {
        if !pools.iter().any(|p| &p.name == pool) {
            problems.push(format!("pot {pool} staat in de kostentabel maar niet in het model"));
        }
        if !keys.contains_key(member) {
            problems.push(format!("{member} heeft kosten in pot {pool} maar staat niet in de sleuteltabel"));
        }
    }
    let mut settlements = Vec::new();
    for pool in pools {
        let mut members = Vec::new();
        let mut without_key = Vec::new();
        for (member, values) in keys {
            // Without solidarity the key plays no part, so it need not be known.
            let value = match &pool.fixed_shares {
                Some(table) => table.get(member.as_str()),
                None => values.get(&pool.key),
            };
            let weight = match value {
                Some(w) => *w,
                None if pool.solidarity_basis_points == 0 => 0,
                None => {
                    without_key.push(member.to_string());
                    continue;
                }
            };
            let cost = costs.get(&(pool.name.clone(), member.clone())).cloned().unwrap_or_default();
            members.push(MemberInput {
                member: member.to_string(),
                weight: i128::from(weight),
                own_cents: cost.total_cents,
                client_costs: cost.client_cents,
                clients_listed: cost.clients_listed,
            });
        }
        if !without_key.is_empty() {
            problems.push(format!(
                "pot {}: sleutel {} heeft geen waarde voor {}",
                pool.name,
                pool.key,
                without_key.join(", ")
            ));
        }
        for gm in pool.fixed_shares.iter().flat_map(|t| t.keys()) {
            if !keys.keys().any(|m| m.as_str() == gm) {
                problems.push(format!("pot {}: de vaste verdeling noemt {gm}, dat geen lid is", pool.name));
            }
        }
        if pool.key == FIXED_KEY {
            let sum: i128 = members.iter().map(|m| m.weight).sum();
            // Values are in hundredths: 100 % is 10 000.
            if sum != 10_000 {
                problems.push(format!(
                    "pot {}: de vaste percentages tellen op tot {},{:02} %, niet tot 100 %",
                    pool.name,
                    sum / 100,
                    sum % 100
                ));
            }
        }
        if !problems.is_empty() {
            continue;
        }
        let rule = PoolRule {
            name: pool.name.clone(),
            solidarity: pool.solidarity_basis_points,
            key: pool.key.clone(),
            threshold_cents: pool.threshold_cents,
            max_pay_in_cents: pool.max_pay_in_cents,
            max_receive_cents: pool.max_receive_cents,
        };
        match settle(&rule, &members) {
            Ok(s) => settlements.push(s),
            Err(e) => problems.push(e.to_string()),
        }
    }
    if problems.is_empty() {
        Ok(settlements)
    } else {
        Err(problems)
    }
}

/// The models a region compares an agreement with: user pays (no solidarity in any pool) and
/// full solidarity by each key (no threshold, no limits).
pub fn reference_models(
    pools: &[samenspel_domain::risk_sharing::CheckedPool],
    keys: &[String],
) -> Vec<(String, Vec<samenspel_domain::risk_sharing::CheckedPool>)> {
    let mut models = vec![(
        "profijtbeginsel".to_string(),
        pools
            .iter()
            .map(|p| samenspel_domain::risk_sharing::CheckedPool { solidarity_basis_points: 0, ..p.clone() })
            .collect(),
    )];
    for key in keys {
        models.push((
            format!("volledig solidair naar {key}"),
            pools
                .iter()
                .map(|p| samenspel_domain::risk_sharing::CheckedPool {
                    solidarity_basis_points: FULL_SOLIDARITY,
                    key: key.clone(),
                    threshold_cents: None,
                    max_pay_in_cents: None,
                    max_receive_cents: None,
                    fixed_shares: None,
                    ..p.clone()
                })
                .collect(),
        ));
    }
    models
}

/// One model's settlement of every pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelOutcome {
    pub name: String,
    pub pools: Vec<PoolSettlement>,
}

/// A member's line in a comparison: its own cost over all pools, and per model (in the order of
/// `Comparison::models`) its contribution and the difference with its own cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberComparison {
    pub member: String,
    pub own_cents: i64,
    pub contribution_cents: Vec<i64>,
    pub difference_cents: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub models: Vec<ModelOutcome>,
    pub members: Vec<MemberComparison>,
}

/// Settles the agreement and the models it is compared with for one year: user pays, full
/// solidarity by each key in `reference_keys`, the agreement itself, and optionally a proposal
/// with its own cost table (its pools may take other categories or thresholds). The agreement's
/// own problems come first and alone: they are the ones to fix.
pub fn compare(
    agreement: (&str, &[samenspel_domain::risk_sharing::CheckedPool]),
    proposal: Option<(
        &str,
        &[samenspel_domain::risk_sharing::CheckedPool],
        &samenspel_domain::risk_sharing::CostTable,
    )>,
    reference_keys: &[String],
    costs: &samenspel_domain::risk_sharing::CostTable,
    keys: &samenspel_domain::risk_sharing::KeyTable,
) -> Result<Comparison, Vec<String>> {
    settle_agreement(agreement.1, costs, keys)?;
    let mut models: Vec<(String, Vec<samenspel_domain::risk_sharing::CheckedPool>, _)> =
        reference_models(agreement.1, reference_keys).into_iter().map(|(n, p)| (n, p, costs)).collect();
    models.push((agreement.0.to_string(), agreement.1.to_vec(), costs));
    if let Some((name, pools, proposal_costs)) = proposal {
        models.push((name.to_string(), pools.to_vec(), proposal_costs));
    }
    let mut outcomes = Vec::new();
    let mut problems = Vec::new();
    for (name, pools, costs) in models {
        match settle_agreement(&pools, costs, keys) {
            Ok(settled) => outcomes.push(ModelOutcome { name, pools: settled }),
            Err(found) => problems.extend(found.into_iter().map(|p| format!("{name}: {p}"))),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut members: BTreeMap<String, MemberComparison> = BTreeMap::new();
    for (i, outcome) in outcomes.iter().enumerate() {
        for pool in &outcome.pools {
            for m in &pool.members {
                let line = members.entry(m.member.clone()).or_insert_with(|| MemberComparison {
                    member: m.member.clone(),
                    own_cents: 0,
                    contribution_cents: vec![0; outcomes.len()],
                    difference_cents: vec![0; outcomes.len()],
                });
                if i == 0 {
                    line.own_cents += m.own_cents;
                }
                line.contribution_cents[i] += m.contribution_cents;
                line.difference_cents[i] += m.difference_cents;
            }
        }
    }
    Ok(Comparison { models: outcomes, members: members.into_values().collect() })
}

/// The key a fixed table becomes when members leave: the others' percentages, which no longer
/// add up to 100 %, shared out in proportion.
pub const FIXED_WITHOUT_LEAVERS: &str = "vast, herverdeeld";

/// The region without the members that leave: their costs and key values go, and a fixed table
/// is shared out over those who stay in proportion to their percentages.
pub fn without_members(
    pools: &[samenspel_domain::risk_sharing::CheckedPool],
    costs: &samenspel_domain::risk_sharing::CostTable,
    keys: &samenspel_domain::risk_sharing::KeyTable,
    leaving: &[String],
) -> (
    Vec<samenspel_domain::risk_sharing::CheckedPool>,
    samenspel_domain::risk_sharing::CostTable,
    samenspel_domain::risk_sharing::KeyTable,
) {
    use samenspel_domain::risk_sharing::FIXED_KEY;
    let leaves = |m: &str| leaving.iter().any(|l| l == m);
    let costs = costs.iter().filter(|((_, m), _)| !leaves(m.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut keys: samenspel_domain::risk_sharing::KeyTable =
        keys.iter().filter(|(m, _)| !leaves(m.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut adjusted = Vec::new();
    for (i, pool) in pools.iter().enumerate() {
        if pool.key != FIXED_KEY {
            adjusted.push(pool.clone());
            continue;
        }
        // Each pool its own column: two pools may have different fixed tables.
        let column = format!("{FIXED_WITHOUT_LEAVERS} {}", i + 1);
        for (member, values) in keys.iter_mut() {
            let share = match &pool.fixed_shares {
                Some(table) => table.get(member.as_str()).copied(),
                None => values.get(FIXED_KEY).copied(),
            };
            if let Some(share) = share {
                values.insert(column.clone(), share);
            }
        }
        adjusted.push(samenspel_domain::risk_sharing::CheckedPool { key: column, fixed_shares: None, ..pool.clone() });
    }
    (adjusted, costs, keys)
}

/// Percentage with two decimals in Dutch notation, for explanations.
fn percent(numerator: i128, denominator: i128) -> String {
    if denominator == 0 {
        return "0,00 %".into();
    }
    let hundredths = (numerator * 10_000 + denominator / 2) / denominator;
    format!("{},{:02} %", hundredths / 100, hundredths % 100)
}

fn euro(cents: i64) -> String {
    samenspel_domain::Cents(cents).to_string()
}

impl MemberSettlement {
    /// The member's figure in a sentence a council member can follow.
    pub fn explanation(&self, settlement: &PoolSettlement) -> String {
        let rule = &settlement.rule;
        let alpha = percent(i128::from(rule.solidarity), i128::from(FULL_SOLIDARITY));
        let mut parts = vec![format!("Eigen kosten in pot {}: {}.", rule.name, euro(self.own_cents))];
        if let Some(t) = rule.threshold_cents {
            parts.push(format!(
                "Tot {} per cliënt blijft voor eigen rekening ({}); daarboven gaat {} de pot in.",
                euro(t),
                euro(self.kept_cents),
                euro(self.pooled_own_cents)
            ));
        }
        parts.push(format!(
            "Van de pot ({}) wordt {alpha} solidair verdeeld naar {}: aandeel {} = {}.",
            euro(settlement.pooled_cents),
            rule.key,
            percent(self.weight, settlement.total_weight),
            euro(self.solidarity_cents)
        ));
        parts.push(format!("Het overige deel betaalt ieder naar eigen gebruik: {}.", euro(self.user_pays_cents)));
        match self.held {
            Some(Held::PayIn) => parts.push(format!(
                "Het maximum voor bijdragen ({}) geldt: {} minder.",
                euro(rule.max_pay_in_cents.unwrap_or(0)),
                euro(-self.limit_cents)
            )),
            Some(Held::Receive) => parts.push(format!(
                "Het maximum voor ontvangen ({}) geldt: {} minder ontvangen.",
                euro(rule.max_receive_cents.unwrap_or(0)),
                euro(self.limit_cents)
            )),
            None if self.limit_cents != 0 => parts.push(format!(
                "Door de maxima van anderen: {} {}.",
                if self.limit_cents > 0 { "meer" } else { "minder" },
                euro(self.limit_cents.abs())
            )),
            None => {}
        }
        parts.push(format!(
            "Bijdrage {}: {} {}.",
            euro(self.contribution_cents),
            if self.difference_cents >= 0 { "betaalt in" } else { "ontvangt" },
            euro(self.difference_cents.abs())
        ));
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule(solidarity: u32) -> PoolRule {
        PoolRule {
            name: "overig".into(),
            solidarity,
            key: "inwoners".into(),
            threshold_cents: None,
            max_pay_in_cents: None,
            max_receive_cents: None,
        }
    }

    fn member(name: &str, weight: i128, own: i64) -> MemberInput {
        MemberInput { member: name.into(), weight, client_costs: vec![], own_cents: own, clients_listed: false }
    }

    fn differences(s: &PoolSettlement) -> Vec<i64> {
        s.members.iter().map(|m| m.difference_cents).collect()
    }

    /// Worked example (docs/verevening.md): three members, € 1.000.000 in the pool.
    #[test]
    fn half_solidarity_by_inhabitants() {
        let members =
            [member("A", 60_000, 70_000_000), member("B", 30_000, 20_000_000), member("C", 10_000, 10_000_000)];
        let s = settle(&rule(5_000), &members).unwrap();
        // Key shares 60/30/10 % of € 500.000 solidarity; € 500.000 back by own cost 70/20/10 %.
        let solidarity: Vec<i64> = s.members.iter().map(|m| m.solidarity_cents).collect();
        let user_pays: Vec<i64> = s.members.iter().map(|m| m.user_pays_cents).collect();
        assert_eq!(solidarity, [30_000_000, 15_000_000, 5_000_000]);
        assert_eq!(user_pays, [35_000_000, 10_000_000, 5_000_000]);
        assert_eq!(differences(&s), [-5_000_000, 5_000_000, 0]);
    }

    #[test]
    fn threshold_pools_only_the_expensive_part() {
        let rule = PoolRule { threshold_cents: Some(10_000_000), ..rule(FULL_SOLIDARITY) };
        let members = [
            MemberInput {
                member: "A".into(),
                weight: 1,
                client_costs: vec![25_000_000, 1_000_000],
                own_cents: 26_000_000,
                clients_listed: true,
            },
            // Only the clients above the threshold listed: the rest of the cost is kept.
            MemberInput {
                member: "B".into(),
                weight: 1,
                client_costs: vec![],
                own_cents: 2_000_000,
                clients_listed: true,
            },
        ];
        let s = settle(&rule, &members).unwrap();
        // A keeps 10M + 1M, pools 15M; B keeps 2M; the 15M are shared half and half.
        assert_eq!(s.pooled_cents, 15_000_000);
        assert_eq!(s.members[0].kept_cents, 11_000_000);
        assert_eq!(s.members[0].contribution_cents, 18_500_000);
        assert_eq!(s.members[1].contribution_cents, 9_500_000);
        let text = s.members[1].explanation(&s);
        assert!(text.contains("betaalt in € 75.000,00"), "{text}");
    }

    #[test]
    fn a_cap_holds_a_member_and_the_others_carry_the_excess() {
        let rule = PoolRule { max_pay_in_cents: Some(1_000_000), ..rule(FULL_SOLIDARITY) };
        let members = [member("A", 50, 0), member("B", 25, 0), member("C", 25, 10_000_000)];
        let s = settle(&rule, &members).unwrap();
        // Unlimited: A pays in 5M, B 2.5M, C receives 7.5M. A and B are held at 1M; the 5.5M
        // they no longer carry falls to C, the only member not held: C receives 2M.
        assert_eq!(s.members[0].held, Some(Held::PayIn));
        assert_eq!(s.members[0].difference_cents, 1_000_000);
        assert_eq!(s.members[1].difference_cents, 1_000_000);
        assert_eq!(s.members[2].difference_cents, -2_000_000);
        assert_eq!(differences(&s).iter().sum::<i64>(), 0);
    }

    #[test]
    fn limits_nobody_can_carry_are_refused() {
        // Held at a limit on both sides, the two balance out: user pays.
        let both = PoolRule { max_pay_in_cents: Some(0), max_receive_cents: Some(0), ..rule(FULL_SOLIDARITY) };
        let s = settle(&both, &[member("A", 1, 0), member("B", 1, 10_000)]).unwrap();
        assert_eq!(differences(&s), [0, 0]);
        // A may not pay in, and B, the only other, has no key to carry it by.
        let pay_in = PoolRule { max_pay_in_cents: Some(0), ..rule(FULL_SOLIDARITY) };
        let err = settle(&pay_in, &[member("A", 1, 0), member("B", 0, 10_000)]).unwrap_err();
        assert_eq!(err, SettlementError::LimitsTooTight { pool: "overig".into(), left_cents: 10_000 });
    }

    #[test]
    fn bad_input_names_the_pool_and_member() {
        assert!(matches!(settle(&rule(10_001), &[]), Err(SettlementError::Solidarity { .. })));
        let err = settle(&rule(5_000), &[member("GM0518", 1, -5)]).unwrap_err();
        assert_eq!(err.to_string(), "pot overig: de eigen kosten van GM0518 is negatief");
        let err = settle(&rule(5_000), &[member("A", 0, 5), member("B", 0, 5)]).unwrap_err();
        assert_eq!(err, SettlementError::NoKey { pool: "overig".into() });
        let with_threshold = PoolRule { threshold_cents: Some(100), ..rule(5_000) };
        assert!(matches!(settle(&with_threshold, &[member("A", 1, 5)]), Err(SettlementError::NoClientCosts { .. })));
        let zero = PoolRule { threshold_cents: Some(0), ..rule(5_000) };
        assert!(matches!(settle(&zero, &[]), Err(SettlementError::Threshold { .. })));
    }

    /// Three members, one pool: inhabitants 50/30/20, own costs 100/0/0 euros.
    fn tables() -> (samenspel_domain::risk_sharing::CostTable, samenspel_domain::risk_sharing::KeyTable) {
        use samenspel_domain::risk_sharing::PoolCosts;
        use samenspel_domain::MunicipalityCode;
        let gm = |s: &str| MunicipalityCode::parse(s).unwrap();
        let mut costs = samenspel_domain::risk_sharing::CostTable::new();
        costs.insert(("pot".into(), gm("GM0518")), PoolCosts { total_cents: 10_000, ..PoolCosts::default() });
        let mut keys = samenspel_domain::risk_sharing::KeyTable::new();
        for (code, inhabitants) in [("GM0518", 50), ("GM0503", 30), ("GM1842", 20)] {
            keys.insert(gm(code), BTreeMap::from([("inwoners".to_string(), inhabitants * 100)]));
        }
        (costs, keys)
    }

    fn pool(solidarity: u32, key: &str) -> samenspel_domain::risk_sharing::CheckedPool {
        samenspel_domain::risk_sharing::CheckedPool {
            name: "pot".into(),
            solidarity_basis_points: solidarity,
            key: key.into(),
            threshold_cents: None,
            max_pay_in_cents: None,
            max_receive_cents: None,
            fixed_shares: None,
        }
    }

    #[test]
    fn a_comparison_settles_every_model_and_adds_up() {
        let (costs, keys) = tables();
        let agreement = [pool(5_000, "inwoners")];
        let proposal = [pool(10_000, "inwoners")];
        let c = compare(
            ("afspraak", &agreement),
            Some(("voorstel", &proposal, &costs)),
            &["inwoners".into()],
            &costs,
            &keys,
        )
        .unwrap();
        let names: Vec<&str> = c.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["profijtbeginsel", "volledig solidair naar inwoners", "afspraak", "voorstel"]);
        // Members in code order: GM0503, GM0518, GM1842. Half of € 100 by inhabitants.
        let gm0518 = &c.members[1];
        assert_eq!(gm0518.own_cents, 10_000);
        assert_eq!(gm0518.difference_cents, [0, -5_000, -2_500, -5_000]);
        assert_eq!(c.members[0].difference_cents, [0, 3_000, 1_500, 3_000]);
        for i in 0..c.models.len() {
            assert_eq!(c.members.iter().map(|m| m.difference_cents[i]).sum::<i64>(), 0);
            assert_eq!(c.members.iter().map(|m| m.contribution_cents[i]).sum::<i64>(), 10_000);
        }
        // The agreement's own problems come alone, without the models' prefixes.
        let broken = [pool(5_000, "jeugdigen")];
        let problems = compare(("afspraak", &broken), None, &[], &costs, &keys).unwrap_err();
        assert_eq!(problems, ["pot pot: sleutel jeugdigen heeft geen waarde voor GM0503, GM0518, GM1842"]);
    }

    #[test]
    fn leaving_members_take_their_costs_and_a_fixed_table_is_shared_out() {
        let (costs, keys) = tables();
        let fixed = samenspel_domain::risk_sharing::CheckedPool {
            fixed_shares: Some(
                [("GM0518", 5_000), ("GM0503", 3_000), ("GM1842", 2_000)].map(|(g, b)| (g.to_string(), b)).into(),
            ),
            ..pool(10_000, samenspel_domain::risk_sharing::FIXED_KEY)
        };
        // GM0503 leaves: GM0518 (50) and GM1842 (20) share € 100 as 5/7 and 2/7.
        let (pools, costs, keys) = without_members(&[fixed], &costs, &keys, &["GM0503".into()]);
        assert_eq!(keys.len(), 2);
        let settled = settle_agreement(&pools, &costs, &keys).unwrap();
        let contributions: Vec<i64> = settled[0].members.iter().map(|m| m.contribution_cents).collect();
        assert_eq!(contributions, [7_143, 2_857]);
        // The member with the costs leaving leaves nothing to share.
        let (costs, keys) = tables();
        let (pools, costs, keys) = without_members(&[pool(5_000, "inwoners")], &costs, &keys, &["GM0518".into()]);
        let settled = settle_agreement(&pools, &costs, &keys).unwrap();
        assert!(settled[0].members.iter().all(|m| m.contribution_cents == 0));
    }

    #[test]
    fn an_agreements_own_fixed_table_is_the_key() {
        let (costs, keys) = tables();
        let fixed = |shares: &[(&str, i64)]| samenspel_domain::risk_sharing::CheckedPool {
            fixed_shares: Some(shares.iter().map(|(g, b)| (g.to_string(), *b)).collect()),
            ..pool(10_000, samenspel_domain::risk_sharing::FIXED_KEY)
        };
        let settled =
            settle_agreement(&[fixed(&[("GM0518", 2_500), ("GM0503", 2_500), ("GM1842", 5_000)])], &costs, &keys)
                .unwrap();
        let contributions: Vec<i64> = settled[0].members.iter().map(|m| m.contribution_cents).collect();
        assert_eq!(contributions, [2_500, 2_500, 5_000]);
        let problems =
            settle_agreement(&[fixed(&[("GM0518", 5_000), ("GM0503", 4_000), ("GM0637", 1_000)])], &costs, &keys)
                .unwrap_err();
        assert!(problems.contains(&"pot pot: sleutel vast heeft geen waarde voor GM1842".to_string()), "{problems:?}");
        assert!(problems.contains(&"pot pot: de vaste verdeling noemt GM0637, dat geen lid is".to_string()));
    }

    fn members_strategy() -> impl Strategy<Value = Vec<MemberInput>> {
        proptest::collection::vec((0i128..5_000_000, proptest::collection::vec(0i64..50_000_000, 0..6)), 1..25)
            .prop_map(|ms| {
                ms.into_iter()
                    .enumerate()
                    .map(|(i, (weight, client_costs))| MemberInput {
                        member: format!("M{i}"),
                        weight,
                        own_cents: client_costs.iter().sum(),
                        client_costs,
                        clients_listed: true,
                    })
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn every_column_adds_up(members in members_strategy(), alpha in 0u32..=10_000,
                                threshold in proptest::option::of(1i64..20_000_000),
                                pay_in in proptest::option::of(0i64..20_000_000),
                                receive in proptest::option::of(0i64..20_000_000)) {
            prop_assume!(members.iter().any(|m| m.weight > 0));
            let rule = PoolRule { threshold_cents: threshold, max_pay_in_cents: pay_in, max_receive_cents: receive, ..rule(alpha) };
            match settle(&rule, &members) {
                Ok(s) => {
                    let own: i64 = s.members.iter().map(|m| m.own_cents).sum();
                    prop_assert_eq!(own, s.total_cents);
                    prop_assert_eq!(s.members.iter().map(|m| m.contribution_cents).sum::<i64>(), s.total_cents);
                    prop_assert_eq!(s.members.iter().map(|m| m.difference_cents).sum::<i64>(), 0);
                    prop_assert_eq!(s.members.iter().map(|m| m.solidarity_cents + m.user_pays_cents).sum::<i64>(), s.pooled_cents);
                    for m in &s.members {
                        prop_assert_eq!(m.contribution_cents, m.kept_cents + m.user_pays_cents + m.solidarity_cents + m.limit_cents);
                        if let Some(cap) = pay_in { prop_assert!(m.difference_cents <= cap); }
                        if let Some(cap) = receive { prop_assert!(-m.difference_cents <= cap); }
                        if m.weight == 0 { prop_assert_eq!(m.solidarity_cents, 0); }
                    }
                }
                // Refused only when the limits leave money nobody can carry.
                Err(e) => prop_assert!(matches!(e, SettlementError::LimitsTooTight { .. }), "{e:?}"),
            }
        }

        #[test]
        fn no_solidarity_is_user_pays_and_full_is_the_key(members in members_strategy()) {
            prop_assume!(members.iter().any(|m| m.weight > 0));
            let user_pays = settle(&rule(0), &members).unwrap();
            prop_assert!(user_pays.members.iter().all(|m| m.difference_cents == 0));
            let full = settle(&rule(FULL_SOLIDARITY), &members).unwrap();
            let weights: Vec<i128> = members.iter().map(|m| m.weight).collect();
            let by_key = split(full.total_cents, &weights).unwrap();
            prop_assert_eq!(full.members.iter().map(|m| m.contribution_cents).collect::<Vec<_>>(), by_key);
        }
    }
}
