//! Signing in on another device (RFC 8628): the code is shown through a callback, the sign-in
//! waits for the person to approve it elsewhere, and the account is stored exactly as a
//! browser sign-in stores it.

use std::future::Future;
use std::sync::Arc;

use super::Signoff;
use crate::account::Account;
use crate::audit::Actor;
use crate::error::{Error, Result};
use crate::signin::device::{self, DeviceCode};

impl Signoff {
    /// Signs in to `provider` on another device: asks the provider for a code, hands it to
    /// `show` (the user code and the address to enter it at; no secret), then waits until the
    /// person approves it (the account is added, `label` overriding the name from the ID
    /// token), refuses it (`sign_in_denied`), lets it expire (`sign_in_timed_out`), or `cancel`
    /// completes (`sign_in_cancelled`). Nothing is stored unless it was approved.
    pub async fn sign_in_on_another_device(
        self: &Arc<Self>,
        provider: &str,
        label: Option<String>,
        show: impl FnOnce(&DeviceCode),
        cancel: impl Future<Output = ()>,
        actor: Actor,
    ) -> Result<Account> {
        let profile = self.providers().get(provider)?.clone();
        let secret = self.client_secret_blocking(&profile.id).await?;
        let mut cancel = std::pin::pin!(cancel);
        let pending = tokio::select! {
            p = device::begin(self.http(), &profile, secret.as_ref()) => p?,
            () = &mut cancel => return Err(Error::SignInCancelled),
        };
        show(&pending.code);
        let signed_in = device::finish(pending, &profile, secret.as_ref(), cancel).await?;
        self.store_signed_in(profile, signed_in, label, actor).await
    }
}
