//! Server-rendered SVG charts. Each is an image with a title and a description for screen
//! readers; the page shows the same numbers as a table beside it, so nothing is only visual.
//! Forecast bars differ from realised bars by pattern as well as by colour.

use samenspel_domain::Cents;
use std::fmt::Write;

/// What a bar stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarKind {
    Realised,
    Forecast,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub kind: BarKind,
}

/// Text for SVG and HTML: the characters that could end an element or a quoted attribute.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A short amount for an axis: `€ 1,2 mln`, `€ 350 k`.
fn short(cents: i64) -> String {
    let euros = cents as f64 / 100.0;
    if euros.abs() >= 1_000_000.0 {
        format!("€ {} mln", format!("{:.1}", euros / 1_000_000.0).replace('.', ","))
    } else if euros.abs() >= 1_000.0 {
        format!("€ {:.0}k", euros / 1_000.0)
    } else {
        format!("€ {euros:.0}")
    }
}

/// The hatching of forecast bars; its id is the chart's, so two charts on a page do not clash.
fn defs(id: &str) -> String {
    format!(
        "<defs><pattern id=\"{id}-prognose\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\"/><rect width=\"3\" \
         height=\"6\" fill=\"#154273\"/></pattern></defs>"
    )
}

/// Vertical bars (months), with an optional horizontal line (a monthly budget).
pub fn columns(id: &str, title: &str, description: &str, bars: &[Bar], line: Option<(i64, &str)>) -> String {
    let (width, height, left, bottom, top) = (720.0, 300.0, 80.0, 40.0, 20.0);
    let max = bars.iter().map(|b| b.value).chain(line.map(|l| l.0)).max().unwrap_or(0).max(1) as f64;
    let plot_h = height - bottom - top;
    let step = (width - left - 10.0) / bars.len().max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"samenspel-chart\" role=\"img\" aria-labelledby=\"{id}-titel {id}-beschrijving\" \
         viewBox=\"0 0 {width} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">\
         <title id=\"{id}-titel\">{}</title><desc id=\"{id}-beschrijving\">{}</desc>{}",
        escape(title),
        escape(description),
        defs(id)
    );
    for i in 0..=4 {
        let value = max * f64::from(i) / 4.0;
        let y = top + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#767676\" stroke-width=\"0.5\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"#000\">{}</text>",
            width - 10.0,
            left - 6.0,
            y + 4.0,
            escape(&short(value as i64))
        );
    }
    for (i, bar) in bars.iter().enumerate() {
        let h = (bar.value.max(0) as f64 / max) * plot_h;
        let x = left + step * i as f64 + step * 0.15;
        let y = top + plot_h - h;
        let fill = match bar.kind {
            BarKind::Realised => "#154273".to_string(),
            BarKind::Forecast => format!("url(#{id}-prognose)"),
        };
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{fill}\" stroke=\"#154273\" \
             stroke-width=\"1\"/><text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#000\">{}</text>",
            step * 0.7,
            x + step * 0.35,
            height - bottom + 16.0,
            escape(&bar.label)
        );
    }
    if let Some((value, label)) = line {
        let y = top + plot_h - (value.max(0) as f64 / max) * plot_h;
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#a90061\" stroke-width=\"2\" \
             stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"#a90061\">{}</text>",
            width - 10.0,
            width - 12.0,
            y - 4.0,
            escape(label)
        );
    }
    let legend_y = height - 8.0;
    let _ = write!(
        svg,
        "<rect x=\"{left}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"#154273\"/>\
         <text x=\"{}\" y=\"{legend_y}\" font-size=\"11\" fill=\"#000\">gerealiseerd</text>\
         <rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"url(#{id}-prognose)\" stroke=\"#154273\"/>\
         <text x=\"{}\" y=\"{legend_y}\" font-size=\"11\" fill=\"#000\">prognose</text></svg>",
        legend_y - 10.0,
        left + 16.0,
        left + 110.0,
        legend_y - 10.0,
        left + 126.0
    );
    svg
}

/// Horizontal bars (members, providers, lots, products), largest first as given.
pub fn rows(id: &str, title: &str, description: &str, bars: &[Bar]) -> String {
    let row_h = 24.0;
    let (width, left, right) = (720.0, 260.0, 110.0);
    let height = 20.0 + row_h * bars.len().max(1) as f64;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"samenspel-chart\" role=\"img\" aria-labelledby=\"{id}-titel {id}-beschrijving\" \
         viewBox=\"0 0 {width} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">\
         <title id=\"{id}-titel\">{}</title><desc id=\"{id}-beschrijving\">{}</desc>",
        escape(title),
        escape(description)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 10.0 + row_h * i as f64;
        let w = (bar.value.max(0) as f64 / max) * (width - left - right);
        let label: String = bar.label.chars().take(38).collect();
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\" fill=\"#000\">{}</text>\
             <rect x=\"{left}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"#154273\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#000\">{}</text>",
            left - 8.0,
            y + 15.0,
            escape(&label),
            y + 3.0,
            row_h - 6.0,
            left + w + 6.0,
            y + 15.0,
            escape(&Cents(bar.value).to_string())
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars around a zero line: a member's difference per series (for example pays in
/// to the right, receives to the left), each series with its own fill and pattern so colour is
/// not the only difference. `series` names the series in the legend.
pub fn diverging(
    id: &str,
    title: &str,
    description: &str,
    series: &[&str],
    rows: &[(String, Vec<i64>)],
    axis: (&str, &str),
) -> String {
    const FILLS: [&str; 3] = ["#154273", "#e17000", "#39870c"];
    let per_row = series.len().max(1) as f64;
    let bar_h = 14.0;
    let row_h = bar_h * per_row + 10.0;
    let (width, left, right, legend) = (720.0, 200.0, 20.0, 24.0);
    let height = legend + 20.0 + row_h * rows.len().max(1) as f64;
    let max = rows.iter().flat_map(|(_, v)| v.iter().map(|x| x.unsigned_abs())).max().unwrap_or(0).max(1) as f64;
    // Without negative values the bars start at the left edge and use the whole width.
    let signed = rows.iter().any(|(_, v)| v.iter().any(|x| *x < 0));
    let half = if signed { (width - left - right) / 2.0 } else { width - left - right - 90.0 };
    let zero = if signed { left + half } else { left };
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"samenspel-chart\" role=\"img\" aria-labelledby=\"{id}-titel {id}-beschrijving\" \
         viewBox=\"0 0 {width} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">\
         <title id=\"{id}-titel\">{}</title><desc id=\"{id}-beschrijving\">{}</desc>\
         <defs><pattern id=\"{id}-streep\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\"/><rect width=\"3\" \
         height=\"6\" fill=\"{}\"/></pattern></defs>",
        escape(title),
        escape(description),
        FILLS[1]
    );
    let fill = |i: usize| if i == 1 { format!("url(#{id}-streep)") } else { FILLS[i % FILLS.len()].to_string() };
    let mut x = left;
    for (i, name) in series.iter().enumerate() {
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{}\" stroke=\"{}\"/>\
             <text x=\"{:.1}\" y=\"14\" font-size=\"12\" fill=\"#000\">{}</text>",
            fill(i),
            FILLS[i % FILLS.len()],
            x + 16.0,
            escape(name)
        );
        x += 24.0 + 7.0 * name.chars().count() as f64;
    }
    let _ = write!(
        svg,
        "<line x1=\"{zero:.1}\" y1=\"{legend}\" x2=\"{zero:.1}\" y2=\"{:.1}\" stroke=\"#000\"/>",
        height - 14.0
    );
    if signed {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#000\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#000\">{}</text>",
            zero - 4.0,
            height - 2.0,
            escape(axis.0),
            zero + 4.0,
            height - 2.0,
            escape(axis.1)
        );
    }
    for (r, (label, values)) in rows.iter().enumerate() {
        let y = legend + 4.0 + row_h * r as f64;
        let label: String = label.chars().take(28).collect();
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\" fill=\"#000\">{}</text>",
            left - 8.0,
            y + row_h / 2.0,
            escape(&label)
        );
        for (i, v) in values.iter().enumerate() {
            let w = (v.unsigned_abs() as f64 / max) * half;
            let bx = if *v < 0 { zero - w } else { zero };
            let _ = write!(
                svg,
                "<rect x=\"{bx:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\" stroke=\"{}\"/>",
                y + bar_h * i as f64,
                bar_h - 2.0,
                fill(i),
                FILLS[i % FILLS.len()]
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_their_labels_and_name_themselves() {
        let bars = vec![
            Bar { label: "a<b>&\"c\"".into(), value: 100, kind: BarKind::Realised },
            Bar { label: "nov".into(), value: 50, kind: BarKind::Forecast },
        ];
        let svg = columns("c", "Titel & zo", "Beschrijving", &bars, Some((80, "budget per maand")));
        assert!(svg.contains("a&lt;b&gt;&amp;&quot;c&quot;") && !svg.contains("a<b>"));
        assert!(svg.contains("aria-labelledby=\"c-titel c-beschrijving\""));
        assert!(svg.contains("url(#c-prognose)"));
        assert!(svg.contains("budget per maand"));
        let svg = rows("r", "T", "D", &bars);
        assert!(svg.contains("€ 1,00"));
        // Nothing to draw still makes a valid image.
        assert!(rows("e", "T", "D", &[]).ends_with("</svg>"));
        assert_eq!(short(123_456_789), "€ 1,2 mln");
        assert_eq!(short(35_000_000), "€ 350k");
    }

    #[test]
    fn diverging_bars_go_left_for_receiving_and_right_for_paying_in() {
        let rows = vec![("A&B".to_string(), vec![-100, 50]), ("C".to_string(), vec![100, 0])];
        let svg = diverging("d", "T", "D", &["afspraak", "voorstel"], &rows, ("← ontvangt", "betaalt in →"));
        assert!(svg.contains("A&amp;B") && svg.contains("url(#d-streep)"));
        // Zero line at the middle of the plot (200 + 250); -100 is a full half to its left.
        assert!(svg.contains("<rect x=\"200.0\" y=\"28.0\" width=\"250.0\""));
        assert!(svg.contains("<rect x=\"450.0\" y=\"66.0\" width=\"250.0\""));
        assert!(diverging("e", "T", "D", &[], &[], ("", "")).ends_with("</svg>"));
        // Only positive values: from the left edge, no axis words.
        let svg = diverging("p", "T", "D", &["a"], &[("A".into(), vec![10])], ("links", "rechts"));
        assert!(svg.contains("<rect x=\"200.0\" y=\"28.0\" width=\"410.0\"") && !svg.contains("links"));
    }
}

/// A score on a scale with its 95 % interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub label: String,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// Scores on a 1–`points` scale as dots with their interval as a line, one per row; an
/// optional second dot per row (a `marker` such as the intended value) drawn as a ring.
pub fn intervals(id: &str, title: &str, description: &str, points: u8, rows: &[(Interval, Option<f64>)]) -> String {
    let row_h = 26.0;
    let (width, left, right) = (720.0, 280.0, 60.0);
    let height = 44.0 + row_h * rows.len().max(1) as f64;
    let (lo, hi) = (1.0, f64::from(points.max(2)));
    let x = |v: f64| left + (v.clamp(lo, hi) - lo) / (hi - lo) * (width - left - right);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"samenspel-chart\" role=\"img\" aria-labelledby=\"{id}-titel {id}-beschrijving\" \
         viewBox=\"0 0 {width} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">\
         <title id=\"{id}-titel\">{}</title><desc id=\"{id}-beschrijving\">{}</desc>",
        escape(title),
        escape(description)
    );
    let axis_y = height - 24.0;
    for p in 1..=points {
        let px = x(f64::from(p));
        let _ = write!(
            svg,
            "<line x1=\"{px:.1}\" y1=\"6\" x2=\"{px:.1}\" y2=\"{axis_y:.1}\" stroke=\"#c8c8c8\"/>\
             <text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#000\">{p}</text>",
            axis_y + 16.0
        );
    }
    for (i, (row, marker)) in rows.iter().enumerate() {
        let y = 18.0 + row_h * i as f64;
        let label: String = row.label.chars().take(42).collect();
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\" fill=\"#000\">{}</text>\
             <line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#154273\" stroke-width=\"2\"/>\
             <circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"#154273\"/>",
            left - 8.0,
            y + 4.0,
            escape(&label),
            x(row.low),
            x(row.high),
            x(row.mean)
        );
        if let Some(m) = marker {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"none\" stroke=\"#a90061\" stroke-width=\"2\"/>",
                x(*m)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}
