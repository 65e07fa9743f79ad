//! The demo region: a real youth-care region from the CBS data (Haaglanden, JZ24) with
//! fictional providers and one demo account per role, so a newcomer can look around.

use crate::auth::secrets::{hash_password, random_token};
use samenspel_calc::health::{generate, GeneratedGroup, Respondent};
use samenspel_domain::access::Role;
use samenspel_domain::account::{check_password, NewAccount};
use samenspel_domain::instrument::{Instrument, Party};
use samenspel_domain::region::Domain;
use samenspel_domain::{AgbCode, KvkNumber, MunicipalityCode, YouthRegionCode};
use samenspel_store::health::{InstrumentChoice, NewRound};
use samenspel_store::keys::RegionKeys;
use samenspel_store::providers::ProviderDetails;
use samenspel_store::{Actor, Store, StoreError};
use time::macros::date;
use time::Date;

pub const DEMO_REGION: &str = "haaglanden";
pub const DEMO_YOUTH_REGION: &str = "JZ24";
/// Den Haag executes tasks for the Haaglanden youth-care region.
pub const DEMO_CENTRE: &str = "GM0518";
/// The member the demo municipality account works for: a small member next to a large one.
pub const DEMO_MEMBER: &str = "GM1842";

/// The demo accounts: login, name, role.
pub fn demo_accounts() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut accounts = vec![
        ("beheerder", "Regiobeheerder (demo)", "regiobeheerder"),
        ("gemeente", "Medewerker Midden-Delfland (demo)", "gemeente"),
        ("aanbieder", "Medewerker Jeugdhulp Duinzicht (demo)", "aanbieder"),
        ("coach", "Samenwerkingscoach (demo)", "coach"),
        ("waarnemer", "Raadslid (demo)", "waarnemer"),
    ];
    accounts.extend(DEMO_ALDERMEN.iter().map(|(login, name, _)| (*login, *name, "gemeente")));
    accounts
}

/// Aldermen who cast their member's vote: a large member, a middle one and the small member
/// the demo municipality account works for. Login, name, member.
pub const DEMO_ALDERMEN: [(&str, &str, &str); 3] = [
    ("wethouder-denhaag", "Wethouder 's-Gravenhage (demo)", "GM0518"),
    ("wethouder-delft", "Wethouder Delft (demo)", "GM0503"),
    ("wethouder-middendelfland", "Wethouder Midden-Delfland (demo)", DEMO_MEMBER),
];

/// Fictional providers: invented names, AGB and KvK numbers in no real register.
const DEMO_PROVIDERS: [(&str, &str, &str, &str); 4] = [
    ("Jeugdhulp Duinzicht (fictief)", "98000001", "90000001", "Den Haag"),
    ("Gezinsbegeleiding Het Westland (fictief)", "98000002", "90000002", "Naaldwijk"),
    ("Stichting Veilig Opgroeien Delfland (fictief)", "98000003", "90000003", "Delft"),
    ("Zorgboerderij De Hofstede (fictief)", "98000004", "90000004", "Pijnacker"),
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("SAMENSPEL_DEMO_PASSWORD voldoet niet aan de wachtwoordregels: {0}")]
    WeakPassword(String),
    #[error("wachtwoord versleutelen mislukt: {0}")]
    Hash(String),
    #[error("demoproductie maken mislukt: {0}")]
    Generate(String),
}

/// What seeding did.
#[derive(Debug, PartialEq, Eq)]
pub enum Seeded {
    /// Created; the password is returned when it was generated (to print once).
    Created {
        generated_password: Option<String>,
    },
    AlreadyPresent,
}

/// How much production the demo region gets, through the real import path.
#[derive(Debug, Clone)]
pub struct DemoProduction {
    pub keys: RegionKeys,
    /// Months up to the last complete one before `today`.
    pub months: u32,
    /// Clients per 1000 of the generator's weight (inhabitants / 100).
    pub clients_per_1000: u32,
    pub today: Date,
}

impl DemoProduction {
    /// A year of production at a scale that imports in seconds.
    pub fn year(keys: RegionKeys, today: Date) -> DemoProduction {
        DemoProduction { keys, months: 12, clients_per_1000: 60, today }
    }
}

/// Creates the demo region and accounts unless the region exists already, and with
/// `production` a generated stretch of messages imported as a region admin would.
pub async fn seed(
    store: &Store,
    password: Option<String>,
    production: Option<DemoProduction>,
) -> Result<Seeded, DemoError> {
    if store.region_by_code(DEMO_REGION).await?.is_some() {
        return Ok(Seeded::AlreadyPresent);
    }
    let (password, generated) = match password.filter(|p| !p.is_empty()) {
        Some(p) => (p, false),
        None => (format!("demo-{}", &random_token()[..16]), true),
    };
    for (login, _, _) in demo_accounts() {
        check_password(&password, login).map_err(|e| DemoError::WeakPassword(e.reason))?;
    }
    let actor = Actor { user_id: None, login: "demo".into(), origin: "systeem".into() };
    let youth_region = YouthRegionCode::parse(DEMO_YOUTH_REGION).expect("valid code");
    let mut new = store.new_region_from_youth_region(&youth_region, Domain::Youth, date!(2015 - 01 - 01)).await?;
    new.centre = Some(MunicipalityCode::parse(DEMO_CENTRE).expect("valid code"));
    let region = match store.create_region(&new, &actor).await {
        Ok(region) => region,
        // Another process seeded at the same moment.
        Err(StoreError::Conflict { .. }) => return Ok(Seeded::AlreadyPresent),
        Err(e) => return Err(e.into()),
    };
    let mut provider_ids = Vec::new();
    for (name, agb, kvk, city) in DEMO_PROVIDERS {
        let details = ProviderDetails {
            name: name.into(),
            agb_code: AgbCode::parse(agb).ok(),
            kvk_number: KvkNumber::parse(kvk).ok(),
            city: Some(city.into()),
            email: None,
            phone: None,
            active: true,
        };
        provider_ids.push(store.create_provider(region.id, &details, &actor).await?.id);
    }
    seed_procurement(store, region.id, &provider_ids, &actor).await?;
    seed_accountability(store, region.id, &provider_ids, &actor).await?;
    seed_exchange(store, region.id, &provider_ids, &actor).await?;
    let hash = hash_password(password.clone()).await.map_err(DemoError::Hash)?;
    for (login, name, role) in demo_accounts() {
        let account = NewAccount::parse(login, name, "").expect("valid demo account");
        let user = store.create_user(&account, Some(&hash), login == "beheerder", &actor).await?;
        let alderman = DEMO_ALDERMEN.iter().find(|(l, _, _)| *l == login).map(|(_, _, member)| *member);
        let role = match role {
            "regiobeheerder" => Role::RegionAdmin,
            "gemeente" => Role::Member(MunicipalityCode::parse(alderman.unwrap_or(DEMO_MEMBER)).expect("valid code")),
            "aanbieder" => Role::Provider(provider_ids[0]),
            "coach" => Role::Coach,
            _ => Role::Observer,
        };
        store.add_grant(user.id, region.id, &role, &actor).await?;
        if let Some(member) = alderman {
            let authorisation = samenspel_store::proposals::NewRepresentative {
                municipality: MunicipalityCode::parse(member).expect("valid code"),
                user_id: user.id,
                title: "wethouder".into(),
                valid_from: date!(2015 - 01 - 01),
                valid_until: None,
            };
            store.add_representative(region.id, &authorisation, &actor).await?;
        }
    }
    if let Some(production) = production {
        seed_production(store, &region, &production, &actor).await?;
    }
    seed_health(store, region.id, &actor).await?;
    Ok(Seeded::Created { generated_password: generated.then_some(password) })
}

/// The generator plan of the demo region: its members and contracts, with one provider that
/// claims more than its contract allows.
pub async fn demo_plan(
    store: &Store,
    region: &samenspel_store::regions::RegionRow,
    months: u32,
    clients_per_1000: u32,
    today: Date,
) -> Result<samenspel_istd::Plan, StoreError> {
    let mut plan = crate::production::plan_for_region(store, region, months, 2026, today).await?;
    plan.clients_per_1000 = clients_per_1000;
    // Het Westland claims its old specialist tariff in 2026: claims above the contract.
    for offer in plan.offers.iter_mut().filter(|o| o.provider == "98000002" && o.code == "45A05") {
        for t in offer.tariffs.iter_mut().filter(|t| t.year == 2026 && t.municipality.is_none()) {
            t.cents += 250;
        }
    }
    Ok(plan)
}

/// Generates messages for the demo region and imports them file by file, then sets each
/// member's budget for the current year around its forecast so the spend views have something
/// to say: most members stay within budget, Westland heads for an overrun.
async fn seed_production(
    store: &Store,
    region: &samenspel_store::regions::RegionRow,
    production: &DemoProduction,
    actor: &Actor,
) -> Result<(), DemoError> {
    use samenspel_store::production::{ImportProgress, ImportRequest, ImportSession, ImportSource};
    use std::sync::Arc;
    let plan = demo_plan(store, region, production.months, production.clients_per_1000, production.today).await?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    samenspel_istd::generate(&plan, |name, bytes| {
        files.push((name.to_string(), bytes.to_vec()));
        Ok(())
    })
    .map_err(|e| DemoError::Generate(e.to_string()))?;
    files.sort();
    let key = production.keys.pseudonymiser(&region.code).map_err(|e| DemoError::Generate(e.to_string()))?;
    let mut session = ImportSession::default();
    for (name, bytes) in files {
        let request = ImportRequest { region_id: region.id, file_name: name, scope: None, today: production.today };
        let prepared = store.prepare_import(request, ImportSource::Bytes(Arc::new(bytes)), actor).await?;
        store.run_import_in(&mut session, prepared, &key, Arc::new(ImportProgress::default()), actor).await?;
    }
    let (year, _) = crate::production::last_complete_month(production.today);
    let outlook = crate::production::outlook(store, region.id, year, "jeugd", production.today).await?;
    for member in outlook.members {
        let factor = if member.municipality_code == "GM1783" { 92 } else { 104 + (member.forecast.year_end % 7) };
        let budget = member.forecast.year_end * factor / 100;
        let figures = samenspel_domain::figures::MemberFigures {
            youths: None,
            budget_youth: Some(samenspel_domain::Cents(budget.max(0))),
            budget_wmo: None,
        };
        let code = MunicipalityCode::parse(&member.municipality_code).expect("member code");
        store.set_figures(region.id, &code, year, &figures, actor).await?;
    }
    Ok(())
}

/// A realistic set of procurement facts: a youth-care catalogue on national codes, five lots
/// with different routes and forms of collaboration (one member moved from the bus to convoy in
/// 2026), steering choices, contracts with tariffs (convoy deviations and a cost build-up), and
/// an open house with a pending application.
async fn seed_procurement(store: &Store, region_id: i64, providers: &[i64], actor: &Actor) -> Result<(), DemoError> {
    use samenspel_domain::procurement::{
        Cadence, CollaborationForm as Form, ContractStatus, CostBuildUp, FundingVariant, Law, Period, Referrer, Route,
        SteeringChoices, Unit,
    };
    use samenspel_domain::Cents;
    use samenspel_store::catalogue::ProductDetails;
    use samenspel_store::contracts::{ContractDetails, TariffDetails};
    use samenspel_store::lots::{FormChange, LotDetails};

    let catalogue = [
        ("45", "45A04", "Jeugdhulp ambulant regulier", Unit::Hour, FundingVariant::EffortBased),
        ("45", "45A05", "Jeugdhulp ambulant specialistisch", Unit::Hour, FundingVariant::EffortBased),
        ("45", "45A06", "Jeugdhulp ambulant diagnostiek", Unit::Hour, FundingVariant::EffortBased),
        ("41", "41A03", "Dagbehandeling regulier", Unit::DayPart, FundingVariant::EffortBased),
        ("43", "43A03", "Pleegzorg", Unit::Day, FundingVariant::OutputBased),
        ("43", "43A07", "Jeugdhulp verblijf", Unit::Day, FundingVariant::EffortBased),
        ("46", "46A01", "Jeugdhulp crisis ambulant", Unit::Hour, FundingVariant::TaskBased),
        ("46", "46A03", "Jeugdhulp crisis verblijf", Unit::Day, FundingVariant::TaskBased),
        ("48", "48A01", "Ondertoezichtstelling jaar 1", Unit::PieceOutput, FundingVariant::OutputBased),
    ];
    let mut product = std::collections::HashMap::new();
    for (category, code, name, unit, variant) in catalogue {
        let details = ProductDetails {
            law: Law::Youth,
            category: category.into(),
            code: Some(code.into()),
            name: name.into(),
            unit,
            funding_variant: variant,
            own_code: false,
            active: true,
        };
        product.insert(code, store.create_product(region_id, &details, actor).await?.id);
    }
    let period = Period { starts_on: date!(2025 - 01 - 01), ends_on: Some(date!(2028 - 12 - 31)) };
    let lots = [
        ("Jeugdhulp ambulant", Route::OpenAdmission, vec!["45A04", "45A05", "45A06"]),
        ("Dagbehandeling", Route::Tender, vec!["41A03"]),
        ("Verblijf en pleegzorg", Route::Tender, vec!["43A03", "43A07"]),
        ("Crisis", Route::Grant, vec!["46A01", "46A03"]),
        ("Jeugdbescherming", Route::InHouse, vec!["48A01"]),
    ];
    let mut lot = Vec::new();
    for (name, route, codes) in lots {
        let details = LotDetails {
            name: name.into(),
            description: None,
            route,
            period,
            products: codes.iter().map(|c| product[c]).collect(),
        };
        lot.push(store.create_lot(region_id, &details, actor).await?.id);
    }
    let members = store.memberships(region_id).await?;
    let start = date!(2025 - 01 - 01);
    for (i, lot_id) in lot.iter().enumerate() {
        for m in &members {
            let form = match (i, m.municipality_code.as_str()) {
                (0, "GM0629") => Form::PiggyBack,
                (1, "GM1842") => Form::Local,
                (2, "GM0637") => Form::Convoy,
                _ => Form::SameBus,
            };
            let code = MunicipalityCode::parse(&m.municipality_code).expect("member code");
            let change = FormChange { municipality: code, form, valid_from: start, reason: None };
            store.set_participation(region_id, *lot_id, &change, actor).await?;
        }
    }
    // Westland wanted its own tariffs for ambulant care from 2026: the bus became a convoy.
    let westland = FormChange {
        municipality: MunicipalityCode::parse("GM1783").expect("code"),
        form: Form::Convoy,
        valid_from: date!(2026 - 01 - 01),
        reason: Some("Eigen tarieven na gemeentelijk kostprijsonderzoek".into()),
    };
    store.set_participation(region_id, lot[0], &westland, actor).await?;

    let steering = |referrers: Vec<Referrer>, variant, ceiling: Option<i64>, pilot: bool| SteeringChoices {
        referrers,
        funding_variant: variant,
        budget_ceiling: ceiling.map(Cents),
        cadence: Cadence::Quarterly,
        indicator_volume: Some("cliënten en uren per kwartaal, per gemeente".into()),
        indicator_money: Some("uitgaven tegen budget per kwartaal".into()),
        indicator_quality: Some("uitval en doorlooptijd tot start zorg".into()),
        pilot,
        evaluation_on: pilot.then_some(date!(2026 - 12 - 31)),
    };
    use Referrer::*;
    let choices = [
        steering(
            vec![Municipality, GeneralPractitioner, YouthDoctor, MedicalSpecialist],
            FundingVariant::EffortBased,
            None,
            false,
        ),
        steering(vec![Municipality, MedicalSpecialist], FundingVariant::EffortBased, None, false),
        steering(vec![Municipality, CertifiedInstitution, Court], FundingVariant::EffortBased, None, false),
        steering(
            vec![Municipality, CertifiedInstitution, SelfReferral],
            FundingVariant::TaskBased,
            Some(240_000_000),
            true,
        ),
        steering(vec![Court, CertifiedInstitution], FundingVariant::OutputBased, None, false),
    ];
    for (lot_id, c) in lot.iter().zip(choices) {
        store.add_steering(region_id, *lot_id, &c, start, "Keuzes bij de start van de inkoop 2025–2028", actor).await?;
    }
    for text in [
        "Ingeschreven in het AGB-register en de KvK",
        "Beschikt over het kwaliteitskader jeugd en een geldige verklaring omtrent gedrag voor alle medewerkers",
        "Werkt met de regionale productcodes en levert berichten via het GGK aan",
    ] {
        store.add_condition(region_id, lot[0], text, actor).await?;
    }
    store.set_admission_open(region_id, lot[0], true, actor).await?;

    let contract = |provider: usize, lot_index: usize| ContractDetails {
        provider_id: providers[provider],
        lot_id: lot[lot_index],
        period,
        status: ContractStatus::Active,
        reference: None,
    };
    let tariff = |code: &str, year: i32, municipality: Option<&str>, amount: i64, unit: Unit| TariffDetails {
        product_id: product[code],
        year,
        municipality: municipality.map(|m| MunicipalityCode::parse(m).expect("code")),
        amount: Cents(amount),
        unit,
        build_up: None,
    };
    // Jeugdhulp Duinzicht and Gezinsbegeleiding Het Westland: ambulant care.
    for (provider, base) in [(0usize, 0i64), (1, 150)] {
        let c = store.create_contract(region_id, &contract(provider, 0), actor).await?;
        for (code, amount) in [("45A04", 7_812), ("45A05", 9_540), ("45A06", 10_200)] {
            store.add_tariff(region_id, c.id, &tariff(code, 2025, None, amount + base, Unit::Hour), actor).await?;
        }
        store.index_tariffs(region_id, c.id, 2025, 325, actor).await?;
        for (code, amount) in [("45A04", 8_150), ("45A05", 9_900)] {
            store
                .add_tariff(region_id, c.id, &tariff(code, 2026, Some("GM1783"), amount + base, Unit::Hour), actor)
                .await?;
        }
    }
    // A cost build-up shows the ambulant tariff is realistic.
    let c = store.create_contract(region_id, &contract(2, 2), actor).await?;
    // The contracts run since 2025; their 2025 tariffs were indexed into 2026's.
    store.add_tariff(region_id, c.id, &tariff("43A03", 2025, None, 6_250, Unit::Day), actor).await?;
    store.add_tariff(region_id, c.id, &tariff("43A07", 2025, None, 28_000, Unit::Day), actor).await?;
    let mut pleegzorg = tariff("43A03", 2026, None, 6_450, Unit::Day);
    pleegzorg.build_up =
        Some(CostBuildUp::from_parts([Cents(4_100), Cents(900), Cents(520), Cents(310), Cents(200), Cents(420)]));
    store.add_tariff(region_id, c.id, &pleegzorg, actor).await?;
    store.add_tariff(region_id, c.id, &tariff("43A07", 2026, None, 28_900, Unit::Day), actor).await?;
    store.add_tariff(region_id, c.id, &tariff("43A07", 2026, Some("GM0637"), 30_100, Unit::Day), actor).await?;
    let c = store.create_contract(region_id, &contract(3, 1), actor).await?;
    store.add_tariff(region_id, c.id, &tariff("41A03", 2025, None, 14_300, Unit::DayPart), actor).await?;
    store.add_tariff(region_id, c.id, &tariff("41A03", 2026, None, 14_750, Unit::DayPart), actor).await?;
    let c = store.create_contract(region_id, &contract(2, 4), actor).await?;
    store.add_tariff(region_id, c.id, &tariff("48A01", 2025, None, 1_020_000, Unit::PieceOutput), actor).await?;
    store.add_tariff(region_id, c.id, &tariff("48A01", 2026, None, 1_050_000, Unit::PieceOutput), actor).await?;

    // De Hofstede applies for the open house; the region has yet to decide.
    let applicant = Actor { user_id: None, login: "aanbieder-hofstede".into(), origin: "demo".into() };
    store
        .apply_for_admission(
            region_id,
            lot[0],
            providers[3],
            Some("Wij bieden ambulante begeleiding op de boerderij."),
            &applicant,
        )
        .await?;
    Ok(())
}

/// An exchange round that takes registrations: places at three providers and two members, and
/// generated participants, so the coordinator can propose, adjust and confirm a matching.
async fn seed_exchange(store: &Store, region_id: i64, providers: &[i64], actor: &Actor) -> Result<(), DemoError> {
    use samenspel_domain::exchange::{Mode, NewPlace, Organisation};
    let today = samenspel_store::today();
    let round = store
        .create_exchange_round(
            region_id,
            "Wisselstage voorjaar",
            Some(
                "Twee tot vier weken meewerken aan de andere kant: gemeenten bij aanbieders, aanbieders bij gemeenten.",
            ),
            actor,
        )
        .await?;
    let start = today + time::Duration::days(60);
    let places = [
        (Organisation::Provider(providers[0]), "Ambulante jeugdhulp in de wijk", Mode::OnSite, 2),
        (Organisation::Provider(providers[1]), "Gezinsbegeleiding en wachtlijstbeheer", Mode::OnSite, 1),
        (Organisation::Provider(providers[2]), "Veiligheid en crisisopvang", Mode::Online, 1),
        (Organisation::Member("GM0518".into()), "Contractmanagement jeugd", Mode::OnSite, 2),
        (Organisation::Member("GM0503".into()), "Toegang en wijkteam", Mode::OnSite, 1),
    ];
    for (host, theme, mode, capacity) in places {
        let place = NewPlace {
            host,
            theme: theme.into(),
            description: None,
            starts_on: start,
            ends_on: start + time::Duration::days(27),
            mode,
            capacity,
        };
        store.add_exchange_place(region_id, round.id, &place, actor).await?;
    }
    crate::exchange::generate_into(store, region_id, round.id, 12, 2027, actor).await?;
    Ok(())
}

/// Two accountability requests: the yearly report, open for a few more weeks, and the waiting
/// list of the last quarter, past its deadline, which Het Westland sent late and the others not.
async fn seed_accountability(store: &Store, region_id: i64, providers: &[i64], actor: &Actor) -> Result<(), DemoError> {
    use samenspel_domain::accountability::{parse_csv, parse_field_lines, Format, Frequency, RequestKind};
    use samenspel_store::accountability::RequestDetails;
    let today = samenspel_store::today();
    let yearly = RequestDetails {
        title: "Jaarverantwoording 2025".into(),
        kind: RequestKind::Production,
        frequency: Frequency::Yearly,
        period: "2025".into(),
        description: Some(
            "Eén verantwoording voor alle gemeenten: productie per gemeente en het kwaliteitsverslag.".into(),
        ),
        fields: parse_field_lines(
            "clienten; Cliënten in zorg in 2025; aantal; gemeente\n\
             uren; Geleverde uren; aantal; gemeente\n\
             omzet; Omzet; bedrag; gemeente\n\
             klachten; Klachten ontvangen; aantal; aanbieder\n\
             kwaliteit; Kwaliteitsverslag (samenvatting); tekst; aanbieder",
        )
        .expect("valid demo fields"),
        deadline: today + time::Duration::days(45),
        lot_id: None,
    };
    let r = store.create_accountability_request(region_id, &yearly, actor).await?;
    store.set_accountability_request_open(region_id, r.id, true, actor).await?;
    let waiting = RequestDetails {
        title: "Wachtlijst derde kwartaal".into(),
        kind: RequestKind::WaitingTimes,
        frequency: Frequency::Quarterly,
        period: format!("{} K3", today.year()),
        description: None,
        fields: parse_field_lines(
            "wachtenden; Jeugdigen op de wachtlijst; aantal; gemeente\n\
             wachttijd; Gemiddelde wachttijd tot start zorg in weken; getal; aanbieder",
        )
        .expect("valid demo fields"),
        deadline: today - time::Duration::days(7),
        lot_id: None,
    };
    let w = store.create_accountability_request(region_id, &waiting, actor).await?;
    let w = store.set_accountability_request_open(region_id, w.id, true, actor).await?;
    // Het Westland serves every member in the ambulant lot.
    let served: std::collections::BTreeSet<String> =
        store.memberships(region_id).await?.into_iter().map(|m| m.municipality_code).collect();
    let mut csv = String::from("gemeentecode;veld;waarde\n");
    for (i, m) in served.iter().enumerate() {
        csv.push_str(&format!("{m};wachtenden;{}\n", 2 + (i * 7) % 11));
    }
    csv.push_str(";wachttijd;6,5\n");
    let values = parse_csv(csv.as_bytes(), &w.field_specs(), &served).expect("valid demo submission");
    let westland = Actor { user_id: None, login: "aanbieder-westland".into(), origin: "demo".into() };
    let submission = samenspel_store::accountability::NewSubmission {
        request_id: w.id,
        provider_id: providers[1],
        concerns: &served,
        values: &values,
        format: Format::Csv,
    };
    store.submit_accountability(region_id, &submission, &westland).await?;

    // An announcement, a procurement round still open, and one question answered for everyone.
    use samenspel_store::dialogue::NewAnnouncement;
    let news = NewAnnouncement {
        kind: "mededeling".into(),
        title: "Nieuwe regionale productcodes per 1 januari".into(),
        body: "Vanaf 1 januari gebruiken alle gemeenten in de regio dezelfde productcodes voor ambulante jeugdhulp. \
               U hoeft per gemeente geen eigen codes meer bij te houden."
            .into(),
        lot_id: None,
        closes_on: None,
    };
    store.publish_announcement(region_id, &news, actor).await?;
    let lots = store.lots(region_id).await?;
    let round = NewAnnouncement {
        kind: "aanbesteding".into(),
        title: "Aanbesteding dagbehandeling 2027".into(),
        body: "De regio koopt dagbehandeling opnieuw in voor 2027–2030.\n\
               Voorwaarden: kwaliteitskader jeugd, regionale productcodes, aanlevering van de jaarverantwoording via dit loket."
            .into(),
        lot_id: lots.iter().find(|l| l.name == "Dagbehandeling").map(|l| l.id),
        closes_on: Some(today + time::Duration::days(30)),
    };
    let round = store.publish_announcement(region_id, &round, actor).await?;
    let question = store
        .ask_question(
            region_id,
            providers[3],
            Some(round.id),
            "Groepsgrootte",
            "Geldt er een maximale groepsgrootte voor dagbehandeling op de boerderij?",
            &Actor { user_id: None, login: "aanbieder-hofstede".into(), origin: "demo".into() },
        )
        .await?;
    store
        .answer_question(
            region_id,
            question.id,
            "Geldt er een maximale groepsgrootte voor dagbehandeling op een locatie buiten de stad?",
            "Ja: hoogstens acht jeugdigen per groep, met twee begeleiders. Dit staat ook in het bestek.",
            actor,
        )
        .await?;
    Ok(())
}

/// Generated respondents for a demonstration (never for a real round): `total` split over the
/// members (half, large and small alike), the regional team (at least five) and the providers,
/// each leaning to a level a little above the middle of the scale; `decline` lowers the small
/// members' level about one party (or about everything for an instrument not answered per
/// party) by that many points.
pub fn demo_respondents(
    instrument: &Instrument,
    parties: &[Party],
    total: usize,
    seed: u64,
    decline: Option<(Option<Party>, f64)>,
) -> Vec<Respondent> {
    let base = f64::from(instrument.points) * 0.7;
    let members = total / 2;
    let region = (total / 7).max(5).min(total.saturating_sub(members));
    let providers = total.saturating_sub(members + region);
    let levels = |small: bool| -> Vec<(Option<Party>, f64)> {
        instrument
            .passes(parties)
            .into_iter()
            .map(|p| {
                let drop = match decline {
                    Some((party, points)) if small && (party.is_none() || party == p) => points,
                    _ => 0.0,
                };
                (p, base - drop)
            })
            .collect()
    };
    let groups = [
        GeneratedGroup {
            group: Party::Members,
            large_member: Some(true),
            count: members - members / 2,
            levels: levels(false),
        },
        GeneratedGroup { group: Party::Members, large_member: Some(false), count: members / 2, levels: levels(true) },
        GeneratedGroup { group: Party::Region, large_member: None, count: region, levels: levels(false) },
        GeneratedGroup { group: Party::Providers, large_member: None, count: providers, levels: levels(false) },
    ];
    generate(instrument, &groups, seed)
}

/// Runs a round to its close with generated answers (marked as generated on every page).
pub async fn run_generated_round(
    store: &Store,
    region_id: i64,
    new: &NewRound,
    respondents: impl FnOnce(&Instrument, &[Party]) -> Vec<Respondent>,
    actor: &Actor,
) -> Result<i64, StoreError> {
    let round = store.create_survey_round(region_id, new, actor).await?;
    store.set_survey_round_status(region_id, round.id, true, actor).await?;
    let answers = respondents(&round.instrument(), &round.parties());
    store.add_generated_responses(region_id, round.id, &answers, actor).await?;
    store.set_survey_round_status(region_id, round.id, false, actor).await?;
    Ok(round.id)
}

/// The demo region's collaboration health: a trust baseline and a second round among 40
/// generated respondents in which the small members' trust in the regional team falls by 1.8
/// points (and nothing else moves), a round of the collaboration factors and one of the value of the
/// collaboration.
async fn seed_health(store: &Store, region_id: i64, actor: &Actor) -> Result<(), DemoError> {
    let round = |title: &str, kind: &str, key: &str| NewRound {
        title: title.into(),
        kind: kind.into(),
        instrument: InstrumentChoice::Shipped(key.into()),
        parties: Party::ALL.to_vec(),
        closes_at: samenspel_store::now() + time::Duration::days(1),
    };
    run_generated_round(
        store,
        region_id,
        &round("Nulmeting vertrouwen", "nulmeting", "vertrouwen"),
        |i, p| demo_respondents(i, p, 40, 11, None),
        actor,
    )
    .await?;
    run_generated_round(
        store,
        region_id,
        &round("Meting vertrouwen najaar", "periodiek", "vertrouwen"),
        |i, p| demo_respondents(i, p, 40, 12, Some((Some(Party::Region), 1.8))),
        actor,
    )
    .await?;
    run_generated_round(
        store,
        region_id,
        &round("Samenwerkingsfactoren", "periodiek", "samenwerkingsfactoren"),
        |i, p| demo_respondents(i, p, 35, 13, None),
        actor,
    )
    .await?;
    run_generated_round(
        store,
        region_id,
        &round("Waarde van de samenwerking", "periodiek", "waarde"),
        |i, p| {
            let mut respondents = demo_respondents(i, p, 35, 14, None);
            // Integrated care matters a lot and is realised little: the gap the demo shows.
            for r in &mut respondents {
                r.answers.insert("belang_integraal".into(), 5);
                if let Some(v) = r.answers.get_mut("realisatie_integraal") {
                    *v = (*v).saturating_sub(2).max(1);
                }
            }
            respondents
        },
        actor,
    )
    .await?;
    Ok(())
}
