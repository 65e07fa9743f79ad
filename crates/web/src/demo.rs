//! The demo region: a real youth-care region from the CBS data (Haaglanden, JZ24) with
//! fictional providers and one demo account per role, so a newcomer can look around.

use crate::auth::secrets::{hash_password, random_token};
use samenspel_domain::access::Role;
use samenspel_domain::account::{check_password, NewAccount};
use samenspel_domain::region::Domain;
use samenspel_domain::{AgbCode, KvkNumber, MunicipalityCode, YouthRegionCode};
use samenspel_store::providers::ProviderDetails;
use samenspel_store::{Actor, Store, StoreError};
use time::macros::date;

pub const DEMO_REGION: &str = "haaglanden";
pub const DEMO_YOUTH_REGION: &str = "JZ24";
/// Den Haag executes tasks for the Haaglanden youth-care region.
pub const DEMO_CENTRE: &str = "GM0518";
/// The member the demo municipality account works for: a small member next to a large one.
pub const DEMO_MEMBER: &str = "GM1842";

/// The demo accounts: login, name, role.
pub fn demo_accounts() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("beheerder", "Regiobeheerder (demo)", "regiobeheerder"),
        ("gemeente", "Medewerker Midden-Delfland (demo)", "gemeente"),
        ("aanbieder", "Medewerker Jeugdhulp Duinzicht (demo)", "aanbieder"),
        ("coach", "Samenwerkingscoach (demo)", "coach"),
        ("waarnemer", "Raadslid (demo)", "waarnemer"),
    ]
}

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

/// Creates the demo region and accounts unless the region exists already.
pub async fn seed(store: &Store, password: Option<String>) -> Result<Seeded, DemoError> {
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
    let hash = hash_password(password.clone()).await.map_err(DemoError::Hash)?;
    for (login, name, role) in demo_accounts() {
        let account = NewAccount::parse(login, name, "").expect("valid demo account");
        let user = store.create_user(&account, Some(&hash), login == "beheerder", &actor).await?;
        let role = match role {
            "regiobeheerder" => Role::RegionAdmin,
            "gemeente" => Role::Member(MunicipalityCode::parse(DEMO_MEMBER).expect("valid code")),
            "aanbieder" => Role::Provider(provider_ids[0]),
            "coach" => Role::Coach,
            _ => Role::Observer,
        };
        store.add_grant(user.id, region.id, &role, &actor).await?;
    }
    Ok(Seeded::Created { generated_password: generated.then_some(password) })
}
