//! The command line: `serve`, `migrate`, `user`, `token`, `regio`, `referentie`, `kerncijfers`,
//! `import`, `generate`.

use anyhow::{anyhow, bail, Context};
use clap::{Args, Parser, Subcommand};
use samenspel_domain::access::{Role, RoleKind};
use samenspel_domain::account::{check_password, NewAccount};
use samenspel_domain::figures::parse_figures_csv;
use samenspel_domain::MunicipalityCode;
use samenspel_refdata::ReferenceSet;
use samenspel_store::figures::ImportFailure;
use samenspel_store::{Actor, Store};
use samenspel_web::api::regions::{new_region, NieuweRegio};
use samenspel_web::auth::secrets::{hash_password, new_api_token, token_hash};
use samenspel_web::demo::{self, Seeded};
use samenspel_web::{AppState, Settings};
use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::process::ExitCode;

const DEFAULT_DATABASE: &str = "sqlite://samenspel.db";

/// Samenspel: het platform waarop een regio van gemeenten samen jeugdhulp en Wmo inkoopt.
///
/// Start met `samenspel serve --demo` en open http://127.0.0.1:8080 in een browser.
/// De database (standaard het bestand samenspel.db in de huidige map) wordt bij de eerste
/// start aangemaakt en bijgewerkt.
#[derive(Parser, Debug)]
#[command(name = "samenspel", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArg,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug)]
pub struct DatabaseArg {
    /// Database: sqlite://PAD (ingebed, standaard) of postgres://GEBRUIKER:WACHTWOORD@HOST/DATABASE.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE, hide_env_values = true)]
    pub database: String,
    /// Map met de regiosleutels die het BSN pseudonimiseren. Bewaar ze buiten de database en
    /// maak er een aparte reservekopie van: zonder sleutel krijgt dezelfde cliënt een nieuw pseudoniem.
    #[arg(long, global = true, env = "SAMENSPEL_SLEUTELMAP", default_value = samenspel_web::DEFAULT_KEY_DIR)]
    pub sleutelmap: std::path::PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start de webserver (webpagina's en de API onder /api/v1).
    Serve(ServeArgs),
    /// Maak de database aan of werk haar bij, en laad de CBS-referentiegegevens als die ontbreken.
    Migrate,
    /// Beheer gebruikers.
    #[command(subcommand)]
    User(UserCommand),
    /// Maak API-tokens voor programma's die de API gebruiken.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Zet regio's op en bekijk ze.
    #[command(subcommand)]
    Regio(RegioCommand),
    /// Laad een nieuw jaar CBS-referentiegegevens (gemeenten, inwoners, jeugdregio's).
    #[command(subcommand)]
    Referentie(ReferentieCommand),
    /// Lees kerncijfers (jeugdigen, budgetten) in uit CSV.
    #[command(subcommand)]
    Kerncijfers(KerncijfersCommand),
    /// Lees productiegegevens in: iJw/iWmo-berichten 301, 305, 307, 323, 325 (XML, kaal of in
    /// een GGK-envelop) of CSV. Toont per bestand het verslag; eindigt met een foutcode als er
    /// iets is afgekeurd of in quarantaine staat.
    Import(ImportArgs),
    /// Schrijf synthetische, realistische berichten voor een regio (demo's, tests, benchmarks).
    Generate(GenerateArgs),
    /// Reken de risicoverevening uit voor een jaar uit een afspraak (JSON) en tabellen met kosten
    /// en sleutels (CSV), naast profijtbeginsel en volledige solidariteit per sleutel.
    Verevening(crate::risk_sharing::SettlementArgs),
    /// Simuleer het budgetrisico per gemeente, alleen en binnen de afspraak.
    Simuleer(crate::risk_sharing::SimulationArgs),
    /// Reken de uitkomst van een stemming uit volgens een besluitregel van het handvest, met de
    /// berekening erbij.
    Stemming(crate::governance::VoteArgs),
    /// Leg een vereveningsafspraak (JSON) vast in een regio: een nieuwe afspraak, of een nieuwe
    /// versie als de regio al een afspraak met die naam heeft.
    Afspraak(crate::risk_sharing::StoreAgreementArgs),
    /// Het auditlogboek: controleer de hashketen.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Gezondheid van de samenwerking: meetrondes.
    #[command(subcommand)]
    Gezondheid(GezondheidCommand),
    /// Vul de database met de demoregio (zoals `serve --demo`) zonder de server te starten.
    Demo {
        /// Zonder een jaar gegenereerde productie.
        #[arg(long)]
        zonder_productie: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Controleer dat geen regel van het auditlogboek is gewijzigd, verwijderd of ingevoegd: elke
    /// regel draagt de hash van de regel ervoor. Toont de hash van de laatste regel (bewaar die
    /// elders, bijvoorbeeld in de notulen, om later ook een weggehaald einde te zien); eindigt met
    /// een foutcode bij een breuk of als de laatste hash niet is wat --verwacht zegt.
    Verify {
        /// De laatste hash van een eerdere controle: die regel moet nog in de keten staan.
        #[arg(long)]
        verwacht: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum GezondheidCommand {
    /// Vul een open meetronde met GEGENEREERDE antwoorden, voor een demonstratie of een test:
    /// nooit in een echte meting. De meetronde krijgt op elke pagina het label 'gegenereerde
    /// antwoorden'.
    Genereer {
        /// Code van de regio.
        #[arg(long)]
        regio: String,
        /// Nummer van de open meetronde.
        #[arg(long)]
        ronde: i64,
        /// Aantal respondenten (de helft gemeenten, minstens vijf van het regionale team, de rest aanbieders).
        #[arg(long, default_value_t = 35)]
        aantal: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Laat het oordeel van de kleine gemeenten dalen: PARTIJ=PUNTEN (gemeenten, regio of
        /// aanbieders; 'alles' voor een instrument dat niet per partij wordt beantwoord), bijvoorbeeld regio=1.3.
        #[arg(long)]
        daling: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Bestanden of mappen (alle bestanden erin).
    #[arg(required = true)]
    pub bestanden: Vec<std::path::PathBuf>,
    /// Code van de regio; zonder deze optie volgt de regio uit de gemeente in elk bestand.
    #[arg(long)]
    pub regio: Option<String>,
    /// Toon per bestand hoogstens zoveel problemen (alle staan in het verslag in Samenspel).
    #[arg(long, default_value_t = 50)]
    pub max_problemen: u32,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Map om de berichten in te schrijven (wordt aangemaakt).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Regio uit de database (leden, aanbieders, contracten en tarieven); zonder deze optie de demoregio Haaglanden.
    #[arg(long)]
    pub regio: Option<String>,
    /// Aantal maanden, tot en met de laatste volledige maand.
    #[arg(long, default_value_t = 12)]
    pub maanden: u32,
    /// Startwaarde van de toevalsgenerator: dezelfde waarde geeft dezelfde bestanden.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Cliënten per 1000 (inwoners / 100) van een gemeente over de hele periode.
    #[arg(long, default_value_t = 60)]
    pub clienten_per_1000: u32,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Adres en poort om op te luisteren.
    #[arg(long, env = "SAMENSPEL_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Vul een lege database met de demoregio Haaglanden en demo-accounts voor elke rol.
    /// Het wachtwoord komt uit SAMENSPEL_DEMO_PASSWORD, of wordt eenmalig getoond.
    #[arg(long)]
    pub demo: bool,
    /// Zet cookies zonder Secure-vlag (alleen voor gewoon HTTP op een andere host dan localhost).
    #[arg(long, env = "SAMENSPEL_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
    /// Neem het clientadres uit X-Forwarded-For (alleen achter een vertrouwde proxy).
    #[arg(long, env = "SAMENSPEL_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Minuten zonder activiteit waarna een sessie eindigt.
    #[arg(long, env = "SAMENSPEL_SESSION_MINUTES", default_value_t = 30)]
    pub session_minutes: i64,
    /// Kortste termijn in seconden voor een consultatie of stemming (standaard een uur; alleen
    /// tests en demonstraties korten die in).
    #[arg(long, env = "SAMENSPEL_MIN_TERMIJN_SECONDEN", default_value_t = 3600)]
    pub min_termijn_seconden: i64,
    /// SMTP-relay voor e-mailmeldingen (smtp://HOST:POORT, eventueel met GEBRUIKER:WACHTWOORD@);
    /// zonder deze optie verstuurt Samenspel geen e-mail.
    #[arg(long, env = "SAMENSPEL_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Afzender van de e-mailmeldingen, zoals "Samenspel <samenspel@regio.nl>".
    #[arg(long, env = "SAMENSPEL_SMTP_AFZENDER", default_value = "Samenspel <samenspel@localhost>")]
    pub smtp_afzender: String,
    /// Het adres waarop gebruikers Samenspel openen, voor de links in e-mails (https://...).
    #[arg(long, env = "SAMENSPEL_PUBLIEKE_URL")]
    pub publieke_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Voeg een gebruiker toe. Het wachtwoord wordt gevraagd, of gelezen van standaardinvoer.
    Add(UserAddArgs),
    /// Stel een nieuw wachtwoord in (gevraagd, of gelezen van standaardinvoer).
    Passwd {
        /// Gebruikersnaam.
        login: String,
    },
    /// Geef een bestaande gebruiker een rol in een regio.
    Grant(GrantArgs),
}

#[derive(Args, Debug)]
pub struct UserAddArgs {
    /// Gebruikersnaam (kleine letters, cijfers, punt, streepje).
    pub login: String,
    /// Volledige naam.
    #[arg(long)]
    pub naam: String,
    #[arg(long)]
    pub email: Option<String>,
    /// Platformbeheerder: mag regio's opzetten en beheert alle regio's.
    #[arg(long)]
    pub platformbeheerder: bool,
    /// Geef meteen een rol in deze regio (samen met --rol).
    #[arg(long, requires = "rol")]
    pub regio: Option<String>,
    /// regiobeheerder, gemeente, aanbieder, coach of waarnemer (samen met --regio).
    #[arg(long, requires = "regio")]
    pub rol: Option<String>,
    /// Bij de rol gemeente: de CBS-code van de gemeente.
    #[arg(long, requires = "rol")]
    pub gemeente: Option<String>,
    /// Bij de rol aanbieder: het nummer (id) van de zorgaanbieder in de regio.
    #[arg(long, requires = "rol")]
    pub aanbieder: Option<i64>,
}

impl UserAddArgs {
    fn role(&self) -> Option<RoleArgs> {
        Some(RoleArgs {
            regio: self.regio.clone()?,
            rol: self.rol.clone()?,
            gemeente: self.gemeente.clone(),
            aanbieder: self.aanbieder,
        })
    }
}

#[derive(Args, Debug)]
pub struct GrantArgs {
    /// Gebruikersnaam.
    #[arg(long)]
    pub user: String,
    #[command(flatten)]
    pub role: RoleArgs,
}

#[derive(Args, Debug)]
pub struct RoleArgs {
    /// Code van de regio, zoals haaglanden.
    #[arg(long)]
    pub regio: String,
    /// regiobeheerder, gemeente, aanbieder, coach of waarnemer.
    #[arg(long)]
    pub rol: String,
    /// Bij de rol gemeente: de CBS-code van de gemeente.
    #[arg(long)]
    pub gemeente: Option<String>,
    /// Bij de rol aanbieder: het nummer (id) van de zorgaanbieder in de regio.
    #[arg(long)]
    pub aanbieder: Option<i64>,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Maak een API-token voor een gebruiker en toon het eenmalig.
    Create {
        /// Gebruikersnaam.
        #[arg(long)]
        user: String,
        /// Waarvoor het token is.
        #[arg(long, default_value = "opdrachtregel")]
        naam: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RegioCommand {
    /// Zet een regio op, in één stap vanuit een CBS-jeugdregio (--jeugdregio JZ24) of met eigen leden.
    Create(RegioCreateArgs),
    /// Toon alle regio's.
    List,
}

#[derive(Args, Debug)]
pub struct RegioCreateArgs {
    /// CBS-jeugdregio om naam en leden uit over te nemen, zoals JZ24.
    #[arg(long)]
    pub jeugdregio: Option<String>,
    /// jeugd, wmo of jeugd-en-wmo.
    #[arg(long, default_value = "jeugd")]
    pub domein: String,
    /// Code in de adresbalk (standaard afgeleid van de naam).
    #[arg(long)]
    pub code: Option<String>,
    #[arg(long)]
    pub naam: Option<String>,
    /// CBS-codes van de leden, gescheiden door komma's (zonder --jeugdregio).
    #[arg(long, value_delimiter = ',')]
    pub leden: Vec<String>,
    /// CBS-code van de centrumgemeente.
    #[arg(long)]
    pub centrum: Option<String>,
    /// Datum waarop de leden toetreden (standaard 1 januari van dit jaar).
    #[arg(long)]
    pub lid_vanaf: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ReferentieCommand {
    /// Laad CBS-bestanden van een nieuw jaar (zelfde kolommen als in data/cbs/).
    Laden {
        /// Gemeenten met kolommen gemeentecode, gemeentenaam, provinciecode, provincienaam, inwoners_JJJJ.
        #[arg(long)]
        gemeenten: std::path::PathBuf,
        /// Jeugdregio's met kolommen jeugdregio_code, jeugdregio_naam.
        #[arg(long)]
        jeugdregios: std::path::PathBuf,
        /// Indeling met kolommen gemeentecode, jeugdregio_code.
        #[arg(long)]
        indeling: std::path::PathBuf,
        /// Jaar van de jeugdregio-indeling.
        #[arg(long)]
        jaar: i32,
    },
}

#[derive(Subcommand, Debug)]
pub enum KerncijfersCommand {
    /// Lees een CSV-bestand in (zie docs/kerncijfers.md). Alles of niets; afgekeurde regels worden getoond.
    Import {
        /// Code van de regio.
        #[arg(long)]
        regio: String,
        bestand: std::path::PathBuf,
    },
}

pub(crate) async fn open(database: &str) -> anyhow::Result<Store> {
    let store = Store::connect(database).await?;
    store.prepare().await?;
    Ok(store)
}

/// A password from the terminal (not echoed), or the first line of standard input.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(prompt)?;
        let again = rpassword::prompt_password("Nogmaals: ")?;
        if first != again {
            bail!("de wachtwoorden zijn niet gelijk");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

fn role_of(args: &RoleArgs) -> anyhow::Result<Role> {
    let kind = RoleKind::parse(&args.rol).map_err(|e| anyhow!("--rol: {}", e.reason))?;
    let municipality = args
        .gemeente
        .as_deref()
        .map(MunicipalityCode::parse)
        .transpose()
        .map_err(|e| anyhow!("--gemeente: {}", e.reason))?;
    Role::from_parts(kind, municipality, args.aanbieder).map_err(|e| anyhow!("{}", e.reason))
}

async fn grant(store: &Store, user_id: i64, args: &RoleArgs) -> anyhow::Result<()> {
    let region = store
        .region_by_code(&args.regio)
        .await?
        .ok_or_else(|| anyhow!("regio '{}' bestaat niet (zie `samenspel regio list`)", args.regio))?;
    store.add_grant(user_id, region.id, &role_of(args)?, &Actor::cli()).await?;
    Ok(())
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let database = cli.database.database;
    let keys = samenspel_store::keys::RegionKeys::new(cli.database.sleutelmap);
    match cli.command {
        Command::Serve(args) => serve(&database, args, keys).await?,
        Command::Import(args) => return crate::production::import(&database, &keys, args).await,
        Command::Generate(args) => crate::production::generate(&database, args).await?,
        Command::Verevening(args) => return crate::risk_sharing::settlement(&database, args).await,
        Command::Simuleer(args) => return crate::risk_sharing::simulation(&database, args).await,
        Command::Stemming(args) => return crate::governance::vote(args),
        Command::Afspraak(args) => return crate::risk_sharing::store_agreement(&database, args).await,
        Command::Demo { zonder_productie } => {
            let store = open(&database).await?;
            let production =
                (!zonder_productie).then(|| demo::DemoProduction::year(keys.clone(), samenspel_store::today()));
            report_demo(demo::seed(&store, std::env::var("SAMENSPEL_DEMO_PASSWORD").ok(), production).await?);
        }
        Command::Gezondheid(GezondheidCommand::Genereer { regio, ronde, aantal, seed, daling }) => {
            let store = open(&database).await?;
            crate::health::generate(&store, &regio, ronde, aantal, seed, daling.as_deref()).await?;
        }
        Command::Audit(AuditCommand::Verify { verwacht }) => {
            let store = open(&database).await?;
            return verify_audit(&store, verwacht.as_deref()).await;
        }
        Command::Migrate => {
            let store = Store::connect(&database).await?;
            match store.prepare().await? {
                Some(s) => println!(
                    "Database bijgewerkt; CBS-referentiegegevens geladen: {} gemeenten ({}), {} jeugdregio's ({}).",
                    s.municipalities, s.municipality_year, s.youth_regions, s.classification_year
                ),
                None => println!("Database bijgewerkt ({}).", store.backend()),
            }
        }
        Command::User(UserCommand::Add(args)) => {
            let store = open(&database).await?;
            let account = NewAccount::parse(&args.login, &args.naam, args.email.as_deref().unwrap_or(""))
                .map_err(|e| anyhow!("{e}"))?;
            let role_args = args.role();
            let role = role_args.as_ref().map(role_of).transpose()?;
            if let Some(r) = &role_args {
                if store.region_by_code(&r.regio).await?.is_none() {
                    bail!("regio '{}' bestaat niet (zie `samenspel regio list`)", r.regio);
                }
            }
            let password = read_password("Wachtwoord: ")?;
            check_password(&password, account.login.as_str()).map_err(|e| anyhow!("wachtwoord: {}", e.reason))?;
            let hash = hash_password(password).await.map_err(|e| anyhow!(e))?;
            let user = store.create_user(&account, Some(&hash), args.platformbeheerder, &Actor::cli()).await?;
            if let (Some(role_args), Some(_)) = (&role_args, role) {
                grant(&store, user.id, role_args).await?;
            }
            println!("Gebruiker {} toegevoegd.", user.login);
        }
        Command::User(UserCommand::Passwd { login }) => {
            let store = open(&database).await?;
            let user = store.user_by_login(&login).await?.ok_or_else(|| anyhow!("gebruiker '{login}' bestaat niet"))?;
            let password = read_password("Nieuw wachtwoord: ")?;
            check_password(&password, &user.login).map_err(|e| anyhow!("wachtwoord: {}", e.reason))?;
            let hash = hash_password(password).await.map_err(|e| anyhow!(e))?;
            store.set_password(user.id, &hash, true, None, &Actor::cli()).await?;
            println!("Wachtwoord van {} gewijzigd; bestaande sessies zijn beëindigd.", user.login);
        }
        Command::User(UserCommand::Grant(args)) => {
            let store = open(&database).await?;
            let user = store
                .user_by_login(&args.user)
                .await?
                .ok_or_else(|| anyhow!("gebruiker '{}' bestaat niet", args.user))?;
            grant(&store, user.id, &args.role).await?;
            println!("Rol {} in {} toegekend aan {}.", args.role.rol, args.role.regio, user.login);
        }
        Command::Token(TokenCommand::Create { user, naam }) => {
            let store = open(&database).await?;
            let user = store.user_by_login(&user).await?.ok_or_else(|| anyhow!("gebruiker '{user}' bestaat niet"))?;
            if !user.active {
                bail!("gebruiker {} is uitgezet", user.login);
            }
            let token = new_api_token();
            store.create_api_token(user.id, &token_hash(&token), &naam, &Actor::cli()).await?;
            println!("{token}");
        }
        Command::Regio(RegioCommand::Create(args)) => {
            let store = open(&database).await?;
            let state = AppState::new(store.clone(), Settings::default());
            let request = NieuweRegio {
                jeugdregio: args.jeugdregio,
                code: args.code,
                naam: args.naam,
                domein: Some(args.domein),
                leden: (!args.leden.is_empty()).then_some(args.leden),
                centrumgemeente: args.centrum,
                lid_vanaf: args.lid_vanaf,
            };
            let new = new_region(&state, &request).await.map_err(|e| {
                let fields: Vec<String> = e.invalid.iter().map(|f| format!("{}: {}", f.name, f.reason)).collect();
                anyhow!("{} {}", e.detail, fields.join("; "))
            })?;
            let region = store.create_region(&new, &Actor::cli()).await?;
            println!(
                "Regio {} ({}) aangemaakt met {} leden: http://…/regios/{}",
                region.name,
                region.code,
                new.members.len(),
                region.code
            );
        }
        Command::Regio(RegioCommand::List) => {
            let store = open(&database).await?;
            for r in store.regions().await? {
                let members = store.memberships(r.id).await?;
                let today = samenspel_store::today();
                let current = members.iter().filter(|m| m.is_active_on(today)).count();
                println!("{}\t{}\t{}\t{} leden", r.code, r.name, r.domain, current);
            }
        }
        Command::Referentie(ReferentieCommand::Laden { gemeenten, jeugdregios, indeling, jaar }) => {
            let store = open(&database).await?;
            let read =
                |p: &std::path::Path| std::fs::read_to_string(p).with_context(|| format!("{} lezen", p.display()));
            let (g, j, i) = (read(&gemeenten)?, read(&jeugdregios)?, read(&indeling)?);
            let name =
                |p: &std::path::Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let set =
                ReferenceSet::parse((&name(&gemeenten), &g), (&name(&jeugdregios), &j), (&name(&indeling), &i), jaar)?;
            let source = format!("{}, {}, {}", gemeenten.display(), jeugdregios.display(), indeling.display());
            let s = store.load_reference(&set, &source, &Actor::cli()).await?;
            println!(
                "Geladen: {} gemeenten (inwoners {}; {} nieuw, {} niet meer actueel), {} jeugdregio's (indeling {}).",
                s.municipalities,
                s.municipality_year,
                s.added,
                s.no_longer_current,
                s.youth_regions,
                s.classification_year
            );
        }
        Command::Kerncijfers(KerncijfersCommand::Import { regio, bestand }) => {
            let store = open(&database).await?;
            let region = store.region_by_code(&regio).await?.ok_or_else(|| anyhow!("regio '{regio}' bestaat niet"))?;
            let bytes = std::fs::read(&bestand).with_context(|| format!("{} lezen", bestand.display()))?;
            let outcome = match parse_figures_csv(&bytes) {
                Ok(rows) => match store.import_figures(region.id, &rows, &Actor::cli()).await {
                    Ok(n) => Ok(n),
                    Err(ImportFailure::Rows(errors)) => Err(errors),
                    Err(ImportFailure::Store(e)) => return Err(e.into()),
                },
                Err(errors) => Err(errors),
            };
            match outcome {
                Ok(n) => println!("{}: {n} regel(s) bijgewerkt.", bestand.display()),
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{}: {e}", bestand.display());
                    }
                    eprintln!("{}: niets opgeslagen ({} fout(en)).", bestand.display(), errors.len());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(database: &str, args: ServeArgs, keys: samenspel_store::keys::RegionKeys) -> anyhow::Result<()> {
    let store = open(database).await?;
    if args.demo {
        let password = std::env::var("SAMENSPEL_DEMO_PASSWORD").ok();
        let production = demo::DemoProduction::year(keys.clone(), samenspel_store::today());
        report_demo(demo::seed(&store, password, Some(production)).await?);
    }
    let settings = Settings {
        secure_cookies: !args.insecure_cookies,
        session_idle: time::Duration::minutes(args.session_minutes.clamp(1, 24 * 60)),
        trust_forwarded_for: args.trust_proxy,
        keys,
        min_deadline: time::Duration::seconds(args.min_termijn_seconden.clamp(1, 366 * 24 * 3600)),
        mailer: match &args.smtp_url {
            Some(url) => Some(
                samenspel_web::mail::Mailer::new(url, &args.smtp_afzender, args.publieke_url.clone())
                    .map_err(|e| anyhow!(e))?,
            ),
            None => None,
        },
        ..Settings::default()
    };
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("kan niet luisteren op {}", args.bind))?;
    let address = listener.local_addr()?;
    println!(
        "Samenspel draait op http://{address} (database: {}, {}).",
        samenspel_store::redact_url(database),
        store.backend()
    );
    let purge_store = store.clone();
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            if let Err(e) = purge_store.purge_sessions().await {
                tracing::warn!(error = %e, "verlopen sessies opruimen mislukt");
            }
        }
    });
    samenspel_web::serve(listener, AppState::new(store.clone(), settings), shutdown_signal()).await?;
    store.close().await;
    Ok(())
}

fn report_demo(seeded: Seeded) {
    match seeded {
        Seeded::Created { generated_password } => {
            println!("Demoregio Haaglanden aangemaakt (echte gemeenten uit de CBS-gegevens, fictieve zorgaanbieders).");
            let logins: Vec<&str> = demo::demo_accounts().iter().map(|(l, _, _)| *l).collect();
            println!("Demo-accounts: {}", logins.join(", "));
            match generated_password {
                Some(p) => println!("Wachtwoord voor alle demo-accounts (wordt maar één keer getoond): {p}"),
                None => println!("Wachtwoord voor alle demo-accounts: de waarde van SAMENSPEL_DEMO_PASSWORD."),
            }
        }
        Seeded::AlreadyPresent => println!("Demoregio bestaat al; de demo-accounts houden hun wachtwoord."),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// `samenspel audit verify`: the chain report in Dutch, non-zero on any break.
async fn verify_audit(store: &Store, expected: Option<&str>) -> anyhow::Result<ExitCode> {
    let report = store.verify_audit_chain().await?;
    let mut broken = !report.breaks.is_empty();
    println!("Auditlogboek: {} regels in de keten gecontroleerd.", report.verified);
    if report.unchained > 0 {
        println!("{} oudere regels van vóór de hashketen zijn niet gecontroleerd.", report.unchained);
    }
    for problem in &report.breaks {
        println!("BREUK {problem}");
    }
    if let Some(expected) = expected {
        let expected = expected.trim().to_ascii_lowercase();
        let known = store.audit_hash_present(&expected).await?;
        if !known {
            broken = true;
            println!("BREUK de verwachte hash {expected} staat niet (meer) in het logboek: regels zijn verwijderd.");
        }
    }
    match &report.head {
        Some(head) => println!("Laatste hash: {head}"),
        None => println!("Het logboek heeft nog geen regels met een hash."),
    }
    if broken {
        println!("De keten is NIET intact.");
        Ok(ExitCode::FAILURE)
    } else {
        println!("De keten is intact.");
        Ok(ExitCode::SUCCESS)
    }
}
