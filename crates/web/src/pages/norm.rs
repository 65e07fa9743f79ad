//! The Norm voor Opdrachtgeverschap self-assessment: the latest answers with their evidence, the
//! gaps, what changed since the assessment before, the history, and a form for a new one.

use super::{render, see_other, show, Layout, Notice, PageResult, RegionCtx};
use crate::auth::{region_for, PageUser};
use crate::error::AppError;
use crate::forms::{CsrfForm, FormPairs};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use samenspel_domain::nl::parse_date;
use samenspel_domain::norm::{changes, check_answers, score, Answer, Change, NormAnswer, NORM_ITEMS};
use samenspel_domain::Invalid;
use serde::Deserialize;

/// What the form posted: the day and an answer with evidence per commitment.
pub fn assessment_input(f: &FormPairs) -> Result<(time::Date, Vec<NormAnswer>), Invalid> {
    let mut invalid = Invalid::new();
    let day = match parse_date(f.get("datum")) {
        Ok(d) => Some(d),
        Err(e) => {
            invalid.push("datum", &e.code, e.reason);
            None
        }
    };
    let mut answers = Vec::new();
    for (key, _) in NORM_ITEMS {
        let evidence = f.get(&format!("{key}-onderbouwing")).trim().to_string();
        match Answer::parse(f.get(key)) {
            Some(answer) => {
                if answer != Answer::Nee && evidence.is_empty() {
                    invalid.push(
                        &format!("{key}-onderbouwing"),
                        "required",
                        format!(
                            "Geef bij '{}' een onderbouwing: een link naar een besluit, document of perceel.",
                            answer.label()
                        ),
                    );
                }
                answers.push(NormAnswer { item: key.to_string(), answer, evidence });
            }
            None => invalid.push(key, "required", "Kies ja, deels of nee."),
        }
    }
    if invalid.is_empty() {
        for p in check_answers(&answers) {
            invalid.push("", "norm", p);
        }
    }
    match day {
        Some(day) if invalid.is_empty() => Ok((day, answers)),
        _ => Err(invalid),
    }
}

pub struct ItemView {
    pub key: &'static str,
    pub text: &'static str,
    pub answer: String,
    pub evidence: String,
    /// Evidence shown as a link: an https address or a path on this site, nothing else.
    pub linkable: bool,
    pub change: &'static str,
    /// Form state: the chosen answer, the typed evidence, the error.
    pub chosen: String,
    pub typed: String,
    pub error: String,
}

/// `https://…` or `/path` (not `//host` or `/\\host`, which leave the site) and no spaces.
fn linkable(evidence: &str) -> bool {
    let e = evidence.trim();
    !e.contains(char::is_whitespace)
        && (e.starts_with("https://") || (e.starts_with('/') && !e.starts_with("//") && !e.starts_with("/\\")))
}

pub struct HistoryLine {
    pub date: String,
    pub score: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "norm.html")]
struct NormPage {
    layout: Layout,
    subnav: Vec<super::NavItem>,
    code: String,
    latest: Option<(String, String)>,
    items: Vec<ItemView>,
    gaps: Vec<String>,
    history: Vec<HistoryLine>,
    can_assess: bool,
    csrf: String,
    date: String,
    form_errors: Vec<String>,
    options: Vec<String>,
}

fn change_label(c: Change) -> &'static str {
    match c {
        Change::Better => "beter",
        Change::Worse => "slechter",
        Change::Same => "gelijk",
        Change::New => "eerste keer",
    }
}

async fn norm_page(
    ctx: &RegionCtx<'_>,
    typed: Option<(&FormPairs, &Invalid)>,
    notice: Option<Notice>,
    status: StatusCode,
) -> PageResult {
    let RegionCtx { state, user, region, access } = *ctx;
    let rows = state.store.norm_assessments(region.id).await?;
    let mut parsed = Vec::new();
    for r in &rows {
        parsed.push(r.answers().map_err(AppError::internal)?);
    }
    let latest = parsed.first();
    let moved = latest.map(|now| changes(parsed.get(1).map(Vec::as_slice), now)).unwrap_or_default();
    let items = NORM_ITEMS
        .iter()
        .map(|(key, text)| {
            let given = latest.and_then(|l| l.iter().find(|a| a.item == *key));
            let field_error = |name: &str| {
                typed
                    .and_then(|(_, invalid)| invalid.errors.iter().find(|e| e.name == name))
                    .map(|e| e.reason.clone())
                    .unwrap_or_default()
            };
            let evidence_name = format!("{key}-onderbouwing");
            let error = [field_error(key), field_error(&evidence_name)]
                .into_iter()
                .filter(|e| !e.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            ItemView {
                key,
                text,
                answer: given.map(|a| a.answer.label().to_string()).unwrap_or_default(),
                evidence: given.map(|a| a.evidence.clone()).unwrap_or_default(),
                linkable: given.is_some_and(|a| linkable(&a.evidence)),
                change: moved.iter().find(|m| m.0 == *key).map(|m| change_label(m.3)).unwrap_or(""),
                chosen: typed
                    .map(|(f, _)| f.get(key).to_string())
                    .unwrap_or_else(|| given.map(|a| a.answer.label().to_string()).unwrap_or_default()),
                typed: typed
                    .map(|(f, _)| f.get(&evidence_name).to_string())
                    .unwrap_or_else(|| given.map(|a| a.evidence.clone()).unwrap_or_default()),
                error,
            }
        })
        .collect();
    let gaps = latest
        .map(|l| {
            l.iter()
                .filter(|a| a.answer != Answer::Ja)
                .filter_map(|a| {
                    NORM_ITEMS.iter().find(|(k, _)| *k == a.item).map(|(_, t)| format!("{} ({})", t, a.answer.label()))
                })
                .collect()
        })
        .unwrap_or_default();
    let history = rows
        .iter()
        .zip(&parsed)
        .map(|(r, answers)| {
            let (points, max) = score(answers);
            HistoryLine {
                date: show::date(Some(r.assessed_on)),
                score: format!("{points} van {max}"),
                by: r.created_by.clone(),
            }
        })
        .collect();
    let page = NormPage {
        layout: Layout::for_region(
            "Norm voor Opdrachtgeverschap",
            user,
            region,
            access,
            &format!("/regios/{}/norm", region.code),
        )
        .with_notice(notice),
        subnav: super::proposals::governance_nav(&region.code, access, "norm"),
        code: region.code.clone(),
        latest: rows.first().zip(latest).map(|(r, a)| {
            let (points, max) = score(a);
            (show::date(Some(r.assessed_on)), format!("{points} van {max}"))
        }),
        items,
        gaps,
        history,
        can_assess: access.can_assess_norm(),
        csrf: user.csrf().to_string(),
        date: typed.map(|(f, _)| f.get("datum").to_string()).unwrap_or_else(|| samenspel_store::today().to_string()),
        options: ["ja", "deels", "nee"].map(String::from).to_vec(),
        form_errors: typed
            .map(|(_, i)| {
                i.errors.iter().filter(|e| e.name.is_empty() || e.name == "datum").map(|e| e.reason.clone()).collect()
            })
            .unwrap_or_default(),
    };
    Ok(render(&page, status))
}

#[derive(Deserialize, Default)]
pub struct NormQuery {
    gelukt: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<NormQuery>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_view_charter() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let notice = (q.gelukt.as_deref() == Some("norm"))
        .then(|| Notice { kind: "ok", text: "De zelfevaluatie is vastgelegd.".into() });
    norm_page(&ctx, None, notice, StatusCode::OK).await
}

pub async fn save(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm(user, form): CsrfForm<FormPairs>,
) -> PageResult {
    let (region, access) = region_for(&state, &user, &code).await?;
    if !access.can_assess_norm() {
        return Err(AppError::forbidden().into());
    }
    let ctx = RegionCtx { state: &state, user: &user, region: &region, access: &access };
    let result = match assessment_input(&form) {
        Ok((day, answers)) => {
            state.store.add_norm_assessment(region.id, day, &answers, &user.actor("web")).await.map_err(AppError::from)
        }
        Err(i) => Err(AppError::invalid(i)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/regios/{}/norm?gelukt=norm", region.code))),
        Err(e) => {
            let invalid = super::form_problem(e)?;
            norm_page(&ctx, Some((&form, &invalid)), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_https_and_own_paths_become_links() {
        for (evidence, link) in [
            ("https://example.nl/besluit", true),
            ("/regios/haaglanden/handvest", true),
            ("//evil.example", false),
            ("/\\evil.example", false),
            ("javascript:alert(1)", false),
            ("besluit AB 12 maart", false),
        ] {
            assert_eq!(super::linkable(evidence), link, "{evidence}");
        }
    }
}
