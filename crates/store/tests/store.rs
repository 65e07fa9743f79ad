//! The storage contract, run against whichever backend the environment selects
//! (SQLite by default; PostgreSQL when SAMENSPEL_TEST_POSTGRES_URL is set).

use samenspel_domain::access::{Role, RoleKind};
use samenspel_domain::account::NewAccount;
use samenspel_domain::figures::{parse_figures_csv, MemberFigures};
use samenspel_domain::region::{Domain, MembershipPeriod};
use samenspel_domain::{AgbCode, Cents, MunicipalityCode, RegionCode, YouthRegionCode};
use samenspel_refdata::ReferenceSet;
use samenspel_store::audit::AuditScope;
use samenspel_store::figures::ImportFailure;
use samenspel_store::providers::ProviderDetails;
use samenspel_store::reference::MunicipalityFilter;
use samenspel_store::regions::{NewRegion, RegionChanges};
use samenspel_store::sessions::AttemptOutcome;
use samenspel_store::testing::fresh_store;
use samenspel_store::{on_pool, Actor, PageRequest, Store, StoreError};
use time::macros::date;

fn gm(code: &str) -> MunicipalityCode {
    MunicipalityCode::parse(code).unwrap()
}

async fn haaglanden(store: &Store) -> i64 {
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
        .unwrap();
    region.id
}

#[tokio::test]
async fn reference_data_is_loaded_once_and_queryable() {
    let store = fresh_store().await.unwrap();
    assert!(store.ensure_reference_data().await.unwrap().is_none(), "second load is a no-op");
    let all =
        store.municipalities(&MunicipalityFilter::default(), PageRequest { page: 1, page_size: 20 }).await.unwrap();
    assert_eq!(all.total, 342);
    assert_eq!(all.items.len(), 20);
    assert_eq!(all.items[0].name, "'s-Gravenhage");

    let filter = MunicipalityFilter { name: Some("DELF".into()), ..Default::default() };
    let delft = store.municipalities(&filter, PageRequest { page: 1, page_size: 20 }).await.unwrap();
    let names: Vec<_> = delft.items.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Delft", "Midden-Delfland"]);

    let regions = store.youth_regions().await.unwrap();
    assert_eq!(regions.len(), 42);
    let total: i64 = regions.iter().map(|r| r.inhabitants).sum();
    assert_eq!(total, 17_942_942);

    let mut older = ReferenceSet::shipped();
    older.municipality_year = 2020;
    let err = store.load_reference(&older, "test", &Actor::cli()).await.unwrap_err();
    assert!(err.to_string().contains("ouder dan"), "{err}");
}

#[tokio::test]
async fn newer_reference_year_marks_merged_municipalities_as_former() {
    let store = fresh_store().await.unwrap();
    let mut newer = ReferenceSet::shipped();
    newer.municipality_year = 2026;
    let gone = newer.municipalities.remove(0);
    for r in &mut newer.youth_regions {
        r.members.retain(|m| *m != gone.code);
    }
    let summary = store.load_reference(&newer, "test", &Actor::cli()).await.unwrap();
    assert_eq!((summary.municipalities, summary.no_longer_current, summary.added), (341, 1, 0));
    let row = store.municipality(&gone.code).await.unwrap().unwrap();
    assert!(!row.current);
    let current = store.municipalities(&MunicipalityFilter::default(), PageRequest::all()).await.unwrap();
    assert_eq!(current.total, 341);
    let with_former = MunicipalityFilter { include_former: true, ..Default::default() };
    assert_eq!(store.municipalities(&with_former, PageRequest::all()).await.unwrap().total, 342);
}

#[tokio::test]
async fn regions_and_membership_periods() {
    let store = fresh_store().await.unwrap();
    let id = haaglanden(&store).await;
    let members = store.memberships(id).await.unwrap();
    assert_eq!(members.len(), 9);
    assert_eq!(store.region(id).await.unwrap().centre_municipality.as_deref(), Some("GM0518"));

    // A second period that overlaps the first is refused; one after it is accepted.
    let delft = members.iter().find(|m| m.municipality_name == "Delft").unwrap();
    let overlap = MembershipPeriod::new(date!(2020 - 01 - 01), None).unwrap();
    let err = store.add_membership(id, &gm("GM0503"), overlap, &Actor::cli()).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    store.end_membership(id, delft.id, date!(2025 - 01 - 01), &Actor::cli()).await.unwrap();
    assert!(!store.is_member_on(id, &gm("GM0503"), date!(2025 - 06 - 01)).await.unwrap());
    let rejoin = MembershipPeriod::new(date!(2026 - 01 - 01), None).unwrap();
    store.add_membership(id, &gm("GM0503"), rejoin, &Actor::cli()).await.unwrap();
    assert!(store.is_member_on(id, &gm("GM0503"), date!(2026 - 06 - 01)).await.unwrap());

    // Moving an end date into the next period of the same member is refused.
    let first_delft =
        store.memberships(id).await.unwrap().into_iter().find(|m| m.municipality_code == "GM0503").unwrap();
    let err = store.end_membership(id, first_delft.id, date!(2030 - 01 - 01), &Actor::cli()).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");

    // The centre cannot leave while it is the centre.
    let den_haag = members.iter().find(|m| m.municipality_code == "GM0518").unwrap();
    let err = store.end_membership(id, den_haag.id, date!(2026 - 01 - 01), &Actor::cli()).await.unwrap_err();
    assert!(err.to_string().contains("centrumgemeente"), "{err}");
    // Ending before joining is refused.
    let err = store.end_membership(id, den_haag.id, date!(2010 - 01 - 01), &Actor::cli()).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));

    // The centre must be a member; a code must be unique.
    let changes = RegionChanges { name: "Haaglanden".into(), domain: Domain::YouthAndWmo, centre: Some(gm("GM0363")) };
    assert!(store.update_region(id, &changes, &Actor::cli()).await.is_err());
    let changes = RegionChanges { centre: Some(gm("GM0637")), ..changes };
    let updated = store.update_region(id, &changes, &Actor::cli()).await.unwrap();
    assert_eq!((updated.domain.as_str(), updated.centre_municipality.as_deref()), ("jeugd-en-wmo", Some("GM0637")));
    let dup = NewRegion {
        code: RegionCode::parse("haaglanden").unwrap(),
        name: "Dubbel".into(),
        domain: Domain::Wmo,
        centre: None,
        youth_region: None,
        members: vec![],
        joined_on: date!(2024 - 01 - 01),
    };
    assert!(matches!(store.create_region(&dup, &Actor::cli()).await, Err(StoreError::Conflict { .. })));
}

#[tokio::test]
async fn figures_import_is_all_or_nothing() {
    let store = fresh_store().await.unwrap();
    let id = haaglanden(&store).await;
    let bad = "gemeentecode;jaar;jeugdigen_0_17\nGM0503;2025;20000\nGM0363;2025;100\nGM1842;2025;999999\n";
    let rows = parse_figures_csv(bad.as_bytes()).unwrap();
    let Err(ImportFailure::Rows(errors)) = store.import_figures(id, &rows, &Actor::cli()).await else {
        panic!("import with bad rows succeeded");
    };
    let found: Vec<_> = errors.iter().map(|e| (e.line, e.rule.as_str())).collect();
    assert_eq!(found, [(3, "membership"), (4, "range")]);
    assert!(store.figures(id, 2025).await.unwrap().is_empty(), "nothing stored");

    let good = "gemeentecode;jaar;jeugdigen_0_17;budget_jeugd\nGM0503;2025;20.000;1.000.000,00\n";
    let rows = parse_figures_csv(good.as_bytes()).unwrap();
    assert_eq!(store.import_figures(id, &rows, &Actor::cli()).await.unwrap(), 1);
    assert_eq!(store.import_figures(id, &rows, &Actor::cli()).await.unwrap(), 0, "re-import changes nothing");
    // A file with only the youths column keeps the budget.
    let youths_only = parse_figures_csv(b"gemeentecode;jaar;jeugdigen_0_17\nGM0503;2025;20.100\n").unwrap();
    store.import_figures(id, &youths_only, &Actor::cli()).await.unwrap();
    let stored = &store.figures(id, 2025).await.unwrap()[0];
    assert_eq!(
        stored.figures(),
        MemberFigures { youths: Some(20_100), budget_youth: Some(Cents(100_000_000)), budget_wmo: None }
    );
    assert_eq!(store.figure_years(id).await.unwrap(), vec![2025]);

    let cleared = MemberFigures { youths: None, budget_youth: None, budget_wmo: Some(Cents(5)) };
    let record = store.set_figures(id, &gm("GM0503"), 2025, &cleared, &Actor::cli()).await.unwrap();
    assert_eq!(record.figures(), cleared);
}

#[tokio::test]
async fn providers_are_kept_per_region() {
    let store = fresh_store().await.unwrap();
    let a = haaglanden(&store).await;
    let b = store
        .create_region(
            &NewRegion {
                code: RegionCode::parse("andere-regio").unwrap(),
                name: "Andere regio".into(),
                domain: Domain::Wmo,
                centre: None,
                youth_region: None,
                members: vec![gm("GM0363")],
                joined_on: date!(2024 - 01 - 01),
            },
            &Actor::cli(),
        )
        .await
        .unwrap()
        .id;
    let details = ProviderDetails {
        name: "Zorg Oost".into(),
        agb_code: Some(AgbCode::parse("99000001").unwrap()),
        kvk_number: None,
        city: None,
        email: None,
        phone: None,
        active: true,
    };
    let p = store.create_provider(a, &details, &Actor::cli()).await.unwrap();
    assert!(matches!(store.create_provider(a, &details, &Actor::cli()).await, Err(StoreError::Conflict { .. })));
    store.create_provider(b, &details, &Actor::cli()).await.expect("same AGB in another region");
    assert!(matches!(store.provider(b, p.id).await, Err(StoreError::NotFound)));
    assert!(store.update_provider(b, p.id, &details, &Actor::cli()).await.is_err());
    assert_eq!(store.providers(a, false, PageRequest::all()).await.unwrap().total, 1);
    let inactive = ProviderDetails { active: false, ..details };
    store.update_provider(a, p.id, &inactive, &Actor::cli()).await.unwrap();
    assert_eq!(store.providers(a, false, PageRequest::all()).await.unwrap().total, 0);
    assert_eq!(store.providers(a, true, PageRequest::all()).await.unwrap().total, 1);
}

#[tokio::test]
async fn users_roles_and_principal() {
    let store = fresh_store().await.unwrap();
    let region = haaglanden(&store).await;
    let account = NewAccount::parse("anna", "Anna de Vries", "anna@delft.nl").unwrap();
    let user = store.create_user(&account, Some("$argon2id$fake"), false, &Actor::cli()).await.unwrap();
    assert!(matches!(store.create_user(&account, None, false, &Actor::cli()).await, Err(StoreError::Conflict { .. })));
    assert_eq!(store.credentials("ANNA").await.unwrap().unwrap().id, user.id);

    store.add_grant(user.id, region, &Role::Member(gm("GM0503")), &Actor::cli()).await.unwrap();
    let dup = store.add_grant(user.id, region, &Role::Member(gm("GM0503")), &Actor::cli()).await;
    assert!(matches!(dup, Err(StoreError::Conflict { .. })));
    let not_member = store.add_grant(user.id, region, &Role::Member(gm("GM0363")), &Actor::cli()).await;
    assert!(matches!(not_member, Err(StoreError::Invalid(_))));
    assert!(store.add_grant(user.id, region, &Role::Provider(999), &Actor::cli()).await.is_err());
    let coach = store.add_grant(user.id, region, &Role::Coach, &Actor::cli()).await.unwrap();

    let principal = store.principal(user.id).await.unwrap();
    let access = principal.in_region(region);
    assert!(access.can_edit_member_figures(&gm("GM0503")) && access.coach && !access.admin);
    assert_eq!(store.users_in_region(region, PageRequest::all()).await.unwrap().total, 1);

    assert!(matches!(store.remove_grant(region + 1, coach.id, &Actor::cli()).await, Err(StoreError::NotFound)));
    store.remove_grant(region, coach.id, &Actor::cli()).await.unwrap();
    let kinds: Vec<_> = store.grants_of(user.id).await.unwrap().iter().filter_map(|g| g.kind()).collect();
    assert_eq!(kinds, [RoleKind::Member]);

    let off = store.update_user(user.id, "Anna", None, false, Some(region), &Actor::cli()).await.unwrap();
    assert!(!off.active && off.email.is_none());
}

#[tokio::test]
async fn sessions_tokens_and_login_attempts() {
    let store = fresh_store().await.unwrap();
    let account = NewAccount::parse("bert", "Bert", "").unwrap();
    let user = store.create_user(&account, Some("h"), false, &Actor::cli()).await.unwrap();
    let expires = samenspel_store::now() + time::Duration::minutes(30);
    store.create_session("hash1", user.id, "csrf1", expires).await.unwrap();
    let session = store.session("hash1").await.unwrap().unwrap();
    assert_eq!((session.user_id, session.csrf_token.as_str()), (user.id, "csrf1"));
    store.create_api_token(user.id, "thash", "export", &Actor::cli()).await.unwrap();
    store.set_password(user.id, "h2", false, None, &Actor::cli()).await.unwrap();
    assert!(store.session("hash1").await.unwrap().is_none(), "password change ends sessions");
    assert_eq!(store.api_token_user("thash").await.unwrap(), Some(user.id), "own change keeps tokens");
    store.set_password(user.id, "h3", true, None, &Actor::cli()).await.unwrap();
    assert_eq!(store.api_token_user("thash").await.unwrap(), None, "a reset by an admin revokes tokens");

    store.create_api_token(user.id, "thash2", "export", &Actor::cli()).await.unwrap();
    assert_eq!(store.api_token_user("thash2").await.unwrap(), Some(user.id));
    assert_eq!(store.api_token_user("other").await.unwrap(), None);
    store.update_user(user.id, "Bert", None, false, None, &Actor::cli()).await.unwrap();
    assert_eq!(store.api_token_user("thash2").await.unwrap(), None, "deactivation revokes tokens");

    let since = samenspel_store::now() - time::Duration::minutes(15);
    for _ in 0..3 {
        store.begin_login_attempt("bert", "192.0.2.1").await.unwrap();
    }
    let refused = store.begin_login_attempt("bert", "192.0.2.1").await.unwrap();
    store.finish_login_attempt(refused, AttemptOutcome::NotChecked).await.unwrap();
    store.begin_login_attempt("carla", "192.0.2.1").await.unwrap();
    let (by_login, by_ip, first) = store.recent_failures("bert", "192.0.2.1", since).await.unwrap();
    assert_eq!((by_login, by_ip), (3, 4));
    assert!(first.is_some());
    // A success resets the count for the login.
    let ok = store.begin_login_attempt("bert", "192.0.2.1").await.unwrap();
    store.finish_login_attempt(ok, AttemptOutcome::Succeeded).await.unwrap();
    let (by_login, _, _) = store.recent_failures("bert", "192.0.2.1", since).await.unwrap();
    assert_eq!(by_login, 0);
}

#[tokio::test]
async fn every_write_is_audited_and_the_log_is_append_only() {
    let store = fresh_store().await.unwrap();
    let before = store.audit_count().await.unwrap();
    let region = haaglanden(&store).await;
    let account = NewAccount::parse("coach1", "Coach", "").unwrap();
    let user = store.create_user(&account, None, false, &Actor::cli()).await.unwrap();
    store.add_grant(user.id, region, &Role::Coach, &Actor::cli()).await.unwrap();
    assert_eq!(store.audit_count().await.unwrap(), before + 3);
    let log = store.audit_log(AuditScope::Region(region), PageRequest { page: 1, page_size: 10 }).await.unwrap();
    assert_eq!(log.total, 2, "the user itself is not tied to a region");
    assert_eq!((log.items[0].action.as_str(), log.items[0].object_type.as_str()), ("aanmaken", "rol"));
    assert_eq!(log.items[0].actor_login, "cli");
    assert!(log.items[1].after_json.as_deref().unwrap().contains("GM0518"));

    let tamper =
        on_pool!(&store, |pool| sqlx::query("UPDATE audit_log SET actor_login = 'x'").execute(pool).await.map(|_| ()));
    assert!(tamper.is_err(), "audit log rows cannot be changed");
    let delete = on_pool!(&store, |pool| sqlx::query("DELETE FROM audit_log").execute(pool).await.map(|_| ()));
    assert!(delete.is_err(), "audit log rows cannot be deleted");
}

/// Lets the test change the log behind the application's back, as someone with direct access
/// to the database could.
async fn bypass_append_only(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(pool) => {
            sqlx::query("DROP TRIGGER IF EXISTS audit_log_no_update").execute(pool).await.unwrap();
            sqlx::query("DROP TRIGGER IF EXISTS audit_log_no_delete").execute(pool).await.unwrap();
            sqlx::query(sql).execute(pool).await.unwrap();
        }
        Store::Postgres(pool) => {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change").execute(&mut *tx).await.unwrap();
            sqlx::query(sql).execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        }
    }
}

#[tokio::test]
async fn the_audit_log_is_a_hash_chain_that_shows_tampering() {
    let store = fresh_store().await.unwrap();
    haaglanden(&store).await;
    // Many writers at once still give one unbroken chain.
    let writers = (0..16).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let entry = samenspel_store::AuditEntry::new("inloggen", "sessie", format!("gebruiker{i}"));
            store.record(&Actor::cli(), &entry).await.unwrap();
        })
    });
    for writer in writers {
        writer.await.unwrap();
    }
    let intact = store.verify_audit_chain().await.unwrap();
    let total = store.audit_count().await.unwrap();
    assert!(intact.breaks.is_empty(), "{:?}", intact.breaks);
    assert_eq!(intact.verified as i64, total);
    assert_eq!(intact.unchained, 0);
    let head = intact.head.clone().unwrap();
    assert!(store.audit_hash_present(&head).await.unwrap());

    let (second, third): (i64, i64) =
        on_pool!(&store, |pool| sqlx::query_as("SELECT MIN(id) + 1, MIN(id) + 2 FROM audit_log")
            .fetch_one(pool)
            .await
            .unwrap());
    bypass_append_only(&store, &format!("UPDATE audit_log SET actor_login = 'iemand' WHERE id = {second}")).await;
    let changed = store.verify_audit_chain().await.unwrap();
    assert_eq!(changed.breaks.len(), 1, "{:?}", changed.breaks);
    assert!(changed.breaks[0].starts_with(&format!("regel {second}: de inhoud past niet")), "{:?}", changed.breaks);

    let sql = format!("DELETE FROM audit_log WHERE id = {third}");
    match &store {
        Store::Sqlite(pool) => {
            sqlx::query(&sql).execute(pool).await.unwrap();
        }
        Store::Postgres(_) => bypass_append_only(&store, &sql).await,
    }
    let removed = store.verify_audit_chain().await.unwrap();
    assert_eq!(removed.breaks.len(), 2, "{:?}", removed.breaks);
    assert!(removed.breaks[1].contains("verwijst naar een andere vorige regel"), "{:?}", removed.breaks);
    assert_eq!(removed.head.as_deref(), Some(head.as_str()), "the head is untouched");

    // Removing the hashes does not make entries "older than the chain".
    bypass_append_only(&store, &format!("UPDATE audit_log SET hash = NULL, prev_hash = NULL WHERE id = {}", third + 1))
        .await;
    let unhashed = store.verify_audit_chain().await.unwrap();
    assert!(unhashed.breaks.iter().any(|b| b.contains("heeft geen hash")), "{:?}", unhashed.breaks);
    assert_eq!(unhashed.unchained, 0);

    let sql = "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)";
    match &store {
        Store::Sqlite(pool) => {
            sqlx::query(sql).execute(pool).await.unwrap();
        }
        Store::Postgres(_) => bypass_append_only(&store, sql).await,
    }
    assert!(!store.audit_hash_present(&head).await.unwrap(), "a removed end shows against the recorded head");
}

#[tokio::test]
async fn runs_on_the_backend_the_environment_selects() {
    let store = fresh_store().await.unwrap();
    assert_eq!(store.backend(), samenspel_store::testing::backend_under_test());
}

#[tokio::test]
async fn placeholders_bind_by_number_on_both_backends() {
    let store = fresh_store().await.unwrap();
    let (a, b): (i64, String) =
        on_pool!(&store, |pool| sqlx::query_as("SELECT $2, $1").bind("een").bind(2_i64).fetch_one(pool).await.unwrap());
    assert_eq!((a, b.as_str()), (2, "een"));
}
