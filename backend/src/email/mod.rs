//! Outgoing mail: templates, the mailer backends, the outbox and its worker.
//!
//! Nothing sends mail directly. A use case renders a template and calls
//! [`enqueue`] inside its transaction, so the message commits (or rolls
//! back) with the change that caused it; the worker delivers it later, with
//! retries, so an SMTP outage delays mail and never loses it.

pub mod mailer;
pub mod templates;
pub mod worker;

pub use mailer::Mailer;
pub use templates::RenderedEmail;

use sqlx::AnyConnection;

use crate::db::outbox::{self, NewMessage};
use crate::settings::Settings;
use crate::tokens::new_id;

/// Writes `email` to the outbox on `conn` (which should be inside the
/// transaction of the change that causes the mail); returns the row's id.
///
/// # Errors
/// On a database failure.
pub async fn enqueue(
    conn: &mut AnyConnection,
    settings: &Settings,
    email: &RenderedEmail,
    now_ms: i64,
) -> sqlx::Result<String> {
    let id = new_id();
    let message_id = format!("<{id}@{}>", settings.public_host());
    outbox::insert(
        conn,
        &NewMessage {
            id: &id,
            message_id: &message_id,
            template: email.template,
            recipient: &email.to,
            subject: &email.subject,
            body_text: &email.text,
            body_html: &email.html,
        },
        now_ms,
    )
    .await?;
    Ok(id)
}

/// "24 hours", "7 days", "30 minutes": for "the link works for …".
pub fn describe_duration(duration: std::time::Duration) -> String {
    let seconds = duration.as_secs();
    let (count, unit) = if seconds.is_multiple_of(86_400) && seconds >= 2 * 86_400 {
        (seconds / 86_400, "days")
    } else if seconds.is_multiple_of(3600) && seconds >= 3600 {
        (seconds / 3600, "hours")
    } else {
        (seconds.div_ceil(60), "minutes")
    };
    if count == 1 {
        format!("1 {}", unit.trim_end_matches('s'))
    } else {
        format!("{count} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::describe_duration;
    use std::time::Duration;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(describe_duration(Duration::from_secs(86_400)), "24 hours");
        assert_eq!(describe_duration(Duration::from_secs(7 * 86_400)), "7 days");
        assert_eq!(describe_duration(Duration::from_secs(3600)), "1 hour");
        assert_eq!(describe_duration(Duration::from_secs(90)), "2 minutes");
    }
}
