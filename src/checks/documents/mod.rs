//! Document accessibility: is every migrated document reachable, intact and
//! linked to a patient the target has?
//!
//! A run reads the inventory (a SQL query or FHIR `DocumentReference`
//! searches), picks its sample by rotation ([`plan`]: failed documents
//! first, then never-checked ones, then the least recently checked), checks
//! the patient and encounter links in bulk ([`links`]), then checks each
//! document with bounded concurrency and a per-host request rate
//! ([`storage`]): reachability for all, content (streamed, hashed, sniffed)
//! for a smaller share ([`verify`]). Every failure has one [`Reason`].
//!
//! The rotation state comes in as a [`Ledger`] (loaded by the scheduler from
//! the store) and goes out in the result's details; the check never sees the store.

mod allow;
mod files;
#[cfg(test)]
mod fuzz;
mod http;
mod inventory;
mod kinds;
mod links;
mod plan;
mod s3;
mod sniff;
mod storage;
mod stream;
mod tally;
mod verify;

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;

use crate::checks::{Check, CheckMeta, RunInput, RunOutput};
use crate::config::ClinicCodes;
use crate::config::documents::{DocumentsConfig, Inventory, Links};
use crate::results::{CheckResult, Details, DocumentsDetails, Ledger, Reason};
use crate::sources::{FhirSource, Sources, SqlSource};

pub use sniff::{Sniffed, sniff};

/// A document failure: its reason and what was seen (no record values).
pub(crate) type Failure = (Reason, String);

/// Where the inventory is read from.
pub(crate) enum InventorySource {
    Sql(Arc<SqlSource>, String),
    Fhir(Arc<FhirSource>, Vec<(String, String)>),
}

/// Where links are looked up.
pub(crate) enum LinkSource {
    Sql {
        source: Arc<SqlSource>,
        patients: String,
        encounters: Option<String>,
    },
    Fhir(Arc<FhirSource>),
}

pub struct DocumentsCheck {
    meta: CheckMeta,
    cfg: Arc<DocumentsConfig>,
    inventory: Option<InventorySource>,
    links: Option<LinkSource>,
    /// Links are configured but their source is not (an error at run time).
    links_missing: bool,
    kinds: kinds::KindMap,
    storage: Arc<storage::Storage>,
    /// Which clinic each document's `clinic` value stands for.
    codes: Arc<ClinicCodes>,
}

impl DocumentsCheck {
    pub fn new(
        meta: CheckMeta,
        cfg: &DocumentsConfig,
        sources: &Sources,
        codes: Arc<ClinicCodes>,
    ) -> Self {
        let inventory = match &cfg.inventory {
            Inventory::Sql { from, sql } => sources
                .sql(from)
                .map(|s| InventorySource::Sql(s, sql.clone())),
            Inventory::Fhir { from, params } => sources
                .fhir(from)
                .map(|s| InventorySource::Fhir(s, params.clone())),
        };
        let links = match &cfg.links {
            None => None,
            Some(Links::Sql {
                from,
                patients,
                encounters,
            }) => sources.sql(from).map(|source| LinkSource::Sql {
                source,
                patients: patients.clone(),
                encounters: encounters.clone(),
            }),
            Some(Links::Fhir { from }) => sources.fhir(from).map(LinkSource::Fhir),
        };
        let fhir = match &inventory {
            Some(InventorySource::Fhir(s, _)) => Some(s.clone()),
            _ => None,
        };
        DocumentsCheck {
            meta,
            codes,
            links_missing: cfg.links.is_some() && links.is_none(),
            kinds: kinds::KindMap::new(&cfg.kinds),
            storage: Arc::new(storage::Storage::new(cfg, fhir)),
            inventory,
            links,
            cfg: Arc::new(cfg.clone()),
        }
    }
}

#[async_trait]
impl Check for DocumentsCheck {
    fn meta(&self) -> &CheckMeta {
        &self.meta
    }

    /// Without a stored ledger (`hypercare check`), every document is new.
    #[tracing::instrument(skip_all, fields(check = %self.meta.name))]
    async fn run(&self, input: RunInput) -> RunOutput {
        let ledger = input.memory.map(|m| m.ledger).unwrap_or_default();
        self.rotate(ledger).await
    }
}

impl DocumentsCheck {
    /// One run of the rotation, from the state earlier runs left.
    async fn rotate(&self, ledger: Ledger) -> RunOutput {
        let Some(source) = &self.inventory else {
            let what = format!(
                "inventory source `{}` is not configured",
                self.cfg.inventory.from()
            );
            return error(what.clone(), what).into();
        };
        if self.links_missing {
            let what = "the links source is not configured".to_string();
            return error(what.clone(), what).into();
        }
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut plan = plan::Plan::new(&self.cfg, &self.kinds, ledger, now_ms);
        let mut skipped = inventory::Skipped::new();
        let read = inventory::read(
            source,
            &self.kinds,
            &self.cfg.skip_status,
            &mut skipped,
            |doc| plan.offer(doc),
        )
        .await;
        if let Err(e) = read {
            let class = e.class();
            tracing::warn!(error = class, "document inventory could not be read");
            return error(
                format!("the inventory could not be read: {class}"),
                e.to_string(),
            )
            .into();
        }
        let mut selection = plan.finish();
        selection.skipped = skipped;
        let found = match &self.links {
            None => links::Found::everything(),
            Some(l) => match links::lookup(l, &selection.picked).await {
                Ok(found) => found,
                Err(e) => {
                    let class = e.class();
                    return error(
                        format!("the patient and encounter links could not be looked up: {class}"),
                        e.to_string(),
                    )
                    .into();
                }
            },
        };
        let outcomes = check_all(
            &self.storage,
            &selection.picked,
            &found,
            self.cfg.concurrency,
        )
        .await;
        tally::verdict(
            &self.cfg,
            &self.kinds,
            selection,
            outcomes,
            (now_ms, &self.codes),
        )
    }
}

/// Checks every picked document, `concurrency` at a time; outcomes come
/// back with the index of their document.
async fn check_all(
    storage: &storage::Storage,
    picked: &[Box<plan::Picked>],
    found: &links::Found,
    concurrency: usize,
) -> Vec<(usize, verify::Checked)> {
    let mut outcomes = Vec::with_capacity(picked.len());
    let mut checks = futures_util::stream::iter(0..picked.len())
        .map(|i| async move { (i, verify::check(storage, &picked[i], found).await) })
        .buffer_unordered(concurrency);
    while let Some(outcome) = checks.next().await {
        outcomes.push(outcome);
    }
    outcomes
}

/// An `error` result: the summary names the failure's class only (a
/// database message can quote record values); the detail keeps the message.
fn error(summary: String, detail: String) -> CheckResult {
    CheckResult::error(
        summary,
        Details::Documents(DocumentsDetails {
            error: Some(detail),
            ..Default::default()
        }),
    )
}
