//! [`render_svg`]: a self-contained SVG chart of Lorenz curves — one polyline per field against
//! the dashed line of equality, a square plot with grid, ticks and axis labels, and a legend
//! giving each field's name and Gini coefficient.

use std::fmt::Write;

use crate::result::LorenzResult;

/// Curve colours (Tableau 10), cycled when there are more fields.
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];
/// Plot origin and side, in SVG units.
const LEFT: f64 = 76.0;
const TOP: f64 = 52.0;
const SIDE: f64 = 380.0;
/// Legend column.
const LEGEND_X: f64 = 490.0;
const LEGEND_ROW: f64 = 24.0;
const WIDTH: f64 = 780.0;
/// At most this many points are drawn per curve.
const MAX_DRAWN: usize = 2000;

/// Escapes text for SVG content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn px(p: f64) -> f64 {
    LEFT + p * SIDE
}

fn py(share: f64) -> f64 {
    TOP + (1.0 - share) * SIDE
}

/// Renders the curves of `results` in one SVG document.
pub fn render_svg(results: &[LorenzResult]) -> String {
    let legend_bottom = TOP + 8.0 + (results.len() + 1) as f64 * LEGEND_ROW;
    let height = (TOP + SIDE + 64.0).max(legend_bottom + 16.0);
    let mut s = String::new();
    // `write!` into a `String` cannot fail; the results are ignored on purpose.
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif">"#
    );
    s.push_str("<title>Lorenz curve</title>");
    let _ = write!(
        s,
        r##"<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>"##
    );
    let _ = write!(
        s,
        r##"<text x="{:.1}" y="30" text-anchor="middle" font-size="17" font-weight="600" fill="#1f2937">Lorenz curve</text>"##,
        LEFT + SIDE / 2.0
    );
    let _ = write!(
        s,
        r#"<defs><clipPath id="pai-lorenz-plot"><rect x="{LEFT}" y="{TOP}" width="{SIDE}" height="{SIDE}"/></clipPath></defs>"#
    );

    // Grid, ticks and tick labels.
    s.push_str(r##"<g stroke="#e5e7eb" stroke-width="1">"##);
    for i in 0..=10 {
        let t = f64::from(i) / 10.0;
        let _ = write!(
            s,
            r#"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{b}"/><line x1="{LEFT}" y1="{y:.1}" x2="{r}" y2="{y:.1}"/>"#,
            x = px(t),
            y = py(t),
            b = TOP + SIDE,
            r = LEFT + SIDE,
        );
    }
    s.push_str("</g>");
    s.push_str(r##"<g stroke="#374151" stroke-width="1">"##);
    for i in 0..=5 {
        let t = f64::from(i) / 5.0;
        let _ = write!(
            s,
            r#"<line x1="{x:.1}" y1="{b}" x2="{x:.1}" y2="{b5}"/><line x1="{l5}" y1="{y:.1}" x2="{LEFT}" y2="{y:.1}"/>"#,
            x = px(t),
            y = py(t),
            b = TOP + SIDE,
            b5 = TOP + SIDE + 5.0,
            l5 = LEFT - 5.0,
        );
    }
    s.push_str("</g>");
    s.push_str(r##"<g font-size="11" fill="#374151">"##);
    for i in 0..=5 {
        let t = f64::from(i) / 5.0;
        let _ = write!(
            s,
            r#"<text x="{x:.1}" y="{yb:.1}" text-anchor="middle">{t:.1}</text><text x="{xl:.1}" y="{y:.1}" text-anchor="end">{t:.1}</text>"#,
            x = px(t),
            yb = TOP + SIDE + 19.0,
            xl = LEFT - 9.0,
            y = py(t) + 4.0,
        );
    }
    s.push_str("</g>");
    let _ = write!(
        s,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="13" fill="#1f2937">population share</text>"##,
        LEFT + SIDE / 2.0,
        TOP + SIDE + 44.0
    );
    let (lx, ly) = (LEFT - 46.0, TOP + SIDE / 2.0);
    let _ = write!(
        s,
        r##"<text x="{lx:.1}" y="{ly:.1}" text-anchor="middle" font-size="13" fill="#1f2937" transform="rotate(-90 {lx:.1} {ly:.1})">value share</text>"##
    );

    // Line of equality, then one curve per field.
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{b}" x2="{r}" y2="{TOP}" stroke="#9ca3af" stroke-width="1.5" stroke-dasharray="6 4"/>"##,
        b = TOP + SIDE,
        r = LEFT + SIDE,
    );
    s.push_str(r#"<g clip-path="url(#pai-lorenz-plot)" fill="none" stroke-width="2.2" stroke-linejoin="round">"#);
    for (i, r) in results.iter().enumerate() {
        let _ = write!(
            s,
            r#"<polyline stroke="{}" points=""#,
            PALETTE[i % PALETTE.len()]
        );
        let step = r.points.len().div_ceil(MAX_DRAWN).max(1);
        let last = r.points.len().saturating_sub(1);
        let mut first = true;
        for (j, &(p, v)) in r.points.iter().enumerate() {
            if (j % step != 0 && j != last) || !p.is_finite() || !v.is_finite() {
                continue;
            }
            if !first {
                s.push(' ');
            }
            first = false;
            let _ = write!(s, "{:.2},{:.2}", px(p), py(v));
        }
        s.push_str(r#""/>"#);
    }
    s.push_str("</g>");
    let _ = write!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{SIDE}" height="{SIDE}" fill="none" stroke="#374151" stroke-width="1"/>"##
    );

    // Legend.
    s.push_str(r##"<g font-size="12" fill="#1f2937">"##);
    let mut y = TOP + 8.0;
    let _ = write!(
        s,
        r##"<line x1="{LEGEND_X}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#9ca3af" stroke-width="1.5" stroke-dasharray="6 4"/><text x="{tx}" y="{ty:.1}">line of equality</text>"##,
        x2 = LEGEND_X + 26.0,
        tx = LEGEND_X + 34.0,
        ty = y + 4.0,
    );
    for (i, r) in results.iter().enumerate() {
        y += LEGEND_ROW;
        let _ = write!(
            s,
            r#"<line x1="{LEGEND_X}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="{c}" stroke-width="3"/><text x="{tx}" y="{ty:.1}">{name} (Gini {g:.4})</text>"#,
            x2 = LEGEND_X + 26.0,
            tx = LEGEND_X + 34.0,
            ty = y + 4.0,
            c = PALETTE[i % PALETTE.len()],
            name = escape(&r.field),
            g = r.gini,
        );
    }
    s.push_str("</g></svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(field: &str, gini: f64, points: Vec<(f64, f64)>) -> LorenzResult {
        LorenzResult {
            field: field.to_string(),
            weighted: false,
            points,
            gini,
            count: 11,
            total_weight: 11.0,
            dropped_null: 0,
            dropped_nan: 0,
            sum: 55.0,
            mean: 5.0,
            all_zero: false,
            spilled_runs: 0,
        }
    }

    #[test]
    fn well_formed_with_one_polyline_per_field_and_escaped_legend() {
        let rs = [
            result(
                "score",
                4.0 / 11.0,
                vec![(0.0, 0.0), (0.5, 0.2), (1.0, 1.0)],
            ),
            result(
                "a<b & \"c\">",
                0.5,
                vec![(0.0, 0.0), (0.5, 0.1), (1.0, 1.0)],
            ),
        ];
        let svg = render_svg(&rs);
        let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        let polylines: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .collect();
        assert_eq!(polylines.len(), 2);
        assert_eq!(
            polylines[0].attribute("points"),
            Some("76.00,432.00 266.00,356.00 456.00,52.00")
        );
        let texts: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(str::to_string))
            .collect();
        for want in [
            "score (Gini 0.3636)",
            "a<b & \"c\"> (Gini 0.5000)",
            "line of equality",
            "population share",
            "value share",
        ] {
            assert!(
                texts.iter().any(|t| t == want),
                "missing text {want:?} in {texts:?}"
            );
        }
        assert!(svg.contains("a&lt;b &amp; &quot;c&quot;&gt;"));
        // The diagonal: from (0,0) to (1,1) in plot coordinates.
        assert!(doc.descendants().any(|n| n.has_tag_name("line")
            && n.attribute("stroke-dasharray").is_some()
            && n.attribute("x1") == Some("76")
            && n.attribute("y1") == Some("432")
            && n.attribute("x2") == Some("456")
            && n.attribute("y2") == Some("52")));
    }

    #[test]
    fn thins_long_curves_but_keeps_endpoints() {
        let q = 100_000;
        let pts: Vec<(f64, f64)> = (0..=q)
            .map(|k| (k as f64 / q as f64, (k as f64 / q as f64).powi(2)))
            .collect();
        let svg = render_svg(&[result("x", 0.3333, pts)]);
        let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
        let pl = doc
            .descendants()
            .find(|n| n.has_tag_name("polyline"))
            .expect("polyline");
        let coords: Vec<&str> = pl.attribute("points").expect("points").split(' ').collect();
        assert!(coords.len() <= MAX_DRAWN + 2, "{}", coords.len());
        assert_eq!(coords.first(), Some(&"76.00,432.00"));
        assert_eq!(coords.last(), Some(&"456.00,52.00"));
    }

    #[test]
    fn empty_input_still_renders_axes() {
        let svg = render_svg(&[]);
        assert!(roxmltree::Document::parse(&svg).is_ok());
        assert!(svg.contains("line of equality"));
    }
}
