//! A bar chart as a standalone SVG file: what "Save as SVG" writes and what the PNG is drawn from, so
//! a chart pasted into a slide reads as it did on screen — a row per category, its label above one
//! bar per series, the value at the bar's end. Plain data in, text out: the same file on every device.

use std::fmt::Write as _;

/// One row of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct SvgRow {
    pub label: String,
    /// One value per series; bars are proportional to them (below 0: no bar).
    pub values: Vec<i64>,
    /// The values as people read them ("€12,500").
    pub shown: Vec<String>,
}

/// The file's width, in CSS pixels.
pub const WIDTH: u32 = 720;
const PAD: u32 = 16;
const TITLE: u32 = 44;
const LEGEND: u32 = 24;
const LABEL: u32 = 20;
const BAR: u32 = 16;
const BAR_GAP: u32 = 6;
const ROW_GAP: u32 = 10;
/// Room at a bar's end for its value.
const VALUE_ROOM: u32 = 140;
/// Colours of the series, in order (the light theme's).
const COLOURS: [&str; 4] = ["#2563eb", "#16a34a", "#d97706", "#9333ea"];

/// The height of the file for `rows` rows of `series` series.
pub fn height(series: usize, rows: usize) -> u32 {
    let legend = if series > 1 { LEGEND } else { 0 };
    let row = LABEL + series as u32 * (BAR + BAR_GAP) + ROW_GAP;
    TITLE + legend + rows as u32 * row + PAD
}

/// The chart `title` of `series` as an SVG document.
pub fn bars_svg(title: &str, series: &[String], rows: &[SvgRow]) -> String {
    let height = height(series.len(), rows.len());
    let largest = rows.iter().flat_map(|r| r.values.iter().copied()).max().unwrap_or(0).max(1);
    let room = WIDTH - 2 * PAD - VALUE_ROOM;
    let mut svg = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="system-ui, sans-serif" font-size="13"><rect width="100%" height="100%" fill="#ffffff"/><text x="{PAD}" y="28" font-size="16" font-weight="600" fill="#111827">{}</text>"##,
        escape(title)
    );
    let mut y = TITLE;
    if series.len() > 1 {
        let mut x = PAD;
        for (n, name) in series.iter().enumerate() {
            let _ = write!(
                svg,
                r##"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}" fill="#374151">{}</text>"##,
                y,
                colour(n),
                x + 16,
                y + 11,
                escape(name)
            );
            x += 16 + 8 * name.chars().count() as u32 + 16;
        }
        y += LEGEND;
    }
    for row in rows {
        let _ = write!(
            svg,
            r##"<text x="{PAD}" y="{}" fill="#111827">{}</text>"##,
            y + 14,
            escape(&row.label)
        );
        y += LABEL;
        for (n, value) in row.values.iter().enumerate() {
            let width = (*value).max(0) as f64 * f64::from(room) / largest as f64;
            let shown = row.shown.get(n).map_or("", String::as_str);
            let _ = write!(
                svg,
                r##"<rect class="bar" x="{PAD}" y="{y}" width="{width:.1}" height="{BAR}" rx="2" fill="{}"/><text x="{:.1}" y="{}" fill="#374151">{}</text>"##,
                colour(n),
                f64::from(PAD) + width + 6.0,
                y + 12,
                escape(shown)
            );
            y += BAR + BAR_GAP;
        }
        y += ROW_GAP;
    }
    svg.push_str("</svg>");
    svg
}

fn colour(series: usize) -> &'static str {
    COLOURS[series % COLOURS.len()]
}

/// `text` as XML character data or an attribute value.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, values: &[i64]) -> SvgRow {
        SvgRow {
            label: label.into(),
            values: values.to_vec(),
            shown: values.iter().map(|v| format!("€{v}")).collect(),
        }
    }

    /// The `width` attributes of the bars, in order.
    fn bar_widths(svg: &str) -> Vec<f64> {
        svg.split(r#"<rect class="bar""#)
            .skip(1)
            .map(|bar| {
                let width = bar.split(r#"width=""#).nth(1).unwrap();
                width[..width.find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn each_value_is_a_bar_as_long_as_its_share_of_the_largest_with_its_text_at_the_end() {
        let series = ["Forecast".to_owned(), "Won".to_owned()];
        let svg = bars_svg("By month", &series, &[row("Oct", &[400, 100]), row("Nov", &[0, -5])]);
        let room = f64::from(WIDTH - 2 * PAD - VALUE_ROOM);
        assert_eq!(bar_widths(&svg), [room, room / 4.0, 0.0, 0.0]);
        for text in ["By month", "Forecast", "Won", "Oct", "Nov", "€400", "€100", "€-5"] {
            assert!(svg.contains(&format!(">{text}</text>")), "{text} in {svg}");
        }
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains(&format!("height=\"{}\"", height(2, 2))));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn what_people_typed_cannot_break_out_of_its_text() {
        let svg =
            bars_svg("R&D <\"costs\">", &["A'b".to_owned()], &[row("x</text><script>\u{7}", &[1])]);
        assert!(svg.contains(">R&amp;D &lt;&quot;costs&quot;&gt;</text>"));
        assert!(svg.contains(">x&lt;/text&gt;&lt;script&gt;</text>"));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains('\u{7}'));
        // One series: no legend.
        assert!(!svg.contains("A&apos;b"));
        assert_eq!(svg.matches("<text").count(), 3);
    }

    #[test]
    fn a_chart_of_nothing_is_a_title_on_a_blank_page() {
        let svg = bars_svg("Lost reasons", &["Deals".to_owned()], &[]);
        assert!(bar_widths(&svg).is_empty());
        assert!(svg.contains(&format!("height=\"{}\"", TITLE + PAD)));
    }
}
