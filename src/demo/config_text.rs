//! The config the demo writes and runs with: a readable example in itself.

use std::path::Path;

pub fn render(dir: &Path, listen: &str) -> String {
    let d = dir.display();
    let now = chrono::Utc::now();
    let stamp =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let silence_start = stamp(now - chrono::Duration::minutes(1));
    let silence_end = stamp(now + chrono::Duration::hours(8));
    super::template::fill(
        include_str!("templates/config.toml"),
        &[
            ("d", d.to_string()),
            ("listen", listen.to_string()),
            ("silence_end", silence_end.to_string()),
            ("silence_start", silence_start.to_string()),
        ],
    )
}
