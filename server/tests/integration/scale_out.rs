//! Several server processes on one database (in-process here: each app has
//! its own pool, clock, worker and caches; they share only the database).
//! The seed flow with each request going to the next app round-robin:
//! sessions, rate limits, revocation and the outbox hold across them.

use app::rpc::auth::SignIn;
use app::rpc::invitations::{AcceptInvitation, PendingInvitations, RegisterFromInvitation};
use app::rpc::team::RevokeMember;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use server_fn::ServerFn as _;

use crate::both_engines;
use crate::helpers::{
    Engine, PASSWORD, TestApp, fresh_database, session_cookie, spawn_with, test_config,
};
use crate::smtp_sink::SmtpSink;

both_engines!(three_processes_serve_the_seed_flow_round_robin);

async fn three_processes_serve_the_seed_flow_round_robin(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let sink = SmtpSink::start(0).await;
    let smtp = sink.url();
    let a = spawn_with(test_config(&database_url, &dir, &smtp), sink).await;
    let b = spawn_with(
        test_config(&database_url, &dir, &smtp),
        SmtpSink::start(0).await,
    )
    .await;
    let c = spawn_with(
        test_config(&database_url, &dir, &smtp),
        SmtpSink::start(0).await,
    )
    .await;
    let apps: [&TestApp; 3] = [&a, &b, &c];
    let mut turn = 0;
    let mut next = || {
        turn += 1;
        apps[turn % 3]
    };

    a.create_admin("ada@example.com").await;
    let admin = next().sign_in("ada@example.com").await;
    let invited = next()
        .invite(&admin, ["Grace", "Hopper", "grace@example.com"])
        .await;
    assert_eq!(invited.status(), StatusCode::OK);
    let row: app::rpc::team::MemberRow =
        serde_json::from_str(&invited.text().await.unwrap()).unwrap();
    let mail = a.sink.wait_for(1).await.remove(0);
    let token = mail
        .link("/invite/")
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let registered = next()
        .call(
            RegisterFromInvitation::PATH,
            &[
                ("token", token.as_str()),
                ("first_name", "Grace"),
                ("last_name", "Hopper"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;
    assert_eq!(registered.status(), StatusCode::OK);
    let verify = a.sink.wait_for(2).await.remove(1);
    let link = verify.link("/verify-email/").unwrap();
    let path = &link[link.find("/verify-email/").unwrap()..];
    assert!(
        next()
            .get(path, None)
            .await
            .text()
            .await
            .unwrap()
            .contains("Email address verified")
    );

    // Failed sign-ins count on every process alike.
    for _ in 0..10 {
        let failed = next()
            .call(
                SignIn::PATH,
                &[
                    ("email", "grace@example.com"),
                    ("password", "wrong-password-123"),
                ],
                None,
            )
            .await;
        assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = next()
        .call(
            SignIn::PATH,
            &[("email", "grace@example.com"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    for app in apps {
        app.state
            .clock
            .advance(std::time::Duration::from_secs(16 * 60));
    }
    let signed_in = next()
        .call(
            SignIn::PATH,
            &[
                ("email", "grace@example.com"),
                ("password", PASSWORD),
                ("next", ""),
            ],
            None,
        )
        .await;
    assert_eq!(signed_in.headers()[LOCATION], "/invitations");
    let grace = session_cookie(&signed_in).unwrap();
    let pending: Vec<app::rpc::invitations::PendingInvitation> = serde_json::from_str(
        &next()
            .call(PendingInvitations::PATH, &[], Some(&grace))
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let accepted = next()
        .call(
            AcceptInvitation::PATH,
            &[("invitation_id", pending[0].id.as_str())],
            Some(&grace),
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::OK);
    for app in apps {
        assert_eq!(
            app.get("/", Some(&grace)).await.status(),
            StatusCode::OK,
            "the session works on every process"
        );
    }

    // A revocation on one process signs her out on all of them at once.
    let admin = next().sign_in("ada@example.com").await;
    let revoked = next()
        .call(
            RevokeMember::PATH,
            &[("member_id", row.id.as_str())],
            Some(&admin),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    for app in apps {
        assert_eq!(app.get("/", Some(&grace)).await.status(), StatusCode::FOUND);
    }
    // Each mail went out once, whichever worker sent it.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(a.sink.received().len(), 2);
}
