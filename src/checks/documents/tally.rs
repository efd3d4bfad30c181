//! From per-document outcomes to the run's result: figures per kind and
//! reason, coverage of the cycle, the capped list of failing ids (details
//! only), the ledger update, a verdict against the tolerance, and a summary
//! of counts and config names only.

use std::collections::BTreeMap;

use super::kinds::KindMap;
use super::plan::{Picked, Selection};
use super::verify::Checked;
use crate::checks::RunOutput;
use crate::config::ClinicCodes;
use crate::config::documents::DocumentsConfig;
use crate::results::{
    CheckResult, Details, DocumentFailure, DocumentsDetails, KindFigures, LedgerEntry,
    LedgerUpdate, Outcome,
};

/// What the run found so far, kind by kind.
struct Tally<'a> {
    kinds: &'a KindMap,
    d: DocumentsDetails,
    figures: Vec<KindFigures>,
    /// Per kind: documents (and contents) checked within the cycle.
    covered: Vec<(u64, u64)>,
    failures: Vec<DocumentFailure>,
    update: LedgerUpdate,
    /// Attributes documents to clinics (`None`: no codes, or no document
    /// of the sample names a clinic).
    codes: Option<&'a ClinicCodes>,
}

pub(crate) fn verdict(
    cfg: &DocumentsConfig,
    kinds: &KindMap,
    selection: Selection,
    outcomes: Vec<(usize, Checked)>,
    (now_ms, codes): (i64, &ClinicCodes),
) -> RunOutput {
    let named = selection.picked.iter().any(|p| p.doc.clinic.is_some());
    let mut t = Tally {
        codes: (named && !codes.is_empty()).then_some(codes),
        kinds,
        figures: selection
            .kinds
            .iter()
            .map(|k| KindFigures {
                inventory: k.inventory,
                ..KindFigures::default()
            })
            .collect(),
        covered: selection
            .kinds
            .iter()
            .map(|k| (k.covered, k.content_covered))
            .collect(),
        d: DocumentsDetails {
            inventory: selection.kinds.iter().map(|k| k.inventory).sum(),
            skipped: selection.skipped,
            cycle_seconds: cfg.cycle.as_secs(),
            tolerance: cfg.tolerance.to_string(),
            ..DocumentsDetails::default()
        },
        failures: Vec::new(),
        update: LedgerUpdate {
            upserts: Vec::with_capacity(outcomes.len()),
            removed: selection.removed,
        },
    };
    let mut picked = selection.picked;
    for (i, checked) in outcomes {
        t.add(&mut picked[i], checked, now_ms);
    }
    t.finish(cfg)
}

impl Tally<'_> {
    /// Counts one checked document and records its new ledger state.
    fn add(&mut self, p: &mut Picked, checked: Checked, now_ms: i64) {
        let kind = p.doc.kind.unwrap_or(self.kinds.other());
        let k = usize::from(kind);
        let (d, f) = (&mut self.d, &mut self.figures[k]);
        f.checked += 1;
        d.checked += 1;
        if checked.content {
            f.content_checked += 1;
            d.content_checked += 1;
        }
        d.rechecked += u64::from(p.prior.is_some_and(|p| p.reason.is_some()));
        d.new += u64::from(p.prior.is_none());
        self.covered[k].0 += u64::from(!p.covered);
        self.covered[k].1 += u64::from(checked.content && !p.content_covered);
        let reason = checked.failure.as_ref().map(|(r, _)| *r);
        if let Some(codes) = self.codes {
            let clinic = codes.clinic_of(p.doc.clinic.as_deref());
            d.by_clinic
                .entry(clinic.to_string())
                .or_default()
                .add(reason);
        }
        if let Some((r, detail)) = checked.failure {
            f.failed += 1;
            d.failed += 1;
            *f.by_reason.entry(r).or_default() += 1;
            *d.by_reason.entry(r).or_default() += 1;
            self.failures.push(DocumentFailure {
                id: p.doc.id.to_string(),
                kind: self.kinds.name(kind).to_string(),
                reason: r,
                detail,
            });
        }
        let content_ms = if checked.content {
            now_ms
        } else {
            p.prior.map_or(0, |p| p.content_ms)
        };
        self.update.upserts.push((
            // The document is done with: its id moves into the update.
            std::mem::take(&mut p.doc.id).into(),
            LedgerEntry {
                checked_ms: now_ms,
                content_ms,
                reason,
            },
        ));
    }

    /// Coverage, the capped failure list, the verdict and the summary.
    fn finish(mut self, cfg: &DocumentsConfig) -> RunOutput {
        let ratio = |n: u64, of: u64| if of == 0 { 1.0 } else { n as f64 / of as f64 };
        for (k, f) in self.figures.iter_mut().enumerate() {
            f.coverage = ratio(self.covered[k].0, f.inventory);
            f.content_coverage = ratio(self.covered[k].1, f.inventory);
        }
        let d = &mut self.d;
        let (all, all_content) = self
            .covered
            .iter()
            .fold((0, 0), |(a, b), (c, e)| (a + c, b + e));
        d.coverage = ratio(all, d.inventory);
        d.content_coverage = ratio(all_content, d.inventory);
        let mut failures = self.failures;
        failures.sort_by(|a, b| (a.reason, &a.id).cmp(&(b.reason, &b.id)));
        d.failures_omitted = failures.len().saturating_sub(cfg.max_failures) as u64;
        failures.truncate(cfg.max_failures);
        d.failures = failures;
        // Kinds with no documents are left out, `_other` included.
        let kinds = self.kinds;
        d.kinds = self
            .figures
            .into_iter()
            .enumerate()
            .filter(|(_, f)| f.inventory > 0)
            .map(|(k, f)| (kinds.name(k as u16).to_string(), f))
            .collect::<BTreeMap<_, _>>();
        let outcome = if cfg.tolerance.exceeded(d.checked as i64, d.failed as i64) {
            Outcome::Fail
        } else {
            Outcome::Pass
        };
        let result = CheckResult {
            outcome,
            summary: summary(d),
            details: Details::Documents(self.d),
        };
        RunOutput {
            result,
            ledger: Some(self.update),
        }
    }
}

/// Counts and reason names only: no document id, no location.
fn summary(d: &DocumentsDetails) -> String {
    let reasons = d
        .by_reason
        .iter()
        .map(|(r, n)| format!("{} {n}", r.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let failed = if d.failed == 0 {
        "none failed".to_string()
    } else {
        format!("{} failed ({reasons})", d.failed)
    };
    format!(
        "checked {} of {} documents ({} with content): {failed}; cycle coverage {:.1}%",
        d.checked,
        d.inventory,
        d.content_checked,
        d.coverage * 100.0
    )
}
