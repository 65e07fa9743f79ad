//! The provider side through the pages (issue 8): one submission that each member sees its own
//! part of, refusals that keep what was typed and name the problem, concepts and other
//! providers' figures out of sight, and reminders on the home page.

use crate::common::{spawn, Browser, TestApp};
use reqwest::StatusCode;

const R: &str = "/regios/haaglanden";

async fn request_id(app: &TestApp, title: &str) -> i64 {
    let region = app.store.region_by_code("haaglanden").await.unwrap().unwrap();
    app.store.accountability_requests(region.id).await.unwrap().into_iter().find(|r| r.title == title).unwrap().id
}

async fn members(app: &TestApp) -> Vec<String> {
    let region = app.store.region_by_code("haaglanden").await.unwrap().unwrap();
    app.store.memberships(region.id).await.unwrap().into_iter().map(|m| m.municipality_code).collect()
}

/// The yearly report with a distinct number of clients per member: 1000 + its position.
fn report(members: &[String]) -> String {
    let mut csv = String::from("gemeentecode;veld;waarde\n");
    for (i, m) in members.iter().enumerate() {
        csv.push_str(&format!("{m};clienten;{}\n{m};uren;{}\n{m};omzet;{}.000,50\n", 1001 + i, 5000 + i, 10 + i));
    }
    csv.push_str(";klachten;3\n;kwaliteit;Alle teams werken met het kwaliteitskader.\n");
    csv
}

async fn upload(browser: &mut Browser, path: &str, name: &str, body: String) -> reqwest::Response {
    let csrf = browser.csrf.clone();
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .part("bestand", reqwest::multipart::Part::bytes(body.into_bytes()).file_name(name.to_string()));
    browser.post_multipart(path, form).await
}

#[tokio::test]
async fn one_yearly_report_reaches_three_members_each_with_only_its_own_part() {
    let app = spawn().await;
    let id = request_id(&app, "Jaarverantwoording 2025").await;
    let members = members(&app).await;
    let path = format!("{R}/verantwoording/{id}");
    let mut provider = app.login("aanbieder").await;

    // The home page reminds the provider of what is due and what is overdue.
    let (_, home) = provider.page(R).await;
    assert!(
        home.contains("Lever &#39;Jaarverantwoording 2025&#39; aan")
            || home.contains("Lever 'Jaarverantwoording 2025' aan"),
        "{home}"
    );
    assert!(home.contains("Te laat:"), "the waiting list is overdue");

    // A file with a member the provider does not serve and a bad amount: nothing is stored.
    let bad = report(&members).replace("GM0518;clienten", "GM0599;clienten").replace(";11.000,50", ";11.000,505");
    let r = upload(&mut provider, &format!("{path}/bestand"), "jaar.csv", bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("jaar.csv is niet ingelezen"), "{html}");
    assert!(html.contains("geen zorg aan GM0599"), "{html}");
    assert!(html.contains("regel 7: Omzet"), "the line is named: {html}");
    assert!(html.contains("GM0518") && html.contains("ontbreekt"), "the member left out is missing: {html}");
    assert!(app.store.accountability_submissions(id, None).await.unwrap().is_empty());

    // The form: a wrong number keeps everything typed, with the reason at the cell.
    let mut fields: Vec<(String, String)> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        fields.push((format!("w.{m}.clienten"), (1001 + i).to_string()));
        fields.push((format!("w.{m}.uren"), if i == 0 { "veel".into() } else { (5000 + i).to_string() }));
        fields.push((format!("w.{m}.omzet"), format!("{}.000,50", 10 + i)));
    }
    fields.push(("w.aanbieder.klachten".into(), "3".into()));
    fields.push(("w.aanbieder.kwaliteit".into(), "Alle teams werken met het kwaliteitskader.".into()));
    let as_refs = |f: &[(String, String)]| f.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>();
    let sent: Vec<(String, String)> = as_refs(&fields);
    let borrowed: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = provider.submit(&format!("{path}/inzending"), &borrowed).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("&#39;veel&#39; is geen geheel aantal") || html.contains("'veel' is geen geheel aantal"),
        "{html}"
    );
    assert!(html.contains("value=\"1001\""), "typed values stay: {html}");
    assert!(html.contains("Alle teams werken met het kwaliteitskader."));

    // Corrected, it is stored once; the same again adds nothing.
    fields[1].1 = "5000".into();
    let sent = as_refs(&fields);
    let borrowed: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = provider.submit(&format!("{path}/inzending"), &borrowed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"].to_str().unwrap().ends_with("gelukt=ingediend"));
    let r = upload(&mut provider, &format!("{path}/bestand"), "jaar.csv", report(&members)).await;
    assert!(r.headers()["location"].to_str().unwrap().ends_with("gelukt=ongewijzigd"));
    assert_eq!(app.store.accountability_submissions(id, None).await.unwrap().len(), 1);

    // Three members, each its own figure and the provider's text, none another member's.
    let own_figure = |code: &str| {
        let i = members.iter().position(|m| m == code).unwrap();
        format!("1.{:03}", 1 + i)
    };
    for (login, code) in [("wethouder-denhaag", "GM0518"), ("wethouder-delft", "GM0503"), ("gemeente", "GM1842")] {
        let mut member = app.login(login).await;
        let (status, html) = member.page(&path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&format!(">{}<", own_figure(code))), "{login} sees its clients: {html}");
        assert!(html.contains("Alle teams werken met het kwaliteitskader."));
        for other in ["GM0518", "GM0503", "GM1842"].into_iter().filter(|o| *o != code) {
            assert!(!html.contains(&format!(">{}<", own_figure(other))), "{login} must not see {other}");
        }
        assert!(!html.contains("w.GM"), "a member gets no submission form");
        let (_, csv) = member.page(&format!("{path}/export.csv")).await;
        let rows: Vec<&str> = csv.lines().skip(1).collect();
        assert!(rows.iter().all(|r| r.contains(&format!(";{code};")) || r.contains(";;")), "{csv}");
        assert_eq!(rows.len(), 5, "three figures of its own and two of the provider: {csv}");
    }

    // The region sees who sent what; another provider's figures stay out of the provider's view.
    let mut admin = app.login("beheerder").await;
    let (_, html) = admin.page(&path).await;
    assert!(html.contains("data-stand=\"op-tijd\""), "{html}");
    assert!(html.contains("data-stand=\"verwacht\""), "the other ambulant provider has not sent yet");
    let waiting = request_id(&app, "Wachtlijst derde kwartaal").await;
    let (_, html) = provider.page(&format!("{R}/verantwoording/{waiting}?aanbieder=2")).await;
    assert!(!html.contains("6,5"), "Het Westland's waiting time is not for Duinzicht");
    let (_, csv) = provider.page(&format!("{R}/verantwoording/{waiting}/export.csv")).await;
    assert_eq!(csv.lines().count(), 1, "only the header: {csv}");
    let (_, html) = admin.page(&format!("{R}/verantwoording/{waiting}?aanbieder=2")).await;
    assert!(html.contains("6,5") && html.contains("na de termijn"), "{html}");
}

#[tokio::test]
async fn the_region_prepares_opens_and_closes_a_request_and_others_cannot() {
    let app = spawn().await;
    let mut admin = app.login("beheerder").await;
    let fields = [
        ("titel", "Wachttijden per kwartaal"),
        ("soort", "wachttijden"),
        ("frequentie", "kwartaal"),
        ("periode", "2026 K4"),
        ("deadline", "15-01-2027"),
        ("perceelId", ""),
        ("velden", "wachtenden; Wachtenden; aantal; gemeente\nweken; Weken; stuks; aanbieder"),
        ("toelichting", ""),
    ];
    let r = admin.submit(&format!("{R}/verantwoording"), &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Regel 2") && html.contains("stuks"), "{html}");
    assert!(html.contains("Wachttijden per kwartaal"), "typed title stays");
    let mut good = fields;
    good[6].1 = "wachtenden; Wachtenden; aantal; gemeente\nweken; Weken; getal; aanbieder";
    let r = admin.submit(&format!("{R}/verantwoording"), &good).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = request_id(&app, "Wachttijden per kwartaal").await;
    let path = format!("{R}/verantwoording/{id}");

    // A concept is the region's own; a member or provider cannot make one either.
    let mut provider = app.login("aanbieder").await;
    assert_eq!(provider.page(&path).await.0, StatusCode::NOT_FOUND);
    let mut member = app.login("gemeente").await;
    assert_eq!(member.submit(&format!("{R}/verantwoording"), &good).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(provider.submit(&format!("{path}/status"), &[("stap", "openen")]).await.status(), StatusCode::FORBIDDEN);

    assert_eq!(admin.submit(&format!("{path}/status"), &[("stap", "openen")]).await.status(), StatusCode::SEE_OTHER);
    let (status, html) = provider.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Inzending versturen"));
    // Once open, the figures asked stay put.
    let r = admin.submit(&path, &good).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // An observer reads the request but submits nothing.
    let mut observer = app.login("waarnemer").await;
    let (status, html) = observer.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Inzending versturen"));
    let r = observer.submit(&format!("{path}/inzending"), &[("w.aanbieder.weken", "3")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Closed: a late submission gets a clear refusal and nothing is stored.
    assert_eq!(admin.submit(&format!("{path}/status"), &[("stap", "sluiten")]).await.status(), StatusCode::SEE_OTHER);
    let mut fields: Vec<(String, String)> =
        members(&app).await.iter().map(|m| (format!("w.{m}.wachtenden"), "1".to_string())).collect();
    fields.push(("w.aanbieder.weken".into(), "4,5".into()));
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = provider.submit(&format!("{path}/inzending"), &borrowed).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("gesloten"));
    assert!(app.store.accountability_submissions(id, None).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_api_takes_one_document_and_gives_each_role_its_share() {
    use reqwest::Method;
    use serde_json::{json, Value};
    let app = spawn().await;
    let (admin, provider, member, observer) = (
        app.token("beheerder").await,
        app.token("aanbieder").await,
        app.token("gemeente").await,
        app.token("waarnemer").await,
    );
    let base = "/api/v1/regios/haaglanden/verantwoordingsverzoeken";
    // Every problem at once.
    let bad = json!({"titel": "W", "soort": "jaarrekening", "frequentie": "kwartaal", "periode": "2026 K4",
        "deadline": "2027-02-30", "velden": [{"sleutel": "Wachtenden", "omschrijving": "Wachtenden", "eenheid": "aantal", "niveau": "gemeente"}]});
    let r = app.api_send(Method::POST, &admin, base, bad).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let problem: Value = r.json().await.unwrap();
    let names: Vec<&str> =
        problem["invalidParams"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["titel", "soort", "deadline", "velden"], "{problem}");
    let good = json!({"titel": "Wachttijden vierde kwartaal", "soort": "wachttijden", "frequentie": "kwartaal",
        "periode": "2026 K4", "deadline": "2099-01-15", "velden": [
            {"sleutel": "wachtenden", "omschrijving": "Wachtenden", "eenheid": "aantal", "niveau": "gemeente"},
            {"sleutel": "weken", "omschrijving": "Gemiddelde wachttijd in weken", "eenheid": "getal", "niveau": "aanbieder"}]});
    let r = app.api_send(Method::POST, &member, base, good.clone()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.api_send(Method::POST, &admin, base, good).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let path = format!("{base}/{id}");
    assert_eq!(app.api_get(&provider, &path).await.status(), StatusCode::NOT_FOUND, "a concept is the region's");
    let r = app.api_send(Method::POST, &admin, &format!("{path}/status"), json!({"actie": "openen"})).await;
    assert_eq!(r.status(), StatusCode::OK);

    let members = members(&app).await;
    let mut gemeenten = serde_json::Map::new();
    for (i, m) in members.iter().enumerate() {
        gemeenten.insert(m.clone(), json!({"wachtenden": 10 + i}));
    }
    let mut wrong = gemeenten.clone();
    wrong.insert("GM0599".into(), json!({"wachtenden": 1}));
    let r = app
        .api_send(
            Method::POST,
            &provider,
            &format!("{path}/inzendingen"),
            json!({"aanbieder": {"weken": 6.5}, "gemeenten": wrong}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["invalidParams"][0]["name"], "gemeenten.GM0599.wachtenden", "{problem}");
    assert_eq!(problem["invalidParams"][0]["code"], "geen-contract");
    let document = json!({"aanbieder": {"weken": 6.5}, "gemeenten": gemeenten});
    let r = app.api_send(Method::POST, &provider, &format!("{path}/inzendingen"), document.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let sent: Value = r.json().await.unwrap();
    assert_eq!(sent["inzending"]["waarden"]["aanbieder"]["weken"], "6.50");
    let r = app.api_send(Method::POST, &member, &format!("{path}/inzendingen"), document.clone()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a member sends nothing in a provider's name");
    let r = app.api_send(Method::POST, &provider, &format!("{path}/inzendingen"), document).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["nieuweVersie"], false);
    // The same as CSV, with one figure corrected: version 2.
    let mut csv = String::from("gemeentecode;veld;waarde\n");
    for (i, m) in members.iter().enumerate() {
        csv.push_str(&format!("{m};wachtenden;{}\n", if i == 0 { 99 } else { 10 + i }));
    }
    csv.push_str(";weken;6,5\n");
    let r = reqwest::Client::new()
        .post(app.url(&format!("{path}/inzendingen")))
        .bearer_auth(&provider)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["inzending"]["versie"], 2);

    // A member reads its own part; an observer reads no submission; the region reads all.
    let listed: Value = app.api_get(&member, &format!("{path}/inzendingen")).await.json().await.unwrap();
    let part = &listed["items"][0];
    assert_eq!(part["gemeenten"], json!(["GM1842"]));
    let own = members.iter().position(|m| m == "GM1842").unwrap();
    assert_eq!(part["waarden"]["gemeenten"], json!({"GM1842": {"wachtenden": if own == 0 { 99 } else { 10 + own }}}));
    assert_eq!(part["waarden"]["aanbieder"]["weken"], "6.50");
    // A user who also works for Den Haag (a shared service organisation) reads both parts.
    let user = app.store.user_by_login("gemeente").await.unwrap().unwrap();
    let region = app.store.region_by_code("haaglanden").await.unwrap().unwrap();
    let den_haag = samenspel_domain::MunicipalityCode::parse("GM0518").unwrap();
    let role = samenspel_domain::access::Role::Member(den_haag);
    app.store.add_grant(user.id, region.id, &role, &samenspel_store::Actor::cli()).await.unwrap();
    let listed: Value = app.api_get(&member, &format!("{path}/inzendingen")).await.json().await.unwrap();
    let part = &listed["items"][0];
    let mut codes: Vec<&str> = part["gemeenten"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    codes.sort();
    assert_eq!(codes, vec!["GM0518", "GM1842"], "{part}");
    assert_eq!(part["waarden"]["gemeenten"].as_object().unwrap().len(), 2, "{part}");
    let listed: Value = app.api_get(&observer, &format!("{path}/inzendingen")).await.json().await.unwrap();
    assert_eq!(listed["items"], json!([]));
    let listed: Value = app.api_get(&admin, &format!("{path}/inzendingen")).await.json().await.unwrap();
    assert_eq!(listed["items"][0]["waarden"]["gemeenten"].as_object().unwrap().len(), members.len());
    let stand: Value = app.api_get(&admin, &format!("{path}/stand")).await.json().await.unwrap();
    assert!(stand.as_array().unwrap().iter().any(|s| s["stand"] == "op-tijd"), "{stand}");
    assert!(stand.as_array().unwrap().iter().any(|s| s["stand"] == "verwacht"), "{stand}");
    let own: Value = app.api_get(&provider, &format!("{path}/stand")).await.json().await.unwrap();
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(app.api_get(&member, &format!("{path}/stand")).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn one_portal_and_one_set_of_answers_for_every_provider() {
    let app = spawn().await;
    let mut provider = app.login("aanbieder").await;
    let (status, html) = provider.page(&format!("{R}/loket")).await;
    assert_eq!(status, StatusCode::OK);
    // Its contracts with Westland's own tariff next to the regional one, the open round and the
    // open-admission conditions, its open requests.
    assert!(html.contains("Jeugdhulp Duinzicht (fictief)") && html.contains("Jeugdhulp ambulant"), "{html}");
    assert!(html.contains("Westland: €"), "members' own tariffs: {html}");
    assert!(html.contains("Aanbesteding dagbehandeling 2027"));
    assert!(html.contains("verklaring omtrent gedrag"));
    assert!(html.contains("Jaarverantwoording 2025"));
    // Another provider's portal stays closed: the page shows only its own, the API refuses.
    let (_, html) = provider.page(&format!("{R}/loket?aanbieder=2")).await;
    assert!(!html.contains("Gezinsbegeleiding Het Westland (fictief)</h2>"));
    let token = app.token("aanbieder").await;
    let r = app.api_get(&token, "/api/v1/regios/haaglanden/loket?aanbiederId=2").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let own: serde_json::Value = app.api_get(&token, "/api/v1/regios/haaglanden/loket").await.json().await.unwrap();
    assert_eq!(own["aanbiederNaam"], "Jeugdhulp Duinzicht (fictief)");
    assert!(own["contracten"][0]["tarieven"][0]["regionaalCent"].is_i64(), "{own}");

    // A question, answered once for all providers without the asker's name.
    let r = provider.submit(&format!("{R}/vragen"), &[("onderwerp", "Vervoer"), ("vraag", "kort")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("value=\"Vervoer\""), "the subject typed stays");
    let r = provider
        .submit(
            &format!("{R}/vragen"),
            &[
                ("onderwerp", "Vervoer"),
                ("vraag", "Vergoedt de regio het vervoer naar de dagbehandeling van Duinzicht?"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut admin = app.login("beheerder").await;
    let (_, html) = admin.page(&format!("{R}/vragen")).await;
    assert!(html.contains("Van Jeugdhulp Duinzicht (fictief)"), "the region sees who asks: {html}");
    let region = app.store.region_by_code("haaglanden").await.unwrap().unwrap();
    let id = app
        .store
        .provider_questions(region.id, None)
        .await
        .unwrap()
        .into_iter()
        .find(|q| q.subject == "Vervoer")
        .unwrap()
        .id;
    let r = admin
        .submit(
            &format!("{R}/vragen/{id}/antwoord"),
            &[("gepubliceerdeVraag", "Vergoedt de regio het vervoer?"), ("antwoord", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Vergoedt de regio het vervoer?</textarea>"), "typed wording stays");
    let fields = [
        ("gepubliceerdeVraag", "Vergoedt de regio het vervoer naar de dagbehandeling?"),
        ("antwoord", "Ja, binnen de regio."),
    ];
    assert_eq!(admin.submit(&format!("{R}/vragen/{id}/antwoord"), &fields).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(admin.submit(&format!("{R}/vragen/{id}/antwoord"), &fields).await.status(), StatusCode::CONFLICT);
    let mut member = app.login("gemeente").await;
    let (_, html) = member.page(&format!("{R}/vragen")).await;
    assert!(html.contains("Vraag 2: Vervoer") && html.contains("Ja, binnen de regio."), "{html}");
    assert!(!html.contains("Duinzicht"), "the asker stays unnamed: {html}");
    assert_eq!(member.submit(&format!("{R}/vragen"), &fields).await.status(), StatusCode::FORBIDDEN);
    let observer = app.token("waarnemer").await;
    let listed: serde_json::Value =
        app.api_get(&observer, "/api/v1/regios/haaglanden/vragen").await.json().await.unwrap();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{listed}");
    assert!(items.iter().all(|q| q.get("aanbiederId").is_none()), "{listed}");

    // An announcement: a procurement round needs its closing day.
    let r = admin
        .submit(
            &format!("{R}/mededelingen"),
            &[("soort", "aanbesteding"), ("titel", "Crisis 2027"), ("tekst", "Voorwaarden volgen."), ("sluitOp", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("sluit"));
    let r = admin
        .submit(
            &format!("{R}/mededelingen"),
            &[("soort", "mededeling"), ("titel", "Nieuwe contactpersoon"), ("tekst", "Vanaf maandag.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(provider.page(&format!("{R}/loket")).await.1.contains("Nieuwe contactpersoon"));
    assert_eq!(
        provider
            .submit(&format!("{R}/mededelingen"), &[("soort", "mededeling"), ("titel", "x"), ("tekst", "y")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

/// The burden figures of Jeugdhulp Duinzicht (the `aanbieder` user's provider) this year.
async fn duinzicht_burden(app: &TestApp, token: &str) -> serde_json::Value {
    let v: serde_json::Value =
        app.api_get(token, "/api/v1/regios/haaglanden/administratieve-lasten").await.json().await.unwrap();
    v["aanbieders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["aanbieder"].as_str().unwrap().starts_with("Jeugdhulp Duinzicht"))
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn requests_and_their_hours_count_in_the_burden_once_now_and_per_member_apart() {
    use reqwest::Method;
    use serde_json::{json, Value};
    let app = spawn().await;
    let (admin, member) = (app.token("beheerder").await, app.token("gemeente").await);
    let start = duinzicht_burden(&app, &member).await;
    let served = start["gemeenten"].as_u64().unwrap();
    assert!(served >= 3, "Duinzicht serves several members: {start}");

    // A yearly quality report with its deadline this year; as a concept it asks nobody yet.
    let year = time::OffsetDateTime::now_utc().year();
    let body = json!({"titel": "Kwaliteitsverslag", "soort": "kwaliteit", "frequentie": "jaarlijks", "periode": year.to_string(),
        "deadline": format!("{year}-12-31"), "velden": [
            {"sleutel": "verslag", "omschrijving": "Verslag", "eenheid": "tekst", "niveau": "aanbieder"}]});
    let base = "/api/v1/regios/haaglanden/verantwoordingsverzoeken";
    let r = app.api_send(Method::POST, &admin, base, body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(duinzicht_burden(&app, &member).await, start, "a concept adds no burden");
    let r = app.api_send(Method::POST, &admin, &format!("{base}/{id}/status"), json!({"actie": "openen"})).await;
    assert_eq!(r.status(), StatusCode::OK);

    let n = |v: &Value, path: &[&str]| path.iter().fold(v, |v, k| &v[*k]).as_u64().unwrap();
    let opened = duinzicht_burden(&app, &member).await;
    assert_eq!(n(&opened, &["verantwoordingsverzoeken"]), n(&start, &["verantwoordingsverzoeken"]) + 1);
    assert_eq!(n(&opened, &["score"]), n(&start, &["score"]) + 1);
    // 24 hours per quality report by default; every member asking apart would cost that each.
    assert_eq!(n(&opened, &["urenPerJaar"]), n(&start, &["urenPerJaar"]) + 24);
    assert_eq!(
        n(&opened, &["elkLidApart", "verantwoordingsverzoeken"]),
        n(&start, &["elkLidApart", "verantwoordingsverzoeken"]) + served
    );
    assert_eq!(n(&opened, &["elkLidApart", "urenPerJaar"]), n(&start, &["elkLidApart", "urenPerJaar"]) + 24 * served);

    // The region sets its own hours: only the admin, and only sensible numbers, each named.
    let hours = "/api/v1/regios/haaglanden/administratieve-lasten/uren";
    let r = app.api_send(Method::PUT, &member, hours, json!({"kwaliteit": 30})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let bad = json!({"jaarrekening": 3, "kwaliteit": 5000, "overig": -1});
    let r = app.api_send(Method::PUT, &admin, hours, bad).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let problem: Value = r.json().await.unwrap();
    let names: Vec<&str> =
        problem["invalidParams"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["jaarrekening", "overig", "kwaliteit"], "{problem}");
    assert_eq!(duinzicht_burden(&app, &member).await, opened, "a refused change changes nothing");
    let r = app.api_send(Method::PUT, &admin, hours, json!({"kwaliteit": 30})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let list: Value = r.json().await.unwrap();
    let quality = list.as_array().unwrap().iter().find(|h| h["soort"] == "kwaliteit").unwrap();
    assert_eq!((quality["uren"].as_u64(), quality["standaard"].as_bool()), (Some(30), Some(false)));
    let production = list.as_array().unwrap().iter().find(|h| h["soort"] == "productie").unwrap();
    assert_eq!((production["uren"].as_u64(), production["standaard"].as_bool()), (Some(16), Some(true)));
    let set = duinzicht_burden(&app, &member).await;
    assert_eq!(n(&set, &["urenPerJaar"]), n(&start, &["urenPerJaar"]) + 30);
    assert_eq!(n(&set, &["elkLidApart", "urenPerJaar"]), n(&start, &["elkLidApart", "urenPerJaar"]) + 30 * served);

    // The page: the admin's hours form keeps a refused value and names it; a member only reads.
    let mut browser = app.login("beheerder").await;
    let page = format!("{R}/administratieve-lasten");
    let (_, html) = browser.page(&page).await;
    assert!(html.contains("Voor en na standaardisatie") && html.contains("Uren per jaar (schatting)"));
    let r = browser
        .submit(
            &format!("{page}/uren"),
            &[("uren_productie", "16"), ("uren_kwaliteit", "veel"), ("uren_wachttijden", "2"), ("uren_overig", "4")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"veel\"") && html.contains("heel aantal uren"), "{html}");
    let r = browser
        .submit(
            &format!("{page}/uren"),
            &[("uren_productie", "16"), ("uren_kwaliteit", "12"), ("uren_wachttijden", "2"), ("uren_overig", "4")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(n(&duinzicht_burden(&app, &member).await, &["urenPerJaar"]), n(&start, &["urenPerJaar"]) + 12);
    let mut member_browser = app.login("gemeente").await;
    let (status, html) = member_browser.page(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("12 uur per inzending") && !html.contains("Uren opslaan"));
    let r = member_browser.submit(&format!("{page}/uren"), &[("uren_productie", "1")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
