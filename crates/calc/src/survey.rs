//! The statistics of collaboration-health questionnaires (issue 7): Likert answers scored with
//! reverse items, a group's mean with its 95 % confidence interval, Cronbach's alpha per
//! dimension, and whether a decline between two rounds is larger than the noise. Pure functions
//! on answers; no group under [`MIN_GROUP`] respondents gets a figure.
//!
//! A decline is flagged when both rounds have at least [`MIN_GROUP`] respondents, the mean fell
//! by at least [`MIN_DECLINE`] scale points (smaller shifts do not matter in practice), and
//! Welch's one-sided t-test says the fall is unlikely to be chance (t below the 5 % critical
//! value for the Welch–Satterthwaite degrees of freedom).

use serde::Serialize;

/// No figure for a group smaller than this: it could be traced back to people.
pub const MIN_GROUP: usize = 5;

/// The smallest fall in a mean, in scale points, that is worth a warning.
pub const MIN_DECLINE: f64 = 0.25;

/// A Likert answer as scored: reverse-scored items count from the other end (`points + 1 − x`).
/// `None` for an answer outside 1..=points.
pub fn score(answer: u8, points: u8, reverse: bool) -> Option<f64> {
    if answer == 0 || answer > points {
        return None;
    }
    Some(f64::from(if reverse { points + 1 - answer } else { answer }))
}

/// A group's figure: mean and its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n − 1).
    pub sd: f64,
    pub low: f64,
    pub high: f64,
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample variance (n − 1); 0 for fewer than two values.
fn variance(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64
}

/// The mean of respondents' scores with its 95 % interval (Student's t), or `None` under
/// [`MIN_GROUP`] respondents or for values that are not finite.
pub fn estimate(scores: &[f64]) -> Option<Estimate> {
    if scores.len() < MIN_GROUP || scores.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let n = scores.len();
    let m = mean(scores);
    let sd = variance(scores).sqrt();
    let half = t_quantile(Tail::TwoSided95, (n - 1) as f64) * sd / (n as f64).sqrt();
    Some(Estimate { n, mean: m, sd, low: m - half, high: m + half })
}

/// Cronbach's alpha of a dimension: rows are respondents, columns its items (scored). Only
/// complete rows count. `None` with fewer than two items, fewer than [`MIN_GROUP`] complete
/// rows, or no variance in the totals.
pub fn cronbach_alpha(rows: &[Vec<Option<f64>>]) -> Option<f64> {
    let k = rows.first()?.len();
    if k < 2 {
        return None;
    }
    let complete: Vec<Vec<f64>> = rows
        .iter()
        .filter(|r| r.len() == k && r.iter().all(|x| x.is_some_and(f64::is_finite)))
        .map(|r| r.iter().map(|x| x.unwrap_or(0.0)).collect())
        .collect();
    if complete.len() < MIN_GROUP {
        return None;
    }
    let item_variance: f64 = (0..k).map(|i| variance(&complete.iter().map(|r| r[i]).collect::<Vec<f64>>())).sum();
    let totals: Vec<f64> = complete.iter().map(|r| r.iter().sum()).collect();
    let total_variance = variance(&totals);
    if total_variance <= 0.0 {
        return None;
    }
    let k = k as f64;
    Some(k / (k - 1.0) * (1.0 - item_variance / total_variance))
}

/// How a round compares with the one before.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    pub difference: f64,
    /// Welch's t and its degrees of freedom.
    pub t: f64,
    pub df: f64,
    /// One-sided p-value for a fall: P(T ≤ t).
    pub p: f64,
    /// Larger than the noise and than [`MIN_DECLINE`]: worth a warning.
    pub decline: bool,
}

/// Compares a round with the round before (Welch's t-test, one-sided for a fall at 5 %).
/// `None` when either round has fewer than [`MIN_GROUP`] respondents.
pub fn change(before: &[f64], after: &[f64]) -> Option<Change> {
    let (a, b) = (estimate(before)?, estimate(after)?);
    let (va, vb) = (a.sd * a.sd / a.n as f64, b.sd * b.sd / b.n as f64);
    let difference = b.mean - a.mean;
    let se2 = va + vb;
    if se2 <= 0.0 {
        // No spread at all: any fall is real.
        let t = if difference == 0.0 { 0.0 } else { f64::INFINITY.copysign(difference) };
        let df = (a.n + b.n - 2) as f64;
        return Some(Change { difference, t, df, p: t_cdf(t, df), decline: difference <= -MIN_DECLINE });
    }
    let t = difference / se2.sqrt();
    let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let decline = difference <= -MIN_DECLINE && t < -t_quantile(Tail::OneSided95, df);
    Some(Change { difference, t, df, p: t_cdf(t, df), decline })
}

/// Which quantile of Student's t.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    /// t(0.975): the half-width of a two-sided 95 % interval.
    TwoSided95,
    /// t(0.95): a one-sided test at 5 %.
    OneSided95,
}

/// Degrees of freedom and the two quantiles, from the standard tables.
const T_TABLE: [(f64, f64, f64); 34] = [
    (1.0, 12.706, 6.314),
    (2.0, 4.303, 2.920),
    (3.0, 3.182, 2.353),
    (4.0, 2.776, 2.132),
    (5.0, 2.571, 2.015),
    (6.0, 2.447, 1.943),
    (7.0, 2.365, 1.895),
    (8.0, 2.306, 1.860),
    (9.0, 2.262, 1.833),
    (10.0, 2.228, 1.812),
    (11.0, 2.201, 1.796),
    (12.0, 2.179, 1.782),
    (13.0, 2.160, 1.771),
    (14.0, 2.145, 1.761),
    (15.0, 2.131, 1.753),
    (16.0, 2.120, 1.746),
    (17.0, 2.110, 1.740),
    (18.0, 2.101, 1.734),
    (19.0, 2.093, 1.729),
    (20.0, 2.086, 1.725),
    (21.0, 2.080, 1.721),
    (22.0, 2.074, 1.717),
    (23.0, 2.069, 1.714),
    (24.0, 2.064, 1.711),
    (25.0, 2.060, 1.708),
    (26.0, 2.056, 1.706),
    (27.0, 2.052, 1.703),
    (28.0, 2.048, 1.701),
    (29.0, 2.045, 1.699),
    (30.0, 2.042, 1.697),
    (40.0, 2.021, 1.684),
    (60.0, 2.000, 1.671),
    (120.0, 1.980, 1.658),
    (f64::INFINITY, 1.960, 1.645),
];

/// Student's t quantile for (possibly fractional) degrees of freedom: the table, interpolated
/// linearly in 1/df between its rows (exact at the rows, within 0,002 between them).
pub fn t_quantile(tail: Tail, df: f64) -> f64 {
    let pick = |row: &(f64, f64, f64)| if tail == Tail::TwoSided95 { row.1 } else { row.2 };
    if df.is_nan() || df < 1.0 {
        return pick(&T_TABLE[0]);
    }
    let upper = T_TABLE.iter().position(|row| row.0 >= df).unwrap_or(T_TABLE.len() - 1);
    if upper == 0 || T_TABLE[upper].0 == df {
        return pick(&T_TABLE[upper]);
    }
    let (lo, hi) = (&T_TABLE[upper - 1], &T_TABLE[upper]);
    let inv = |d: f64| if d.is_infinite() { 0.0 } else { 1.0 / d };
    let share = (inv(lo.0) - inv(df)) / (inv(lo.0) - inv(hi.0));
    pick(lo) + share * (pick(hi) - pick(lo))
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7; relative error below 1e-13).
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = C[1..].iter().enumerate().fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularised incomplete beta function I_x(a, b), by its continued fraction (modified
/// Lentz), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - incomplete_beta(1.0 - x, b, a);
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp() / a;
    let tiny = 1e-300;
    let (mut c, mut d) = (1.0, 1.0 - (a + b) * x / (a + 1.0));
    d = if d.abs() < tiny { tiny } else { d };
    d = 1.0 / d;
    let mut f = d;
    for m in 1..300 {
        let m = f64::from(m);
        for numerator in [
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + numerator * d;
            d = if d.abs() < tiny { tiny } else { d };
            c = 1.0 + numerator / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            f *= c * d;
        }
        if (c * d - 1.0).abs() < 1e-14 {
            break;
        }
    }
    front * f
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom (df may be fractional, as Welch's is).
pub fn t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 1.0 } else { 0.0 };
    }
    let lower = 0.5 * incomplete_beta(df / (df + t * t), df / 2.0, 0.5);
    if t < 0.0 {
        lower
    } else {
        1.0 - lower
    }
}

/// Which of several one-sided tests stay significant at `level` when they are read together:
/// the Benjamini–Hochberg step-up procedure, which keeps the expected share of false alarms
/// among the flagged ones at `level`.
pub fn benjamini_hochberg(p_values: &[f64], level: f64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..p_values.len()).filter(|&i| p_values[i].is_finite()).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let m = order.len() as f64;
    let cut = order.iter().enumerate().rev().find(|(rank, &i)| p_values[i] <= (*rank as f64 + 1.0) / m * level);
    let mut out = vec![false; p_values.len()];
    if let Some((rank, _)) = cut {
        for &i in &order[..=rank] {
            out[i] = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_t_distribution_agrees_with_the_table() {
        for &(df, two, one) in &T_TABLE[..33] {
            assert!((t_cdf(-one, df) - 0.05).abs() < 5e-4, "df {df}: {}", t_cdf(-one, df));
            assert!((t_cdf(two, df) - 0.975).abs() < 5e-4, "df {df}: {}", t_cdf(two, df));
        }
        assert!((t_cdf(0.0, 7.3) - 0.5).abs() < 1e-12);
        assert!((t_cdf(-1.645, 1e7) - 0.05).abs() < 1e-3);
        assert_eq!(t_cdf(f64::NEG_INFINITY, 4.0), 0.0);
    }

    #[test]
    fn benjamini_hochberg_flags_the_step_up_set() {
        // Sorted: 0.001 ≤ 0.0125, 0.012 ≤ 0.025, 0.03 ≤ 0.0375 (the largest passing rank), 0.9.
        let flagged = benjamini_hochberg(&[0.03, 0.001, 0.9, 0.012], 0.05);
        assert_eq!(flagged, [true, true, false, true]);
        assert_eq!(benjamini_hochberg(&[0.2, 0.3], 0.05), [false, false]);
        assert!(benjamini_hochberg(&[], 0.05).is_empty());
    }

    #[test]
    fn reverse_items_count_from_the_other_end() {
        assert_eq!(score(2, 7, true), Some(6.0));
        assert_eq!(score(2, 7, false), Some(2.0));
        assert_eq!(score(5, 5, true), Some(1.0));
        assert_eq!(score(0, 5, false), None);
        assert_eq!(score(6, 5, false), None);
    }

    #[test]
    fn small_groups_get_no_figure() {
        assert!(estimate(&[4.0, 5.0, 3.0, 4.0]).is_none());
        let e = estimate(&[4.0, 5.0, 3.0, 4.0, 4.0]).unwrap();
        assert!((e.mean - 4.0).abs() < 1e-12);
        // sd = sqrt(0.5); half-width = 2.776 · sqrt(0.5) / sqrt(5)
        assert!((e.high - e.mean - 2.776 * 0.5f64.sqrt() / 5f64.sqrt()).abs() < 1e-9, "{e:?}");
    }

    #[test]
    fn alpha_of_known_cases() {
        // Parallel items (every item the same answer) hold perfectly: alpha 1.
        let same: Vec<Vec<Option<f64>>> = [3.0, 4.0, 2.0, 5.0, 3.0, 1.0].iter().map(|x| vec![Some(*x); 3]).collect();
        assert!((cronbach_alpha(&same).unwrap() - 1.0).abs() < 1e-12, "parallel items hold perfectly");
        // Items that cancel out leave no variance in the totals: no alpha.
        let unrelated = vec![
            vec![Some(1.0), Some(5.0)],
            vec![Some(5.0), Some(1.0)],
            vec![Some(1.0), Some(5.0)],
            vec![Some(5.0), Some(1.0)],
            vec![Some(3.0), Some(3.0)],
        ];
        assert!(cronbach_alpha(&unrelated).is_none(), "no variance in the totals");
        // A known value: k = 2, items (1,2),(2,3),(3,3),(4,5),(5,4): var1 2.5, var2 1.3,
        // totals 3,5,6,9,9 var 6.8 -> alpha = 2 · (1 − 3.8/6.8) = 0.88235…
        let known = vec![
            vec![Some(1.0), Some(2.0)],
            vec![Some(2.0), Some(3.0)],
            vec![Some(3.0), Some(3.0)],
            vec![Some(4.0), Some(5.0)],
            vec![Some(5.0), Some(4.0)],
            vec![None, Some(1.0)],
        ];
        assert!((cronbach_alpha(&known).unwrap() - 2.0 * (1.0 - 3.8 / 6.8)).abs() < 1e-12);
    }

    #[test]
    fn a_decline_must_be_larger_than_the_noise() {
        let before = [4.0, 4.5, 4.0, 5.0, 4.5, 4.0, 4.5, 5.0];
        // A clear fall of more than a point.
        let after = [3.0, 3.5, 2.5, 3.0, 3.5, 3.0, 2.5, 3.0];
        let c = change(&before, &after).unwrap();
        assert!(c.decline, "{c:?}");
        // The same fall in noisy answers is not flagged.
        let noisy_before = [1.0, 5.0, 2.0, 5.0, 5.0, 1.0];
        let noisy_after = [1.0, 4.0, 1.0, 5.0, 4.0, 2.0];
        let c = change(&noisy_before, &noisy_after).unwrap();
        assert!(c.difference < 0.0 && !c.decline, "{c:?}");
        // A tiny but consistent fall is below the practical threshold.
        let tiny_after: Vec<f64> = before.iter().map(|x| x - 0.1).collect();
        assert!(!change(&before, &tiny_after).unwrap().decline);
        assert!(change(&before, &[3.0, 3.0]).is_none(), "no comparison with a small group");
    }

    #[test]
    fn t_quantiles_match_the_table_and_lie_between_rows() {
        assert_eq!(t_quantile(Tail::TwoSided95, 10.0), 2.228);
        assert_eq!(t_quantile(Tail::OneSided95, 1e9), 1.645 + (1.658 - 1.645) * (1.0 / 1e9) / (1.0 / 120.0));
        let between = t_quantile(Tail::OneSided95, 35.0);
        assert!(between < 1.697 && between > 1.684);
        assert_eq!(t_quantile(Tail::TwoSided95, 0.2), 12.706);
        assert_eq!(t_quantile(Tail::TwoSided95, f64::NAN), 12.706);
    }

    proptest! {
        #[test]
        fn the_t_cdf_is_a_distribution(t in -50.0f64..50.0, df in 0.5f64..500.0) {
            let p = t_cdf(t, df);
            prop_assert!((0.0..=1.0).contains(&p));
            prop_assert!((t_cdf(-t, df) - (1.0 - p)).abs() < 1e-9);
            prop_assert!(t_cdf(t + 0.5, df) >= p - 1e-12);
        }


        #[test]
        fn intervals_hold_the_mean_and_alpha_is_at_most_one(
            rows in proptest::collection::vec(proptest::collection::vec(1u8..=5, 3), 0..30)
        ) {
            let scored: Vec<Vec<Option<f64>>> =
                rows.iter().map(|r| r.iter().map(|x| score(*x, 5, false)).collect()).collect();
            if let Some(alpha) = cronbach_alpha(&scored) {
                prop_assert!(alpha <= 1.0 + 1e-9);
            }
            let totals: Vec<f64> = rows.iter().map(|r| r.iter().map(|x| f64::from(*x)).sum::<f64>() / 3.0).collect();
            if let Some(e) = estimate(&totals) {
                prop_assert!(e.low <= e.mean && e.mean <= e.high);
                prop_assert!(e.mean >= 1.0 && e.mean <= 5.0);
            }
            let half = totals.len() / 2;
            if let Some(c) = change(&totals[..half], &totals[half..]) {
                prop_assert!(!c.decline || c.difference <= -MIN_DECLINE);
            }
        }

        #[test]
        fn reverse_scoring_is_its_own_inverse(points in 2u8..=10, answer in 1u8..=10) {
            prop_assume!(answer <= points);
            let once = score(answer, points, true).unwrap();
            prop_assert_eq!(score(once as u8, points, true), Some(f64::from(answer)));
        }
    }
}
