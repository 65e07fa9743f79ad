//! Each role sees and changes only what it may, through the API and through the pages, and
//! nobody outside a region can reach it.

use crate::common::{spawn, TestApp};
use reqwest::{Method, StatusCode};
use samenspel_domain::access::Role;
use samenspel_domain::account::NewAccount;
use samenspel_domain::region::Domain;
use samenspel_domain::YouthRegionCode;
use samenspel_store::{Actor, PageRequest};
use serde_json::{json, Value};
use time::macros::date;

const ROLES: [&str; 5] = ["beheerder", "gemeente", "aanbieder", "coach", "waarnemer"];

/// A second region with its own admin, to prove isolation.
async fn second_region(app: &TestApp) -> String {
    let new = app
        .store
        .new_region_from_youth_region(&YouthRegionCode::parse("JZ25").unwrap(), Domain::Youth, date!(2020 - 01 - 01))
        .await
        .unwrap();
    let region = app.store.create_region(&new, &Actor::cli()).await.unwrap();
    let account = NewAccount::parse("ander", "Beheerder andere regio", "").unwrap();
    let hash = samenspel_web::auth::secrets::hash_password(crate::common::PASSWORD.into()).await.unwrap();
    let user = app.store.create_user(&account, Some(&hash), false, &Actor::cli()).await.unwrap();
    app.store.add_grant(user.id, region.id, &Role::RegionAdmin, &Actor::cli()).await.unwrap();
    region.code
}

async fn provider_ids(app: &TestApp) -> (i64, i64) {
    let region = app.store.region_by_code("haaglanden").await.unwrap().unwrap();
    let providers = app.store.providers(region.id, true, PageRequest::all()).await.unwrap().items;
    let own = providers.iter().find(|p| p.name.starts_with("Jeugdhulp Duinzicht")).unwrap().id;
    let other = providers.iter().find(|p| p.id != own).unwrap().id;
    (own, other)
}

async fn status(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> u16 {
    let response = if method == Method::GET {
        app.api_get(token, path).await
    } else {
        app.api_send(method, token, path, body).await
    };
    response.status().as_u16()
}

#[tokio::test]
async fn api_role_matrix() {
    let app = spawn().await;
    let other_region = second_region(&app).await;
    let (own, other) = provider_ids(&app).await;
    let mut tokens = Vec::new();
    for login in ROLES {
        tokens.push(app.token(login).await);
    }
    let r = "/api/v1/regios/haaglanden";
    // (method, path, body, expected status per role in ROLES order)
    let cases: Vec<(Method, String, Value, [u16; 5])> = vec![
        (Method::GET, r.to_string(), json!(null), [200, 200, 200, 200, 200]),
        (Method::GET, format!("{r}/leden"), json!(null), [200, 200, 200, 200, 200]),
        (Method::GET, format!("{r}/aanbieders"), json!(null), [200, 200, 200, 200, 200]),
        (Method::GET, format!("{r}/kerncijfers?jaar=2026"), json!(null), [200, 200, 200, 200, 200]),
        (Method::GET, format!("{r}/gebruikers"), json!(null), [200, 200, 200, 200, 403]),
        (Method::GET, format!("{r}/audit-log"), json!(null), [200, 403, 403, 403, 403]),
        (Method::GET, "/api/v1/audit-log".into(), json!(null), [200, 403, 403, 403, 403]),
        (Method::GET, format!("/api/v1/regios/{other_region}"), json!(null), [200, 404, 404, 404, 404]),
        (Method::GET, format!("/api/v1/regios/{other_region}/aanbieders"), json!(null), [200, 404, 404, 404, 404]),
        (
            Method::PATCH,
            format!("{r}/aanbieders/{other}"),
            json!({"telefoon": "070 111 22 33"}),
            [200, 403, 403, 403, 403],
        ),
        (
            Method::PATCH,
            format!("{r}/aanbieders/{own}"),
            json!({"telefoon": "070 123 45 67"}),
            [200, 403, 200, 403, 403],
        ),
        (Method::PATCH, format!("{r}/aanbieders/{own}"), json!({"naam": "Andere naam"}), [200, 403, 400, 403, 403]),
        (Method::PUT, format!("{r}/kerncijfers/2026/GM0518"), json!({"jeugdigen": 100000}), [200, 403, 403, 403, 403]),
        (Method::PUT, format!("{r}/kerncijfers/2026/GM1842"), json!({"jeugdigen": 4000}), [200, 200, 403, 403, 403]),
        (Method::PATCH, r.to_string(), json!({"naam": "Haaglanden"}), [200, 403, 403, 403, 403]),
        (Method::POST, format!("{r}/aanbieders"), json!({"naam": "Nieuwe aanbieder"}), [201, 403, 403, 403, 403]),
        (Method::POST, "/api/v1/regios".into(), json!({"jeugdregio": "JZ26"}), [201, 403, 403, 403, 403]),
        (Method::GET, format!("{r}/voorstellen"), json!(null), [200, 200, 403, 200, 403]),
        (Method::GET, format!("{r}/besluiten"), json!(null), [200, 200, 403, 200, 200]),
        (Method::GET, format!("{r}/inspraak"), json!(null), [200, 200, 403, 200, 403]),
        (Method::GET, format!("{r}/vertegenwoordigers"), json!(null), [200, 200, 403, 200, 403]),
        (
            Method::POST,
            format!("{r}/voorstellen"),
            json!({"soort": "overig", "titel": "T", "tekst": "x"}),
            [201, 403, 403, 403, 403],
        ),
        (Method::GET, format!("/api/v1/regios/{other_region}/voorstellen"), json!(null), [200, 404, 404, 404, 404]),
    ];
    // Denied roles first, so that the admin's successful writes do not change what they see.
    for (method, path, body, expected) in &cases {
        for (i, token) in tokens.iter().enumerate().rev() {
            let got = status(&app, token, method.clone(), path, body.clone()).await;
            assert_eq!(got, expected[i], "{} {method} {path}", ROLES[i]);
        }
    }
    let other_admin = app.token("ander").await;
    assert_eq!(status(&app, &other_admin, Method::GET, r, json!(null)).await, 404);
    assert_eq!(
        status(&app, &other_admin, Method::GET, &format!("/api/v1/regios/{other_region}"), json!(null)).await,
        200
    );
    assert_eq!(
        status(&app, &other_admin, Method::PATCH, &format!("{r}/aanbieders/{own}"), json!({"telefoon": "0701234567"}))
            .await,
        404
    );
}

#[tokio::test]
async fn region_lists_show_only_own_regions() {
    let app = spawn().await;
    second_region(&app).await;
    let observer: Value = app.api_get(&app.token("waarnemer").await, "/api/v1/regios").await.json().await.unwrap();
    let codes: Vec<&str> = observer["items"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["haaglanden"]);
    let platform: Value = app.api_get(&app.token("beheerder").await, "/api/v1/regios").await.json().await.unwrap();
    assert_eq!(platform["totalItems"], 2);
}

#[tokio::test]
async fn users_are_shown_by_need_to_know() {
    let app = spawn().await;
    let path = "/api/v1/regios/haaglanden/gebruikers";
    let admin: Value = app.api_get(&app.token("beheerder").await, path).await.json().await.unwrap();
    let accounts = samenspel_web::demo::demo_accounts().len();
    assert_eq!(admin["totalItems"], accounts);
    assert!(admin["items"].as_array().unwrap().iter().all(|u| u.get("actief").is_some()));

    let member: Value = app.api_get(&app.token("gemeente").await, path).await.json().await.unwrap();
    assert_eq!(member["totalItems"], accounts);
    assert!(member["items"].as_array().unwrap().iter().all(|u| u.get("email").is_none() && u.get("actief").is_none()));

    let provider: Value = app.api_get(&app.token("aanbieder").await, path).await.json().await.unwrap();
    let logins: Vec<&str> =
        provider["items"].as_array().unwrap().iter().map(|u| u["login"].as_str().unwrap()).collect();
    assert_eq!(logins, ["aanbieder"], "a provider sees only its own organisation's staff");

    let coach_id = app.store.user_by_login("coach").await.unwrap().unwrap().id;
    let hidden = app.api_get(&app.token("aanbieder").await, &format!("{path}/{coach_id}")).await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn accounts_shared_with_another_region_cannot_be_changed_by_a_region_admin() {
    let app = spawn().await;
    let other_region = second_region(&app).await;
    // Give the demo coach a role in the other region too.
    let other = app.store.region_by_code(&other_region).await.unwrap().unwrap();
    let coach = app.store.user_by_login("coach").await.unwrap().unwrap();
    app.store.add_grant(coach.id, other.id, &Role::Observer, &Actor::cli()).await.unwrap();
    let other_admin = app.token("ander").await;
    let path = format!("/api/v1/regios/{other_region}/gebruikers/{}", coach.id);
    let r = app.api_send(Method::PATCH, &other_admin, &path, json!({"actief": false})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(app.store.user(coach.id).await.unwrap().active);
    // The platform admin may.
    let platform = app.token("beheerder").await;
    let r = app.api_send(Method::PATCH, &platform, &path, json!({"naam": "Coach (gedeeld)"})).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn admins_manage_users_and_roles_through_the_api() {
    let app = spawn().await;
    let admin = app.token("beheerder").await;
    let r = "/api/v1/regios/haaglanden/gebruikers";
    let created = app
        .api_send(Method::POST, &admin, r, json!({"login": "p.jansen", "naam": "Piet Jansen", "rol": "gemeente", "gemeentecode": "GM0503", "wachtwoord": "lange zin voor piet"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let user: Value = created.json().await.unwrap();
    let id = user["id"].as_i64().unwrap();
    assert_eq!(user["rollen"][0]["gemeentecode"], "GM0503");

    let not_member = app
        .api_send(
            Method::POST,
            &admin,
            r,
            json!({"login": "x.y", "naam": "X Y", "rol": "gemeente", "gemeentecode": "GM0363"}),
        )
        .await;
    assert_eq!(not_member.status(), StatusCode::BAD_REQUEST);
    assert!(app.store.user_by_login("x.y").await.unwrap().is_none(), "a refused role leaves no account behind");

    let role = app.api_send(Method::POST, &admin, &format!("{r}/{id}/rollen"), json!({"rol": "coach"})).await;
    assert_eq!(role.status(), StatusCode::CREATED);
    let role_id = role.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let removed = app.api_send(Method::DELETE, &admin, &format!("{r}/{id}/rollen/{role_id}"), json!(null)).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);

    let me = app.store.user_by_login("beheerder").await.unwrap().unwrap();
    let grants = app.store.grants_of(me.id).await.unwrap();
    let own_admin = grants.iter().find(|g| g.role == "regiobeheerder").unwrap();
    let refused =
        app.api_send(Method::DELETE, &admin, &format!("{r}/{}/rollen/{}", me.id, own_admin.id), json!(null)).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "an admin cannot remove their own admin role");

    let off = app.api_send(Method::PATCH, &admin, &format!("{r}/{id}"), json!({"actief": false})).await;
    assert_eq!(off.status(), StatusCode::OK);
    assert!(!app.store.user(id).await.unwrap().active);
}

#[tokio::test]
async fn page_role_matrix() {
    let app = spawn().await;
    let other_region = second_region(&app).await;
    let base = "/regios/haaglanden";
    let pages: Vec<(String, [u16; 5])> = vec![
        (base.into(), [200, 200, 200, 200, 200]),
        (format!("{base}/leden"), [200, 200, 200, 200, 200]),
        (format!("{base}/kerncijfers"), [200, 200, 200, 200, 200]),
        (format!("{base}/aanbieders"), [200, 200, 200, 200, 200]),
        (format!("{base}/gebruikers"), [200, 200, 200, 200, 403]),
        (format!("{base}/auditlog"), [200, 403, 403, 403, 403]),
        (format!("/regios/{other_region}"), [200, 404, 404, 404, 404]),
        ("/gemeenten".into(), [200, 200, 200, 200, 200]),
        (format!("{base}/percelen"), [200, 200, 200, 200, 200]),
        (format!("{base}/percelen/1"), [200, 200, 200, 200, 200]),
        (format!("{base}/producten"), [200, 200, 200, 200, 200]),
        (format!("{base}/contracten"), [200, 200, 200, 200, 200]),
        (format!("{base}/contracten/2"), [200, 200, 404, 200, 200]),
        (format!("{base}/toelating"), [200, 200, 200, 200, 403]),
        (format!("{base}/toelating/1"), [200, 200, 404, 200, 404]),
        (format!("{base}/administratieve-lasten"), [200, 200, 200, 200, 200]),
        (format!("{base}/voorstellen"), [200, 200, 403, 200, 403]),
        (format!("{base}/besluiten"), [200, 200, 403, 200, 200]),
        (format!("{base}/inspraak"), [200, 200, 403, 200, 403]),
        (format!("{base}/vertegenwoordigers"), [200, 200, 403, 200, 403]),
        (format!("/regios/{other_region}/voorstellen"), [200, 404, 404, 404, 404]),
        ("/account".into(), [200, 200, 200, 200, 200]),
    ];
    for (i, login) in ROLES.iter().enumerate() {
        let mut browser = app.login(login).await;
        for (path, expected) in &pages {
            let (status, html) = browser.page(path).await;
            assert_eq!(status.as_u16(), expected[i], "{login} GET {path}");
            if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
                assert!(html.contains("<h1"), "a Dutch error page");
            }
        }
        let (_, overview) = browser.page(base).await;
        assert_eq!(
            overview.contains("Wie heeft welke rol"),
            matches!(*login, "beheerder" | "gemeente" | "coach"),
            "{login}"
        );
        assert!(overview.contains("Midden-Delfland") && overview.contains("ontbreekt"), "members with missing youths");
        assert_eq!(overview.contains("Auditlog"), *login == "beheerder", "menu offers only what the role may open");

        // Writes through forms are refused for roles without the right.
        let add = browser.submit(&format!("{base}/aanbieders"), &[("naam", "Zorg X")]).await.status().as_u16();
        assert_eq!(add, if *login == "beheerder" { 303 } else { 403 }, "{login} adds a provider");
        let figures = [("gemeentecode", "GM0518"), ("jaar", "2026"), ("jeugdigen", "1.000")];
        let den_haag = browser.submit(&format!("{base}/kerncijfers/invoer"), &figures).await.status().as_u16();
        assert_eq!(den_haag, if *login == "beheerder" { 303 } else { 403 }, "{login} edits Den Haag's figures");
        let lot = [
            ("naam", "Perceel van een ander"),
            ("route", "aanbesteding"),
            ("begindatum", "2026-01-01"),
            ("producten", "1"),
        ];
        let status = browser.submit(&format!("{base}/percelen"), &lot).await.status().as_u16();
        assert_eq!(status, if *login == "beheerder" { 303 } else { 403 }, "{login} creates a lot");
        let own = [("gemeentecode", "GM1842"), ("jaar", "2026"), ("jeugdigen", "4.000")];
        let midden_delfland = browser.submit(&format!("{base}/kerncijfers/invoer"), &own).await.status().as_u16();
        assert_eq!(
            midden_delfland,
            if matches!(*login, "beheerder" | "gemeente") { 303 } else { 403 },
            "{login} edits Midden-Delfland's figures"
        );
    }
}
