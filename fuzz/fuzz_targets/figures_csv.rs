//! The member-figures CSV parser takes any bytes without panicking, and every row it
//! accepts satisfies the rules it promises.
#![no_main]
use libfuzzer_sys::fuzz_target;
use samenspel_domain::figures::{parse_figures_csv, MAX_YEAR, MIN_YEAR};

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = parse_figures_csv(data) {
        for row in rows {
            assert!((MIN_YEAR..=MAX_YEAR).contains(&row.year));
            assert!(row.youths.flatten().is_none_or(|y| y >= 0));
            assert!(row.budget_youth.flatten().is_none_or(|b| b.0 >= 0));
            assert!(row.budget_wmo.flatten().is_none_or(|b| b.0 >= 0));
        }
    }
});
