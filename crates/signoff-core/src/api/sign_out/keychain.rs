//! The keychain as one sign-out run sees it: every account of the run claimed first, then the
//! data folder's entries read at once (one search, one `GetSecrets`) and deleted where they
//! were found, or, for a run over a few of many accounts, each entry read on its own.

use std::collections::HashMap;

use crate::account::{Account, AccountId};
use crate::claim::Claim;
use crate::error::Result;
use crate::secret::SecretString;
use crate::tokens::TokenBundle;
use crate::vault::{Snapshot, Vault};

use super::Signoff;

/// A run reads every entry at once when it covers at least this share (1/N) of the data
/// folder's accounts: reading all of them costs one search plus one attribute read per entry,
/// reading each alone one search (a walk of the whole collection) per account.
const SNAPSHOT_SHARE: usize = 4;

/// A run's accounts, each with its claim (`None`: another process holds it).
pub(super) type Claimed = Vec<(Account, Option<Claim>)>;

/// How the run reads and deletes keychain entries.
#[derive(Debug)]
pub(super) struct RunKeychain {
    /// Every entry as read once after the claims were taken; `None` when the run reads each
    /// entry alone (few accounts of many, or the one read failed).
    snapshot: Option<Snapshot>,
    /// Without a snapshot: client secrets read once per provider of the run (a provider whose
    /// read failed is left out: its accounts try again, and report the error, one by one).
    secrets: HashMap<String, Option<SecretString>>,
    /// The accounts already moved to `signing_out` (as they were before), all in one
    /// transaction once the snapshot was read: those held with readable tokens in it.
    begun: HashMap<AccountId, Account>,
}

impl RunKeychain {
    /// The account as it was before this run moved it to `signing_out`, if it did so already.
    pub(super) fn begun(&self, id: &AccountId) -> Option<&Account> {
        self.begun.get(id)
    }

    /// An account's tokens in the keychain.
    pub(super) fn tokens(&self, vault: &Vault, id: &AccountId) -> Result<Option<TokenBundle>> {
        match &self.snapshot {
            Some(s) => s.tokens(id),
            None => vault.get(id),
        }
    }

    /// A client secret (`key`: a provider id or a found session's key).
    pub(super) fn client_secret(&self, vault: &Vault, key: &str) -> Result<Option<SecretString>> {
        match (&self.snapshot, self.secrets.get(key)) {
            (Some(s), _) => s.client_secret(key),
            (None, Some(known)) => Ok(known.clone()),
            (None, None) => vault.client_secret(key),
        }
    }

    /// Deletes an account's tokens. Idempotent.
    pub(super) fn delete(&self, vault: &Vault, id: &AccountId) -> Result<bool> {
        match &self.snapshot {
            Some(s) => vault.delete_seen(s, id),
            None => vault.delete(id),
        }
    }

    /// Deletes a client secret (a found session's). Idempotent.
    pub(super) fn delete_client_secret(&self, vault: &Vault, key: &str) -> Result<bool> {
        match &self.snapshot {
            Some(s) => vault.delete_client_secret_seen(s, key),
            None => vault.delete_client_secret(key),
        }
    }
}

impl Signoff {
    /// Claims every account of the run, then reads the keychain for it. Claims come first: every
    /// write of an account's entry (sign-in, refresh, sign-out) happens under its claim, so what
    /// is read afterwards stays true for the run.
    pub(super) fn claim_and_read(&self, accounts: Vec<Account>) -> Result<(Claimed, RunKeychain)> {
        let mut claimed = Vec::with_capacity(accounts.len());
        for account in accounts {
            let claim = Claim::try_acquire(&self.paths.data_dir, &account.id)?;
            claimed.push((account, claim));
        }
        let vault = self.vault()?;
        let held = claimed.iter().filter(|(_, c)| c.is_some()).count();
        let snapshot = if held >= 2 && held * SNAPSHOT_SHARE >= self.store.count_accounts()? {
            vault
                .snapshot()
                .inspect_err(|e| {
                    tracing::warn!(code = %e.code(), "cannot read the keychain at once, reading each account alone: {e}")
                })
                .ok()
        } else {
            None
        };
        let mut secrets = HashMap::new();
        if snapshot.is_none() {
            let mut providers: Vec<&str> = claimed
                .iter()
                .map(|(a, _)| a.provider_id.as_str())
                .collect();
            providers.sort_unstable();
            providers.dedup();
            for p in providers {
                match vault.client_secret(p) {
                    Ok(s) => {
                        secrets.insert(p.to_owned(), s);
                    }
                    Err(e) => {
                        tracing::warn!(provider = %p, code = %e.code(), "cannot read the client secret: {e}")
                    }
                }
            }
        }
        let mut begun = HashMap::new();
        if let Some(snapshot) = &snapshot {
            // Only accounts whose sign-out will go ahead: claimed here, with tokens that read.
            let ids: Vec<AccountId> = claimed
                .iter()
                .filter(|(a, c)| c.is_some() && matches!(snapshot.tokens(&a.id), Ok(Some(_))))
                .map(|(a, _)| a.id.clone())
                .collect();
            for account in self.store.begin_sign_outs(&ids, super::SIGN_OUT_FROM)? {
                begun.insert(account.id.clone(), account);
            }
        }
        Ok((
            claimed,
            RunKeychain {
                snapshot,
                secrets,
                begun,
            },
        ))
    }
}
