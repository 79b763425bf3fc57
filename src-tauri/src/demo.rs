//! `--demo` (built only with the `demo` feature, run by `make run ARGS=--demo`): local providers
//! on 127.0.0.1 that behave like the seed systems, and sample accounts in a throwaway data dir.
//! `scripts/session.sh --display` gives it a throwaway keyring too, so nothing touches the person's
//! data; the demo checks that it is that keyring before writing anything.

use signoff_core::audit::Actor;
use signoff_core::{NewAccount, Paths, SecretString, Signoff, TokenBundle};
use signoff_fake_providers::{self as servers, Fault, TestServer};

/// Keeps the demo's servers and data dir alive while the app runs.
#[derive(Debug)]
pub struct Demo {
    _home: tempfile::TempDir,
    _servers: Vec<TestServer>,
}

const HYPER_SECRET: &str = "demo-hyperid-client-secret";

/// True when the keyring on this session bus is the throwaway one `scripts/session.sh` started:
/// it holds the item marked with the random `$SIGNOFF_SESSION_MARKER` that script stored there.
/// A person's own keyring has no such item, so the demo never writes into it.
fn in_throwaway_keyring() -> bool {
    let Some(marker) = std::env::var_os("SIGNOFF_SESSION_MARKER").filter(|m| m.len() >= 16) else {
        return false;
    };
    std::process::Command::new("secret-tool")
        .arg("lookup")
        .arg("signoff-session")
        .arg(marker)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts the demo providers, writes their profiles and seeds sample accounts.
pub fn prepare() -> Result<(Paths, Demo), String> {
    if !in_throwaway_keyring() {
        return Err(
            "the demo writes only into a throwaway keyring of its own, and this is not one: \
             start it with `make run ARGS=--demo`"
                .into(),
        );
    }
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let paths = Paths::under(home.path());
    let servers = tauri::async_runtime::block_on(async {
        let meshy = servers::meshydb("pk_demo").await;
        // "Add account" can sign in to the demo MeshyDB as demo / demo, or as a new anonymous user.
        meshy.add_user("demo", "demo");
        let busy = servers::meshydb("pk_demo").await;
        busy.fail_always(Some(Fault::RateLimited {
            retry_after: Some("120".into()),
        }));
        let hyper = servers::hyperid("signoff-demo", HYPER_SECRET).await;
        let matar = servers::matar().await;
        vec![meshy, busy, hyper, matar]
    });
    let [meshy, busy, hyper, matar] = &servers[..] else {
        unreachable!("four servers")
    };
    let hyper_base = format!(
        "{}auth/realms/{{realm}}/protocol/openid-connect",
        hyper.base
    );
    let profiles = format!(
        "[[provider]]\nid = \"meshydb\"\nlabel = \"MeshyDB (demo)\"\nclient_id = \"pk_demo\"\n\
         revocation_endpoint = \"{0}{{account}}/connect/revocation\"\n\
         token_endpoint = \"{0}{{account}}/connect/token\"\n\
         anonymous_registration_endpoint = \"{0}{{account}}/users/register/anonymous\"\n\
         params = {{ account = \"acme\" }}\n\n\
         [[provider]]\nid = \"meshydb-busy\"\nlabel = \"MeshyDB, over its limit (demo)\"\nprotocol = \"rfc7009\"\n\
         client_id = \"pk_demo\"\ntoken_type_hint = \"refresh_token\"\nclient_auth = \"none\"\n\
         revocation_endpoint = \"{1}acme/connect/revocation\"\n\n\
         [[provider]]\nid = \"hyperid\"\nlabel = \"HyperID (demo)\"\nclient_id = \"signoff-demo\"\n\
         logout_endpoint = \"{hyper_base}/logout\"\nintrospection_endpoint = \"{hyper_base}/token/introspect\"\n\n\
         [[provider]]\nid = \"matar\"\nlabel = \"Matar (demo)\"\nlogout_endpoint = \"{2}api/v1/logout\"\n",
        meshy.base, busy.base, matar.base
    );
    std::fs::write(home.path().join("providers.toml"), profiles).map_err(|e| e.to_string())?;
    let core = Signoff::open(paths.clone()).map_err(|e| e.to_string())?;
    core.set_client_secret(
        "hyperid",
        SecretString::new(HYPER_SECRET.into()),
        Actor::Admin,
    )
    .map_err(|e| e.to_string())?;
    // (provider, label, subject, tokens, the server that issued them: none means "expired")
    type Sample<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        &'a str,
        Option<&'a TestServer>,
    );
    let samples: [Sample<'_>; 5] = [
        (
            "meshydb",
            "Acme MeshyDB",
            Some("ada@acme.example"),
            r#"{"refresh_token":"demo-meshy-1"}"#,
            Some(meshy),
        ),
        (
            "meshydb-busy",
            "Acme analytics",
            Some("ada@acme.example"),
            r#"{"refresh_token":"demo-busy-1"}"#,
            Some(busy),
        ),
        (
            "hyperid",
            "HyperID work",
            Some("ada"),
            r#"{"refresh_token":"demo-hyper-1"}"#,
            Some(hyper),
        ),
        (
            "matar",
            "Matar phone",
            None,
            r#"{"access_token":"demo-matar-1"}"#,
            Some(matar),
        ),
        // Never issued by the demo server: it answers "expired", so this one needs attention.
        (
            "matar",
            "Matar old laptop",
            None,
            r#"{"access_token":"demo-matar-expired"}"#,
            None,
        ),
    ];
    for (provider, label, subject, tokens, server) in samples {
        let bundle = TokenBundle::from_json(tokens).map_err(|e| e.to_string())?;
        if let Some(server) = server {
            let t = bundle
                .refresh_token
                .as_ref()
                .or(bundle.access_token.as_ref())
                .map(|s| s.expose_secret().to_owned());
            server.issue(&t.unwrap_or_default());
        }
        let new = NewAccount {
            provider_id: provider.into(),
            label: label.into(),
            subject: subject.map(Into::into),
        };
        core.add_account(new, bundle, Actor::Admin)
            .map_err(|e| e.to_string())?;
    }
    Ok((
        paths,
        Demo {
            _home: home,
            _servers: servers,
        },
    ))
}
