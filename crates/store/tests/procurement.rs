//! Procurement storage rules, on the backend the environment selects.

use samenspel_domain::procurement::{
    Cadence, CollaborationForm, ContractStatus, CostBuildUp, FundingVariant, Law, Period, Referrer, Route,
    SteeringChoices, Unit,
};
use samenspel_domain::region::Domain;
use samenspel_domain::{AgbCode, Cents, MunicipalityCode, YouthRegionCode};
use samenspel_store::admission::Decision;
use samenspel_store::catalogue::ProductDetails;
use samenspel_store::contracts::{ContractDetails, TariffDetails};
use samenspel_store::lots::{FormChange, LotDetails};
use samenspel_store::providers::ProviderDetails;
use samenspel_store::testing::fresh_store;
use samenspel_store::{Actor, PageRequest, Store, StoreError};

use time::macros::date;

fn gm(code: &str) -> MunicipalityCode {
    MunicipalityCode::parse(code).unwrap()
}

fn change(m: &str, form: CollaborationForm, valid_from: time::Date, reason: Option<&str>) -> FormChange {
    FormChange { municipality: gm(m), form, valid_from, reason: reason.map(str::to_string) }
}

fn product(code: Option<&str>, category: &str) -> ProductDetails {
    ProductDetails {
        law: Law::Youth,
        category: category.into(),
        code: code.map(str::to_string),
        name: "Jeugdhulp ambulant".into(),
        unit: Unit::Hour,
        funding_variant: FundingVariant::EffortBased,
        own_code: false,
        active: true,
    }
}

struct Fixture {
    store: Store,
    region: i64,
    product: i64,
    lot: i64,
    provider: i64,
}

async fn fixture() -> Fixture {
    let store = fresh_store().await.unwrap();
    let mut new = store
        .new_region_from_youth_region(&YouthRegionCode::parse("JZ24").unwrap(), Domain::Youth, date!(2015 - 01 - 01))
        .await
        .unwrap();
    new.centre = Some(gm("GM0518"));
    let region = store.create_region(&new, &Actor::cli()).await.unwrap().id;
    let product = store.create_product(region, &product(Some("45A03"), "45"), &Actor::cli()).await.unwrap().id;
    let lot = store
        .create_lot(
            region,
            &LotDetails {
                name: "Jeugdhulp ambulant".into(),
                description: None,
                route: Route::OpenAdmission,
                period: Period::new(date!(2025 - 01 - 01), Some(date!(2028 - 12 - 31))).unwrap(),
                products: vec![product],
            },
            &Actor::cli(),
        )
        .await
        .unwrap()
        .id;
    let provider = store
        .create_provider(
            region,
            &ProviderDetails {
                name: "Zorg West".into(),
                agb_code: Some(AgbCode::parse("98000001").unwrap()),
                kvk_number: None,
                city: None,
                email: None,
                phone: None,
                active: true,
            },
            &Actor::cli(),
        )
        .await
        .unwrap()
        .id;
    Fixture { store, region, product, lot, provider }
}

#[tokio::test]
async fn the_catalogue_checks_codes_against_the_national_lists() {
    let f = fixture().await;
    let (store, region) = (&f.store, f.region);
    assert_eq!(store.product_categories(None).await.unwrap().len(), 42);
    let found =
        store.national_products(Some(Law::Youth), Some("45"), Some("ambulant"), PageRequest::all()).await.unwrap();
    assert!(found.total > 10);

    let unknown = store.create_product(region, &product(Some("45Z99"), "45"), &Actor::cli()).await.unwrap_err();
    assert!(matches!(&unknown, StoreError::Invalid(i) if i.errors[0].name == "code"), "{unknown}");
    let own = ProductDetails { own_code: true, ..product(Some("45Z99"), "45") };
    let row = store.create_product(region, &own, &Actor::cli()).await.unwrap();
    assert!(!row.national);
    let wrong_category = store.create_product(region, &product(Some("43A01"), "45"), &Actor::cli()).await.unwrap_err();
    assert!(matches!(&wrong_category, StoreError::Invalid(i) if i.errors[0].code == "S329"), "{wrong_category}");
    let duplicate = store.create_product(region, &product(Some("45A03"), "45"), &Actor::cli()).await.unwrap_err();
    assert!(matches!(duplicate, StoreError::Conflict { .. }));
    let aspecific = store.create_product(region, &product(None, "45"), &Actor::cli()).await.unwrap();
    assert_eq!(aspecific.label(), "45 (aspecifiek) Jeugdhulp ambulant");
    let bad_category = store.create_product(region, &product(None, "99"), &Actor::cli()).await.unwrap_err();
    assert!(matches!(&bad_category, StoreError::Invalid(i) if i.errors[0].name == "categorie"));
}

#[tokio::test]
async fn lots_need_products_and_record_forms_over_time() {
    let f = fixture().await;
    let (store, region) = (&f.store, f.region);
    let empty = LotDetails {
        name: "Leeg".into(),
        description: None,
        route: Route::Tender,
        period: Period::new(date!(2025 - 01 - 01), None).unwrap(),
        products: vec![],
    };
    let err = store.create_lot(region, &empty, &Actor::cli()).await.unwrap_err();
    assert!(matches!(&err, StoreError::Invalid(i) if i.errors[0].name == "producten"));

    store
        .set_participation(
            region,
            f.lot,
            &change("GM0518", CollaborationForm::SameBus, date!(2025 - 01 - 01), None),
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .set_participation(
            region,
            f.lot,
            &change("GM0518", CollaborationForm::Convoy, date!(2026 - 01 - 01), Some("eigen tarief")),
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.form_on(region, f.lot, "GM0518", date!(2025 - 06 - 01)).await.unwrap(),
        Some(CollaborationForm::SameBus)
    );
    assert_eq!(
        store.form_on(region, f.lot, "GM0518", date!(2026 - 06 - 01)).await.unwrap(),
        Some(CollaborationForm::Convoy)
    );
    let outsider = store
        .set_participation(
            region,
            f.lot,
            &change("GM0363", CollaborationForm::Local, date!(2025 - 01 - 01), None),
            &Actor::cli(),
        )
        .await;
    assert!(matches!(outsider, Err(StoreError::Invalid(_))));
}

#[tokio::test]
async fn steering_choices_are_versioned_with_a_reason() {
    let f = fixture().await;
    let choices = SteeringChoices {
        referrers: vec![Referrer::Municipality, Referrer::GeneralPractitioner],
        funding_variant: FundingVariant::TaskBased,
        budget_ceiling: Some(Cents(150_000_000)),
        cadence: Cadence::Quarterly,
        indicator_volume: Some("cliënten per kwartaal".into()),
        indicator_money: None,
        indicator_quality: None,
        pilot: true,
        evaluation_on: Some(date!(2026 - 12 - 01)),
    };
    let no_reason = f.store.add_steering(f.region, f.lot, &choices, date!(2025 - 01 - 01), " ", &Actor::cli()).await;
    assert!(matches!(no_reason, Err(StoreError::Invalid(_))));
    f.store.add_steering(f.region, f.lot, &choices, date!(2025 - 01 - 01), "start", &Actor::cli()).await.unwrap();
    let effort = SteeringChoices {
        funding_variant: FundingVariant::EffortBased,
        budget_ceiling: None,
        pilot: false,
        evaluation_on: None,
        ..choices
    };
    f.store
        .add_steering(f.region, f.lot, &effort, date!(2026 - 01 - 01), "plafond werkte niet", &Actor::cli())
        .await
        .unwrap();
    let history = f.store.steering_history(f.lot).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].reason, "plafond werkte niet");
    assert_eq!(history[1].budget_ceiling(), Some(Cents(150_000_000)));
    assert_eq!(history[1].referrers(), vec![Referrer::Municipality, Referrer::GeneralPractitioner]);
}

fn contract(f: &Fixture, from: time::Date, to: Option<time::Date>) -> ContractDetails {
    ContractDetails {
        provider_id: f.provider,
        lot_id: f.lot,
        period: Period { starts_on: from, ends_on: to },
        status: ContractStatus::Active,
        reference: None,
    }
}

#[tokio::test]
async fn contracts_and_tariffs_follow_the_rules() {
    let f = fixture().await;
    let (store, region) = (&f.store, f.region);
    let c = store
        .create_contract(region, &contract(&f, date!(2025 - 01 - 01), Some(date!(2026 - 12 - 31))), &Actor::cli())
        .await
        .unwrap();
    let overlap = store
        .create_contract(region, &contract(&f, date!(2026 - 06 - 01), Some(date!(2027 - 12 - 31))), &Actor::cli())
        .await;
    assert!(matches!(overlap, Err(StoreError::Conflict { .. })));
    let outside = store.create_contract(region, &contract(&f, date!(2027 - 01 - 01), None), &Actor::cli()).await;
    assert!(matches!(outside, Err(StoreError::Invalid(_))), "open end beyond the lot's end");
    store
        .create_contract(region, &contract(&f, date!(2027 - 01 - 01), Some(date!(2028 - 12 - 31))), &Actor::cli())
        .await
        .unwrap();

    let base = TariffDetails {
        product_id: f.product,
        year: 2025,
        municipality: None,
        amount: Cents(7_450),
        unit: Unit::Hour,
        build_up: None,
    };
    store.add_tariff(region, c.id, &base, &Actor::cli()).await.unwrap();
    assert!(matches!(store.add_tariff(region, c.id, &base, &Actor::cli()).await, Err(StoreError::Conflict { .. })));
    let wrong_year = TariffDetails { year: 2030, ..base.clone() };
    assert!(matches!(store.add_tariff(region, c.id, &wrong_year, &Actor::cli()).await, Err(StoreError::Invalid(_))));
    let bad_build_up = TariffDetails {
        year: 2026,
        build_up: Some(CostBuildUp { staff: Cents(7_000), ..Default::default() }),
        ..base.clone()
    };
    let err = store.add_tariff(region, c.id, &bad_build_up, &Actor::cli()).await.unwrap_err();
    assert!(err.to_string().contains("telt op tot"), "{err}");

    // A member's own tariff only when the member is in convoy.
    let own = TariffDetails { municipality: Some(gm("GM1783")), amount: Cents(7_900), ..base.clone() };
    let err = store.add_tariff(region, c.id, &own, &Actor::cli()).await.unwrap_err();
    assert!(err.to_string().contains("konvooi"), "{err}");
    store
        .set_participation(
            region,
            f.lot,
            &change("GM1783", CollaborationForm::Convoy, date!(2025 - 01 - 01), None),
            &Actor::cli(),
        )
        .await
        .unwrap();
    store.add_tariff(region, c.id, &own, &Actor::cli()).await.unwrap();

    assert_eq!(store.index_tariffs(region, c.id, 2025, 275, &Actor::cli()).await.unwrap().made, 2);
    assert_eq!(
        store.index_tariffs(region, c.id, 2025, 275, &Actor::cli()).await.unwrap().made,
        0,
        "indexing twice adds nothing"
    );
    let tariffs = store.tariffs(c.id).await.unwrap();
    let indexed = tariffs.iter().find(|t| t.year == 2026 && t.municipality_code.is_none()).unwrap();
    assert_eq!(indexed.amount_cents, 7_655);
    assert!(
        matches!(store.index_tariffs(region, c.id, 2026, 275, &Actor::cli()).await, Err(StoreError::Invalid(_))),
        "contract ends in 2026"
    );
}

#[tokio::test]
async fn open_admission_from_application_to_contract_and_termination() {
    let f = fixture().await;
    let (store, region) = (&f.store, f.region);
    let provider_actor = Actor { user_id: None, login: "aanbieder".into(), origin: "test".into() };
    let closed = store.apply_for_admission(region, f.lot, f.provider, None, &provider_actor).await;
    assert!(matches!(closed, Err(StoreError::Invalid(_))));
    assert!(store.set_admission_open(region, f.lot, true, &Actor::cli()).await.is_err(), "conditions first");
    let c1 = store.add_condition(region, f.lot, "Ingeschreven in het AGB-register", &Actor::cli()).await.unwrap();
    let c2 = store.add_condition(region, f.lot, "Kwaliteitskeurmerk", &Actor::cli()).await.unwrap();
    store.set_admission_open(region, f.lot, true, &Actor::cli()).await.unwrap();

    let a = store
        .apply_for_admission(region, f.lot, f.provider, Some("Wij werken al in de regio."), &provider_actor)
        .await
        .unwrap();
    let again = store.apply_for_admission(region, f.lot, f.provider, None, &provider_actor).await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })));

    let mut decision = Decision {
        checks: vec![(c1.id, true, None)],
        admit: true,
        reason: String::new(),
        contract_starts_on: date!(2025 - 03 - 01),
    };
    let err = store.decide_admission(region, a.id, &decision, &Actor::cli()).await.unwrap_err();
    let StoreError::Invalid(invalid) = err else { panic!("expected invalid") };
    let names: Vec<_> = invalid.errors.iter().map(|e| e.name.clone()).collect();
    assert_eq!(names, ["reden".to_string(), format!("voorwaarde-{}", c2.id)]);
    decision.checks.push((c2.id, false, Some("keurmerk verlopen".into())));
    decision.reason = "Keurmerk ontbreekt".into();
    assert!(
        store.decide_admission(region, a.id, &decision, &Actor::cli()).await.is_err(),
        "cannot admit with an unmet condition"
    );
    decision.admit = false;
    let refused = store.decide_admission(region, a.id, &decision, &Actor::cli()).await.unwrap();
    assert_eq!((refused.status.as_str(), refused.contract_id), ("geweigerd", None));
    assert_eq!(store.application_checks(a.id).await.unwrap().len(), 2);
    assert!(store.remove_condition(region, f.lot, c2.id, &Actor::cli()).await.is_err(), "a checked condition stays");

    // Re-admission: a new application, now admitted, starts a contract.
    let b = store.apply_for_admission(region, f.lot, f.provider, None, &provider_actor).await.unwrap();
    let admit = Decision {
        checks: vec![(c1.id, true, None), (c2.id, true, Some("nieuw keurmerk".into()))],
        admit: true,
        reason: "Voldoet aan alle voorwaarden".into(),
        contract_starts_on: date!(2025 - 04 - 01),
    };
    let admitted = store.decide_admission(region, b.id, &admit, &Actor::cli()).await.unwrap();
    let contract = store.contract(region, admitted.contract_id.unwrap()).await.unwrap();
    assert_eq!(
        (contract.starts_on, contract.ends_on, contract.status.as_str()),
        (date!(2025 - 04 - 01), Some(date!(2028 - 12 - 31)), "actief")
    );

    let ended =
        store.end_admission(region, b.id, date!(2026 - 06 - 30), "Aanbieder stopt", &Actor::cli()).await.unwrap();
    assert_eq!(ended.status, "beeindigd");
    let contract = store.contract(region, contract.id).await.unwrap();
    assert_eq!((contract.ends_on, contract.status.as_str()), (Some(date!(2026 - 06 - 30)), "beeindigd"));
}

#[tokio::test]
async fn contracts_keep_their_dates_and_lots_keep_their_contracts() {
    let f = fixture().await;
    let (store, region) = (&f.store, f.region);
    let c = store
        .create_contract(region, &contract(&f, date!(2025 - 01 - 01), Some(date!(2026 - 12 - 31))), &Actor::cli())
        .await
        .unwrap();
    let base = TariffDetails {
        product_id: f.product,
        year: 2025,
        municipality: None,
        amount: Cents(7_450),
        unit: Unit::Hour,
        build_up: None,
    };
    store.add_tariff(region, c.id, &base, &Actor::cli()).await.unwrap();

    // An ended contract still occupies its dates.
    let mut ended = contract(&f, date!(2025 - 01 - 01), Some(date!(2026 - 12 - 31)));
    ended.status = ContractStatus::Ended;
    store.update_contract(region, c.id, &ended, &Actor::cli()).await.unwrap();
    let overlapping = store
        .create_contract(region, &contract(&f, date!(2026 - 06 - 01), Some(date!(2027 - 12 - 31))), &Actor::cli())
        .await;
    assert!(matches!(overlapping, Err(StoreError::Conflict { .. })));
    ended.period.ends_on = None;
    assert!(store.update_contract(region, c.id, &ended, &Actor::cli()).await.is_err(), "ended needs a last day");
    // The contract cannot shrink away from its tariffs.
    let shrunk = contract(&f, date!(2026 - 01 - 01), Some(date!(2026 - 12 - 31)));
    assert!(matches!(store.update_contract(region, c.id, &shrunk, &Actor::cli()).await, Err(StoreError::Invalid(_))));

    // The lot cannot shrink below its contracts or lose a product that has tariffs.
    let mut lot = LotDetails {
        name: "Jeugdhulp ambulant".into(),
        description: None,
        route: Route::OpenAdmission,
        period: Period::new(date!(2025 - 01 - 01), Some(date!(2025 - 06 - 30))).unwrap(),
        products: vec![f.product],
    };
    assert!(matches!(store.update_lot(region, f.lot, &lot, None, &Actor::cli()).await, Err(StoreError::Invalid(_))));
    let other = store.create_product(region, &product(Some("45A04"), "45"), &Actor::cli()).await.unwrap();
    lot.period = Period::new(date!(2025 - 01 - 01), Some(date!(2028 - 12 - 31))).unwrap();
    lot.products = vec![other.id];
    assert!(matches!(store.update_lot(region, f.lot, &lot, None, &Actor::cli()).await, Err(StoreError::Invalid(_))));
    // Opening without conditions fails as a whole: the new name is not saved either.
    lot.products = vec![f.product, other.id];
    lot.name = "Nieuwe naam".into();
    assert!(store.update_lot(region, f.lot, &lot, Some(true), &Actor::cli()).await.is_err());
    assert_eq!(store.lot(region, f.lot).await.unwrap().name, "Jeugdhulp ambulant");
    store.add_condition(region, f.lot, "AGB-registratie", &Actor::cli()).await.unwrap();
    assert!(store.update_lot(region, f.lot, &lot, Some(true), &Actor::cli()).await.unwrap().admission_open);
    let only = store.conditions(f.lot).await.unwrap()[0].id;
    assert!(store.remove_condition(region, f.lot, only, &Actor::cli()).await.is_err(), "an open lot keeps a condition");

    // Searching with a backslash behaves the same on both databases.
    assert_eq!(
        store.national_products(Some(Law::Youth), None, Some("45a0\\3"), PageRequest::all()).await.unwrap().total,
        1
    );
}

#[tokio::test]
async fn own_tariffs_follow_membership_and_convoy_also_when_indexed() {
    let f = fixture().await;
    let (store, region) = (&f.store, f.region);
    let c = store
        .create_contract(region, &contract(&f, date!(2025 - 01 - 01), Some(date!(2028 - 12 - 31))), &Actor::cli())
        .await
        .unwrap();
    store
        .set_participation(
            region,
            f.lot,
            &change("GM1783", CollaborationForm::Convoy, date!(2025 - 01 - 01), None),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let own = TariffDetails {
        product_id: f.product,
        year: 2025,
        municipality: Some(gm("GM1783")),
        amount: Cents(7_900),
        unit: Unit::Hour,
        build_up: None,
    };
    store.add_tariff(region, c.id, &own, &Actor::cli()).await.unwrap();
    let regional = TariffDetails { municipality: None, amount: Cents(7_450), ..own.clone() };
    store.add_tariff(region, c.id, &regional, &Actor::cli()).await.unwrap();
    // Westland joins the bus in 2026: its own tariff is not carried over.
    store
        .set_participation(
            region,
            f.lot,
            &change("GM1783", CollaborationForm::SameBus, date!(2026 - 01 - 01), None),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let outcome = store.index_tariffs(region, c.id, 2025, 300, &Actor::cli()).await.unwrap();
    assert_eq!((outcome.made, outcome.skipped), (1, 1));

    // A member that left the region cannot get an own tariff.
    let members = store.memberships(region).await.unwrap();
    let wassenaar = members.iter().find(|m| m.municipality_code == "GM0629").unwrap();
    store
        .set_participation(
            region,
            f.lot,
            &change("GM0629", CollaborationForm::Convoy, date!(2025 - 01 - 01), None),
            &Actor::cli(),
        )
        .await
        .unwrap();
    store.end_membership(region, wassenaar.id, date!(2027 - 01 - 01), &Actor::cli()).await.unwrap();
    let gone = TariffDetails { year: 2027, municipality: Some(gm("GM0629")), ..own.clone() };
    let err = store.add_tariff(region, c.id, &gone, &Actor::cli()).await.unwrap_err();
    assert!(err.to_string().contains("geen lid"), "{err}");
}

#[tokio::test]
async fn admission_decisions_and_endings_stay_within_bounds() {
    let f = fixture().await;
    let (store, region) = (&f.store, f.region);
    let provider_actor = Actor { user_id: None, login: "aanbieder".into(), origin: "test".into() };
    let c1 = store.add_condition(region, f.lot, "AGB-registratie", &Actor::cli()).await.unwrap();
    store.set_admission_open(region, f.lot, true, &Actor::cli()).await.unwrap();
    let a = store.apply_for_admission(region, f.lot, f.provider, None, &provider_actor).await.unwrap();
    // The database itself refuses a second pending application.
    let raw = samenspel_store::on_pool!(store, |pool| {
        sqlx::query(
        "INSERT INTO admission_applications (lot_id, provider_id, status, submitted_at, submitted_by) VALUES ($1, $2, 'ingediend', $3, 'x')"
    )
    .bind(f.lot)
    .bind(f.provider)
    .bind(samenspel_store::now())
    .execute(pool)
    .await
    .map(|_| ())
    });
    assert!(raw.is_err());

    let twice = Decision {
        checks: vec![(c1.id, true, None), (c1.id, true, None)],
        admit: true,
        reason: "ok".into(),
        contract_starts_on: date!(2025 - 02 - 01),
    };
    assert!(matches!(store.decide_admission(region, a.id, &twice, &Actor::cli()).await, Err(StoreError::Invalid(_))));
    let admit = Decision { checks: vec![(c1.id, true, None)], ..twice };
    let admitted = store.decide_admission(region, a.id, &admit, &Actor::cli()).await.unwrap();
    assert!(matches!(
        store.decide_admission(region, a.id, &admit, &Actor::cli()).await,
        Err(StoreError::Conflict { .. })
    ));
    let beyond = store.end_admission(region, admitted.id, date!(2099 - 12 - 31), "stopt", &Actor::cli()).await;
    assert!(matches!(beyond, Err(StoreError::Invalid(_))), "cannot end after the contract's last day");
    store.end_admission(region, admitted.id, date!(2025 - 12 - 31), "stopt", &Actor::cli()).await.unwrap();
    // Re-admission after the contract ended: a new application is welcome.
    store.apply_for_admission(region, f.lot, f.provider, Some("opnieuw"), &provider_actor).await.unwrap();
}
