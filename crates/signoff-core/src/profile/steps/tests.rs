//! Profiles written as steps: what loads, what is refused (with its line), and how `{param}`s,
//! `base_url` overrides and `{token}` are resolved.

use std::path::Path;

use super::*;
use crate::profile::{ProfileSet, Protocol};

const GITHUB_LIKE: &str = r#"
[[provider]]
id = "hub"
label = "Hub"
base_url = "https://api.hub.example"
client_id = "Iv1.abc"
client_auth = "basic"
ends = "token"
manage_url = "https://hub.example/settings/applications"

[[provider.step]]
name = "revoke"
method = "DELETE"
path = "/applications/{client_id}/token"
token = "access_token"
send = "json:access_token"
headers = { Accept = "application/vnd.github+json" }
rate_limit_reset = "X-RateLimit-Reset"
answer = [
  { status = 204, then = "revoked" },
  { status = 404, then = "probe" },
]

[provider.probe]
method = "GET"
path = "/user"
token = "access_token"
send = "bearer"
client_auth = "none"
answer = [
  { status = 401, then = "already_revoked" },
  { status = "2xx", then = "failed", reason = "not_this_client" },
]
"#;

fn load(text: &str) -> ProfileSet {
    ProfileSet::parse_user_text(Path::new("/tmp/providers.toml"), text)
}

fn only_problem(text: &str) -> String {
    let set = load(text);
    assert_eq!(set.problems.len(), 1, "{:?}", set.problems);
    set.problems[0].reason.clone()
}

#[test]
fn a_profile_written_as_steps_loads_with_every_part_resolved() {
    let set = load(GITHUB_LIKE);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let p = set.get("hub").unwrap();
    assert_eq!(p.protocol, Protocol::Steps);
    assert_eq!(p.incomplete, None);
    assert_eq!(p.ends, Some(crate::profile::WhatEnds::Token));
    assert_eq!(
        p.manage_url.as_ref().unwrap().as_str(),
        "https://hub.example/settings/applications"
    );
    let step = &p.steps[0];
    assert_eq!(step.method, Method::Delete);
    assert_eq!(
        step.url.as_str(),
        "https://api.hub.example/applications/Iv1.abc/token"
    );
    assert_eq!(step.send, Placement::Json("access_token".into()));
    assert_eq!(step.body, BodyEncoding::Json);
    assert_eq!(step.client_auth, ClientAuth::Basic);
    assert_eq!(
        step.headers,
        vec![("Accept".into(), "application/vnd.github+json".into())]
    );
    assert_eq!(step.answers.len(), 2);
    assert_eq!(step.answers[1].then, Then::Probe);
    assert_eq!(
        step.rate_limit_reset,
        Some(ResetHeader {
            name: "X-RateLimit-Reset".into(),
            unit: ResetUnit::Epoch
        })
    );
    let probe = p.probe.as_ref().unwrap();
    assert_eq!(probe.method, Method::Get);
    assert_eq!(probe.url.as_str(), "https://api.hub.example/user");
    assert_eq!(probe.client_auth, ClientAuth::None);
    assert_eq!(probe.answers[1].status, StatusPattern::Class(2));
    assert_eq!(probe.answers[1].reason, Some(ReasonKind::NotThisClient));
}

#[test]
fn a_base_url_override_points_every_step_elsewhere() {
    let over = format!(
        "{GITHUB_LIKE}\n[[provider]]\nid = \"hub\"\nbase_url = \"http://127.0.0.1:8080/api/v3\"\n"
    );
    // Two entries with one id in one file: the second is refused; use two layers instead.
    let set = ProfileSet::parse_layer_texts(
        Some((Path::new("/etc/signoff/providers.toml"), GITHUB_LIKE)),
        (
            Path::new("/tmp/providers.toml"),
            "[[provider]]\nid = \"hub\"\nbase_url = \"http://127.0.0.1:8080/api/v3\"\n",
        ),
    );
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let p = set.get("hub").unwrap();
    assert_eq!(
        p.steps[0].url.as_str(),
        "http://127.0.0.1:8080/api/v3/applications/Iv1.abc/token"
    );
    assert_eq!(
        p.probe.as_ref().unwrap().url.as_str(),
        "http://127.0.0.1:8080/api/v3/user"
    );
    assert!(load(&over).problems[0].reason.contains("duplicate"));
}

#[test]
fn a_param_is_one_encoded_path_segment_and_cannot_change_the_host() {
    let text = r#"
[[provider]]
id = "tenant"
base_url = "https://login.example"
client_auth = "none"
params = { tenant = "a/../../evil.example?x=#" }
[[provider.step]]
path = "/{tenant}/revoke"
token = "refresh_token"
send = "form:token"
"#;
    let set = load(text);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let url = &set.get("tenant").unwrap().steps[0].url;
    assert_eq!(url.host_str(), Some("login.example"));
    assert_eq!(url.path(), "/a%2F..%2F..%2Fevil.example%3Fx=%23/revoke");
    assert_eq!(url.query(), None);
}

#[test]
fn an_unset_param_leaves_the_profile_incomplete_not_rejected() {
    let text = r#"
[[provider]]
id = "okta-like"
base_url = "https://{org}.okta.example"
client_auth = "none"
[[provider.step]]
path = "/oauth2/v1/revoke"
token = "refresh_token"
send = "form:token"
"#;
    let set = load(text);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let p = set.get("okta-like").unwrap();
    assert!(
        p.incomplete.as_deref().unwrap().contains("params.org"),
        "{:?}",
        p.incomplete
    );
}

#[test]
fn the_token_goes_in_the_path_only_where_the_step_says_so() {
    let npm = r#"
[[provider]]
id = "reg"
base_url = "https://registry.example"
client_auth = "none"
[[provider.step]]
method = "DELETE"
path = "/-/user/token/{token}"
token = "access_token"
send = "path"
"#;
    let set = load(npm);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    assert_eq!(
        set.get("reg").unwrap().steps[0].url.path(),
        "/-/user/token/%7Btoken%7D"
    );
    let wrong = npm.replace("send = \"path\"", "send = \"bearer\"");
    assert!(only_problem(&wrong).contains("needs send = \"path\""));
    let missing = npm.replace("/{token}", "");
    assert!(only_problem(&missing).contains("go together"));
}

#[test]
fn steps_that_cannot_work_are_refused_with_their_reason() {
    let base = |step: &str| {
        format!(
            "[[provider]]\nid = \"x\"\nbase_url = \"https://x.example\"\nclient_auth = \"none\"\n[[provider.step]]\n{step}\n"
        )
    };
    let cases = [
        (
            "path = \"/r\"\ntoken = \"refresh_token\"\nsend = \"smoke\"",
            "use form:FIELD",
        ),
        (
            "path = \"/r\"\ntoken = \"refresh_token\"\nsend = \"form:\"",
            "needs a name",
        ),
        (
            "token = \"refresh_token\"\nsend = \"bearer\"",
            "needs a path",
        ),
        (
            "path = \"/r\"\nurl = \"https://x.example/r\"\ntoken = \"refresh_token\"\nsend = \"bearer\"",
            "both path and url",
        ),
        (
            "url = \"http://example.com/r\"\ntoken = \"refresh_token\"\nsend = \"bearer\"",
            "must be https://",
        ),
        (
            "path = \"/r\"\ntoken = \"access_token\"\nsend = \"bearer\"\nheaders = { Authorization = \"x\" }",
            "may not set the header",
        ),
        (
            "path = \"/r\"\ntoken = \"access_token\"\nsend = \"header:Host\"",
            "cannot send the token in the header",
        ),
        (
            "path = \"/r\"\ntoken = \"access_token\"\nsend = \"bearer\"\nanswer = [{ status = 404, then = \"probe\" }]",
            "no [provider.probe]",
        ),
        (
            "path = \"/r\"\ntoken = \"access_token\"\nsend = \"bearer\"\nanswer = [{ status = \"4yy\", then = \"failed\" }]",
            "not a code or a class",
        ),
        (
            "path = \"/r\"\ntoken = \"access_token\"\nsend = \"bearer\"\nanswer = [{ status = 200, json = { ok = false }, then = \"failed\" }]",
            "not a JSON Pointer",
        ),
        (
            "path = \"/r\"\ntoken = \"access_token\"\nsend = \"bearer\"\nanswer = [{ status = 200, then = \"revoked\", reason = \"ambiguous\" }]",
            "reason only goes with",
        ),
        (
            "path = \"/r\"\ntoken = \"access_token\"\nsend = \"bearer\"\nclient_auth = \"post\"",
            "has no body",
        ),
        (
            "path = \"/r\"\ntoken = \"access_token\"\nsend = \"form:token\"\nbody = \"json\"",
            "different encodings",
        ),
    ];
    for (step, needle) in cases {
        let reason = only_problem(&base(step));
        assert!(reason.contains(needle), "{step}: {reason}");
    }
    let both = "[[provider]]\nid = \"x\"\nprotocol = \"rfc7009\"\nrevocation_endpoint = \"https://x.example/r\"\n[[provider.step]]\nurl = \"https://x.example/r\"\ntoken = \"refresh_token\"\nsend = \"form:token\"\n";
    assert!(only_problem(both).contains("both protocol and steps"));
}
