//! Splitting an amount of cents exactly: every part a whole number of cents, the parts adding
//! up to the amount, each part as close to its exact share as whole cents allow.
//!
//! Largest remainder (Hamilton): each part gets the floor of its exact share; the cents left
//! over go one each to the parts with the largest fractional remainders, ties to the lower
//! index so the result is reproducible.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AllocationError {
    /// Every weight is zero: there is nothing to share by.
    NoWeight,
    /// A weight below zero.
    NegativeWeight { index: usize },
    /// The amounts are too large to compute exactly (beyond 10^15 euro).
    TooLarge,
}

/// Splits `total` cents in proportion to `weights` (non-negative, not all zero). A negative
/// total is split like its absolute value and negated, so credits round the same way.
pub fn split(total: i64, weights: &[i128]) -> Result<Vec<i64>, AllocationError> {
    if let Some(index) = weights.iter().position(|w| *w < 0) {
        return Err(AllocationError::NegativeWeight { index });
    }
    let sum: i128 = weights.iter().try_fold(0i128, |acc, w| acc.checked_add(*w)).ok_or(AllocationError::TooLarge)?;
    if sum == 0 {
        return Err(AllocationError::NoWeight);
    }
    if total < 0 {
        return Ok(split(total.checked_neg().ok_or(AllocationError::TooLarge)?, weights)?
            .into_iter()
            .map(|p| -p)
            .collect());
    }
    if sum > i128::from(i64::MAX) {
        return Err(AllocationError::TooLarge);
    }
    let exact: Vec<(i128, i128)> = weights
        .iter()
        .map(|w| i128::from(total).checked_mul(*w).map(|n| (n, sum)))
        .collect::<Option<_>>()
        .ok_or(AllocationError::TooLarge)?;
    round_exact(total, &exact)
}

/// Rounds exact shares `numerator / denominator` (denominators positive) to whole cents that add
/// up to `total`; the exact shares must add up to `total` themselves.
pub fn round_exact(total: i64, shares: &[(i128, i128)]) -> Result<Vec<i64>, AllocationError> {
    let mut parts = Vec::with_capacity(shares.len());
    // (remainder as a fraction, index) for handing out the cents left over.
    let mut remainders: Vec<(i128, i128, usize)> = Vec::with_capacity(shares.len());
    let mut assigned: i128 = 0;
    for (i, &(numerator, denominator)) in shares.iter().enumerate() {
        if denominator <= 0 {
            return Err(AllocationError::NoWeight);
        }
        if denominator > i128::from(i64::MAX) {
            return Err(AllocationError::TooLarge);
        }
        let floor = numerator.div_euclid(denominator);
        let rest = numerator.rem_euclid(denominator);
        parts.push(i64::try_from(floor).map_err(|_| AllocationError::TooLarge)?);
        assigned = assigned.checked_add(floor).ok_or(AllocationError::TooLarge)?;
        remainders.push((rest, denominator, i));
    }
    let left = i128::from(total) - assigned;
    if left < 0 || left > shares.len() as i128 {
        // The shares did not add up to the total: a caller's mistake, never silently absorbed.
        return Err(AllocationError::TooLarge);
    }
    // Largest fraction first: a/b > c/d ⇔ a·d > c·b (remainders and denominators are below
    // 2^63, so the products fit).
    remainders.sort_by(|a, b| (b.0 * a.1).cmp(&(a.0 * b.1)).then(a.2.cmp(&b.2)));
    for &(_, _, i) in remainders.iter().take(left as usize) {
        parts[i] += 1;
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn thirds_add_up_and_the_first_gets_the_cent() {
        assert_eq!(split(100, &[1, 1, 1]).unwrap(), [34, 33, 33]);
        assert_eq!(split(-100, &[1, 1, 1]).unwrap(), [-34, -33, -33]);
        assert_eq!(split(200, &[1, 1, 1]).unwrap(), [67, 67, 66]);
        assert_eq!(split(10, &[0, 3, 1]).unwrap(), [0, 8, 2]);
    }

    #[test]
    fn nothing_to_share_by_is_an_error() {
        assert_eq!(split(10, &[0, 0]), Err(AllocationError::NoWeight));
        assert_eq!(split(10, &[1, -1]), Err(AllocationError::NegativeWeight { index: 1 }));
        assert_eq!(split(10, &[]), Err(AllocationError::NoWeight));
    }

    proptest! {
        #[test]
        fn parts_add_up_and_stay_within_a_cent(total in -10_000_000_000_000i64..10_000_000_000_000,
                                               weights in proptest::collection::vec(0i128..1_000_000_000_000, 1..40)) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let parts = split(total, &weights).unwrap();
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            let sum: i128 = weights.iter().sum();
            for (p, w) in parts.iter().zip(&weights) {
                // |part − exact| < 1 cent, and a zero weight gets nothing.
                let diff = i128::from(*p) * sum - i128::from(total) * w;
                prop_assert!(diff.abs() < sum);
                if *w == 0 {
                    prop_assert_eq!(*p, 0);
                }
            }
        }
    }
}
