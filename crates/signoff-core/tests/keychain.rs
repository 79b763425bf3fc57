//! The vault against the real Secret Service (gnome-keyring over D-Bus).
//! Run inside `scripts/session.sh` (what `make test` does), which provides an unlocked keyring.

use std::process::Command;

use signoff_core::{AccountId, NewAccount, Paths, Signoff, TokenBundle, Vault};

/// A vault scoped to the data folder `home`.
fn vault(home: &std::path::Path) -> Vault {
    Vault::open(&Paths::under(home)).unwrap_or_else(|e| {
        panic!("no keychain ({e}); run the tests through scripts/session.sh or `make test`")
    })
}

/// What `secret-tool` (libsecret's own CLI, independent of our code) finds for an account.
fn secret_tool_lookup(id: &AccountId) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "signoff", "username", id.as_str()])
        .output()
        .expect("secret-tool is installed (libsecret-tools)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn store_read_back_delete_and_confirm_gone() {
    let home = tempfile::tempdir().unwrap();
    let vault = vault(home.path());
    let id = AccountId::generate();
    let tokens =
        TokenBundle::from_json(r#"{"refresh_token":"rt-vault-1","access_token":"at-vault-1"}"#)
            .unwrap();

    vault.put(&id, "Vault test", &tokens).unwrap();
    let back = vault.get(&id).unwrap().expect("entry is there");
    assert_eq!(back.refresh_token.unwrap().expose_secret(), "rt-vault-1");
    assert_eq!(back.access_token.unwrap().expose_secret(), "at-vault-1");
    assert!(back.id_token.is_none());
    let raw = secret_tool_lookup(&id).expect("secret-tool sees the entry");
    assert!(raw.contains("rt-vault-1"));

    assert!(vault.delete(&id).unwrap(), "first delete removes the entry");
    assert!(vault.get(&id).unwrap().is_none());
    assert_eq!(
        secret_tool_lookup(&id),
        None,
        "the keyring itself no longer has it"
    );
    assert!(
        !vault.delete(&id).unwrap(),
        "second delete is a no-op, not an error"
    );
}

#[test]
fn put_replaces_the_previous_tokens() {
    let home = tempfile::tempdir().unwrap();
    let vault = vault(home.path());
    let id = AccountId::generate();
    vault
        .put(
            &id,
            "Replace",
            &TokenBundle::from_json(r#"{"refresh_token":"old"}"#).unwrap(),
        )
        .unwrap();
    vault
        .put(
            &id,
            "Replace",
            &TokenBundle::from_json(r#"{"refresh_token":"new"}"#).unwrap(),
        )
        .unwrap();
    let back = vault.get(&id).unwrap().unwrap();
    assert_eq!(back.refresh_token.unwrap().expose_secret(), "new");
    vault.delete(&id).unwrap();
}

#[test]
fn added_account_keeps_tokens_out_of_the_data_dir() {
    let home = tempfile::tempdir().unwrap();
    let core = Signoff::open(Paths::under(home.path())).unwrap();
    let account = core
        .add_account(
            NewAccount {
                provider_id: "matar".into(),
                label: "Matar work".into(),
                subject: None,
            },
            TokenBundle::from_json(r#"{"access_token":"at-never-on-disk-7731"}"#).unwrap(),
            signoff_core::audit::Actor::Admin,
        )
        .unwrap();
    assert_eq!(core.list_accounts().unwrap(), vec![account.clone()]);
    let tokens = core.tokens(&account.id).unwrap().unwrap();
    assert_eq!(
        tokens.access_token.unwrap().expose_secret(),
        "at-never-on-disk-7731"
    );

    drop(core);
    for entry in walk(home.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        let needle = b"at-never-on-disk-7731";
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "token found in {}",
            entry.display()
        );
    }

    let core = Signoff::open(Paths::under(home.path())).unwrap();
    core.forget(&account.id, signoff_core::audit::Actor::Admin)
        .unwrap();
    assert!(core.list_accounts().unwrap().is_empty());
    assert_eq!(secret_tool_lookup(&account.id), None);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p))
        } else {
            files.push(p)
        }
    }
    files
}

#[tokio::test]
async fn tokens_from_the_window_are_checked_like_the_clis() {
    // The window's IPC deserialises the bundle with serde (no checks); the core refuses a token
    // with a space inside exactly as `signoff account add` does, and stores nothing.
    let home = tempfile::tempdir().unwrap();
    let core = std::sync::Arc::new(Signoff::open(Paths::under(home.path())).unwrap());
    let from_ipc: TokenBundle =
        serde_json::from_str(r#"{"access_token":"at-with a-space"}"#).unwrap();
    let err = core
        .add_pasted_account(
            NewAccount {
                provider_id: "matar".into(),
                label: "Matar work".into(),
                subject: None,
            },
            from_ipc,
            signoff_core::audit::Actor::User,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), signoff_core::ErrorCode::InvalidInput);
    assert_eq!(
        TokenBundle::from_json(r#"{"access_token":"at-with a-space"}"#)
            .unwrap_err()
            .code(),
        err.code()
    );
    assert!(core.list_accounts().unwrap().is_empty());
}

/// What `secret-tool search` shows of an entry's attributes (`attribute.home = ...` lines).
fn secret_tool_attributes(user: &str) -> String {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", "signoff", "username", user])
        .output()
        .expect("secret-tool is installed (libsecret-tools)");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn another_data_folder_neither_sees_nor_overwrites_this_ones_entries() {
    let (real, side) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (real_vault, side_vault) = (vault(real.path()), vault(side.path()));
    let provider = format!("scope-test-{}", AccountId::generate());
    let real_secret = signoff_core::SecretString::new("real-client-secret".into());
    real_vault
        .put_client_secret(&provider, &real_secret)
        .unwrap();
    let account = AccountId::generate();
    let tokens = TokenBundle::from_json(r#"{"refresh_token":"rt-scope-1"}"#).unwrap();
    real_vault.put(&account, "Scoped", &tokens).unwrap();

    // The side folder does not read the real folder's secret or account, nor list them.
    assert!(side_vault.client_secret(&provider).unwrap().is_none());
    assert!(side_vault.get(&account).unwrap().is_none());
    let side_entries = side_vault.entries().unwrap();
    assert!(
        side_entries
            .iter()
            .all(|e| e.user != account.as_str() && !e.user.ends_with(&provider)),
        "{side_entries:?}"
    );
    // Its own secret for the same provider and its deletes leave the real ones alone.
    side_vault
        .put_client_secret(
            &provider,
            &signoff_core::SecretString::new("side-client-secret".into()),
        )
        .unwrap();
    assert!(
        !side_vault.delete(&account).unwrap(),
        "nothing of its own to delete"
    );
    assert!(side_vault.delete_client_secret(&provider).unwrap());
    assert_eq!(
        real_vault
            .client_secret(&provider)
            .unwrap()
            .unwrap()
            .expose_secret(),
        "real-client-secret"
    );
    assert!(real_vault.get(&account).unwrap().is_some());
    let real_entries = real_vault.entries().unwrap();
    assert!(real_entries.iter().any(|e| e.user == account.as_str()));
    // The entry names its folder for keychain managers and secret-tool.
    let attrs = secret_tool_attributes(account.as_str());
    let canonical = std::fs::canonicalize(real.path()).unwrap();
    assert!(
        attrs.contains(&format!("attribute.home = {}", canonical.display())),
        "{attrs}"
    );
    real_vault.delete(&account).unwrap();
    real_vault.delete_client_secret(&provider).unwrap();
}

#[test]
fn entries_from_before_the_home_attribute_are_adopted_by_the_default_folder_only() {
    let account = AccountId::generate();
    secret_tool_store(
        &["service", "signoff", "username", account.as_str()],
        r#"{"refresh_token":"rt-unscoped-1"}"#,
    );

    let side = tempfile::tempdir().unwrap();
    assert!(vault(side.path()).get(&account).unwrap().is_none());
    assert!(!secret_tool_attributes(account.as_str()).contains("attribute.home"));

    let default = Vault::open(&Paths::platform().unwrap()).unwrap();
    let back = default.get(&account).unwrap().expect("adopted");
    assert_eq!(back.refresh_token.unwrap().expose_secret(), "rt-unscoped-1");
    assert!(
        secret_tool_attributes(account.as_str()).contains("attribute.home"),
        "scoped once found"
    );
    assert!(default.delete(&account).unwrap());
    assert_eq!(secret_tool_lookup(&account), None);
}

/// Stores an item as another program would (`secret-tool store`), with `attributes`.
fn secret_tool_store(attributes: &[&str], secret: &str) {
    use std::io::Write as _;
    let mut child = Command::new("secret-tool")
        .args(["store", "--label", "Another app"])
        .args(attributes)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("secret-tool is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(secret.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn one_read_sees_this_folders_entries_with_their_secrets_and_deletes_them_where_they_are() {
    let home = tempfile::tempdir().unwrap();
    let side = tempfile::tempdir().unwrap();
    let folder = vault(home.path());
    let ids: Vec<AccountId> = (0..3).map(|_| AccountId::generate()).collect();
    for (i, id) in ids.iter().enumerate() {
        let json = format!(r#"{{"refresh_token":"rt-snap-{i}"}}"#);
        folder
            .put(
                id,
                &format!("Snap {i}"),
                &TokenBundle::from_json(&json).unwrap(),
            )
            .unwrap();
    }
    folder
        .put_client_secret(
            "snapcorp",
            &signoff_core::SecretString::new("cs-snap".into()),
        )
        .unwrap();
    let other = AccountId::generate();
    vault(side.path())
        .put(
            &other,
            "Other folder",
            &TokenBundle::from_json(r#"{"refresh_token":"rt-other-folder"}"#).unwrap(),
        )
        .unwrap();
    // Another app's item with the same username attribute: not Signoff's.
    secret_tool_store(
        &["service", "other-app", "username", ids[0].as_str()],
        "not-signoffs",
    );

    // Read through the vault's own encrypted session (GetSecrets), so this also checks the
    // key agreement and decryption against gnome-keyring.
    let snapshot = folder.snapshot().unwrap();
    for (i, id) in ids.iter().enumerate() {
        let tokens = snapshot.tokens(id).unwrap().expect("read at once");
        assert_eq!(
            tokens.refresh_token.unwrap().expose_secret(),
            format!("rt-snap-{i}")
        );
    }
    assert_eq!(
        snapshot
            .client_secret("snapcorp")
            .unwrap()
            .unwrap()
            .expose_secret(),
        "cs-snap"
    );
    assert!(
        snapshot.tokens(&other).unwrap().is_none(),
        "another folder's"
    );
    assert!(
        !format!("{snapshot:?}").contains("rt-snap"),
        "Debug shows no secret"
    );

    // Another program removes one entry after the read: deleting it is a no-op, not an error.
    assert!(
        Command::new("secret-tool")
            .args(["clear", "service", "signoff", "username", ids[2].as_str()])
            .status()
            .unwrap()
            .success()
    );
    assert!(!folder.delete_seen(&snapshot, &ids[2]).unwrap());
    for id in &ids[..2] {
        assert!(
            folder.delete_seen(&snapshot, id).unwrap(),
            "deleted where it was"
        );
        assert_eq!(secret_tool_lookup(id), None, "the keyring no longer has it");
    }
    assert!(
        folder
            .delete_client_secret_seen(&snapshot, "snapcorp")
            .unwrap()
    );
    assert!(folder.client_secret("snapcorp").unwrap().is_none());
    assert!(
        vault(side.path()).get(&other).unwrap().is_some(),
        "the other folder's stays"
    );
    let out = Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            "other-app",
            "username",
            ids[0].as_str(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "not-signoffs",
        "the other app's stays"
    );
}

#[test]
fn one_read_by_the_default_folder_adopts_entries_from_before_the_home_attribute() {
    let account = AccountId::generate();
    secret_tool_store(
        &["service", "signoff", "username", account.as_str()],
        r#"{"refresh_token":"rt-unscoped-snap"}"#,
    );
    let side = tempfile::tempdir().unwrap();
    assert!(
        vault(side.path())
            .snapshot()
            .unwrap()
            .tokens(&account)
            .unwrap()
            .is_none()
    );
    let default = Vault::open(&Paths::platform().unwrap()).unwrap();
    let snapshot = default.snapshot().unwrap();
    let back = snapshot.tokens(&account).unwrap().expect("adopted");
    assert_eq!(
        back.refresh_token.unwrap().expose_secret(),
        "rt-unscoped-snap"
    );
    assert!(
        secret_tool_attributes(account.as_str()).contains("attribute.home"),
        "scoped once read"
    );
    assert!(default.delete_seen(&snapshot, &account).unwrap());
    assert_eq!(secret_tool_lookup(&account), None);
}
