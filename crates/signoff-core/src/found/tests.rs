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

/// A tool that takes `delay` to find one session named after it.
struct Slow(ToolId, std::time::Duration);

impl Tool for Slow {
    fn id(&self) -> ToolId {
        self.0
    }
    fn scan(&self, _env: &Env) -> ToolScan {
        std::thread::sleep(self.1);
        ToolScan {
            sightings: vec![sighting(self.0, "e", None, self.0.as_str())],
            problems: vec![StoreProblem {
                tool: self.0,
                store: self.0.as_str().into(),
                reason: "r".into(),
            }],
        }
    }
    fn remove(
        &self,
        _env: &Env,
        _place: &Place,
        _secrets: &[&SecretString],
    ) -> Result<Removed, edit::EditError> {
        unreachable!("not removed in this test")
    }
}

#[test]
fn tools_scan_at_once_and_their_sessions_come_in_the_tools_order() {
    use std::time::{Duration, Instant};
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"k");
    let home = tempfile::tempdir().unwrap();
    let env = Env::isolated(home.path(), &[], home.path().join("b"));
    // The first tool is the slowest: one after another, the order would be the same but the
    // time the sum.
    let tools: Vec<Box<dyn Tool>> = vec![
        Box::new(Slow(ToolId::Npm, Duration::from_millis(300))),
        Box::new(Slow(ToolId::Gh, Duration::from_millis(200))),
        Box::new(Slow(ToolId::Az, Duration::from_millis(100))),
        Box::new(Slow(ToolId::Git, Duration::from_millis(0))),
    ];
    let started = Instant::now();
    let found = scan(&env, &tools, &key);
    assert!(
        started.elapsed() < Duration::from_millis(550),
        "the tools ran one after another: {:?}",
        started.elapsed()
    );
    let order: Vec<ToolId> = found.sessions.iter().map(|s| s.tool).collect();
    assert_eq!(order, [ToolId::Npm, ToolId::Gh, ToolId::Az, ToolId::Git]);
    let problems: Vec<ToolId> = found.problems.iter().map(|p| p.tool).collect();
    assert_eq!(problems, order);
}
