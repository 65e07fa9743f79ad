//! Signals for contract management: providers whose price per client or whose growth is far
//! from the regional pattern. A signal is a prompt for a conversation, not a verdict: a
//! provider with heavier cases has a higher price per client for good reasons.
//!
//! "Far" is measured robustly, so one extreme provider cannot hide another: the modified
//! z-score of Iglewicz and Hoaglin, 0.6745 × (x − median) / MAD, flagged above 3.5, and only
//! when the difference is also material (at least 25 % from the median).

use serde::Serialize;

pub const THRESHOLD: f64 = 3.5;
pub const MATERIAL: f64 = 0.25;

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Modified z-scores of values around their median (infinite where MAD is 0 and x differs).
fn robust_scores(values: &[f64]) -> (f64, Vec<f64>) {
    let med = median(&sorted(values.iter().copied()));
    let mad = median(&sorted(values.iter().map(|x| (x - med).abs())));
    let scores = values
        .iter()
        .map(|x| {
            if mad > 0.0 {
                0.6745 * (x - med) / mad
            } else if (x - med).abs() > f64::EPSILON {
                f64::INFINITY.copysign(x - med)
            } else {
                0.0
            }
        })
        .collect();
    (med, scores)
}

/// A provider's money and clients in one product category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceFigure {
    pub provider_id: i64,
    pub category: String,
    pub amount_cents: i64,
    pub clients: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceSignal {
    pub provider_id: i64,
    pub category: String,
    pub price_per_client_cents: i64,
    pub median_cents: i64,
    pub clients: i64,
    /// Price per client relative to the median (1.0 = the median).
    pub ratio: f64,
    pub score: f64,
}

/// Providers whose price per client in a category is far from the other providers'. Only
/// providers with at least `min_clients` clients count, and only categories with at least four
/// such providers: fewer make no pattern.
pub fn price_per_client(figures: &[PriceFigure], min_clients: i64) -> Vec<PriceSignal> {
    let mut categories: Vec<&str> = figures.iter().map(|f| f.category.as_str()).collect();
    categories.sort_unstable();
    categories.dedup();
    let mut out = Vec::new();
    for category in categories {
        let group: Vec<&PriceFigure> =
            figures.iter().filter(|f| f.category == category && f.clients >= min_clients && f.clients > 0).collect();
        if group.len() < 4 {
            continue;
        }
        let prices: Vec<f64> = group.iter().map(|f| f.amount_cents as f64 / f.clients as f64).collect();
        let (med, scores) = robust_scores(&prices);
        for ((f, price), score) in group.iter().zip(&prices).zip(scores) {
            let ratio = if med > 0.0 { price / med } else { 1.0 };
            if score.abs() > THRESHOLD && (ratio - 1.0).abs() >= MATERIAL {
                out.push(PriceSignal {
                    provider_id: f.provider_id,
                    category: category.to_string(),
                    price_per_client_cents: price.round() as i64,
                    median_cents: med.round() as i64,
                    clients: f.clients,
                    ratio,
                    score,
                });
            }
        }
    }
    out.sort_by(|a, b| b.score.abs().total_cmp(&a.score.abs()));
    out
}

/// A provider's spend in two equally long periods, one after the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrowthFigure {
    pub provider_id: i64,
    pub before_cents: i64,
    pub after_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrowthSignal {
    pub provider_id: i64,
    pub before_cents: i64,
    pub after_cents: i64,
    pub growth: f64,
    pub regional_growth: f64,
    pub score: f64,
}

/// Providers whose growth is far from the region's. Providers below `min_before` in the first
/// period are left out: from a small base every change looks large.
pub fn growth(figures: &[GrowthFigure], min_before: i64) -> Vec<GrowthSignal> {
    let group: Vec<&GrowthFigure> = figures.iter().filter(|f| f.before_cents >= min_before.max(1)).collect();
    if group.len() < 4 {
        return Vec::new();
    }
    let before: i64 = group.iter().map(|f| f.before_cents).sum();
    let after: i64 = group.iter().map(|f| f.after_cents).sum();
    let regional = after as f64 / before as f64 - 1.0;
    let growths: Vec<f64> = group.iter().map(|f| f.after_cents as f64 / f.before_cents as f64 - 1.0).collect();
    let (_, scores) = robust_scores(&growths);
    let mut out: Vec<GrowthSignal> = group
        .iter()
        .zip(&growths)
        .zip(scores)
        .filter(|((_, g), score)| score.abs() > THRESHOLD && (**g - regional).abs() >= MATERIAL)
        .map(|((f, g), score)| GrowthSignal {
            provider_id: f.provider_id,
            before_cents: f.before_cents,
            after_cents: f.after_cents,
            growth: *g,
            regional_growth: regional,
            score,
        })
        .collect();
    out.sort_by(|a, b| b.score.abs().total_cmp(&a.score.abs()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn price(provider_id: i64, amount: i64, clients: i64) -> PriceFigure {
        PriceFigure { provider_id, category: "45".into(), amount_cents: amount, clients }
    }

    #[test]
    fn one_provider_far_above_the_others_is_a_signal() {
        let figures = vec![
            price(1, 1_000_000, 10),
            price(2, 1_100_000, 10),
            price(3, 950_000, 10),
            price(4, 1_050_000, 10),
            price(5, 3_000_000, 10),
            // Too few clients to count.
            price(6, 9_000_000, 2),
        ];
        let signals = price_per_client(&figures, 5);
        assert_eq!(signals.len(), 1);
        let s = &signals[0];
        assert_eq!((s.provider_id, s.price_per_client_cents, s.median_cents), (5, 300_000, 105_000));
        assert!(s.ratio > 2.8 && s.score > THRESHOLD);
        // Three providers make no pattern.
        assert!(price_per_client(&figures[2..5], 5).is_empty());
    }

    #[test]
    fn small_differences_are_no_signal_even_when_the_others_agree() {
        let figures = vec![price(1, 100_000, 10), price(2, 100_000, 10), price(3, 100_000, 10), price(4, 110_000, 10)];
        assert!(price_per_client(&figures, 5).is_empty());
    }

    #[test]
    fn growth_far_from_the_region() {
        let g = |id, before, after| GrowthFigure { provider_id: id, before_cents: before, after_cents: after };
        let figures = vec![
            g(1, 1_000_000, 1_050_000),
            g(2, 2_000_000, 2_100_000),
            g(3, 1_500_000, 1_530_000),
            g(4, 1_200_000, 1_300_000),
            g(5, 1_000_000, 2_400_000),
            g(6, 1_000, 50_000),
        ];
        let signals = growth(&figures, 100_000);
        assert_eq!(signals.iter().map(|s| s.provider_id).collect::<Vec<_>>(), vec![5]);
        assert!((signals[0].growth - 1.4).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn never_panics_and_flags_only_material_outliers(
            rows in proptest::collection::vec((0i64..50_000_000, 0i64..200), 0..30),
        ) {
            let figures: Vec<PriceFigure> = rows.iter().enumerate().map(|(i, (a, c))| price(i as i64, *a, *c)).collect();
            for s in price_per_client(&figures, 5) {
                prop_assert!((s.ratio - 1.0).abs() >= MATERIAL && s.clients >= 5);
            }
            let growth_rows: Vec<GrowthFigure> = rows
                .iter()
                .enumerate()
                .map(|(i, (a, c))| GrowthFigure { provider_id: i as i64, before_cents: *a, after_cents: a + c * 1000 })
                .collect();
            for s in growth(&growth_rows, 1) {
                prop_assert!((s.growth - s.regional_growth).abs() >= MATERIAL);
            }
        }
    }
}
