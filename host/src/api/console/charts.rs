//! Charts drawn on the server as inline SVG (maud escapes every label):
//! bars over time stacked by decision, and labelled horizontal bars. No
//! script and no inline style: colours come from classes in the console's
//! stylesheet, sizes from SVG attributes. Every chart has a title and a
//! description for assistive technology, every bar its numbers in words
//! (`<title>`, `aria-label`) and, where there is one, a link to the list
//! behind it.

use maud::{Markup, html};

/// The decisions bars are stacked by, bottom up: class and words.
pub(crate) const DECISIONS: [(&str, &str); 4] = [
    ("allowed", "allowed"),
    ("approved", "allowed with approval"),
    ("held", "held"),
    ("refused", "refused"),
];

/// One bar of a chart over time.
#[derive(Debug)]
pub(crate) struct Column {
    /// The axis label shown under it, if any (`HH:MM`).
    pub(crate) tick: Option<String>,
    /// What it covers, in words.
    pub(crate) label: String,
    /// Counts by [`DECISIONS`], in that order.
    pub(crate) counts: [u64; 4],
    pub(crate) href: String,
}

/// One row of a horizontal bar chart.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) label: String,
    /// (class, value) stacked left to right.
    pub(crate) parts: Vec<(&'static str, u64)>,
    /// The number shown after the bar.
    pub(crate) value: String,
    /// The bar's numbers in words.
    pub(crate) words: String,
    pub(crate) href: Option<String>,
    /// A `data-key` for the row (what it counts).
    pub(crate) key: String,
}

const W: f64 = 720.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 26.0;

/// A round upper bound for an axis that must show `max`.
fn nice(max: u64) -> u64 {
    let max = max.max(1);
    let mut step = 1;
    while step * 10 < max {
        step *= 10;
    }
    [1, 2, 5, 10]
        .iter()
        .map(|m| m * step)
        .find(|c| *c >= max)
        .unwrap_or(max)
}

fn f(x: f64) -> String {
    format!("{x:.1}")
}

/// Bars over time, stacked by decision, each a link to its calls.
pub(crate) fn columns(id: &str, title: &str, desc: &str, cols: &[Column]) -> Markup {
    let max = nice(
        cols.iter()
            .map(|c| c.counts.iter().sum())
            .max()
            .unwrap_or(0),
    );
    let plot_h = H - TOP - BOTTOM;
    let slot = (W - LEFT - RIGHT) / cols.len().max(1) as f64;
    let bar = (slot * 0.8).max(1.0);
    let y = |v: u64| TOP + plot_h - plot_h * v as f64 / max as f64;
    let (t, d) = (format!("{id}-title"), format!("{id}-desc"));
    html! {
        svg.chart #(id) viewBox={ "0 0 " (W) " " (H) } role="img" aria-labelledby={ (t) " " (d) } data-max=(max) {
            title #(t) { (title) }
            desc #(d) { (desc) }
            @for v in [0, max / 2, max] {
                line.gridline x1=(f(LEFT)) x2=(f(W - RIGHT)) y1=(f(y(v))) y2=(f(y(v))) {}
                text.axis x=(f(LEFT - 6.0)) y=(f(y(v) + 4.0)) text-anchor="end" { (v) }
            }
            text.axis x=(f(LEFT - 6.0)) y=(f(H - 8.0)) text-anchor="end" { "UTC" }
            @for (i, c) in cols.iter().enumerate() {
                @let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                @let total: u64 = c.counts.iter().sum();
                @let words = stacked_words(&c.counts);
                a.col href=(c.href) aria-label={ (c.label) ": " (words) } data-total=(total) {
                    title { (c.label) ": " (words) }
                    // The whole slot, so that an empty minute is a target too.
                    rect.hit x=(f(LEFT + slot * i as f64)) y=(f(TOP)) width=(f(slot)) height=(f(plot_h)) {}
                    @for (class, from, n) in stack(&c.counts) {
                        rect.(class) x=(f(x)) y=(f(y(from + n))) width=(f(bar)) height=(f(y(from) - y(from + n))) {}
                    }
                }
                @if let Some(tick) = &c.tick {
                    text.axis x=(f(LEFT + slot * (i as f64 + 0.5))) y=(f(H - 8.0)) text-anchor="middle" { (tick) }
                }
            }
        }
    }
}

/// The non-empty parts of a stack of `counts` by [`DECISIONS`]: class,
/// where it starts, how much.
fn stack(counts: &[u64; 4]) -> Vec<(&'static str, u64, u64)> {
    let mut below = 0;
    let mut out = Vec::new();
    for ((class, _), n) in DECISIONS.iter().zip(counts) {
        if *n > 0 {
            out.push((*class, below, *n));
        }
        below += n;
    }
    out
}

/// "3 allowed, 1 held" (or "no calls").
pub(crate) fn stacked_words(counts: &[u64; 4]) -> String {
    let parts: Vec<String> = DECISIONS
        .iter()
        .zip(counts)
        .filter(|(_, n)| **n > 0)
        .map(|((_, w), n)| format!("{n} {w}"))
        .collect();
    if parts.is_empty() {
        "no calls".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Shorten a label to `n` characters.
fn short(t: &str, n: usize) -> String {
    if t.chars().count() <= n {
        t.to_owned()
    } else {
        format!("{}…", t.chars().take(n - 1).collect::<String>())
    }
}

/// Horizontal bars, one per row, each with its label, its value and, where
/// it has one, a link.
pub(crate) fn bars(id: &str, title: &str, desc: &str, rows: &[Row]) -> Markup {
    let w = LABEL + BAR + 90.0;
    let h = ROW * rows.len().max(1) as f64 + 4.0;
    let max = rows
        .iter()
        .map(|r| r.parts.iter().map(|p| p.1).sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (t, d) = (format!("{id}-title"), format!("{id}-desc"));
    html! {
        svg.chart.bars #(id) viewBox={ "0 0 " (w) " " (h) } role="img" aria-labelledby={ (t) " " (d) } {
            title #(t) { (title) }
            desc #(d) { (desc) }
            @if rows.is_empty() {
                text.axis x="4" y="18" { "none" }
            }
            @for (i, r) in rows.iter().enumerate() {
                @let words = format!("{}: {}", r.label, r.words);
                @match &r.href {
                    Some(href) => a.row href=(href) aria-label=(words) data-key=(r.key) {
                        (row(r, &words, ROW * i as f64 + 2.0, max))
                    },
                    None => g.row aria-label=(words) data-key=(r.key) {
                        (row(r, &words, ROW * i as f64 + 2.0, max))
                    },
                }
            }
        }
    }
}

const ROW: f64 = 24.0;
const LABEL: f64 = 170.0;
const BAR: f64 = 300.0;

/// One row of [`bars`], `top` from the chart's top, scaled to `max`.
fn row(r: &Row, words: &str, top: f64, max: u64) -> Markup {
    let mut left = LABEL;
    let mut rects = Vec::new();
    for (class, n) in &r.parts {
        let width = BAR * *n as f64 / max as f64;
        if *n > 0 {
            rects.push((*class, left, width.max(1.0)));
        }
        left += width;
    }
    html! {
        title { (words) }
        text.label x=(f(LABEL - 8.0)) y=(f(top + 16.0)) text-anchor="end" { (short(&r.label, 24)) }
        @for (class, x, width) in rects {
            rect.(class) x=(f(x)) y=(f(top + 3.0)) width=(f(width)) height=(f(ROW - 6.0)) {}
        }
        text.value x=(f(left + 6.0)) y=(f(top + 16.0)) { (r.value) }
    }
}

/// The legend of the decisions, each with its count and a link.
pub(crate) fn legend(counts: &[u64; 4], hrefs: &[String; 4]) -> Markup {
    html! {
        ul.legend {
            @for (((class, words), n), href) in DECISIONS.iter().zip(counts).zip(hrefs) {
                li { a href=(href) data-decision=(class) {
                    span.swatch.(class) {} (words) " " strong { (n) }
                } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_at_round_numbers() {
        assert_eq!(
            [0, 1, 3, 7, 12, 99, 101, 4000].map(nice),
            [1, 1, 5, 10, 20, 100, 200, 5000]
        );
    }

    #[test]
    fn labels_are_text_and_svg_elements_are_closed() {
        let rows = [Row {
            label: "<script>x</script>".into(),
            parts: vec![("refused", 2)],
            value: "2".into(),
            words: "2 refused".into(),
            href: Some("/console/calls?layer=a&b".into()),
            key: "k".into(),
        }];
        let svg = bars("c", "T", "D", &rows).into_string();
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"), "{svg}");
        assert!(svg.contains("layer=a&amp;b"), "{svg}");
        assert!(!svg.contains("style="), "{svg}");
        // An element left open would swallow its siblings in SVG.
        assert_eq!(svg.matches("<rect").count(), svg.matches("</rect>").count());
    }
}
