//! The demo's documents: its own server and folder, its planted failures
//! found once each with their reasons when the whole inventory is checked.

use hypercare::checks::RunInput;
use hypercare::demo::documents_data::{DOCUMENTS, PLANTED};
use hypercare::results::{Ledger, Reason};

use super::fixtures::{details, failures};

#[tokio::test]
async fn the_demo_serves_its_documents_and_its_check_finds_what_was_planted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = hypercare::demo::prepare(&dir.path().join("demo"), "127.0.0.1:0")
        .await
        .expect("demo prepared");
    assert!(
        cfg.documents
            .iter()
            .any(|d| d.name.as_str() == "demo_documents")
    );
    // The whole inventory, every document down to its bytes, in one run.
    let text = std::fs::read_to_string(&cfg.path)
        .expect("config")
        .replace("sample = 24", "sample = 1000")
        .replace("content_share = 0.5", "content_share = 1.0");
    let cfg = hypercare::config::parse(&text, &cfg.path, &|_| None).expect("valid");
    let sources = hypercare::sources::Sources::from_config(&cfg).expect("sources");
    let check = hypercare::checks::select(
        hypercare::checks::build_all(&cfg, &sources),
        &["demo_documents".to_string()],
    )
    .expect("the check")
    .remove(0);
    let result = check
        .run(RunInput::remembering(None, Ledger::default()))
        .await
        .result;
    let d = details(&result);
    let expected = PLANTED
        .iter()
        .map(|(n, r)| {
            (
                format!("doc-{n:04}"),
                r.parse::<Reason>().expect("a reason"),
            )
        })
        .collect();
    assert_eq!(failures(d), expected, "{}", result.summary);
    assert_eq!(
        d.inventory as usize,
        DOCUMENTS - 1,
        "one superseded version is skipped"
    );
    assert_eq!(d.skipped.get("superseded"), Some(&1));
    assert_eq!(
        d.kinds.len(),
        7,
        "every document kind: {:?}",
        d.kinds.keys()
    );
    sources.close().await;
}
