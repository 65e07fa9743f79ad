//! Collaboration-health storage on the backend the environment selects (SQLite by default;
//! PostgreSQL when SAMENSPEL_TEST_POSTGRES_URL is set): instrument versions that stay fixed once
//! a round opened with them, the round lifecycle, links that work once and expire, drafts that
//! survive a refused submission, and responses that carry no trace of their link.

use samenspel_domain::instrument::{answer_key, Answers, Instrument, Party, TRUST, VALUE};
use samenspel_domain::region::Domain;
use samenspel_domain::{MunicipalityCode, RegionCode, YouthRegionCode};
use samenspel_store::health::{InstrumentChoice, LinkError, LinkProblem, NewInvitation, NewRound};
use samenspel_store::regions::NewRegion;
use samenspel_store::testing::fresh_store;
use samenspel_store::{on_pool, Actor, Store, StoreError};
use time::macros::date;
use time::{Duration, OffsetDateTime};

fn gm(code: &str) -> MunicipalityCode {
    MunicipalityCode::parse(code).unwrap()
}

async fn haaglanden(store: &Store) -> i64 {
    let (_, members) = store.youth_region(&YouthRegionCode::parse("JZ24").unwrap()).await.unwrap().unwrap();
    store
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
        .id
}

fn round(instrument: InstrumentChoice, closes_in: Duration) -> NewRound {
    NewRound {
        title: "Nulmeting 2026".into(),
        kind: "nulmeting".into(),
        instrument,
        parties: vec![Party::Region, Party::Members],
        closes_at: OffsetDateTime::now_utc() + closes_in,
    }
}

/// Every statement answered with `value` (for each party of the round).
fn answers(instrument: &Instrument, parties: &[Party], value: u8) -> Answers {
    let mut out = Answers::default();
    for pass in instrument.passes(parties) {
        for d in &instrument.dimensions {
            for i in &d.items {
                out.scale.insert(answer_key(pass, &i.key), value);
            }
        }
    }
    out
}

fn link_problem<T: std::fmt::Debug>(result: Result<T, LinkError>) -> LinkProblem {
    match result {
        Err(LinkError::Link(p)) => p,
        other => panic!("expected a link problem, got {other:?}"),
    }
}

#[tokio::test]
async fn an_instrument_in_use_is_never_changed_a_new_version_is_made() {
    let store = fresh_store().await.unwrap();
    let region = haaglanden(&store).await;
    let mut value = Instrument::parse(VALUE).unwrap();
    let (v1, new) = store.save_instrument(region, None, &value, &Actor::cli()).await.unwrap();
    assert!(!new);
    assert_eq!(v1.version, 1);

    // Unused: edited in place, and a round in preparation follows the edit.
    let r = store
        .create_survey_round(region, &round(InstrumentChoice::Region(v1.id), Duration::days(7)), &Actor::cli())
        .await
        .unwrap();
    value.name = "Waarde van de samenwerking (regio)".into();
    let (same, new) = store.save_instrument(region, Some(v1.id), &value, &Actor::cli()).await.unwrap();
    assert!(!new);
    assert_eq!((same.id, same.version), (v1.id, 1));
    let r = store.survey_round(region, r.id).await.unwrap();
    assert_eq!(r.instrument().name, value.name);
    assert!(r.parties().is_empty(), "the value instrument is not answered per party");

    // Opened: the next change is version 2 and the round keeps what it asks.
    store.set_survey_round_status(region, r.id, true, &Actor::cli()).await.unwrap();
    let mut changed = value.clone();
    changed.dimensions[0].items[0].text = "Iets heel anders.".into();
    let (v2, new) = store.save_instrument(region, Some(v1.id), &changed, &Actor::cli()).await.unwrap();
    assert!(new);
    assert_eq!((v2.family.as_str(), v2.version), (v1.family.as_str(), 2));
    assert_ne!(v2.id, v1.id);
    assert_eq!(store.instrument(region, v1.id).await.unwrap().instrument().unwrap(), value);
    assert_eq!(store.survey_round(region, r.id).await.unwrap().instrument(), value);

    // A broken instrument is refused with its problems named.
    changed.points = 6;
    match store.save_instrument(region, Some(v2.id), &changed, &Actor::cli()).await {
        Err(StoreError::Invalid(invalid)) => assert!(invalid.errors[0].reason.contains("schaal 6"), "{invalid:?}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rounds_are_checked_and_move_from_preparation_to_open_to_closed() {
    let store = fresh_store().await.unwrap();
    let region = haaglanden(&store).await;
    let mut bad = round(InstrumentChoice::Shipped("vertrouwen".into()), -Duration::days(1));
    bad.title = " ".into();
    bad.kind = "jaarlijks".into();
    bad.parties.clear();
    match store.create_survey_round(region, &bad, &Actor::cli()).await {
        Err(StoreError::Invalid(invalid)) => {
            let fields: Vec<&str> = invalid.errors.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(fields, ["titel", "soort", "sluit", "partijen"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(InstrumentChoice::parse("samenspel:bestaat-niet").is_none());
    let r = store
        .create_survey_round(
            region,
            &round(InstrumentChoice::Shipped("vertrouwen".into()), Duration::days(7)),
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, "concept");
    assert_eq!(r.parties(), [Party::Members, Party::Region]);
    assert!(matches!(
        store.set_survey_round_status(region, r.id, false, &Actor::cli()).await,
        Err(StoreError::Conflict { .. })
    ));
    store.set_survey_round_status(region, r.id, true, &Actor::cli()).await.unwrap();
    assert!(matches!(
        store.set_survey_round_status(region, r.id, true, &Actor::cli()).await,
        Err(StoreError::Conflict { .. })
    ));
    let closed = store.set_survey_round_status(region, r.id, false, &Actor::cli()).await.unwrap();
    assert_eq!(closed.status, "gesloten");
    // Another region cannot reach it.
    assert!(matches!(store.survey_round(region + 1, r.id).await, Err(StoreError::NotFound)));
}

#[tokio::test]
async fn a_link_works_once_keeps_a_draft_and_leaves_no_trace_in_the_response() {
    let store = fresh_store().await.unwrap();
    let region = haaglanden(&store).await;
    let r = store
        .create_survey_round(
            region,
            &round(InstrumentChoice::Shipped("vertrouwen".into()), Duration::days(7)),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let invitees = vec![
        (NewInvitation { group: Party::Members, member: Some(gm("GM0518")) }, "hash-denhaag".to_string()),
        (NewInvitation { group: Party::Members, member: Some(gm("GM1842")) }, "hash-middendelfland".to_string()),
        (NewInvitation { group: Party::Region, member: None }, "hash-regio".to_string()),
    ];
    assert_eq!(store.create_invitations(region, r.id, &invitees, &Actor::cli()).await.unwrap(), 3);
    // A member respondent needs a member of the region; nothing is recorded when one is wrong.
    let wrong = vec![
        (NewInvitation { group: Party::Providers, member: None }, "hash-x".to_string()),
        (NewInvitation { group: Party::Members, member: Some(gm("GM0363")) }, "hash-y".to_string()),
    ];
    assert!(matches!(store.create_invitations(region, r.id, &wrong, &Actor::cli()).await, Err(StoreError::Invalid(_))));
    let rates = store.response_rates(r.id).await.unwrap();
    assert_eq!(rates.iter().map(|r| r.invited).sum::<i64>(), 3);
    // 's-Gravenhage is large, Midden-Delfland small.
    assert!(rates.iter().any(|r| r.respondent_group == "gemeenten" && r.large_member == Some(true)));
    assert!(rates.iter().any(|r| r.respondent_group == "gemeenten" && r.large_member == Some(false)));

    // Not open yet.
    assert_eq!(link_problem(store.invitation("hash-denhaag").await), LinkProblem::NotOpen);
    assert_eq!(link_problem(store.invitation("onbekend").await), LinkProblem::Unknown);
    store.set_survey_round_status(region, r.id, true, &Actor::cli()).await.unwrap();

    let instrument = Instrument::parse(TRUST).unwrap();
    let parties = r.parties();
    let mut partial = answers(&instrument, &parties, 6);
    let missing = answer_key(Some(Party::Region), "persoon_betrouwbaar");
    partial.scale.remove(&missing);
    partial.open = vec!["Meer openheid over de begroting.".into()];
    store.save_draft("hash-denhaag", &partial).await.unwrap();
    let (invitation, _) = store.invitation("hash-denhaag").await.unwrap();
    assert_eq!(invitation.draft(), partial);

    // Submitting with an answer missing is refused, names it, and keeps what was typed.
    match store.submit_response("hash-denhaag", &partial).await {
        Err(LinkError::Answers(invalid)) => assert_eq!(invalid.errors[0].name, missing),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.invitation("hash-denhaag").await.unwrap().0.draft(), partial);
    let mut off_scale = partial.clone();
    off_scale.scale.insert(missing.clone(), 8);
    assert!(matches!(store.submit_response("hash-denhaag", &off_scale).await, Err(LinkError::Answers(_))));

    let mut complete = partial.clone();
    complete.scale.insert(missing, 6);
    store.submit_response("hash-denhaag", &complete).await.unwrap();
    assert_eq!(link_problem(store.invitation("hash-denhaag").await), LinkProblem::Used);
    assert_eq!(link_problem(store.submit_response("hash-denhaag", &complete).await), LinkProblem::Used);
    assert_eq!(link_problem(store.save_draft("hash-denhaag", &complete).await), LinkProblem::Used);

    // The response: group and size class, the answers; no link, no time, no draft left.
    let (respondents, open) = store.respondents(r.id).await.unwrap();
    assert_eq!(respondents.len(), 1);
    assert_eq!((respondents[0].group, respondents[0].large_member), (Party::Members, Some(true)));
    assert_eq!(open, [vec!["Meer openheid over de begroting.".to_string()]]);
    let columns: Vec<String> = on_pool!(&store, |pool| {
        let row: (i64, Option<String>) =
            sqlx::query_as("SELECT COUNT(*), MAX(draft) FROM survey_invitations WHERE submitted")
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(row, (1, None));
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT answers FROM survey_responses").fetch_all(pool).await.unwrap();
        rows.into_iter().map(|(a,)| a).collect::<Vec<String>>()
    });
    assert!(columns.iter().all(|a| !a.contains("hash")));
    let rates = store.response_rates(r.id).await.unwrap();
    assert_eq!(rates.iter().map(|r| r.submitted).sum::<i64>(), 1);

    // A draft left on another link, then the round closes: the links expire, the drafts go, and
    // the responses are written anew (same answers) so nothing ties them to their moment.
    store.save_draft("hash-regio", &partial).await.unwrap();
    store.set_survey_round_status(region, r.id, false, &Actor::cli()).await.unwrap();
    let drafts: i64 =
        on_pool!(&store, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM survey_invitations WHERE draft IS NOT NULL")
            .fetch_one(pool)
            .await
            .unwrap());
    assert_eq!(drafts, 0);
    let (after_close, _) = store.respondents(r.id).await.unwrap();
    assert_eq!(after_close, respondents);
    // Generated answers never join a round with real invitations.
    let demo = store
        .create_survey_round(
            region,
            &round(InstrumentChoice::Shipped("vertrouwen".into()), Duration::days(7)),
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .create_invitations(
            region,
            demo.id,
            &[(NewInvitation { group: Party::Region, member: None }, "hash-demo".into())],
            &Actor::cli(),
        )
        .await
        .unwrap();
    store.set_survey_round_status(region, demo.id, true, &Actor::cli()).await.unwrap();
    let generated = samenspel_calc::health::Respondent {
        group: Party::Region,
        large_member: None,
        answers: complete.scale.clone(),
    };
    assert!(matches!(
        store.add_generated_responses(region, demo.id, &[generated], &Actor::cli()).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(link_problem(store.invitation("hash-regio").await), LinkProblem::Expired);
    assert_eq!(link_problem(store.submit_response("hash-regio", &complete).await), LinkProblem::Expired);
    assert!(matches!(
        store.create_invitations(region, r.id, &invitees[2..], &Actor::cli()).await,
        Err(StoreError::Conflict { .. })
    ));
}

#[tokio::test]
async fn a_link_submitted_twice_at_once_counts_once() {
    let store = fresh_store().await.unwrap();
    let region = haaglanden(&store).await;
    let r = store
        .create_survey_round(
            region,
            &round(InstrumentChoice::Shipped("vertrouwen".into()), Duration::days(7)),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let invitees = vec![(NewInvitation { group: Party::Providers, member: None }, "hash-aanbieder".to_string())];
    store.create_invitations(region, r.id, &invitees, &Actor::cli()).await.unwrap();
    store.set_survey_round_status(region, r.id, true, &Actor::cli()).await.unwrap();
    let complete = answers(&Instrument::parse(TRUST).unwrap(), &r.parties(), 5);
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (store, complete) = (store.clone(), complete.clone());
            tokio::spawn(async move { store.submit_response("hash-aanbieder", &complete).await })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => accepted += 1,
            Err(LinkError::Link(LinkProblem::Used)) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(store.respondents(r.id).await.unwrap().0.len(), 1);
}

#[tokio::test]
async fn the_larger_half_of_the_members_counts_as_large() {
    let store = fresh_store().await.unwrap();
    let region = haaglanden(&store).await;
    let sizes = store.member_size_classes(region).await.unwrap();
    assert_eq!(sizes.len(), 9);
    assert_eq!(sizes.iter().filter(|(_, large)| *large == Some(true)).count(), 5);
    assert!(sizes.contains(&("GM0518".to_string(), Some(true))));
    assert!(sizes.contains(&("GM1842".to_string(), Some(false))));
}
