//! Exchange placements through the API (issue 8).

use crate::common::{spawn, TestApp};
use reqwest::{Method, StatusCode};
use samenspel_store::exchange::RoundState;
use samenspel_web::{AppState, Settings};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const R: &str = "/api/v1/regios/haaglanden/wisselstages";

async fn provider_id(app: &TestApp, name: &str) -> i64 {
    let region = app.store.region_by_code("haaglanden").await.unwrap().unwrap();
    let all = app.store.providers(region.id, false, samenspel_store::PageRequest::all()).await.unwrap();
    all.items.into_iter().find(|p| p.name == name).unwrap_or_else(|| panic!("provider {name}")).id
}

async fn send(app: &TestApp, method: Method, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let r = app.api_send(method, token, path, body).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let r = app.api_get(token, path).await;
    let status = r.status();
    (status, r.json().await.unwrap())
}

fn invalid_names(problem: &Value) -> Vec<String> {
    problem["invalidParams"]
        .as_array()
        .map(|list| list.iter().map(|p| p["name"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default()
}

async fn new_round(app: &TestApp, admin: &str, title: &str) -> i64 {
    let (status, round) = send(app, Method::POST, admin, R, json!({"titel": title})).await;
    assert_eq!(status, StatusCode::CREATED, "{round}");
    assert_eq!(round["status"], "aanmelden");
    round["id"].as_i64().unwrap()
}

fn place(host: &str, theme: &str, capacity: i64) -> Value {
    json!({"gastheer": host, "thema": theme, "van": "2027-03-01", "tot": "15-03-2027", "vorm": "op-locatie",
           "capaciteit": capacity})
}

async fn offer(app: &TestApp, token: &str, round: i64, body: Value) -> i64 {
    let (status, place) = send(app, Method::POST, token, &format!("{R}/{round}/plekken"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{place}");
    place["id"].as_i64().unwrap()
}

async fn register(app: &TestApp, token: &str, round: i64, name: &str, org: &str, wishes: &[i64]) -> i64 {
    let body = json!({"naam": name, "functie": "Beleidsadviseur", "organisatie": org, "wensen": wishes});
    let (status, p) = send(app, Method::POST, token, &format!("{R}/{round}/deelnemers"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["naam"], name);
    p["id"].as_i64().unwrap()
}

/// Participant id → place id, as the coordinator sees the round.
fn assignment_of(round: &Value) -> BTreeMap<i64, i64> {
    round["deelnemers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["plekId"].as_i64().map(|h| (p["id"].as_i64().unwrap(), h)))
        .collect()
}

/// The round as stored, checked with the calculation itself: no problem at all means a stable
/// matching within capacity of pairs that accept each other.
async fn stored_problems(app: &TestApp, round: i64) -> Vec<samenspel_calc::exchange::MatchingProblem> {
    let region = app.store.region_by_code("haaglanden").await.unwrap().unwrap();
    let state = RoundState {
        round: app.store.exchange_round(region.id, round).await.unwrap(),
        places: app.store.exchange_places(round).await.unwrap(),
        participants: app.store.exchange_participants(round).await.unwrap(),
    };
    let web = AppState::new(app.store.clone(), Settings::default());
    let partners = samenspel_web::exchange::partners(&web, &region).await.unwrap();
    let (participants, places) = samenspel_web::exchange::preferences(&state, &partners);
    samenspel_calc::exchange::check(&participants, &places, &state.assignment()).unwrap()
}

#[tokio::test]
async fn a_round_from_places_to_published_lessons() {
    let app = spawn().await;
    let admin = app.token("beheerder").await;
    let member = app.token("gemeente").await; // Midden-Delfland, GM1842
    let provider = app.token("aanbieder").await; // Jeugdhulp Duinzicht
    let observer = app.token("waarnemer").await;
    let den_haag = app.token("wethouder-denhaag").await;
    let duinzicht = provider_id(&app, "Jeugdhulp Duinzicht (fictief)").await;
    let westland = provider_id(&app, "Gezinsbegeleiding Het Westland (fictief)").await;

    let round = new_round(&app, &admin, "Wisselstage voorjaar (test)").await;
    let (status, list) = get(&app, &observer, R).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list["items"].as_array().unwrap().iter().any(|r| r["id"] == round), "{list}");

    // Each host offers for itself; the coordinator for anyone.
    let at_duinzicht =
        offer(&app, &provider, round, place(&format!("aanbieder:{duinzicht}"), "Ambulante jeugdhulp", 1)).await;
    let at_midden_delfland = offer(&app, &member, round, place("gemeente:GM1842", "Het sociaal team", 1)).await;
    let at_westland =
        offer(&app, &admin, round, place(&format!("aanbieder:{westland}"), "Gezinsbegeleiding thuis", 7)).await;
    let at_den_haag = offer(&app, &admin, round, place("gemeente:GM0518", "Inkoop en contractbeheer", 1)).await;

    // A member registers its own employee; providers' employees wish the municipalities.
    let mila = register(&app, &member, round, "Mila Oostveen", "gemeente:GM1842", &[at_duinzicht, at_westland]).await;
    let anouk = register(
        &app,
        &provider,
        round,
        "Anouk Duinhof",
        &format!("aanbieder:{duinzicht}"),
        &[at_midden_delfland, at_den_haag],
    )
    .await;
    let bas =
        register(&app, &admin, round, "Bas Westlander", &format!("aanbieder:{westland}"), &[at_midden_delfland]).await;

    // Before any assignment the provider sees its own participant only.
    let (_, seen) = get(&app, &provider, &format!("{R}/{round}")).await;
    let names: Vec<&str> = seen["deelnemers"].as_array().unwrap().iter().map(|p| p["naam"].as_str().unwrap()).collect();
    assert_eq!(names, ["Anouk Duinhof"], "{seen}");
    assert_eq!(seen["deelnemersTotaal"], 3);
    assert!(seen.get("waarschuwingen").is_none(), "warnings are for the coordinator");

    // More participants than seats: 15 people, 10 seats.
    let (status, made) =
        send(&app, Method::POST, &admin, &format!("{R}/{round}/deelnemers/genereren"), json!({"aantal": 12})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["deelnemerIds"].as_array().unwrap().len(), 12);

    // Samenspel's proposal: within capacity, stable, and the rest named as not placed.
    let (status, proposal) = send(&app, Method::POST, &admin, &format!("{R}/{round}/indeling"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{proposal}");
    assert_eq!(proposal["status"], "voorstel");
    assert_eq!(proposal["waarschuwingen"], json!([]));
    let placed = proposal["indeling"].as_array().unwrap();
    let unplaced = proposal["nietGeplaatst"].as_array().unwrap();
    assert_eq!(placed.len() + unplaced.len(), 15);
    assert!(!unplaced.is_empty() && proposal["toelichting"].is_string(), "{proposal}");
    let (_, detail) = get(&app, &admin, &format!("{R}/{round}")).await;
    for p in detail["plekken"].as_array().unwrap() {
        let here = placed.iter().filter(|t| t["plekId"] == p["id"]).count() as i64;
        assert!(here <= p["capaciteit"].as_i64().unwrap(), "{p}");
        assert_eq!(p["ingedeeld"].as_i64().unwrap(), here);
    }
    assert_eq!(detail["waarschuwingen"], json!([]));
    assert!(stored_problems(&app, round).await.is_empty(), "the proposal is a stable matching");
    let proposed = assignment_of(&detail);
    assert!(proposed.contains_key(&mila), "Westland has a seat for every municipal participant");

    // A hand-made assignment with a place over capacity and a member at a member: refused, each
    // problem named, nothing changed.
    let mut rows: Vec<Value> = proposed.iter().map(|(p, h)| json!({"deelnemerId": p, "plekId": h})).collect::<Vec<_>>();
    rows.retain(|r| r["deelnemerId"] != anouk && r["deelnemerId"] != bas && r["deelnemerId"] != mila);
    rows.push(json!({"deelnemerId": anouk, "plekId": at_midden_delfland}));
    rows.push(json!({"deelnemerId": bas, "plekId": at_midden_delfland}));
    rows.push(json!({"deelnemerId": mila, "plekId": at_den_haag}));
    let (status, problem) =
        send(&app, Method::PUT, &admin, &format!("{R}/{round}/indeling"), json!({"indeling": rows})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let names = invalid_names(&problem);
    assert!(names.contains(&"indeling".to_string()), "over capacity: {problem}");
    assert!(names.contains(&format!("indeling[{}].plekId", rows.len() - 1)), "Mila's place: {problem}");
    assert!(problem.to_string().contains("maar er zijn"), "{problem}");
    let (_, unchanged) = get(&app, &admin, &format!("{R}/{round}")).await;
    assert_eq!(assignment_of(&unchanged), proposed, "nothing changed");

    // Valid but unstable (someone loses a place that still wants them): stored, with warnings.
    let (&loser, _) =
        proposed.iter().find(|(p, h)| **p != mila && **h != at_midden_delfland).expect("someone placed elsewhere");
    let rows: Vec<Value> = proposed
        .iter()
        .map(|(p, h)| json!({"deelnemerId": p, "plekId": if *p == loser { Value::Null } else { json!(h) }}))
        .collect();
    let (status, adjusted) =
        send(&app, Method::PUT, &admin, &format!("{R}/{round}/indeling"), json!({"indeling": rows})).await;
    assert_eq!(status, StatusCode::OK, "{adjusted}");
    let warnings = adjusted["waarschuwingen"].as_array().unwrap();
    assert!(!warnings.is_empty() && warnings[0].as_str().unwrap().contains("Niet stabiel"), "{adjusted}");
    assert!(adjusted["nietGeplaatst"].as_array().unwrap().iter().any(|n| n["deelnemerId"] == loser));
    let (_, detail) = get(&app, &admin, &format!("{R}/{round}")).await;
    assert!(!detail["waarschuwingen"].as_array().unwrap().is_empty());
    assert!(!assignment_of(&detail).contains_key(&loser));

    // Confirming an unstable assignment asks for `ondanks`.
    let (status, problem) = send(&app, Method::POST, &admin, &format!("{R}/{round}/bevestigen"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(invalid_names(&problem), ["ondanks"]);
    let (status, confirmed) =
        send(&app, Method::POST, &admin, &format!("{R}/{round}/bevestigen"), json!({"ondanks": true})).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert_eq!(confirmed["status"], "bevestigd");
    assert!(confirmed["bevestigdOp"].is_string());

    // The host withdraws its place after confirmation: whoever was there moves, the round awaits
    // confirmation again, the place stays listed as withdrawn and empty.
    let (_, before) = get(&app, &admin, &format!("{R}/{round}")).await;
    assert!(assignment_of(&before).values().any(|h| *h == at_midden_delfland), "someone is at Midden-Delfland");
    let (status, problem) = send(
        &app,
        Method::POST,
        &provider,
        &format!("{R}/{round}/plekken/{at_midden_delfland}/intrekken"),
        json!({"reden": "Het team verhuist."}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the host or the coordinator: {problem}");
    let (status, problem) = send(
        &app,
        Method::POST,
        &member,
        &format!("{R}/{round}/plekken/{at_midden_delfland}/intrekken"),
        json!({"reden": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_names(&problem), ["reden"]);
    let (status, withdrawn) = send(
        &app,
        Method::POST,
        &member,
        &format!("{R}/{round}/plekken/{at_midden_delfland}/intrekken"),
        json!({"reden": "Het sociaal team verhuist in maart."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{withdrawn}");
    assert_eq!(withdrawn["status"], "voorstel");
    let moves = withdrawn["verplaatst"].as_array().unwrap();
    assert!(!moves.is_empty(), "{withdrawn}");
    assert!(moves.iter().all(|m| m.as_str().unwrap().ends_with('.')), "{withdrawn}");
    assert!(withdrawn["aantalVerplaatst"].as_u64().unwrap() >= moves.len() as u64);
    let (_, after) = get(&app, &admin, &format!("{R}/{round}")).await;
    assert_eq!(after["status"], "voorstel");
    let gone = after["plekken"].as_array().unwrap().iter().find(|p| p["id"] == at_midden_delfland).unwrap();
    assert!(gone["ingetrokkenOp"].is_string());
    assert_eq!(gone["reden"], "Het sociaal team verhuist in maart.");
    assert_eq!(gone["ingedeeld"], 0);
    assert!(assignment_of(&after).values().all(|h| *h != at_midden_delfland));
    assert!(stored_problems(&app, round).await.is_empty(), "the rematch is stable");

    // Confirmed again; the member records what its employee learned, the coordinator publishes.
    let (status, _) = send(&app, Method::POST, &admin, &format!("{R}/{round}/bevestigen"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let mila_place = *assignment_of(&after).get(&mila).expect("Mila is placed");
    let lesson = json!({"geleerd": "Hoe een aanbieder een wachtlijst beheert.",
                        "meenemen": "Eerder overleggen bij twijfel.", "tip": "Vaker doen.", "aanrader": 5});
    let path = format!("{R}/{round}/deelnemers/{mila}/lessen");
    let (status, _) = send(&app, Method::POST, &provider, &path, lesson.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not the provider's employee");
    let (status, problem) = send(&app, Method::POST, &member, &path, json!({"aanrader": 9})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_names(&problem), ["geleerd", "meenemen", "aanrader"]);
    let (status, les) = send(&app, Method::POST, &member, &path, lesson.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{les}");
    let (status, les) = send(&app, Method::POST, &member, &path, lesson).await;
    assert_eq!(status, StatusCode::OK, "replaced until published: {les}");
    assert_eq!(les["plekId"], mila_place);
    let les_id = les["id"].as_i64().unwrap();

    // Unpublished, another member does not see it; published, everyone does, without the name.
    let (_, other) = get(&app, &den_haag, &format!("{R}/{round}")).await;
    assert_eq!(other["lessen"], json!([]), "{other}");
    let (status, _) =
        send(&app, Method::POST, &member, &format!("{R}/{round}/lessen/{les_id}/publiceren"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, published) =
        send(&app, Method::POST, &admin, &format!("{R}/{round}/lessen/{les_id}/publiceren"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert!(published["gepubliceerdOp"].is_string());
    for token in [&den_haag, &observer] {
        let r = app.api_get(token, &format!("{R}/{round}")).await;
        let text = r.text().await.unwrap();
        assert!(!text.contains("Oostveen"), "no name for others: {text}");
        let seen: Value = serde_json::from_str(&text).unwrap();
        let lessons = seen["lessen"].as_array().unwrap();
        assert_eq!(lessons.len(), 1, "{seen}");
        assert_eq!(lessons[0]["geleerd"], "Hoe een aanbieder een wachtlijst beheert.");
        assert_eq!(lessons[0]["organisatie"], "gemeente:GM1842");
        assert!(lessons[0].get("deelnemerId").is_none());
        assert!(lessons[0]["plek"].is_string());
    }
    let (status, _) =
        send(&app, Method::POST, &admin, &format!("{R}/{round}/lessen/{les_id}/publiceren"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "published once");

    // The provider sees its own employees and those placed with it, no others.
    let (_, seen) = get(&app, &provider, &format!("{R}/{round}")).await;
    let dz_places: Vec<i64> = seen["plekken"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["gastheer"] == format!("aanbieder:{duinzicht}"))
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    let visible = seen["deelnemers"].as_array().unwrap();
    assert!(visible.len() < seen["deelnemersTotaal"].as_u64().unwrap() as usize);
    for p in visible {
        let own = p["organisatie"] == format!("aanbieder:{duinzicht}");
        let hosted = p["plekId"].as_i64().is_some_and(|h| dz_places.contains(&h));
        assert!(own || hosted, "{p}");
    }
    assert!(!seen.to_string().contains("Bas Westlander"));
}

#[tokio::test]
async fn who_may_do_what_in_a_round() {
    let app = spawn().await;
    let admin = app.token("beheerder").await;
    let member = app.token("gemeente").await;
    let provider = app.token("aanbieder").await;
    let observer = app.token("waarnemer").await;
    let duinzicht = provider_id(&app, "Jeugdhulp Duinzicht (fictief)").await;
    let westland = provider_id(&app, "Gezinsbegeleiding Het Westland (fictief)").await;

    let (status, _) = send(&app, Method::POST, &member, R, json!({"titel": "Eigen ronde"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the coordinator starts a round");
    let (status, problem) = send(&app, Method::POST, &admin, R, json!({"titel": "x", "kleur": "blauw"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_names(&problem), ["kleur", "titel"]);
    let round = new_round(&app, &admin, "Wisselstage najaar (test)").await;

    // A member offers for itself only.
    let path = format!("{R}/{round}/plekken");
    for host in [format!("aanbieder:{duinzicht}"), "gemeente:GM0518".to_string()] {
        let (status, _) = send(&app, Method::POST, &member, &path, place(&host, "Meekijken", 1)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{host}");
    }
    let (status, problem) = send(
        &app,
        Method::POST,
        &member,
        &path,
        json!({"gastheer": "gemeente:GM1842", "thema": "", "van": "2027-03-10", "tot": "2027-03-01",
               "vorm": "hybride", "capaciteit": 0}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_names(&problem), ["thema", "vorm", "capaciteit", "tot"]);
    let at_member = offer(&app, &member, round, place("gemeente:GM1842", "Het sociaal team", 2)).await;
    let at_provider = offer(&app, &provider, round, place(&format!("aanbieder:{duinzicht}"), "Ambulant", 2)).await;

    // A provider registers its own staff only; wishes go to the other side.
    let dp = format!("{R}/{round}/deelnemers");
    let body = |org: String, wishes: Vec<i64>| {
        json!({"naam": "Sem de Wit", "functie": "Jeugdhulpverlener",
               "organisatie": org, "wensen": wishes})
    };
    let (status, _) =
        send(&app, Method::POST, &provider, &dp, body(format!("aanbieder:{westland}"), vec![at_member])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) =
        send(&app, Method::POST, &member, &dp, body("gemeente:GM1842".into(), vec![at_member, at_provider])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(invalid_names(&problem), ["wensen[0]"]);
    let (status, problem) =
        send(&app, Method::POST, &member, &dp, body("gemeente:GM1842".into(), vec![at_provider, at_provider])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_names(&problem), ["wensen[1]"]);
    let (status, problem) = send(&app, Method::POST, &member, &dp, body("gemeente:GM1842".into(), vec![])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_names(&problem), ["wensen"]);
    register(&app, &provider, round, "Sem de Wit", &format!("aanbieder:{duinzicht}"), &[at_member]).await;

    // The observer reads, but runs nothing.
    let (status, seen) = get(&app, &observer, &format!("{R}/{round}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["deelnemers"], json!([]));
    assert_eq!(seen["deelnemersTotaal"], 1);
    for (method, op, body) in [
        (Method::POST, "deelnemers/genereren", json!({})),
        (Method::POST, "indeling", json!({})),
        (Method::PUT, "indeling", json!({"indeling": []})),
        (Method::POST, "bevestigen", json!({"ondanks": true})),
    ] {
        for token in [&observer, &member, &provider] {
            let (status, _) = send(&app, method.clone(), token, &format!("{R}/{round}/{op}"), body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {op}");
        }
    }
    let (status, problem) =
        send(&app, Method::POST, &admin, &format!("{R}/{round}/deelnemers/genereren"), json!({"aantal": 0})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_names(&problem), ["aantal"]);

    // Confirming or adjusting needs an assignment first.
    let (status, _) = send(&app, Method::POST, &admin, &format!("{R}/{round}/bevestigen"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = send(&app, Method::PUT, &admin, &format!("{R}/{round}/indeling"), json!({"indeling": []})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Unknown rounds, places and participants are not found.
    let (status, _) = get(&app, &admin, &format!("{R}/987654")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        &app,
        Method::POST,
        &admin,
        "/api/v1/regios/haaglanden/wisselstages/987654/plekken",
        place("gemeente:GM1842", "Iets", 1),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&app, Method::POST, &admin, &format!("{R}/987654/indeling"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        &app,
        Method::POST,
        &admin,
        &format!("{R}/{round}/plekken/987654/intrekken"),
        json!({"reden": "Bestaat niet."}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        send(&app, Method::POST, &admin, &format!("{R}/{round}/deelnemers/987654/lessen"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A place withdrawn during registration cannot be wished any more.
    let (status, w) = send(
        &app,
        Method::POST,
        &provider,
        &format!("{R}/{round}/plekken/{at_provider}/intrekken"),
        json!({"reden": "Geen begeleider beschikbaar."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(w["status"], "aanmelden");
    assert_eq!(w["verplaatst"], json!([]));
    let (status, problem) =
        send(&app, Method::POST, &member, &dp, body("gemeente:GM1842".into(), vec![at_provider])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_names(&problem), ["wensen[0]"]);
}
