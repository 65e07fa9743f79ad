//! The CBS reference data Samenspel ships with (see `data/cbs/SOURCES.md`): all
//! municipalities with province and inhabitants, and the youth-care regions with their
//! members. The same parser reads a newer CBS year supplied by the user.

pub mod products;

use samenspel_domain::{MunicipalityCode, YouthRegionCode};
use std::collections::{BTreeMap, HashMap};

/// Attribution required by the CC BY 4.0 licence of CBS open data.
pub const ATTRIBUTION: &str = "Bron: CBS (CC BY 4.0)";

const SHIPPED_MUNICIPALITIES: &str = include_str!("../../../data/cbs/gemeenten_2024.csv");
const SHIPPED_REGIONS: &str = include_str!("../../../data/cbs/jeugdregios_2025.csv");
const SHIPPED_CLASSIFICATION: &str = include_str!("../../../data/cbs/gemeente_jeugdregio_2025.csv");
const SHIPPED_CLASSIFICATION_YEAR: i32 = 2025;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityRef {
    pub code: MunicipalityCode,
    pub name: String,
    pub province_code: String,
    pub province_name: String,
    pub inhabitants: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YouthRegionRef {
    pub code: YouthRegionCode,
    pub name: String,
    pub members: Vec<MunicipalityCode>,
}

/// One consistent set of reference data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceSet {
    /// The year the municipality boundaries and inhabitants refer to (1 January).
    pub municipality_year: i32,
    /// The year of the youth-care region classification.
    pub classification_year: i32,
    pub municipalities: Vec<MunicipalityRef>,
    pub youth_regions: Vec<YouthRegionRef>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReferenceError {
    #[error("{file}, regel {line}: {reason}")]
    Row { file: String, line: usize, reason: String },
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
}

impl ReferenceSet {
    /// The data shipped in `data/cbs/`.
    pub fn shipped() -> ReferenceSet {
        ReferenceSet::parse(
            ("gemeenten_2024.csv", SHIPPED_MUNICIPALITIES),
            ("jeugdregios_2025.csv", SHIPPED_REGIONS),
            ("gemeente_jeugdregio_2025.csv", SHIPPED_CLASSIFICATION),
            SHIPPED_CLASSIFICATION_YEAR,
        )
        .expect("the shipped CBS files are checked by the tests")
    }

    /// Parses the three CBS files, each given as (file name for messages, content).
    ///
    /// The year of the inhabitants is read from the `inwoners_YYYY` column header.
    pub fn parse(
        municipalities: (&str, &str),
        regions: (&str, &str),
        classification: (&str, &str),
        classification_year: i32,
    ) -> Result<ReferenceSet, ReferenceError> {
        let (mun_file, mun_text) = municipalities;
        let mut reader = csv_reader(mun_text);
        let headers = read_headers(&mut reader, mun_file)?;
        let (inhabitants_col, year) = headers
            .iter()
            .enumerate()
            .find_map(|(i, h)| h.strip_prefix("inwoners_").and_then(|y| y.parse::<i32>().ok()).map(|y| (i, y)))
            .ok_or_else(|| file_error(mun_file, "geen kolom inwoners_JJJJ gevonden"))?;
        let code_col = column(&headers, "gemeentecode", mun_file)?;
        let name_col = column(&headers, "gemeentenaam", mun_file)?;
        let pcode_col = column(&headers, "provinciecode", mun_file)?;
        let pname_col = column(&headers, "provincienaam", mun_file)?;

        let mut list = Vec::new();
        let mut seen = HashMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let record = record.map_err(|e| row_error(mun_file, line, e.to_string()))?;
            let field = |c: usize| record.get(c).unwrap_or("").trim();
            let code = MunicipalityCode::parse(field(code_col)).map_err(|e| row_error(mun_file, line, e.reason))?;
            let name = field(name_col).to_string();
            if name.is_empty() {
                return Err(row_error(mun_file, line, "gemeentenaam is leeg".into()));
            }
            let inhabitants: i64 = field(inhabitants_col).parse().map_err(|_| {
                row_error(mun_file, line, format!("inwoners '{}' is geen getal", field(inhabitants_col)))
            })?;
            if inhabitants < 0 {
                return Err(row_error(mun_file, line, "inwoners is negatief".into()));
            }
            if seen.insert(code.clone(), line).is_some() {
                return Err(row_error(mun_file, line, format!("{code} komt dubbel voor")));
            }
            list.push(MunicipalityRef {
                code,
                name,
                province_code: field(pcode_col).to_string(),
                province_name: field(pname_col).to_string(),
                inhabitants,
            });
        }
        if list.is_empty() {
            return Err(file_error(mun_file, "bevat geen gemeenten"));
        }

        let (reg_file, reg_text) = regions;
        let mut reader = csv_reader(reg_text);
        let headers = read_headers(&mut reader, reg_file)?;
        let rcode_col = column(&headers, "jeugdregio_code", reg_file)?;
        let rname_col = column(&headers, "jeugdregio_naam", reg_file)?;
        let mut regions: BTreeMap<YouthRegionCode, YouthRegionRef> = BTreeMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let record = record.map_err(|e| row_error(reg_file, line, e.to_string()))?;
            let code = YouthRegionCode::parse(record.get(rcode_col).unwrap_or(""))
                .map_err(|e| row_error(reg_file, line, e.reason))?;
            let name = record.get(rname_col).unwrap_or("").trim().to_string();
            regions.insert(code.clone(), YouthRegionRef { code, name, members: Vec::new() });
        }

        let (cls_file, cls_text) = classification;
        let mut reader = csv_reader(cls_text);
        let headers = read_headers(&mut reader, cls_file)?;
        let mcode_col = column(&headers, "gemeentecode", cls_file)?;
        let rcode_col = column(&headers, "jeugdregio_code", cls_file)?;
        let mut classified = HashMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let record = record.map_err(|e| row_error(cls_file, line, e.to_string()))?;
            let municipality = MunicipalityCode::parse(record.get(mcode_col).unwrap_or(""))
                .map_err(|e| row_error(cls_file, line, e.reason))?;
            let region_code = YouthRegionCode::parse(record.get(rcode_col).unwrap_or(""))
                .map_err(|e| row_error(cls_file, line, e.reason))?;
            if !seen.contains_key(&municipality) {
                return Err(row_error(cls_file, line, format!("{municipality} staat niet in {mun_file}")));
            }
            let region = regions.get_mut(&region_code).ok_or_else(|| {
                row_error(cls_file, line, format!("jeugdregio {region_code} staat niet in {reg_file}"))
            })?;
            if classified.insert(municipality.clone(), region_code.clone()).is_some() {
                return Err(row_error(cls_file, line, format!("{municipality} is dubbel ingedeeld")));
            }
            region.members.push(municipality);
        }
        if let Some(missing) = list.iter().find(|m| !classified.contains_key(&m.code)) {
            return Err(file_error(cls_file, &format!("{} ({}) is niet ingedeeld", missing.code, missing.name)));
        }
        for region in regions.values_mut() {
            region.members.sort();
        }
        Ok(ReferenceSet {
            municipality_year: year,
            classification_year,
            municipalities: list,
            youth_regions: regions.into_values().collect(),
        })
    }

    pub fn municipality(&self, code: &MunicipalityCode) -> Option<&MunicipalityRef> {
        self.municipalities.iter().find(|m| &m.code == code)
    }

    pub fn youth_region(&self, code: &YouthRegionCode) -> Option<&YouthRegionRef> {
        self.youth_regions.iter().find(|r| &r.code == code)
    }
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    csv::ReaderBuilder::new().from_reader(text.as_bytes())
}

fn read_headers(reader: &mut csv::Reader<&[u8]>, file: &str) -> Result<Vec<String>, ReferenceError> {
    reader
        .headers()
        .map(|h| h.iter().map(|s| s.trim().to_lowercase()).collect())
        .map_err(|e| file_error(file, &format!("kopregel onleesbaar: {e}")))
}

fn column(headers: &[String], name: &str, file: &str) -> Result<usize, ReferenceError> {
    headers.iter().position(|h| h == name).ok_or_else(|| file_error(file, &format!("kolom '{name}' ontbreekt")))
}

fn file_error(file: &str, reason: &str) -> ReferenceError {
    ReferenceError::File { file: file.to_string(), reason: reason.to_string() }
}

fn row_error(file: &str, line: usize, reason: String) -> ReferenceError {
    ReferenceError::Row { file: file.to_string(), line, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_data_is_complete_and_consistent() {
        let set = ReferenceSet::shipped();
        assert_eq!(set.municipality_year, 2024);
        assert_eq!(set.municipalities.len(), 342);
        let total: i64 = set.municipalities.iter().map(|m| m.inhabitants).sum();
        assert_eq!(total, 17_942_942, "the CBS national total on 1 January 2024");
        assert_eq!(set.youth_regions.len(), 42);
        let members: usize = set.youth_regions.iter().map(|r| r.members.len()).sum();
        assert_eq!(members, 342);
        let haaglanden = set.youth_regions.iter().find(|r| r.code.as_str() == "JZ24").unwrap();
        assert_eq!(haaglanden.name, "Haaglanden");
        assert_eq!(haaglanden.members.len(), 9);
        let den_haag = set.municipality(&MunicipalityCode::parse("GM0518").unwrap()).unwrap();
        assert_eq!((den_haag.name.as_str(), den_haag.inhabitants), ("'s-Gravenhage", 566_221));
        assert_eq!(den_haag.province_name, "Zuid-Holland");
    }

    #[test]
    fn names_the_file_and_line_of_a_bad_row() {
        let mun = "gemeentecode,gemeentenaam,provinciecode,provincienaam,inwoners_2026\nGM0001,A,PV20,G,10\nGM0002,B,PV20,G,veel\n";
        let reg = "jeugdregio_code,jeugdregio_naam\nJZ01,Noord\n";
        let cls = "gemeentecode,jeugdregio_code\nGM0001,JZ01\nGM0002,JZ01\n";
        let err = ReferenceSet::parse(("g.csv", mun), ("r.csv", reg), ("i.csv", cls), 2026).unwrap_err();
        assert_eq!(err.to_string(), "g.csv, regel 3: inwoners 'veel' is geen getal");

        let mun = mun.replace("veel", "20");
        let set = ReferenceSet::parse(("g.csv", &mun), ("r.csv", reg), ("i.csv", cls), 2026).unwrap();
        assert_eq!(set.municipality_year, 2026);

        let unclassified = "gemeentecode,jeugdregio_code\nGM0001,JZ01\n";
        let err = ReferenceSet::parse(("g.csv", &mun), ("r.csv", reg), ("i.csv", unclassified), 2026).unwrap_err();
        assert!(err.to_string().contains("GM0002 (B) is niet ingedeeld"), "{err}");

        let unknown_region = "gemeentecode,jeugdregio_code\nGM0001,JZ01\nGM0002,JZ09\n";
        let err = ReferenceSet::parse(("g.csv", &mun), ("r.csv", reg), ("i.csv", unknown_region), 2026).unwrap_err();
        assert_eq!(err.to_string(), "i.csv, regel 3: jeugdregio JZ09 staat niet in r.csv");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(a in ".{0,200}", b in ".{0,100}", c in ".{0,100}") {
            let _ = ReferenceSet::parse(("a", &a), ("b", &b), ("c", &c), 2026);
        }
    }
}
