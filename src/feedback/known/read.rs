//! Reading known issues: lists for triage and the API, what staff of a
//! clinic and role see, the taps they make, and the gauges.

use super::{Event, KnownDetail, KnownIssue, KnownIssues, Tapped, now_ms};
use crate::store::{NewTap, StoreError};

impl KnownIssues {
    /// Known issues (those affecting `clinic` if given), newest first.
    pub async fn list(
        &self,
        clinic: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<KnownIssue>, StoreError> {
        let rows = self.store.list_known(clinic, open_only).await?;
        Ok(rows.into_iter().map(|r| self.view(r)).collect())
    }

    /// What staff of a clinic and role see: open issues, and those fixed
    /// within the grace (so they learn to stop working around them).
    pub async fn for_staff(
        &self,
        clinic: Option<&str>,
        role: Option<&str>,
    ) -> Result<Vec<KnownIssue>, StoreError> {
        let recent = now_ms().saturating_sub(self.grace_ms());
        let all = self.list(clinic, false).await?;
        Ok(all
            .into_iter()
            .filter(|i| i.concerns_role(role))
            .filter(|i| {
                i.status().is_some_and(|s| s.is_open())
                    || i.still_worked_around
                    || changed_after(i, recent)
            })
            .collect())
    }

    pub async fn get(&self, id: i64) -> Result<Option<KnownDetail>, StoreError> {
        let Some(row) = self.store.get_known(id).await? else {
            return Ok(None);
        };
        let reports = self.store.known_reports(id).await?;
        let events = self.store.known_events(id).await?;
        Ok(Some(KnownDetail {
            issue: self.view(row),
            reports,
            events: events.into_iter().map(Event::from).collect(),
        }))
    }

    /// Records an "affects me too" tap; it is committed when this returns.
    pub async fn tap(
        &self,
        id: i64,
        tap_id: &str,
        clinic: Option<&str>,
        role: &str,
    ) -> Result<Tapped, StoreError> {
        let t = NewTap {
            tap_id,
            issue_id: id,
            clinic,
            role,
            at_ms: now_ms(),
        };
        let done = self.store.insert_tap(&t).await?;
        if let (Tapped::New, Some(m)) = (done, &self.metrics)
            && let Some(d) = self.store.get_known(id).await?
        {
            m.count_tap(clinic, role, &d.status, d.training);
        }
        Ok(done)
    }

    /// Reads every issue into the gauges.
    pub async fn refresh(&self) {
        let Some(m) = &self.metrics else { return };
        match self.list(None, false).await {
            Ok(all) => {
                let shown: Vec<_> = all
                    .into_iter()
                    .map(|i| (i.clinics, i.status, i.still_worked_around))
                    .collect();
                m.show(&shown);
            }
            Err(e) => tracing::warn!(error = %e, "cannot read known issues for the gauges"),
        }
    }
}

fn changed_after(i: &KnownIssue, ms: i64) -> bool {
    chrono::DateTime::parse_from_rfc3339(&i.status_changed_at)
        .is_ok_and(|t| t.timestamp_millis() >= ms)
}
