//! Config text: the shipped example config and the demo's, mutated (bytes
//! cut, lines dropped or doubled, TOML punctuation and values spliced in).
//! `config::parse` must answer with a config or with errors that name a
//! line, never panic.

use std::path::Path;

use proptest::prelude::*;

const SEEDS: [&str; 2] = [
    include_str!("../../config/hypercare.example.toml"),
    include_str!("../../src/demo/templates/config.toml"),
];

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, String),
    Cut(usize, usize),
    DropLine(usize),
    DoubleLine(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let piece = prop_oneof![
        "[\\[\\]{}=,.\"'#\\n a-z_0-9-]{0,12}",
        Just("\"\"\"".to_string()),
        Just("= 1e999999999".to_string()),
        Just("= -9223372036854775809".to_string()),
        Just("= \"999999999999999d\"".to_string()),
        Just("= \"0s\"".to_string()),
        Just("[[reconcile]]\n".to_string()),
        Just("= [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_string()),
        Just("\u{0}\u{fffd}\u{202e}".to_string()),
    ];
    prop_oneof![
        (any::<usize>(), piece).prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<usize>(), 0usize..64).prop_map(|(at, n)| Edit::Cut(at, n)),
        any::<usize>().prop_map(Edit::DropLine),
        any::<usize>().prop_map(Edit::DoubleLine),
    ]
}

fn boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(mut text: String, e: &Edit) -> String {
    match e {
        Edit::Insert(at, piece) => {
            let i = boundary(&text, *at);
            text.insert_str(i, piece);
            text
        }
        Edit::Cut(at, n) => {
            let i = boundary(&text, *at);
            let j = boundary(&text, i.saturating_add(*n).min(text.len()));
            text.replace_range(i..j.max(i), "");
            text
        }
        Edit::DropLine(k) | Edit::DoubleLine(k) => {
            let mut lines: Vec<&str> = text.lines().collect();
            if lines.is_empty() {
                return text;
            }
            let k = k % lines.len();
            if matches!(e, Edit::DropLine(_)) {
                lines.remove(k);
            } else {
                lines.insert(k, lines[k]);
            }
            lines.join("\n")
        }
    }
}

proptest! {
    #[test]
    fn mutated_config_text_is_parsed_or_refused_with_a_line(
        seed in 0usize..SEEDS.len(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let text = edits.iter().fold(SEEDS[seed].to_string(), apply);
        let env = |name: &str| (name.ends_with("_PASSWORD") || name.ends_with("_TOKEN")).then(|| "s3cret-value".to_string());
        if let Err(errors) = hypercare::config::parse(&text, Path::new("fuzz.toml"), &env) {
            let shown = errors.to_string();
            prop_assert!(!shown.is_empty());
        }
    }
}
