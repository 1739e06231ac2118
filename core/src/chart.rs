//! A chart as a standalone SVG file: what "Save as SVG" writes and what the PNG is drawn from, so a
//! chart pasted into a slide reads as it did on screen — bars (a row per category, its label above
//! one bar per series, the value at the bar's end) or a line (a point per category, left to right,
//! the first and last named under it and each series' highest value written over its point). Plain
//! data in, text out: the same file on every device. A donut is the first series' shares of their
//! sum, a ring of slices beside a legend of each row's value and share.

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
/// Colours of the series (and of a donut's slices), in order (the light theme's).
const COLOURS: [&str; 6] = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#6b7280"];
/// A donut's ring: its centre's distance from the left and below the title, its radius, and its
/// thickness.
const RING: (f64, f64, f64, f64) = (116.0, 108.0, 80.0, 36.0);

/// The height of the file for `rows` rows of `series` series.
pub fn height(series: usize, rows: usize) -> u32 {
    let legend = if series > 1 { LEGEND } else { 0 };
    let row = LABEL + series as u32 * (BAR + BAR_GAP) + ROW_GAP;
    TITLE + legend + rows as u32 * row + PAD
}

/// The height of a line chart's file.
pub const LINE_HEIGHT: u32 = 320;

/// The chart `title` of `series` as an SVG document of bars.
pub fn bars_svg(title: &str, series: &[String], rows: &[SvgRow]) -> String {
    let height = height(series.len(), rows.len());
    let largest = largest(rows);
    let room = WIDTH - 2 * PAD - VALUE_ROOM;
    let mut svg = String::new();
    let mut y = head(&mut svg, title, height, series);
    for row in rows {
        y = row_label(&mut svg, y, &row.label);
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

/// The height of the file for `rows` stacked bars.
pub fn stacked_height(rows: usize) -> u32 {
    TITLE + LEGEND + rows as u32 * (LABEL + BAR + BAR_GAP + ROW_GAP) + PAD
}

/// The chart `title` as an SVG document of stacked bars: each row's values but its last are its
/// parts (the `series` but the last), drawn one after the other in their series' colours; its last
/// value is the whole, the bars' scale, written at the bar's end.
pub fn stacked_svg(title: &str, series: &[String], rows: &[SvgRow]) -> String {
    let parts = series.len().saturating_sub(1);
    // The whole, or the parts end to end where they are longer (no part is drawn past the file).
    let length = |row: &SvgRow| {
        let drawn: i64 = row.values.iter().take(parts).map(|v| (*v).max(0)).sum();
        drawn.max(row.values.get(parts).copied().unwrap_or(0))
    };
    let largest = rows.iter().map(length).max().unwrap_or(0).max(1);
    let room = f64::from(WIDTH - 2 * PAD - VALUE_ROOM);
    let mut svg = String::new();
    // The legend names the parts, always: one part is still a split.
    let top = head(&mut svg, title, stacked_height(rows.len()), &[]);
    let mut y = legend(&mut svg, top, &series[..parts]);
    for row in rows {
        y = row_label(&mut svg, y, &row.label);
        let mut x = f64::from(PAD);
        for (n, value) in row.values.iter().take(parts).enumerate() {
            let width = (*value).max(0) as f64 * room / largest as f64;
            if width > 0.0 {
                let shown = row.shown.get(n).map_or("", String::as_str);
                let name = series.get(n).map_or("", String::as_str);
                let _ = write!(
                    svg,
                    r##"<rect class="bar" x="{x:.1}" y="{y}" width="{width:.1}" height="{BAR}" fill="{}"><title>{}: {}</title></rect>"##,
                    colour(n),
                    escape(name),
                    escape(shown)
                );
            }
            x += width;
        }
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{}" fill="#374151">{}</text>"##,
            x + 6.0,
            y + 12,
            escape(row.shown.get(parts).map_or("", String::as_str))
        );
        y += BAR + BAR_GAP + ROW_GAP;
    }
    svg.push_str("</svg>");
    svg
}

/// A bar's label at `y`; returns where its bar goes.
fn row_label(svg: &mut String, y: u32, label: &str) -> u32 {
    let _ =
        write!(svg, r##"<text x="{PAD}" y="{}" fill="#111827">{}</text>"##, y + 14, escape(label));
    y + LABEL
}

/// The chart `title` of `series` as an SVG document of lines, one point per row from left to right
/// (below 0: drawn at 0, as the screen draws it).
pub fn line_svg(title: &str, series: &[String], rows: &[SvgRow]) -> String {
    let mut svg = String::new();
    let top = head(&mut svg, title, LINE_HEIGHT, series) + LABEL;
    let bottom = LINE_HEIGHT - PAD - LABEL;
    let (left, right) = (f64::from(PAD), f64::from(WIDTH - PAD));
    let largest = largest(rows);
    let step = (right - left) / (rows.len().max(2) - 1) as f64;
    let at = |n: usize, value: i64| {
        let rise = value.max(0) as f64 * f64::from(bottom - top) / largest as f64;
        (left + n as f64 * step, f64::from(bottom) - rise)
    };
    // Text at a point: from it at the left edge, up to it at the right, centred between.
    let anchor = |n: usize| match n {
        0 => "start",
        n if n + 1 == rows.len() => "end",
        _ => "middle",
    };
    let _ = write!(
        svg,
        r##"<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#d1d5db"/>"##
    );
    for s in 0..rows.first().map_or(0, |r| r.values.len()) {
        let value = |row: &SvgRow| row.values.get(s).copied().unwrap_or(0);
        let points: Vec<(f64, f64)> =
            rows.iter().enumerate().map(|(n, row)| at(n, value(row))).collect();
        let path: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            svg,
            r##"<polyline class="line" fill="none" stroke="{}" stroke-width="2" points="{}"/>"##,
            colour(s),
            path.join(" ")
        );
        for ((x, y), row) in points.iter().zip(rows) {
            let shown = row.shown.get(s).map_or("", String::as_str);
            let _ = write!(
                svg,
                r##"<circle class="point" cx="{x:.1}" cy="{y:.1}" r="3" fill="{}"><title>{}: {}</title></circle>"##,
                colour(s),
                escape(&row.label),
                escape(shown)
            );
        }
        // The highest point says its value (the first of equals).
        let highest = rows.iter().enumerate().rev().max_by_key(|(_, row)| value(row));
        if let Some((n, row)) = highest {
            let (x, y) = points[n];
            let _ = write!(
                svg,
                r##"<text x="{x:.1}" y="{:.1}" text-anchor="{}" fill="#374151">{}</text>"##,
                y - 8.0,
                anchor(n),
                escape(row.shown.get(s).map_or("", String::as_str))
            );
        }
    }
    let ends = [
        rows.first().map(|r| (0, r)),
        rows.last().filter(|_| rows.len() > 1).map(|r| (rows.len() - 1, r)),
    ];
    for (n, row) in ends.into_iter().flatten() {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{}" text-anchor="{}" fill="#111827">{}</text>"##,
            at(n, 0).0,
            LINE_HEIGHT - PAD,
            anchor(n),
            escape(&row.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Each value's share of the sum of those above 0, in hundredths (a value of 0 or below has none);
/// all `None` when nothing is above 0.
pub fn shares(values: &[i64]) -> Vec<Option<f64>> {
    let total: f64 = values.iter().filter(|v| **v > 0).map(|v| *v as f64).sum();
    values.iter().map(|v| (total > 0.0).then(|| (*v).max(0) as f64 / total)).collect()
}

/// The height of a donut's file of `rows` rows.
pub fn donut_height(rows: usize) -> u32 {
    let ring = (RING.1 + RING.2 + RING.3 / 2.0) as u32 + PAD;
    (TITLE + rows as u32 * LABEL + PAD).max(TITLE + ring)
}

/// The chart `title` as an SVG document of a donut: the first series' values, each a slice as wide
/// as its share, and beside it a legend of every row with its value and share.
pub fn donut_svg(title: &str, rows: &[SvgRow]) -> String {
    let mut svg = String::new();
    let height = donut_height(rows.len());
    let top = head(&mut svg, title, height, &[]);
    let values: Vec<i64> = rows.iter().map(|r| r.values.first().copied().unwrap_or(0)).collect();
    let shares = shares(&values);
    let (cx, cy, r, thick) = (RING.0, f64::from(top) + RING.1, RING.2, RING.3);
    let _ = write!(
        svg,
        r##"<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="#e5e7eb" stroke-width="{thick}"/>"##
    );
    // Clockwise from the top.
    let point = |turn: f64| {
        let angle = turn * std::f64::consts::TAU;
        (cx + r * angle.sin(), cy - r * angle.cos())
    };
    let mut from = 0.0;
    for (n, (row, share)) in rows.iter().zip(&shares).enumerate() {
        let Some(share) = share.filter(|s| *s > 0.0) else { continue };
        let title = format!(
            "{}: {}",
            escape(&row.label),
            escape(row.shown.first().map_or("", String::as_str))
        );
        if share >= 1.0 {
            let _ = write!(
                svg,
                r##"<circle class="slice" cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="{}" stroke-width="{thick}"><title>{title}</title></circle>"##,
                colour(n)
            );
        } else {
            let ((x0, y0), (x1, y1)) = (point(from), point(from + share));
            let large = u8::from(share > 0.5);
            let _ = write!(
                svg,
                r##"<path class="slice" d="M{x0:.2} {y0:.2} A{r} {r} 0 {large} 1 {x1:.2} {y1:.2}" fill="none" stroke="{}" stroke-width="{thick}"><title>{title}</title></path>"##,
                colour(n)
            );
        }
        from += share;
    }
    let x = (cx + r + thick / 2.0) as u32 + 2 * PAD;
    for (n, (row, share)) in rows.iter().zip(&shares).enumerate() {
        let y = top + n as u32 * LABEL;
        let shown = row.shown.first().map_or("", String::as_str);
        let percent = share.map_or(String::new(), |s| format!(" ({:.0}%)", s * 100.0));
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}" fill="#111827">{} — {}{percent}</text>"##,
            y + 3,
            colour(n),
            x + 18,
            y + 14,
            escape(&row.label),
            escape(shown)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Charts' files (each with its height, as the functions above make them), one under the other, as
/// one file and its height: what a whole dashboard exports.
pub fn stacked(files: &[(String, u32)]) -> (String, u32) {
    let height: u32 = files.iter().map(|(_, h)| *h).sum();
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">"#
    );
    let mut y = 0;
    for (file, h) in files {
        // A chart's own <svg>, placed: its coordinates stay its own.
        let _ = write!(svg, r#"<g transform="translate(0 {y})">{file}</g>"#);
        y += h;
    }
    svg.push_str("</svg>");
    (svg, height)
}

/// Number cards in a line of a file, and a card's size and the gap between cards.
const CARDS_PER_LINE: usize = 3;
const CARD_HEIGHT: u32 = 84;
const CARD_GAP: u32 = 8;
const CARD_WIDTH: u32 =
    (WIDTH - 2 * PAD - (CARDS_PER_LINE as u32 - 1) * CARD_GAP) / CARDS_PER_LINE as u32;

/// The height of a file of `cards` number cards.
pub fn cards_height(cards: usize) -> u32 {
    let lines = cards.div_ceil(CARDS_PER_LINE) as u32;
    TITLE + lines * (CARD_HEIGHT + CARD_GAP) + PAD
}

/// Number cards under `title` as an SVG document, three to a line: each row a card of its label,
/// its first shown value written large and its second (what it is compared with), when there is
/// one, under it — the dashboard's cards as they read on screen.
pub fn cards_svg(title: &str, rows: &[SvgRow]) -> String {
    let mut svg = String::new();
    let top = head(&mut svg, title, cards_height(rows.len()), &[]);
    for (n, row) in rows.iter().enumerate() {
        let x = PAD + (n % CARDS_PER_LINE) as u32 * (CARD_WIDTH + CARD_GAP);
        let y = top + (n / CARDS_PER_LINE) as u32 * (CARD_HEIGHT + CARD_GAP);
        let shown = |n: usize| row.shown.get(n).map_or("", String::as_str);
        let _ = write!(
            svg,
            r##"<rect class="card" x="{x}" y="{y}" width="{CARD_WIDTH}" height="{CARD_HEIGHT}" rx="6" fill="#f9fafb" stroke="#e5e7eb"/><text x="{}" y="{}" fill="#374151">{}</text><text class="card-value" x="{}" y="{}" font-size="22" font-weight="600" fill="#111827">{}</text>"##,
            x + 12,
            y + 22,
            card_text(&row.label, 13),
            x + 12,
            y + 52,
            card_text(shown(0), 22),
        );
        if !shown(1).is_empty() {
            let _ = write!(
                svg,
                r##"<text x="{}" y="{}" font-size="12" fill="#6b7280">{}</text>"##,
                x + 12,
                y + 72,
                card_text(shown(1), 12)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// `text` escaped for a card's line at `font_size`: cut with "…" where it would run past the card
/// (an SVG text does not wrap or clip by itself), the whole of it then kept as its tooltip.
fn card_text(text: &str, font_size: u32) -> String {
    // A character of the sans-serif fonts is on average a little over half the font size wide.
    let room = ((CARD_WIDTH - 24) * 100 / (font_size * 58)) as usize;
    if text.chars().count() <= room {
        return escape(text);
    }
    let cut: String = text.chars().take(room.saturating_sub(1)).collect();
    format!("{}…<title>{}</title>", escape(cut.trim_end()), escape(text))
}

/// The largest value drawn (at least 1, so that nothing divides by 0).
fn largest(rows: &[SvgRow]) -> i64 {
    rows.iter().flat_map(|r| r.values.iter().copied()).max().unwrap_or(0).max(1)
}

/// Opens the document of `height` with its white page, `title` and, for several series, their
/// legend; returns where the chart below them starts.
fn head(svg: &mut String, title: &str, height: u32, series: &[String]) -> u32 {
    // Writing to a String cannot fail.
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="system-ui, sans-serif" font-size="13"><rect width="100%" height="100%" fill="#ffffff"/><text x="{PAD}" y="28" font-size="16" font-weight="600" fill="#111827">{}</text>"##,
        escape(title)
    );
    if series.len() > 1 { legend(svg, TITLE, series) } else { TITLE }
}

/// A line at `y` naming each series beside its colour; returns where the chart below it starts.
fn legend(svg: &mut String, y: u32, series: &[String]) -> u32 {
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
    y + LEGEND
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
    fn a_stacked_bar_lays_its_parts_end_to_end_scaled_to_the_largest_whole() {
        let series = ["Anna".to_owned(), "Boris".to_owned(), "All".to_owned()];
        let svg = stacked_svg(
            "Won by stage",
            &series,
            &[row("Proposal", &[300, 100, 400]), row("Lead", &[0, 200, 200])],
        );
        let room = f64::from(WIDTH - 2 * PAD - VALUE_ROOM);
        // A part of nothing is not drawn.
        assert_eq!(bar_widths(&svg), [room * 0.75, room * 0.25, room * 0.5]);
        let xs: Vec<&str> = svg
            .split(r#"<rect class="bar" x=""#)
            .skip(1)
            .map(|bar| &bar[..bar.find('"').unwrap()])
            .collect();
        let (first, after) = (f64::from(PAD), f64::from(PAD) + room * 0.75);
        assert_eq!(xs, [format!("{first:.1}"), format!("{after:.1}"), format!("{first:.1}")]);
        // The whole at the bar's end; each part says what it is in its tooltip; the legend names
        // the parts, not the whole.
        assert!(svg.contains(">€400</text>") && svg.contains(">€200</text>"), "{svg}");
        assert!(svg.contains("<title>Boris: €100</title>"), "{svg}");
        assert!(svg.contains(">Anna</text>") && !svg.contains(">All</text>"), "{svg}");
        assert!(svg.contains(&format!("height=\"{}\"", stacked_height(2))));
        assert!(svg.ends_with("</svg>"));
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

    /// The points of each series' polyline, as (x, y).
    fn lines(svg: &str) -> Vec<Vec<(f64, f64)>> {
        svg.split(r#"<polyline class="line""#)
            .skip(1)
            .map(|line| {
                let points = line.split(r#"points=""#).nth(1).unwrap();
                points[..points.find('"').unwrap()]
                    .split(' ')
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_line_rises_with_its_values_from_left_to_right_and_names_its_ends_and_its_peak() {
        let series = ["Deals".to_owned(), "Won".to_owned()];
        let rows = [row("Sep", &[2, 0]), row("Oct", &[4, 1]), row("Nov", &[1, -3])];
        let svg = line_svg("By month <all>", &series, &rows);
        let lines = lines(&svg);
        assert_eq!(lines.len(), 2);
        let deals = &lines[0];
        let xs: Vec<f64> = deals.iter().map(|p| p.0).collect();
        assert_eq!(xs, [f64::from(PAD), f64::from(WIDTH) / 2.0, f64::from(WIDTH - PAD)]);
        // Higher values are higher up (smaller y); 0 and below sit on the baseline.
        let bottom = f64::from(LINE_HEIGHT - PAD - LABEL);
        assert!(deals[1].1 < deals[0].1 && deals[0].1 < deals[2].1 && deals[2].1 < bottom);
        assert_eq!(lines[1][0].1, bottom);
        assert_eq!(lines[1][2].1, bottom);
        // The peak of 4 is at the top of the plot; half of it halfway down.
        let top = f64::from(TITLE + LEGEND + LABEL);
        assert_eq!(deals[1].1, top);
        assert_eq!(deals[0].1, (top + bottom) / 2.0);
        assert_eq!(svg.matches("<circle").count(), 6);
        for text in ["By month &lt;all&gt;", "Deals", "Won", "Sep", "Nov", "€4", "€1"] {
            assert!(svg.contains(&format!(">{text}</text>")), "{text} in {svg}");
        }
        // Oct is named only in its points' titles, not under the axis.
        assert!(!svg.contains(">Oct</text>"));
        assert!(svg.contains("<title>Oct: €4</title>"));
        assert!(svg.contains(&format!("height=\"{LINE_HEIGHT}\"")));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn a_line_of_one_point_or_none_is_still_a_drawing() {
        let one = line_svg("Once", &["Deals".to_owned()], &[row("Nov", &[3])]);
        assert_eq!(lines(&one), [vec![(f64::from(PAD), f64::from(TITLE + LABEL))]]);
        assert_eq!(one.matches(">Nov</text>").count(), 1);
        let none = line_svg("Never", &["Deals".to_owned()], &[]);
        assert!(lines(&none).is_empty());
        assert!(none.contains(">Never</text>") && none.ends_with("</svg>"));
    }

    #[test]
    fn a_donut_s_slices_are_their_shares_of_the_whole_clockwise_from_the_top() {
        assert_eq!(shares(&[3, 1, 0, -2]), [Some(0.75), Some(0.25), Some(0.0), Some(0.0)]);
        assert_eq!(shares(&[0, -1]), [None, None]);
        let svg =
            donut_svg("By stage", &[row("Won", &[3]), row("Lost <x>", &[1]), row("None", &[0])]);
        let (cx, cy, r, _) = RING;
        let cy = cy + f64::from(TITLE);
        // Three quarters from the top clockwise round to the left, then the last quarter back up.
        let arcs: Vec<&str> = svg
            .split(r#"<path class="slice" d=""#)
            .skip(1)
            .map(|p| &p[..p.find('"').unwrap()])
            .collect();
        assert_eq!(
            arcs,
            [
                format!("M{cx:.2} {:.2} A{r} {r} 0 1 1 {:.2} {cy:.2}", cy - r, cx - r),
                format!("M{:.2} {cy:.2} A{r} {r} 0 0 1 {cx:.2} {:.2}", cx - r, cy - r),
            ]
        );
        for text in ["By stage", "Won — €3 (75%)", "Lost &lt;x&gt; — €1 (25%)", "None — €0 (0%)"]
        {
            assert!(svg.contains(&format!(">{text}</text>")), "{text} in {svg}");
        }
        assert!(svg.contains(&format!("height=\"{}\"", donut_height(3))));

        // One slice is the whole ring; nothing to share is the bare ring and the legend.
        let whole = donut_svg("One", &[row("All", &[5])]);
        assert_eq!(whole.matches(r#"<circle class="slice""#).count(), 1);
        assert!(!whole.contains("<path"));
        let none = donut_svg("None", &[row("A", &[0])]);
        assert!(!none.contains(r#"class="slice""#));
        assert!(none.contains(">A — €0</text>"));
    }

    #[test]
    fn a_dashboard_s_charts_stack_into_one_file_each_below_the_one_before() {
        let first = bars_svg("One", &["Deals".to_owned()], &[row("A", &[1])]);
        let second = line_svg("Two", &["Deals".to_owned()], &[row("B", &[2])]);
        let first_height = height(1, 1);
        let (svg, total) = stacked(&[(first.clone(), first_height), (second.clone(), LINE_HEIGHT)]);
        assert_eq!(total, first_height + LINE_HEIGHT);
        assert!(svg.starts_with(&format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{total}""#
        )));
        assert!(svg.contains(&format!(r#"<g transform="translate(0 0)">{first}</g>"#)));
        assert!(
            svg.contains(&format!(r#"<g transform="translate(0 {first_height})">{second}</g>"#))
        );
        assert!(svg.ends_with("</g></svg>"));
        assert_eq!(stacked(&[]).1, 0);
    }

    #[test]
    fn number_cards_go_three_to_a_line_each_with_its_value_large_and_its_comparison_under_it() {
        let cards = [
            SvgRow {
                label: "Won".into(),
                values: vec![3],
                shown: vec!["$3,000.00".into(), "▲ $3,000.00".into()],
            },
            SvgRow {
                label: "Win rate".into(),
                values: vec![66],
                shown: vec!["66 %".into(), String::new()],
            },
            row("Open", &[13]),
            SvgRow { label: "A & B".into(), values: vec![1], shown: vec!["1".into()] },
        ];
        let svg = cards_svg("Key figures", &cards);
        assert!(svg.contains(&format!("height=\"{}\"", cards_height(4))));
        assert_eq!(cards_height(4), TITLE + 2 * (CARD_HEIGHT + CARD_GAP) + PAD);
        assert_eq!(cards_height(3), TITLE + CARD_HEIGHT + CARD_GAP + PAD);
        // Placed left to right, then on the next line.
        let places: Vec<(String, String)> = svg
            .split(r#"<rect class="card" "#)
            .skip(1)
            .map(|card| {
                let attribute = |name: &str| {
                    let value = card.split(&format!("{name}=\"")).nth(1).unwrap();
                    value[..value.find('"').unwrap()].to_owned()
                };
                (attribute("x"), attribute("y"))
            })
            .collect();
        let (second, line) = (PAD + CARD_WIDTH + CARD_GAP, TITLE + CARD_HEIGHT + CARD_GAP);
        assert_eq!(
            places,
            [
                (PAD.to_string(), TITLE.to_string()),
                (second.to_string(), TITLE.to_string()),
                ((second + CARD_WIDTH + CARD_GAP).to_string(), TITLE.to_string()),
                (PAD.to_string(), line.to_string()),
            ]
        );
        assert!(svg.contains(r##"font-weight="600" fill="#111827">$3,000.00</text>"##), "{svg}");
        assert!(svg.contains(">▲ $3,000.00</text>"), "{svg}");
        // No comparison, no line for it; text escaped.
        assert_eq!(svg.matches(r#"font-size="12""#).count(), 1, "{svg}");
        assert!(svg.contains(">A &amp; B</text>"), "{svg}");
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn a_card_cuts_what_would_run_past_its_edge_and_keeps_the_whole_as_its_tooltip() {
        let long = "▲ $13,000.00 on the period before & more";
        let svg = cards_svg(
            "Key figures",
            &[SvgRow {
                label: "Won".into(),
                values: vec![13_000],
                shown: vec!["$13,000.00".into(), long.into()],
            }],
        );
        let comparison = svg.split(r##"font-size="12" fill="#6b7280">"##).nth(1).unwrap();
        let (drawn, rest) = comparison.split_once("<title>").unwrap();
        assert!(drawn.ends_with('…'), "{svg}");
        // What is drawn fits the card at the font's average width.
        let width = drawn.chars().count() as u32 * 12 * 58 / 100;
        assert!(width <= CARD_WIDTH - 24, "{drawn}: {width} px");
        assert!(rest.starts_with("▲ $13,000.00 on the period before &amp; more</title></text>"));
        // A value that fits is drawn whole, without a tooltip.
        assert!(svg.contains(">$13,000.00</text>"), "{svg}");
        assert_eq!(svg.matches("<title>").count(), 1);
        assert_eq!(cards_height(0), TITLE + PAD);
    }

    #[test]
    fn a_chart_of_nothing_is_a_title_on_a_blank_page() {
        let svg = bars_svg("Lost reasons", &["Deals".to_owned()], &[]);
        assert!(bar_widths(&svg).is_empty());
        assert!(svg.contains(&format!("height=\"{}\"", TITLE + PAD)));
    }
}
