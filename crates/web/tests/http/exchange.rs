//! Exchange placements through the pages (issue 8): a coordinator runs the demo round with its
//! generated participants and gets a stable matching within capacity; refused forms keep what
//! was typed; a withdrawn place after the matching re-places its participants with a clear
//! message; lessons are recorded and published without the participant's name.

use crate::common::{spawn, TestApp};
use reqwest::StatusCode;
use samenspel_store::exchange::RoundState;
use samenspel_web::{AppState, Settings};

const R: &str = "/regios/haaglanden";

async fn demo_round(app: &TestApp) -> (i64, i64) {
    let region = app.store.region_by_code("haaglanden").await.unwrap().unwrap();
    let round = app.store.exchange_rounds(region.id).await.unwrap().into_iter().next().expect("demo round");
    (region.id, round.id)
}

async fn stored(app: &TestApp, region_id: i64, id: i64) -> RoundState {
    RoundState {
        round: app.store.exchange_round(region_id, id).await.unwrap(),
        places: app.store.exchange_places(id).await.unwrap(),
        participants: app.store.exchange_participants(id).await.unwrap(),
    }
}

/// Every problem of the stored matching, recomputed independently of the pages.
async fn problems(app: &TestApp, region_id: i64, id: i64) -> Vec<samenspel_calc::exchange::MatchingProblem> {
    let state = AppState::new(app.store.clone(), Settings::default());
    let region = app.store.region_by_code("haaglanden").await.unwrap().unwrap();
    let partners = samenspel_web::exchange::partners(&state, &region).await.unwrap();
    let round = stored(app, region_id, id).await;
    let (participants, places) = samenspel_web::exchange::preferences(&round, &partners);
    samenspel_calc::exchange::check(&participants, &places, &round.assignment()).unwrap()
}

#[tokio::test]
async fn a_coordinator_runs_the_demo_round_to_a_stable_matching_and_lessons() {
    let app = spawn().await;
    let (region_id, id) = demo_round(&app).await;
    let path = format!("{R}/wisselstages/{id}");
    let start = stored(&app, region_id, id).await;
    let seats: i32 = start.places.iter().map(|p| p.capacity).sum();
    assert!(start.participants.len() as i32 > seats, "more participants than places in the demo");
    assert!(start.participants.iter().all(|p| p.generated && p.name.contains("gegenereerd")));

    // A member registers a colleague: a wish for a place on its own side is refused, typed text stays.
    let member_place = start.places.iter().find(|p| p.host_municipality.is_some()).unwrap();
    let provider_place = start.places.iter().find(|p| p.host_provider_id.is_some()).unwrap();
    let mut member = app.login("gemeente").await;
    let (status, html) = member.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Een deelnemer aanmelden") && !html.contains("Indeling voorstellen"));
    let fields = |wish: String| {
        vec![
            ("naam".to_string(), "Marloes Verbeek".to_string()),
            ("functie".to_string(), "Contractmanager jeugd".to_string()),
            ("organisatie".to_string(), "gemeente:GM1842".to_string()),
            ("wens1".to_string(), wish),
        ]
    };
    let bad = fields(member_place.id.to_string());
    let borrowed: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = member.submit(&format!("{path}/deelnemers"), &borrowed).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("value=\"Contractmanager jeugd\"") && html.contains("andere kant")
            || html.contains("naar aanbieders"),
        "{html}"
    );
    let good = fields(provider_place.id.to_string());
    let borrowed: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(member.submit(&format!("{path}/deelnemers"), &borrowed).await.status(), StatusCode::SEE_OTHER);
    // ... but not for another municipality, and it cannot run the matching.
    let mut other = good.clone();
    other[2].1 = "gemeente:GM0518".into();
    let borrowed: Vec<(&str, &str)> = other.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(member.submit(&format!("{path}/deelnemers"), &borrowed).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(member.submit(&format!("{path}/voorstel"), &[]).await.status(), StatusCode::FORBIDDEN);

    // The provider offers a place for itself only; a place with its dates the wrong way round is refused.
    let mut provider = app.login("aanbieder").await;
    let own = app
        .store
        .providers(region_id, false, samenspel_store::PageRequest::all())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|p| p.name.starts_with("Jeugdhulp Duinzicht"))
        .unwrap()
        .id;
    let place = |host: String, until: &'static str| {
        vec![
            ("gastheer".to_string(), host),
            ("thema".to_string(), "Dagbehandeling".to_string()),
            ("omschrijving".to_string(), String::new()),
            ("van".to_string(), "01-03-2027".to_string()),
            ("tot".to_string(), until.to_string()),
            ("vorm".to_string(), "online".to_string()),
            ("capaciteit".to_string(), "1".to_string()),
        ]
    };
    let wrong = place(format!("aanbieder:{own}"), "01-02-2027");
    let borrowed: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = provider.submit(&format!("{path}/plekken"), &borrowed).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("eindigt voor ze begint"));
    let other_host = place(format!("aanbieder:{}", provider_place.host_provider_id.unwrap() + 1), "31-03-2027");
    let borrowed: Vec<(&str, &str)> = other_host.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if provider_place.host_provider_id.unwrap() + 1 != own {
        assert_eq!(provider.submit(&format!("{path}/plekken"), &borrowed).await.status(), StatusCode::FORBIDDEN);
    }
    let ok = place(format!("aanbieder:{own}"), "31-03-2027");
    let borrowed: Vec<(&str, &str)> = ok.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(provider.submit(&format!("{path}/plekken"), &borrowed).await.status(), StatusCode::SEE_OTHER);

    // The coordinator proposes: within capacity, and stable, checked again from the stored facts.
    let mut admin = app.login("beheerder").await;
    let r = admin.submit(&format!("{path}/voorstel"), &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("stabiele indeling") && html.contains("De anderen passen niet"), "{html}");
    assert!(problems(&app, region_id, id).await.is_empty(), "the proposal is a stable matching");
    let proposed = stored(&app, region_id, id).await;
    assert_eq!(proposed.round.status, "voorstel");
    assert!(proposed.participants.iter().any(|p| p.place_id.is_none()), "more participants than seats");
    // Registration is closed now, and the page says why.
    let borrowed: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = member.submit(&format!("{path}/deelnemers"), &borrowed).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("volgende ronde"));

    // An adjustment over capacity is refused with the place named, and changes nothing.
    let single = proposed.places.iter().find(|p| p.capacity == 1 && p.host_provider_id.is_some()).unwrap();
    let mut crowd: Vec<(String, String)> = Vec::new();
    for p in proposed.participants.iter().filter(|p| p.municipality_code.is_some()) {
        crowd.push((format!("plek{}", p.id), single.id.to_string()));
    }
    let borrowed: Vec<(&str, &str)> = crowd.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = admin.submit(&format!("{path}/indeling"), &borrowed).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("De aanpassing is niet opgeslagen") && html.contains(&single.theme), "{html}");
    assert_eq!(stored(&app, region_id, id).await.assignment(), proposed.assignment());

    // Confirming the stable proposal needs no acknowledgement.
    assert_eq!(admin.submit(&format!("{path}/bevestigen"), &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app, region_id, id).await.round.status, "bevestigd");

    // The host of a filled place withdraws it: re-placed, back to awaiting confirmation, all named.
    let confirmed = stored(&app, region_id, id).await;
    let filled = confirmed
        .places
        .iter()
        .find(|pl| pl.host_provider_id == Some(own) && confirmed.participants.iter().any(|p| p.place_id == Some(pl.id)))
        .expect("a filled place of Duinzicht");
    let r = provider
        .submit(
            &format!("{path}/plekken/intrekken"),
            &[("plekId", &filled.id.to_string()), ("reden", "Te weinig begeleiders in maart")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("is ingetrokken") && html.contains("opnieuw ingedeeld"), "{html}");
    let after = stored(&app, region_id, id).await;
    assert_eq!(after.round.status, "voorstel");
    assert!(after.participants.iter().all(|p| p.place_id != Some(filled.id)), "nobody at a withdrawn place");
    assert!(after
        .places
        .iter()
        .any(|p| p.id == filled.id && p.withdrawn_reason.as_deref() == Some("Te weinig begeleiders in maart")));
    assert!(problems(&app, region_id, id).await.is_empty(), "the rematch is stable too");
    let again = provider
        .submit(&format!("{path}/plekken/intrekken"), &[("plekId", &filled.id.to_string()), ("reden", "Nog eens")])
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "a place is withdrawn once");

    // An unstable hand adjustment is saved with warnings; confirming it needs the acknowledgement.
    let placed_member =
        after.participants.iter().find(|p| p.municipality_code.is_some() && p.place_id.is_some()).unwrap();
    let mut assignment: Vec<(String, String)> = after
        .participants
        .iter()
        .filter(|p| p.place_id.is_some() && p.id != placed_member.id)
        .map(|p| (format!("plek{}", p.id), p.place_id.unwrap().to_string()))
        .collect();
    assignment.push((format!("plek{}", placed_member.id), String::new()));
    let borrowed: Vec<(&str, &str)> = assignment.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(admin.submit(&format!("{path}/indeling"), &borrowed).await.status(), StatusCode::SEE_OTHER);
    let (_, html) = admin.page(&path).await;
    assert!(html.contains("De indeling is niet stabiel") && html.contains("Bevestig ondanks"), "{html}");
    let r = admin.submit(&format!("{path}/bevestigen"), &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(admin.submit(&format!("{path}/bevestigen"), &[("ondanks", "on")]).await.status(), StatusCode::SEE_OTHER);

    // A placed participant's lessons: recorded by its own organisation, published by the coordinator.
    let final_state = stored(&app, region_id, id).await;
    let lesson_for = final_state
        .participants
        .iter()
        .find(|p| p.place_id.is_some() && p.municipality_code.as_deref() == Some("GM1842"))
        .or_else(|| final_state.participants.iter().find(|p| p.place_id.is_some()))
        .unwrap();
    let mut recorder =
        if lesson_for.municipality_code.as_deref() == Some("GM1842") { member } else { app.login("beheerder").await };
    let lesson = [
        ("deelnemerId", lesson_for.id.to_string()),
        ("geleerd", "Hoe een aanbieder zijn wachtlijst bijhoudt".to_string()),
        ("verrast", String::new()),
        ("meenemen", "Eerder overleggen over de beschikking".to_string()),
        ("tip", String::new()),
        ("aanrader", "7".to_string()),
    ];
    let borrowed: Vec<(&str, &str)> = lesson.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = recorder.submit(&format!("{path}/lessen"), &borrowed).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Hoe een aanbieder zijn wachtlijst bijhoudt"), "typed text stays");
    let mut fixed = lesson.clone();
    fixed[5].1 = "4".into();
    let borrowed: Vec<(&str, &str)> = fixed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(recorder.submit(&format!("{path}/lessen"), &borrowed).await.status(), StatusCode::SEE_OTHER);
    let mut observer = app.login("waarnemer").await;
    assert!(!observer.page(&path).await.1.contains("wachtlijst bijhoudt"), "unpublished lessons stay inside");
    let lesson_id = app.store.exchange_lessons(id).await.unwrap()[0].id;
    assert_eq!(
        observer.submit(&format!("{path}/lessen/{lesson_id}/publiceren"), &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin.submit(&format!("{path}/lessen/{lesson_id}/publiceren"), &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, html) = observer.page(&path).await;
    assert!(html.contains("wachtlijst bijhoudt") && !html.contains(&lesson_for.name), "published without the name");
    assert_eq!(
        admin.submit(&format!("{path}/lessen/{lesson_id}/publiceren"), &[]).await.status(),
        StatusCode::CONFLICT
    );
}
