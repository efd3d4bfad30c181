//! What a known issue is: its fixed statuses, what triage sends to make
//! one, and the typed view the pages, the API and the digest read.

use serde::Serialize;

use crate::config::{Clinic, FeedbackConfig};
use crate::feedback::item::timestamp;
use crate::store::KnownRow;

/// Longest title, in characters: one line staff read at a glance.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest workaround text, in characters.
pub const MAX_WORKAROUND_CHARS: usize = 2000;
/// Most reports merged in one request.
pub const MAX_REPORTS: usize = 200;

/// Where a known issue stands; fixed, so every clinic reads the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KnownStatus {
    Investigating,
    WorkaroundAvailable,
    Fixed,
    Monitoring,
}

/// Which notice a status sends to the reporters of an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Workaround,
    Fixed,
}

impl KnownStatus {
    pub const ALL: [KnownStatus; 4] = [
        KnownStatus::Investigating,
        KnownStatus::WorkaroundAvailable,
        KnownStatus::Fixed,
        KnownStatus::Monitoring,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KnownStatus::Investigating => "investigating",
            KnownStatus::WorkaroundAvailable => "workaround_available",
            KnownStatus::Fixed => "fixed",
            KnownStatus::Monitoring => "monitoring",
        }
    }

    /// What staff read.
    pub fn label(self) -> &'static str {
        match self {
            KnownStatus::Investigating => "Being looked into",
            KnownStatus::WorkaroundAvailable => "Workaround available",
            KnownStatus::Fixed => "Fixed",
            KnownStatus::Monitoring => "Fixed, being watched",
        }
    }

    pub fn parse(s: &str) -> Option<KnownStatus> {
        KnownStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Not yet fixed: shown on the form and counted as open.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            KnownStatus::Investigating | KnownStatus::WorkaroundAvailable
        )
    }

    /// The notice reaching this status sends (once per reporter).
    pub fn notice(self) -> Option<Notice> {
        match self {
            KnownStatus::WorkaroundAvailable => Some(Notice::Workaround),
            KnownStatus::Fixed => Some(Notice::Fixed),
            _ => None,
        }
    }
}

impl Notice {
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Workaround => "workaround",
            Notice::Fixed => "fixed",
        }
    }
}

/// What triage sends to create a known issue, before validation.
#[derive(Debug, Clone, Default)]
pub struct NewKnown {
    pub title: String,
    pub workaround: String,
    pub clinics: Vec<String>,
    /// Empty: every role.
    pub roles: Vec<String>,
    pub status: Option<String>,
    pub training: bool,
    /// Reports to merge into it.
    pub reports: Vec<i64>,
}

/// A valid new known issue; texts still raw until the guard redacts them.
#[derive(Debug, Clone)]
pub struct ValidKnown {
    pub title: String,
    pub workaround: String,
    pub clinics: Vec<String>,
    pub roles: Vec<String>,
    pub status: KnownStatus,
    pub training: bool,
    pub reports: Vec<i64>,
}

/// Checks a new known issue against the config; the first mistake, named.
pub fn validate(
    n: &NewKnown,
    cfg: &FeedbackConfig,
    clinics: &[Clinic],
) -> Result<ValidKnown, String> {
    let title = super::super::model::clean_text(&n.title).replace('\n', " ");
    // Lengths as sent: what cleaning drops does not make long text fit.
    if title.is_empty() || n.title.chars().count() > MAX_TITLE_CHARS {
        return Err(format!(
            "the title must be 1 to {MAX_TITLE_CHARS} characters"
        ));
    }
    let workaround = super::super::model::clean_text(&n.workaround);
    if n.workaround.chars().count() > MAX_WORKAROUND_CHARS {
        return Err(format!(
            "the workaround must be at most {MAX_WORKAROUND_CHARS} characters"
        ));
    }
    let mut picked = dedup(&n.clinics);
    if let Some(c) = picked
        .iter()
        .find(|c| !clinics.iter().any(|k| k.id.as_str() == *c))
    {
        return Err(format!("`{c}` is not a configured clinic"));
    }
    if picked.is_empty() {
        // One clinic or none configured: it affects all of them.
        picked = clinics.iter().map(|c| c.id.to_string()).collect();
    }
    let roles = dedup(&n.roles);
    if let Some(r) = roles.iter().find(|r| cfg.role(r).is_none()) {
        return Err(format!("`{r}` is not a configured role"));
    }
    let status = match n.status.as_deref() {
        None | Some("") => KnownStatus::Investigating,
        Some(s) => KnownStatus::parse(s).ok_or_else(|| format!("`{s}` is not a status"))?,
    };
    if status == KnownStatus::WorkaroundAvailable && workaround.is_empty() {
        return Err("a workaround is needed for the status workaround_available".into());
    }
    if n.reports.len() > MAX_REPORTS || n.reports.iter().any(|r| *r < 1) {
        return Err(format!(
            "reports must be at most {MAX_REPORTS} report numbers"
        ));
    }
    let mut reports = n.reports.clone();
    reports.sort_unstable();
    reports.dedup();
    Ok(ValidKnown {
        title,
        workaround,
        clinics: picked,
        roles,
        status,
        training: n.training,
        reports,
    })
}

fn dedup(v: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

/// `,a,b,` for the store (`,` when empty).
pub fn wrap(names: &[String]) -> String {
    format!(",{},", names.join(",")).replace(",,", ",")
}

fn unwrap(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A known issue as pages, the API and the digest show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KnownIssue {
    pub id: i64,
    /// Redacted title.
    pub title: String,
    /// Redacted workaround text; empty when there is none yet.
    pub workaround: String,
    pub clinics: Vec<String>,
    /// Empty: every role.
    pub roles: Vec<String>,
    /// The cause is a training gap rather than a defect.
    pub training: bool,
    pub status: String,
    /// Kinds of identifiers removed from the title and workaround.
    pub redacted: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub status_changed_at: String,
    /// Reports merged into it.
    pub reporters: i64,
    /// "This affects me too" taps.
    pub taps: i64,
    /// Fixed a while ago, yet staff still tap it: usually a training gap.
    pub still_worked_around: bool,
}

impl KnownIssue {
    /// `grace_ms`: how long after a fix taps are still expected.
    pub fn from_row(r: KnownRow, grace_ms: i64) -> KnownIssue {
        // Staff still tapping it, or reporting a workaround, once the
        // grace after the fix is over.
        let late = match (r.fixed_ms, r.last_worked_around_ms) {
            (Some(f), Some(last)) => last > f.saturating_add(grace_ms),
            _ => false,
        };
        let closed = KnownStatus::parse(&r.status).is_some_and(|s| !s.is_open());
        KnownIssue {
            id: r.id,
            title: r.title,
            workaround: r.workaround,
            clinics: unwrap(&r.clinics),
            roles: unwrap(&r.roles),
            training: r.training,
            redacted: unwrap(&r.redactions),
            created_at: timestamp(r.created_ms),
            status_changed_at: timestamp(r.status_changed_ms),
            reporters: r.reporters,
            taps: r.taps,
            still_worked_around: closed && late,
            status: r.status,
        }
    }

    pub fn status(&self) -> Option<KnownStatus> {
        KnownStatus::parse(&self.status)
    }

    /// Whether staff in this role see it (no roles on it: everyone; no
    /// role asked, as on the clinic's wall page: every issue).
    pub fn concerns_role(&self, role: Option<&str>) -> bool {
        self.roles.is_empty() || role.is_none_or(|r| self.roles.iter().any(|x| x == r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: &str, fixed_ms: Option<i64>, last: Option<i64>) -> KnownRow {
        KnownRow {
            id: 1,
            title: "t".into(),
            workaround: String::new(),
            clinics: ",east,".into(),
            roles: ",".into(),
            training: false,
            redactions: String::new(),
            status: status.into(),
            created_ms: 0,
            status_changed_ms: 0,
            fixed_ms,
            reporters: 0,
            taps: 1,
            last_worked_around_ms: last,
        }
    }

    #[test]
    fn fixed_yet_tapped_after_the_grace_is_still_worked_around() {
        let day = 86_400_000;
        let late = KnownIssue::from_row(row("fixed", Some(0), Some(4 * day)), 3 * day);
        assert!(late.still_worked_around);
        let within = KnownIssue::from_row(row("fixed", Some(0), Some(2 * day)), 3 * day);
        assert!(!within.still_worked_around);
        let open = KnownIssue::from_row(row("investigating", Some(0), Some(4 * day)), 3 * day);
        assert!(!open.still_worked_around, "reopened: not a training gap");
        assert_eq!(late.clinics, vec!["east".to_string()]);
        assert!(late.roles.is_empty() && late.concerns_role(Some("billing")));
    }

    #[test]
    fn a_wrapped_list_is_found_by_one_like() {
        assert_eq!(wrap(&["east".into(), "north".into()]), ",east,north,");
        assert_eq!(wrap(&[]), ",");
    }
}
