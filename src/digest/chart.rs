//! The digest's 14-day chart: one bar per day, its height the share of exit
//! criteria met that day; green when all were met, amber when some, grey
//! with no data. Drawn with plotters on a bitmap and encoded as PNG in
//! memory; no text is drawn, so no font is needed (the mail says what the
//! bars are). The status page draws the same bars as inline SVG.

use plotters::prelude::*;

pub const GREEN: (u8, u8, u8) = (26, 127, 55);
pub const AMBER: (u8, u8, u8) = (191, 135, 0);
pub const GREY: (u8, u8, u8) = (208, 215, 222);

/// One day's bar: criteria met and criteria judged (0 judged: no data).
pub type Bar = (u32, u32);

fn colour(b: Bar) -> (u8, u8, u8) {
    match b {
        (_, 0) => GREY,
        (m, n) if m >= n => GREEN,
        _ => AMBER,
    }
}

/// Height share of a bar, with a stub for days without data.
fn share(b: Bar) -> f64 {
    match b {
        (_, 0) => 0.04,
        (m, n) => (f64::from(m) / f64::from(n)).max(0.04),
    }
}

/// Why a chart could not be drawn (plotters' errors are generic over the
/// backend, so they are kept as text).
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("{0}")]
    Draw(String),
    #[error("cannot encode the PNG: {0}")]
    Encode(#[from] png::EncodingError),
}

fn drawn(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// A PNG of the bars, `width`×`height` pixels.
pub fn png(bars: &[Bar], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut rgb = vec![0u8; (width * height * 3) as usize];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        area.fill(&WHITE).map_err(drawn)?;
        let n = bars.len().max(1) as i32;
        let (w, h) = (width as i32, height as i32);
        let base = h - 4;
        // The baseline and a faint line at "all met".
        area.draw(&PathElement::new(
            vec![(0, base), (w, base)],
            RGBColor(140, 149, 159),
        ))
        .map_err(drawn)?;
        area.draw(&PathElement::new(
            vec![(0, 6), (w, 6)],
            RGBColor(234, 238, 242),
        ))
        .map_err(drawn)?;
        let slot = w / n;
        for (i, b) in bars.iter().enumerate() {
            let x0 = i as i32 * slot + slot / 6;
            let x1 = (i as i32 + 1) * slot - slot / 6;
            let top = base - ((f64::from(base - 6)) * share(*b)).round() as i32;
            let (r, g, bl) = colour(*b);
            area.draw(&Rectangle::new(
                [(x0, top), (x1, base)],
                RGBColor(r, g, bl).filled(),
            ))
            .map_err(drawn)?;
        }
        area.present().map_err(drawn)?;
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok(out)
}

/// The same bars as a small inline SVG (status page).
pub fn svg(bars: &[Bar], width: u32, height: u32) -> String {
    let n = bars.len().max(1) as f64;
    let slot = f64::from(width) / n;
    let base = f64::from(height) - 2.0;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="criteria met per day, last {} days">"#,
        bars.len()
    );
    for (i, b) in bars.iter().enumerate() {
        let h = (base - 2.0) * share(*b);
        let (r, g, bl) = colour(*b);
        s.push_str(&format!(
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="rgb({r},{g},{bl})"/>"#,
            i as f64 * slot + slot * 0.15,
            base - h,
            slot * 0.7,
            h
        ));
    }
    s.push_str(&format!(
        r##"<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#8c959f"/></svg>"##
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_a_png_of_the_asked_size() {
        let bars = [(0, 0), (2, 5), (5, 5)];
        let png = png(&bars, 280, 60).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = ::png::Decoder::new(std::io::Cursor::new(&png));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (280, 60));
        let svg = svg(&bars, 140, 30);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("rgb(26,127,55)"));
    }
}
