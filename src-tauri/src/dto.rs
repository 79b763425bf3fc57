//! View types the shell sends to the page that are not the core's own: the provider list the
//! add-account form and the sign-out confirmation read (`list_providers`, the first view).

use serde::Serialize;
use signoff_core::Signoff;
use signoff_core::profile::{Profile, ProfileProblem, SignInMethod};

/// Provider profiles, for the add-account form and the sign-out confirmation.
#[derive(Debug, Serialize)]
pub struct Providers {
    profiles: Vec<ProviderView>,
    problems: Vec<ProfileProblem>,
}

#[derive(Debug, Serialize)]
pub struct ProviderView {
    id: String,
    label: String,
    /// False when signing out can only delete the local copy.
    revokes_on_server: bool,
    /// True when "Sign in with the browser" works for this provider (OpenID Connect).
    can_sign_in: bool,
    /// How accounts are added: `browser`, `password` or `paste`.
    sign_in: SignInMethod,
    /// True when a new anonymous user can be signed in (MeshyDB).
    anonymous: bool,
    incomplete: Option<String>,
}

impl From<&Profile> for ProviderView {
    fn from(p: &Profile) -> Self {
        Self {
            id: p.id.clone(),
            label: p.label.clone(),
            revokes_on_server: p.can_revoke_on_server(),
            can_sign_in: p.sign_in_method() == SignInMethod::Browser,
            sign_in: p.sign_in_method(),
            anonymous: p.has_anonymous_users(),
            incomplete: p.incomplete.clone(),
        }
    }
}

/// What `list_providers` answers.
pub fn providers_view(core: &Signoff) -> Providers {
    let set = core.providers();
    Providers {
        profiles: set.profiles.iter().map(ProviderView::from).collect(),
        problems: set.problems,
    }
}
