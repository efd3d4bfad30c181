use super::*;

fn row(k: &str, v: Option<&str>) -> TextRow {
    vec![Some(k.to_string()), v.map(str::to_string)]
}

fn sorted_keys(
    dir: &Path,
    budget: usize,
    kinds: &[KeyKind],
    keys: &[String],
) -> (Vec<String>, usize) {
    let mut s = Spill::new(dir, budget, kinds);
    for (i, k) in keys.iter().enumerate() {
        s.push(row(k, (i % 3 != 0).then_some("é value"))).unwrap();
    }
    let runs = s.runs();
    let out = s
        .finish()
        .unwrap()
        .map(|r| r.unwrap()[0].clone().unwrap())
        .collect();
    (out, runs)
}

#[test]
fn spilled_runs_merge_into_key_order_and_their_files_go() {
    let parent = tempfile::tempdir().unwrap();
    let keys: Vec<String> = (0..5000).map(|i| ((i * 7919) % 5000).to_string()).collect();
    let mut want = keys.clone();
    want.sort_by_key(|a| a.parse::<i64>().unwrap());
    // About 130 rows a run: far more runs than merge at once, so the first
    // ones were merged into one on the way.
    let (got, runs) = sorted_keys(parent.path(), 20_000, &[KeyKind::Int], &keys);
    assert!((2..MAX_RUNS).contains(&runs), "{runs} runs");
    assert_eq!(got, want);
    // In memory when it fits: same order, no files.
    let (got, runs) = sorted_keys(parent.path(), usize::MAX, &[KeyKind::Int], &keys);
    assert_eq!((runs, got), (0, want));
    assert_eq!(
        std::fs::read_dir(parent.path()).unwrap().count(),
        0,
        "folder removed after the read"
    );
}

#[test]
fn values_and_nulls_survive_the_disk_and_a_drop_removes_the_folder() {
    let parent = tempfile::tempdir().unwrap();
    let mut s = Spill::new(parent.path(), 1, &[KeyKind::Text]);
    s.push(row("b", None)).unwrap();
    s.push(row("a", Some("x\ny"))).unwrap();
    s.push(vec![None, Some(String::new())]).unwrap();
    assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 1);
    let rows: Vec<TextRow> = s.finish().unwrap().map(Result::unwrap).collect();
    assert_eq!(
        rows,
        vec![
            vec![None, Some(String::new())],
            row("a", Some("x\ny")),
            row("b", None)
        ]
    );
    // Cancelled half way: dropping the spill removes its files.
    let mut s = Spill::new(parent.path(), 1, &[KeyKind::Text]);
    s.push(row("a", None)).unwrap();
    assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 1);
    drop(s);
    assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
}

#[test]
fn a_row_costs_its_heap_blocks() {
    // The slot, a block of 2 x 24 bytes, two blocks for short texts.
    let r = row("42", Some("Nguyen"));
    assert_eq!(row_bytes(&r), 24 + 64 + 32 + 32);
    assert_eq!(row_bytes(&vec![None]), 24 + 48);
}
