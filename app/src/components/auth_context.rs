//! The signed-in user, fetched once per navigation-changing action and shared
//! by every screen through context.

use leptos::prelude::*;

use crate::error::AppError;
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
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
}

impl Auth {
    pub fn provide() {
        let sign_in = ServerAction::<SignIn>::new();
        let sign_out = ServerAction::<SignOut>::new();
        let create_first_admin = ServerAction::<CreateFirstAdmin>::new();
        let accept_invitation = ServerAction::<AcceptInvitation>::new();
        let user = Resource::new(
            move || {
                (
                    sign_in.version().get(),
                    sign_out.version().get(),
                    create_first_admin.version().get(),
                    accept_invitation.version().get(),
                )
            },
            |_| get_current_user(),
        );
        provide_context(Self {
            sign_in,
            sign_out,
            create_first_admin,
            accept_invitation,
            user,
        });
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }
}
