//! The review's pre-account takeover (H2), verification by GET (M2) and
//! verification mail bombing (L12): a link's GET verifies nothing, each link
//! applies the registration it was sent for, so the owner of the mailbox
//! wins whoever registered before or after them; re-registering an
//! unverified address mails only within the per-email limit.

use std::time::Duration;

use app::error::AppError;
use app::rpc::identity::{Register, VerifyEmail, VerifyOutcome};
use app::rpc::invitations::{
    AcceptInvitation, InvitationLanding, InviteLanding, PendingInvitations, RegisterFromInvitation,
};
use backend::limits::rate::VERIFICATION_RESENDS_PER_EMAIL;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use server_fn::ServerFn as _;

use crate::both_engines;
use crate::helpers::{Engine, TestApp, session_cookie, sign_in, spawn_app};
use crate::mailbox::ReceivedMail;

both_engines!(
    a_scanned_link_verifies_nothing_and_the_owner_who_registered_second_wins,
    the_owner_who_registered_first_wins_and_a_later_registrants_link_overrides_nothing,
    a_plain_form_press_verifies_and_comes_back_to_the_page,
    the_invitation_variant_fails_and_the_invite_link_changes_nothing_on_get,
    re_registering_an_unverified_address_mails_only_within_the_per_email_limit,
);

const BOB: &str = "bob@corp.example";
const BOB_PASSWORD: &str = "bobs-own-pass-4567";
const ATTACKER_PASSWORD: &str = "attacker-pass-123";

fn registration(first_name: &str, password: &str) -> Register {
    Register {
        first_name: first_name.into(),
        last_name: "Builder".into(),
        email: BOB.into(),
        password: password.into(),
    }
}

/// The verification token of the mail that greets `first_name` (mails
/// queued in one millisecond may arrive in any order).
fn token_for(mails: &[ReceivedMail], first_name: &str) -> String {
    mails
        .iter()
        .find(|mail| mail.text().contains(&format!("Hi {first_name},")))
        .unwrap_or_else(|| panic!("no mail for {first_name}"))
        .token("verify-email")
}

async fn verified_at(app: &TestApp) -> Option<i64> {
    sqlx::query_scalar("SELECT email_verified_at FROM users WHERE email_normalized = $1")
        .bind(BOB)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn first_name(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT first_name FROM users WHERE email_normalized = $1")
        .bind(BOB)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

/// GETs a link's page like a mail scanner (no cookies, no JavaScript): it
/// offers the button and changes nothing.
async fn scan(app: &TestApp, token: &str) {
    let page = app.page(&format!("/verify-email/{token}"), None).await;
    assert!(page.contains("Verify Email Address"), "{page}");
    assert!(page.contains(BOB), "the page shows the address: {page}");
    assert!(!page.contains("Email address verified"), "{page}");
    assert_eq!(verified_at(app).await, None, "a GET verified the address");
}

async fn press(app: &TestApp, token: &str) -> Result<VerifyOutcome, AppError> {
    let token = token.to_owned();
    app.rpc(VerifyEmail { token }, None).await
}

async fn signs_in(app: &TestApp, password: &str) -> bool {
    let response = app.send(&sign_in(BOB, password), None).await;
    session_cookie(&response).is_some()
}

/// Bob can sign in with his own password, never with the attacker's.
async fn bob_owns_the_account(app: &TestApp) {
    assert!(verified_at(app).await.is_some());
    assert_eq!(
        app.rpc(sign_in(BOB, ATTACKER_PASSWORD), None).await,
        Err(AppError::InvalidCredentials),
        "the attacker's password is refused"
    );
    assert!(signs_in(app, BOB_PASSWORD).await, "Bob's password works");
    assert_eq!(first_name(app).await, "Bob");
}

async fn a_scanned_link_verifies_nothing_and_the_owner_who_registered_second_wins(engine: Engine) {
    let app = spawn_app(engine).await;
    // 1. The attacker registers Bob's address with their own password.
    assert_eq!(
        app.rpc(registration("Mallory", ATTACKER_PASSWORD), None)
            .await,
        Ok(())
    );
    // Bob registers too, with his own password.
    assert_eq!(
        app.rpc(registration("Bob", BOB_PASSWORD), None).await,
        Ok(())
    );
    let mails = app.mail.wait_for(2).await;
    let attackers = token_for(&mails, "Mallory");
    let bobs = token_for(&mails, "Bob");
    // 2. The mail gateway follows both links: nothing is verified.
    scan(&app, &bobs).await;
    scan(&app, &attackers).await;
    assert!(!signs_in(&app, ATTACKER_PASSWORD).await);
    assert!(!signs_in(&app, BOB_PASSWORD).await);
    // Bob presses the button on his link: his registration applies.
    assert_eq!(press(&app, &bobs).await, Ok(VerifyOutcome::Verified));
    bob_owns_the_account(&app).await;
    // 4. The attacker's link, used afterwards, overrides nothing.
    assert_eq!(
        press(&app, &attackers).await,
        Ok(VerifyOutcome::AlreadyVerified)
    );
    bob_owns_the_account(&app).await;
    // No password hash is kept on the links once the address is verified.
    let kept: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_verifications WHERE password_hash IS NOT NULL",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(kept, 0);
}

async fn the_owner_who_registered_first_wins_and_a_later_registrants_link_overrides_nothing(
    engine: Engine,
) {
    let app = spawn_app(engine).await;
    app.rpc(registration("Bob", BOB_PASSWORD), None)
        .await
        .unwrap();
    app.rpc(registration("Mallory", ATTACKER_PASSWORD), None)
        .await
        .unwrap();
    let mails = app.mail.wait_for(2).await;
    let bobs = token_for(&mails, "Bob");
    let attackers = token_for(&mails, "Mallory");
    // The newest link (the attacker's), fetched, verifies nothing; nor does
    // Bob's.
    scan(&app, &attackers).await;
    scan(&app, &bobs).await;
    // Bob's older link still works, and applies his own registration.
    assert_eq!(press(&app, &bobs).await, Ok(VerifyOutcome::Verified));
    bob_owns_the_account(&app).await;
    assert_eq!(
        press(&app, &attackers).await,
        Ok(VerifyOutcome::AlreadyVerified)
    );
    bob_owns_the_account(&app).await;
    // The attacker's link now shows that the address is verified.
    let page = app.page(&format!("/verify-email/{attackers}"), None).await;
    assert!(page.contains("Already verified"), "{page}");
}

async fn a_plain_form_press_verifies_and_comes_back_to_the_page(engine: Engine) {
    let app = spawn_app(engine).await;
    app.rpc(registration("Bob", BOB_PASSWORD), None)
        .await
        .unwrap();
    let token = app.mail.wait_for(1).await[0].token("verify-email");
    scan(&app, &token).await;
    let page = app.press_verify(&token).await;
    assert!(page.contains("Email address verified"), "{page}");
    bob_owns_the_account(&app).await;
    // A second press (before hydration) says it is already verified.
    let again = app
        .post(VerifyEmail::PATH, None)
        .header(reqwest::header::ACCEPT, "text/html")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::FOUND);
    let back = again.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(back, format!("/verify-email/{token}"));
    assert!(app.page(&back, None).await.contains("Already verified"));
}

async fn the_invitation_variant_fails_and_the_invite_link_changes_nothing_on_get(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    app.invite(&admin, ["Bob", "Builder", BOB]).await.unwrap();
    let invite = app.mail.wait_for_token(BOB, "invite", 1).await;
    let invite_path = format!("/invite/{invite}");
    // The invite link's GET changes nothing, however often.
    let state = || async {
        let row: (String, String) = sqlx::query_as(
            "SELECT i.state, m.status FROM invitations i JOIN members m ON m.id = i.member_id",
        )
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        (row, users)
    };
    let before = state().await;
    for _ in 0..2 {
        assert!(app.page(&invite_path, None).await.contains("Register"));
    }
    assert_eq!(state().await, before);

    // Whoever sees the invite link first registers with their password.
    let from_invite = |first_name: &str, password: &str| RegisterFromInvitation {
        token: invite.clone(),
        first_name: first_name.into(),
        last_name: "Builder".into(),
        password: password.into(),
    };
    assert_eq!(
        app.rpc(from_invite("Mallory", ATTACKER_PASSWORD), None)
            .await,
        Ok(())
    );
    let attackers = app.mail.wait_for_token(BOB, "verify-email", 1).await;
    scan(&app, &attackers).await;
    // Unverified: no sign-in, so no accepting.
    assert_eq!(
        app.rpc(sign_in(BOB, ATTACKER_PASSWORD), None).await,
        Err(AppError::EmailNotVerified)
    );
    // Bob's invite link still offers him the registration form.
    let token = invite.clone();
    assert!(matches!(
        app.rpc(InvitationLanding { token }, None).await,
        Ok(InviteLanding::Register { .. })
    ));
    assert_eq!(
        app.rpc(from_invite("Bob", BOB_PASSWORD), None).await,
        Ok(())
    );
    let bobs = app.mail.wait_for_token(BOB, "verify-email", 2).await;
    scan(&app, &bobs).await;
    assert_eq!(press(&app, &bobs).await, Ok(VerifyOutcome::Verified));
    bob_owns_the_account(&app).await;
    assert_eq!(
        press(&app, &attackers).await,
        Ok(VerifyOutcome::AlreadyVerified)
    );
    assert_eq!(
        app.rpc(sign_in(BOB, ATTACKER_PASSWORD), None).await,
        Err(AppError::InvalidCredentials)
    );
    // Bob accepts.
    let session = app.sign_in_with(BOB, BOB_PASSWORD).await;
    let pending = app
        .rpc(PendingInvitations {}, Some(&session))
        .await
        .unwrap();
    let accept = AcceptInvitation {
        invitation_id: pending[0].id.clone(),
    };
    assert_eq!(app.rpc(accept, Some(&session)).await, Ok(()));
}

async fn re_registering_an_unverified_address_mails_only_within_the_per_email_limit(
    engine: Engine,
) {
    let app = spawn_app(engine).await;
    let again = usize::try_from(VERIFICATION_RESENDS_PER_EMAIL.max).unwrap();
    // The first registration, then as many again as the limit allows.
    for _ in 0..=again {
        let response = app.send(&registration("Bob", BOB_PASSWORD), None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[LOCATION], "/check-email");
    }
    app.mail.wait_for(again + 1).await;
    // Past the limit: the same answer, and no mail.
    let response = app.send(&registration("Bob", BOB_PASSWORD), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[LOCATION], "/check-email");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.mail.to(BOB).await.len(), again + 1);
    // An hour later it sends again.
    app.state.clock.advance(Duration::from_secs(3601));
    app.send(&registration("Bob", BOB_PASSWORD), None).await;
    app.mail.wait_for(again + 2).await;
}
