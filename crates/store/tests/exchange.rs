//! Exchange placements' storage (issue 8) on the backend the environment selects (SQLite by
//! default; PostgreSQL when SAMENSPEL_TEST_POSTGRES_URL is set): registration closes with the
//! matching, wishes must be places on the other side, a refused plan changes nothing, a
//! withdrawn place is kept with its reason and nobody stays at it, and lessons come after
//! confirmation and are published once.

use samenspel_domain::exchange::{Lesson, Mode, NewParticipant, NewPlace, Organisation};
use samenspel_domain::region::Domain;
use samenspel_domain::{MunicipalityCode, RegionCode, YouthRegionCode};
use samenspel_store::exchange::MatchingChange;
use samenspel_store::providers::ProviderDetails;
use samenspel_store::regions::NewRegion;
use samenspel_store::testing::fresh_store;
use samenspel_store::{Actor, Store, StoreError};
use std::collections::BTreeMap;
use time::macros::date;

fn gm(code: &str) -> MunicipalityCode {
    MunicipalityCode::parse(code).unwrap()
}

async fn region_with_provider(store: &Store) -> (i64, i64) {
    let (_, members) = store.youth_region(&YouthRegionCode::parse("JZ24").unwrap()).await.unwrap().unwrap();
    let region = store
        .create_region(
            &NewRegion {
                code: RegionCode::parse("haaglanden").unwrap(),
                name: "Haaglanden".into(),
                domain: Domain::Youth,
                centre: Some(gm("GM0518")),
                youth_region: Some(YouthRegionCode::parse("JZ24").unwrap()),
                members: members.iter().map(|m| gm(&m.code)).collect(),
                joined_on: date!(2015 - 01 - 01),
            },
            &Actor::cli(),
        )
        .await
        .unwrap()
        .id;
    let details = ProviderDetails {
        name: "Zorg Zuid".into(),
        agb_code: None,
        kvk_number: None,
        city: None,
        email: None,
        phone: None,
        active: true,
    };
    let provider = store.create_provider(region, &details, &Actor::cli()).await.unwrap().id;
    (region, provider)
}

fn place(host: Organisation, capacity: u32) -> NewPlace {
    NewPlace {
        host,
        theme: "Meekijken".into(),
        description: None,
        starts_on: date!(2027 - 03 - 01),
        ends_on: date!(2027 - 03 - 31),
        mode: Mode::OnSite,
        capacity,
    }
}

fn participant(org: Organisation, wishes: Vec<i64>) -> NewParticipant {
    NewParticipant {
        name: "Anna de Vries".into(),
        job_title: "Adviseur".into(),
        organisation: org,
        wishes,
        generated: false,
    }
}

fn lesson() -> Lesson {
    Lesson {
        learned: "Hoe een wachtlijst ontstaat".into(),
        surprised: None,
        takeaway: "Eerder bellen".into(),
        tip: None,
        recommend: 4,
    }
}

#[tokio::test]
async fn a_round_goes_from_registration_to_lessons_and_keeps_what_was_withdrawn() {
    let store = fresh_store().await.unwrap();
    let (region, provider) = region_with_provider(&store).await;
    let actor = Actor::cli();
    let round = store.create_exchange_round(region, "Voorjaar", None, &actor).await.unwrap();
    let at_provider =
        store.add_exchange_place(region, round.id, &place(Organisation::Provider(provider), 1), &actor).await.unwrap();
    let at_member = store
        .add_exchange_place(region, round.id, &place(Organisation::Member("GM0518".into()), 1), &actor)
        .await
        .unwrap();
    assert_eq!(at_provider.host_name, "Zorg Zuid");

    // A host outside the region, and a wish on the own side, are refused with the field named.
    let outside =
        store.add_exchange_place(region, round.id, &place(Organisation::Member("GM0363".into()), 1), &actor).await;
    assert!(matches!(outside, Err(StoreError::Invalid(ref i)) if i.errors[0].name == "gastheer"), "{outside:?}");
    let same_side = participant(Organisation::Member("GM1783".into()), vec![at_provider.id, at_member.id]);
    match store.register_exchange_participants(region, round.id, &[same_side], &actor).await {
        Err(StoreError::Invalid(i)) => {
            assert_eq!((i.errors[0].name.as_str(), i.errors[0].code.as_str()), ("wens2", "zelfde-kant"))
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A batch is all or nothing.
    let batch = [
        participant(Organisation::Member("GM1783".into()), vec![at_provider.id]),
        participant(Organisation::Provider(provider), vec![at_provider.id]),
    ];
    assert!(store.register_exchange_participants(region, round.id, &batch, &actor).await.is_err());
    assert!(store.exchange_participants(round.id).await.unwrap().is_empty());
    let ids = store
        .register_exchange_participants(
            region,
            round.id,
            &[
                participant(Organisation::Member("GM1783".into()), vec![at_provider.id]),
                participant(Organisation::Member("GM0518".into()), vec![at_provider.id]),
                participant(Organisation::Provider(provider), vec![at_member.id]),
            ],
            &actor,
        )
        .await
        .unwrap();

    // An adjustment before any matching, and a refused plan, change nothing.
    let nothing =
        store.set_exchange_matching(region, round.id, MatchingChange::Adjust, |_| Ok(BTreeMap::new()), &actor).await;
    assert!(matches!(nothing, Err(StoreError::Conflict { .. })));
    let refused = store
        .set_exchange_matching(
            region,
            round.id,
            MatchingChange::Propose,
            |_| Err(StoreError::invalid("indeling", "test", "nee")),
            &actor,
        )
        .await;
    assert!(refused.is_err());
    assert_eq!(store.exchange_round(region, round.id).await.unwrap().status, "aanmelden");

    let plan = BTreeMap::from([(ids[0], at_provider.id), (ids[2], at_member.id)]);
    let done = store
        .set_exchange_matching(region, round.id, MatchingChange::Propose, |_| Ok(plan.clone()), &actor)
        .await
        .unwrap();
    assert_eq!(done.moved.len(), 2);
    let late = participant(Organisation::Member("GM1783".into()), vec![at_provider.id]);
    assert!(matches!(
        store.register_exchange_participants(region, round.id, &[late], &actor).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.record_exchange_lesson(region, round.id, ids[0], &lesson(), &actor).await,
        Err(StoreError::Conflict { .. })
    ));
    store.confirm_exchange_matching(region, round.id, |_| Ok(()), &actor).await.unwrap();

    // Withdrawing after confirmation: the rematch sees the place withdrawn, the round awaits
    // confirmation again, and the place stays with its reason.
    let moved = store
        .withdraw_exchange_place(
            region,
            round.id,
            at_provider.id,
            "Geen begeleider beschikbaar",
            |state| {
                assert!(state.places.iter().any(|p| p.id == at_provider.id && p.is_withdrawn()));
                Ok(state.assignment().into_iter().filter(|(_, place)| *place != at_provider.id).collect())
            },
            &actor,
        )
        .await
        .unwrap();
    assert_eq!(moved.moved, vec![(ids[0], Some(at_provider.id), None)]);
    let round_now = store.exchange_round(region, round.id).await.unwrap();
    assert_eq!((round_now.status.as_str(), round_now.confirmed_at), ("voorstel", None));
    let places = store.exchange_places(round.id).await.unwrap();
    assert_eq!(places.len(), 2, "nothing is deleted");
    assert_eq!(places[0].withdrawn_reason.as_deref(), Some("Geen begeleider beschikbaar"));
    let again =
        store.withdraw_exchange_place(region, round.id, at_provider.id, "x", |s| Ok(s.assignment()), &actor).await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })));

    // Lessons after confirmation, only for a placed participant; published once, then fixed.
    store.confirm_exchange_matching(region, round.id, |_| Ok(()), &actor).await.unwrap();
    assert!(matches!(
        store.record_exchange_lesson(region, round.id, ids[0], &lesson(), &actor).await,
        Err(StoreError::Conflict { .. })
    ));
    let first = store.record_exchange_lesson(region, round.id, ids[2], &lesson(), &actor).await.unwrap();
    let replaced = store
        .record_exchange_lesson(region, round.id, ids[2], &Lesson { recommend: 5, ..lesson() }, &actor)
        .await
        .unwrap();
    assert_eq!(store.exchange_lessons(round.id).await.unwrap().len(), 1, "replaced, not added");
    assert_eq!((replaced.id, replaced.recommend), (first.id, 5), "the same lesson, changed");
    store.publish_exchange_lesson(region, round.id, replaced.id, &actor).await.unwrap();
    assert!(matches!(
        store.publish_exchange_lesson(region, round.id, replaced.id, &actor).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.record_exchange_lesson(region, round.id, ids[2], &lesson(), &actor).await,
        Err(StoreError::Conflict { .. })
    ));
    // Another region's round does not exist here.
    assert!(matches!(store.exchange_round(region + 1, round.id).await, Err(StoreError::NotFound)));
}
