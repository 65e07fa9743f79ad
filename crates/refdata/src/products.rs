//! The national iJw/iWmo product categories and product codes shipped in
//! `data/istandaarden/` (see SOURCES.md there for their age and origin).

use samenspel_domain::procurement::{
    category_of_code, parse_product_code, variant_from_description, FundingVariant, Law,
};
use std::collections::BTreeMap;

const CATEGORIES: &str = include_str!("../../../data/istandaarden/productcategorieen.csv");
const YOUTH_CODES: &str = include_str!("../../../data/istandaarden/productcode.json");
const WMO_CODES_2016: &str = include_str!("../../../data/istandaarden/wmo021-productcode-iwmo2-2016.csv");
const WMO_AIDS_2022: &str = include_str!("../../../data/istandaarden/wmo-hulpmiddelen-indeling-2022.csv");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub law: Law,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalProduct {
    pub law: Law,
    pub code: String,
    pub description: String,
    /// From the code's first two digits; `None` for codes that do not state it.
    pub category: Option<String>,
    pub variant: Option<FundingVariant>,
    /// Which list, for showing its age.
    pub list: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodeLists {
    pub categories: Vec<Category>,
    pub products: Vec<NationalProduct>,
}

#[derive(serde::Deserialize)]
struct JsonCode {
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Betekenis")]
    meaning: String,
}

fn product(law: Law, code: &str, description: &str, list: &'static str) -> Option<NationalProduct> {
    let code = parse_product_code(code).ok()?;
    Some(NationalProduct {
        law,
        category: category_of_code(&code).map(str::to_string),
        variant: variant_from_description(description),
        code,
        description: description.trim().to_string(),
        list,
    })
}

impl CodeLists {
    /// The lists shipped with Samenspel.
    pub fn shipped() -> CodeLists {
        let mut categories = Vec::new();
        let mut reader = csv::Reader::from_reader(CATEGORIES.as_bytes());
        for record in reader.records().flatten() {
            if let (Some(law), Some(code), Some(name)) = (record.get(0), record.get(1), record.get(2)) {
                if let Ok(law) = Law::parse(law) {
                    categories.push(Category { law, code: code.to_string(), name: name.to_string() });
                }
            }
        }
        let mut products: BTreeMap<(Law, String), NationalProduct> = BTreeMap::new();
        let youth: Vec<JsonCode> = serde_json::from_str(YOUTH_CODES).unwrap_or_default();
        for c in youth {
            if let Some(p) = product(Law::Youth, &c.code, &c.meaning, "Jeugd 021 (circa 2021)") {
                products.insert((p.law, p.code.clone()), p);
            }
        }
        for (text, list, code_col, description_col) in
            [(WMO_CODES_2016, "Wmo 021 (2016)", 0, 1), (WMO_AIDS_2022, "Wmo hulpmiddelen (2022)", 0, 3)]
        {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            for record in reader.records().flatten() {
                let (Some(code), Some(description)) = (record.get(code_col), record.get(description_col)) else {
                    continue;
                };
                if let Some(p) = product(Law::Wmo, code, description, list) {
                    products.insert((p.law, p.code.clone()), p);
                }
            }
        }
        CodeLists { categories, products: products.into_values().collect() }
    }

    pub fn category(&self, law: Law, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.law == law && c.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lists_are_complete() {
        let lists = CodeLists::shipped();
        assert_eq!(lists.categories.iter().filter(|c| c.law == Law::Youth).count(), 24);
        assert_eq!(lists.categories.iter().filter(|c| c.law == Law::Wmo).count(), 18);
        let youth = lists.products.iter().filter(|p| p.law == Law::Youth).count();
        assert_eq!(youth, 887);
        let wmo = lists.products.iter().filter(|p| p.law == Law::Wmo).count();
        assert!(wmo >= 338, "{wmo}");
        let p = lists.products.iter().find(|p| p.code == "45A03").unwrap();
        assert_eq!(p.category.as_deref(), Some("45"));
        // Every stated category exists in the category list of its law, except legacy ranges.
        let unknown: Vec<_> = lists
            .products
            .iter()
            .filter_map(|p| p.category.as_ref().map(|c| (p.law, c)))
            .filter(|(law, c)| lists.category(*law, c).is_none())
            .collect();
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(lists.category(Law::Youth, "45").unwrap().name, "Jeugdhulp ambulant");
    }
}
