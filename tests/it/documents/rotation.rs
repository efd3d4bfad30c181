//! The rotation across runs, with its ledger in a real store (SQLite, and
//! PostgreSQL when configured): failed documents are rechecked first, new
//! ones come next, the whole inventory is covered, and documents that left
//! the inventory leave the ledger.

use hypercare::checks::RunOutput;
use hypercare::config::{Secret, StoreConfig};
use hypercare::results::{CheckResult, Ledger, Reason};
use hypercare::store::Store;

use super::fixtures::{Row, config, details, expect, failures, inventory_db, pdf};
use crate::helpers::{exec, fresh_postgres};

async fn open(url: &str) -> Store {
    Store::open(&StoreConfig {
        url: Secret::new(url),
        retention: std::time::Duration::from_secs(3600),
        max_connections: 2,
    })
    .await
    .expect("open store")
}

/// A scheduled run's output, read as its result where a result is asked for.
struct Scheduled(RunOutput);

impl std::ops::Deref for Scheduled {
    type Target = CheckResult;
    fn deref(&self) -> &CheckResult {
        &self.0.result
    }
}

/// One scheduled run as the scheduler does it: load, run, save.
async fn scheduled(store: &Store, text: &str) -> Scheduled {
    let ledger: Ledger = store.load_ledger("docs").await.expect("load ledger");
    let out = super::fixtures::run_output(text, ledger).await;
    let update = out.ledger.as_ref().expect("a ledger update");
    store
        .save_ledger("docs", update)
        .await
        .expect("save ledger");
    Scheduled(out)
}

fn picked_ids(r: &Scheduled) -> Vec<String> {
    let mut ids: Vec<String> =
        r.0.ledger
            .as_ref()
            .map(|u| u.upserts.iter().map(|(id, _)| id.clone()).collect())
            .unwrap_or_default();
    ids.sort();
    ids
}

async fn scenario(store: Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).expect("mkdir");
    let ids = ["d1", "d2", "d3", "d4", "d5", "d6", "d7"];
    for id in ids {
        if id != "d3" {
            std::fs::write(docs.join(format!("{id}.pdf")), pdf(id)).expect("write");
        }
    }
    let rows: Vec<Row> = ids
        .iter()
        .map(|id| Row::good(id, format!("{id}.pdf"), "application/pdf", &pdf(id)))
        .collect();
    let db = inventory_db(dir.path(), &rows).await;
    let text = config(
        &db,
        &format!(
            "sample = 3\ncontent_share = 0.34\ncycle = \"1h\"\nstorage = {{ base = \"{}\" }}",
            docs.display()
        ),
    );

    let r1 = scheduled(&store, &text).await;
    assert_eq!(
        picked_ids(&r1),
        ["d1", "d2", "d3"],
        "new documents in inventory order"
    );
    assert_eq!(failures(details(&r1)), expect(&[("d3", Reason::NotFound)]));
    assert_eq!((details(&r1).new, details(&r1).rechecked), (3, 0));
    assert!((details(&r1).coverage - 3.0 / 7.0).abs() < 1e-9);
    assert_eq!(details(&r1).content_checked, 2, "ceil(34 % of 3)");

    let r2 = scheduled(&store, &text).await;
    assert_eq!(
        picked_ids(&r2),
        ["d3", "d4", "d5"],
        "the failed one first, then new ones"
    );
    assert_eq!((details(&r2).new, details(&r2).rechecked), (2, 1));
    assert!((details(&r2).coverage - 5.0 / 7.0).abs() < 1e-9);

    let r3 = scheduled(&store, &text).await;
    assert_eq!(picked_ids(&r3), ["d3", "d6", "d7"]);
    assert_eq!(details(&r3).coverage, 1.0, "the cycle is covered");

    // The document comes back: its recheck passes; the oldest checks go next.
    std::fs::write(docs.join("d3.pdf"), pdf("d3")).expect("write");
    let r4 = scheduled(&store, &text).await;
    assert_eq!(picked_ids(&r4), ["d1", "d2", "d3"]);
    assert_eq!(details(&r4).failed, 0, "{}", r4.summary);

    // A document leaves the inventory: it leaves the ledger too.
    exec(&db, "DELETE FROM docs WHERE id = 'd7'").await;
    scheduled(&store, &text).await;
    let ledger = store.load_ledger("docs").await.expect("load");
    assert_eq!(ledger.entries.len(), 6);
    assert!(!ledger.entries.contains_key("d7"));
    assert_eq!(ledger.entries["d3"].reason, None);
    assert!(ledger.entries.values().all(|e| e.checked_ms > 0));
}

#[tokio::test]
async fn rotation_rechecks_failures_first_then_new_documents_and_covers_the_cycle_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    scenario(open(&format!("sqlite://{}/store.db", dir.path().display())).await).await;
}

#[tokio::test]
async fn rotation_rechecks_failures_first_then_new_documents_and_covers_the_cycle_on_postgres() {
    let Some(url) = fresh_postgres("documents_rotation").await else {
        return;
    };
    scenario(open(&url).await).await;
}
