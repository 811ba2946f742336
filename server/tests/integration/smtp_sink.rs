//! A real (minimal) SMTP server for the tests that test SMTP itself
//! (delivery, retries, a hanging server, several processes): it speaks
//! enough SMTP for lettre, keeps every message it accepts, and can be told
//! to refuse mail or to hang (accept connections and never say a word).
//! Tests read its mail through [`Mailbox::Smtp`](crate::mailbox::Mailbox).

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::mailbox::ReceivedMail;

pub struct SmtpSink {
    pub port: u16,
    mail: Arc<Mutex<Vec<ReceivedMail>>>,
    /// 0: accept; otherwise the reply code given to `MAIL FROM`.
    refuse_with: Arc<AtomicU16>,
    hang: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    /// Listens on `port` (0: any free port).
    pub async fn start(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mail = Arc::new(Mutex::new(Vec::new()));
        let refuse_with = Arc::new(AtomicU16::new(0));
        let hang = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(serve(
            listener,
            mail.clone(),
            refuse_with.clone(),
            hang.clone(),
            connections.clone(),
        ));
        Self {
            port,
            mail,
            refuse_with,
            hang,
            connections,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn refuse_with(&self, code: u16) {
        self.refuse_with.store(code, Ordering::SeqCst);
    }

    /// While on, new connections are accepted and held open in silence: no
    /// greeting, no reply, ever (a wedged mail server).
    pub fn hang(&self, on: bool) {
        self.hang.store(on, Ordering::SeqCst);
    }

    /// Connections accepted so far (hanging or not).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.mail.lock().unwrap().clone()
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

async fn serve(
    listener: TcpListener,
    mail: Arc<Mutex<Vec<ReceivedMail>>>,
    refuse_with: Arc<AtomicU16>,
    hang: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        connections.fetch_add(1, Ordering::SeqCst);
        if hang.load(Ordering::SeqCst) {
            tokio::spawn(async move {
                // Hold the socket open without reading or writing.
                let _held = stream;
                tokio::time::sleep(Duration::from_secs(3600)).await;
            });
            continue;
        }
        let mail = mail.clone();
        let refuse_with = refuse_with.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read);
            let _ = write.write_all(b"220 sink ESMTP\r\n").await;
            let mut recipients = Vec::new();
            let mut line = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let command = line.trim_end().to_uppercase();
                let reply: String = if command.starts_with("EHLO") || command.starts_with("HELO") {
                    "250-sink\r\n250 8BITMIME\r\n".into()
                } else if command.starts_with("MAIL FROM") {
                    match refuse_with.load(Ordering::SeqCst) {
                        0 => "250 OK\r\n".into(),
                        code => format!("{code} refused by the test\r\n"),
                    }
                } else if command.starts_with("RCPT TO") {
                    let address = line.trim_end()[8..]
                        .trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>');
                    recipients.push(address.to_owned());
                    "250 OK\r\n".into()
                } else if command == "DATA" {
                    let _ = write.write_all(b"354 go ahead\r\n").await;
                    let mut data = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        data.push_str(&line);
                    }
                    mail.lock().unwrap().push(ReceivedMail {
                        recipients: std::mem::take(&mut recipients),
                        data,
                    });
                    "250 queued\r\n".into()
                } else if command == "QUIT" {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                } else {
                    "250 OK\r\n".into()
                };
                if write.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}
