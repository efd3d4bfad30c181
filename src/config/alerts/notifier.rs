//! `[notifiers.NAME]`: where alerts go (e-mail, a webhook, an Alertmanager).

use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use serde::de::Error;
use toml::Spanned;

use super::SMTP_CHANNEL;
use crate::config::de::recover;
use crate::config::refs::known;
use crate::config::secrets::{SecretKeys, secret};
use crate::config::{Name, Secret, values};

/// How a webhook's body is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// hypercare's own JSON (Alertmanager-webhook-like).
    Json,
    /// `{"text": …}`, which Slack and compatible chats accept.
    Slack,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NotifierKind {
    /// Mail through `[smtp]` to these addresses.
    Email {
        to: Vec<String>,
    },
    Webhook {
        url: Secret,
        format: WebhookFormat,
    },
    /// An Alertmanager's base URL (`/api/v2/alerts` is appended).
    Alertmanager {
        url: url::Url,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct NotifierConfig {
    pub name: Name,
    pub kind: NotifierKind,
    /// Bound on one delivery attempt.
    pub timeout: Duration,
    pub send_resolved: bool,
}

impl NotifierConfig {
    /// The outbox channel its messages go to.
    pub fn channel(&self) -> String {
        match &self.kind {
            NotifierKind::Email { .. } => SMTP_CHANNEL.to_string(),
            NotifierKind::Webhook { .. } => format!("webhook:{}", self.name),
            NotifierKind::Alertmanager { .. } => format!("alertmanager:{}", self.name),
        }
    }
}

/// A `[notifiers.NAME]` table as written: the keys of every type, each
/// read by the type that takes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct NotifierText {
    r#type: Spanned<String>,
    #[serde(default)]
    to: Vec<Spanned<String>>,
    url: Option<Spanned<String>>,
    url_env: Option<Spanned<String>>,
    url_file: Option<Spanned<String>>,
    format: Option<Spanned<String>>,
    #[serde(default = "values::secs::<10>", deserialize_with = "values::duration")]
    timeout: Duration,
    #[serde(default = "values::yes")]
    send_resolved: bool,
}

impl NotifierText {
    /// The notifier named `name`; `None` once a mistake is recorded.
    pub(in crate::config) fn typed<E: Error>(
        self,
        name: &Spanned<String>,
    ) -> Result<Option<NotifierConfig>, E> {
        let what = format!("notifier `{}`", name.get_ref());
        let kind = match self.r#type.get_ref().as_str() {
            "email" => self.email(&what)?,
            "webhook" => self.webhook(&what, name.span())?,
            "alertmanager" => self.alertmanager(&what)?,
            other => {
                let message = format!("`{other}` is not a notifier type");
                let hint = Some("use email, webhook or alertmanager");
                recover(self.r#type.span(), message, hint, None)?
            }
        };
        let (Some(kind), Ok(name)) = (kind, Name::parse(name.get_ref())) else {
            return Ok(None);
        };
        Ok(Some(NotifierConfig {
            name,
            kind,
            timeout: self.timeout,
            send_resolved: self.send_resolved,
        }))
    }

    fn email<E: Error>(&self, what: &str) -> Result<Option<NotifierKind>, E> {
        let at = self.r#type.span();
        if self.to.is_empty() {
            let message = format!("{what}: an email notifier needs `to`");
            return recover(at, message, Some("to = [\"oncall@example.org\"]"), None);
        }
        if let Some(t) =
            (self.to.iter()).find(|t| t.get_ref().parse::<lettre::message::Mailbox>().is_err())
        {
            let message = format!("`{}` is not an e-mail address", t.get_ref());
            return recover(t.span(), message, None, None);
        }
        if !known(|k| k.smtp) {
            let message = format!("{what} sends mail, but [smtp] is not configured");
            return recover(at, message, None, None);
        }
        let to = self.to.iter().map(|t| t.get_ref().clone()).collect();
        Ok(Some(NotifierKind::Email { to }))
    }

    fn webhook<E: Error>(&self, what: &str, at: Range<usize>) -> Result<Option<NotifierKind>, E> {
        let keys = SecretKeys {
            plain: self.url.clone(),
            env: self.url_env.clone(),
            file: self.url_file.clone(),
        };
        let Some(Some(url)) = secret::<E>(&format!("{what} url"), &keys, Some(at.clone()))? else {
            return Ok(None);
        };
        if url::Url::parse(url.expose()).is_err() {
            return recover(at, format!("{what}: url is not a URL"), None, None);
        }
        let format = match self
            .format
            .as_ref()
            .map(|f| (f.get_ref().as_str(), f.span()))
        {
            None | Some(("json", _)) => WebhookFormat::Json,
            Some(("slack", _)) => WebhookFormat::Slack,
            Some((other, span)) => {
                let message = format!("`{other}` is not a webhook format");
                return recover(span, message, Some("use json or slack"), None);
            }
        };
        Ok(Some(NotifierKind::Webhook { url, format }))
    }

    fn alertmanager<E: Error>(&self, what: &str) -> Result<Option<NotifierKind>, E> {
        let Some(u) = &self.url else {
            let message = format!("{what}: an alertmanager notifier needs `url`");
            let hint = Some("url = \"http://alertmanager:9093\"");
            return recover(self.r#type.span(), message, hint, None);
        };
        match url::Url::parse(u.get_ref()) {
            Ok(url) => Ok(Some(NotifierKind::Alertmanager { url })),
            Err(e) => recover(
                u.span(),
                format!("{what}: url is not a URL: {e}"),
                None,
                None,
            ),
        }
    }
}
