//! The e-mail a reporter gets when their report's known issue gets a
//! workaround, and when it is fixed: plain words, the issue's (redacted)
//! title and workaround, and a link to the clinic's known-issues page.
//! Nothing of the report itself is repeated.

use crate::config::alerts::SMTP_CHANNEL;
use crate::store::{ContactRow, EmailPayload};

use super::model::{KnownIssue, Notice};

/// The outbox row of one notice: (channel, idempotency key, payload), or
/// `None` when the contact is not an e-mail address (a name, an extension).
/// The key names the issue, the notice and the report: unique in the
/// outbox, so each is queued once whoever decides it, however often.
pub fn row(
    issue: &KnownIssue,
    notice: Notice,
    to: &ContactRow,
    base: &str,
) -> Option<(String, String, String)> {
    let address = to.contact.trim();
    address.parse::<lettre::Address>().ok()?;
    let key = format!("known:{}:{}:{}", issue.id, notice.as_str(), to.feedback_id);
    let link = known_link(base, to.clinic.as_deref());
    let p = EmailPayload {
        to: vec![address.to_string()],
        subject: subject(issue, notice),
        text: text(issue, notice, to.feedback_id, &link),
        html: None,
        inline: Vec::new(),
    };
    let payload = serde_json::to_string(&p).ok()?;
    Some((SMTP_CHANNEL.to_string(), key, payload))
}

/// `/known?clinic=ID` on the public URL (or as a path without one).
pub fn known_link(base: &str, clinic: Option<&str>) -> String {
    let base = base.trim_end_matches('/');
    match clinic {
        Some(c) => format!("{base}/known?clinic={c}"),
        None => format!("{base}/known"),
    }
}

fn subject(issue: &KnownIssue, notice: Notice) -> String {
    match notice {
        Notice::Workaround => format!("What to do meanwhile: {}", issue.title),
        Notice::Fixed => format!("Fixed: {}", issue.title),
    }
}

fn text(issue: &KnownIssue, notice: Notice, report: i64, link: &str) -> String {
    let mut t = format!(
        "Hello,\n\nyou reported a problem with the new system (report #{report}). \
         The command center knows about it as: {}.\n\n",
        issue.title
    );
    match notice {
        Notice::Workaround => {
            t.push_str("It is not fixed yet. Until it is, you can do this instead:\n\n");
            t.push_str(&indent(&issue.workaround));
            t.push_str("\n\nWe will write once more when it is fixed.\n");
        }
        Notice::Fixed => {
            t.push_str(
                "It is fixed now. Please go back to the normal way of working: \
                 if you still need a workaround, report it again or tap \
                 \"this affects me too\" on the form, so we can help.\n",
            );
        }
    }
    t.push_str(&format!(
        "\nEvery known issue for your clinic, and what to do about it:\n{link}\n\n\
         Thank you for reporting it.\nThe go-live command center\n"
    ));
    t
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue() -> KnownIssue {
        KnownIssue {
            id: 7,
            title: "Chart search takes a minute".into(),
            workaround: "Search by date of visit instead.".into(),
            clinics: vec!["east".into()],
            roles: vec![],
            training: false,
            status: "workaround_available".into(),
            redacted: vec![],
            created_at: String::new(),
            status_changed_at: String::new(),
            reporters: 1,
            taps: 0,
            still_worked_around: false,
        }
    }

    fn contact(c: &str) -> ContactRow {
        ContactRow {
            issue_id: 7,
            feedback_id: 12,
            clinic: Some("east".into()),
            contact: c.into(),
        }
    }

    #[test]
    fn a_notice_goes_to_an_address_once_per_issue_notice_and_report() {
        let (channel, key, payload) = row(
            &issue(),
            Notice::Workaround,
            &contact(" nurse@east.example.org "),
            "https://hc.example.org/",
        )
        .unwrap();
        assert_eq!(channel, "smtp");
        assert_eq!(key, "known:7:workaround:12");
        let p: EmailPayload = serde_json::from_str(&payload).unwrap();
        assert_eq!(p.to, vec!["nurse@east.example.org".to_string()]);
        assert!(p.text.contains("    Search by date of visit instead."));
        assert!(
            p.text.contains("https://hc.example.org/known?clinic=east"),
            "{}",
            p.text
        );
    }

    #[test]
    fn a_name_or_extension_gets_no_mail() {
        assert!(row(&issue(), Notice::Fixed, &contact("ext 4411"), "").is_none());
        assert!(row(&issue(), Notice::Fixed, &contact("Dana"), "").is_none());
    }
}
