//! `samenspel stemming`: the outcome of a vote under a charter's decision rule, from files, with
//! the arithmetic shown (for checking a decision by hand, or before the charter is in Samenspel).

use anyhow::Context;
use samenspel_calc::voting::{tally, Outcome, Vote, Voter};
use samenspel_domain::governance::{DecisionRules, Weighting};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct VoteArgs {
    /// De besluitregels van het handvest (JSON, zie docs/bestuur.md).
    #[arg(long)]
    pub regels: PathBuf,
    /// De soort besluit: begroting, verevening, inkoopstrategie, toetreding, handvest of overig.
    #[arg(long)]
    pub soort: String,
    /// De stemmen (CSV: gemeente;stem[;gewicht]); stem is voor, tegen, onthouden of leeg (niet
    /// gestemd); gewicht (inwoners of budget in euro's) bij een gewogen regel.
    #[arg(long)]
    pub stemmen: PathBuf,
    /// De voorzitter (gemeentecode), wiens stem beslist als de regel dat zegt.
    #[arg(long)]
    pub voorzitter: Option<String>,
}

fn vote_of(text: &str) -> Result<Option<Vote>, String> {
    match text.trim().to_lowercase().as_str() {
        "voor" => Ok(Some(Vote::For)),
        "tegen" => Ok(Some(Vote::Against)),
        "onthouden" | "blanco" => Ok(Some(Vote::Abstain)),
        "" => Ok(None),
        other => Err(format!("stem '{other}' bestaat niet; schrijf voor, tegen, onthouden of laat leeg")),
    }
}

/// Reads `gemeente;stem[;gewicht]`; every bad line named.
fn voters(text: &str, weighted: bool) -> Result<Vec<Voter>, Vec<String>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut lines = text.trim_start_matches('\u{feff}').lines().enumerate();
    let header = lines.next().map(|(_, h)| h.to_lowercase()).unwrap_or_default();
    let delimiter = if header.contains(';') { ';' } else { ',' };
    if !header.starts_with("gemeente") {
        return Err(vec!["regel 1: de kopregel begint met gemeente;stem".into()]);
    }
    for (i, line) in lines {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(delimiter).map(str::trim).collect();
        // The code as the charter names it (`1842` is GM1842), so a veto or the chair matches.
        let member = match samenspel_domain::MunicipalityCode::parse(cells[0]) {
            Ok(code) => code.as_str().to_string(),
            Err(_) => {
                problems.push(format!("regel {n}: '{}' is geen gemeentecode", cells[0]));
                continue;
            }
        };
        if out.iter().any(|v: &Voter| v.member == member) {
            problems.push(format!("regel {n}: {member} staat er twee keer in; een lid stemt één keer"));
            continue;
        }
        let vote = match vote_of(cells.get(1).copied().unwrap_or("")) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("regel {n}: {e}"));
                continue;
            }
        };
        let weight = match cells.get(2).map(|w| w.replace('.', "")).filter(|w| !w.is_empty()) {
            None if weighted => {
                problems.push(format!("regel {n}: {member} heeft geen gewicht; de regel weegt de stemmen"));
                continue;
            }
            None => None,
            Some(w) => match w.parse::<u64>() {
                Ok(w) => Some(w),
                Err(_) => {
                    problems.push(format!("regel {n}: gewicht '{w}' is geen geheel getal"));
                    continue;
                }
            },
        };
        out.push(Voter { member, name: None, weight, vote });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

pub fn vote(args: VoteArgs) -> anyhow::Result<ExitCode> {
    let read =
        |p: &PathBuf| std::fs::read_to_string(p).with_context(|| format!("{} kan niet worden gelezen", p.display()));
    let rules = match DecisionRules::parse(&read(&args.regels)?) {
        Ok(r) => r,
        Err(problems) => {
            problems.iter().for_each(|p| eprintln!("{}: {p}", args.regels.display()));
            return Ok(ExitCode::FAILURE);
        }
    };
    let Some(rule) = rules.iter().find(|r| r.kind == args.soort.trim()) else {
        eprintln!("soort '{}' heeft geen besluitregel in {}", args.soort, args.regels.display());
        return Ok(ExitCode::FAILURE);
    };
    let voters = match voters(&read(&args.stemmen)?, rule.weighting != Weighting::Lid) {
        Ok(v) => v,
        Err(problems) => {
            problems.iter().for_each(|p| eprintln!("{}: {p}", args.stemmen.display()));
            return Ok(ExitCode::FAILURE);
        }
    };
    let chair = match args.voorzitter.as_deref().map(samenspel_domain::MunicipalityCode::parse) {
        None => None,
        Some(Ok(code)) if voters.iter().any(|v| v.member == code.as_str()) => Some(code.as_str().to_string()),
        Some(_) => {
            eprintln!(
                "voorzitter '{}' is geen gemeente in {}",
                args.voorzitter.unwrap_or_default(),
                args.stemmen.display()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    match tally(rule, &voters, chair.as_deref()) {
        Ok(t) => {
            for line in &t.explanation {
                println!("{line}");
            }
            if let Outcome::NoQuorum = t.outcome {
                println!("Uitkomst: geen besluit (quorum niet gehaald)");
            } else {
                println!("Uitkomst: {}", if t.adopted() { "aangenomen" } else { "verworpen" });
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vote_file_names_every_bad_line() {
        let problems = voters(
            "gemeente;stem;gewicht\nGM0518;voor;566.221\nDelft;voor;1\nGM0518;tegen;2\nGM1842;misschien;3\nGM0629;;\n",
            true,
        )
        .unwrap_err();
        assert_eq!(
            problems,
            [
                "regel 3: 'Delft' is geen gemeentecode",
                "regel 4: GM0518 staat er twee keer in; een lid stemt één keer",
                "regel 5: stem 'misschien' bestaat niet; schrijf voor, tegen, onthouden of laat leeg",
                "regel 6: GM0629 heeft geen gewicht; de regel weegt de stemmen",
            ]
        );
        let ok = voters("gemeente,stem\nGM0518,Voor\nGM1842,\n", false).unwrap();
        assert_eq!(ok[0].vote, Some(Vote::For));
        assert_eq!(ok[1].vote, None);
    }
}
