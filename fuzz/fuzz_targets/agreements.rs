//! The risk-sharing and governance readers take any bytes without panicking: the agreement
//! model, the cost and key tables, the charter and its decision rules; what they accept is sound.
#![no_main]
use libfuzzer_sys::fuzz_target;
use samenspel_domain::charter::Charter;
use samenspel_domain::governance::DecisionRules;
use samenspel_domain::risk_sharing::{parse_costs_csv, parse_keys_csv, Agreement};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(a) = Agreement::parse(&text) {
        assert!(a.problems().is_empty());
        for year in [2000, 2026, 2100] {
            assert!(a.pools_in(year).iter().all(|p| p.solidarity_basis_points <= 10_000));
        }
    }
    if let Ok(costs) = parse_costs_csv(data) {
        assert!(costs.values().all(|c| c.total_cents >= 0));
    }
    let _ = parse_keys_csv(data);
    if let Ok(c) = Charter::parse(&text) {
        assert!(c.problems().is_empty());
    }
    if let Ok(rules) = DecisionRules::parse(&text) {
        assert_eq!(rules.len(), samenspel_domain::governance::DECISION_KINDS.len());
    }
});
