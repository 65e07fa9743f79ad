//! Procurement through the API and the pages: who may see and change what, bad input that
//! saves nothing, and the whole flow a region goes through (catalogue → lot → forms →
//! steering → contract → tariffs; admission; harmonising lowers the burden).

use crate::common::{spawn, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const ROLES: [&str; 5] = ["beheerder", "gemeente", "aanbieder", "coach", "waarnemer"];

async fn tokens(app: &TestApp) -> Vec<String> {
    let mut t = Vec::new();
    for login in ROLES {
        t.push(app.token(login).await);
    }
    t
}

async fn json(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.api_get(token, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

fn id_of(list: &Value, field: &str, value: &str) -> i64 {
    list["items"].as_array().unwrap().iter().find(|i| i[field] == value).unwrap_or_else(|| panic!("{value} in {list}"))
        ["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn procurement_role_matrix() {
    let app = spawn().await;
    let t = tokens(&app).await;
    let r = "/api/v1/regios/haaglanden";
    let lots = json(&app, &t[0], &format!("{r}/percelen")).await;
    let ambulant = id_of(&lots, "naam", "Jeugdhulp ambulant");
    let contracts = json(&app, &t[0], &format!("{r}/contracten?pageSize=100")).await;
    let own = contracts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["aanbieder"] == "Jeugdhulp Duinzicht (fictief)")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let other = contracts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["aanbieder"] != "Jeugdhulp Duinzicht (fictief)")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let cases: Vec<(Method, String, Value, [u16; 5])> = vec![
        (Method::GET, format!("{r}/producten"), json!(null), [200, 200, 200, 200, 200]),
        (Method::GET, format!("{r}/percelen/{ambulant}/sturing"), json!(null), [200, 200, 200, 200, 200]),
        (Method::GET, format!("{r}/samenwerkingsmatrix?datum=2026-06-01"), json!(null), [200, 200, 200, 200, 200]),
        (Method::GET, format!("{r}/administratieve-lasten"), json!(null), [200, 200, 200, 200, 200]),
        (Method::GET, format!("{r}/contracten/{own}/tarieven"), json!(null), [200, 200, 200, 200, 200]),
        (Method::GET, format!("{r}/contracten/{other}"), json!(null), [200, 200, 404, 200, 200]),
        (Method::GET, format!("{r}/contracten/{other}/tarieven"), json!(null), [200, 200, 404, 200, 200]),
        (Method::GET, format!("{r}/toelatingen"), json!(null), [200, 200, 200, 200, 403]),
        (
            Method::POST,
            format!("{r}/producten"),
            json!({"wet": "jeugd", "categorie": "45", "code": "45A01", "naam": "Ambulant traject", "eenheid": "82", "uitvoeringsvariant": "outputgericht"}),
            [201, 403, 403, 403, 403],
        ),
        (
            Method::POST,
            format!("{r}/percelen/{ambulant}/voorwaarden"),
            json!({"tekst": "Nog een voorwaarde"}),
            [201, 403, 403, 403, 403],
        ),
        (
            Method::POST,
            format!("{r}/contracten/{own}/_indexeer"),
            json!({"jaar": 2026, "percentage": "2,5"}),
            [200, 403, 403, 403, 403],
        ),
        (Method::PATCH, format!("{r}/contracten/{own}"), json!({"kenmerk": "TN-2025-001"}), [200, 403, 403, 403, 403]),
    ];
    for (method, path, body, expected) in &cases {
        for (i, token) in t.iter().enumerate().rev() {
            let got = if *method == Method::GET {
                app.api_get(token, path).await.status().as_u16()
            } else {
                app.api_send(method.clone(), token, path, body.clone()).await.status().as_u16()
            };
            assert_eq!(got, expected[i], "{} {method} {path}", ROLES[i]);
        }
    }
    // A provider sees its own contracts only, and its own applications only.
    let provider_view = json(&app, &t[2], &format!("{r}/contracten")).await;
    assert!(provider_view["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["aanbieder"] == "Jeugdhulp Duinzicht (fictief)"));
    let apps = json(&app, &t[2], &format!("{r}/toelatingen")).await;
    assert_eq!(apps["totalItems"], 0, "the pending application is another provider's");
    let member_apps = json(&app, &t[1], &format!("{r}/toelatingen")).await;
    assert_eq!(member_apps["totalItems"], 1);
}

#[tokio::test]
async fn bad_procurement_input_names_every_field_and_saves_nothing() {
    let app = spawn().await;
    let admin = app.token("beheerder").await;
    let r = "/api/v1/regios/haaglanden";
    let before = app.store.audit_count().await.unwrap();
    let lots = json(&app, &admin, &format!("{r}/percelen")).await;
    let ambulant = id_of(&lots, "naam", "Jeugdhulp ambulant");
    let contracts = json(&app, &admin, &format!("{r}/contracten?pageSize=100")).await;
    let c = contracts["items"].as_array().unwrap().iter().find(|c| c["perceel"] == "Jeugdhulp ambulant").unwrap();
    let (contract, provider) = (c["id"].as_i64().unwrap(), c["aanbiederId"].as_i64().unwrap());
    let products = json(&app, &admin, &format!("{r}/producten")).await;
    let p45a04 = id_of(&products, "code", "45A04");

    let problem = |v: &Value| -> Vec<String> {
        v["invalidParams"]
            .as_array()
            .map(|a| a.iter().map(|p| p["name"].as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let cases: Vec<(Method, String, Value, u16, Vec<&str>)> = vec![
        (
            Method::POST,
            format!("{r}/producten"),
            json!({"wet": "jeugd", "categorie": "45", "code": "45Z99", "naam": "Onbekend", "eenheid": "04", "uitvoeringsvariant": "inspanningsgericht"}),
            400,
            vec!["code"],
        ),
        (
            Method::POST,
            format!("{r}/percelen"),
            json!({"naam": "Leeg perceel", "route": "aanbesteding", "begindatum": "2026-01-01", "producten": []}),
            400,
            vec!["producten"],
        ),
        (
            Method::POST,
            format!("{r}/contracten/{contract}/tarieven"),
            json!({"productId": p45a04, "jaar": 2027, "bedragCent": 8000}),
            400,
            vec!["eenheid"],
        ),
        (
            Method::POST,
            format!("{r}/contracten/{contract}/tarieven"),
            json!({"productId": p45a04, "jaar": 2026, "gemeentecode": "GM0518", "bedragCent": 8000, "eenheid": "04"}),
            400,
            vec!["gemeentecode"],
        ),
        (
            Method::POST,
            format!("{r}/contracten/{contract}/tarieven"),
            json!({"productId": p45a04, "jaar": 2027, "bedragCent": 8000, "eenheid": "04", "kostenopbouw": {"personeelCent": 1, "overheadCent": 0, "improductiefCent": 0, "reisEnScholingCent": 0, "indexatieCent": 0, "overigCent": 0}}),
            400,
            vec!["opbouwPersoneel"],
        ),
        (
            Method::POST,
            format!("{r}/contracten"),
            json!({"aanbiederId": provider, "perceelId": ambulant, "begindatum": "2026-06-01", "einddatum": "2026-12-31"}),
            409,
            vec!["begindatum"],
        ),
        (
            Method::POST,
            format!("{r}/percelen/{ambulant}/sturing"),
            json!({"verwijzers": ["gemeente"], "uitvoeringsvariant": "taakgericht", "frequentie": "kwartaal", "vanaf": "2026-01-01"}),
            400,
            vec!["reden", "budgetplafond"],
        ),
    ];
    for (method, path, body, status, fields) in cases {
        let response = app.api_send(method.clone(), &admin, &path, body).await;
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        let v: Value = response.json().await.unwrap();
        let names = problem(&v);
        for f in fields {
            assert!(names.contains(&f.to_string()), "{path}: {f} missing in {names:?}");
        }
    }
    // The pending application: a decision without a reason, and admitting with an unmet condition.
    let apps = json(&app, &admin, &format!("{r}/toelatingen")).await;
    let application = apps["items"][0]["id"].as_i64().unwrap();
    let conditions = json(&app, &admin, &format!("{r}/percelen/{ambulant}/voorwaarden")).await;
    let checks: Vec<Value> = conditions["items"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"voorwaardeId": c["id"], "voldaan": i > 0}))
        .collect();
    let r1 = app
        .api_send(
            Method::POST,
            &admin,
            &format!("{r}/toelatingen/{application}/besluit"),
            json!({"toelaten": true, "toetsing": checks, "contractVanaf": "2026-12-01"}),
        )
        .await;
    assert_eq!(r1.status(), StatusCode::BAD_REQUEST);
    let names = problem(&r1.json().await.unwrap());
    assert!(names.contains(&"reden".to_string()) && names.contains(&"besluit".to_string()), "{names:?}");
    assert_eq!(app.store.audit_count().await.unwrap(), before, "nothing was saved");
}

#[tokio::test]
async fn the_matrix_shows_how_forms_changed_over_time() {
    let app = spawn().await;
    let token = app.token("waarnemer").await;
    let form_of = |m: &Value, municipality: &str, lot: &str| -> String {
        let col = m["percelen"].as_array().unwrap().iter().position(|l| l["naam"] == lot).unwrap();
        let row = m["rijen"].as_array().unwrap().iter().find(|r| r["gemeentecode"] == municipality).unwrap();
        row["vormen"][col].as_str().unwrap_or("").to_string()
    };
    let r = "/api/v1/regios/haaglanden/samenwerkingsmatrix";
    let m2025 = json(&app, &token, &format!("{r}?datum=2025-06-01")).await;
    let m2026 = json(&app, &token, &format!("{r}?datum=2026-06-01")).await;
    assert_eq!(form_of(&m2025, "GM1783", "Jeugdhulp ambulant"), "bus");
    assert_eq!(form_of(&m2026, "GM1783", "Jeugdhulp ambulant"), "konvooi");
    assert_eq!(form_of(&m2026, "GM1842", "Dagbehandeling"), "lokaal");
    assert_eq!(m2026["rijen"].as_array().unwrap().len(), 9);
}

/// The "done when" of the procurement issue, through the pages alone.
#[tokio::test]
async fn a_region_builds_its_procurement_through_the_pages() {
    let app = spawn().await;
    let mut admin = app.login("beheerder").await;
    let base = "/regios/haaglanden";

    // Catalogue: a national code, found and added.
    let (_, found) = admin.page(&format!("{base}/producten?zoek=45A02&wet=jeugd")).await;
    assert!(found.contains("Jeugdhulp ambulant specialistisch: outputgericht"));
    let r = admin
        .submit(
            &format!("{base}/producten"),
            &[
                ("wet", "jeugd"),
                ("categorie", "45"),
                ("code", "45A02"),
                ("naam", "Ambulant specialistisch (traject)"),
                ("eenheid", "82"),
                ("uitvoeringsvariant", "outputgericht"),
                ("actief", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let product =
        app.store.products(1, true).await.unwrap().into_iter().find(|p| p.code.as_deref() == Some("45A02")).unwrap();

    // A lot with that product; without products it is refused, with the typed name kept.
    let refused = admin
        .submit(
            &format!("{base}/percelen"),
            &[("naam", "Trajecten"), ("route", "aanbesteding"), ("begindatum", "2026-01-01")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Kies minstens één product") && html.contains("value=\"Trajecten\""));
    let pid = product.id.to_string();
    let r = admin
        .submit(
            &format!("{base}/percelen"),
            &[
                ("naam", "Trajecten"),
                ("route", "aanbesteding"),
                ("begindatum", "2026-01-01"),
                ("einddatum", "2027-12-31"),
                ("producten", &pid),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let lot_url = r.headers()["location"].to_str().unwrap().split('?').next().unwrap().to_string();
    let lot_id: i64 = lot_url.rsplit('/').next().unwrap().parse().unwrap();

    // Forms of collaboration and steering choices.
    for (m, form) in [("GM0518", "bus"), ("GM0503", "bus"), ("GM1783", "konvooi")] {
        let r = admin
            .submit(
                &format!("{lot_url}/vormen"),
                &[("gemeentecode", m), ("vorm", form), ("vanaf", "2026-01-01"), ("reden", "")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{m}");
    }
    let r = admin
        .submit(
            &format!("{lot_url}/sturing"),
            &[
                ("verwijzers", "gemeente"),
                ("verwijzers", "huisarts"),
                ("uitvoeringsvariant", "outputgericht"),
                ("frequentie", "kwartaal"),
                ("vanaf", "2026-01-01"),
                ("reden", "Trajectfinanciering proberen"),
                ("pilot", "on"),
                ("evaluatiedatum", "2027-06-30"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, lot_page) = admin.page(&lot_url).await;
    assert!(
        lot_page.contains("in konvooi")
            && lot_page.contains("Trajectfinanciering proberen")
            && lot_page.contains("huisarts")
    );
    let (_, matrix) = admin.page(&format!("{base}/percelen?datum=2026-06-01")).await;
    assert!(matrix.contains("<th class=\"utrecht-table__header-cell\" scope=\"col\">Trajecten</th>"));

    // A contract with a regional tariff and Westland's own.
    let provider =
        app.store.providers(1, false, samenspel_store::PageRequest::all()).await.unwrap().items[0].id.to_string();
    let lot = lot_id.to_string();
    let r = admin
        .submit(
            &format!("{base}/contracten"),
            &[
                ("aanbiederId", &provider),
                ("perceelId", &lot),
                ("begindatum", "2026-01-01"),
                ("einddatum", "2027-12-31"),
                ("status", "actief"),
                ("kenmerk", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let contract_url = r.headers()["location"].to_str().unwrap().split('?').next().unwrap().to_string();
    let no_unit = admin
        .submit(
            &format!("{contract_url}/tarieven"),
            &[("productId", &pid), ("jaar", "2026"), ("bedrag", "2.450,00"), ("eenheid", "")],
        )
        .await;
    assert_eq!(no_unit.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_unit.text().await.unwrap().contains("Een tarief zonder eenheid kan niet"));

    let year = time::OffsetDateTime::now_utc().year().to_string();
    let before = burden_total(&app).await;
    let r = admin
        .submit(
            &format!("{contract_url}/tarieven"),
            &[("productId", &pid), ("jaar", &year), ("bedrag", "2.450,00"), ("eenheid", "82")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .submit(
            &format!("{contract_url}/tarieven"),
            &[
                ("productId", &pid),
                ("jaar", &year),
                ("gemeentecode", "GM1783"),
                ("bedrag", "2.600,00"),
                ("eenheid", "82"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let with_deviation = burden_total(&app).await;
    assert!(with_deviation > before, "a new lot with a convoy member adds burden");

    // Harmonising the two tariffs lowers the burden.
    let westland_tariff = app
        .store
        .tariffs(contract_url.rsplit('/').next().unwrap().parse().unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.municipality_code.as_deref() == Some("GM1783"))
        .unwrap();
    let r = admin.submit(&format!("{contract_url}/tarieven/{}/verwijderen", westland_tariff.id), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(burden_total(&app).await, with_deviation - 1, "one distinct tariff fewer");
    let (_, burden_page) = admin.page(&format!("{base}/administratieve-lasten")).await;
    assert!(burden_page.contains("Wat zou de lasten het meest verlagen?") && burden_page.contains("Westland stapt in"));

    // Open admission: the provider applies through its page, the region admits.
    let mut provider_user = app.login("aanbieder").await;
    let ambulant = app.store.lots(1).await.unwrap().into_iter().find(|l| l.name == "Jeugdhulp ambulant").unwrap();
    let (_, admission_page) = provider_user.page(&format!("{base}/toelating")).await;
    assert!(admission_page.contains("Werkt met de regionale productcodes"), "conditions are published to providers");
    let already = provider_user
        .submit(&format!("{base}/toelating"), &[("perceelId", &ambulant.id.to_string()), ("motivatie", "x")])
        .await;
    assert_eq!(already.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        already.text().await.unwrap().contains("al een lopend contract"),
        "Duinzicht already holds a contract for the lot"
    );
    let pending = app.store.applications(1, None).await.unwrap().into_iter().find(|a| a.status == "ingediend").unwrap();
    let conditions = app.store.conditions(ambulant.id).await.unwrap();
    let url = format!("{base}/toelating/{}/besluit", pending.id);
    let mut fields: Vec<(String, String)> =
        conditions.iter().map(|c| (format!("voldaan-{}", c.id), "ja".to_string())).collect();
    fields.push(("besluit".into(), "toelaten".into()));
    fields.push(("reden".into(), "".into()));
    fields.push(("contractVanaf".into(), "2026-12-01".into()));
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let no_reason = admin.submit(&url, &borrowed).await;
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text().await.unwrap().contains("Geef de reden van het besluit"));
    fields.retain(|(k, _)| k != "reden");
    fields.push(("reden".into(), "Voldoet aan alle voorwaarden".into()));
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = admin.submit(&url, &borrowed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let admitted = app.store.application(1, pending.id).await.unwrap();
    assert_eq!(admitted.status, "toegelaten");
    let contract = app.store.contract(1, admitted.contract_id.unwrap()).await.unwrap();
    assert_eq!(contract.provider_name, "Zorgboerderij De Hofstede (fictief)");
}

async fn burden_total(app: &TestApp) -> i64 {
    let token = app.token("coach").await;
    let v = json(app, &token, "/api/v1/regios/haaglanden/administratieve-lasten").await;
    v["totaal"].as_i64().unwrap()
}
