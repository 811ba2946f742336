//! Several server processes on one database (in-process here: each app has
//! its own pool, clock, worker and caches; they share only the database).
//! The seed flow with each request going to the next app round-robin:
//! sessions, rate limits, revocation and the outbox hold across them.

use app::error::AppError;
use app::rpc::team::RevokeMember;
use reqwest::StatusCode;

use crate::both_engines;
use crate::helpers::{
    Engine, PASSWORD, Site, TestApp, fresh_database, onboard, sign_in, spawn_with, test_config,
};
use crate::mailbox::Mailbox;
use crate::smtp_sink::SmtpSink;

both_engines!(three_processes_serve_the_seed_flow_round_robin);

async fn three_processes_serve_the_seed_flow_round_robin(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let sink = SmtpSink::start(0).await;
    let smtp = sink.url();
    // One SMTP server for all three: any process's worker may send a message.
    let a = spawn_with(test_config(&database_url, &dir, &smtp), Mailbox::Smtp(sink)).await;
    let b = spawn_with(
        test_config(&database_url, &dir, &smtp),
        Mailbox::Smtp(SmtpSink::start(0).await),
    )
    .await;
    let c = spawn_with(
        test_config(&database_url, &dir, &smtp),
        Mailbox::Smtp(SmtpSink::start(0).await),
    )
    .await;
    let apps: [&TestApp; 3] = [&a, &b, &c];
    let sites: [&Site; 3] = [&a.site, &b.site, &c.site];
    let mut turn = 0;
    let mut next = || {
        turn += 1;
        apps[turn % 3]
    };

    // Invite, register, verify, sign in and accept, each request on the
    // next process.
    a.create_admin("ada@example.com").await;
    let admin = next().sign_in("ada@example.com").await;
    let (row, joined) = onboard(&sites, &a.mail, &admin, "grace@example.com", PASSWORD).await;
    let grace = joined.session;
    for app in apps {
        assert_eq!(
            app.get("/", Some(&grace)).await.status(),
            StatusCode::OK,
            "the session works on every process"
        );
    }

    // Failed sign-ins count on every process alike.
    let wrong = || sign_in("grace@example.com", "wrong-password-123");
    for _ in 0..10 {
        assert_eq!(
            next().rpc(wrong(), None).await,
            Err(AppError::InvalidCredentials)
        );
    }
    let right = || sign_in("grace@example.com", PASSWORD);
    assert_eq!(
        next().rpc(right(), None).await,
        Err(AppError::TooManyRequests)
    );
    for app in apps {
        app.state
            .clock
            .advance(std::time::Duration::from_secs(16 * 60));
    }
    let again = next().sign_in("grace@example.com").await;

    // A revocation on one process signs her out on all of them at once.
    let admin = next().sign_in("ada@example.com").await;
    let revoke = RevokeMember { member_id: row.id };
    next().rpc(revoke, Some(&admin)).await.unwrap();
    for app in apps {
        for session in [&grace, &again] {
            assert_eq!(
                app.get("/", Some(session)).await.status(),
                StatusCode::FOUND
            );
        }
    }
    // Each mail went out once, whichever worker sent it.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(a.mail.received().await.len(), 2);
}
