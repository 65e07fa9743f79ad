//! The administrative burden a region causes its providers, and which harmonisation step
//! would lower it most.
//!
//! Per provider we count what it has to keep apart when it works in the region:
//! - **members**: municipalities it serves through its contracts (each one a counterparty that
//!   assigns, is invoiced and asks for accountability);
//! - **lots**: lots it holds a contract for;
//! - **product codes**: distinct products in those lots;
//! - **tariffs**: distinct tariff amounts per product within each lot (one regional tariff = 1;
//!   every member in convoy with its own amount adds one);
//! - **differing conditions**: member × lot pairs where the member buys its own variant (convoy);
//! - **accountability requests**: distinct request series it must answer (a quarterly figure
//!   asked four times is one series), with an hours estimate: hours per submission of the
//!   request's kind × submissions a year.
//!
//! The burden score is the sum of the six counts; the hours are shown beside it.
//!
//! **Before standardisation** is the same provider if every member it serves dealt with it
//! apart: each member its own tariff for every product and its own conditions in every lot, and
//! each member asking every request separately (so the hours multiply by the members asked). It is
//! never lower than the burden now. A harmonisation step changes the facts (all
//! members pay the regional tariff for a product; a member joins the bus in a lot) and its
//! effect is the drop in the summed score, recomputed, not estimated.

use samenspel_domain::procurement::CollaborationForm;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A product as the burden counts it: `(category, code)`; code `None` is aspecific.
pub type ProductKey = (String, Option<String>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    pub product: ProductKey,
    /// `None` for the regional tariff, a municipality for a member's own.
    pub municipality: Option<String>,
    pub amount_cents: i64,
}

/// One contract of a provider, with the facts of its lot in the year looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFacts {
    pub lot_id: i64,
    pub lot_name: String,
    pub products: Vec<ProductKey>,
    /// Every member's form in the lot.
    pub members: Vec<(String, CollaborationForm)>,
    pub tariffs: Vec<Tariff>,
}

/// One series of accountability requests of the region (a kind asked at a frequency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    /// `None` asks every provider; a lot asks only the providers with a contract in it.
    pub lot_id: Option<i64>,
    pub submissions_per_year: u32,
    /// The region's estimate of the hours one submission costs.
    pub hours_each: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFacts {
    pub provider_id: i64,
    pub name: String,
    pub contracts: Vec<ContractFacts>,
    /// The region's request series; which of them ask this provider follows from its contracts.
    pub requests: Vec<RequestFacts>,
}

impl ProviderFacts {
    /// The members that deal with this provider in the given lot (or in any lot): all but those
    /// buying the lot locally.
    fn members_in(&self, lot: Option<i64>) -> BTreeSet<&str> {
        self.contracts
            .iter()
            .filter(|c| lot.is_none_or(|l| l == c.lot_id))
            .flat_map(|c| c.members.iter().filter(|(_, f)| *f != CollaborationForm::Local).map(|(m, _)| m.as_str()))
            .collect()
    }

    /// The request series that ask this provider, each with the number of members it concerns.
    fn requests_asked(&self) -> impl Iterator<Item = (&RequestFacts, usize)> {
        self.requests.iter().map(|r| (r, self.members_in(r.lot_id).len())).filter(|(_, members)| *members > 0)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Burden {
    pub members: usize,
    pub lots: usize,
    pub product_codes: usize,
    pub tariffs: usize,
    pub differing_conditions: usize,
    pub requests: usize,
    /// Estimated hours a year spent on accountability requests; not part of the score.
    pub hours_per_year: u64,
}

impl Burden {
    pub fn score(&self) -> usize {
        self.members + self.lots + self.product_codes + self.tariffs + self.differing_conditions + self.requests
    }
}

/// The burden of one provider.
pub fn burden(provider: &ProviderFacts) -> Burden {
    let mut members = BTreeSet::new();
    let mut lots = BTreeSet::new();
    let mut products = BTreeSet::new();
    let mut amounts: BTreeMap<(i64, &ProductKey), BTreeSet<i64>> = BTreeMap::new();
    let mut differing = BTreeSet::new();
    for c in &provider.contracts {
        lots.insert(c.lot_id);
        for p in &c.products {
            products.insert(p);
        }
        for (m, form) in &c.members {
            if *form != CollaborationForm::Local {
                members.insert(m.as_str());
            }
            if *form == CollaborationForm::Convoy {
                differing.insert((c.lot_id, m.as_str()));
            }
        }
        for t in &c.tariffs {
            // A member's own tariff only counts while that member is in convoy in the lot.
            let counts = match &t.municipality {
                None => true,
                Some(m) => c.members.iter().any(|(mm, f)| mm == m && *f == CollaborationForm::Convoy),
            };
            if counts {
                amounts.entry((c.lot_id, &t.product)).or_default().insert(t.amount_cents);
            }
        }
    }
    let asked: Vec<_> = provider.requests_asked().collect();
    Burden {
        members: members.len(),
        lots: lots.len(),
        product_codes: products.len(),
        tariffs: amounts.values().map(BTreeSet::len).sum(),
        differing_conditions: differing.len(),
        requests: asked.len(),
        hours_per_year: asked.iter().map(|(r, _)| u64::from(r.submissions_per_year) * u64::from(r.hours_each)).sum(),
    }
}

/// The burden if every member the provider serves dealt with it apart (see the module notes).
pub fn burden_before_standardisation(provider: &ProviderFacts) -> Burden {
    let now = burden(provider);
    let mut tariffs = 0;
    let mut differing = 0;
    for c in &provider.contracts {
        let members = c.members.iter().filter(|(_, f)| *f != CollaborationForm::Local).count();
        differing += members;
        let products: BTreeSet<&ProductKey> = c.products.iter().chain(c.tariffs.iter().map(|t| &t.product)).collect();
        tariffs += products.len() * members;
    }
    let asked: Vec<_> = provider.requests_asked().collect();
    Burden {
        // Never below today: a regional tariff for a product no member uses still counts now.
        tariffs: tariffs.max(now.tariffs),
        differing_conditions: differing.max(now.differing_conditions),
        requests: asked.iter().map(|(_, members)| members).sum(),
        hours_per_year: asked
            .iter()
            .map(|(r, members)| u64::from(r.submissions_per_year) * u64::from(r.hours_each) * *members as u64)
            .sum(),
        ..now
    }
}

/// A change the region can make to lower the burden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Step {
    /// All members in convoy pay the regional tariff for this product in this lot.
    HarmoniseTariff { lot_id: i64, lot_name: String, product: ProductKey },
    /// This member joins the bus in this lot: no own tariffs or own conditions any more.
    JoinTheBus { lot_id: i64, lot_name: String, municipality: String },
}

impl Step {
    /// Applies the step to one provider's facts.
    pub fn apply(&self, provider: &ProviderFacts) -> ProviderFacts {
        let mut changed = provider.clone();
        for c in &mut changed.contracts {
            match self {
                Step::HarmoniseTariff { lot_id, product, .. } if c.lot_id == *lot_id => {
                    c.tariffs.retain(|t| !(t.product == *product && t.municipality.is_some()));
                }
                Step::JoinTheBus { lot_id, municipality, .. } if c.lot_id == *lot_id => {
                    // Only a member in convoy joins; one buying locally stays outside the lot.
                    for (m, form) in &mut c.members {
                        if m == municipality && *form == CollaborationForm::Convoy {
                            *form = CollaborationForm::SameBus;
                        }
                    }
                    c.tariffs.retain(|t| t.municipality.as_deref() != Some(municipality.as_str()));
                }
                _ => {}
            }
        }
        changed
    }
}

/// A step with what it would save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepEffect {
    pub step: Step,
    /// Drop of the summed burden score over all providers.
    pub reduction: usize,
    /// Providers whose score drops.
    pub providers_affected: usize,
}

/// Every step that lowers the burden, most effective first.
pub fn harmonisation_steps(providers: &[ProviderFacts]) -> Vec<StepEffect> {
    let mut candidates: Vec<Step> = Vec::new();
    for p in providers {
        for c in &p.contracts {
            for t in c.tariffs.iter().filter(|t| t.municipality.is_some()) {
                let step = Step::HarmoniseTariff {
                    lot_id: c.lot_id,
                    lot_name: c.lot_name.clone(),
                    product: t.product.clone(),
                };
                if !candidates.contains(&step) {
                    candidates.push(step);
                }
            }
            for (m, _) in c.members.iter().filter(|(_, f)| *f == CollaborationForm::Convoy) {
                let step = Step::JoinTheBus { lot_id: c.lot_id, lot_name: c.lot_name.clone(), municipality: m.clone() };
                if !candidates.contains(&step) {
                    candidates.push(step);
                }
            }
        }
    }
    let mut effects: Vec<StepEffect> = candidates
        .into_iter()
        .map(|step| {
            let (mut reduction, mut affected) = (0, 0);
            for p in providers {
                let before = burden(p).score();
                let after = burden(&step.apply(p)).score();
                if after < before {
                    reduction += before - after;
                    affected += 1;
                }
            }
            StepEffect { step, reduction, providers_affected: affected }
        })
        .filter(|e| e.reduction > 0)
        .collect();
    effects.sort_by(|a, b| b.reduction.cmp(&a.reduction).then(b.providers_affected.cmp(&a.providers_affected)));
    effects
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use CollaborationForm::*;

    fn key(code: &str) -> ProductKey {
        (code[..2].to_string(), Some(code.to_string()))
    }

    fn tariff(code: &str, m: Option<&str>, amount: i64) -> Tariff {
        Tariff { product: key(code), municipality: m.map(str::to_string), amount_cents: amount }
    }

    fn provider(contracts: Vec<ContractFacts>) -> ProviderFacts {
        ProviderFacts { provider_id: 1, name: "Zorg".into(), contracts, requests: Vec::new() }
    }

    fn yearly_report(lot_id: Option<i64>) -> RequestFacts {
        RequestFacts { lot_id, submissions_per_year: 1, hours_each: 16 }
    }

    fn ambulant() -> ContractFacts {
        ContractFacts {
            lot_id: 1,
            lot_name: "Ambulant".into(),
            products: vec![key("45A03"), key("45A04")],
            members: vec![("GM0518".into(), SameBus), ("GM1783".into(), Convoy), ("GM1842".into(), Local)],
            tariffs: vec![
                tariff("45A03", None, 7_450),
                tariff("45A03", Some("GM1783"), 7_900),
                tariff("45A04", None, 6_000),
                tariff("45A04", Some("GM1783"), 6_000),
            ],
        }
    }

    #[test]
    fn counts_what_a_provider_keeps_apart() {
        let b = burden(&provider(vec![ambulant()]));
        assert_eq!(
            b,
            Burden {
                members: 2,
                lots: 1,
                product_codes: 2,
                tariffs: 3,
                differing_conditions: 1,
                requests: 0,
                hours_per_year: 0
            }
        );
        assert_eq!(b.score(), 9);
    }

    #[test]
    fn requests_count_once_now_and_once_per_member_before() {
        let mut p = provider(vec![ambulant()]);
        let quarterly = RequestFacts { lot_id: None, submissions_per_year: 4, hours_each: 2 };
        // A request for another lot does not ask this provider.
        p.requests = vec![yearly_report(None), quarterly, yearly_report(Some(9))];
        let now = burden(&p);
        assert_eq!((now.requests, now.hours_per_year), (2, 16 + 8));
        assert_eq!(now.score(), 11);
        let before = burden_before_standardisation(&p);
        // Two members served (Katwijk buys locally): each would ask both requests itself.
        assert_eq!((before.requests, before.hours_per_year), (4, 2 * (16 + 8)));
        // Each member its own tariff for both products, and its own conditions.
        assert_eq!((before.tariffs, before.differing_conditions), (4, 2));
        assert_eq!((before.members, before.lots, before.product_codes), (2, 1, 2));
    }

    #[test]
    fn harmonising_changes_now_but_not_before() {
        let p = provider(vec![ambulant()]);
        let harmonised =
            Step::HarmoniseTariff { lot_id: 1, lot_name: "Ambulant".into(), product: key("45A03") }.apply(&p);
        assert_eq!(burden(&harmonised).tariffs, burden(&p).tariffs - 1);
        assert_eq!(burden_before_standardisation(&harmonised), burden_before_standardisation(&p));
    }

    #[test]
    fn harmonising_two_tariffs_lowers_the_count() {
        let mut c = ambulant();
        c.tariffs[1].amount_cents = 7_450;
        assert_eq!(burden(&provider(vec![c])).tariffs, 2);
    }

    #[test]
    fn the_same_amount_in_two_lots_counts_in_each() {
        let mut other = ambulant();
        other.lot_id = 2;
        other.members = vec![("GM0518".into(), SameBus)];
        other.tariffs = vec![tariff("45A03", None, 7_900)];
        let b = burden(&provider(vec![ambulant(), other]));
        assert_eq!(b.tariffs, 4, "7.900 in lot 2 is not Westland's own amount in lot 1");
    }

    #[test]
    fn steps_are_ranked_by_what_they_save() {
        let steps = harmonisation_steps(&[provider(vec![ambulant()])]);
        assert_eq!(steps.len(), 2);
        // Joining the bus removes the own tariff and the differing condition: 2.
        assert!(matches!(&steps[0].step, Step::JoinTheBus { municipality, .. } if municipality == "GM1783"));
        assert_eq!(steps[0].reduction, 2);
        assert!(
            matches!(&steps[1].step, Step::HarmoniseTariff { product, .. } if product.1.as_deref() == Some("45A03"))
        );
        assert_eq!(steps[1].reduction, 1);
    }

    fn arb_provider() -> impl Strategy<Value = ProviderFacts> {
        let form = prop_oneof![Just(SameBus), Just(Convoy), Just(PiggyBack), Just(Local)];
        let members = proptest::collection::vec(("GM0[0-9]{3}", form), 0..5);
        let tariffs = proptest::collection::vec(("45A0[0-3]", proptest::option::of("GM0[0-9]{3}"), 1i64..10_000), 0..8);
        let contract = (0i64..3, members, tariffs).prop_map(|(lot, members, tariffs)| ContractFacts {
            lot_id: lot,
            lot_name: format!("Perceel {lot}"),
            products: tariffs.iter().map(|(c, _, _)| key(c)).collect(),
            members,
            tariffs: tariffs.into_iter().map(|(c, m, a)| tariff(&c, m.as_deref(), a)).collect(),
        });
        let request = (proptest::option::of(0i64..4), 1u32..5, 0u32..40).prop_map(|(lot_id, n, h)| RequestFacts {
            lot_id,
            submissions_per_year: n,
            hours_each: h,
        });
        (proptest::collection::vec(contract, 0..4), proptest::collection::vec(request, 0..4))
            .prop_map(|(contracts, requests)| ProviderFacts { requests, ..provider(contracts) })
    }

    proptest! {
        #[test]
        fn steps_never_raise_the_burden(providers in proptest::collection::vec(arb_provider(), 0..4)) {
            for effect in harmonisation_steps(&providers) {
                prop_assert!(effect.reduction > 0);
                for p in &providers {
                    prop_assert!(burden(&effect.step.apply(p)).score() <= burden(p).score());
                }
            }
        }

        #[test]
        fn tariffs_count_at_least_one_per_priced_product(p in arb_provider()) {
            let b = burden(&p);
            let priced: BTreeSet<_> = p.contracts.iter().flat_map(|c| c.tariffs.iter().filter(|t| t.municipality.is_none()).map(move |t| (c.lot_id, &t.product))).collect();
            prop_assert!(b.tariffs >= priced.len());
        }

        #[test]
        fn standardisation_never_adds_burden(p in arb_provider()) {
            let (now, before) = (burden(&p), burden_before_standardisation(&p));
            prop_assert!(before.tariffs >= now.tariffs);
            prop_assert!(before.differing_conditions >= now.differing_conditions);
            prop_assert!(before.requests >= now.requests);
            prop_assert!(before.hours_per_year >= now.hours_per_year);
            prop_assert!(before.score() >= now.score());
        }
    }
}
