//! The mailer backends: `Smtp` (lettre, from `SMTP_URL`), `File` (dev mail:
//! `.eml` files under `data/mail/`, each message's link logged so a newcomer
//! can click it) and `Memory` (tests).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::db::outbox::QueuedMessage;

/// A message as the `Memory` backend keeps it.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub message_id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone)]
pub enum Backend {
    /// The transport and the deadline for one whole conversation.
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Duration),
    File(PathBuf),
    Memory(Arc<Mutex<Vec<SentEmail>>>),
}

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    backend: Backend,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self.backend {
            Backend::Smtp(..) => "smtp",
            Backend::File(_) => "file",
            Backend::Memory(_) => "memory",
        };
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("backend", &backend)
            .finish()
    }
}

/// How long one SMTP conversation (connect, greeting, every command, the
/// final reply) may take before the attempt counts as failed
/// (`SMTP_TIMEOUT_SECS`), so a server that accepts the connection and then
/// never answers cannot hold the outbox worker. lettre's own timeout covers
/// only the TCP connect on tokio, so [`Mailer::send`] enforces this one.
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl Mailer {
    /// SMTP from a URL such as `smtp://user:pass@host:587?tls=required` or
    /// `smtps://host:465`, with the default command timeout.
    ///
    /// # Errors
    /// When the URL or the sender address is invalid.
    pub fn smtp(url: &str, from: &str) -> anyhow::Result<Self> {
        Self::smtp_with_timeout(url, from, DEFAULT_SMTP_TIMEOUT)
    }

    /// SMTP as [`Mailer::smtp`], one conversation allowed at most `timeout`.
    ///
    /// # Errors
    /// When the URL or the sender address is invalid.
    pub fn smtp_with_timeout(url: &str, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("SMTP_URL is not a valid smtp:// or smtps:// URL")?
            .timeout(Some(timeout))
            .build();
        Ok(Self {
            from: from.parse().context("MAIL_FROM is not a valid mailbox")?,
            backend: Backend::Smtp(transport, timeout),
        })
    }

    /// Dev mail: messages written as `.eml` files into `dir`.
    ///
    /// # Errors
    /// When the sender address is invalid.
    pub fn file(dir: PathBuf, from: &str) -> anyhow::Result<Self> {
        Ok(Self {
            from: from.parse().context("MAIL_FROM is not a valid mailbox")?,
            backend: Backend::File(dir),
        })
    }

    /// Keeps messages in memory; returns the mailer and its mailbox.
    pub fn memory() -> (Self, Arc<Mutex<Vec<SentEmail>>>) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mailer = Self {
            from: "Muster <muster@localhost>"
                .parse()
                .expect("a valid constant mailbox"),
            backend: Backend::Memory(sent.clone()),
        };
        (mailer, sent)
    }

    fn build(&self, message: &QueuedMessage) -> anyhow::Result<Message> {
        Message::builder()
            .from(self.from.clone())
            .to(message
                .recipient
                .parse()
                .context("the recipient is not a valid address")?)
            .subject(&message.subject)
            .message_id(Some(message.message_id.clone()))
            .multipart(MultiPart::alternative_plain_html(
                message.body_text.clone(),
                message.body_html.clone(),
            ))
            .context("building the message")
    }

    /// Sends one queued message.
    ///
    /// # Errors
    /// When the message cannot be built or the backend refuses it.
    pub async fn send(&self, message: &QueuedMessage) -> anyhow::Result<()> {
        match &self.backend {
            Backend::Smtp(transport, timeout) => {
                let email = self.build(message)?;
                tokio::time::timeout(*timeout, transport.send(email))
                    .await
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "SMTP delivery failed: no answer within {} s",
                            timeout.as_secs_f32()
                        )
                    })?
                    .context("SMTP delivery failed")?;
            }
            Backend::File(dir) => {
                let email = self.build(message)?;
                tokio::fs::create_dir_all(dir)
                    .await
                    .context("creating the mail folder")?;
                let path = dir.join(format!("{}-{}.eml", message.template, message.id));
                tokio::fs::write(&path, email.formatted())
                    .await
                    .context("writing the mail file")?;
                let link = message
                    .body_text
                    .split_whitespace()
                    .find(|word| word.starts_with("http://") || word.starts_with("https://"))
                    .unwrap_or("(no link)");
                tracing::info!(to = %message.recipient, subject = %message.subject, file = %path.display(), "dev mail: {link}");
            }
            Backend::Memory(sent) => {
                self.build(message)?;
                sent.lock()
                    .map_err(|_| anyhow::anyhow!("memory mailbox poisoned"))?
                    .push(SentEmail {
                        message_id: message.message_id.clone(),
                        to: message.recipient.clone(),
                        subject: message.subject.clone(),
                        text: message.body_text.clone(),
                        html: message.body_html.clone(),
                    });
            }
        }
        Ok(())
    }
}
