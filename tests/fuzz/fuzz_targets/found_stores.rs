//! The readers and editors of other tools' stores (issue #17): gh's `hosts.yml`, git's
//! credential file, `.npmrc`, `.netrc`, `.vault-token`, and every further tool whose store is
//! one file at a fixed place under the home folder.
//!
//! Input: the first byte picks the tool, the rest is its file. Checked: no panic in the scan
//! or in removing what it found; a scan never changes the file; a removal that fails leaves
//! the file byte for byte as it was; one that succeeds leaves no copy of that secret in the
//! file, and its backup holds none either.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use signoff_core::found::{self, Env, ToolId};

/// Where each tool's file is, under the home folder.
fn file_of(tool: ToolId) -> Option<&'static str> {
    Some(match tool {
        ToolId::Gh => ".config/gh/hosts.yml",
        ToolId::Git => ".git-credentials",
        ToolId::Npm => ".npmrc",
        ToolId::Netrc => ".netrc",
        ToolId::Vault => ".vault-token",
        ToolId::Kubectl => ".kube/config",
        ToolId::Docker => ".docker/config.json",
        ToolId::Glab => ".config/glab-cli/config.yml",
        ToolId::Az => ".azure/msal_token_cache.json",
        _ => return None,
    })
}

fn home() -> &'static PathBuf {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("signoff-fuzz-found-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let tools: Vec<_> = found::all_tools()
        .into_iter()
        .filter(|t| file_of(t.id()).is_some())
        .collect();
    let tool = &tools[usize::from(pick) % tools.len()];
    let home = home();
    let _ = std::fs::remove_dir_all(home);
    let path = home.join(file_of(tool.id()).unwrap());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    let backups = home.join(".backups");
    let env = Env::isolated(
        home,
        &[("VAULT_ADDR", "http://127.0.0.1:8200")],
        backups.clone(),
    );

    let scan = tool.scan(&env);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        content,
        "a scan never writes"
    );
    for s in scan.sightings {
        let before = std::fs::read(&path).ok();
        let secrets: Vec<_> = std::iter::once(&s.secret)
            .chain(s.also.iter().map(|(_, t)| t))
            .collect();
        match tool.remove(&env, &s.place, &secrets) {
            Err(_) => assert_eq!(
                std::fs::read(&path).ok(),
                before,
                "a failed removal changes nothing"
            ),
            Ok(removed) => {
                let secret = s.secret.expose_secret().as_bytes();
                if let Ok(after) = std::fs::read(&path)
                    && removed.was_there
                    && !secret.is_empty()
                {
                    assert!(
                        !after.windows(secret.len()).any(|w| w == secret),
                        "the secret is gone"
                    );
                }
                if let Some(b) = removed.backup {
                    let b = std::fs::read(b).unwrap();
                    assert!(
                        !secret.is_empty() && !b.windows(secret.len()).any(|w| w == secret),
                        "a backup holds no secret"
                    );
                }
            }
        }
    }
});
