//! The signed-in user, fetched once per navigation-changing action and shared
//! by every screen through context.

use leptos::prelude::*;

use crate::error::AppError;
use crate::rpc::accounts::{CreateAccount, SwitchAccount};
use crate::rpc::auth::{CurrentUser, SignIn, SignOut, get_current_user};
use crate::rpc::invitations::AcceptInvitation;
use crate::rpc::setup::CreateFirstAdmin;

#[derive(Clone, Copy)]
pub struct Auth {
    pub sign_in: ServerAction<SignIn>,
    pub sign_out: ServerAction<SignOut>,
    pub create_first_admin: ServerAction<CreateFirstAdmin>,
    /// Accepting an invitation changes the user's membership.
    pub accept_invitation: ServerAction<AcceptInvitation>,
    /// Switching and creating accounts change the session's current account.
    pub switch_account: ServerAction<SwitchAccount>,
    pub create_account: ServerAction<CreateAccount>,
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
}

impl Auth {
    pub fn provide() {
        let sign_in = ServerAction::<SignIn>::new();
        let sign_out = ServerAction::<SignOut>::new();
        let create_first_admin = ServerAction::<CreateFirstAdmin>::new();
        let accept_invitation = ServerAction::<AcceptInvitation>::new();
        let switch_account = ServerAction::<SwitchAccount>::new();
        let create_account = ServerAction::<CreateAccount>::new();
        let user = Resource::new(
            move || {
                (
                    sign_in.version().get(),
                    sign_out.version().get(),
                    create_first_admin.version().get(),
                    accept_invitation.version().get(),
                    switch_account.version().get(),
                    create_account.version().get(),
                )
            },
            |_| get_current_user(),
        );
        provide_context(Self {
            sign_in,
            sign_out,
            create_first_admin,
            accept_invitation,
            switch_account,
            create_account,
            user,
        });
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }
}
