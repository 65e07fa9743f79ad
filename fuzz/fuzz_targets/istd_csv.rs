//! The CSV reader takes any bytes without panicking; what it accepts keeps the rules.
#![no_main]
use libfuzzer_sys::fuzz_target;
use samenspel_istd::{csv_format, rules, Pseudonymiser, Record};

fuzz_target!(|data: &[u8]| {
    let key = Pseudonymiser::new(&[7; 32]).expect("key");
    // Half the inputs start with a valid header, so the rows themselves get explored.
    let header = b"wet;gemeente;aanbieder;declaratienummer;bsn;referentienummer;toewijzingnummer;productcategorie;productcode;begindatum;einddatum;volume;eenheid;tarief;bedrag\n";
    let mut with_header = header.to_vec();
    with_header.extend_from_slice(data);
    for input in [data, with_header.as_slice()] {
        csv_format::read(input, &key, |record, _| {
            if let Record::ClaimLine(l) = &record {
                assert!(rules::claim_line(l).is_empty(), "{l:?}");
            }
        });
    }
});
