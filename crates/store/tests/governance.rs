//! Proposals, inputs, representatives and votes on the backend the environment selects
//! (SQLite by default; PostgreSQL when SAMENSPEL_TEST_POSTGRES_URL is set): the lifecycle, the
//! refusals that change nothing, and exact tallies with many representatives voting at once,
//! also at the deadline.

use samenspel_domain::access::Role;
use samenspel_domain::account::NewAccount;
use samenspel_domain::charter::Charter;
use samenspel_domain::proposal::{Choice, Phase, ProposalText, Step};
use samenspel_domain::region::Domain;
use samenspel_domain::{MunicipalityCode, RegionCode, YouthRegionCode};
use samenspel_store::proposals::{NewRepresentative, VoteMode};
use samenspel_store::regions::NewRegion;
use samenspel_store::testing::fresh_store;
use samenspel_store::{on_pool, Actor, Store, StoreError};
use std::time::Duration as StdDuration;
use time::macros::date;
use time::{Duration, OffsetDateTime};

const EXAMPLE_CHARTER: &str = include_str!("../../../docs/voorbeelden/bestuur/handvest.json");
const SHORT: Duration = Duration::seconds(1);

fn gm(code: &str) -> MunicipalityCode {
    MunicipalityCode::parse(code).unwrap()
}

struct Region {
    id: i64,
    /// Per member its code and the user who represents it.
    members: Vec<(MunicipalityCode, i64)>,
}

/// Haaglanden with its charter (double majority by inhabitants for the budget, one member one
/// vote otherwise) and an alderman per member.
async fn region(store: &Store) -> Region {
    let (_, members) = store.youth_region(&YouthRegionCode::parse("JZ24").unwrap()).await.unwrap().unwrap();
    let codes: Vec<MunicipalityCode> = members.iter().map(|m| gm(&m.code)).collect();
    let region = store
        .create_region(
            &NewRegion {
                code: RegionCode::parse("haaglanden").unwrap(),
                name: "Haaglanden".into(),
                domain: Domain::Youth,
                centre: Some(gm("GM0518")),
                youth_region: Some(YouthRegionCode::parse("JZ24").unwrap()),
                members: codes.clone(),
                joined_on: date!(2015 - 01 - 01),
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    let charter = Charter::parse(EXAMPLE_CHARTER).unwrap();
    store.add_charter(region.id, &charter, date!(2020 - 01 - 01), None, &Actor::cli()).await.unwrap();
    let mut out = Vec::new();
    for code in codes {
        let login = format!("wethouder{}", &code.as_str()[2..]);
        let user = store
            .create_user(&NewAccount::parse(&login, "Wethouder", "").unwrap(), None, false, &Actor::cli())
            .await
            .unwrap();
        store.add_grant(user.id, region.id, &Role::Member(code.clone()), &Actor::cli()).await.unwrap();
        store
            .add_representative(
                region.id,
                &NewRepresentative {
                    municipality: code.clone(),
                    user_id: user.id,
                    title: "wethouder".into(),
                    valid_from: date!(2020 - 01 - 01),
                    valid_until: None,
                },
                &Actor::cli(),
            )
            .await
            .unwrap();
        out.push((code, user.id));
    }
    Region { id: region.id, members: out }
}

async fn draft(store: &Store, region: i64, kind: &str) -> i64 {
    let text = ProposalText::check(kind, "Regionale begroting 2027", "De begroting van het regionale team.").unwrap();
    store.create_proposal(region, &text, None, &Actor::cli()).await.unwrap().id
}

/// Moves a deadline into the past, as the clock would: tests cannot wait an hour.
async fn pass_deadline(store: &Store, id: i64, column: &str) {
    let past = samenspel_store::now() - Duration::seconds(1);
    let sql = format!("UPDATE proposals SET {column} = $1 WHERE id = $2");
    on_pool!(store, |pool| sqlx::query(&sql).bind(past).bind(id).execute(pool).await.map(|_| ())).unwrap();
}

fn soon() -> OffsetDateTime {
    samenspel_store::now() + Duration::days(7)
}

fn refusal(err: StoreError) -> String {
    match err {
        StoreError::Invalid(invalid) => invalid.errors.iter().map(|e| e.reason.clone()).collect::<Vec<_>>().join(" "),
        StoreError::Conflict { message, .. } => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_proposal_goes_through_consultation_response_and_vote() {
    let store = fresh_store().await.unwrap();
    let r = region(&store).await;
    let id = draft(&store, r.id, "begroting").await;
    let (delft, _) = &r.members[0];

    // No input on a draft.
    let err = store.submit_input(r.id, id, delft, "Te duur.", &Actor::cli()).await.unwrap_err();
    assert!(refusal(err).contains("niet in consultatie"));

    let cli = Actor::cli();
    let step = |s| store.proposal_step(r.id, id, s, SHORT, &cli);
    step(Step::OpenConsultation { deadline: soon() }).await.unwrap();
    let input = store.submit_input(r.id, id, delft, "Houd de groei onder de 2 %.", &Actor::cli()).await.unwrap();
    let (small, _) = r.members.iter().find(|(c, _)| c.as_str() == "GM1783").unwrap();
    let second = store.submit_input(r.id, id, small, "Verdeel naar inwoners.", &Actor::cli()).await.unwrap();
    let err = step(Step::CloseConsultation).await.unwrap_err();
    assert!(refusal(err).contains("loopt nog"));

    pass_deadline(&store, id, "consultation_deadline").await;
    let err = store.submit_input(r.id, id, delft, "Te laat.", &Actor::cli()).await.unwrap_err();
    assert!(refusal(err).contains("verstreken"));
    step(Step::CloseConsultation).await.unwrap();

    // Every input needs its answer before the vote.
    store.respond_to_input(r.id, id, input.id, "deels", "Groei 2,5 %.", &Actor::cli()).await.unwrap();
    let err = step(Step::OpenVoting { deadline: soon() }).await.unwrap_err();
    assert!(refusal(err).contains("nog 1 zonder reactie"));
    let err = store.respond_to_input(r.id, id, second.id, "niet", "", &Actor::cli()).await.unwrap_err();
    assert!(refusal(err).contains("Leg uit waarom"));
    store.respond_to_input(r.id, id, second.id, "niet", "De regel is dubbel.", &Actor::cli()).await.unwrap();
    let opened = step(Step::OpenVoting { deadline: soon() }).await.unwrap();
    assert_eq!(opened.charter_version, Some(1));
    let voters = opened.voters();
    assert_eq!(voters.len(), 9);
    let the_hague = voters.iter().find(|v| v.member == "GM0518").unwrap();
    assert!(the_hague.weight > 500_000, "weighted by inhabitants: {the_hague:?}");

    // The Hague and Delft for, the rest against: most inhabitants, but not most members.
    for (code, user) in &r.members {
        let choice = if matches!(code.as_str(), "GM0518" | "GM0503") { Choice::Voor } else { Choice::Tegen };
        store.cast_vote(r.id, id, code, choice, VoteMode::Cast, *user, &Actor::cli()).await.unwrap();
    }
    // Twice for the same member is refused; a change is not.
    let (_, delft_user) = r.members[0];
    let err =
        store.cast_vote(r.id, id, delft, Choice::Tegen, VoteMode::Cast, delft_user, &Actor::cli()).await.unwrap_err();
    assert!(refusal(err).contains("heeft al gestemd"));
    let changed =
        store.cast_vote(r.id, id, delft, Choice::Voor, VoteMode::Change, delft_user, &Actor::cli()).await.unwrap();
    assert_eq!(changed.changes, 1);
    // Someone who does not represent the member cannot vote for it.
    let (_, other_user) = r.members[1];
    let err =
        store.cast_vote(r.id, id, delft, Choice::Tegen, VoteMode::Change, other_user, &Actor::cli()).await.unwrap_err();
    assert!(refusal(err).contains("geen gemachtigde vertegenwoordiger"));

    let err = step(Step::CloseVoting).await.unwrap_err();
    assert!(refusal(err).contains("loopt nog"));
    pass_deadline(&store, id, "vote_deadline").await;
    let err =
        store.cast_vote(r.id, id, delft, Choice::Tegen, VoteMode::Change, delft_user, &Actor::cli()).await.unwrap_err();
    assert!(refusal(err).contains("gesloten"));
    let decided = step(Step::CloseVoting).await.unwrap();
    assert_eq!(decided.phase(), Phase::Verworpen);
    let outcome = decided.outcome().unwrap();
    assert!(!outcome.adopted);
    let text = outcome.tally.explanation.join("\n");
    assert!(text.contains("Dubbele meerderheid"), "{text}");
    assert_eq!(decided.decision_number.as_deref(), Some(format!("{}-001", samenspel_store::now().year()).as_str()));
    // After the close nothing changes, not for anyone.
    assert!(step(Step::Withdraw).await.is_err());
    let votes = store.votes(id).await.unwrap();
    assert_eq!(votes.len(), 9);
    assert!(store.verify_audit_chain().await.unwrap().breaks.is_empty());
    // While the vote ran, the log said only that a member voted; the close recorded the votes.
    let log = store
        .audit_log(
            samenspel_store::audit::AuditScope::Region(r.id),
            samenspel_store::PageRequest { page: 1, page_size: 100 },
        )
        .await
        .unwrap();
    let cast: Vec<&str> = log
        .items
        .iter()
        .filter(|e| e.action == "stemmen" || e.action == "stem wijzigen")
        .filter_map(|e| e.after_json.as_deref())
        .collect();
    assert_eq!(cast.len(), 10);
    assert!(cast.iter().all(|a| a.contains("uitgebracht") && !a.contains("tegen")), "{cast:?}");
    let close = log.items.iter().find(|e| e.action == "stemming sluiten").unwrap();
    assert!(close.after_json.as_deref().unwrap().contains("\"tegen\""));
}

#[tokio::test]
async fn after_the_deadline_nothing_sets_the_vote_aside_and_a_secret_veto_names_nobody() {
    let store = fresh_store().await.unwrap();
    let r = region(&store).await;
    // A secret vote where everyone has a veto.
    let mut charter = Charter::parse(EXAMPLE_CHARTER).unwrap();
    let rule = charter.rules.iter_mut().find(|r| r.kind == "overig").unwrap();
    rule.secret = true;
    rule.veto = samenspel_domain::governance::Veto::Iedereen;
    store.add_charter(r.id, &charter, samenspel_store::today(), None, &Actor::cli()).await.unwrap();
    let id = draft(&store, r.id, "overig").await;
    // A draft keeps its kind when it is or becomes a charter change.
    let to_charter = ProposalText::check("handvest", "Anders", "x").unwrap();
    let err = store.update_proposal_text(r.id, id, &to_charter, &Actor::cli()).await.unwrap_err();
    assert!(refusal(err).contains("blijft een voorstel van soort handvest"));
    store.proposal_step(r.id, id, Step::OpenConsultation { deadline: soon() }, SHORT, &Actor::cli()).await.unwrap();
    pass_deadline(&store, id, "consultation_deadline").await;
    store.proposal_step(r.id, id, Step::CloseConsultation, SHORT, &Actor::cli()).await.unwrap();
    store.proposal_step(r.id, id, Step::OpenVoting { deadline: soon() }, SHORT, &Actor::cli()).await.unwrap();
    for (i, (code, user)) in r.members.iter().enumerate() {
        let choice = if i == 0 { Choice::Tegen } else { Choice::Voor };
        store.cast_vote(r.id, id, code, choice, VoteMode::Cast, *user, &Actor::cli()).await.unwrap();
    }
    pass_deadline(&store, id, "vote_deadline").await;
    let err = store.withdraw_proposal(r.id, id, "Toch niet.", &Actor::cli()).await.unwrap_err();
    assert!(refusal(err).contains("uitslag ligt vast"));
    let decided = store.proposal_step(r.id, id, Step::CloseVoting, SHORT, &Actor::cli()).await.unwrap();
    let outcome = decided.outcome().unwrap();
    assert_eq!(outcome.tally.outcome, samenspel_calc::voting::Outcome::Vetoed(Vec::new()));
    assert!(outcome.tally.explanation.join(" ").contains("een lid met een veto"));
    assert!(!serde_json::to_string(&outcome).unwrap().contains("Delft"));

    // A charter change naming a chair who is no member is refused.
    let mut outsider = Charter::parse(EXAMPLE_CHARTER).unwrap();
    outsider.chair = Some("GM0344".into());
    let text = ProposalText::check("handvest", "Nieuwe voorzitter", "Utrecht zit voor.").unwrap();
    let err =
        store.create_proposal(r.id, &text, Some((&outsider, date!(2027 - 01 - 01))), &Actor::cli()).await.unwrap_err();
    assert!(refusal(err).contains("GM0344 is geen lid van de regio"));
}

#[tokio::test]
async fn a_charter_change_takes_effect_when_adopted_and_weights_must_be_known() {
    let store = fresh_store().await.unwrap();
    let r = region(&store).await;
    let mut charter = Charter::parse(EXAMPLE_CHARTER).unwrap();
    charter.terms.notice_months = 24;
    let text = ProposalText::check("handvest", "Opzegtermijn 24 maanden", "Langere opzegtermijn.").unwrap();
    let without = store.create_proposal(r.id, &text, None, &Actor::cli()).await.unwrap_err();
    assert!(refusal(without).contains("bevat het nieuwe handvest"));
    let id =
        store.create_proposal(r.id, &text, Some((&charter, date!(2026 - 01 - 01))), &Actor::cli()).await.unwrap().id;
    store.proposal_step(r.id, id, Step::OpenConsultation { deadline: soon() }, SHORT, &Actor::cli()).await.unwrap();
    pass_deadline(&store, id, "consultation_deadline").await;
    store.proposal_step(r.id, id, Step::CloseConsultation, SHORT, &Actor::cli()).await.unwrap();
    store.proposal_step(r.id, id, Step::OpenVoting { deadline: soon() }, SHORT, &Actor::cli()).await.unwrap();
    for (code, user) in r.members.iter().take(5) {
        store.cast_vote(r.id, id, code, Choice::Voor, VoteMode::Cast, *user, &Actor::cli()).await.unwrap();
    }
    pass_deadline(&store, id, "vote_deadline").await;
    let decided = store.proposal_step(r.id, id, Step::CloseVoting, SHORT, &Actor::cli()).await.unwrap();
    assert_eq!(decided.phase(), Phase::Aangenomen);
    let versions = store.charters(r.id).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].charter().unwrap().terms.notice_months, 24);
    assert!(versions[0].reason.as_deref().unwrap().starts_with("Besluit "));

    // A budget vote weighs by budget in a charter that says so; a member without a budget
    // stops the vote from opening, and nothing changes.
    let mut by_budget = Charter::parse(EXAMPLE_CHARTER).unwrap();
    by_budget.rules[0].weighting = samenspel_domain::governance::Weighting::Budget;
    store.add_charter(r.id, &by_budget, samenspel_store::today(), None, &Actor::cli()).await.unwrap();
    let id = draft(&store, r.id, "begroting").await;
    store.proposal_step(r.id, id, Step::OpenConsultation { deadline: soon() }, SHORT, &Actor::cli()).await.unwrap();
    pass_deadline(&store, id, "consultation_deadline").await;
    store.proposal_step(r.id, id, Step::CloseConsultation, SHORT, &Actor::cli()).await.unwrap();
    let err = store.proposal_step(r.id, id, Step::OpenVoting { deadline: soon() }, SHORT, &Actor::cli()).await;
    let message = refusal(err.unwrap_err());
    assert!(message.contains("weegt naar het budget") && message.contains("Delft"), "{message}");
    assert_eq!(store.proposal(r.id, id).await.unwrap().phase(), Phase::Reactie);
}

#[tokio::test]
async fn many_representatives_voting_at_once_give_an_exact_tally() {
    let store = fresh_store().await.unwrap();
    let r = region(&store).await;
    let id = draft(&store, r.id, "overig").await;
    store.proposal_step(r.id, id, Step::OpenConsultation { deadline: soon() }, SHORT, &Actor::cli()).await.unwrap();
    pass_deadline(&store, id, "consultation_deadline").await;
    store.proposal_step(r.id, id, Step::CloseConsultation, SHORT, &Actor::cli()).await.unwrap();
    let deadline = samenspel_store::now() + Duration::seconds(3);
    store.proposal_step(r.id, id, Step::OpenVoting { deadline }, SHORT, &Actor::cli()).await.unwrap();

    // Every representative casts at the same moment, then keeps changing its vote until past
    // the deadline; each member also tries a second first vote.
    let mut tasks = Vec::new();
    for (i, (code, user)) in r.members.iter().cloned().enumerate() {
        let store = store.clone();
        let region = r.id;
        tasks.push(tokio::spawn(async move {
            let mut last_accepted = None;
            let first = if i % 2 == 0 { Choice::Voor } else { Choice::Tegen };
            store.cast_vote(region, id, &code, first, VoteMode::Cast, user, &Actor::cli()).await.unwrap();
            last_accepted = last_accepted.or(Some(first));
            let twice = store.cast_vote(region, id, &code, first, VoteMode::Cast, user, &Actor::cli()).await;
            assert!(matches!(twice, Err(StoreError::Conflict { .. })), "{twice:?}");
            let mut refused_after_deadline = false;
            for round in 0.. {
                let choice = Choice::ALL[(i + round) % 3];
                let at = OffsetDateTime::now_utc();
                match store.cast_vote(region, id, &code, choice, VoteMode::Change, user, &Actor::cli()).await {
                    Ok(_) => last_accepted = Some(choice),
                    Err(e) => {
                        assert!(refusal(e).contains("gesloten"));
                        assert!(at >= deadline - Duration::seconds(1), "refused before the deadline");
                        refused_after_deadline = true;
                        break;
                    }
                }
                tokio::time::sleep(StdDuration::from_millis(40)).await;
            }
            assert!(refused_after_deadline);
            (code, last_accepted.unwrap())
        }));
    }
    let mut expected = std::collections::BTreeMap::new();
    for task in tasks {
        let (code, choice) = task.await.unwrap();
        expected.insert(code.as_str().to_string(), choice);
    }
    let decided = store.proposal_step(r.id, id, Step::CloseVoting, SHORT, &Actor::cli()).await.unwrap();
    let stored: std::collections::BTreeMap<String, Choice> = store
        .votes(id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.municipality_code.clone(), v.choice().unwrap()))
        .collect();
    assert_eq!(stored, expected, "the stored votes are exactly the last accepted ones");
    let tally = decided.outcome().unwrap().tally;
    let count = |c: Choice| expected.values().filter(|x| **x == c).count() as u64;
    assert_eq!(
        (tally.for_.members, tally.against.members, tally.abstain.members, tally.not_voted.members),
        (count(Choice::Voor), count(Choice::Tegen), count(Choice::Onthouding), 0)
    );
    assert_eq!(
        decided.outcome().unwrap().adopted,
        count(Choice::Voor) * 2 > count(Choice::Voor) + count(Choice::Tegen)
    );
    let chain = store.verify_audit_chain().await.unwrap();
    assert!(chain.breaks.is_empty(), "{:?}", chain.breaks);
}
