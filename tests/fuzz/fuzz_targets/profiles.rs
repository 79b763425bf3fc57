//! Loading provider profiles: the system-wide and the user's `providers.toml` merged over the
//! built-ins, exactly as `ProfileSet::load_layers` does with the files' contents.
//!
//! Input: UTF-8 TOML (the loader reads files with `read_to_string`, so other bytes never reach
//! the parser). A line `#--- user` splits it: above is the system-wide file (where `locked`
//! counts), below the user's; without it the whole input is the user's file.
//!
//! Checked: no panic; every profile that loads has a valid id and only endpoints (steps and
//! probes included) that may carry a token (https, or http to loopback; no user name or
//! password); a token goes in a URL's path only where a step says so; a rejected profile is reported
//! with a line inside its file; the result serialises (as `signoff providers --json` does).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use signoff_core::account::validate_provider_id;
use signoff_core::profile::steps::TOKEN_SEGMENT;
use signoff_core::profile::{Placement, ProfileSet, Protocol, is_allowed_endpoint};

const SPLIT: &str = "#--- user\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let system_path = Path::new("/etc/signoff/providers.toml");
    let user_path = Path::new("/home/fuzz/.config/signoff/providers.toml");
    let (system, user) = match text.split_once(SPLIT) {
        Some((system, user)) => (Some(system), user),
        None => (None, text),
    };
    let set = match system {
        Some(system) => {
            ProfileSet::parse_layer_texts(Some((system_path, system)), (user_path, user))
        }
        None => ProfileSet::parse_user_text(user_path, user),
    };

    for p in &set.profiles {
        assert!(validate_provider_id(&p.id).is_ok(), "{:?}", p.id);
        for url in [
            &p.revocation_endpoint,
            &p.logout_endpoint,
            &p.introspection_endpoint,
            &p.issuer,
            &p.base_url,
        ]
        .into_iter()
        .flatten()
        .chain(p.steps.iter().chain(&p.probe).map(|s| &s.url))
        {
            assert!(is_allowed_endpoint(url), "{url}");
            assert!(
                url.username().is_empty() && url.password().is_none(),
                "{url}"
            );
        }
        let required = match p.protocol {
            Protocol::Rfc7009 => p.revocation_endpoint.is_some(),
            Protocol::KeycloakLogout | Protocol::BearerLogout => p.logout_endpoint.is_some(),
            Protocol::Oidc => p.issuer.is_some(),
            Protocol::Steps => true,
        };
        // A token sent in the path has its one placeholder segment; no other step has one.
        for s in p.steps.iter().chain(&p.probe) {
            let placeholder = s
                .url
                .path_segments()
                .is_some_and(|mut segs| segs.any(|seg| seg == TOKEN_SEGMENT));
            assert_eq!(placeholder, s.send == Placement::Path, "{s:?}");
        }
        assert!(required || p.incomplete.is_some(), "{p:?}");
        if p.incomplete.is_none() {
            assert!(
                p.client_id.is_some()
                    || matches!(p.protocol, Protocol::BearerLogout | Protocol::Steps),
                "{p:?}"
            );
        }
        let _ = p.can_revoke_on_server();
        assert!(set.get(&p.id).is_ok());
    }
    let ids: std::collections::BTreeSet<_> = set.profiles.iter().map(|p| &p.id).collect();
    assert_eq!(ids.len(), set.profiles.len(), "one profile per id");

    for problem in &set.problems {
        let lines = if problem.file == system_path {
            system.unwrap_or_default().lines().count()
        } else if problem.file == user_path {
            user.lines().count()
        } else {
            // The built-ins never have problems of their own, but a user's bad override can be
            // reported at the built-in line that its merge left wrong.
            continue;
        };
        assert!(
            problem.line <= lines + 1,
            "{problem} (file has {lines} lines)"
        );
        let _ = problem.to_string();
    }
    serde_json::to_string(&set).expect("a profile set serialises");
});
