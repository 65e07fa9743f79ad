//! The simulation: from a plan to the facts the messages carry.
//!
//! One seeded random stream, drawn in a fixed order, so a plan always gives the same world.
//! The rules of the standard that link messages are kept by construction: claims name a real
//! assignment of that client with that provider, claim periods lie within one month and within
//! the assignment (TR307/TR308, TR387/TR388), volumes fit the assigned Omvang (TR321), the same
//! product is never assigned twice at once (TR302), and nothing is dated after `today` (TR135).

use super::xml_out::Ymd;
use super::{invalid, Care, Plan};
use crate::model::{month_bounds, next_month, MessageKind, Standard};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;
use std::ops::Range;
use time::{Date, Duration, Month, Weekday};

/// A synthetic client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedClient {
    /// Nine digits starting with 99 that pass the 11-proof: clearly nobody's.
    pub bsn: String,
    pub municipality: String,
    pub born: Date,
    /// LDT_Geslacht: 1 male, 2 female.
    pub sex: &'static str,
    pub surname: &'static str,
    pub surname_prefix: Option<&'static str>,
    pub first_name: &'static str,
}

impl GeneratedClient {
    pub fn initials(&self) -> &'static str {
        self.first_name.get(..1).unwrap_or("X")
    }
}

/// One version of an assignment as a 301 states it; the newest (last) one holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentVersion {
    pub assigned_on: Date,
    /// HH:MM:SS.
    pub assigned_at: String,
    pub ends_on: Option<Date>,
    /// RedenWijziging: none on the first version (IV066).
    pub change_reason: Option<&'static str>,
}

/// A ToewijzingNummer with its product, volume and versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedAssignment {
    /// Unique in the world, so unique per municipality (TR332).
    pub number: i64,
    /// Index into [`World::clients`].
    pub client: usize,
    pub municipality: String,
    pub provider: String,
    /// Index into the plan's offers.
    pub offer: usize,
    pub care: Care,
    pub category: String,
    pub code: String,
    pub unit: String,
    /// Omvang: volume per frequency (WMO757: 2 per week, 4 per month, 6 in total).
    pub volume: i64,
    pub frequency: &'static str,
    pub starts_on: Date,
    /// Never empty; ordered by date.
    pub versions: Vec<AssignmentVersion>,
}

impl GeneratedAssignment {
    /// The end date of the newest version.
    pub fn ends_on(&self) -> Option<Date> {
        self.versions.last().and_then(|v| v.ends_on)
    }
}

/// A start (305) or stop (307) of care on an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedEvent {
    /// Index into [`World::assignments`].
    pub assignment: usize,
    pub client: usize,
    pub stop: bool,
    /// The first day of care (also in a stop, which copies the start's key: TR413–TR415).
    pub starts_on: Date,
    /// For a stop: the last day of care.
    pub ends_on: Option<Date>,
    /// RedenBeeindiging of a stop (JZ588 or WMO588, which differ).
    pub reason: Option<&'static str>,
    pub sent_on: Date,
}

/// One 323 message: one provider, one municipality, one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedClaim {
    pub provider: String,
    pub municipality: String,
    /// DeclaratieNummer, unique per provider (TR333).
    pub number: String,
    pub period_start: Date,
    pub period_end: Date,
    pub sent_on: Date,
    /// BerichtIdentificatie/Identificatie of the message, which the 325 quotes.
    pub message_id: String,
    /// Debit minus credit, euro cents.
    pub total_cents: i64,
    /// Its lines in [`World::lines`], grouped per client.
    pub lines: Range<usize>,
}

/// One Prestatie, with what a flat file needs to stand on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedLine {
    pub claim: usize,
    pub claim_number: String,
    pub provider: String,
    pub municipality: String,
    pub client: usize,
    pub bsn: String,
    /// ReferentieNummer, unique per provider (TR314).
    pub reference: String,
    /// Set on a credit line: the reference of the line it credits (CD060).
    pub previous_reference: Option<String>,
    /// A credit of an earlier line, or the new debit that replaces it (OP366).
    pub correction: bool,
    pub assignment: usize,
    pub assignment_number: i64,
    pub category: String,
    pub code: String,
    pub period_start: Date,
    pub period_end: Date,
    pub volume: i64,
    pub unit: String,
    /// Per unit; absent for unit 83, where the volume is the amount (CD087).
    pub tariff_cents: Option<i64>,
    /// Debit positive, credit negative.
    pub amount_cents: i64,
}

/// A line the municipality rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedLineFact {
    /// Index into [`World::lines`].
    pub line: usize,
    pub return_code: &'static str,
}

/// One 325 message (iJw only: there is no WMO325).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedAnswer {
    pub claim: usize,
    pub sent_on: Date,
    pub granted_cents: i64,
    pub rejected: Vec<RejectedLineFact>,
}

/// What one message file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum MessageContent {
    /// A 301 snapshot: (assignment, version) pairs of one client with one provider.
    Assignment {
        client: usize,
        items: Vec<(usize, usize)>,
    },
    Start {
        client: usize,
        events: Vec<usize>,
    },
    Stop {
        client: usize,
        events: Vec<usize>,
    },
    Claim(usize),
    Answer(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedMessage {
    pub kind: MessageKind,
    pub sent_on: Date,
    pub sender: String,
    pub receiver: String,
    /// BerichtIdentificatie: unique per message kind per sender (TR056), at most 12 characters.
    pub id: String,
    pub file_name: String,
    pub content: MessageContent,
}

/// Everything the plan produced, as facts; messages refer to the other lists by index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct World {
    pub standard: Standard,
    /// First days of the claimed months: in the plan and ended before `today`.
    pub claim_months: Vec<Date>,
    pub clients: Vec<GeneratedClient>,
    pub assignments: Vec<GeneratedAssignment>,
    pub events: Vec<GeneratedEvent>,
    pub claims: Vec<GeneratedClaim>,
    pub lines: Vec<GeneratedLine>,
    pub answers: Vec<GeneratedAnswer>,
    /// In the order they were sent.
    pub messages: Vec<GeneratedMessage>,
}

const SURNAMES: [&str; 16] = [
    "Testmans",
    "Proefstra",
    "Voorbeeldt",
    "Fictiefsma",
    "Demoveld",
    "Synthese",
    "Oefenaar",
    "Modelman",
    "Steekproef",
    "Simulanti",
    "Nepperman",
    "Pseudoniem",
    "Dummyhuis",
    "Namaakker",
    "Verzinsel",
    "Probeersma",
];
const SURNAME_PREFIXES: [&str; 4] = ["van", "de", "van der", "ter"];
const FIRST_NAMES_MALE: [&str; 10] = ["Adam", "Bram", "Daan", "Finn", "Jesse", "Luuk", "Milan", "Noah", "Sem", "Thijs"];
const FIRST_NAMES_FEMALE: [&str; 10] =
    ["Anna", "Emma", "Fleur", "Isa", "Julia", "Lotte", "Mila", "Noor", "Sara", "Tess"];

/// RedenWijziging of a shortened assignment: verkorting, by the provider, other provider, moved.
const SHORTEN_REASONS: [&str; 4] = ["05", "12", "09", "07"];
/// RetourCodes a municipality gives a rejected line: volume, period, order of periods, assignment.
const REJECT_CODES: [&str; 4] = ["9321", "9307", "8214", "9338"];

/// A valid synthetic BSN from eight leading digits, if the 11-proof leaves a check digit.
pub(crate) fn synthetic_bsn(prefix: u64) -> Option<u64> {
    let mut rest = prefix;
    let mut sum = 0;
    for weight in 2..=9 {
        sum += (rest % 10) * weight;
        rest /= 10;
    }
    let check = sum % 11;
    (check < 10).then_some(prefix * 10 + check)
}

/// The first of the 1 000 000 eight-digit prefixes from which synthetic BSNs are made.
pub(crate) const BSN_BASE: u64 = 99_000_000;

pub(crate) fn add_days(day: Date, days: i64) -> Date {
    day.checked_add(Duration::days(days)).unwrap_or(day)
}

/// A standard normal draw (Box–Muller), for the skewed volumes and durations.
pub(crate) fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

pub(crate) fn lognormal(rng: &mut StdRng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// Less ambulant care in the summer holidays and around Christmas.
pub(crate) fn season(month: Month) -> f64 {
    match month {
        Month::July => 0.85,
        Month::August => 0.7,
        Month::December => 0.85,
        _ => 1.0,
    }
}

/// Calendar weeks (Monday to Sunday) a period touches: how IV077 counts a per-week volume.
pub(crate) fn weeks_touched(start: Date, end: Date) -> i64 {
    let monday = add_days(start, -i64::from(start.weekday().number_days_from_monday()));
    (end - monday).whole_days() / 7 + 1
}

pub(crate) fn weekdays(start: Date, end: Date) -> i64 {
    let mut n = 0;
    let mut day = start;
    while day <= end {
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            n += 1;
        }
        day = add_days(day, 1);
    }
    n
}

/// How a unit's volume comes about.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mechanic {
    /// Units per month from a skewed distribution (hours, or minutes at scale 60, or sessions).
    Intensity { scale: f64 },
    /// Every day of the period (etmalen).
    Days,
    /// A number of dagdelen per week.
    Dagdelen,
    /// Once, when the assignment ends (output: stuks or euro's).
    Once,
}

fn mechanic(unit: &str) -> Mechanic {
    match unit {
        "01" => Mechanic::Intensity { scale: 60.0 },
        "14" => Mechanic::Days,
        "16" => Mechanic::Dagdelen,
        "82" | "83" => Mechanic::Once,
        _ => Mechanic::Intensity { scale: 1.0 },
    }
}

/// The most a period may claim under an Omvang (TR321).
fn max_volume(volume: i64, frequency: &str, start: Date, end: Date) -> i64 {
    match frequency {
        "1" => volume * ((end - start).whole_days() + 1),
        "2" => volume * weeks_touched(start, end),
        _ => volume,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Debit,
    Credit,
    Redebit,
}

/// A claim line before it has its claim and reference.
#[derive(Debug, Clone)]
struct Pending {
    id: u64,
    role: Role,
    /// The line a credit or re-debit corrects.
    corrects: Option<u64>,
    assignment: usize,
    client: usize,
    period_start: Date,
    period_end: Date,
    volume: i64,
    tariff: Option<i64>,
    amount: i64,
}

type ClaimKey = (Date, String, String);

struct Builder<'p> {
    plan: &'p Plan,
    rng: StdRng,
    plan_start: Date,
    /// The last day an assignment may start: the plan's last day or yesterday.
    last_start: Date,
    provider_weight: BTreeMap<&'p str, f64>,
    next_number: i64,
    bsn_counter: u64,
    /// Units per month (intensity) or dagdelen per week, per assignment.
    intensity: Vec<f64>,
    by_client: Vec<Vec<usize>>,
    next_pending: u64,
    care_deck: Vec<Care>,
    world: World,
}

/// Simulates the plan: see the module documentation.
pub fn world(plan: &Plan) -> io::Result<World> {
    plan.check()?;
    let plan_start = month_bounds(plan.first_month).0;
    let mut month = plan_start;
    let mut claim_months = Vec::new();
    let mut plan_end = plan_start;
    for _ in 0..plan.months {
        let (first, last) = month_bounds(month);
        plan_end = last;
        if last < plan.today {
            claim_months.push(first);
        }
        month = next_month(month);
    }
    let mut rng = StdRng::seed_from_u64(plan.seed);
    // Some providers are much bigger than others.
    let mut provider_weight = BTreeMap::new();
    for offer in &plan.offers {
        if !provider_weight.contains_key(offer.provider.as_str()) {
            let w = lognormal(&mut rng, 1.0, 0.9);
            provider_weight.insert(offer.provider.as_str(), w);
        }
    }
    let mut b = Builder {
        plan,
        rng,
        plan_start,
        last_start: plan_end.min(add_days(plan.today, -1)),
        provider_weight,
        next_number: 100_000,
        bsn_counter: 0,
        intensity: Vec::new(),
        by_client: Vec::new(),
        next_pending: 0,
        care_deck: Vec::new(),
        world: World {
            standard: plan.standard,
            claim_months,
            clients: Vec::new(),
            assignments: Vec::new(),
            events: Vec::new(),
            claims: Vec::new(),
            lines: Vec::new(),
            answers: Vec::new(),
            messages: Vec::new(),
        },
    };
    for m in &plan.municipalities {
        let clients = (u64::from(m.weight) * u64::from(plan.clients_per_1000) + 500) / 1000;
        for _ in 0..clients {
            b.client(&m.code)?;
        }
    }
    b.events();
    b.claims();
    b.answers();
    b.messages();
    Ok(b.world)
}

impl<'p> Builder<'p> {
    fn day_between(&mut self, first: Date, last: Date) -> Date {
        let span = (last - first).whole_days().max(0);
        add_days(first, self.rng.gen_range(0..=span))
    }

    fn time_of_day(&mut self) -> String {
        let (h, m, s) = (self.rng.gen_range(8..18), self.rng.gen_range(0..60), self.rng.gen_range(0..60));
        format!("{h:02}:{m:02}:{s:02}")
    }

    fn next_bsn(&mut self) -> io::Result<String> {
        while self.bsn_counter < 1_000_000 {
            let prefix = BSN_BASE + self.bsn_counter;
            self.bsn_counter += 1;
            if let Some(bsn) = synthetic_bsn(prefix) {
                return Ok(format!("{bsn:09}"));
            }
        }
        Err(invalid("the plan needs more clients than there are synthetic BSNs (about 909 000)".into()))
    }

    /// The kind of care of a new client. Drawn from shuffled blocks of a hundred, so that even a
    /// small region has its few residential clients (and with them the heavy tail of the spend).
    fn pick_care(&mut self) -> Care {
        if self.care_deck.is_empty() {
            let mix = [(Care::Residential, 5), (Care::DayCare, 10), (Care::Output, 7), (Care::Ambulant, 78)];
            self.care_deck = mix.iter().flat_map(|&(care, n)| std::iter::repeat_n(care, n)).collect();
            self.care_deck.shuffle(&mut self.rng);
        }
        self.care_deck.pop().unwrap_or(Care::Ambulant)
    }

    /// An offer of this kind of care with a tariff in `year`, weighted by provider size;
    /// failing that ambulant care, failing that anything.
    fn pick_offer(&mut self, care: Care, municipality: &str, year: i32, prefer: Option<&str>) -> Option<usize> {
        let offers = &self.plan.offers;
        for wanted in [Some(care), Some(Care::Ambulant), None] {
            let candidates: Vec<usize> = (0..offers.len())
                .filter(|&i| wanted.is_none_or(|c| offers[i].care == c))
                .filter(|&i| offers[i].tariff(year, municipality).is_some())
                .collect();
            if candidates.is_empty() {
                continue;
            }
            if let Some(p) = prefer {
                let own: Vec<usize> = candidates.iter().copied().filter(|&i| offers[i].provider == p).collect();
                if !own.is_empty() {
                    return Some(own[self.rng.gen_range(0..own.len())]);
                }
            }
            let weight = |i: usize| self.provider_weight.get(offers[i].provider.as_str()).copied().unwrap_or(1.0);
            let total: f64 = candidates.iter().map(|&i| weight(i)).sum();
            let mut at = self.rng.gen::<f64>() * total;
            for &i in &candidates {
                at -= weight(i);
                if at <= 0.0 {
                    return Some(i);
                }
            }
            return candidates.last().copied();
        }
        None
    }

    /// Whether the client already has this product with this provider running on or after `start`
    /// (TR302: the same product only in periods that do not overlap).
    fn clashes(&self, client: usize, offer: usize, start: Date) -> bool {
        let o = &self.plan.offers[offer];
        self.by_client[client]
            .iter()
            .map(|&a| &self.world.assignments[a])
            .any(|a| a.provider == o.provider && a.code == o.code && a.ends_on().is_none_or(|end| end >= start))
    }

    /// Days an assignment of this kind of care runs, before any change.
    fn duration(&mut self, care: Care) -> i64 {
        let rng = &mut self.rng;
        (match care {
            Care::Ambulant => lognormal(rng, 150.0, 0.55).clamp(30.0, 540.0),
            Care::DayCare => lognormal(rng, 240.0, 0.5).clamp(60.0, 720.0),
            Care::Residential => lognormal(rng, 330.0, 0.5).clamp(60.0, 1000.0),
            Care::Output => rng.gen_range(30.0..120.0),
        }) as i64
    }

    fn client(&mut self, municipality: &str) -> io::Result<()> {
        let care = self.pick_care();
        // Some are already in care when the period starts: as many as keep the caseload about
        // level, given that care lasts some six months on average.
        let span = (self.last_start - self.plan_start).whole_days() as f64 / 30.4;
        let running = self.rng.gen_bool((6.5 / (span + 6.5)).clamp(0.1, 0.9));
        let provisional = if running { self.plan_start } else { self.day_between(self.plan_start, self.last_start) };
        let Some(offer) = self.pick_offer(care, municipality, provisional.year(), None) else { return Ok(()) };
        let duration = self.duration(self.plan.offers[offer].care);
        let start =
            if running { add_days(self.plan_start, -self.rng.gen_range(1..duration.max(2))) } else { provisional };
        let client = self.new_client(municipality, start)?;
        let first = self.assignment(client, offer, start, duration);

        // Some ambulant clients get a second product alongside.
        if self.world.assignments[first].care == Care::Ambulant && self.rng.gen_bool(0.15) {
            let extra = if self.rng.gen_bool(0.5) { Care::Output } else { Care::Ambulant };
            let s = add_days(start, self.rng.gen_range(0..=60)).min(self.last_start);
            if let Some(o) = self.pick_offer(extra, municipality, s.max(self.plan_start).year(), None) {
                if !self.clashes(client, o, s) {
                    let duration = self.duration(self.plan.offers[o].care);
                    self.assignment(client, o, s, duration);
                }
            }
        }

        // Some continue after the first assignment: often a step down from residential care.
        let mut last = first;
        for _ in 0..3 {
            if !self.rng.gen_bool(0.25) {
                break;
            }
            let Some(end) = self.world.assignments[last].ends_on() else { break };
            let s = add_days(end, self.rng.gen_range(1..=45));
            if s > self.last_start {
                break;
            }
            let previous = self.world.assignments[last].care;
            let care = match previous {
                Care::Residential if self.rng.gen_bool(0.7) => Care::Ambulant,
                Care::DayCare if self.rng.gen_bool(0.5) => Care::Ambulant,
                Care::Residential | Care::DayCare => previous,
                Care::Ambulant | Care::Output => Care::Ambulant,
            };
            let provider = self.world.assignments[last].provider.clone();
            let prefer = self.rng.gen_bool(0.6).then_some(provider.as_str());
            let Some(o) = self.pick_offer(care, municipality, s.max(self.plan_start).year(), prefer) else { break };
            if self.clashes(client, o, s) {
                break;
            }
            let duration = self.duration(self.plan.offers[o].care);
            last = self.assignment(client, o, s, duration);
        }
        Ok(())
    }

    fn new_client(&mut self, municipality: &str, first_start: Date) -> io::Result<usize> {
        let bsn = self.next_bsn()?;
        let age: i64 = match self.plan.standard {
            Standard::Ijw if self.rng.gen_bool(0.6) => self.rng.gen_range(0..=17),
            Standard::Ijw => self.rng.gen_range(8..=16),
            Standard::Iwmo => {
                let r: f64 = self.rng.gen();
                if r < 0.45 {
                    self.rng.gen_range(75..=98)
                } else if r < 0.75 {
                    self.rng.gen_range(55..=74)
                } else {
                    self.rng.gen_range(18..=54)
                }
            }
        };
        let born = add_days(first_start, -(age * 365 + age / 4) - self.rng.gen_range(0..365));
        let male = self.rng.gen_bool(0.5);
        let first_name = if male {
            FIRST_NAMES_MALE[self.rng.gen_range(0..FIRST_NAMES_MALE.len())]
        } else {
            FIRST_NAMES_FEMALE[self.rng.gen_range(0..FIRST_NAMES_FEMALE.len())]
        };
        let surname = SURNAMES[self.rng.gen_range(0..SURNAMES.len())];
        let surname_prefix =
            self.rng.gen_bool(0.2).then(|| SURNAME_PREFIXES[self.rng.gen_range(0..SURNAME_PREFIXES.len())]);
        self.world.clients.push(GeneratedClient {
            bsn,
            municipality: municipality.to_string(),
            born,
            sex: if male { "1" } else { "2" },
            surname,
            surname_prefix,
            first_name,
        });
        self.by_client.push(Vec::new());
        Ok(self.world.clients.len() - 1)
    }

    fn assignment(&mut self, client: usize, offer_index: usize, start: Date, duration: i64) -> usize {
        let plan = self.plan;
        let offer = &plan.offers[offer_index];
        let municipality = self.world.clients[client].municipality.clone();
        let mechanic = mechanic(&offer.unit);
        let rng = &mut self.rng;
        let open = mechanic != Mechanic::Once && rng.gen_bool(0.12);
        let end = (!open).then(|| add_days(start, duration - 1));
        let assigned_on = add_days(start, -rng.gen_range(0..=21));
        let intensity = match mechanic {
            Mechanic::Intensity { scale } => lognormal(rng, 6.0, 0.8).clamp(1.0, 80.0) * scale,
            Mechanic::Dagdelen => lognormal(rng, 3.0, 0.45).round().clamp(1.0, 9.0),
            Mechanic::Days | Mechanic::Once => 0.0,
        };
        // Per week with an end date; per month when open-ended (CD076), in total for output.
        let (volume, frequency) = match mechanic {
            Mechanic::Intensity { .. } if open => ((intensity * 1.3).ceil() as i64, "4"),
            Mechanic::Intensity { .. } => ((intensity * 12.0 / 52.0 * 1.3).ceil().max(1.0) as i64, "2"),
            Mechanic::Days if open => (31, "4"),
            Mechanic::Days => (7, "2"),
            Mechanic::Dagdelen if open => (intensity as i64 * 5, "4"),
            Mechanic::Dagdelen => (intensity as i64, "2"),
            Mechanic::Once if offer.unit == "83" => {
                (offer.tariff(start.max(self.plan_start).year(), &municipality).unwrap_or(0), "6")
            }
            Mechanic::Once => (1, "6"),
        };
        let assigned_at = self.time_of_day();
        let mut versions = vec![AssignmentVersion { assigned_on, assigned_at, ends_on: end, change_reason: None }];
        if let (Some(end), false) = (end, mechanic == Mechanic::Once) {
            if self.rng.gen_bool(0.10) && duration >= 45 {
                // Care stops early; the municipality shortens the assignment afterwards.
                let keep = (duration as f64 * self.rng.gen_range(0.3..0.8)) as i64;
                let new_end = add_days(start, keep.max(14));
                let on = add_days(new_end, self.rng.gen_range(1..=10));
                let reason = SHORTEN_REASONS[self.rng.gen_range(0..SHORTEN_REASONS.len())];
                if new_end < end && on > assigned_on && on <= plan.today {
                    let at = self.time_of_day();
                    versions.push(AssignmentVersion {
                        assigned_on: on,
                        assigned_at: at,
                        ends_on: Some(new_end),
                        change_reason: Some(reason),
                    });
                }
            } else if self.rng.gen_bool(0.06) {
                // Reassessed before the end and extended in place (OP380).
                let on = add_days(end, -self.rng.gen_range(7..=30));
                let new_end = add_days(end, self.rng.gen_range(60..=180));
                if on > assigned_on && on <= plan.today {
                    let at = self.time_of_day();
                    versions.push(AssignmentVersion {
                        assigned_on: on,
                        assigned_at: at,
                        ends_on: Some(new_end),
                        change_reason: Some("04"),
                    });
                }
            }
        }
        self.next_number += 1;
        self.world.assignments.push(GeneratedAssignment {
            number: self.next_number,
            client,
            municipality,
            provider: offer.provider.clone(),
            offer: offer_index,
            care: offer.care,
            category: offer.category.clone(),
            code: offer.code.clone(),
            unit: offer.unit.clone(),
            volume,
            frequency,
            starts_on: start,
            versions,
        });
        self.intensity.push(intensity);
        let index = self.world.assignments.len() - 1;
        self.by_client[client].push(index);
        index
    }

    fn stop_reason(&mut self, change: Option<&str>, age: i64) -> &'static str {
        let ijw = self.plan.standard == Standard::Ijw;
        match change {
            Some("09") => "38",
            Some("07") if ijw => "35",
            Some("07") => "31",
            Some("05") if ijw => "34",
            Some("05") => "23",
            Some("12") if ijw => "33",
            Some("12") => "22",
            _ => {
                let r: f64 = self.rng.gen();
                match (ijw, r) {
                    (true, r) if r < 0.85 => "31",
                    (true, r) if r < 0.9 => "34",
                    (true, r) if r < 0.95 => "32",
                    (true, _) => "35",
                    (false, r) if r < 0.85 => "19",
                    (false, r) if r < 0.9 => "23",
                    (false, r) if r < 0.95 || age < 70 => "21",
                    (false, _) => "02",
                }
            }
        }
    }

    /// Starts for assignments whose care began before today, stops for those that ended
    /// within the claimed months.
    fn events(&mut self) {
        let today = self.plan.today;
        let last_claimed = self.world.claim_months.last().map(|m| month_bounds(*m).1);
        for index in 0..self.world.assignments.len() {
            let a = &self.world.assignments[index];
            let (client, start, end) = (a.client, a.starts_on, a.ends_on());
            let change = a.versions.last().and_then(|v| v.change_reason);
            let mut care_start =
                if self.rng.gen_bool(0.75) { start } else { add_days(start, self.rng.gen_range(1..=7)) };
            if let Some(end) = end {
                care_start = care_start.min(end);
            }
            if care_start >= today {
                continue;
            }
            let started = add_days(care_start, self.rng.gen_range(0..=4)).min(today);
            self.world.events.push(GeneratedEvent {
                assignment: index,
                client,
                stop: false,
                starts_on: care_start,
                ends_on: None,
                reason: None,
                sent_on: started,
            });
            if let (Some(end), Some(last)) = (end, last_claimed) {
                if end <= last {
                    let age = (end - self.world.clients[client].born).whole_days() / 365;
                    let reason = self.stop_reason(change, age);
                    let sent = add_days(end, self.rng.gen_range(0..=4)).min(today).max(started);
                    self.world.events.push(GeneratedEvent {
                        assignment: index,
                        client,
                        stop: true,
                        starts_on: care_start,
                        ends_on: Some(end),
                        reason: Some(reason),
                        sent_on: sent,
                    });
                }
            }
        }
    }

    fn pending(
        &mut self,
        role: Role,
        corrects: Option<u64>,
        line: (usize, usize, Date, Date, i64, Option<i64>),
    ) -> Pending {
        let (assignment, client, period_start, period_end, volume, tariff) = line;
        self.next_pending += 1;
        let amount = tariff.map_or(volume, |t| volume * t);
        Pending {
            id: self.next_pending,
            role,
            corrects,
            assignment,
            client,
            period_start,
            period_end,
            volume,
            tariff,
            amount: if role == Role::Credit { -amount } else { amount },
        }
    }

    /// The monthly claims: one per provider, municipality and month with any delivery, each
    /// line within its month and its assignment, and a few corrections of the month before.
    fn claims(&mut self) {
        let plan = self.plan;
        let mut claims: BTreeMap<ClaimKey, Vec<Pending>> = BTreeMap::new();
        for index in 0..self.world.assignments.len() {
            let a = &self.world.assignments[index];
            let offer = &plan.offers[a.offer];
            let (start, end, client) = (a.starts_on, a.ends_on(), a.client);
            let (volume, frequency) = (a.volume, a.frequency);
            let (provider, municipality) = (a.provider.clone(), a.municipality.clone());
            let mechanic = mechanic(&a.unit);
            let euro = a.unit == "83";
            let intensity = self.intensity[index];
            for m in 0..self.world.claim_months.len() {
                let (first, last) = month_bounds(self.world.claim_months[m]);
                if last < start || end.is_some_and(|e| e < first) {
                    continue;
                }
                let (from, to) = (start.max(first), end.map_or(last, |e| e.min(last)));
                let Some(tariff) = offer.tariff(first.year(), &municipality) else { continue };
                let days = (to - from).whole_days() + 1;
                let share = days as f64 / f64::from(last.day());
                let rng = &mut self.rng;
                let delivered = match mechanic {
                    Mechanic::Intensity { .. } => {
                        (intensity * season(first.month()) * share * rng.gen_range(0.75..1.15)).round() as i64
                    }
                    Mechanic::Days if days > 10 && rng.gen_bool(0.1) => days - 1,
                    Mechanic::Days => days,
                    Mechanic::Dagdelen => {
                        let per_week = intensity * season(first.month()) * rng.gen_range(0.85..1.0);
                        (per_week * weekdays(from, to) as f64 / 5.0).round() as i64
                    }
                    Mechanic::Once if end.is_some_and(|e| e == to) => {
                        if euro {
                            tariff.min(volume)
                        } else {
                            1
                        }
                    }
                    Mechanic::Once => 0,
                };
                let unit_tariff = (!euro).then_some(tariff);
                let cap = unit_tariff.map_or(99_999_999, |t| 99_999_999 / t);
                let delivered = delivered.min(max_volume(volume, frequency, from, to)).min(cap);
                if delivered <= 0 {
                    continue;
                }
                let line = self.pending(Role::Debit, None, (index, client, from, to, delivered, unit_tariff));
                claims.entry((first, provider.clone(), municipality.clone())).or_default().push(line);
            }
        }

        // Corrections (OP366): now and then a provider credits a line in its next claim to the
        // same municipality and claims it again with a smaller volume.
        let mut chains: BTreeMap<(String, String), Vec<Date>> = BTreeMap::new();
        for (month, provider, municipality) in claims.keys() {
            chains.entry((provider.clone(), municipality.clone())).or_default().push(*month);
        }
        let mut corrected: HashSet<u64> = HashSet::new();
        for ((provider, municipality), months) in &chains {
            for pair in months.windows(2) {
                let key = (pair[0], provider.clone(), municipality.clone());
                let originals: Vec<Pending> = claims.get(&key).map_or_else(Vec::new, |lines| {
                    lines.iter().filter(|p| p.role == Role::Debit && p.volume >= 2).cloned().collect()
                });
                let mut added = Vec::new();
                for p in originals {
                    if mechanic(&self.world.assignments[p.assignment].unit) == Mechanic::Once
                        || !self.rng.gen_bool(0.015)
                    {
                        continue;
                    }
                    let fields = (p.assignment, p.client, p.period_start, p.period_end, p.volume, p.tariff);
                    added.push(self.pending(Role::Credit, Some(p.id), fields));
                    let smaller = p.volume - (p.volume / 10).max(1);
                    let fields = (p.assignment, p.client, p.period_start, p.period_end, smaller, p.tariff);
                    added.push(self.pending(Role::Redebit, Some(p.id), fields));
                    corrected.insert(p.id);
                }
                if !added.is_empty() {
                    claims.entry((pair[1], provider.clone(), municipality.clone())).or_default().extend(added);
                }
            }
        }

        // Number the claims and lines in the order they are sent.
        let mut references: BTreeMap<String, u64> = BTreeMap::new();
        let mut line_of: HashMap<u64, usize> = HashMap::new();
        for ((month, provider, municipality), mut pending) in claims {
            pending.sort_by_key(|p| (p.client, p.assignment, p.period_start, p.role));
            let (first, last) = month_bounds(month);
            let sent = add_days(last, self.rng.gen_range(1..=8)).min(self.plan.today);
            let claim = self.world.claims.len();
            let number = format!("D{}{:02}{municipality}", first.year(), u8::from(first.month()));
            let begin = self.world.lines.len();
            for p in pending {
                let a = &self.world.assignments[p.assignment];
                let counter = references.entry(provider.clone()).or_default();
                *counter += 1;
                let previous_reference = match p.role {
                    Role::Credit => {
                        p.corrects.and_then(|id| line_of.get(&id)).map(|&l| self.world.lines[l].reference.clone())
                    }
                    Role::Debit | Role::Redebit => None,
                };
                let line = GeneratedLine {
                    claim,
                    claim_number: number.clone(),
                    provider: provider.clone(),
                    municipality: municipality.clone(),
                    client: p.client,
                    bsn: self.world.clients[p.client].bsn.clone(),
                    reference: format!("R{:08}", *counter),
                    previous_reference,
                    correction: p.role != Role::Debit || corrected.contains(&p.id),
                    assignment: p.assignment,
                    assignment_number: a.number,
                    category: a.category.clone(),
                    code: a.code.clone(),
                    period_start: p.period_start,
                    period_end: p.period_end,
                    volume: p.volume,
                    unit: a.unit.clone(),
                    tariff_cents: p.tariff,
                    amount_cents: p.amount,
                };
                line_of.insert(p.id, self.world.lines.len());
                self.world.lines.push(line);
            }
            let lines = begin..self.world.lines.len();
            let total_cents = self.world.lines[lines.clone()].iter().map(|l| l.amount_cents).sum();
            self.world.claims.push(GeneratedClaim {
                provider,
                municipality,
                number,
                period_start: first,
                period_end: last,
                sent_on: sent,
                message_id: String::new(),
                total_cents,
                lines,
            });
        }
    }

    /// The municipalities' answers (iJw only): mostly all granted, sometimes one line rejected.
    fn answers(&mut self) {
        if self.plan.standard != Standard::Ijw {
            return;
        }
        for (index, claim) in self.world.claims.iter().enumerate() {
            let sent = add_days(claim.sent_on, self.rng.gen_range(3..=12));
            if sent > self.plan.today {
                continue;
            }
            // Lines involved in a correction stay accepted: a credit needs an accepted debit (TR323).
            let candidates: Vec<usize> = claim.lines.clone().filter(|&l| !self.world.lines[l].correction).collect();
            let mut rejected = Vec::new();
            if candidates.len() >= 2 && self.rng.gen_bool(0.06) {
                let line = candidates[self.rng.gen_range(0..candidates.len())];
                let return_code = REJECT_CODES[self.rng.gen_range(0..REJECT_CODES.len())];
                rejected.push(RejectedLineFact { line, return_code });
            }
            let refused: i64 = rejected.iter().map(|r| self.world.lines[r.line].amount_cents).sum();
            self.world.answers.push(GeneratedAnswer {
                claim: index,
                sent_on: sent,
                granted_cents: claim.total_cents - refused,
                rejected,
            });
        }
    }

    /// Groups the facts into messages, orders them by date and numbers them per sender.
    fn messages(&mut self) {
        let w = &self.world;
        let mut list = Vec::new();
        let message = |kind, sent_on, sender: &str, receiver: &str, content| GeneratedMessage {
            kind,
            sent_on,
            sender: sender.to_string(),
            receiver: receiver.to_string(),
            id: String::new(),
            file_name: String::new(),
            content,
        };

        // A 301 per client, provider and day on which one of their assignments was made or
        // changed: a snapshot of everything still running with that provider (OP087).
        let mut days: BTreeSet<(usize, &str, Date)> = BTreeSet::new();
        for a in &w.assignments {
            for v in &a.versions {
                days.insert((a.client, a.provider.as_str(), v.assigned_on));
            }
        }
        for (client, provider, day) in days {
            let mut items = Vec::new();
            for &index in &self.by_client[client] {
                let a = &w.assignments[index];
                if a.provider != provider {
                    continue;
                }
                let Some(v) = a.versions.iter().rposition(|v| v.assigned_on <= day) else { continue };
                let version = &a.versions[v];
                if version.assigned_on == day || version.ends_on.is_none_or(|end| end >= day) {
                    items.push((index, v));
                }
            }
            let municipality = &w.clients[client].municipality;
            list.push(message(
                MessageKind::Assignment,
                day,
                municipality,
                provider,
                MessageContent::Assignment { client, items },
            ));
        }

        let mut grouped: BTreeMap<(bool, usize, &str, Date), Vec<usize>> = BTreeMap::new();
        for (index, e) in w.events.iter().enumerate() {
            let provider = w.assignments[e.assignment].provider.as_str();
            grouped.entry((e.stop, e.client, provider, e.sent_on)).or_default().push(index);
        }
        for ((stop, client, provider, day), events) in grouped {
            let municipality = &w.clients[client].municipality;
            let (kind, content) = if stop {
                (MessageKind::Stop, MessageContent::Stop { client, events })
            } else {
                (MessageKind::Start, MessageContent::Start { client, events })
            };
            list.push(message(kind, day, provider, municipality, content));
        }

        for (index, c) in w.claims.iter().enumerate() {
            list.push(message(
                MessageKind::Claim,
                c.sent_on,
                &c.provider,
                &c.municipality,
                MessageContent::Claim(index),
            ));
        }
        for (index, a) in w.answers.iter().enumerate() {
            let c = &w.claims[a.claim];
            list.push(message(
                MessageKind::ClaimAnswer,
                a.sent_on,
                &c.municipality,
                &c.provider,
                MessageContent::Answer(index),
            ));
        }

        list.sort_by(|a, b| {
            (a.sent_on, a.kind.number(), &a.sender, &a.receiver).cmp(&(
                b.sent_on,
                b.kind.number(),
                &b.sender,
                &b.receiver,
            ))
        });
        let mut counters: HashMap<(String, u16), u64> = HashMap::new();
        let standard = self.world.standard;
        for m in &mut list {
            let n = counters.entry((m.sender.clone(), m.kind.number())).or_default();
            *n += 1;
            m.id = format!("{}{:09}", m.kind.number(), *n);
            m.file_name =
                format!("{}_{}_{}_{}_{}.xml", Ymd(m.sent_on), m.kind.name(standard), m.sender, m.receiver, m.id);
            if let MessageContent::Claim(index) = m.content {
                self.world.claims[index].message_id = m.id.clone();
            }
        }
        self.world.messages = list;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bsn::check_bsn;
    use time::macros::date;

    #[test]
    fn synthetic_bsns_pass_the_eleven_proof() {
        assert_eq!(synthetic_bsn(99_990_000), Some(999_900_006));
        let mut valid = 0;
        for prefix in BSN_BASE..BSN_BASE + 2000 {
            if let Some(bsn) = synthetic_bsn(prefix) {
                assert!(check_bsn(&format!("{bsn:09}")), "{bsn}");
                valid += 1;
            }
        }
        assert!(valid > 1700, "most prefixes give a BSN: {valid}");
    }

    #[test]
    fn calendar_helpers() {
        // 2025-03-01 is a Saturday: March 2025 touches six calendar weeks.
        assert_eq!(weeks_touched(date!(2025 - 03 - 01), date!(2025 - 03 - 31)), 6);
        assert_eq!(weeks_touched(date!(2025 - 03 - 03), date!(2025 - 03 - 09)), 1);
        assert_eq!(weekdays(date!(2025 - 03 - 01), date!(2025 - 03 - 31)), 21);
        assert_eq!(max_volume(3, "2", date!(2025 - 03 - 03), date!(2025 - 03 - 16)), 6);
        assert_eq!(max_volume(20, "4", date!(2025 - 03 - 03), date!(2025 - 03 - 16)), 20);
    }
}
