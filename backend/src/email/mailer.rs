//! The mailer: one [`Mailer`] over three lettre transports.
//!
//! - `Smtp`: lettre's `AsyncSmtpTransport`, from `SMTP_URL`.
//! - `File` (dev mail): lettre's `AsyncFileTransport`, one `<uuid>.eml` per
//!   message in `MAIL_DIR`.
//! - `Stub` (tests that do not test SMTP itself): lettre's
//!   `AsyncStubTransport`, which keeps each message as sent.
//!
//! What is ours, and why: building the multipart message from an outbox row
//! (the sender, the stored Message-ID); a deadline over the whole SMTP
//! conversation (lettre's timeout covers only the TCP connect on tokio, so a
//! server that accepts and then never answers would hold the worker); for
//! dev mail, creating the folder (lettre expects it to exist) and logging the
//! message's link so a newcomer can click it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::file::AsyncFileTransport;
use lettre::transport::stub::AsyncStubTransport;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::db::outbox::QueuedMessage;

#[derive(Clone)]
enum Backend {
    /// The transport and the deadline for one whole conversation.
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Duration),
    /// The transport and its folder (created before each write).
    File(Arc<AsyncFileTransport<Tokio1Executor>>, PathBuf),
    Stub(AsyncStubTransport),
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
            Backend::File(..) => "file",
            Backend::Stub(_) => "stub",
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

    /// Dev mail: each message written as `<uuid>.eml` into `dir` (created
    /// when missing).
    ///
    /// # Errors
    /// When the sender address is invalid.
    pub fn file(dir: PathBuf, from: &str) -> anyhow::Result<Self> {
        Ok(Self {
            from: from.parse().context("MAIL_FROM is not a valid mailbox")?,
            backend: Backend::File(Arc::new(AsyncFileTransport::new(&dir)), dir),
        })
    }

    /// Keeps every message in memory (tests that do not test SMTP itself);
    /// returns the mailer and the transport to read the messages from
    /// ([`AsyncStubTransport::messages`]: each envelope and the message as
    /// sent).
    ///
    /// # Errors
    /// When the sender address is invalid.
    pub fn stub(from: &str) -> anyhow::Result<(Self, AsyncStubTransport)> {
        let transport = AsyncStubTransport::new_ok();
        let mailer = Self {
            from: from.parse().context("MAIL_FROM is not a valid mailbox")?,
            backend: Backend::Stub(transport.clone()),
        };
        Ok((mailer, transport))
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
        let email = self.build(message)?;
        match &self.backend {
            Backend::Smtp(transport, timeout) => {
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
            Backend::File(transport, dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .context("creating the mail folder")?;
                let id = transport
                    .send(email)
                    .await
                    .context("writing the mail file")?;
                let path = dir.join(format!("{id}.eml"));
                let link = message
                    .body_text
                    .split_whitespace()
                    .find(|word| word.starts_with("http://") || word.starts_with("https://"))
                    .unwrap_or("(no link)");
                tracing::info!(to = %message.recipient, subject = %message.subject, file = %path.display(), "dev mail: {link}");
            }
            Backend::Stub(transport) => {
                transport
                    .send(email)
                    .await
                    .context("the stub transport refused the message")?;
            }
        }
        Ok(())
    }
}
