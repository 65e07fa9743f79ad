//! The provider side's storage (issue 8) on the backend the environment selects (SQLite by
//! default; PostgreSQL when SAMENSPEL_TEST_POSTGRES_URL is set): accountability requests that
//! freeze once open, submissions kept in versions, a repeat that adds nothing, late and closed
//! requests, and a member reading only its own part.

use samenspel_domain::accountability::{parse_csv, parse_field_lines, Format, Frequency, RequestKind, Value};
use samenspel_domain::region::Domain;
use samenspel_domain::{MunicipalityCode, RegionCode, YouthRegionCode};
use samenspel_store::accountability::{NewSubmission, RequestDetails};
use samenspel_store::providers::ProviderDetails;
use samenspel_store::regions::NewRegion;
use samenspel_store::testing::fresh_store;
use samenspel_store::{Actor, Store, StoreError};
use std::collections::BTreeSet;
use time::macros::date;
use time::Duration;

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
    let provider = store
        .create_provider(
            region,
            &ProviderDetails {
                name: "Zorg Zuid".into(),
                agb_code: None,
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
    (region, provider)
}

fn details(deadline: time::Date) -> RequestDetails {
    RequestDetails {
        title: "Jaarverantwoording 2025".into(),
        kind: RequestKind::Production,
        frequency: Frequency::Yearly,
        period: "2025".into(),
        description: None,
        fields: parse_field_lines("clienten; Cliënten; aantal; gemeente\nkwaliteit; Kwaliteit; tekst; aanbieder")
            .unwrap(),
        deadline,
        lot_id: None,
    }
}

fn served() -> BTreeSet<String> {
    ["GM0518", "GM1783", "GM0603"].into_iter().map(String::from).collect()
}

const REPORT: &str =
    "gemeentecode;veld;waarde\nGM0518;clienten;120\nGM1783;clienten;14\nGM0603;clienten;9\n;kwaliteit;Op orde\n";

#[tokio::test]
async fn one_submission_reaches_each_member_in_its_own_part_and_is_kept_in_versions() {
    let store = fresh_store().await.unwrap();
    let (region, provider) = region_with_provider(&store).await;
    let actor = Actor::cli();
    let today = samenspel_store::today();
    let request =
        store.create_accountability_request(region, &details(today + Duration::days(30)), &actor).await.unwrap();
    // A concept is not open for submissions and can still change.
    let submitted = parse_csv(REPORT.as_bytes(), &request.field_specs(), &served()).unwrap();
    let refused = store
        .submit_accountability(
            region,
            &NewSubmission {
                request_id: request.id,
                provider_id: provider,
                concerns: &served(),
                values: &submitted,
                format: Format::Csv,
            },
            &actor,
        )
        .await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    let mut changed = details(today + Duration::days(30));
    changed.title = "Jaarverantwoording 2025 (productie en kwaliteit)".into();
    store.update_accountability_request(region, request.id, &changed, &actor).await.unwrap();
    let request = store.set_accountability_request_open(region, request.id, true, &actor).await.unwrap();
    assert_eq!(request.status, "open");
    let frozen = store.update_accountability_request(region, request.id, &details(today), &actor).await;
    assert!(matches!(frozen, Err(StoreError::Conflict { .. })), "{frozen:?}");

    let first = store
        .submit_accountability(
            region,
            &NewSubmission {
                request_id: request.id,
                provider_id: provider,
                concerns: &served(),
                values: &submitted,
                format: Format::Csv,
            },
            &actor,
        )
        .await
        .unwrap();
    assert!(!first.unchanged && !first.submission.late);
    assert_eq!(first.submission.version, 1);
    // The same file again adds nothing.
    let again = store
        .submit_accountability(
            region,
            &NewSubmission {
                request_id: request.id,
                provider_id: provider,
                concerns: &served(),
                values: &submitted,
                format: Format::Json,
            },
            &actor,
        )
        .await
        .unwrap();
    assert!(again.unchanged);
    assert_eq!(again.submission.id, first.submission.id);
    assert_eq!(store.accountability_submissions(request.id, None).await.unwrap().len(), 1);

    // Each member sees its own figure and the provider's text, never another member's figure.
    let part = store.submission_values(&request, first.submission.id, Some("GM1783")).await.unwrap();
    assert_eq!(part.len(), 2);
    assert_eq!(part[&(Some("GM1783".into()), "clienten".into())], Value::Count(14));
    assert_eq!(part[&(None, "kwaliteit".into())], Value::Text("Op orde".into()));
    for member in ["GM0518", "GM1783", "GM0603"] {
        let concerning = store.submissions_concerning(request.id, member).await.unwrap();
        assert_eq!(concerning.len(), 1, "{member}");
    }
    assert!(store.submissions_concerning(request.id, "GM1916").await.unwrap().is_empty());

    // A correction is a new version; the first stays readable.
    let corrected = parse_csv(REPORT.replace(";14", ";15").as_bytes(), &request.field_specs(), &served()).unwrap();
    let second = store
        .submit_accountability(
            region,
            &NewSubmission {
                request_id: request.id,
                provider_id: provider,
                concerns: &served(),
                values: &corrected,
                format: Format::Form,
            },
            &actor,
        )
        .await
        .unwrap();
    assert_eq!((second.submission.version, second.unchanged), (2, false));
    let versions = store.accountability_submissions(request.id, Some(provider)).await.unwrap();
    assert_eq!(versions.iter().map(|s| s.version).collect::<Vec<_>>(), vec![2, 1]);
    let old = store.submission_values(&request, first.submission.id, None).await.unwrap();
    assert_eq!(old[&(Some("GM1783".into()), "clienten".into())], Value::Count(14));
    assert_eq!(store.current_accountability_submissions(request.id).await.unwrap()[0].version, 2);

    // Closed: nothing more comes in, and what came in stays.
    store.set_accountability_request_open(region, request.id, false, &actor).await.unwrap();
    let closed = store
        .submit_accountability(
            region,
            &NewSubmission {
                request_id: request.id,
                provider_id: provider,
                concerns: &served(),
                values: &submitted,
                format: Format::Csv,
            },
            &actor,
        )
        .await;
    assert!(matches!(closed, Err(StoreError::Conflict { .. })), "{closed:?}");
    assert_eq!(store.accountability_submissions(request.id, None).await.unwrap().len(), 2);
}

#[tokio::test]
async fn late_submissions_are_marked_and_concurrent_ones_become_versions_in_order() {
    let store = fresh_store().await.unwrap();
    let (region, provider) = region_with_provider(&store).await;
    let actor = Actor::cli();
    let yesterday = samenspel_store::today() - Duration::days(2);
    let request = store.create_accountability_request(region, &details(yesterday), &actor).await.unwrap();
    let request = store.set_accountability_request_open(region, request.id, true, &actor).await.unwrap();
    let specs = request.field_specs();
    let a = parse_csv(REPORT.as_bytes(), &specs, &served()).unwrap();
    let b = parse_csv(REPORT.replace(";9", ";10").as_bytes(), &specs, &served()).unwrap();
    let served = served();
    let first = NewSubmission {
        request_id: request.id,
        provider_id: provider,
        concerns: &served,
        values: &a,
        format: Format::Csv,
    };
    let second = NewSubmission { values: &b, ..first };
    let (ra, rb) = tokio::join!(
        store.submit_accountability(region, &first, &actor),
        store.submit_accountability(region, &second, &actor),
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let mut versions = vec![ra.submission.version, rb.submission.version];
    versions.sort();
    assert_eq!(versions, vec![1, 2]);
    assert!(ra.submission.late && rb.submission.late);
}

#[tokio::test]
async fn the_region_sets_hours_per_kind_within_reason() {
    let store = fresh_store().await.unwrap();
    let (region, _) = region_with_provider(&store).await;
    let hours = store.burden_hours(region).await.unwrap();
    assert_eq!(hours[&RequestKind::Quality], (24, false), "default until set");
    store.set_burden_hours(region, &[(RequestKind::Quality, 40)], &Actor::cli()).await.unwrap();
    store.set_burden_hours(region, &[(RequestKind::Quality, 32)], &Actor::cli()).await.unwrap();
    assert_eq!(store.burden_hours(region).await.unwrap()[&RequestKind::Quality], (32, true));
    let too_many = store.set_burden_hours(region, &[(RequestKind::Other, 5000)], &Actor::cli()).await;
    assert!(matches!(too_many, Err(StoreError::Invalid(_))), "{too_many:?}");
}

#[tokio::test]
async fn answers_are_numbered_once_and_rounds_take_questions_until_they_close() {
    use samenspel_store::dialogue::NewAnnouncement;
    let store = fresh_store().await.unwrap();
    let (region, provider) = region_with_provider(&store).await;
    let actor = Actor::cli();
    let today = samenspel_store::today();
    let round = store
        .publish_announcement(
            region,
            &NewAnnouncement {
                kind: "aanbesteding".into(),
                title: "Dagbehandeling".into(),
                body: "Voorwaarden".into(),
                lot_id: None,
                closes_on: Some(today),
            },
            &actor,
        )
        .await
        .unwrap();
    assert!(round.is_open_round(today) && !round.is_open_round(today + Duration::days(1)));
    let mut questions = Vec::new();
    for subject in ["Groepsgrootte", "Vervoer", "Wachttijd"] {
        let q = store
            .ask_question(region, provider, Some(round.id), subject, "Hoe zit het precies?", &actor)
            .await
            .unwrap();
        questions.push(q.id);
    }
    // Answered at once: each gets its own next number.
    let (a, b, c) = tokio::join!(
        store.answer_question(region, questions[0], "Vraag een?", "Antwoord een.", &actor),
        store.answer_question(region, questions[1], "Vraag twee?", "Antwoord twee.", &actor),
        store.answer_question(region, questions[2], "Vraag drie?", "Antwoord drie.", &actor),
    );
    let mut numbers = vec![a.unwrap().number, b.unwrap().number, c.unwrap().number];
    numbers.sort();
    assert_eq!(numbers, vec![Some(1), Some(2), Some(3)]);
    let twice = store.answer_question(region, questions[0], "Nog eens?", "Anders.", &actor).await;
    assert!(matches!(twice, Err(StoreError::Conflict { .. })), "{twice:?}");
    let published = store.published_answers(region).await.unwrap();
    assert_eq!(published.len(), 3);
    assert_eq!(published.iter().map(|q| q.number).collect::<Vec<_>>(), vec![Some(1), Some(2), Some(3)]);
    // A round of another region is unknown here.
    let unknown =
        store.ask_question(region, provider, Some(round.id + 1000), "X", "Hoe zit het precies?", &actor).await;
    assert!(matches!(unknown, Err(StoreError::Invalid(_))), "{unknown:?}");
    assert!(store.claim_status(region, provider, today.year()).await.unwrap().is_empty());
}
