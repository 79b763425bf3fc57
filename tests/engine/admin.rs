//! The admin sign-out through the core's API (issue #18), where one process makes several
//! admin actions, as the window does: the admin token is fetched once and kept, refreshed once
//! when the provider says 401 (the token expired), and a sign-out that ends only part of what
//! it should says what ended and is not called `ended`.

use std::sync::Arc;

use signoff_core::SecretString;
use signoff_core::api::{AdminOutcome, Signoff};
use signoff_core::audit::Actor;
use signoff_core::paths::Paths;
use signoff_tests::servers::admin;

fn core_for(toml: &str) -> (tempfile::TempDir, Arc<Signoff>) {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("providers.toml"), toml).unwrap();
    let core = Signoff::open(Paths::under(home.path()))
        .unwrap()
        .with_system_profiles(None);
    (home, Arc::new(core))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_admin_token_is_replaced_once_and_the_person_still_signed_out() {
    let server = admin::keycloak("staff", "signoff-admin", "kc-secret").await;
    server.add_user("6f1c-ada", "ada@acme.test", "ada");
    server.add_session("6f1c-ada");
    let (_home, core) = core_for(&format!(
        "[[provider]]\nid = \"keycloak\"\nparams = {{ host = \"sso.acme.test\", realm = \"staff\", admin_client_id = \"signoff-admin\" }}\nbase_url = \"{}\"\n",
        server.url("/").as_str().trim_end_matches('/')
    ));
    core.set_admin_secret(
        "keycloak",
        SecretString::new("kc-secret".into()),
        Actor::Admin,
    )
    .unwrap();
    // Find first (as the window does): one token.
    let person = core
        .admin_lookup("keycloak", "ada@acme.test")
        .await
        .unwrap();
    assert_eq!(person.matches[0].id, "6f1c-ada");
    let token_path = "/realms/staff/protocol/openid-connect/token";
    assert_eq!(server.requests_to(token_path), 1);
    // The token is kept for the sign-out, but has expired at Keycloak meanwhile.
    server.expire_admin_tokens();
    let receipts = core
        .admin_sign_out(
            "keycloak",
            vec!["ada@acme.test".into()],
            Actor::Admin,
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(receipts[0].result, AdminOutcome::Ended, "{receipts:?}");
    assert!(server.is_signed_out("6f1c-ada"));
    assert_eq!(
        server.requests_to(token_path),
        2,
        "one new token after the 401, not one per call: {:?}",
        server.requests_per_path()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn auth0_ending_the_sessions_but_not_the_refresh_tokens_is_not_called_ended() {
    let server = admin::auth0("m2m-app", "m2m-secret").await;
    server.add_user("auth0|ada1", "ada@acme.test", "ada");
    server.add_session("auth0|ada1");
    server.add_token("auth0|ada1", "mobile", "Acme mobile");
    // The app may delete sessions but was not granted delete:refresh_tokens.
    server.withhold("delete:refresh_tokens");
    let (_home, core) = core_for(&format!(
        "[[provider]]\nid = \"auth0\"\nparams = {{ tenant = \"acme.eu.auth0.com\", admin_client_id = \"m2m-app\" }}\nbase_url = \"{}\"\n",
        server.url("/").as_str().trim_end_matches('/')
    ));
    core.set_admin_secret(
        "auth0",
        SecretString::new("m2m-secret".into()),
        Actor::Admin,
    )
    .unwrap();
    let receipts = core
        .admin_sign_out("auth0", vec!["auth0|ada1".into()], Actor::Admin, |_| {})
        .await
        .unwrap();
    let r = &receipts[0];
    assert_eq!(r.result, AdminOutcome::Failed, "{r:?}");
    assert_eq!(r.done, ["delete the user's sessions"], "{r:?}");
    let note = r.report.note.as_deref().unwrap();
    assert!(
        note.contains("Partly done") && note.contains("may still be signed in"),
        "{note}"
    );
    // The provider's note for a finished sign-out is not on a receipt that did not finish.
    assert!(!note.contains("eventually consistent"), "{note}");
    assert!(server.sessions_of("auth0|ada1") == 0 && server.tokens_of("auth0|ada1") == 1);
}
