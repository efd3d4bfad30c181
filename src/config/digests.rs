//! The typed `[[digests]]`: scheduled clinic e-mails.

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::de::recover;
use super::refs::{self, clinic_refs};
use super::values::{self, duration, secs};
use super::{CronSchedule, Name};

/// A `[[digests]]` e-mail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestConfig {
    #[serde(deserialize_with = "digest_name")]
    pub name: Name,
    pub schedule: CronSchedule,
    #[serde(deserialize_with = "recipients")]
    pub recipients: Vec<String>,
    /// The clinics it covers; empty means every clinic of a wave.
    #[serde(default, deserialize_with = "clinic_refs")]
    pub clinics: Vec<Name>,
    #[serde(default = "default_subject")]
    pub subject: String,
    /// A slot missed by more than this (daemon down) is not sent late.
    #[serde(default = "secs::<21600>", deserialize_with = "duration")]
    pub send_window: Duration,
    /// Quote the open blockers' (redacted) text: opt-in, since a digest
    /// leaves hypercare by mail and the PHI guard is a net, not a proof.
    #[serde(default)]
    pub blocker_text: bool,
}

fn default_subject() -> String {
    "Hypercare digest".into()
}

/// A digest's name; a digest also needs a way for mail to leave.
fn digest_name<'de, D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
    let name = Spanned::<Name>::deserialize(d)?;
    if !refs::known(|k| k.mail_route) {
        let hint = "configure [smtp], or set [outbox] mail_dir to write .eml files";
        let message = "a digest needs a way to send mail";
        recover::<(), D::Error>(name.span(), message, Some(hint), ())?;
    }
    Ok(name.into_inner())
}

fn recipients<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let list = values::non_empty::<D, Spanned<values::Mailbox>>(
        d,
        "a digest needs at least one recipient",
    )?;
    Ok(list.into_iter().map(|m| m.into_inner().0).collect())
}
