//! The demo's config is written from templates (`templates/*.toml`): plain
//! TOML, readable as an example, with `@@name@@` where a value of this run
//! goes (a folder, an address, a date). `{{…}}` is left alone: it is the
//! config's own workflow templating.

/// The template with each `@@name@@` replaced by its value.
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| {
            text.replace(&format!("@@{name}@@"), value)
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_placeholder_of_every_template_is_filled() {
        for (template, names) in [
            (
                include_str!("templates/config.toml"),
                &["d", "listen", "silence_start", "silence_end"][..],
            ),
            (include_str!("templates/workflows.toml"), &["addr"]),
            (include_str!("templates/lab_interface.toml"), &["addr"]),
            (
                include_str!("templates/documents.toml"),
                &["d", "kinds", "base"],
            ),
            (
                include_str!("templates/stabilization.toml"),
                &["d", "wave1", "wave2"],
            ),
        ] {
            // Each value as the demo gives it: a word, or the body of an inline table.
            let value = |n: &str| if n == "kinds" { "a = []" } else { "x" }.to_string();
            let values: Vec<(&str, String)> = names.iter().map(|n| (*n, value(n))).collect();
            let text = super::fill(template, &values);
            assert!(!text.contains("@@"), "{text}");
            assert!(text.parse::<toml::Table>().is_ok(), "{text}");
        }
    }
}
