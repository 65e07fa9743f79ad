//! E-mail notifications against a real SMTP exchange: a small SMTP server in the test takes the
//! messages the real client (lettre) sends over TCP.

use crate::common::{spawn_with_settings, TestApp};
use reqwest::{Method, StatusCode};
use samenspel_store::Actor;
use serde_json::json;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One message as the server received it.
#[derive(Debug, Clone)]
struct Received {
    to: Vec<String>,
    data: String,
}

/// Accepts SMTP sessions on a random port and keeps every message.
async fn smtp_server() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let inbox: Arc<Mutex<Vec<Received>>> = Arc::default();
    let keep = inbox.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let keep = keep.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut to = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        write.write_all(b"250-test\r\n250 8BITMIME\r\n").await.unwrap();
                    } else if upper.starts_with("RCPT TO:") {
                        to.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                        write.write_all(b"250 OK\r\n").await.unwrap();
                    } else if upper.starts_with("DATA") {
                        write.write_all(b"354 verder\r\n").await.unwrap();
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        keep.lock().unwrap().push(Received { to: std::mem::take(&mut to), data });
                        write.write_all(b"250 OK\r\n").await.unwrap();
                    } else if upper.starts_with("QUIT") {
                        write.write_all(b"221 dag\r\n").await.unwrap();
                        return;
                    } else {
                        write.write_all(b"250 OK\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (format!("smtp://{addr}"), inbox)
}

async fn wait_for(inbox: &Arc<Mutex<Vec<Received>>>, count: usize) -> Vec<Received> {
    for _ in 0..100 {
        if inbox.lock().unwrap().len() >= count {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    inbox.lock().unwrap().clone()
}

async fn set_email(app: &TestApp, login: &str, email: &str) {
    let user = app.store.user_by_login(login).await.unwrap().unwrap();
    app.store.update_user(user.id, &user.display_name, Some(email), true, None, &Actor::cli()).await.unwrap();
}

#[tokio::test]
async fn members_hear_by_mail_when_their_input_or_vote_is_asked_when_smtp_is_configured() {
    let (url, inbox) = smtp_server().await;
    let mailer = samenspel_web::mail::Mailer::new(
        &url,
        "Samenspel <samenspel@regio.example>",
        Some("https://samenspel.example".into()),
    )
    .unwrap();
    let app = spawn_with_settings(|s| s.mailer = Some(mailer)).await;
    crate::governance::with_charter(&app).await;
    set_email(&app, "gemeente", "medewerker@middendelfland.example").await;
    set_email(&app, "wethouder-delft", "wethouder@delft.example").await;
    let admin = app.token("beheerder").await;
    let id = crate::governance::draft_via_api(&app, &admin, "overig", "Jaarplan").await;
    let steps = format!("/api/v1/regios/haaglanden/voorstellen/{id}/stappen");
    let (termijn, end) = crate::governance::deadline_in(2);
    let response =
        app.api_send(Method::POST, &admin, &steps, json!({"stap": "consultatie-openen", "termijn": termijn})).await;
    assert_eq!(response.status(), StatusCode::OK);
    // Staff of consulted members with an address: Midden-Delfland's staff member and Delft's
    // alderman (who holds the member role too). One message each.
    let mails = wait_for(&inbox, 2).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["medewerker@middendelfland.example", "wethouder@delft.example"]);
    let staff = mails.iter().find(|m| m.to == ["medewerker@middendelfland.example"]).unwrap();
    assert!(staff.data.contains("zienswijze gevraagd"), "{}", staff.data);
    assert!(
        staff.data.contains(&format!("https://samenspel.example/regios/haaglanden/voorstellen/{id}")),
        "{}",
        staff.data
    );
    assert!(!staff.data.contains("wethouder@delft.example"), "no other recipient in the message");

    crate::governance::wait_past(end).await;
    app.api_send(Method::POST, &admin, &steps, json!({"stap": "consultatie-sluiten"})).await;
    let (termijn, _) = crate::governance::deadline_in(60);
    let response =
        app.api_send(Method::POST, &admin, &steps, json!({"stap": "stemming-openen", "termijn": termijn})).await;
    assert_eq!(response.status(), StatusCode::OK);
    // Only the representative hears that the vote opened.
    let mails = wait_for(&inbox, 3).await;
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert_eq!(mails[2].to, ["wethouder@delft.example"]);
    assert!(mails[2].data.contains("stemming"), "{}", mails[2].data);
}

#[tokio::test]
async fn a_mailed_questionnaire_link_reaches_the_respondent_only() {
    let (url, inbox) = smtp_server().await;
    let mailer = samenspel_web::mail::Mailer::new(
        &url,
        "Samenspel <samenspel@regio.example>",
        Some("https://samenspel.example".into()),
    )
    .unwrap();
    let app = spawn_with_settings(|s| s.mailer = Some(mailer)).await;
    let coach = app.token("coach").await;
    let closes = (samenspel_store::now() + time::Duration::days(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let round: serde_json::Value = app
        .api_send(
            Method::POST,
            &coach,
            "/api/v1/regios/haaglanden/meetrondes",
            json!({"titel": "Per mail", "soort": "periodiek", "instrument": "samenspel:waarde", "sluit": closes}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = round["id"].as_i64().unwrap();
    let response = app
        .api_send(
            Method::POST,
            &coach,
            &format!("/api/v1/regios/haaglanden/meetrondes/{id}/uitnodigingen"),
            json!({"uitgenodigden": "aanbieder;;jan@aanbieder.example\nregio;;"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: serde_json::Value = response.json().await.unwrap();
    let links = body["links"].as_array().unwrap();
    // The mailed link is not given to the coach; the other is, to hand out.
    assert_eq!(links[0]["gemaild"], true);
    assert!(links[0].get("link").is_none(), "{body}");
    assert!(links[1]["link"].as_str().unwrap().starts_with("/vragenlijst/"));
    let received = wait_for(&inbox, 1).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["jan@aanbieder.example"]);
    assert!(received[0].data.contains("https://samenspel.example/vragenlijst/"), "{}", received[0].data);
}
