//! The use cases that the desktop app, the tray and the CLI all call.

use std::sync::OnceLock;

use time::OffsetDateTime;

use crate::account::{Account, AccountId, AccountStatus, NewAccount};
use crate::error::{Error, Result};
use crate::paths::Paths;
use crate::store::Store;
use crate::tokens::TokenBundle;
use crate::vault::Vault;

/// Statuses shown in the account list (everything but finished sign-outs and half-added rows).
const LISTED: &[AccountStatus] = &[
    AccountStatus::SignedIn,
    AccountStatus::SigningOut,
    AccountStatus::Pending,
    AccountStatus::NeedsAttention,
];

/// Signoff's core, opened on one data directory. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Signoff {
    paths: Paths,
    store: Store,
    vault: OnceLock<Vault>,
}

impl Signoff {
    /// Opens the data directory, creating and migrating the database as needed. The keychain is
    /// connected on first use, so listing accounts works even while it is locked.
    pub fn open(paths: Paths) -> Result<Self> {
        paths.ensure()?;
        let store = Store::open(&paths.database())?;
        Ok(Self {
            paths,
            store,
            vault: OnceLock::new(),
        })
    }

    /// The directories in use.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    fn vault(&self) -> Result<&Vault> {
        if let Some(v) = self.vault.get() {
            return Ok(v);
        }
        let v = Vault::open()?;
        Ok(self.vault.get_or_init(|| v))
    }

    /// The accounts a person is signed in to (or whose sign-out is not finished), oldest first.
    pub fn list_accounts(&self) -> Result<Vec<Account>> {
        self.store.accounts_with_status(LISTED)
    }

    /// Adds an account: its row first (as `adding`), then its tokens in the keychain, then the
    /// row becomes `signed_in`. If the keychain refuses, the row is removed again and nothing
    /// is written anywhere else.
    pub fn add_account(&self, new: NewAccount, tokens: TokenBundle) -> Result<Account> {
        new.validate()?;
        if tokens.is_empty() {
            return Err(Error::InvalidInput {
                field: "tokens",
                reason: "no token given".into(),
            });
        }
        let vault = self.vault()?;
        let mut account = Account {
            id: AccountId::generate(),
            provider_id: new.provider_id,
            label: new.label.trim().to_owned(),
            subject: new
                .subject
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            created_at: OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            status: AccountStatus::Adding,
        };
        self.store.insert_account(&account)?;
        if let Err(e) = vault.put(&account.id, &account.label, &tokens) {
            self.store.delete_account(&account.id)?;
            return Err(e);
        }
        self.store
            .set_status(&account.id, AccountStatus::SignedIn)?;
        account.status = AccountStatus::SignedIn;
        tracing::info!(account = %account.id, provider = %account.provider_id, "account added");
        Ok(account)
    }

    /// One account by id.
    pub fn account(&self, id: &AccountId) -> Result<Account> {
        self.store.account(id)?.ok_or_else(|| Error::NotFound {
            what: "account",
            id: id.to_string(),
        })
    }

    /// The tokens of an account, for the sign-out engine.
    pub fn tokens(&self, id: &AccountId) -> Result<Option<TokenBundle>> {
        self.vault()?.get(id)
    }

    /// Deletes an account locally without revoking anything: keychain entry first, then the row.
    pub fn forget(&self, id: &AccountId) -> Result<()> {
        self.account(id)?;
        self.vault()?.delete(id)?;
        self.store.delete_account(id)?;
        tracing::info!(account = %id, "account forgotten locally");
        Ok(())
    }
}
