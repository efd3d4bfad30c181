//! Reading known issues: lists for triage and the API, what staff of a
//! clinic and role see, the taps they make, and the gauges.

use super::{Event, KnownDetail, KnownIssue, KnownIssues, Tapped, now_ms};
use crate::derive::staff::StaffFacts;
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
        let mut all = self.list(clinic, false).await?;
        if let Some(c) = clinic {
            self.worked_around_at(c, &mut all).await?;
        }
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

    /// "Still worked around" as this clinic's staff do it: an issue fixed
    /// for all that only another clinic still works around is not shown
    /// as worked around here. Read only when a listed issue is closed.
    async fn worked_around_at(
        &self,
        clinic: &str,
        all: &mut [KnownIssue],
    ) -> Result<(), StoreError> {
        if all.iter().all(|i| i.status().is_none_or(|s| s.is_open())) {
            return Ok(());
        }
        let late = self
            .store
            .known_worked_around_after_fix(self.grace_ms())
            .await?;
        for i in all.iter_mut() {
            i.still_worked_around = late
                .iter()
                .any(|r| r.issue_id == i.id && r.clinic == clinic);
        }
        Ok(())
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
            by_clinic: self.store.known_by_clinic(id).await?,
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
        let staff = StaffFacts::load(&self.store, now_ms(), self.grace_ms());
        match (self.list(None, false).await, staff.await) {
            (Ok(all), Ok(staff)) => {
                let shown: Vec<_> = all.into_iter().map(|i| (i.clinics, i.status)).collect();
                m.show(&shown, &staff);
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "cannot read known issues for the gauges");
            }
        }
    }
}

fn changed_after(i: &KnownIssue, ms: i64) -> bool {
    chrono::DateTime::parse_from_rfc3339(&i.status_changed_at)
        .is_ok_and(|t| t.timestamp_millis() >= ms)
}
