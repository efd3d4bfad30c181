//! E-mail through the `[smtp]` relay (lettre), with STARTTLS, TLS or, for a
//! local relay, none. Every send is bounded by the configured timeout.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::error::{SendError, SetupError};
use crate::config::alerts::{SmtpConfig, SmtpTls};
use crate::store::EmailPayload;

pub struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl EmailSender {
    pub fn new(cfg: &SmtpConfig) -> Result<EmailSender, SetupError> {
        let tls = match cfg.tls {
            SmtpTls::None => Tls::None,
            mode => {
                let params = tls_parameters(&cfg.host, cfg.ca_pem.as_deref())?;
                if mode == SmtpTls::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)
            .port(cfg.port)
            .tls(tls)
            .timeout(Some(cfg.timeout));
        if let (Some(user), Some(password)) = (&cfg.username, &cfg.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose().to_string(),
            ));
        }
        let from = cfg
            .from
            .parse::<Mailbox>()
            .map_err(|source| SetupError::Address {
                what: "smtp from",
                source,
            })?;
        Ok(EmailSender {
            transport: builder.build(),
            from,
        })
    }

    /// Sends one message; `key` becomes its Message-ID, so a receiving
    /// system can drop a copy sent again after a crash.
    pub async fn send(&self, payload: &str, key: &str) -> Result<(), SendError> {
        let message = build_message(&self.from, payload, key)?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// Builds the MIME message of a queued payload: plain text alone, or
/// multipart/alternative of text and HTML, the HTML inside
/// multipart/related with its inline images.
pub fn build_message(from: &Mailbox, payload: &str, key: &str) -> Result<Message, SendError> {
    use base64::Engine;
    use lettre::message::Attachment;
    let p: EmailPayload = serde_json::from_str(payload).map_err(|source| SendError::Payload {
        what: "e-mail",
        source,
    })?;
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(p.subject.clone())
        .message_id(Some(format!("<{}@hypercare>", message_id(key))));
    for to in &p.to {
        builder = builder.to(to.parse::<Mailbox>()?);
    }
    match &p.html {
        Some(html) if !p.inline.is_empty() => {
            let mut related = MultiPart::related().singlepart(SinglePart::html(html.clone()));
            for img in &p.inline {
                let inline = |detail: String| SendError::Inline {
                    cid: img.cid.clone(),
                    detail,
                };
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(&img.base64)
                    .map_err(|e| inline(e.to_string()))?;
                let ct =
                    ContentType::parse(&img.content_type).map_err(|e| inline(e.to_string()))?;
                related =
                    related.singlepart(Attachment::new_inline(img.cid.clone()).body(bytes, ct));
            }
            builder.multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::plain(p.text.clone()))
                    .multipart(related),
            )
        }
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            p.text.clone(),
            html.clone(),
        )),
        None => builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(p.text.clone()),
        ),
    }
    .map_err(SendError::Build)
}

/// Writes e-mail as `.eml` files into a folder (no relay configured: the
/// demo, or a site that picks mail up from a drop folder). A message's file
/// name comes from its idempotency key, so a retry overwrites, never doubles.
pub struct FileDrop {
    dir: std::path::PathBuf,
    from: Mailbox,
}

impl FileDrop {
    pub fn new(dir: std::path::PathBuf, from: Option<&str>) -> Result<FileDrop, SetupError> {
        let from = from
            .unwrap_or("hypercare <hypercare@localhost>")
            .parse::<Mailbox>()
            .map_err(|source| SetupError::Address {
                what: "mail drop from",
                source,
            })?;
        Ok(FileDrop { dir, from })
    }

    pub async fn send(&self, payload: &str, key: &str) -> Result<(), SendError> {
        let message = build_message(&self.from, payload, key)?;
        let bytes = message.formatted();
        let failed = |source| SendError::Drop {
            dir: self.dir.display().to_string(),
            source,
        };
        tokio::fs::create_dir_all(&self.dir).await.map_err(failed)?;
        let name = format!("{}.eml", message_id(key));
        let tmp = self.dir.join(format!(".{name}.tmp"));
        tokio::fs::write(&tmp, &bytes).await.map_err(failed)?;
        tokio::fs::rename(&tmp, self.dir.join(&name))
            .await
            .map_err(failed)
    }
}

/// TLS settings for a relay: the Mozilla roots, plus `ca_pem` when given.
pub fn tls_parameters(host: &str, ca_pem: Option<&[u8]>) -> Result<TlsParameters, SetupError> {
    let mut b = TlsParameters::builder(host.to_string());
    if let Some(pem) = ca_pem {
        b = b.add_root_certificate(Certificate::from_pem(pem).map_err(SetupError::Ca)?);
    }
    b.build_rustls().map_err(SetupError::Tls)
}

/// A Message-ID local part from an idempotency key: hex of its SHA-256.
fn message_id(key: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.as_bytes());
    digest
        .as_ref()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}
