//! The mail a test app sent: either kept by lettre's `AsyncStubTransport`
//! ([`Mailbox::Stub`], behind `Mailer::stub`: most tests) or received over a
//! real SMTP conversation by the [`SmtpSink`] ([`Mailbox::Smtp`]: the tests
//! of SMTP itself). Both give each message as sent, so tests read them alike.

use std::time::Duration;

use lettre::transport::stub::AsyncStubTransport;

use crate::smtp_sink::SmtpSink;

/// One message: its envelope recipients and the whole message as sent.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    pub recipients: Vec<String>,
    pub data: String,
}

impl ReceivedMail {
    /// The decoded plain-text part (quoted-printable soft breaks undone).
    pub fn text(&self) -> String {
        self.data.replace("=\r\n", "").replace("=3D", "=")
    }

    /// The first link in the message that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let text = self.text();
        let start = text.find(prefix)?;
        let link: String = text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
            .collect();
        Some(link)
    }

    /// The token of the first `/{kind}/{token}` link in the message (`kind`:
    /// `invite`, `verify-email`).
    pub fn token(&self, kind: &str) -> String {
        let prefix = format!("/{kind}/");
        let link = self
            .link(&prefix)
            .unwrap_or_else(|| panic!("a {prefix} link in {}", self.text()));
        link[prefix.len()..].to_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}: ", name.to_lowercase());
        self.data
            .lines()
            .find(|line| line.to_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
    }
}

pub enum Mailbox {
    Stub(AsyncStubTransport),
    Smtp(SmtpSink),
}

impl Mailbox {
    /// The SMTP sink, for tests that control it (refuse, hang, count
    /// connections).
    ///
    /// # Panics
    /// For a stub mailbox: such a test must start its app with SMTP.
    pub fn smtp(&self) -> &SmtpSink {
        match self {
            Self::Smtp(sink) => sink,
            Self::Stub(_) => panic!("this test needs an app that sends over SMTP"),
        }
    }

    /// Every message so far, in the order sent.
    pub async fn received(&self) -> Vec<ReceivedMail> {
        match self {
            Self::Smtp(sink) => sink.received(),
            Self::Stub(stub) => stub
                .messages()
                .await
                .into_iter()
                .map(|(envelope, data)| ReceivedMail {
                    recipients: envelope.to().iter().map(ToString::to_string).collect(),
                    data,
                })
                .collect(),
        }
    }

    /// Waits (up to 10 s) until `count` messages arrived; returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<ReceivedMail> {
        for _ in 0..200 {
            let received = self.received().await;
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected {count} messages, got {}",
            self.received().await.len()
        );
    }

    /// Messages to `to` with a `/{kind}/` link (`invite`, `verify-email`).
    pub async fn with_link(&self, to: &str, kind: &str) -> Vec<ReceivedMail> {
        let prefix = format!("/{kind}/");
        self.to(to)
            .await
            .into_iter()
            .filter(|mail| mail.link(&prefix).is_some())
            .collect()
    }

    /// Waits (up to 10 s) for the `nth` (from 1) message to `to` with a
    /// `/{kind}/` link; returns the token of that link.
    pub async fn wait_for_token(&self, to: &str, kind: &str, nth: usize) -> String {
        for _ in 0..200 {
            if let Some(mail) = self.with_link(to, kind).await.get(nth - 1) {
                return mail.token(kind);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no message {nth} to {to} with a /{kind}/ link");
    }

    /// Messages sent to `to`.
    pub async fn to(&self, to: &str) -> Vec<ReceivedMail> {
        self.received()
            .await
            .into_iter()
            .filter(|mail| mail.recipients.iter().any(|r| r.eq_ignore_ascii_case(to)))
            .collect()
    }
}
