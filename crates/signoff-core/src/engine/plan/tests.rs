//! The sign-out plan for each protocol, without a network: which calls, in which order, with
//! which token where.

use std::path::Path;

use super::*;
use crate::profile::ProfileSet;

mod catalogue;

const PROFILES: &str = r#"
[[provider]]
id = "corp"
label = "Corp"
protocol = "rfc7009"
revocation_endpoint = "https://auth.corp.example/oauth/revoke"
introspection_endpoint = "https://auth.corp.example/oauth/introspect"
client_id = "signoff"

[[provider]]
id = "corp-refresh"
protocol = "rfc7009"
revocation_endpoint = "https://auth.corp.example/oauth/revoke"
client_id = "signoff"
token_type_hint = "refresh_token"

[[provider]]
id = "kc"
protocol = "keycloak-logout"
logout_endpoint = "https://kc.example/realms/x/protocol/openid-connect/logout"
client_id = "c"

[[provider]]
id = "kc-revoke"
protocol = "keycloak-logout"
logout_endpoint = "https://kc.example/realms/x/protocol/openid-connect/logout"
revocation_endpoint = "https://kc.example/realms/x/protocol/openid-connect/revoke"
client_id = "c"

[[provider]]
id = "bearer"
protocol = "bearer-logout"
logout_endpoint = "https://api.example/logout"

[[provider]]
id = "oidc"
label = "Some IdP"
protocol = "oidc"
issuer = "https://id.example"
client_id = "c"
"#;

fn profile(id: &str) -> Profile {
    let set = ProfileSet::parse_user_text(Path::new("/tmp/providers.toml"), PROFILES);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    set.get(id).unwrap().clone()
}

fn tokens(refresh: bool, access: bool) -> TokenBundle {
    TokenBundle {
        refresh_token: refresh.then(|| SecretString::new("rt".into())),
        access_token: access.then(|| SecretString::new("at".into())),
        id_token: None,
    }
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn calls(plan: Plan) -> Vec<(CallKind, String, TokenKind, SendAs)> {
    match plan {
        Plan::Calls { calls, .. } => calls
            .into_iter()
            .map(|c| (c.kind, c.url().to_string(), c.token_kind(), c.send_as()))
            .collect(),
        other => panic!("expected calls, got {other:?}"),
    }
}

fn form(field: &'static str, hint: Option<TokenKind>) -> SendAs {
    SendAs::Form {
        field: field.into(),
        hint,
    }
}

#[test]
fn rfc7009_revokes_the_refresh_token_then_the_access_token() {
    let p = profile("corp");
    let plan = plan(&p, &tokens(true, true), None).unwrap();
    let Plan::Calls { introspection, .. } = &plan else {
        panic!("{plan:?}")
    };
    assert_eq!(
        introspection.as_ref().map(Url::as_str),
        Some("https://auth.corp.example/oauth/introspect")
    );
    let revoke = "https://auth.corp.example/oauth/revoke";
    assert_eq!(
        calls(plan),
        vec![
            (
                CallKind::Revocation,
                revoke.into(),
                TokenKind::RefreshToken,
                form("token", Some(TokenKind::RefreshToken))
            ),
            (
                CallKind::Revocation,
                revoke.into(),
                TokenKind::AccessToken,
                form("token", Some(TokenKind::AccessToken))
            ),
        ]
    );
}

#[test]
fn a_hinted_profile_revokes_that_kind_only_and_nothing_when_it_is_absent() {
    let p = profile("corp-refresh");
    assert_eq!(calls(plan(&p, &tokens(true, true), None).unwrap()).len(), 1);
    assert!(matches!(
        plan(&p, &tokens(false, true), None).unwrap(),
        Plan::Done {
            outcome: Outcome::LocalOnly,
            ..
        }
    ));
}

#[test]
fn keycloak_logs_out_with_the_refresh_token_else_revokes_else_is_local_only() {
    assert_eq!(
        calls(plan(&profile("kc"), &tokens(true, true), None).unwrap()),
        vec![(
            CallKind::KeycloakLogout,
            "https://kc.example/realms/x/protocol/openid-connect/logout".into(),
            TokenKind::RefreshToken,
            form("refresh_token", None)
        )]
    );
    assert_eq!(
        calls(plan(&profile("kc-revoke"), &tokens(false, true), None).unwrap()),
        vec![(
            CallKind::Revocation,
            "https://kc.example/realms/x/protocol/openid-connect/revoke".into(),
            TokenKind::AccessToken,
            form("token", Some(TokenKind::AccessToken))
        )]
    );
    let Plan::Done { outcome, note } = plan(&profile("kc"), &tokens(false, true), None).unwrap()
    else {
        panic!()
    };
    assert_eq!(outcome, Outcome::LocalOnly);
    assert!(note.contains("no refresh token"), "{note}");
}

#[test]
fn bearer_logout_sends_the_access_token_and_needs_one() {
    assert_eq!(
        calls(plan(&profile("bearer"), &tokens(true, true), None).unwrap()),
        vec![(
            CallKind::BearerLogout,
            "https://api.example/logout".into(),
            TokenKind::AccessToken,
            SendAs::Bearer
        )]
    );
    match plan(&profile("bearer"), &tokens(true, false), None) {
        Err(Verdict::Permanent(r)) => assert_eq!(r.kind(), ReasonKind::NoAccessToken),
        other => panic!("{other:?}"),
    }
}

#[test]
fn oidc_uses_the_discovered_revocation_endpoint_or_is_local_only_without_one() {
    let p = profile("oidc");
    let mut meta = Metadata {
        issuer: url("https://id.example"),
        revocation_endpoint: Some(url("https://id.example/revoke")),
        introspection_endpoint: Some(url("https://id.example/introspect")),
        end_session_endpoint: None,
        authorization_endpoint: None,
        token_endpoint: None,
        device_authorization_endpoint: None,
        sources: vec![url("https://id.example/.well-known/openid-configuration")],
        absent: vec![url(
            "https://id.example/.well-known/oauth-authorization-server",
        )],
        sign_in: Default::default(),
    };
    let planned = calls(plan(&p, &tokens(true, false), Some(&meta)).unwrap());
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].1, "https://id.example/revoke");
    meta.revocation_endpoint = None;
    let Plan::Done { outcome, note } = plan(&p, &tokens(true, false), Some(&meta)).unwrap() else {
        panic!()
    };
    assert_eq!(outcome, Outcome::LocalOnly);
    assert!(
        note.contains("Some IdP publishes no revocation endpoint"),
        "{note}"
    );
    assert!(
        note.contains("read https://id.example/.well-known/openid-configuration; nothing at https://id.example/.well-known/oauth-authorization-server"),
        "the note names the documents read: {note}"
    );
}

#[test]
fn an_incomplete_profile_is_refused_before_any_call() {
    let set = ProfileSet::parse_user_text(Path::new("/tmp/providers.toml"), "");
    let meshy = set.get("meshydb").unwrap();
    match plan(meshy, &tokens(true, true), None) {
        Err(Verdict::Permanent(r)) => assert_eq!(r.kind(), ReasonKind::ProfileIncomplete),
        other => panic!("{other:?}"),
    }
}
