//! Nothing half-added stays hidden: accounts whose add was interrupted (a crash between the
//! keychain write and the row update) are resumed, and keychain entries of Signoff that no row
//! knows can be listed and forgotten.

use serde::Serialize;
use time::OffsetDateTime;

use super::Signoff;
use crate::account::{AccountId, AccountStatus};
use crate::audit::{Action, Actor, AuditEntry};
use crate::claim::Claim;
use crate::error::{Error, Result};

/// How long an `adding` row is left alone after its creation: the process adding it may still
/// be writing the keychain (an add holds the account's claim too; this covers the moments
/// before it takes it, and older builds that did not).
pub const ADDING_GRACE: time::Duration = time::Duration::minutes(2);

/// A keychain entry of Signoff's (service `signoff`, user = an account id) that no account row
/// of this data folder knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Orphan {
    pub id: AccountId,
    /// The entry's label, as keychain managers show it.
    pub label: String,
}

impl Signoff {
    /// Resumes interrupted adds: an `adding` row older than [`ADDING_GRACE`] whose claim is
    /// free becomes `signed_in` when its tokens are in the keychain (so it is listed and can be
    /// signed out), and is dropped when they are not (nothing was stored). Each gets an audit
    /// entry. Touches the keychain only when there is such a row. Returns how many rows changed.
    pub fn resume_adding(&self) -> Result<usize> {
        let cutoff = OffsetDateTime::now_utc() - ADDING_GRACE;
        let stale: Vec<_> = self
            .store
            .accounts_with_status(&[AccountStatus::Adding])?
            .into_iter()
            .filter(|a| a.created_at <= cutoff)
            .collect();
        if stale.is_empty() {
            return Ok(0);
        }
        let vault = self.vault()?;
        let mut changed = 0;
        for account in stale {
            let Some(_claim) = Claim::try_acquire(&self.paths.data_dir, &account.id)? else {
                continue;
            };
            // Read again under the claim: the adder may have finished meanwhile.
            match self.store.account(&account.id)? {
                Some(now) if now.status == AccountStatus::Adding => {}
                _ => continue,
            }
            let tokens = match vault.get(&account.id) {
                Ok(tokens) => tokens,
                Err(e) => {
                    tracing::warn!(account = %account.id, error = %e, "cannot resume a half-added account");
                    continue;
                }
            };
            if let Some(tokens) = tokens {
                self.store
                    .set_status(&account.id, AccountStatus::SignedIn)?;
                let expiry = tokens
                    .access_token
                    .as_ref()
                    .and_then(|t| crate::signin::jwt_exp(t.expose_secret()));
                if expiry.is_some() {
                    self.store.set_access_expiry(&account.id, expiry)?;
                }
                self.store.append_audit(
                    &AuditEntry::new(Actor::System, Action::AddAccount)
                        .account(&account)
                        .detail("an interrupted add resumed: its tokens were in the keychain"),
                )?;
                tracing::info!(account = %account.id, "half-added account resumed");
            } else {
                self.store.delete_account(&account.id)?;
                self.store.append_audit(
                    &AuditEntry::new(Actor::System, Action::Forget)
                        .account(&account)
                        .detail(
                            "an interrupted add dropped: its tokens never reached the keychain",
                        ),
                )?;
                tracing::info!(account = %account.id, "half-added account dropped");
            }
            changed += 1;
        }
        Ok(changed)
    }

    /// Keychain entries of Signoff whose account id no row of this data folder knows (client
    /// secrets are not accounts, so never orphans). Unlocks the keychain first (a locked one
    /// might hide entries). Entries of another data folder (`--home`) are not this one's.
    pub fn orphans(&self) -> Result<Vec<Orphan>> {
        let vault = self.vault()?;
        vault.ensure_unlocked(crate::vault::UNLOCK_TIMEOUT)?;
        let mut orphans = Vec::new();
        for entry in vault.entries()? {
            if crate::vault::is_client_secret(&entry.user) {
                continue;
            }
            // Signoff writes ids in their canonical form; anything else is not its entry.
            let Ok(id) = AccountId::parse(&entry.user) else {
                continue;
            };
            if id.as_str() != entry.user || self.store.account(&id)?.is_some() {
                continue;
            }
            orphans.push(Orphan {
                id,
                label: entry.label,
            });
        }
        orphans.sort_by(|a, b| a.label.cmp(&b.label).then(a.id.as_str().cmp(b.id.as_str())));
        Ok(orphans)
    }

    /// The orphans with these ids (every orphan when `ids` is empty); an id that is not an
    /// orphan is [`Error::NotFound`].
    pub fn orphans_named(&self, ids: &[AccountId]) -> Result<Vec<Orphan>> {
        let mut orphans = self.orphans()?;
        if ids.is_empty() {
            return Ok(orphans);
        }
        if let Some(missing) = ids.iter().find(|w| !orphans.iter().any(|o| &o.id == *w)) {
            return Err(Error::NotFound {
                what: "orphaned keychain entry",
                id: missing.to_string(),
            });
        }
        orphans.retain(|o| ids.contains(&o.id));
        Ok(orphans)
    }

    /// Deletes an orphaned keychain entry locally (nothing is revoked: without a row Signoff
    /// does not know the provider), with an audit entry.
    pub fn forget_orphan(&self, orphan: &Orphan, actor: Actor) -> Result<()> {
        let _claim = Claim::try_acquire(&self.paths.data_dir, &orphan.id)?.ok_or(Error::Busy {
            doing: "adding or signing out this account",
        })?;
        if self.store.account(&orphan.id)?.is_some() {
            // A row appeared (an add finished): no longer an orphan.
            return Err(Error::invalid(
                "account id",
                "this keychain entry belongs to an account now; see `signoff account list`",
            ));
        }
        self.vault()?.delete(&orphan.id)?;
        let mut entry = AuditEntry::new(actor, Action::Forget)
            .detail("an orphaned keychain entry (no account row) deleted locally without revoking");
        entry.account = Some(orphan.id.to_string());
        entry.label = Some(orphan.label.clone());
        self.store.append_audit(&entry)?;
        tracing::info!(account = %orphan.id, "orphaned keychain entry forgotten");
        Ok(())
    }
}
