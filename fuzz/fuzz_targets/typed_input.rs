//! Everything people type that the domain parses: codes, amounts, dates, logins, passwords.
//! No input panics, and what parses prints back to something that parses the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use samenspel_domain::{account, nl, AgbCode, Cents, KvkNumber, MunicipalityCode, RegionCode, YouthRegionCode};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(c) = Cents::parse(s) {
        let shown = c.to_string().replace("-€ ", "-").replace("€ ", "");
        assert_eq!(Cents::parse(&shown), Ok(c));
    }
    if let Ok(code) = MunicipalityCode::parse(s) {
        assert_eq!(MunicipalityCode::parse(code.as_str()), Ok(code));
    }
    if let Some(code) = RegionCode::from_name(s) {
        assert!(RegionCode::parse(code.as_str()).is_ok());
    }
    if let Ok(d) = nl::parse_date(s) {
        assert_eq!(nl::parse_date(&nl::date(d)), Ok(d));
    }
    let _ = (YouthRegionCode::parse(s), AgbCode::parse(s), KvkNumber::parse(s));
    let _ = (account::Login::parse(s), account::check_email(s), account::check_password(s, "anna"));
});
