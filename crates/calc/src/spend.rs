//! A member's year against its budget: what has been spent, a year-end forecast from the trend
//! and the assignments still running, and the day the budget runs out.
//!
//! The forecast for a month after the last complete one is the recent monthly spend (the mean
//! of the last three complete months), split in two: the share the assignments running now
//! still cover in that month continues; the share of assignments that will have ended is
//! replaced at the pace new assignments replaced ending ones over the last three months. In a
//! steady region that is the trend; where inflow dries up or surges, the forecast follows.

use serde::Serialize;
use time::{Date, Month};

/// What the forecast needs for one member (or the region) and one year and law.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearInput {
    pub year: i32,
    /// Spend per calendar month in cents (signed: credits lower a month).
    pub monthly: [i64; 12],
    /// The last month with complete data, 1–12; 0 when there is none yet.
    pub through: u8,
    /// The budget for this year and law, when the member entered one.
    pub budget: Option<i64>,
    /// Assignments running in each month, as known today.
    pub running: [u32; 12],
    /// Assignments that started and ended in the last three complete months.
    pub started_recently: u32,
    pub ended_recently: u32,
}

/// The outcome, every amount in cents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    pub realised: i64,
    /// Mean spend of the last (up to) three complete months.
    pub trend_per_month: i64,
    /// Realised spend up to `through`, forecast after it.
    pub projected: [i64; 12],
    pub year_end: i64,
    pub budget: Option<i64>,
    /// The day cumulative (projected) spend reaches the budget, when that happens this year.
    pub depletion: Option<Date>,
    /// How far the year-end forecast exceeds the budget.
    pub overrun: Option<i64>,
    /// How many new assignments replaced each ending one recently (1 = steady).
    pub replacement: f64,
}

fn month(m: usize) -> Month {
    Month::try_from(u8::try_from(m + 1).unwrap_or(12)).unwrap_or(Month::December)
}

/// The year-end forecast and depletion date of one year.
pub fn forecast(input: &YearInput) -> Forecast {
    let through = usize::from(input.through.min(12));
    let realised: i64 = input.monthly[..through].iter().sum();
    let recent = &input.monthly[through.saturating_sub(3)..through];
    let trend = if recent.is_empty() {
        0
    } else {
        let n = recent.len() as i64;
        let sum: i64 = recent.iter().sum();
        (sum + n / 2).div_euclid(n)
    };
    let replacement = match (input.started_recently, input.ended_recently) {
        (_, 0) => 1.0,
        (s, e) => (f64::from(s) / f64::from(e)).clamp(0.0, 2.0),
    };
    let mut projected = input.monthly;
    let base = if through == 0 { 0 } else { input.running[through - 1] };
    for (m, slot) in projected.iter_mut().enumerate().skip(through) {
        *slot = if base == 0 {
            trend
        } else {
            let covered = (f64::from(input.running[m]) / f64::from(base)).min(1.0);
            (trend as f64 * (covered + (1.0 - covered) * replacement)).round() as i64
        };
    }
    let year_end: i64 = projected.iter().sum();
    let depletion = input.budget.and_then(|budget| depletion_day(input.year, &projected, budget));
    Forecast {
        realised,
        trend_per_month: trend,
        projected,
        year_end,
        budget: input.budget,
        depletion,
        overrun: input.budget.map(|b| year_end - b).filter(|o| *o > 0),
        replacement,
    }
}

/// The first day cumulative spend reaches the budget, spending evenly within each month.
fn depletion_day(year: i32, projected: &[i64; 12], budget: i64) -> Option<Date> {
    if budget <= 0 {
        return Date::from_calendar_date(year, Month::January, 1).ok();
    }
    let mut cumulative = 0i64;
    for (m, amount) in projected.iter().enumerate() {
        if *amount > 0 && cumulative + amount >= budget {
            let days = i64::from(month(m).length(year));
            let needed = budget - cumulative;
            // The day on which the month's even spend passes what was left.
            let day = ((needed * days + amount - 1) / amount).clamp(1, days);
            return Date::from_calendar_date(year, month(m), u8::try_from(day).unwrap_or(1)).ok();
        }
        cumulative += amount;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn steady(through: u8, budget: Option<i64>) -> YearInput {
        let mut monthly = [0; 12];
        for m in monthly.iter_mut().take(usize::from(through)) {
            *m = 100_000;
        }
        YearInput { year: 2026, monthly, through, budget, running: [50; 12], started_recently: 10, ended_recently: 10 }
    }

    #[test]
    fn a_steady_year_continues_its_trend() {
        let f = forecast(&steady(10, Some(1_300_000)));
        assert_eq!((f.realised, f.trend_per_month, f.year_end), (1_000_000, 100_000, 1_200_000));
        assert_eq!((f.depletion, f.overrun), (None, None));
    }

    #[test]
    fn overrun_and_depletion_day() {
        let f = forecast(&steady(10, Some(1_150_000)));
        assert_eq!(f.overrun, Some(50_000));
        // 150.000 left after October; November spends 100.000, December reaches it halfway.
        assert_eq!(f.depletion, Some(date!(2026 - 12 - 16)));
        // Already spent before the year ends.
        let f = forecast(&steady(10, Some(250_000)));
        assert_eq!(f.depletion, Some(date!(2026 - 03 - 16)));
        assert_eq!(forecast(&steady(10, Some(0))).depletion, Some(date!(2026 - 01 - 01)));
    }

    #[test]
    fn running_assignments_and_inflow_shape_the_rest_of_the_year() {
        // Half of today's assignments end after October and nobody replaces them.
        let mut input = steady(10, None);
        input.running[10] = 25;
        input.running[11] = 25;
        input.started_recently = 0;
        let f = forecast(&input);
        assert_eq!(&f.projected[10..], &[50_000, 50_000]);
        // Twice as many new as ending assignments: growth.
        input.started_recently = 20;
        let f = forecast(&input);
        assert_eq!(&f.projected[10..], &[150_000, 150_000]);
    }

    #[test]
    fn nothing_known_yet() {
        let f = forecast(&steady(0, Some(100)));
        assert_eq!((f.realised, f.year_end, f.depletion), (0, 0, None));
    }

    proptest! {
        #[test]
        fn realised_plus_forecast_is_the_year(
            monthly in proptest::array::uniform12(-1_000_000i64..50_000_000),
            through in 0u8..=12,
            running in proptest::array::uniform12(0u32..1000),
            started in 0u32..100,
            ended in 0u32..100,
            budget in proptest::option::of(-10i64..500_000_000),
        ) {
            let input = YearInput { year: 2024, monthly, through, budget, running, started_recently: started, ended_recently: ended };
            let f = forecast(&input);
            let t = usize::from(through);
            prop_assert_eq!(&f.projected[..t], &monthly[..t]);
            prop_assert_eq!(f.year_end, f.projected.iter().sum::<i64>());
            prop_assert_eq!(f.realised, monthly[..t].iter().sum::<i64>());
            if let (Some(b), Some(day)) = (budget, f.depletion) {
                // Spent through the end of the depletion month reaches the budget.
                let m = usize::from(u8::from(day.month())) - 1;
                prop_assert!(b <= 0 || f.projected[..=m].iter().sum::<i64>() >= b);
            }
            if let Some(o) = f.overrun {
                prop_assert!(o > 0 && f.year_end - o == budget.unwrap_or_default());
            }
        }
    }
}
