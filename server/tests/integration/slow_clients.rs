//! Slow and many clients against the real binary, over raw TCP (security
//! review M4 and L1): a body that trickles in is cut at `BODY_READ_TIMEOUT`,
//! headers that trickle in at `HEADER_READ_TIMEOUT`, a connection over
//! `MAX_CONNECTIONS` is answered 503 and the cap frees up as connections
//! close, a server-function body over 64 KiB is 413, and `CONNECT`,
//! `OPTIONS *`, `TRACE` get a 4xx answer rather than a closed socket.
//! Each test configures short bounds, so each takes a few seconds.

use std::process::Child;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::binary::{free_port, server_command, wait_until_up};
use crate::helpers::{Engine, fresh_database};

/// The binary, killed when dropped (a failed assertion must not leave it
/// running).
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(env: &[(&str, &str)]) -> Self {
        let (database_url, dir) = fresh_database(Engine::Sqlite).await;
        let port = free_port();
        let mut command = server_command(&database_url, &dir, port);
        for (name, value) in env {
            command.env(name, value);
        }
        let server = Self {
            child: command.spawn().unwrap(),
            port,
        };
        wait_until_up(&reqwest::Client::new(), port).await;
        server
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(("127.0.0.1", self.port)).await.unwrap()
    }
}

/// What the server sends until it closes the connection (or resets it),
/// waiting at most `limit`; `None` if it was still open then.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    let reading = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::time::timeout(limit, reading).await.ok()?;
    Some(received)
}

/// The status code of the response at the start of `received`.
fn status_of(received: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(received);
    let line = text.lines().next()?;
    let mut words = line.split(' ');
    (words.next()? == "HTTP/1.1").then_some(())?;
    words.next()?.parse().ok()
}

/// `GET /healthz` on its own connection; its answer's status and text.
async fn healthz(server: &Server) -> (Option<u16>, String) {
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.host()
    );
    exchange(server, request).await
}

/// One request on its own connection, `Connection: close`; its answer's
/// status and text.
async fn exchange(server: &Server, request: String) -> (Option<u16>, String) {
    post_body(server, &request, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_in_is_cut_at_the_body_deadline() {
    let server = Server::start(&[("BODY_READ_TIMEOUT", "2s")]).await;
    let stream = server.connect().await;
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /rpc/sign_in HTTP/1.1\r\nHost: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n",
        server.host()
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    // One byte a second, never silent for long: only a deadline on the
    // whole body stops it.
    let trickle = tokio::spawn(async move {
        loop {
            if writer.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    let cut = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    trickle.abort();
    let elapsed = started.elapsed();
    assert!(
        cut.is_ok(),
        "the server still read the trickling body after 10 s"
    );
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(5),
        "cut after {elapsed:?}, the deadline being 2 s"
    );
    assert_eq!(
        status_of(&received),
        Some(408),
        "{}",
        String::from_utf8_lossy(&received)
    );
    // The server is not held: it still answers.
    let (status, _) = healthz(&server).await;
    assert_eq!(status, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_that_trickle_in_are_cut_at_the_header_deadline() {
    let server = Server::start(&[("HEADER_READ_TIMEOUT", "2s")]).await;
    let mut stream = server.connect().await;
    let started = Instant::now();
    stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n", server.host()).as_bytes())
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for n in 0.. {
            if writer
                .write_all(format!("X-Slow-{n}: x\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    let mut buffer = [0_u8; 4096];
    let cut = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    trickle.abort();
    let elapsed = started.elapsed();
    assert!(cut.is_ok(), "the connection was still open after 10 s");
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(5),
        "cut after {elapsed:?}, the deadline being 2 s"
    );
}

/// A connection the server has taken: one request answered on it, and it is
/// kept open (idle, keep-alive).
async fn served_connection(server: &Server) -> TcpStream {
    let mut stream = server.connect().await;
    stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", server.host()).as_bytes())
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    while !String::from_utf8_lossy(&received).contains("\"database\"") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer))
            .await
            .expect("answered")
            .unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&received));
        received.extend_from_slice(&buffer[..n]);
    }
    assert_eq!(status_of(&received), Some(200));
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_refused_until_some_close() {
    let server = Server::start(&[("MAX_CONNECTIONS", "8")]).await;
    // `wait_until_up`'s client may still hold its connection for a moment.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut open = Vec::new();
    for _ in 0..8 {
        open.push(served_connection(&server).await);
    }
    // The ninth is answered 503 at once and closed, whether or not it sent
    // a request.
    let mut ninth = server.connect().await;
    let refused = read_until_closed(&mut ninth, Duration::from_secs(5))
        .await
        .expect("refused and closed");
    let text = String::from_utf8_lossy(&refused).to_lowercase();
    assert_eq!(status_of(&refused), Some(503), "{text}");
    assert!(text.contains("retry-after: 1"), "{text}");
    let (status, text) = healthz(&server).await;
    assert_eq!(status, Some(503), "{text}");
    // Two close: new connections are served again.
    open.truncate(6);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, text) = healthz(&server).await;
        match status {
            Some(200) => break,
            Some(503) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            _ => panic!("not served after two connections closed: {text}"),
        }
    }
    // Two at once, while the six stay open (once the last exchange's
    // connection has let go of its place).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (seventh, eighth) = (
        served_connection(&server).await,
        served_connection(&server).await,
    );
    let mut over = server.connect().await;
    let refused = read_until_closed(&mut over, Duration::from_secs(5))
        .await
        .expect("refused and closed");
    assert_eq!(status_of(&refused), Some(503));
    drop((open, seventh, eighth));
}

/// A request of `head` and `body` on its own connection (the body written in
/// pieces, until the server closes); the answer's status and text.
async fn post_body(server: &Server, head: &str, body: &[u8]) -> (Option<u16>, String) {
    let mut stream = server.connect().await;
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(16 * 1024) {
        if stream.write_all(chunk).await.is_err() {
            break;
        }
    }
    let received = read_until_closed(&mut stream, Duration::from_secs(10))
        .await
        .expect("answered and closed");
    (
        status_of(&received),
        String::from_utf8_lossy(&received).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_function_bodies_over_64_kib_are_413() {
    let server = Server::start(&[]).await;
    let form = |size: usize| {
        let mut body = String::from("email=a%40example.com&next=&password=");
        body.push_str(&"a".repeat(size - body.len()));
        body
    };
    let head = |length: usize| {
        format!(
            "POST /rpc/sign_in HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n",
            server.host()
        )
    };
    let limit = 64 * 1024;
    let (status, text) = post_body(&server, &head(limit), form(limit).as_bytes()).await;
    assert!(
        status.is_some_and(|status| status != 413 && status < 500),
        "{text}"
    );
    let (status, text) = post_body(&server, &head(limit + 1), form(limit + 1).as_bytes()).await;
    assert_eq!(status, Some(413), "{text}");
    // Without a declared length (chunked), too.
    let chunked = format!(
        "POST /rpc/sign_in HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.host()
    );
    let chunk = "a".repeat(16 * 1024);
    let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len()).repeat(5);
    let (status, text) = post_body(&server, &chunked, framed.as_bytes()).await;
    assert_eq!(status, Some(413), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_methods_and_targets_get_a_4xx_answer() {
    let server = Server::start(&[]).await;
    let host = server.host();
    for (request, expected) in [
        // Leptos' fallback would unwrap the missing path of these two.
        (format!("CONNECT {host} HTTP/1.1\r\nHost: {host}\r\n"), 405),
        ("CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n".to_owned(), 405),
        (format!("OPTIONS * HTTP/1.1\r\nHost: {host}\r\n"), 405),
        (format!("TRACE / HTTP/1.1\r\nHost: {host}\r\n"), 405),
        (format!("PROPFIND /team HTTP/1.1\r\nHost: {host}\r\n"), 405),
    ] {
        let (status, text) = exchange(&server, format!("{request}Connection: close\r\n\r\n")).await;
        assert_eq!(status, Some(expected), "{request:?}: {text}");
        if expected == 405 {
            assert!(
                text.to_lowercase()
                    .contains("allow: get, head, post, delete"),
                "{request:?}: {text}"
            );
        }
    }
    // The REST router answers with the route's own methods in `Allow`.
    let (status, text) = exchange(
        &server,
        format!("OPTIONS /api/v1/members HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, Some(405), "{text}");
    let allow = text
        .lines()
        .find_map(|line| {
            line.to_lowercase()
                .strip_prefix("allow: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    assert!(allow.contains("get") && !allow.contains("delete"), "{text}");
    // Still serving.
    let (status, _) = healthz(&server).await;
    assert_eq!(status, Some(200));
}
