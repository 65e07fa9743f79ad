//! `samenspel gezondheid genereer`: generated answers for an open round, for demonstrations and
//! tests only; the round is marked as generated wherever it is shown.

use anyhow::{bail, Context};
use samenspel_domain::instrument::Party;
use samenspel_store::Store;
use samenspel_web::demo::demo_respondents;

/// Reads `PARTIJ=PUNTEN`: the party (or `alles`) whose rating by the small members falls.
fn decline(text: &str) -> anyhow::Result<(Option<Party>, f64)> {
    let (party, points) =
        text.split_once('=').context("schrijf de daling als PARTIJ=PUNTEN, bijvoorbeeld regio=1.3")?;
    let party = match party.trim() {
        "alles" => None,
        p => Some(
            Party::parse(p)
                .with_context(|| format!("'{p}' is geen partij; kies gemeenten, regio, aanbieders of alles"))?,
        ),
    };
    let points: f64 = points.trim().replace(',', ".").parse().with_context(|| format!("'{points}' is geen getal"))?;
    if !(0.0..=6.0).contains(&points) {
        bail!("de daling ligt tussen 0 en 6 punten");
    }
    Ok((party, points))
}

pub async fn generate(
    store: &Store,
    region: &str,
    round: i64,
    count: usize,
    seed: u64,
    falls: Option<&str>,
) -> anyhow::Result<()> {
    let decline = falls.map(decline).transpose()?;
    if !(5..=5000).contains(&count) {
        bail!("kies tussen 5 en 5000 respondenten");
    }
    let region = store.region_by_code(region).await?.with_context(|| format!("regio '{region}' bestaat niet"))?;
    let row = store
        .survey_round(region.id, round)
        .await
        .with_context(|| format!("meetronde {round} bestaat niet in {}", region.name))?;
    let respondents = demo_respondents(&row.instrument(), &row.parties(), count, seed, decline);
    store.add_generated_responses(region.id, row.id, &respondents, &samenspel_store::Actor::cli()).await?;
    println!(
        "{} gegenereerde antwoorden toegevoegd aan '{}' ({}); de meetronde is gemarkeerd als gegenereerd.",
        respondents.len(),
        row.title,
        region.name
    );
    Ok(())
}
