//! The Google Cloud CLI (`gcloud`): its config folder `$CLOUDSDK_CONFIG`, else
//! `~/.config/gcloud`, holds
//! - `credentials.db` (SQLite, `credentials(account_id, value)`; `value` is the credential's
//!   JSON: `authorized_user` with its `refresh_token`, or a `service_account` key);
//! - `access_tokens.db` (SQLite, `access_tokens(account_id, access_token, token_expiry,
//!   rapt_token, id_token)`, later releases add columns: read by name);
//! - `legacy_credentials/<account>/` (`adc.json`, `.boto`, `singlestore_bq.json`): further copies
//!   of the same refresh token, written on every store;
//! - `application_default_credentials.json` (ADC, from `gcloud auth application-default
//!   login`): a grant of its own (another client), so a session of its own unless it holds the
//!   same refresh token.
//!
//! Every copy of one refresh token is a sighting with that token as its secret, so they group
//! into one session; the cached access and ID tokens go with it. Revoked with the `google`
//! profile (it revokes the refresh token). Service-account keys cannot be revoked: local only.
//!
//! Removal does what `gcloud auth revoke` does: the account's rows are deleted from both
//! databases (one transaction each, `secure_delete` on so freed pages are zeroed), its legacy
//! files deleted, and `[core] account` of the active configuration unset when it names that
//! account (best effort: it holds no secret). A database's backup is a copy made with
//! `VACUUM INTO`, the removed rows' secret columns set to [`edit::BLANKED`] and vacuumed again
//! so no freed page keeps a token. `private_key.p12` (P12 service-account keys) is binary and
//! left alone.
//!
//! Sources: google-cloud-cli 528.0.0 `googlecloudsdk/core/config.py`,
//! `core/credentials/creds.py`, `core/credentials/store.py`, `surface/auth/revoke.py`,
//! `third_party/google/auth/_cloud_sdk.py`; see docs/found-sessions.md (gcloud).

use std::fs;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde_json::Value;

use super::{read_or_report, read_store, remove_in_file, unparsable};
use crate::found::edit::{self, EditError};
use crate::found::{
    Env, Place, Removed, Revoker, Sighting, StoreProblem, Tool, ToolId, ToolScan, lines,
};
use crate::profile::TokenKind;
use crate::secret::SecretString;

pub(super) struct Gcloud;

const CREDENTIALS_DB: &str = "credentials.db";
const ACCESS_TOKENS_DB: &str = "access_tokens.db";
const ADC: &str = "application_default_credentials.json";
const LEGACY: &str = "legacy_credentials";
/// The files of `legacy_credentials/<account>/` that may hold the refresh token.
const LEGACY_FILES: &[&str] = &["adc.json", ".boto", "singlestore_bq.json"];
/// The secret columns of `access_tokens`, blanked in a backup.
const TOKEN_COLUMNS: &[&str] = &["access_token", "rapt_token", "id_token"];
/// How long a database gcloud is writing is waited for.
const BUSY: Duration = Duration::from_millis(1500);

const SERVICE_ACCOUNT_WHY: &str = "Google cannot revoke a service-account key; delete the key (gcloud iam service-accounts keys delete) or disable the service account in the Cloud console";
const SERVICE_ACCOUNT_PAGE: &str = "https://console.cloud.google.com/iam-admin/serviceaccounts";

fn config_dir(env: &Env) -> PathBuf {
    env.var("CLOUDSDK_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| env.in_home(".config/gcloud"))
}

/// What a credential's JSON holds: the secret, its kind and how it is revoked.
struct Credential {
    secret: String,
    kind: TokenKind,
    revoker: Revoker,
    account: Option<String>,
}

/// Reads a credential JSON (`credentials.value`, `adc.json`, the ADC file); `Ok(None)` for a
/// type that holds no secret Signoff ends (external accounts).
fn credential(json: &Value) -> Result<Option<Credential>, String> {
    let Some(obj) = json.as_object() else {
        return Err("not a JSON object".into());
    };
    let s = |k: &str| obj.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
    match s("type") {
        Some("service_account") => Ok(s("private_key").map(|k| Credential {
            secret: k.to_owned(),
            kind: TokenKind::AccessToken,
            revoker: Revoker::local_only(SERVICE_ACCOUNT_WHY, Some(SERVICE_ACCOUNT_PAGE)),
            account: s("client_email").map(str::to_owned),
        })),
        Some("authorized_user") | None => Ok(s("refresh_token").map(|t| Credential {
            secret: t.to_owned(),
            kind: TokenKind::RefreshToken,
            revoker: Revoker::profile("google"),
            account: s("account").map(str::to_owned),
        })),
        Some(_) => Ok(None),
    }
}

/// A column as text, whatever SQLite type it was stored as.
fn text_col(row: &rusqlite::Row<'_>, name: &str) -> Option<String> {
    match row.get_ref(name).ok()? {
        rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
            std::str::from_utf8(t).ok().map(str::to_owned)
        }
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn open(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let c = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    c.busy_timeout(BUSY)?;
    Ok(c)
}

fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    open(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
}

/// A database problem without its details beyond SQLite's own message (which names no value).
fn db_problem(path: &Path, e: &rusqlite::Error) -> StoreProblem {
    let why = match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            "locked by another program (is gcloud running?)".to_owned()
        }
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            "not a readable SQLite database".to_owned()
        }
        _ => format!("cannot be read as gcloud's database ({e})"),
    };
    unparsable(ToolId::Gcloud, path, why)
}

/// `(account_id, value)` of every credentials row.
fn credential_rows(path: &Path) -> rusqlite::Result<Vec<(String, Option<String>)>> {
    let c = open_read_only(path)?;
    let mut st = c.prepare("SELECT * FROM credentials")?;
    let rows = st.query_map([], |r| {
        Ok((text_col(r, "account_id"), text_col(r, "value")))
    })?;
    let mut out = Vec::new();
    for r in rows {
        if let (Some(a), v) = r? {
            out.push((a, v));
        }
    }
    Ok(out)
}

/// `(account_id, [(kind, token)])` of every access_tokens row.
type TokenRow = (String, Vec<(TokenKind, String)>);

fn token_rows(path: &Path) -> rusqlite::Result<Vec<TokenRow>> {
    let c = open_read_only(path)?;
    let mut st = c.prepare("SELECT * FROM access_tokens")?;
    let rows = st.query_map([], |r| {
        let mut t = Vec::new();
        if let Some(a) = text_col(r, "access_token") {
            t.push((TokenKind::AccessToken, a));
        }
        if let Some(i) = text_col(r, "id_token") {
            t.push((TokenKind::IdToken, i));
        }
        Ok((text_col(r, "account_id"), t))
    })?;
    let mut out = Vec::new();
    for r in rows {
        if let (Some(a), t) = r? {
            out.push((a, t));
        }
    }
    Ok(out)
}

/// The refresh token of `gs_oauth2_refresh_token = …` in a `.boto` file.
fn boto_token(text: &str) -> Option<&str> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "gs_oauth2_refresh_token")
            .then(|| v.trim())
            .filter(|v| !v.is_empty())
    })
}

/// A secret as it appears inside a JSON string (a private key's newlines as `\n`).
fn json_escaped(s: &str) -> String {
    let q = serde_json::to_string(s).unwrap_or_default();
    q.get(1..q.len().saturating_sub(1))
        .unwrap_or_default()
        .to_owned()
}

fn file_place(path: PathBuf, entry: impl Into<String>) -> Place {
    Place::File {
        path,
        entry: entry.into(),
    }
}

impl Tool for Gcloud {
    fn id(&self) -> ToolId {
        ToolId::Gcloud
    }

    fn scan(&self, env: &Env) -> ToolScan {
        let mut out = ToolScan::default();
        let dir = config_dir(env);
        // Cached access and ID tokens by account.
        let tokens_db = dir.join(ACCESS_TOKENS_DB);
        let mut tokens: Vec<TokenRow> = Vec::new();
        if tokens_db.is_file() {
            match token_rows(&tokens_db) {
                Ok(t) => tokens = t,
                Err(e) => out.problems.push(db_problem(&tokens_db, &e)),
            }
        }
        let also_of = |account: &str| -> Vec<(TokenKind, SecretString)> {
            tokens
                .iter()
                .filter(|(a, _)| a == account)
                .flat_map(|(_, t)| t.iter())
                .map(|(k, t)| (*k, SecretString::new(t.clone())))
                .collect()
        };
        let sight = |out: &mut ToolScan, place: Place, user: Option<&str>, c: &Credential, also| {
            out.sightings.push(Sighting {
                client_secret: None,
                tool: ToolId::Gcloud,
                place,
                user: user.map(str::to_owned),
                host: None,
                secret: SecretString::new(c.secret.clone()),
                kind: c.kind,
                also,
                revoker: c.revoker.clone(),
            });
        };

        let creds_db = dir.join(CREDENTIALS_DB);
        if creds_db.is_file() {
            match credential_rows(&creds_db) {
                Err(e) => out.problems.push(db_problem(&creds_db, &e)),
                Ok(rows) => {
                    for (account, value) in rows {
                        let parsed = value
                            .as_deref()
                            .ok_or_else(|| "no credential".to_owned())
                            .and_then(|v| {
                                serde_json::from_str::<Value>(v)
                                    .map_err(|_| "not valid JSON".to_owned())
                            })
                            .and_then(|j| credential(&j));
                        let c = match parsed {
                            Ok(Some(c)) => c,
                            Ok(None) => continue,
                            Err(why) => {
                                out.problems.push(unparsable(
                                    ToolId::Gcloud,
                                    &creds_db,
                                    format!("the credential of {account} is {why}"),
                                ));
                                continue;
                            }
                        };
                        let also = also_of(&account);
                        sight(
                            &mut out,
                            file_place(creds_db.clone(), format!("credentials:{account}")),
                            Some(&account),
                            &c,
                            also.clone(),
                        );
                        if !also.is_empty() {
                            sight(
                                &mut out,
                                file_place(tokens_db.clone(), format!("access_tokens:{account}")),
                                Some(&account),
                                &c,
                                also,
                            );
                        }
                    }
                }
            }
        }

        // legacy_credentials/<account>/: the same token again.
        if let Ok(accounts) = fs::read_dir(dir.join(LEGACY)) {
            let mut accounts: Vec<_> = accounts.flatten().collect();
            accounts.sort_by_key(|e| e.file_name());
            for a in accounts {
                let Some(account) = a.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                let adc = a.path().join("adc.json");
                let mut known: Option<Credential> = None;
                match read_store(ToolId::Gcloud, &adc) {
                    Ok(None) => {}
                    Err(p) => out.problems.push(p),
                    Ok(Some(text)) => match serde_json::from_str::<Value>(&text)
                        .map_err(|_| "not valid JSON".to_owned())
                        .and_then(|j| credential(&j))
                    {
                        Ok(Some(c)) => {
                            sight(
                                &mut out,
                                file_place(adc.clone(), format!("{account} credential")),
                                Some(&account),
                                &c,
                                also_of(&account),
                            );
                            known = Some(c);
                        }
                        Ok(None) => {}
                        Err(why) => out.problems.push(unparsable(ToolId::Gcloud, &adc, why)),
                    },
                }
                for name in &LEGACY_FILES[1..] {
                    let path = a.path().join(name);
                    let Some(text) = read_or_report(ToolId::Gcloud, &path, &mut out.problems)
                    else {
                        continue;
                    };
                    let c = match (*name, &known) {
                        (".boto", _) if boto_token(&text).is_some() => Credential {
                            secret: boto_token(&text).unwrap_or_default().to_owned(),
                            kind: TokenKind::RefreshToken,
                            revoker: Revoker::profile("google"),
                            account: None,
                        },
                        // bq's cache: reported only when it holds the known token.
                        (_, Some(k)) if text.contains(&k.secret) => Credential {
                            secret: k.secret.clone(),
                            kind: k.kind,
                            revoker: k.revoker.clone(),
                            account: None,
                        },
                        _ => continue,
                    };
                    sight(
                        &mut out,
                        file_place(path, format!("{account} credential")),
                        Some(&account),
                        &c,
                        also_of(&account),
                    );
                }
            }
        }

        // Application default credentials: a grant of their own.
        let adc = dir.join(ADC);
        match read_store(ToolId::Gcloud, &adc) {
            Ok(None) => {}
            Err(p) => out.problems.push(p),
            Ok(Some(text)) => match serde_json::from_str::<Value>(&text)
                .map_err(|_| "not valid JSON".to_owned())
                .and_then(|j| credential(&j))
            {
                Ok(Some(c)) => {
                    let user = c.account.clone();
                    sight(
                        &mut out,
                        file_place(adc, "application default credentials"),
                        user.as_deref(),
                        &c,
                        Vec::new(),
                    );
                }
                Ok(None) => {}
                Err(why) => out.problems.push(unparsable(ToolId::Gcloud, &adc, why)),
            },
        }
        out
    }

    fn remove(
        &self,
        env: &Env,
        place: &Place,
        secrets: &[&SecretString],
    ) -> Result<Removed, EditError> {
        let Place::File { path, entry } = place else {
            return Err(EditError::Unsupported {
                path: PathBuf::new(),
                reason: "not a file".into(),
            });
        };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let in_legacy = path
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .is_some_and(|n| n == LEGACY);
        match (name, entry.split_once(':')) {
            (CREDENTIALS_DB, Some(("credentials", account))) => {
                let removed = remove_credentials_row(env, place, path, account, secrets)?;
                if removed.was_there
                    && let Some(dir) = path.parent()
                {
                    // Best effort, as gcloud does: the account line holds no secret.
                    let _ = unset_active_account(env, dir, account, secrets);
                }
                Ok(removed)
            }
            (ACCESS_TOKENS_DB, Some(("access_tokens", account))) => {
                remove_tokens_row(env, place, path, account, secrets)
            }
            (ADC, _) => delete_json_file(env, place, secrets),
            (n, _) if in_legacy && LEGACY_FILES.contains(&n) => {
                let removed = delete_json_file(env, place, secrets)?;
                // gcloud removes the whole folder; an emptied one goes (a .p12 key stays).
                if let Some(d) = path.parent() {
                    let _ = fs::remove_dir(d);
                }
                Ok(removed)
            }
            _ => Err(EditError::Unsupported {
                path: path.clone(),
                reason: "not a gcloud credential store".into(),
            }),
        }
    }
}

/// Deletes a JSON or `.boto` file that still holds one of `secrets` (also as JSON escapes it).
fn delete_json_file(
    env: &Env,
    place: &Place,
    secrets: &[&SecretString],
) -> Result<Removed, EditError> {
    let escaped: Vec<SecretString> = secrets
        .iter()
        .map(|s| json_escaped(s.expose_secret()))
        .filter(|e| secrets.iter().all(|s| s.expose_secret() != e))
        .map(SecretString::new)
        .collect();
    let all: Vec<&SecretString> = secrets.iter().copied().chain(escaped.iter()).collect();
    edit::delete_file(place, &env.backups, ToolId::Gcloud.as_str(), &all)
}

fn db_error(path: &Path, e: rusqlite::Error) -> EditError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            EditError::Changed {
                path: path.to_path_buf(),
            }
        }
        _ => EditError::Unsupported {
            path: path.to_path_buf(),
            reason: format!("the database could not be edited ({e})"),
        },
    }
}

fn open_for_edit(path: &Path) -> Result<Option<Connection>, EditError> {
    if !path.is_file() {
        return Ok(None);
    }
    let c = open(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(|e| db_error(path, e))?;
    // Deleted rows are zeroed on disk, not just unlinked from the tree.
    c.pragma_update(None, "secure_delete", true)
        .map_err(|e| db_error(path, e))?;
    Ok(Some(c))
}

/// True when the credentials row of `account` in `c` holds one of `secrets`.
fn credential_matches(
    c: &Connection,
    account: &str,
    secrets: &[&SecretString],
) -> rusqlite::Result<Option<bool>> {
    let value: Option<Option<String>> = c
        .query_row(
            "SELECT * FROM credentials WHERE account_id = ?1",
            [account],
            |r| Ok(text_col(r, "value")),
        )
        .optional()?;
    Ok(value.map(|v| {
        let secret = v
            .and_then(|v| serde_json::from_str::<Value>(&v).ok())
            .and_then(|j| credential(&j).ok().flatten())
            .map(|c| c.secret);
        secret.is_some_and(|s| secrets.iter().any(|x| x.expose_secret() == s))
    }))
}

fn remove_credentials_row(
    env: &Env,
    place: &Place,
    path: &Path,
    account: &str,
    secrets: &[&SecretString],
) -> Result<Removed, EditError> {
    let Some(mut c) = open_for_edit(path)? else {
        return Ok(gone(place));
    };
    let err = |e| db_error(path, e);
    if credential_matches(&c, account, secrets).map_err(err)? != Some(true) {
        return Ok(gone(place));
    }
    let backup = backup_db(env, &c, path, "credentials", account, &["value"], secrets)?;
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    // Again inside the lock: gcloud may have written meanwhile.
    if credential_matches(&tx, account, secrets).map_err(err)? != Some(true) {
        let _ = fs::remove_file(&backup);
        return Ok(gone(place));
    }
    tx.execute("DELETE FROM credentials WHERE account_id = ?1", [account])
        .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(Removed {
        place: place.clone(),
        backup: Some(backup),
        was_there: true,
    })
}

/// The access_tokens row goes when it holds one of `secrets`, or when the account's credential
/// is (or was) the session's: a token gcloud refreshed after the scan is still that session's.
fn tokens_row_matches(
    c: &Connection,
    path: &Path,
    account: &str,
    secrets: &[&SecretString],
) -> rusqlite::Result<bool> {
    let row: Option<Vec<String>> = c
        .query_row(
            "SELECT * FROM access_tokens WHERE account_id = ?1",
            [account],
            |r| {
                Ok(TOKEN_COLUMNS
                    .iter()
                    .filter_map(|col| text_col(r, col))
                    .collect())
            },
        )
        .optional()?;
    let Some(tokens) = row else {
        return Ok(false);
    };
    if tokens
        .iter()
        .any(|t| secrets.iter().any(|s| s.expose_secret() == t))
    {
        return Ok(true);
    }
    let creds = path.with_file_name(CREDENTIALS_DB);
    Ok(match open_read_only(&creds) {
        Ok(cc) => !matches!(credential_matches(&cc, account, secrets), Ok(Some(false))),
        Err(_) => false,
    })
}

fn remove_tokens_row(
    env: &Env,
    place: &Place,
    path: &Path,
    account: &str,
    secrets: &[&SecretString],
) -> Result<Removed, EditError> {
    let Some(mut c) = open_for_edit(path)? else {
        return Ok(gone(place));
    };
    let err = |e| db_error(path, e);
    if !tokens_row_matches(&c, path, account, secrets).map_err(err)? {
        return Ok(gone(place));
    }
    let backup = backup_db(
        env,
        &c,
        path,
        "access_tokens",
        account,
        TOKEN_COLUMNS,
        secrets,
    )?;
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    tx.execute("DELETE FROM access_tokens WHERE account_id = ?1", [account])
        .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(Removed {
        place: place.clone(),
        backup: Some(backup),
        was_there: true,
    })
}

/// A copy of the database in `env.backups` (mode 0600) with the secret `columns` of
/// `account`'s rows in `table` set to [`edit::BLANKED`], vacuumed so no freed page keeps a
/// token; checked byte by byte to hold none of `secrets`.
fn backup_db(
    env: &Env,
    c: &Connection,
    path: &Path,
    table: &str,
    account: &str,
    columns: &[&str],
    secrets: &[&SecretString],
) -> Result<PathBuf, EditError> {
    let werr = |source| EditError::Write {
        path: env.backups.clone(),
        source,
    };
    fs::create_dir_all(&env.backups).map_err(werr)?;
    let _ = fs::set_permissions(&env.backups, fs::Permissions::from_mode(0o700));
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "db".into());
    let target = env.backups.join(format!(
        "{stamp}-{}-{name}-{:04x}",
        ToolId::Gcloud.as_str(),
        fastrand::u16(..)
    ));
    // VACUUM INTO takes an empty file: made first, so it is 0600 from the start.
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&target)
        .map_err(werr)?;
    let result = (|| -> Result<(), EditError> {
        let target_str = target.to_str().ok_or_else(|| EditError::Unsupported {
            path: target.clone(),
            reason: "the backup folder's name is not UTF-8".into(),
        })?;
        c.execute("VACUUM INTO ?1", [target_str])
            .map_err(|e| db_error(path, e))?;
        let b = Connection::open_with_flags(&target, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| db_error(&target, e))?;
        let berr = |e| db_error(&target, e);
        // No journal on disk for the blanking: it would hold the old pages.
        b.pragma_update(None, "journal_mode", "MEMORY")
            .map_err(berr)?;
        b.pragma_update(None, "secure_delete", true).map_err(berr)?;
        let existing: Vec<String> = {
            let mut st = b
                .prepare(&format!("PRAGMA table_info({table})"))
                .map_err(berr)?;
            st.query_map([], |r| r.get::<_, String>(1))
                .map_err(berr)?
                .filter_map(Result::ok)
                .collect()
        };
        for col in columns.iter().filter(|c| existing.iter().any(|e| e == *c)) {
            b.execute(
                &format!(
                    "UPDATE {table} SET {col} = ?1 WHERE account_id = ?2 AND {col} IS NOT NULL"
                ),
                [edit::BLANKED, account],
            )
            .map_err(berr)?;
        }
        b.execute_batch("VACUUM").map_err(berr)?;
        drop(b);
        let bytes = fs::read(&target).map_err(werr)?;
        let leaks = secrets.iter().any(|s| {
            let s = s.expose_secret().as_bytes();
            !s.is_empty() && bytes.windows(s.len()).any(|w| w == s)
        });
        if leaks {
            return Err(EditError::Unsupported {
                path: path.to_path_buf(),
                reason: "a backup without the token could not be made".into(),
            });
        }
        let _ = fs::set_permissions(&target, fs::Permissions::from_mode(0o600));
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&target);
        return Err(e);
    }
    Ok(target)
}

/// Unsets `[core] account` in the active configuration when it names `account`, as
/// `gcloud auth revoke` does.
fn unset_active_account(
    env: &Env,
    dir: &Path,
    account: &str,
    secrets: &[&SecretString],
) -> Result<Removed, EditError> {
    let active = fs::read_to_string(dir.join("active_config"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && !s.contains(['/', '\\']))
        .unwrap_or_else(|| "default".into());
    let place = file_place(
        dir.join("configurations").join(format!("config_{active}")),
        "core.account",
    );
    remove_in_file(env, ToolId::Gcloud, &place, secrets, |text| {
        let mut section = String::new();
        Ok(lines::remove_lines(text, |line| {
            let l = line.trim();
            if let Some(s) = l.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                section = s.trim().to_owned();
                return false;
            }
            section == "core"
                && l.split_once(['=', ':'])
                    .is_some_and(|(k, v)| k.trim() == "account" && v.trim() == account)
        })
        .map(Into::into))
    })
}

fn gone(place: &Place) -> Removed {
    Removed {
        place: place.clone(),
        backup: None,
        was_there: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::found::tools::testing::{env, scan_ok, write};

    const RT_A: &str = "1//0gAAAA-refresh-alice";
    const RT_B: &str = "1//0gBBBB-refresh-bob";
    const AT_A: &str = "ya29.access-alice";

    fn user_json(rt: &str) -> String {
        format!(
            r#"{{"client_id": "32555940559.apps.googleusercontent.com", "client_secret": "ZmssLNjJy2998hD4CTg2ejr2", "refresh_token": "{rt}", "revoke_uri": "https://oauth2.googleapis.com/revoke", "scopes": ["openid"], "token_uri": "https://oauth2.googleapis.com/token", "type": "authorized_user"}}"#
        )
    }

    /// A gcloud folder with two user accounts and a service account, as 528.0.0 writes it.
    fn gcloud_dir(home: &Path) -> PathBuf {
        let dir = home.join(".config/gcloud");
        fs::create_dir_all(&dir).unwrap();
        let c = Connection::open(dir.join(CREDENTIALS_DB)).unwrap();
        c.execute_batch(
            "CREATE TABLE IF NOT EXISTS \"credentials\" (account_id TEXT PRIMARY KEY, value BLOB)",
        )
        .unwrap();
        for (a, v) in [
            ("alice@example.com", user_json(RT_A)),
            ("bob@example.com", user_json(RT_B)),
            (
                "sa@proj.iam.gserviceaccount.com",
                r#"{"type": "service_account", "client_email": "sa@proj.iam.gserviceaccount.com", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIsecret\n-----END PRIVATE KEY-----\n", "private_key_id": "abc"}"#.into(),
            ),
        ] {
            c.execute("INSERT INTO credentials VALUES (?1, ?2)", [a, &v])
                .unwrap();
        }
        let t = Connection::open(dir.join(ACCESS_TOKENS_DB)).unwrap();
        t.execute_batch(
            "CREATE TABLE IF NOT EXISTS \"access_tokens\" (account_id TEXT PRIMARY KEY, access_token TEXT, token_expiry TIMESTAMP, rapt_token TEXT, id_token TEXT)",
        )
        .unwrap();
        t.execute(
            "INSERT INTO access_tokens VALUES ('alice@example.com', ?1, '2026-12-01 16:00:00', NULL, 'eyJ.id-alice')",
            [AT_A],
        )
        .unwrap();
        t.execute(
            "INSERT INTO access_tokens VALUES ('bob@example.com', 'ya29.access-bob', '2026-12-01 16:00:00', NULL, NULL)",
            [],
        )
        .unwrap();
        write(
            home,
            ".config/gcloud/legacy_credentials/alice@example.com/adc.json",
            &user_json(RT_A),
            0o600,
        );
        write(
            home,
            ".config/gcloud/legacy_credentials/alice@example.com/.boto",
            &format!(
                "[OAuth2]\nclient_id = 32555940559.apps.googleusercontent.com\n\n[Credentials]\ngs_oauth2_refresh_token = {RT_A}\n"
            ),
            0o600,
        );
        write(home, ".config/gcloud/active_config", "default", 0o644);
        write(
            home,
            ".config/gcloud/configurations/config_default",
            "[core]\naccount = alice@example.com\nproject = p\n\n[compute]\nzone = z\n",
            0o644,
        );
        dir
    }

    #[test]
    fn every_copy_of_a_refresh_token_is_one_session() {
        let home = tempfile::tempdir().unwrap();
        let dir = gcloud_dir(home.path());
        write(
            home.path(),
            ".config/gcloud/application_default_credentials.json",
            &user_json("1//0gADC-own-grant"),
            0o600,
        );
        let found = scan_ok(&Gcloud, &env(home.path(), &[]));
        let alice: Vec<_> = found
            .iter()
            .filter(|s| s.secret.expose_secret() == RT_A)
            .collect();
        assert_eq!(
            alice.len(),
            4,
            "credentials, access_tokens, adc.json, .boto"
        );
        assert!(
            alice
                .iter()
                .all(|s| s.user.as_deref() == Some("alice@example.com")
                    && s.kind == TokenKind::RefreshToken
                    && s.revoker == Revoker::profile("google"))
        );
        assert!(
            alice[0]
                .also
                .iter()
                .any(|(k, t)| *k == TokenKind::AccessToken && t.expose_secret() == AT_A)
        );
        assert!(alice[0].also.iter().any(|(k, _)| *k == TokenKind::IdToken));
        assert!(found.iter().any(|s| s.secret.expose_secret() == RT_B));
        let sa = found
            .iter()
            .find(|s| s.user.as_deref() == Some("sa@proj.iam.gserviceaccount.com"))
            .unwrap();
        assert!(!sa.revoker.can_revoke());
        let adc = found
            .iter()
            .find(|s| s.place.path() == Some(&dir.join(ADC)))
            .unwrap();
        assert_eq!(adc.secret.expose_secret(), "1//0gADC-own-grant");
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"k");
        let sessions = crate::found::group(found, &key);
        assert_eq!(sessions.len(), 4, "alice, bob, the service account, ADC");
    }

    #[test]
    fn removing_an_account_keeps_the_other_and_backups_hold_no_token() {
        let home = tempfile::tempdir().unwrap();
        let dir = gcloud_dir(home.path());
        fs::set_permissions(dir.join(CREDENTIALS_DB), fs::Permissions::from_mode(0o600)).unwrap();
        let e = env(home.path(), &[]);
        let found = scan_ok(&Gcloud, &e);
        let alice: Vec<_> = found
            .iter()
            .filter(|s| s.secret.expose_secret() == RT_A)
            .collect();
        let secrets: Vec<&SecretString> = std::iter::once(&alice[0].secret)
            .chain(alice[0].also.iter().map(|(_, s)| s))
            .collect();
        for s in &alice {
            let r = Gcloud.remove(&e, &s.place, &secrets).unwrap();
            assert!(r.was_there, "{}", s.place);
            let backup = r.backup.unwrap();
            assert_eq!(
                fs::metadata(&backup).unwrap().permissions().mode() & 0o777,
                0o600
            );
            let bytes = fs::read(&backup).unwrap();
            for secret in [RT_A, AT_A, "eyJ.id-alice"] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{secret} in {}",
                    backup.display()
                );
            }
            if backup.to_string_lossy().ends_with(".db")
                || backup.to_string_lossy().contains(".db-")
            {
                let b =
                    Connection::open_with_flags(&backup, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
                let table = if s.place.to_string().contains("access_tokens") {
                    "access_tokens"
                } else {
                    "credentials"
                };
                let n: i64 = b
                    .query_row(
                        &format!(
                            "SELECT count(*) FROM {table} WHERE account_id = 'bob@example.com'"
                        ),
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(n, 1, "the backup keeps the other rows");
            }
        }
        // Bob stays, Alice is gone everywhere; the DB keeps its mode.
        let after = scan_ok(&Gcloud, &e);
        assert!(after.iter().all(|s| s.secret.expose_secret() != RT_A));
        assert!(
            after
                .iter()
                .any(|s| s.secret.expose_secret() == RT_B && !s.also.is_empty())
        );
        assert_eq!(
            fs::metadata(dir.join(CREDENTIALS_DB))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
        let raw = fs::read(dir.join(CREDENTIALS_DB)).unwrap();
        assert!(
            !raw.windows(RT_A.len()).any(|w| w == RT_A.as_bytes()),
            "secure_delete zeroes the row"
        );
        assert!(!dir.join("legacy_credentials/alice@example.com").exists());
        assert_eq!(
            fs::read_to_string(dir.join("configurations/config_default")).unwrap(),
            "[core]\nproject = p\n\n[compute]\nzone = z\n"
        );
        // Removing again: nothing there.
        assert!(
            !Gcloud
                .remove(&e, &alice[0].place, &secrets)
                .unwrap()
                .was_there
        );
    }

    #[test]
    fn a_service_account_is_local_only_and_its_key_leaves_no_trace_in_the_backup() {
        let home = tempfile::tempdir().unwrap();
        let dir = gcloud_dir(home.path());
        let e = env(home.path(), &[]);
        let found = scan_ok(&Gcloud, &e);
        let sa = found
            .iter()
            .find(|s| s.user.as_deref() == Some("sa@proj.iam.gserviceaccount.com"))
            .unwrap();
        assert!(sa.secret.expose_secret().contains("MIIsecret\n"));
        let r = Gcloud.remove(&e, &sa.place, &[&sa.secret]).unwrap();
        assert!(r.was_there);
        let bytes = fs::read(r.backup.unwrap()).unwrap();
        assert!(!bytes.windows(9).any(|w| w == b"MIIsecret"));
        let raw = fs::read(dir.join(CREDENTIALS_DB)).unwrap();
        assert!(!raw.windows(9).any(|w| w == b"MIIsecret"));
        // The active account is someone else's: the configuration is not touched.
        assert!(
            fs::read_to_string(dir.join("configurations/config_default"))
                .unwrap()
                .contains("account = alice@example.com")
        );
    }

    #[test]
    fn a_corrupt_database_is_reported_and_left_alone() {
        let home = tempfile::tempdir().unwrap();
        let junk = "this is not SQLite at all, but it is long enough to have a header.....";
        let p = write(home.path(), ".config/gcloud/credentials.db", junk, 0o600);
        let q = write(
            home.path(),
            ".config/gcloud/application_default_credentials.json",
            "{not json",
            0o600,
        );
        let s = Gcloud.scan(&env(home.path(), &[]));
        assert!(s.sightings.is_empty());
        assert_eq!(s.problems.len(), 2, "{:?}", s.problems);
        assert_eq!(fs::read_to_string(p).unwrap(), junk);
        assert_eq!(fs::read_to_string(q).unwrap(), "{not json");
    }

    #[test]
    fn a_locked_database_is_reported_and_left_alone() {
        let home = tempfile::tempdir().unwrap();
        let dir = gcloud_dir(home.path());
        let before = fs::read(dir.join(CREDENTIALS_DB)).unwrap();
        let lock = Connection::open(dir.join(CREDENTIALS_DB)).unwrap();
        lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let s = Gcloud.scan(&env(home.path(), &[]));
        assert!(
            s.problems
                .iter()
                .any(|p| p.store.ends_with(CREDENTIALS_DB) && p.reason.contains("locked")),
            "{:?}",
            s.problems
        );
        assert!(
            s.sightings
                .iter()
                .all(|x| !x.place.to_string().contains("credentials:"))
        );
        lock.execute_batch("ROLLBACK").unwrap();
        assert_eq!(fs::read(dir.join(CREDENTIALS_DB)).unwrap(), before);
    }

    #[test]
    fn the_config_dir_moves_with_cloudsdk_config() {
        let home = tempfile::tempdir().unwrap();
        write(
            home.path(),
            "elsewhere/application_default_credentials.json",
            &user_json(RT_B),
            0o600,
        );
        let d = home.path().join("elsewhere");
        let found = scan_ok(
            &Gcloud,
            &env(home.path(), &[("CLOUDSDK_CONFIG", d.to_str().unwrap())]),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].user, None);
        let e = env(home.path(), &[("CLOUDSDK_CONFIG", d.to_str().unwrap())]);
        let r = Gcloud
            .remove(&e, &found[0].place, &[&found[0].secret])
            .unwrap();
        assert!(r.was_there && !d.join(ADC).exists());
        assert!(
            !fs::read_to_string(r.backup.unwrap())
                .unwrap()
                .contains(RT_B)
        );
    }
}
