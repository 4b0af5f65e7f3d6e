//! A self-contained HTML page of an evaluation: the confusion matrix as a heat-map,
//! per-service precision/recall/F1 bars, the reliability diagram and the worst mistakes.
//! Plain inline SVG and CSS: no script, no external file, opens anywhere.

use std::fmt::Write;

use crate::eval::Evaluation;

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Blue scale for a share between 0 and 1.
fn heat(share: f64) -> String {
    let s = share.clamp(0.0, 1.0);
    let light = 97.0 - 62.0 * s;
    format!("hsl(212, 70%, {light:.0}%)")
}

fn confusion_svg(e: &Evaluation) -> String {
    let m = &e.metrics;
    let n = m.labels.len();
    let cell = 34.0;
    let left = 170.0;
    let top = 150.0;
    let size = left + cell * n as f64 + 90.0;
    let height = top + cell * n as f64 + 30.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{height}" font-family="sans-serif" font-size="11" role="img" aria-label="confusion matrix">"#
    );
    for (j, label) in m.labels.iter().enumerate() {
        let x = left + cell * j as f64 + cell / 2.0;
        let _ = write!(
            svg,
            r#"<text transform="translate({x},{}) rotate(-55)" text-anchor="start">{}</text>"#,
            top - 6.0,
            esc(label)
        );
    }
    for (i, row) in m.confusion.iter().enumerate() {
        let y = top + cell * i as f64;
        let total: usize = row.iter().sum();
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            left - 6.0,
            y + cell / 2.0 + 4.0,
            esc(&m.labels[i])
        );
        for (j, &count) in row.iter().enumerate() {
            let share = if total > 0 {
                count as f64 / total as f64
            } else {
                0.0
            };
            let x = left + cell * j as f64;
            let colour = if i == j || count == 0 {
                heat(share)
            } else {
                format!("hsl(8, 75%, {:.0}%)", 92.0 - 50.0 * share.min(1.0) * 2.0)
            };
            let ink = if share > 0.55 { "white" } else { "#222" };
            let _ = write!(
                svg,
                r#"<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{colour}" stroke="white"><title>truth {} → predicted {}: {count}</title></rect>"#,
                esc(&m.labels[i]),
                esc(&m.labels[j])
            );
            if count > 0 {
                let _ = write!(
                    svg,
                    r#"<text x="{}" y="{}" text-anchor="middle" fill="{ink}">{count}</text>"#,
                    x + cell / 2.0,
                    y + cell / 2.0 + 4.0
                );
            }
        }
    }
    let _ = write!(
        svg,
        r##"<text x="{left}" y="{}" fill="#555">rows: true service · columns: predicted · off-diagonal cells in red</text></svg>"##,
        height - 8.0
    );
    svg
}

fn bars_svg(e: &Evaluation) -> String {
    let rows = &e.metrics.per_service;
    let left = 170.0;
    let width = 300.0;
    let row_h = 42.0;
    let height = 30.0 + row_h * rows.len() as f64;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" font-family="sans-serif" font-size="11" role="img" aria-label="precision, recall and F1 per service">"#,
        left + width + 60.0
    );
    let series = [
        ("precision", "#4e79a7"),
        ("recall", "#f28e2b"),
        ("F1", "#59a14f"),
    ];
    for (k, (name, colour)) in series.iter().enumerate() {
        let x = left + 100.0 * k as f64;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="6" width="10" height="10" fill="{colour}"/><text x="{}" y="15">{name}</text>"#,
            x + 14.0
        );
    }
    for (i, s) in rows.iter().enumerate() {
        let y = 26.0 + row_h * i as f64;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            left - 6.0,
            y + 20.0,
            esc(&s.service)
        );
        for (k, (value, (name, colour))) in
            [s.precision, s.recall, s.f1].iter().zip(series).enumerate()
        {
            let by = y + 4.0 + 11.0 * k as f64;
            let _ = write!(
                svg,
                r#"<rect x="{left}" y="{by}" width="{:.1}" height="10" fill="{colour}"><title>{} {name} {value:.3}</title></rect><text x="{:.1}" y="{}" font-size="9">{value:.2}</text>"#,
                width * value,
                esc(&s.service),
                left + width * value + 3.0,
                by + 9.0
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn reliability_svg(e: &Evaluation) -> String {
    let size = 300.0;
    let pad = 40.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11" role="img" aria-label="reliability diagram">"#,
        size + pad + 20.0,
        size + pad + 20.0
    );
    let x = |v: f64| pad + v * size;
    let y = |v: f64| 10.0 + size - v * size;
    let _ = write!(
        svg,
        r##"<rect x="{pad}" y="10" width="{size}" height="{size}" fill="#fafafa" stroke="#ccc"/><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999" stroke-dasharray="4 3"/>"##,
        x(0.0),
        y(0.0),
        x(1.0),
        y(1.0)
    );
    let total: usize = e.reliability.iter().map(|b| b.count).sum();
    for bin in &e.reliability {
        if bin.count == 0 {
            continue;
        }
        let w = (bin.to - bin.from) * size;
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#4e79a7" fill-opacity="0.75" stroke="white"><title>confidence {:.1}–{:.1}: {} requests, accuracy {:.3}, mean confidence {:.3}</title></rect>"##,
            x(bin.from),
            y(bin.accuracy),
            w,
            bin.accuracy * size,
            bin.from,
            bin.to,
            bin.count,
            bin.accuracy,
            bin.mean_confidence
        );
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#e15759"/>"##,
            x(bin.mean_confidence),
            y(bin.accuracy)
        );
        let share = bin.count as f64 / total.max(1) as f64;
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#bbb"/>"##,
            x(bin.from),
            y(0.0) + 14.0,
            w,
            (share * 12.0).max(0.5)
        );
    }
    for t in [0.0, 0.5, 1.0] {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{t}</text><text x="{}" y="{}" text-anchor="end">{t}</text>"#,
            x(t),
            y(0.0) + 40.0,
            pad - 4.0,
            y(t) + 4.0
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">confidence (grey: share of requests)</text><text transform="translate(12,{}) rotate(-90)" text-anchor="middle">accuracy</text></svg>"#,
        x(0.5),
        y(0.0) + 54.0,
        y(0.5)
    );
    svg
}

/// The whole page. `texts` gives the (already redacted) text of each mistake's line.
pub fn html(
    title: &str,
    e: &Evaluation,
    text_of_line: &dyn Fn(usize) -> String,
    max_mistakes: usize,
) -> String {
    let m = &e.metrics;
    let mut page = String::new();
    let _ = write!(
        page,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.15em; margin-top: 2em; }}
.figures {{ display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }}
.kpi {{ display: inline-block; margin: 0 1.5em 0.5em 0; }} .kpi b {{ font-size: 1.4em; display: block; }}
table {{ border-collapse: collapse; font-size: 0.9em; }} td, th {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
</style></head><body><h1>{}</h1>"#,
        esc(title),
        esc(title)
    );
    let kpis = [
        ("examples", e.examples.to_string()),
        ("accuracy", format!("{:.3}", m.accuracy)),
        ("macro-F1", format!("{:.3}", m.macro_f1)),
        ("answered", format!("{:.1}%", e.coverage * 100.0)),
        (
            "accuracy when answered",
            format!("{:.3}", e.answered_accuracy),
        ),
        ("calibration error (ECE)", format!("{:.3}", e.ece)),
        (
            "ECE without calibration",
            format!("{:.3}", e.ece_uncalibrated),
        ),
        (
            "out-of-scope recall",
            format!("{:.3}", e.out_of_scope_recall),
        ),
    ];
    page.push_str("<div>");
    for (name, value) in kpis {
        let _ = write!(page, r#"<span class="kpi"><b>{value}</b>{name}</span>"#);
    }
    page.push_str("</div>");
    let _ = write!(
        page,
        r#"<div class="figures"><div><h2>Confusion matrix</h2>{}</div><div><h2>Precision, recall, F1</h2>{}</div><div><h2>Reliability</h2>{}<p>Bars: accuracy per confidence bin; red dots: mean confidence in the bin; a calibrated model stays on the diagonal.</p></div></div>"#,
        confusion_svg(e),
        bars_svg(e),
        reliability_svg(e)
    );
    let _ = write!(
        page,
        "<h2>Worst mistakes (most confident first; personal data redacted)</h2><table><tr><th>line</th><th>request</th><th>true</th><th>predicted</th><th>confidence</th><th>operator?</th></tr>"
    );
    for mistake in e.mistakes.iter().take(max_mistakes) {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{}</td></tr>",
            mistake.line,
            esc(&text_of_line(mistake.line)),
            esc(&mistake.truth),
            esc(&mistake.predicted),
            mistake.confidence,
            if mistake.abstained { "yes" } else { "no" }
        );
    }
    page.push_str("</table></body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{Mistake, calibration_error, metrics};

    #[test]
    fn page_is_self_contained_and_escapes_text() {
        let labels = vec!["a<b".to_string(), "c".to_string()];
        let (ece, reliability) = calibration_error(&[0.9, 0.6], &[true, false], 10);
        let e = Evaluation {
            examples: 2,
            metrics: metrics(&labels, &[0, 1], &[0, 0]),
            threshold: Some(0.5),
            answered: 2,
            to_operator: 0,
            coverage: 1.0,
            answered_accuracy: 0.5,
            ece,
            ece_uncalibrated: ece,
            reliability,
            out_of_scope_recall: 0.0,
            out_of_scope_confident_wrong: 0,
            out_of_scope_total: 0,
            mistakes: vec![Mistake {
                line: 2,
                truth: "c".into(),
                predicted: "a<b".into(),
                confidence: 0.6,
                abstained: false,
            }],
        };
        let page = html(
            "Test <report>",
            &e,
            &|line| format!("request on line {line} & <script>"),
            10,
        );
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(!page.contains("<script>"));
        assert!(page.contains("request on line 2 &amp; &lt;script&gt;"));
        assert!(page.contains("a&lt;b"));
        assert_eq!(page.matches("<svg").count(), 3);
        assert!(!page.contains("src=\"http"), "no external resources");
    }
}
