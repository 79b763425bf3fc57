//! Every built-in of the catalogue, planned without a network: once its client id and params
//! are set as a person would set them, which calls its sign-out makes, in which order, with
//! which method, URL, token placement, client authentication, fields and headers.

use std::path::Path;

use super::super::*;
use crate::profile::{BodyEncoding, ClientAuth, Method, ProfileSet, WhatEnds};

/// The settings a person adds for each built-in (client ids and params), as providers.toml.
const SETTINGS: &str = r#"
[[provider]]
id = "github"
client_id = "Iv1.app"
[[provider]]
id = "gitlab"
client_id = "gl-app"
[[provider]]
id = "box"
client_id = "box-app"
[[provider]]
id = "okta"
client_id = "okta-app"
params = { org = "acme.okta.com" }
[[provider]]
id = "auth0"
client_id = "a0-app"
params = { tenant = "acme.eu.auth0.com" }
[[provider]]
id = "keycloak"
client_id = "kc-app"
params = { host = "sso.acme.example", realm = "staff" }
[[provider]]
id = "cognito"
client_id = "cg-app"
params = { domain = "acme", region = "eu-west-1" }
[[provider]]
id = "discord"
client_id = "dc-app"
[[provider]]
id = "twitch"
client_id = "tw-app"
[[provider]]
id = "reddit"
client_id = "rd-app"
[[provider]]
id = "zoom"
client_id = "zm-app"
[[provider]]
id = "vault"
params = { address = "vault.acme.example:8200" }
[[provider]]
id = "aws-sso"
params = { region = "eu-west-1" }
"#;

fn catalogue() -> ProfileSet {
    let set = ProfileSet::parse_user_text(Path::new("/tmp/providers.toml"), SETTINGS);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    set
}

fn both() -> TokenBundle {
    TokenBundle {
        refresh_token: Some(SecretString::new("rt".into())),
        access_token: Some(SecretString::new("at".into())),
        id_token: None,
    }
}

/// (method, URL, token, where, client auth, body) of each planned call.
type Row = (
    Method,
    String,
    TokenKind,
    Placement,
    ClientAuth,
    BodyEncoding,
);

fn rows(id: &str) -> Vec<Row> {
    let set = catalogue();
    let p = set.get(id).unwrap();
    assert_eq!(p.incomplete, None, "{id}");
    match plan(p, &both(), None).unwrap() {
        Plan::Calls { calls, .. } => calls
            .into_iter()
            .map(|c| {
                let s = c.step;
                (
                    s.method,
                    s.url.to_string(),
                    s.token,
                    s.send,
                    s.client_auth,
                    s.body,
                )
            })
            .collect(),
        Plan::Done { outcome, note } => panic!("{id}: {outcome:?} {note}"),
    }
}

fn form(f: &str) -> Placement {
    Placement::Form(f.into())
}

use ClientAuth::{Basic, None as NoAuth, Post};
use Method::{Delete, Post as POST};
use TokenKind::{AccessToken as AT, RefreshToken as RT};

#[test]
fn every_built_in_loads_says_what_it_ends_and_plans_its_documented_calls() {
    let f = BodyEncoding::Form;
    let expected: Vec<(&str, Vec<Row>)> = vec![
        (
            "github",
            vec![(
                Delete,
                "https://api.github.com/applications/Iv1.app/token".into(),
                AT,
                Placement::Json("access_token".into()),
                Basic,
                BodyEncoding::Json,
            )],
        ),
        (
            "gitlab",
            vec![
                (
                    POST,
                    "https://gitlab.com/oauth/revoke".into(),
                    RT,
                    form("token"),
                    Post,
                    f,
                ),
                (
                    POST,
                    "https://gitlab.com/oauth/revoke".into(),
                    AT,
                    form("token"),
                    Post,
                    f,
                ),
            ],
        ),
        (
            "google",
            vec![
                (
                    POST,
                    "https://oauth2.googleapis.com/revoke".into(),
                    RT,
                    form("token"),
                    NoAuth,
                    f,
                ),
                (
                    POST,
                    "https://oauth2.googleapis.com/revoke".into(),
                    AT,
                    form("token"),
                    NoAuth,
                    f,
                ),
            ],
        ),
        (
            "slack",
            vec![(
                POST,
                "https://slack.com/api/auth.revoke".into(),
                AT,
                Placement::Bearer,
                NoAuth,
                BodyEncoding::None,
            )],
        ),
        (
            "dropbox",
            vec![(
                POST,
                "https://api.dropboxapi.com/2/auth/token/revoke".into(),
                AT,
                Placement::Bearer,
                NoAuth,
                BodyEncoding::None,
            )],
        ),
        (
            "box",
            vec![
                (
                    POST,
                    "https://api.box.com/oauth2/revoke".into(),
                    RT,
                    form("token"),
                    Post,
                    f,
                ),
                (
                    POST,
                    "https://api.box.com/oauth2/revoke".into(),
                    AT,
                    form("token"),
                    Post,
                    f,
                ),
            ],
        ),
        (
            "salesforce",
            vec![
                (
                    POST,
                    "https://login.salesforce.com/services/oauth2/revoke".into(),
                    RT,
                    form("token"),
                    NoAuth,
                    f,
                ),
                (
                    POST,
                    "https://login.salesforce.com/services/oauth2/revoke".into(),
                    AT,
                    form("token"),
                    NoAuth,
                    f,
                ),
            ],
        ),
        (
            "okta",
            vec![
                (
                    POST,
                    "https://acme.okta.com/oauth2/default/v1/revoke".into(),
                    RT,
                    form("token"),
                    Basic,
                    f,
                ),
                (
                    POST,
                    "https://acme.okta.com/oauth2/default/v1/revoke".into(),
                    AT,
                    form("token"),
                    Basic,
                    f,
                ),
            ],
        ),
        (
            "auth0",
            vec![(
                POST,
                "https://acme.eu.auth0.com/oauth/revoke".into(),
                RT,
                Placement::Json("token".into()),
                Post,
                BodyEncoding::Json,
            )],
        ),
        (
            "keycloak",
            vec![(
                POST,
                "https://sso.acme.example/realms/staff/protocol/openid-connect/logout".into(),
                RT,
                form("refresh_token"),
                Basic,
                f,
            )],
        ),
        (
            "cognito",
            vec![
                (
                    POST,
                    "https://cognito-idp.eu-west-1.amazonaws.com/".into(),
                    AT,
                    Placement::Json("AccessToken".into()),
                    NoAuth,
                    BodyEncoding::Json,
                ),
                (
                    POST,
                    "https://acme.auth.eu-west-1.amazoncognito.com/oauth2/revoke".into(),
                    RT,
                    form("token"),
                    Basic,
                    f,
                ),
            ],
        ),
        (
            "discord",
            vec![
                (
                    POST,
                    "https://discord.com/api/v10/oauth2/token/revoke".into(),
                    RT,
                    form("token"),
                    Basic,
                    f,
                ),
                (
                    POST,
                    "https://discord.com/api/v10/oauth2/token/revoke".into(),
                    AT,
                    form("token"),
                    Basic,
                    f,
                ),
            ],
        ),
        (
            "twitch",
            vec![(
                POST,
                "https://id.twitch.tv/oauth2/revoke".into(),
                AT,
                form("token"),
                NoAuth,
                f,
            )],
        ),
        (
            "reddit",
            vec![
                (
                    POST,
                    "https://www.reddit.com/api/v1/revoke_token".into(),
                    RT,
                    form("token"),
                    Basic,
                    f,
                ),
                (
                    POST,
                    "https://www.reddit.com/api/v1/revoke_token".into(),
                    AT,
                    form("token"),
                    Basic,
                    f,
                ),
            ],
        ),
        (
            "zoom",
            vec![(
                POST,
                "https://zoom.us/oauth/revoke".into(),
                AT,
                form("token"),
                Basic,
                f,
            )],
        ),
        (
            "npm",
            vec![(
                Delete,
                "https://registry.npmjs.org/-/user/token/%7Btoken%7D".into(),
                AT,
                Placement::Path,
                NoAuth,
                BodyEncoding::None,
            )],
        ),
        (
            "vault",
            vec![(
                POST,
                "https://vault.acme.example:8200/v1/auth/token/revoke-self".into(),
                AT,
                Placement::Header("X-Vault-Token".into()),
                NoAuth,
                BodyEncoding::None,
            )],
        ),
        (
            "aws-sso",
            vec![(
                POST,
                "https://portal.sso.eu-west-1.amazonaws.com/logout".into(),
                AT,
                Placement::Header("x-amz-sso_bearer_token".into()),
                NoAuth,
                BodyEncoding::None,
            )],
        ),
    ];
    for (id, want) in expected {
        assert_eq!(rows(id), want, "{id}");
    }
    let set = catalogue();
    for id in [
        "github",
        "gitlab",
        "google",
        "microsoft",
        "slack",
        "dropbox",
        "box",
        "salesforce",
        "okta",
        "auth0",
        "keycloak",
        "cognito",
        "discord",
        "twitch",
        "reddit",
        "zoom",
        "npm",
        "vault",
        "aws-sso",
        "spotify",
    ] {
        let p = set.get(id).unwrap();
        assert!(p.ends.is_some(), "{id} says what its sign-out ends");
    }
}

#[test]
fn providers_without_a_revoke_call_are_local_only_and_name_the_page() {
    let set = catalogue();
    for (id, page) in [
        ("spotify", "https://www.spotify.com/account/apps/"),
        ("microsoft", "https://myaccount.microsoft.com/"),
    ] {
        let p = set.get(id).unwrap();
        assert_eq!(p.ends, Some(WhatEnds::Nothing));
        assert!(!p.can_revoke_on_server(), "{id}");
        let Plan::Done { outcome, note } = plan(p, &both(), None).unwrap() else {
            panic!("{id} makes no call");
        };
        assert_eq!(outcome, Outcome::LocalOnly);
        assert!(note.contains(page), "{id}: {note}");
    }
}

#[test]
fn readiness_is_per_capability() {
    let bare = ProfileSet::parse_user_text(Path::new("/tmp/providers.toml"), "");
    // Google, Slack and Dropbox revoke with the token alone; Google's sign-in needs a client.
    for id in ["google", "slack", "dropbox"] {
        assert_eq!(bare.get(id).unwrap().incomplete, None, "{id}");
    }
    let google = bare.get("google").unwrap();
    assert!(google.sign_in_needs().unwrap().contains("client_id"));
    // GitHub's revoke names the app: its sign-out needs the client id.
    assert!(
        bare.get("github")
            .unwrap()
            .incomplete
            .as_deref()
            .unwrap()
            .contains("client_id")
    );
    // Twitch sends its client id in the form: needed even though no secret is.
    assert!(bare.get("twitch").unwrap().incomplete.is_some());
    assert_eq!(catalogue().get("gitlab").unwrap().sign_in_needs(), None);
}

#[test]
fn a_base_url_override_moves_every_call_of_a_built_in_and_drops_its_other_hosts() {
    let set = ProfileSet::parse_layer_texts(
        Some((Path::new("/etc/signoff/providers.toml"), SETTINGS)),
        (
            Path::new("/tmp/providers.toml"),
            "[[provider]]\nid = \"cognito\"\nbase_url = \"http://127.0.0.1:9000\"\n\
             [[provider]]\nid = \"gitlab\"\nbase_url = \"https://git.acme.example\"\n",
        ),
    );
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let cognito: Vec<String> = set
        .get("cognito")
        .unwrap()
        .steps
        .iter()
        .map(|s| s.url.to_string())
        .collect();
    assert_eq!(
        cognito,
        [
            "http://127.0.0.1:9000/",
            "http://127.0.0.1:9000/oauth2/revoke"
        ]
    );
    let gitlab: Vec<&str> = set
        .get("gitlab")
        .unwrap()
        .steps
        .iter()
        .map(|s| s.url.as_str())
        .collect();
    assert_eq!(
        gitlab,
        [
            "https://git.acme.example/api/v4/personal_access_tokens/self",
            "https://git.acme.example/oauth/revoke",
            "https://git.acme.example/oauth/revoke"
        ]
    );
}

#[test]
fn personal_tokens_go_where_they_can_be_revoked_or_are_said_to_be_local_only() {
    let set = catalogue();
    let with_access = |token: &str| TokenBundle {
        refresh_token: None,
        access_token: Some(SecretString::new(token.into())),
        id_token: None,
    };
    // GitLab: a personal access token revokes itself; /oauth/revoke would say 200 and leave it.
    let gitlab = set.get("gitlab").unwrap();
    let Plan::Calls { calls, .. } = plan(gitlab, &with_access("glpat-abc"), None).unwrap() else {
        panic!("a personal token is revoked at GitLab");
    };
    let urls: Vec<String> = calls.iter().map(|c| c.step.url.to_string()).collect();
    assert_eq!(
        urls,
        ["https://gitlab.com/api/v4/personal_access_tokens/self"]
    );
    assert_eq!(
        calls[0].step.send,
        Placement::Header("PRIVATE-TOKEN".into())
    );
    // GitHub: no OAuth app can revoke a personal access token: local only, never "revoked".
    let github = set.get("github").unwrap();
    for pat in ["ghp_abc", "github_pat_abc"] {
        let Plan::Done { outcome, note } = plan(github, &with_access(pat), None).unwrap() else {
            panic!("{pat}: no call");
        };
        assert_eq!(outcome, Outcome::LocalOnly);
        assert!(note.contains("github.com/settings"), "{note}");
    }
    assert!(matches!(
        plan(github, &with_access("gho_abc"), None).unwrap(),
        Plan::Calls { .. }
    ));
}
