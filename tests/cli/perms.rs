//! Signoff's files are its person's own (issue 14, "nobody else in the loop"): a data folder or
//! file that group or others may write is refused, and the database is created private.

use std::os::unix::fs::PermissionsExt;

use crate::{json, signoff, stderr};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_data_folder_others_may_write_is_refused() {
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = signoff(home.path(), &["--json", "account", "list"], "");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["error"]["code"], "unsafe_permissions", "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("chmod go-w"),
        "{doc}"
    );
    assert!(
        !home.path().join("signoff.db").exists(),
        "nothing was created in it"
    );
}

#[test]
fn a_providers_file_its_group_may_write_is_refused_and_the_folders_and_database_are_private() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("signoff");
    let out = signoff(&home, &["--json", "account", "list"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&home.join("signoff.db")), 0o600, "created private");
    assert_eq!(mode(&home), 0o700);
    assert_eq!(mode(&home.join("logs")), 0o700);

    let providers = home.join("providers.toml");
    std::fs::write(&providers, "").unwrap();
    std::fs::set_permissions(&providers, std::fs::Permissions::from_mode(0o664)).unwrap();
    let out = signoff(&home, &["--json", "account", "list"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["error"]["code"], "unsafe_permissions");
}
