//! argon2 cannot be used to take the server down (review H1): after setup,
//! `create_first_admin` costs no hash and is rate limited; a flood of
//! hash-bound requests, half of whose clients go away mid-request, never runs
//! more hashes (so blocking threads) than there are cores, keeps memory
//! bounded, and a real sign-in still gets through.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use app::error::AppError;
use app::rpc::auth::SignIn;
use app::rpc::setup::CreateFirstAdmin;
use reqwest::StatusCode;
use server_fn::ServerFn as _;
use shared::domain::Role;
use tokio::io::AsyncWriteExt as _;

use crate::both_engines;
use crate::helpers::{
    Engine, PASSWORD, TestApp, fresh_database, sign_in, spawn_app, spawn_with, stub_config,
};

fn setup_form(email: &str) -> CreateFirstAdmin {
    CreateFirstAdmin {
        first_name: "Mallory".into(),
        last_name: "Jones".into(),
        email: email.into(),
        password: PASSWORD.into(),
    }
}

async fn setup_after_the_first_admin_costs_no_hash_and_is_rate_limited(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let hashes_before = app.state.passwords.started();
    // The per-address limit: 10 attempts a minute.
    for attempt in 0..10 {
        let refused = app
            .rpc(setup_form(&format!("m{attempt}@example.com")), None)
            .await;
        assert_eq!(
            refused,
            Err(AppError::Conflict(
                "An admin already exists. Please sign in.".into()
            ))
        );
    }
    let limited = app.rpc(setup_form("m10@example.com"), None).await;
    assert_eq!(limited, Err(AppError::TooManyRequests));
    assert_eq!(
        app.state.passwords.started(),
        hashes_before,
        "a refused setup must not hash"
    );
    let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(admins, 1);
}

/// The name of the server runtime's threads (workers and blocking pool), so
/// they can be told apart from the rest of the test process's (one name per
/// engine: both run at once).
fn server_thread_name(engine: Engine) -> String {
    format!("h1-{engine:?}").to_lowercase()
}

fn server_threads(name: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .filter_map(Result::ok)
                .filter(|task| {
                    std::fs::read_to_string(task.path().join("comm"))
                        .is_ok_and(|comm| comm.trim_end() == name)
                })
                .count()
        })
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// A sign-in sent over a raw connection that is closed after `wait`, while
/// the server is still working on it.
async fn sign_in_then_hang_up(addr: &str, email: &str, from: &str, wait: Duration) {
    let body = format!(
        "email={}&password=violet-otter-harbour-9",
        email.replace('@', "%40")
    );
    let request = format!(
        "POST /rpc/sign_in HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
         X-Forwarded-For: {from}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(wait).await;
    drop(stream);
}

async fn a_hash_flood_with_clients_hanging_up_stays_bounded(engine: Engine) {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    // The server runs on its own runtime, whose threads carry a name.
    let name = server_thread_name(engine);
    let (database_url, dir) = fresh_database(engine).await;
    let (app_tx, app_rx) = tokio::sync::oneshot::channel::<TestApp>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(server_thread_name(engine))
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            // Every client its own address (as with IPv6), so the
            // per-address sign-in limit does not stop the flood.
            let (mut config, mail) = stub_config(&database_url, &dir);
            config.settings.trusted_proxy_header = Some("x-forwarded-for".into());
            let app = spawn_with(config, mail).await;
            app.create_member("grace@example.com", Role::User, true)
                .await;
            assert!(app_tx.send(app).is_ok());
            let _ = stop_rx.await;
        });
    });
    let app = app_rx.await.unwrap();
    let addr = app.site.base.trim_start_matches("http://").to_owned();

    // Sample the server's threads and the process's memory throughout.
    let baseline_rss = rss_kib();
    let sampling = Arc::new(AtomicBool::new(true));
    let peak_threads = Arc::new(AtomicUsize::new(server_threads(&name)));
    let peak_rss = Arc::new(AtomicUsize::new(0));
    let sampler = tokio::spawn({
        let (sampling, peak_threads, peak_rss, name) = (
            sampling.clone(),
            peak_threads.clone(),
            peak_rss.clone(),
            name.clone(),
        );
        async move {
            while sampling.load(Ordering::SeqCst) {
                peak_threads.fetch_max(server_threads(&name), Ordering::SeqCst);
                peak_rss.fetch_max(usize::try_from(rss_kib()).unwrap(), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    });

    // Hash-bound requests (sign-ins of unknown emails) arriving faster than
    // the cores can hash: most from clients that hang up 20 ms later, while
    // the server is still on them, some from clients that wait.
    let flood = (100 * cores).min(400);
    let mut answered = Vec::new();
    let mut hung_up = Vec::new();
    let mut legitimate = None;
    for n in 0..flood {
        let email = format!("nobody{n}@example.com");
        let from = format!("10.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256);
        if n % 10 == 0 {
            let request = app
                .site
                .post(SignIn::PATH, None)
                .header("x-forwarded-for", from);
            answered.push(tokio::spawn(async move {
                request
                    .form(&sign_in(&email, "violet-otter-harbour-9"))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }));
        } else {
            let addr = addr.clone();
            hung_up.push(tokio::spawn(async move {
                sign_in_then_hang_up(&addr, &email, &from, Duration::from_millis(20)).await;
            }));
        }
        if n == flood / 2 {
            // A legitimate sign-in in the middle of it still gets through.
            let site = crate::helpers::Site::new(app.site.base.clone());
            legitimate = Some(tokio::spawn(async move {
                let started = Instant::now();
                let token = site.sign_in_with("grace@example.com", PASSWORD).await;
                assert!(!token.is_empty());
                started.elapsed()
            }));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let took = legitimate.unwrap().await.unwrap();
    assert!(took < Duration::from_secs(30), "sign-in took {took:?}");
    for request in hung_up {
        request.await.unwrap();
    }
    for request in answered {
        let status = request.await.unwrap();
        assert!(
            [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(&status),
            "{status}"
        );
    }
    // Let the hashes of the clients that hung up finish.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sampling.store(false, Ordering::SeqCst);
    sampler.await.unwrap();

    let peak_threads = peak_threads.load(Ordering::SeqCst);
    // 2 workers; at most `cores` hashes run at once, and a blocking thread
    // that has just released its permit may not be idle yet when the next
    // hash is handed over, so up to twice that many exist, plus one for the
    // rest of the blocking work (the hasher's preparation).
    let bound = 2 + 2 * cores + 1;
    assert!(
        peak_threads <= bound,
        "{peak_threads} server threads (bound {bound}, {cores} cores)"
    );
    let grown_mib = (peak_rss.load(Ordering::SeqCst) as u64).saturating_sub(baseline_rss) / 1024;
    // At most `cores` 19 MiB work areas, plus slack for the other tests that
    // share this process (an unbounded pool grows by 19 MiB per request).
    let bound_mib = 19 * cores as u64 + 128;
    assert!(
        grown_mib <= bound_mib,
        "RSS grew by {grown_mib} MiB (bound {bound_mib})"
    );
    assert!(app.state.passwords.pooled_work_areas() <= cores);

    drop(app);
    stop_tx.send(()).unwrap();
    server.join().unwrap();
}

both_engines!(
    setup_after_the_first_admin_costs_no_hash_and_is_rate_limited,
    a_hash_flood_with_clients_hanging_up_stays_bounded,
);
