//! Grouping copies into sessions.

use super::*;

fn sighting(tool: ToolId, entry: &str, user: Option<&str>, secret: &str) -> Sighting {
    Sighting {
        tool,
        place: Place::File {
            path: "/x".into(),
            entry: entry.into(),
        },
        user: user.map(Into::into),
        host: Some("github.com".into()),
        secret: SecretString::new(secret.into()),
        kind: TokenKind::AccessToken,
        also: Vec::new(),
        client_secret: None,
        revoker: Revoker::profile("github"),
    }
}

#[test]
fn one_secret_in_several_stores_is_one_session_and_the_same_host_is_not() {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"k");
    let found = group(
        vec![
            sighting(ToolId::Gh, "a", None, "gho_1"),
            sighting(ToolId::Git, "b", Some("octocat"), "gho_1"),
            sighting(ToolId::Gh, "c", Some("octocat"), "gho_2"),
        ],
        &key,
    );
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].copies.len(), 2);
    assert_eq!(found[0].user.as_deref(), Some("octocat"));
    assert_ne!(found[0].id, found[1].id);
    let again = group(vec![sighting(ToolId::Gh, "a", None, "gho_1")], &key);
    assert_eq!(again[0].id, found[0].id, "the id is stable across scans");
    let other_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"other");
    let elsewhere = group(vec![sighting(ToolId::Gh, "a", None, "gho_1")], &other_key);
    assert_ne!(
        elsewhere[0].id, found[0].id,
        "the id depends on this install's key"
    );
}

#[test]
fn the_client_secret_comes_from_the_first_copy_that_has_one() {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"k");
    let mut with = sighting(ToolId::Kubectl, "b", None, "rt_1");
    with.client_secret = Some(SecretString::new("app".into()));
    let found = group(
        vec![
            sighting(ToolId::Kubectl, "a", None, "rt_1"),
            with,
            sighting(ToolId::Kubectl, "c", None, "rt_2"),
        ],
        &key,
    );
    assert_eq!(
        found[0].client_secret.as_ref().map(|s| s.expose_secret()),
        Some("app")
    );
    assert!(found[1].client_secret.is_none());
}
