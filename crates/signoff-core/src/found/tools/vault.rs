//! HashiCorp Vault's CLI: `~/.vault-token` (always there: the path cannot be moved), the
//! server from `$VAULT_ADDR`. Without an address the token cannot be revoked and the scan says
//! what is missing. A `token_helper` in `$VAULT_CONFIG_PATH`/`~/.vault` means the token lives
//! elsewhere: that is reported, not read. Source: hashicorp/vault `command/token/helper_internal.go`,
//! `command/config/config.go`.

use url::Url;

use super::read_store;
use crate::found::edit::{self, EditError};
use crate::found::{Env, Place, Removed, Revoker, Sighting, StoreProblem, Tool, ToolId, ToolScan};
use crate::profile::TokenKind;
use crate::secret::SecretString;

pub(super) struct Vault;

impl Tool for Vault {
    fn id(&self) -> ToolId {
        ToolId::Vault
    }

    fn scan(&self, env: &Env) -> ToolScan {
        let mut out = ToolScan::default();
        let config = env
            .var("VAULT_CONFIG_PATH")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| env.in_home(".vault"));
        if let Ok(Some(c)) = read_store(ToolId::Vault, &config)
            && c.contains("token_helper")
        {
            out.problems.push(StoreProblem {
                tool: ToolId::Vault,
                store: config.display().to_string(),
                reason: "a token_helper keeps the Vault token elsewhere; Signoff does not run it"
                    .into(),
            });
        }
        let path = env.in_home(".vault-token");
        let token = match read_store(ToolId::Vault, &path) {
            Ok(Some(t)) => t.trim().to_owned(),
            Ok(None) => return out,
            Err(p) => {
                out.problems.push(p);
                return out;
            }
        };
        if token.is_empty() || token.contains(char::is_whitespace) {
            if !token.is_empty() {
                out.problems.push(super::unparsable(
                    ToolId::Vault,
                    &path,
                    "not a single token",
                ));
            }
            return out;
        }
        let address = env.var("VAULT_ADDR").and_then(|a| Url::parse(a).ok());
        let revoker = match &address {
            Some(a) => Revoker::Profile {
                profile: "vault".into(),
                base_url: Some(a.clone()),
                client: None,
            },
            None => Revoker::local_only(
                "VAULT_ADDR is not set, so which Vault server issued the token is unknown; set it and scan again to revoke it there",
                None,
            ),
        };
        out.sightings.push(Sighting {
            tool: ToolId::Vault,
            place: Place::File {
                path,
                entry: "the whole file".into(),
            },
            user: None,
            host: address.and_then(|a| {
                a.host_str()
                    .map(|h| a.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
            }),
            secret: SecretString::new(token),
            kind: TokenKind::AccessToken,
            also: Vec::new(),
            client_secret: None,
            revoker,
        });
        out
    }

    fn remove(
        &self,
        env: &Env,
        place: &Place,
        secrets: &[&SecretString],
    ) -> Result<Removed, EditError> {
        edit::delete_file(place, &env.backups, ToolId::Vault.as_str(), secrets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::found::tools::testing::{env, scan_ok, write};

    #[test]
    fn the_address_decides_whether_it_can_be_revoked() {
        let home = tempfile::tempdir().unwrap();
        let p = write(home.path(), ".vault-token", "hvs.abc\n", 0o600);
        let found = scan_ok(&Vault, &env(home.path(), &[]));
        assert!(!found[0].revoker.can_revoke());
        let e = env(home.path(), &[("VAULT_ADDR", "http://127.0.0.1:8200")]);
        let found = scan_ok(&Vault, &e);
        assert_eq!(found[0].revoker.provider_id(), "vault");
        assert_eq!(found[0].host.as_deref(), Some("127.0.0.1:8200"));
        let removed = Vault
            .remove(&e, &found[0].place, &[&found[0].secret])
            .unwrap();
        assert!(removed.was_there && !p.exists());
    }
}
