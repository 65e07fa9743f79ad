//! Importing production data, on the backend the environment selects: what is accepted, what
//! is quarantined and why, what a second import adds (nothing), what a broken file leaves
//! (nothing), and how quarantine is processed again after a fix.

use samenspel_domain::procurement::{ContractStatus, FundingVariant, Law, Period, Route, Unit};
use samenspel_domain::region::Domain;
use samenspel_domain::{AgbCode, Cents, YouthRegionCode};
use samenspel_istd::Pseudonymiser;
use samenspel_store::catalogue::ProductDetails;
use samenspel_store::contracts::{ContractDetails, TariffDetails};
use samenspel_store::lots::LotDetails;
use samenspel_store::production::{
    ClientRowFilter, ImportCounts, ImportProgress, ImportRequest, ImportSession, ImportSource,
};
use samenspel_store::providers::ProviderDetails;
use samenspel_store::testing::fresh_store;
use samenspel_store::{on_pool, Actor, PageRequest, Store};
use std::sync::Arc;
use time::macros::date;

const PROVIDER: &str = "98000001";
const OTHER_PROVIDER: &str = "98000002";

struct Fixture {
    store: Store,
    region: i64,
    key: Pseudonymiser,
}

async fn fixture() -> Fixture {
    let store = fresh_store().await.unwrap();
    let new = store
        .new_region_from_youth_region(&YouthRegionCode::parse("JZ24").unwrap(), Domain::Youth, date!(2015 - 01 - 01))
        .await
        .unwrap();
    let region = store.create_region(&new, &Actor::cli()).await.unwrap().id;
    let mut products = Vec::new();
    for (code, unit) in [("45A03", Unit::Hour), ("45A04", Unit::Hour)] {
        let details = ProductDetails {
            law: Law::Youth,
            category: "45".into(),
            code: Some(code.into()),
            name: format!("Jeugdhulp {code}"),
            unit,
            funding_variant: FundingVariant::EffortBased,
            own_code: false,
            active: true,
        };
        products.push(store.create_product(region, &details, &Actor::cli()).await.unwrap().id);
    }
    let period = Period::new(date!(2025 - 01 - 01), Some(date!(2028 - 12 - 31))).unwrap();
    let lot = LotDetails {
        name: "Ambulant".into(),
        description: None,
        route: Route::Tender,
        period,
        products: products.clone(),
    };
    let lot = store.create_lot(region, &lot, &Actor::cli()).await.unwrap().id;
    let mut provider_ids = Vec::new();
    for (name, agb) in [("Zorg West", PROVIDER), ("Zorg Oost", OTHER_PROVIDER)] {
        let details = ProviderDetails {
            name: name.into(),
            agb_code: Some(AgbCode::parse(agb).unwrap()),
            kvk_number: None,
            city: None,
            email: None,
            phone: None,
            active: true,
        };
        provider_ids.push(store.create_provider(region, &details, &Actor::cli()).await.unwrap().id);
    }
    let contract = ContractDetails {
        provider_id: provider_ids[0],
        lot_id: lot,
        period,
        status: ContractStatus::Active,
        reference: None,
    };
    let contract = store.create_contract(region, &contract, &Actor::cli()).await.unwrap().id;
    for (product, amount) in [(products[0], 1250), (products[1], 1500)] {
        let tariff = TariffDetails {
            product_id: product,
            year: 2026,
            municipality: None,
            amount: Cents(amount),
            unit: Unit::Hour,
            build_up: None,
        };
        store.add_tariff(region, contract, &tariff, &Actor::cli()).await.unwrap();
    }
    Fixture { store, region, key: Pseudonymiser::new(&[9; 32]).unwrap() }
}

fn header(code: u16, message: &str, from: &str, to: &str, id: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<m:Bericht xmlns:ijw=\"http://www.istandaarden.nl/ijw/3_2/basisschema/schema\" xmlns:m=\"http://www.istandaarden.nl/ijw/3_2/{message}/schema\">\n\
<m:Header><m:BerichtCode>{code}</m:BerichtCode><m:BerichtVersie>3</m:BerichtVersie><m:BerichtSubversie>2</m:BerichtSubversie>\
<m:Afzender>{from}</m:Afzender><m:Ontvanger>{to}</m:Ontvanger>\
<m:BerichtIdentificatie><ijw:Identificatie>{id}</ijw:Identificatie><ijw:Dagtekening>2026-05-03</ijw:Dagtekening></m:BerichtIdentificatie>\
<m:XsdVersie><ijw:BasisschemaXsdVersie>1.0.0</ijw:BasisschemaXsdVersie><ijw:BerichtXsdVersie>1.0.0</ijw:BerichtXsdVersie></m:XsdVersie></m:Header>\n"
    )
}

/// A 301 from Delft (0503) to a provider: (number, code, start, end).
fn assignments(provider: &str, bsn: &str, products: &[(i64, &str, &str, &str)], id: &str) -> String {
    let mut xml = header(436, "jw301", "0503", provider, id);
    xml.push_str(&format!("<m:Client><m:Bsn>{bsn}</m:Bsn><m:ToegewezenProducten>\n"));
    for (number, code, start, end) in products {
        xml.push_str(&format!(
            "<m:ToegewezenProduct><m:ToewijzingNummer>{number}</m:ToewijzingNummer>\
<m:Product><ijw:Categorie>45</ijw:Categorie><ijw:Code>{code}</ijw:Code></m:Product>\
<m:Toewijzingsdatum>2026-03-20</m:Toewijzingsdatum><m:Toewijzingstijd>10:00:00</m:Toewijzingstijd>\
<m:Ingangsdatum>{start}</m:Ingangsdatum><m:Einddatum>{end}</m:Einddatum>\
<m:Omvang><ijw:Volume>8</ijw:Volume><ijw:Eenheid>04</ijw:Eenheid><ijw:Frequentie>4</ijw:Frequentie></m:Omvang>\
</m:ToegewezenProduct>\n"
        ));
    }
    xml.push_str("</m:ToegewezenProducten></m:Client></m:Bericht>\n");
    xml
}

/// A claim line: (bsn, reference, assignment, code, volume, tariff, amount, credit of).
type Line<'a> = (&'a str, &'a str, i64, &'a str, i64, i64, i64, Option<&'a str>);

fn claim(provider: &str, number: &str, lines: &[Line], id: &str) -> String {
    claim_for_month(provider, number, lines, id, 4)
}

/// A claim for a month of 2026 before November.
fn claim_for_month(provider: &str, number: &str, lines: &[Line], id: &str, month: u8) -> String {
    let first = time::Date::from_calendar_date(2026, time::Month::try_from(month).unwrap(), 1).unwrap();
    let last = first.replace_day(first.month().length(2026)).unwrap();
    let sent = last.next_day().unwrap().replace_day(3).unwrap();
    let total: i64 = lines.iter().map(|l| if l.7.is_some() { -l.6 } else { l.6 }).sum();
    let mut xml = header(490, "jw323", provider, "0503", id);
    xml.push_str(&format!(
        "<m:Declaratie><m:DeclaratieNummer>{number}</m:DeclaratieNummer>\
<m:DeclaratiePeriode><ijw:Begindatum>{first}</ijw:Begindatum><ijw:Einddatum>{last}</ijw:Einddatum></m:DeclaratiePeriode>\
<m:DeclaratieDagtekening>{sent}</m:DeclaratieDagtekening>\
<m:TotaalIngediendBedrag><ijw:TotaalBedrag>{}</ijw:TotaalBedrag><ijw:DebetCredit>{}</ijw:DebetCredit></m:TotaalIngediendBedrag>\
<m:Clienten>\n",
        total.abs(),
        if total < 0 { "C" } else { "D" }
    ));
    for (bsn, reference, number, code, volume, tariff, amount, credit_of) in lines {
        let previous = credit_of
            .map(|p| format!("<ijw:VorigReferentieNummer>{p}</ijw:VorigReferentieNummer>"))
            .unwrap_or_default();
        xml.push_str(&format!(
            "<m:Client><m:Bsn>{bsn}</m:Bsn><m:Prestaties><m:Prestatie>\
<m:ProductReferentie><ijw:ReferentieNummer>{reference}</ijw:ReferentieNummer>{previous}</m:ProductReferentie>\
<m:ToewijzingNummer>{number}</m:ToewijzingNummer><m:ProductCategorie>45</m:ProductCategorie><m:ProductCode>{code}</m:ProductCode>\
<m:ProductPeriode><ijw:Begindatum>{first}</ijw:Begindatum><ijw:Einddatum>{last}</ijw:Einddatum></m:ProductPeriode>\
<m:GeleverdVolume>{volume}</m:GeleverdVolume><m:Eenheid>04</m:Eenheid><m:ProductTarief>{tariff}</m:ProductTarief>\
<m:IngediendBedrag><ijw:Bedrag>{amount}</ijw:Bedrag><ijw:DebetCredit>{}</ijw:DebetCredit></m:IngediendBedrag>\
</m:Prestatie></m:Prestaties></m:Client>\n",
            if credit_of.is_some() { "C" } else { "D" }
        ));
    }
    xml.push_str("</m:Clienten></m:Declaratie></m:Bericht>\n");
    xml
}

fn answer(provider: &str, number: &str, submitted: i64, granted: i64, rejected: &[(&str, &str, i64)]) -> String {
    let mut xml = header(491, "jw325", "0503", provider, "A1");
    xml.push_str(&format!(
        "<m:DeclaratieAntwoord><m:DeclaratieNummer>{number}</m:DeclaratieNummer>\
<m:TotaalIngediendBedrag><ijw:TotaalBedrag>{submitted}</ijw:TotaalBedrag><ijw:DebetCredit>D</ijw:DebetCredit></m:TotaalIngediendBedrag>\
<m:TotaalToegekendBedrag><ijw:TotaalBedrag>{granted}</ijw:TotaalBedrag><ijw:DebetCredit>D</ijw:DebetCredit></m:TotaalToegekendBedrag>\
<m:Clienten>"
    ));
    for (bsn, reference, amount) in rejected {
        xml.push_str(&format!(
            "<m:Client><m:Bsn>{bsn}</m:Bsn><m:Prestaties><m:Prestatie>\
<m:ProductReferentie><ijw:ReferentieNummer>{reference}</ijw:ReferentieNummer></m:ProductReferentie>\
<m:ProductPeriode><ijw:Begindatum>2026-04-01</ijw:Begindatum><ijw:Einddatum>2026-04-30</ijw:Einddatum></m:ProductPeriode>\
<m:IngediendBedrag><ijw:Bedrag>{amount}</ijw:Bedrag><ijw:DebetCredit>D</ijw:DebetCredit></m:IngediendBedrag>\
<m:RetourCodes><m:RetourCode>0611</m:RetourCode></m:RetourCodes></m:Prestatie></m:Prestaties></m:Client>"
        ));
    }
    xml.push_str("</m:Clienten></m:DeclaratieAntwoord></m:Bericht>\n");
    xml
}

impl Fixture {
    async fn import(&self, name: &str, text: &str) -> (i64, ImportCounts, String) {
        self.import_as(name, text, None).await
    }

    async fn import_as(&self, name: &str, text: &str, scope: Option<&str>) -> (i64, ImportCounts, String) {
        let request = ImportRequest {
            region_id: self.region,
            file_name: name.into(),
            scope: scope.map(str::to_string),
            today: date!(2026 - 11 - 22),
        };
        let source = ImportSource::Bytes(Arc::new(text.as_bytes().to_vec()));
        let (id, counts) = self.store.import_file(request, source, &self.key, &Actor::cli()).await.unwrap();
        let status = self.store.import(self.region, id).await.unwrap().status;
        (id, counts, status)
    }

    async fn scalar(&self, sql: &str) -> i64 {
        on_pool!(&self.store, |pool| sqlx::query_scalar::<_, i64>(sql).bind(self.region).fetch_one(pool).await.unwrap())
    }

    async fn spend(&self) -> i64 {
        self.scalar("SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM spend_months WHERE region_id = $1")
            .await
    }

    async fn problems(&self, import_id: i64) -> Vec<(Option<i64>, String, String, String)> {
        let page =
            self.store.import_problems(self.region, import_id, samenspel_store::PageRequest::all()).await.unwrap();
        page.items.into_iter().map(|p| (p.line, p.field, p.rule, p.status)).collect()
    }
}

const ANNA: &str = "999900006";
const BEN: &str = "999900018";

#[tokio::test]
async fn claims_need_their_assignment_and_quarantine_is_processed_again() {
    let f = fixture().await;
    let (_, counts, status) = f
        .import(
            "301-anna.xml",
            &assignments(
                PROVIDER,
                ANNA,
                &[(1001, "45A03", "2026-04-01", "2026-12-31"), (1002, "45A04", "2026-04-01", "2026-06-30")],
                "T1",
            ),
        )
        .await;
    assert_eq!((status.as_str(), counts.accepted, counts.quarantined), ("klaar", 2, 0));

    let lines: Vec<Line> = vec![
        (ANNA, "R1", 1001, "45A03", 8, 1250, 10_000, None),
        (ANNA, "R2", 1002, "45A04", 4, 1500, 6_000, None),
        (BEN, "R3", 2001, "45A03", 2, 1250, 2_500, None),
    ];
    let claim_xml = claim(PROVIDER, "D1", &lines, "C1");
    let (first, counts, status) = f.import("323-april.xml", &claim_xml).await;
    assert_eq!((status.as_str(), counts.records, counts.accepted, counts.quarantined), ("klaar", 3, 2, 1));
    let problems = f.problems(first).await;
    assert_eq!(problems.len(), 1);
    assert_eq!(
        (problems[0].1.as_str(), problems[0].2.as_str(), problems[0].3.as_str()),
        ("ToewijzingNummer", "TR338", "open")
    );
    assert!(problems[0].0.is_some(), "the problem names its line");
    assert_eq!(f.spend().await, 16_000);
    assert_eq!(f.scalar("SELECT submitted_cents FROM claims WHERE region_id = $1").await, 16_000);

    // The same file again adds nothing.
    let (_, counts, status) = f.import("323-april-again.xml", &claim_xml).await;
    assert_eq!((status.as_str(), counts.accepted), ("dubbel", 0));
    assert_eq!(f.scalar("SELECT COUNT(*) FROM claim_lines WHERE region_id = $1").await, 2);

    // Ben's assignment arrives; processing the quarantine again takes his line in.
    f.import("301-ben.xml", &assignments(PROVIDER, BEN, &[(2001, "45A03", "2026-04-01", "2026-12-31")], "T2")).await;
    assert_eq!(f.store.open_quarantine(f.region).await.unwrap(), 1);
    let outcome = f.store.reprocess_quarantine(f.region, date!(2026 - 11 - 22), &Actor::cli()).await.unwrap();
    assert_eq!((outcome.tried, outcome.resolved, outcome.still_open), (1, 1, 0));
    assert_eq!(f.store.open_quarantine(f.region).await.unwrap(), 0);
    assert_eq!(f.spend().await, 18_500);
    let import = f.store.import(f.region, first).await.unwrap();
    assert_eq!((import.accepted, import.quarantined), (3, 0));
    assert_eq!(f.problems(first).await[0].3, "verwerkt");
    // Running it again finds nothing to do.
    let again = f.store.reprocess_quarantine(f.region, date!(2026 - 11 - 22), &Actor::cli()).await.unwrap();
    assert_eq!(again.tried, 0);

    // A corrected file with the same lines and one more adds only the new line.
    let mut more = lines.clone();
    more.push((ANNA, "R4", 1001, "45A03", 1, 1250, 1_250, None));
    let (_, counts, _) = f.import("323-april-corrected.xml", &claim(PROVIDER, "D1", &more, "C2")).await;
    assert_eq!((counts.accepted, counts.duplicates), (1, 3));
    assert_eq!(f.spend().await, 19_750);
}

/// Imports of one region running at the same time add to the same money per client: none
/// fails, none waits forever, and the sums are exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn imports_running_at_once_add_up() {
    let f = Arc::new(fixture().await);
    f.import("301-anna.xml", &assignments(PROVIDER, ANNA, &[(1001, "45A03", "2026-04-01", "2026-12-31")], "T1")).await;
    f.import("301-ben.xml", &assignments(PROVIDER, BEN, &[(2001, "45A03", "2026-04-01", "2026-12-31")], "T2")).await;
    // Anna's money for the year has a row already; Ben's is new to all the imports below.
    let first: Vec<Line> = vec![(ANNA, "A0", 1001, "45A03", 1, 1250, 1250, None)];
    f.import("323-0.xml", &claim(PROVIDER, "D0", &first, "C0")).await;
    // Claims for the same two clients in seven months, half of them naming the clients the
    // other way round.
    let runs: Vec<_> = (4..=10u8)
        .map(|month| {
            let k = i64::from(month) - 3;
            let (anna, ben) = (format!("A{k}"), format!("B{k}"));
            let mut lines: Vec<Line> = vec![
                (ANNA, anna.as_str(), 1001, "45A03", k, 1250, 1250 * k, None),
                (BEN, ben.as_str(), 2001, "45A03", 1, 1250, 1250, None),
            ];
            if k % 2 == 0 {
                lines.reverse();
            }
            let xml = claim_for_month(PROVIDER, &format!("D{k}"), &lines, &format!("C{k}"), month);
            let f = f.clone();
            tokio::spawn(async move { f.import(&format!("323-{k}.xml"), &xml).await })
        })
        .collect();
    for run in runs {
        let finished = tokio::time::timeout(std::time::Duration::from_secs(60), run).await;
        let (_, counts, status) = finished.expect("no import waits forever").unwrap();
        assert_eq!((status.as_str(), counts.accepted, counts.quarantined), ("klaar", 2, 0));
    }
    assert_eq!(f.scalar("SELECT COUNT(*) FROM claim_lines WHERE region_id = $1").await, 15);
    // Anna: 1250 × (1 + 1 + 2 + … + 7); Ben: 7 × 1250.
    assert_eq!(f.spend().await, 36_250 + 8_750);
    let mut per_client: Vec<i64> =
        f.store.client_money(f.region, 2026).await.unwrap().into_iter().map(|m| m.amount_cents).collect();
    per_client.sort_unstable();
    assert_eq!(per_client, vec![8_750, 36_250]);
    assert_eq!(f.scalar("SELECT clients FROM client_counts WHERE region_id = $1 AND grouping = 'gemeente'").await, 2);
}

/// The counts of clients per provider and category are recounted for what each import brought:
/// a second provider's file leaves the first provider's counts standing, and every count kept
/// equals counting the facts themselves.
#[tokio::test]
async fn client_counts_follow_each_providers_imports() {
    use samenspel_store::production::SpendFilter;
    let f = fixture().await;
    f.import("301-anna.xml", &assignments(PROVIDER, ANNA, &[(1001, "45A03", "2026-04-01", "2026-12-31")], "T1")).await;
    let other = [(2001, "45A03", "2026-04-01", "2026-12-31")];
    f.import("301-ben.xml", &assignments(OTHER_PROVIDER, BEN, &other, "T2")).await;
    let other = [(3001, "45A03", "2026-04-01", "2026-12-31")];
    f.import("301-anna-oost.xml", &assignments(OTHER_PROVIDER, ANNA, &other, "T3")).await;
    let west: Vec<Line> = vec![(ANNA, "A1", 1001, "45A03", 1, 1250, 1250, None)];
    let (_, counts, _) = f.import("323-west.xml", &claim(PROVIDER, "D1", &west, "C1")).await;
    assert_eq!(counts.accepted, 1);
    let oost: Vec<Line> =
        vec![(BEN, "B1", 2001, "45A03", 2, 1250, 2500, None), (ANNA, "A2", 3001, "45A03", 3, 1250, 3750, None)];
    let (_, counts, _) = f.import("323-oost.xml", &claim(OTHER_PROVIDER, "D2", &oost, "C2")).await;
    assert_eq!(counts.accepted, 2);
    let youth = SpendFilter { law: Some("jeugd".into()), ..SpendFilter::year(2026) };
    let kept = f.store.clients(f.region, "aanbieder-categorie", &youth).await.unwrap();
    let mut shown: Vec<(i64, i64)> = kept.iter().map(|c| (c.clients, c.amount_cents)).collect();
    shown.sort();
    assert_eq!(shown, vec![(1, 1250), (2, 6250)], "{kept:?}");
    for cell in &kept {
        let provider: i64 = cell.key.split(' ').next().unwrap().parse().unwrap();
        let narrowed = SpendFilter { provider_id: Some(provider), ..youth.clone() };
        let counted = f.store.clients(f.region, "aanbieder-categorie", &narrowed).await.unwrap();
        assert_eq!((counted[0].clients, counted[0].amount_cents), (cell.clients, cell.amount_cents));
    }
    // Anna counts once for the member, though two providers claimed for her.
    let members = f.store.clients(f.region, "gemeente", &youth).await.unwrap();
    assert_eq!(members.iter().map(|c| (c.clients, c.amount_cents)).collect::<Vec<_>>(), vec![(2, 7500)]);
}

/// A batch reads each next file while the one before it is written, and registers it with the
/// fingerprint of that reading. A file that changed after it was read ahead is stored either as
/// it was read (and registered so) or, when its registration read it anew, read again: what is
/// stored is always the file as registered.
#[tokio::test]
async fn a_batch_read_ahead_stores_each_file_as_registered() {
    use sha2::{Digest, Sha256};
    let f = fixture().await;
    f.import("301-anna.xml", &assignments(PROVIDER, ANNA, &[(1001, "45A03", "2026-04-01", "2026-12-31")], "T1")).await;
    f.import("301-ben.xml", &assignments(PROVIDER, BEN, &[(2001, "45A03", "2026-04-01", "2026-12-31")], "T2")).await;
    let dir = std::env::temp_dir().join(format!("samenspel-read-ahead-{}-{}", std::process::id(), f.region));
    std::fs::create_dir_all(&dir).unwrap();
    let month_file = |month: u8, lines: &[Line]| {
        let path = dir.join(format!("323-{month}.xml"));
        let xml = claim_for_month(PROVIDER, &format!("D{month}"), lines, &format!("C{month}"), month);
        std::fs::write(&path, &xml).unwrap();
        (path, hex::encode(Sha256::digest(xml.as_bytes())))
    };
    let files = [
        month_file(4, &[(ANNA, "A4", 1001, "45A03", 1, 1250, 1250, None)]),
        month_file(5, &[(BEN, "B5", 2001, "45A03", 2, 1250, 2500, None)]),
        month_file(6, &[(ANNA, "A6", 1001, "45A03", 3, 1250, 3750, None)]),
    ];
    let mut shas: Vec<String> = files.iter().map(|(_, sha)| sha.clone()).collect();
    let mut session = ImportSession::default();
    let mut accepted = Vec::new();
    for (i, (path, _)) in files.iter().enumerate() {
        if i == 2 {
            // Changed after it was (or while it was being) read ahead.
            let lines =
                [(ANNA, "A6", 1001, "45A03", 3, 1250, 3750, None), (BEN, "B6", 2001, "45A03", 4, 1250, 5000, None)];
            shas.push(month_file(6, &lines).1);
        }
        let request = ImportRequest {
            region_id: f.region,
            file_name: format!("bestand-{i}.xml"),
            scope: None,
            today: date!(2026 - 11 - 22),
        };
        let source = ImportSource::File(path.clone());
        let prepared = f.store.prepare_import_in(&session, request, source, &Actor::cli()).await.unwrap();
        if let Some((next, _)) = files.get(i + 1) {
            session.read_ahead(next.clone(), &f.key);
        }
        let progress = Arc::new(ImportProgress::default());
        let counts = f.store.run_import_in(&mut session, prepared, &f.key, progress, &Actor::cli()).await.unwrap();
        accepted.push((counts.accepted, counts.quarantined));
    }
    std::fs::remove_dir_all(&dir).ok();
    let registered = |name: &str, sha: &str| {
        format!("SELECT COUNT(*) FROM imports WHERE region_id = $1 AND file_name = '{name}' AND sha256 = '{sha}'")
    };
    for (i, sha) in shas[..2].iter().enumerate() {
        assert_eq!(f.scalar(&registered(&format!("bestand-{i}.xml"), sha)).await, 1, "file {i}");
    }
    // The third file: registered as read ahead (one line), or as changed (two lines).
    let as_read = f.scalar(&registered("bestand-2.xml", &shas[2])).await;
    let as_changed = f.scalar(&registered("bestand-2.xml", &shas[3])).await;
    let third = if as_read == 1 { (1, 0) } else { (2, 0) };
    assert_eq!(as_read + as_changed, 1);
    assert_eq!(accepted, vec![(1, 0), (1, 0), third]);
    // The second file came from its reading ahead.
    let (used, discarded) = session.read_ahead_outcomes();
    assert!(used >= 1 && used + discarded == 2, "used {used}, discarded {discarded}");
    let lines = f.scalar("SELECT COUNT(*) FROM claim_lines WHERE region_id = $1").await;
    assert_eq!(lines, 2 + third.0);
    assert_eq!(f.spend().await, 1250 + 2500 + 3750 + if third.0 == 2 { 5000 } else { 0 });
}

#[tokio::test]
async fn the_answer_rejects_lines_and_credits_cancel_debits() {
    let f = fixture().await;
    f.import("301.xml", &assignments(PROVIDER, ANNA, &[(1001, "45A03", "2026-01-01", "2026-12-31")], "T1")).await;
    let lines: Vec<Line> =
        vec![(ANNA, "R1", 1001, "45A03", 8, 1250, 10_000, None), (ANNA, "R2", 1001, "45A03", 2, 1250, 2_500, None)];
    f.import("323.xml", &claim(PROVIDER, "D1", &lines, "C1")).await;
    let (id, counts, _) = f.import("325.xml", &answer(PROVIDER, "D1", 12_500, 10_000, &[(ANNA, "R2", 2_500)])).await;
    assert_eq!((counts.accepted, counts.quarantined), (2, 0), "{:?}", f.problems(id).await);
    assert_eq!(f.spend().await, 10_000);
    assert_eq!(f.scalar("SELECT granted_cents FROM claims WHERE region_id = $1").await, 10_000);
    assert_eq!(f.scalar("SELECT COUNT(*) FROM claim_lines WHERE region_id = $1 AND rejected").await, 1);

    // A credit of R1 in the next claim cancels it; a credit of an unknown line waits.
    let credits: Vec<Line> = vec![
        (ANNA, "R5", 1001, "45A03", 8, 1250, 10_000, Some("R1")),
        (ANNA, "R6", 1001, "45A03", 8, 1250, 10_000, Some("R9")),
    ];
    let (id, counts, _) = f.import("323-credit.xml", &claim(PROVIDER, "D2", &credits, "C2")).await;
    assert_eq!((counts.accepted, counts.quarantined), (1, 1));
    assert_eq!(f.problems(id).await[0].2, "TR323");
    assert_eq!(f.spend().await, 0);
    let money = f.store.client_money(f.region, 2026).await.unwrap();
    assert_eq!(money.iter().filter(|m| m.amount_cents == 0).count(), 1, "a credited client still counts: {money:?}");
}

#[tokio::test]
async fn tariffs_differing_from_the_contract_are_imported_with_a_warning() {
    let f = fixture().await;
    f.import("301.xml", &assignments(PROVIDER, ANNA, &[(1001, "45A03", "2026-01-01", "2026-12-31")], "T1")).await;
    f.import("301-oost.xml", &assignments(OTHER_PROVIDER, BEN, &[(1002, "45A03", "2026-01-01", "2026-12-31")], "T2"))
        .await;
    let (id, counts, _) =
        f.import("323.xml", &claim(PROVIDER, "D1", &[(ANNA, "R1", 1001, "45A03", 8, 1300, 10_400, None)], "C1")).await;
    assert_eq!((counts.accepted, counts.warnings), (1, 1));
    let problems = f.problems(id).await;
    assert_eq!((problems[0].2.as_str(), problems[0].3.as_str()), ("TR418", "verwerkt"));
    assert_eq!(
        f.scalar("SELECT COUNT(*) FROM claim_lines WHERE region_id = $1 AND tariff_cents > contract_tariff_cents")
            .await,
        1
    );
    // The signal's figures, kept by the importer, are those of the line itself.
    let filter = samenspel_store::production::SpendFilter::year(2026);
    let above = f.store.above_tariff(f.region, &filter).await.unwrap();
    let cents = f
        .scalar(
            "SELECT CAST(SUM((tariff_cents - contract_tariff_cents) * volume) AS BIGINT) FROM claim_lines \
             WHERE region_id = $1 AND tariff_cents > contract_tariff_cents",
        )
        .await;
    assert_eq!(above.iter().map(|(_, lines, c)| (*lines, *c)).collect::<Vec<_>>(), [(1, cents)]);
    assert!(cents > 0);
    // Without a contract the line counts, outside any lot.
    let (_, counts, _) = f
        .import("323-oost.xml", &claim(OTHER_PROVIDER, "D1", &[(BEN, "R1", 1002, "45A03", 2, 1250, 2_500, None)], "C1"))
        .await;
    assert_eq!((counts.accepted, counts.warnings), (1, 1));
    assert_eq!(
        f.scalar("SELECT CAST(SUM(amount_cents) AS BIGINT) FROM spend_months WHERE region_id = $1 AND lot_id = 0")
            .await,
        2_500
    );
}

#[tokio::test]
async fn a_broken_file_leaves_nothing_but_its_report() {
    let f = fixture().await;
    f.import("301.xml", &assignments(PROVIDER, ANNA, &[(1001, "45A03", "2026-01-01", "2026-12-31")], "T1")).await;
    let good = claim(PROVIDER, "D1", &[(ANNA, "R1", 1001, "45A03", 8, 1250, 10_000, None)], "C1");
    for (name, text, rule) in [
        ("afgebroken.xml", good[..good.len() - 60].to_string(), "XSD"),
        ("totaal.xml", good.replace("<ijw:TotaalBedrag>10000<", "<ijw:TotaalBedrag>10001<"), "TR358"),
        ("release.xml", good.replace("ijw/3_2/jw323", "ijw/3_1/jw323"), "XSD"),
        ("onzin.txt", "dit is geen bericht".to_string(), "FORMAAT"),
    ] {
        let (id, counts, status) = f.import(name, &text).await;
        assert_eq!((status.as_str(), counts.accepted), ("afgewezen", 0), "{name}");
        let problems = f.problems(id).await;
        assert!(problems.iter().any(|p| p.2 == rule), "{name}: {problems:?}");
    }
    assert_eq!(f.scalar("SELECT COUNT(*) FROM claim_lines WHERE region_id = $1").await, 0);
    assert_eq!(f.scalar("SELECT COUNT(*) FROM claims WHERE region_id = $1").await, 0);
    // A rejected file may be imported once fixed: the fingerprint only blocks completed imports.
    let (_, counts, status) = f.import("goed.xml", &good).await;
    assert_eq!((status.as_str(), counts.accepted), ("klaar", 1));
}

#[tokio::test]
async fn the_bsn_is_never_stored_and_members_import_only_their_own() {
    let f = fixture().await;
    f.import("301.xml", &assignments(PROVIDER, ANNA, &[(1001, "45A03", "2026-01-01", "2026-12-31")], "T1")).await;
    let bad_bsn = claim(PROVIDER, "D1", &[("999900007", "R1", 1001, "45A03", 8, 1250, 10_000, None)], "C1");
    let (id, counts, _) = f.import("323.xml", &bad_bsn).await;
    assert_eq!((counts.accepted, counts.quarantined), (0, 1));
    assert_eq!(f.problems(id).await[0].2, "CS002");
    f.import("323-goed.xml", &claim(PROVIDER, "D2", &[(ANNA, "R2", 1001, "45A03", 8, 1250, 10_000, None)], "C2")).await;
    for table in ["assignments", "claim_lines", "import_problems", "audit_log"] {
        let sql = format!(
            "SELECT COUNT(*) FROM {table} WHERE CAST(({}) AS TEXT) LIKE '%99990000%' AND $1 > 0",
            match table {
                "assignments" | "claim_lines" => "client",
                "import_problems" => "COALESCE(record_json, '') || COALESCE(context_json, '') || message",
                _ => "COALESCE(before_json, '') || COALESCE(after_json, '')",
            }
        );
        assert_eq!(f.scalar(&sql).await, 0, "a BSN in {table}");
    }
    let pseudonym = f.key.pseudonym(ANNA).0;
    let stored = on_pool!(&f.store, |pool| sqlx::query_scalar::<_, String>("SELECT client FROM claim_lines LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap());
    assert_eq!(stored, pseudonym);
    let money = f.store.client_money(f.region, 2026).await.unwrap();
    assert_eq!(money.iter().map(|m| m.client.as_str()).collect::<Vec<_>>(), vec![pseudonym.as_str()]);

    // A member of Delft imports Delft's data; Pijnacker-Nootdorp's claim is refused.
    let delft = f
        .import_as(
            "323-delft.xml",
            &claim(PROVIDER, "D3", &[(ANNA, "R3", 1001, "45A03", 1, 1250, 1_250, None)], "C3"),
            Some("GM0503"),
        )
        .await;
    assert_eq!(delft.1.accepted, 1);
    let elsewhere = f
        .import_as(
            "323-pn.xml",
            &claim(PROVIDER, "D4", &[(ANNA, "R4", 1001, "45A03", 1, 1250, 1_250, None)], "C4"),
            Some("GM1926"),
        )
        .await;
    assert_eq!((elsewhere.1.accepted, elsewhere.1.quarantined), (0, 1));
    let problems = f.problems(elsewhere.0).await;
    assert_eq!((problems[0].2.as_str(), problems[0].3.as_str()), ("RECHTEN", "blijvend"));
}

#[tokio::test]
async fn csv_claims_import_like_messages() {
    let f = fixture().await;
    f.import("301.xml", &assignments(PROVIDER, ANNA, &[(1001, "45A03", "2026-01-01", "2026-12-31")], "T1")).await;
    let csv = format!(
        "wet;gemeente;aanbieder;declaratienummer;bsn;referentienummer;toewijzingnummer;productcategorie;productcode;\
begindatum;einddatum;volume;eenheid;tarief;bedrag\n\
jeugd;0503;{PROVIDER};K1;{ANNA};C1;1001;45;45A03;1-4-2026;30-4-2026;8;04;12,50;100,00\n\
jeugd;0503;{PROVIDER};K2;{ANNA};C2;1001;45;45A03;1-5-2026;31-5-2026;4;04;12,50;50,00\n\
jeugd;0503;{PROVIDER};K2;{ANNA};C3;1001;45;45A03;1-5-2026;31-5-2026;4;04;12,50;51,00\n"
    );
    let (id, counts, status) = f.import("declaraties.csv", &csv).await;
    assert_eq!((status.as_str(), counts.records, counts.accepted, counts.quarantined), ("klaar", 3, 2, 1));
    assert_eq!(f.problems(id).await[0].2, "TR346");
    assert_eq!(f.spend().await, 15_000);
    let months = f.scalar("SELECT COUNT(DISTINCT month) FROM spend_months WHERE region_id = $1").await;
    assert_eq!(months, 2);
    let missing = "wet;gemeente;aanbieder;declaratienummer;bsn\njeugd;0503;98000001;K2;999900006\n";
    let (id, _, status) = f.import("kapot.csv", missing).await;
    assert_eq!(status, "afgewezen");
    assert!(f.problems(id).await.iter().all(|p| p.2 == "CSV"));
}

/// A CSV file mixes members; each member's list holds its own lines, all of them, in the
/// file's order (on PostgreSQL the importer stores a batch member by member for the BRIN index
/// of members, migration 0026).
#[tokio::test]
async fn each_member_lists_its_own_lines_of_a_mixed_file_in_file_order() {
    let f = fixture().await;
    let members = [("0503", ANNA), ("0518", BEN)];
    let mut assignments = String::from(
        "wet;gemeente;aanbieder;bsn;toewijzingnummer;productcategorie;productcode;toewijzingsdatum;ingangsdatum;einddatum\n",
    );
    for (i, (member, bsn)) in members.iter().enumerate() {
        assignments.push_str(&format!(
            "jeugd;{member};{PROVIDER};{bsn};{};45;45A03;20-3-2026;1-1-2026;31-12-2026\n",
            7001 + i
        ));
    }
    let (_, counts, _) = f.import("toewijzingen.csv", &assignments).await;
    assert_eq!(counts.accepted, 2);
    let mut csv = String::from(
        "wet;gemeente;aanbieder;declaratienummer;bsn;referentienummer;toewijzingnummer;productcategorie;productcode;\
begindatum;einddatum;volume;eenheid;tarief;bedrag\n",
    );
    // Twenty lines, alternating between the members, with references that do not sort like
    // the file (Z before A).
    let mut expected: [Vec<String>; 2] = Default::default();
    for n in 0..20usize {
        let m = n % 2;
        let (member, bsn) = members[m];
        let reference = format!("{}{n:02}", if n < 10 { 'Z' } else { 'A' });
        csv.push_str(&format!(
            "jeugd;{member};{PROVIDER};K{member};{bsn};{reference};{};45;45A03;1-4-2026;30-4-2026;1;04;12,50;12,50\n",
            7001 + m
        ));
        expected[m].push(reference);
    }
    let (_, counts, status) = f.import("gemengd.csv", &csv).await;
    assert_eq!((status.as_str(), counts.accepted, counts.quarantined), ("klaar", 20, 0));
    for (m, (member, _)) in members.iter().enumerate() {
        let filter = ClientRowFilter { municipality: Some(format!("GM{member}")), ..ClientRowFilter::default() };
        let page = f.store.claim_lines(f.region, &filter, PageRequest::all()).await.unwrap();
        let references: Vec<String> = page.items.iter().map(|l| l.reference.clone()).collect();
        assert_eq!(references, expected[m], "GM{member}");
        assert_eq!(page.total, 10);
        assert!(page.items.iter().all(|l| l.municipality_code == format!("GM{member}")));
    }
}

#[tokio::test]
async fn a_claim_number_is_used_for_one_period_only() {
    let f = fixture().await;
    f.import("301.xml", &assignments(PROVIDER, ANNA, &[(1001, "45A03", "2026-01-01", "2026-12-31")], "T1")).await;
    let header = "wet;gemeente;aanbieder;declaratienummer;bsn;referentienummer;toewijzingnummer;productcategorie;\
productcode;begindatum;einddatum;volume;eenheid;tarief;bedrag\n";
    let line = |claim: &str, reference: &str, month: u8| {
        let days = time::Month::try_from(month).unwrap().length(2026);
        format!("jeugd;0503;{PROVIDER};{claim};{ANNA};{reference};1001;45;45A03;1-{month}-2026;{days}-{month}-2026;4;04;12,50;50,00\n")
    };
    // K1 for April, then K2 for May and K1 again for June in one file: the June lines are refused.
    let (_, counts, _) =
        f.import("april.csv", &format!("{header}{}{}", line("K1", "A1", 4), line("K1", "A2", 4))).await;
    assert_eq!((counts.accepted, counts.quarantined), (2, 0));
    let (id, counts, status) = f
        .import(
            "mei-juni.csv",
            &format!("{header}{}{}{}", line("K2", "M1", 5), line("K1", "J1", 6), line("K1", "J2", 6)),
        )
        .await;
    assert_eq!((status.as_str(), counts.accepted, counts.quarantined), ("klaar", 1, 2));
    let problems = f.problems(id).await;
    assert_eq!(problems.len(), 2);
    assert!(problems.iter().all(|p| p.1 == "DeclaratieNummer" && p.2 == "TR333"), "{problems:?}");
    // Each claim's submitted total is the sum of its accepted lines.
    let submitted =
        |number: &str| format!("SELECT submitted_cents FROM claims WHERE region_id = $1 AND number = '{number}'");
    assert_eq!((f.scalar(&submitted("K1")).await, f.scalar(&submitted("K2")).await), (10_000, 5_000));
    // Within one file as well.
    let (id, counts, _) =
        f.import("dubbel.csv", &format!("{header}{}{}", line("K3", "D1", 7), line("K3", "D2", 8))).await;
    assert_eq!((counts.accepted, counts.quarantined), (1, 1));
    assert_eq!(f.problems(id).await[0].2, "TR333");
}

#[tokio::test]
async fn a_generated_year_imports_cleanly_and_the_views_add_up() {
    use samenspel_istd::{Care, Offer, Plan, PlanMunicipality, PlanTariff, Standard};
    use samenspel_store::production::{Dimension, SpendFilter};
    let f = fixture().await;
    let offer = |code: &str, cents: i64| Offer {
        provider: PROVIDER.into(),
        category: "45".into(),
        code: code.into(),
        unit: "04".into(),
        care: Care::Ambulant,
        tariffs: vec![PlanTariff { year: 2026, municipality: None, cents }],
    };
    let plan = Plan {
        standard: Standard::Ijw,
        municipalities: vec![
            PlanMunicipality { code: "0503".into(), weight: 1000 },
            PlanMunicipality { code: "0518".into(), weight: 2000 },
        ],
        offers: vec![offer("45A03", 1250), offer("45A04", 1500)],
        first_month: date!(2026 - 01 - 01),
        months: 10,
        clients_per_1000: 30,
        seed: 7,
        today: date!(2026 - 11 - 22),
    };
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let summary = samenspel_istd::generate(&plan, |name, bytes| {
        files.push((name.to_string(), bytes.to_vec()));
        Ok(())
    })
    .unwrap();
    files.sort();
    let mut accepted = 0;
    for (name, bytes) in &files {
        let (id, counts, status) = f.import(name, std::str::from_utf8(bytes).unwrap()).await;
        assert_eq!(
            (status.as_str(), counts.quarantined, counts.warnings),
            ("klaar", 0, 0),
            "{name}: {:?}",
            f.problems(id).await
        );
        accepted += counts.accepted;
    }
    assert!(accepted > 0);
    let lines = f.scalar("SELECT COUNT(*) FROM claim_lines WHERE region_id = $1").await;
    assert_eq!(lines as u64, summary.claim_lines);
    assert_eq!(
        f.scalar("SELECT COUNT(*) FROM claim_lines WHERE region_id = $1 AND rejected").await as u64,
        summary.rejected_lines
    );
    assert_eq!(summary.answers, summary.claims, "every iJw claim is answered");
    assert_eq!(f.spend().await, summary.granted_cents, "spend is what was granted");

    // Every view adds up to the same total.
    let filter = SpendFilter::year(2026);
    for dimension in Dimension::ALL {
        let cells = f.store.spend(f.region, dimension, &filter).await.unwrap();
        assert_eq!(cells.iter().map(|c| c.amount_cents).sum::<i64>(), summary.granted_cents, "{dimension:?}");
    }
    let members = f.store.spend(f.region, Dimension::Member, &filter).await.unwrap();
    assert_eq!(members.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(), ["GM0503", "GM0518"]);
    let months = f.store.spend(f.region, Dimension::Month, &filter).await.unwrap();
    assert_eq!(months.len(), 10);
    // Narrowed to one member, the detailed cells give that member's total.
    for member in &members {
        let narrowed = SpendFilter { municipality: Some(member.key.clone()), ..filter.clone() };
        let by_provider = f.store.spend(f.region, Dimension::Provider, &narrowed).await.unwrap();
        assert_eq!(by_provider.iter().map(|c| c.amount_cents).sum::<i64>(), member.amount_cents);
    }
    let clients = f.store.clients(f.region, "gemeente", &filter).await.unwrap();
    assert!(clients.iter().all(|c| c.clients > 0));
    let running = f.store.running_assignments(f.region, 2026, Some("jeugd")).await.unwrap();
    assert_eq!(running.len(), 2);
    assert!(running.iter().all(|(_, months)| months[0] > 0));
    // The counts the importer keeps agree with counting the facts themselves.
    for (member, months) in &running {
        for (i, kept) in months.iter().enumerate() {
            let month = time::Month::try_from(i as u8 + 1).unwrap();
            let first = time::Date::from_calendar_date(2026, month, 1).unwrap();
            let last = first.replace_day(month.length(2026)).unwrap();
            let counted = f
                .scalar(&format!(
                    "SELECT COUNT(*) FROM assignments WHERE region_id = $1 AND law = 'jeugd' \
                     AND municipality_code = '{member}' AND (change_reason IS NULL OR change_reason <> '13') \
                     AND starts_on <= '{last}' AND (ends_on IS NULL OR ends_on >= '{first}')"
                ))
                .await;
            assert_eq!(i64::from(*kept), counted, "{member} month {}", i + 1);
        }
    }
    let flow = f.store.assignment_flow(f.region, Some("jeugd"), 202601, 202603).await.unwrap();
    for (member, started, ended) in &flow {
        let counted = |column: &str| {
            format!(
                "SELECT COUNT(*) FROM assignments WHERE region_id = $1 AND law = 'jeugd' AND municipality_code = '{member}' \
                 AND (change_reason IS NULL OR change_reason <> '13') AND {column} >= '2026-01-01' AND {column} <= '2026-03-31'"
            )
        };
        assert_eq!((*started, *ended), (f.scalar(&counted("starts_on")).await, f.scalar(&counted("ends_on")).await));
    }
    assert!(flow.iter().any(|(_, started, _)| *started > 0));
    let youth = SpendFilter { law: Some("jeugd".into()), ..filter.clone() };
    let kept = f.store.clients(f.region, "gemeente", &youth).await.unwrap();
    assert_eq!(kept.len(), 2);
    for cell in &kept {
        let narrowed = SpendFilter { municipality: Some(cell.key.clone()), ..youth.clone() };
        let counted = f.store.clients(f.region, "gemeente", &narrowed).await.unwrap();
        assert_eq!((counted[0].clients, counted[0].amount_cents), (cell.clients, cell.amount_cents));
    }
    let kept = f.store.clients(f.region, "aanbieder-categorie", &youth).await.unwrap();
    let providers: std::collections::BTreeSet<i64> =
        kept.iter().map(|c| c.key.split(' ').next().unwrap().parse().unwrap()).collect();
    let mut counted = Vec::new();
    for provider in providers {
        let narrowed = SpendFilter { provider_id: Some(provider), ..youth.clone() };
        counted.extend(f.store.clients(f.region, "aanbieder-categorie", &narrowed).await.unwrap());
    }
    let pairs = |cells: &[samenspel_store::production::ClientCell]| {
        let mut v: Vec<(String, i64, i64)> = cells.iter().map(|c| (c.key.clone(), c.clients, c.amount_cents)).collect();
        v.sort();
        v
    };
    assert_eq!(pairs(&kept), pairs(&counted));
    assert!(!kept.is_empty());

    // The settlement's costs, from the money per client the importer keeps, equal adding up
    // each client's claim lines that were not rejected.
    let agreement = samenspel_domain::risk_sharing::Agreement::parse(
        r#"{"naam": "t", "potten": [{"naam": "duur", "categorieen": ["45"], "solidariteit": 100, "sleutel": "inwoners", "drempel": 5},
                                   {"naam": "rest", "solidariteit": 50, "sleutel": "inwoners", "drempel": 1}]}"#,
    )
    .unwrap();
    let costs =
        f.store.settlement_costs(f.region, 2026, "jeugd", &agreement, |_| true).await.unwrap().unwrap().unwrap();
    let rows: Vec<(String, String, String, i64)> = on_pool!(&f.store, |pool| {
        sqlx::query_as(
            "SELECT municipality_code, category, client, CAST(SUM(amount_cents) AS BIGINT) FROM claim_lines \
             WHERE region_id = $1 AND law = 'jeugd' AND month BETWEEN 202601 AND 202612 AND NOT rejected \
             GROUP BY municipality_code, provider_id, category, client",
        )
        .bind(f.region)
        .fetch_all(pool)
        .await
        .unwrap()
    });
    let mut kept: Vec<(String, String, String, i64)> = f
        .store
        .client_money(f.region, 2026)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.law == "jeugd")
        .map(|m| (m.municipality_code, m.category, m.client, m.amount_cents))
        .collect();
    let mut facts = rows.clone();
    kept.sort();
    facts.sort();
    assert_eq!(kept, facts, "money per client as kept equals the claim lines");
    let mut per_client: std::collections::BTreeMap<(String, String, String), i64> = Default::default();
    for (gm, category, client, cents) in rows {
        let pool = if category == "45" { "duur" } else { "rest" };
        *per_client.entry((pool.to_string(), gm, client)).or_default() += cents;
    }
    let mut expected: std::collections::BTreeMap<(String, String), (i64, Vec<i64>)> = Default::default();
    for ((pool, gm, _), cents) in per_client {
        let threshold = if pool == "duur" { 500 } else { 100 };
        let entry = expected.entry((pool, gm)).or_default();
        entry.0 += cents;
        if cents > threshold {
            entry.1.push(cents);
        }
    }
    let got: std::collections::BTreeMap<(String, String), (i64, Vec<i64>)> =
        costs.into_iter().map(|((pool, gm), c)| ((pool, gm.to_string()), (c.total_cents, c.client_cents))).collect();
    let expected: std::collections::BTreeMap<_, _> = expected
        .into_iter()
        .map(|(k, (total, mut clients))| {
            clients.sort_unstable();
            (k, (total, clients))
        })
        .collect();
    assert_eq!(got, expected);
    assert!(got.values().any(|(_, clients)| !clients.is_empty()));
    assert_eq!(f.store.last_spend_month(f.region, 2026).await.unwrap(), Some(202610));
}

/// Migration 0021 moves money per client and year into numbered groups, and 0025 packs it per
/// group; what an older version stored reads the same afterwards.
#[tokio::test]
async fn money_per_client_stored_before_the_client_groups_survives_the_migrations() {
    let store = samenspel_store::testing::store_migrated_to(20).await.unwrap();
    let (a, b, c) =
        ("0123456789abcdef0123456789abcdef", "ff000000000000000000000000000001", "00000000000000000000000000000000");
    let old = [
        ("jeugd", 2025, "GM0503", 7, "45", a, 125_000),
        ("jeugd", 2025, "GM0503", 7, "45", b, 300),
        ("jeugd", 2025, "GM0503", 7, "43", c, 0),
        ("jeugd", 2025, "GM0503", 7, "43", a, -50),
        ("wmo", 2026, "GM0518", 9, "02", c, 7_700),
    ];
    for (law, year, member, provider, category, client, cents) in old {
        on_pool!(&store, |pool| sqlx::query(
            "INSERT INTO client_years (region_id, law, year, municipality_code, provider_id, category, client, \
             amount_cents) VALUES (1, $1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(law)
        .bind(year)
        .bind(member)
        .bind(provider as i64)
        .bind(category)
        .bind(client)
        .bind(cents as i64)
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap());
    }
    store.migrate().await.unwrap();
    let mut rows = Vec::new();
    for year in [2025, 2026] {
        for m in store.client_money(1, year).await.unwrap() {
            rows.push((m.law, year, m.municipality_code, m.provider_id, m.category, m.client, m.amount_cents));
        }
    }
    rows.sort_by_key(|r| (r.0.clone(), r.1, std::cmp::Reverse(r.4.clone()), r.5.clone()));
    let expected: Vec<(String, i32, String, i64, String, String, i64)> = old
        .iter()
        .map(|&(l, y, m, p, c, k, a)| (l.into(), y, m.into(), p as i64, c.into(), k.into(), a as i64))
        .collect();
    assert_eq!(rows, expected);
    let cells: Vec<(i64, i64)> = on_pool!(&store, |pool| sqlx::query_as(
        "SELECT client_count, amount_cents FROM client_cells ORDER BY law, year, category DESC"
    )
    .fetch_all(pool)
    .await
    .unwrap());
    assert_eq!(
        cells,
        vec![(2, 125_300), (2, -50), (1, 7_700)],
        "one group per law, year, member, provider and category"
    );
}
