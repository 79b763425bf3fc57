//! Tauri commands: a few lines of glue each over the core's use cases. Arguments are validated
//! by the core; errors reach the page as `{code, message}` with the core's stable codes. Results
//! and events carry account metadata and outcomes, never a token. No command announces its
//! writes: the page and the tray follow the core's change stream (`background`).
//!
//! Commands that emit to the page are generic over the runtime, so the tests can call every
//! command through Tauri's mock runtime ([`handler!`] lists them once for the app and the tests).

use std::sync::Arc;

use signoff_core::api::orphans::Orphan;
use signoff_core::api::{
    AccountFilter, AccountView, AdminPerson, AdminPlan, AdminProvider, AdminReceipt, ScanSummary,
    SignOutOptions, SignOutPreview, SignOutSummary,
};
use signoff_core::audit::{Actor, AuditEntry};
use signoff_core::error::ErrorReport;
use signoff_core::signin::device::DeviceCode;
use signoff_core::signin::{self, CancellationToken};
use signoff_core::{Account, AccountId, NewAccount, SecretString, Signoff, TokenBundle};
use tauri::{AppHandle, Runtime, State};

use crate::background::FirstPaint;
use crate::ui;
use signoff_core::api::Providers;

pub mod settings;
#[cfg(test)]
mod tests;

/// The app's invoke handler: every command the page may call (`build.rs` lists the same
/// names for the page's permissions).
macro_rules! handler {
    () => {
        tauri::generate_handler![
            crate::commands::list_accounts,
            crate::commands::list_providers,
            crate::commands::sign_out,
            crate::commands::sign_out_all,
            crate::commands::sign_out_preview,
            crate::commands::forget,
            crate::commands::add_account,
            crate::commands::set_client_secret,
            crate::commands::activity,
            crate::commands::sign_in,
            crate::commands::sign_in_device,
            crate::commands::cancel_sign_in,
            crate::commands::sign_in_password,
            crate::commands::sign_in_anonymous,
            crate::commands::ui_ready,
            crate::commands::list_orphans,
            crate::commands::forget_orphans,
            crate::commands::scan_computer,
            crate::commands::scanned_before,
            crate::commands::admin_providers,
            crate::commands::admin_lookup,
            crate::commands::admin_sign_out_preview,
            crate::commands::admin_sign_out,
            crate::commands::settings::autostart,
            crate::commands::settings::set_autostart,
            crate::commands::settings::about,
        ]
    };
}
pub(crate) use handler;

type Core<'a> = State<'a, Arc<Signoff>>;
type Reply<T> = Result<T, ErrorReport>;

fn report(e: signoff_core::Error) -> ErrorReport {
    ErrorReport::from(&e)
}

/// The accounts to show, oldest first, each with the actions it allows.
#[tauri::command]
pub async fn list_accounts(core: Core<'_>) -> Reply<Vec<AccountView>> {
    core.account_views().map_err(report)
}

/// Provider profiles, for the add-account form and the sign-out confirmation.
#[tauri::command]
pub async fn list_providers(core: Core<'_>) -> Reply<Providers> {
    Ok(core.provider_views())
}

/// Signs out the given accounts; each receipt is also sent as a `signout-progress` event.
#[tauri::command]
pub async fn sign_out<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    ids: Vec<String>,
) -> Reply<SignOutSummary> {
    let ids = ids
        .iter()
        .map(|s| AccountId::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(report)?;
    let options = SignOutOptions {
        actor: Actor::User,
        verify: false,
    };
    core.sign_out(&ids, options, |r| ui::progress(&app, r))
        .await
        .map_err(report)
}

/// What "sign out everywhere" will do, provider by provider (the confirmation shows it).
#[tauri::command]
pub async fn sign_out_preview(core: Core<'_>) -> Reply<SignOutPreview> {
    core.sign_out_preview(&AccountFilter::default())
        .await
        .map_err(report)
}

/// "Sign out everywhere".
#[tauri::command]
pub async fn sign_out_all<R: Runtime>(app: AppHandle<R>, core: Core<'_>) -> Reply<SignOutSummary> {
    let options = SignOutOptions {
        actor: Actor::User,
        verify: false,
    };
    core.sign_out_all(&AccountFilter::default(), options, |r| {
        ui::progress(&app, r)
    })
    .await
    .map_err(report)
}

/// Deletes an account locally without revoking (the page has warned the person).
#[tauri::command]
pub async fn forget(core: Core<'_>, id: String) -> Reply<()> {
    let id = AccountId::parse(&id).map_err(report)?;
    core.forget(&id, Actor::User).map(drop).map_err(report)
}

/// Keychain entries of Signoff's that no account knows (a locked keychain is unlocked first,
/// as for a sign-out).
#[tauri::command]
pub async fn list_orphans(core: Core<'_>) -> Reply<Vec<Orphan>> {
    core.orphans().map_err(report)
}

/// Deletes the orphaned entries `ids` locally (nothing is revoked: their provider is unknown),
/// each with an audit entry. Replies with those deleted.
#[tauri::command]
pub async fn forget_orphans(core: Core<'_>, ids: Vec<String>) -> Reply<Vec<Orphan>> {
    let ids = ids
        .iter()
        .map(|s| AccountId::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(report)?;
    let orphans = core.orphans_named(&ids).map_err(report)?;
    for orphan in &orphans {
        core.forget_orphan(orphan, Actor::User).map_err(report)?;
    }
    Ok(orphans)
}

/// Finds the sessions other tools keep on this computer; they become accounts (the list
/// follows through the change stream). Replies with what was found and what could not be read.
/// The scan reads files, runs credential helpers and talks to the keyring, all blocking: it
/// runs on the blocking pool, not on one of the async runtime's few workers.
#[tauri::command]
pub async fn scan_computer(core: Core<'_>) -> Reply<ScanSummary> {
    let core = Arc::clone(core.inner());
    match tokio::task::spawn_blocking(move || core.scan_computer()).await {
        Ok(scanned) => scanned.map_err(report),
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Whether this computer was scanned before (the window offers a scan until it was).
#[tauri::command]
pub async fn scanned_before(core: Core<'_>) -> Reply<bool> {
    Ok(core.scanned_before())
}

/// The providers set up for admin sign-outs (an admin part in the profile and an admin
/// credential stored by `signoff admin login`); the window shows its Admin view when there is
/// one. The credential itself never leaves the keychain.
#[tauri::command]
pub async fn admin_providers(core: Core<'_>) -> Reply<Vec<AdminProvider>> {
    core.admin_providers().map_err(report)
}

/// Looks a person up at `provider` as its admin (by e-mail, login or id): who matched, and the
/// sessions the provider lists for them. Nothing is signed out.
#[tauri::command]
pub async fn admin_lookup(core: Core<'_>, provider: String, user: String) -> Reply<AdminPerson> {
    core.admin_lookup(&provider, &user).await.map_err(report)
}

/// What signing `users` out at `provider` would call (the confirmation shows it); calls nothing.
#[tauri::command]
pub async fn admin_sign_out_preview(
    core: Core<'_>,
    provider: String,
    users: Vec<String>,
) -> Reply<Vec<AdminPlan>> {
    core.admin_sign_out_preview(&provider, &users)
        .map_err(report)
}

/// Signs `users` out everywhere at `provider` as its admin; each receipt is also sent as an
/// `admin-progress` event. The audit entries name the admin as actor.
#[tauri::command]
pub async fn admin_sign_out<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    provider: String,
    users: Vec<String>,
) -> Reply<Vec<AdminReceipt>> {
    core.admin_sign_out(&provider, users, Actor::Admin, |r| {
        ui::admin_progress(&app, r)
    })
    .await
    .map_err(report)
}

/// Adds an account from tokens the person pasted. The tokens go straight to the keychain; the
/// reply carries only the account's metadata.
#[tauri::command]
pub async fn add_account(
    core: Core<'_>,
    provider: String,
    label: String,
    subject: Option<String>,
    tokens: TokenBundle,
) -> Reply<Account> {
    let new = NewAccount {
        provider_id: provider,
        label,
        subject,
    };
    core.add_pasted_account(new, tokens, Actor::User)
        .await
        .map_err(report)
}

/// The sign-in in progress, so the page can cancel it. Starting one cancels any other.
#[derive(Debug, Default)]
pub struct SignInState {
    cancel: std::sync::Mutex<Option<CancellationToken>>,
}

impl SignInState {
    fn current(&self) -> std::sync::MutexGuard<'_, Option<CancellationToken>> {
        self.cancel.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The handle of the sign-in starting now, which `cancel_sign_in` cancels; any other
    /// sign-in under way is cancelled.
    fn start(&self) -> CancellationToken {
        let cancel = CancellationToken::new();
        if let Some(other) = self.current().replace(cancel.clone()) {
            other.cancel();
        }
        cancel
    }

    /// The sign-in of `cancel` ended. Not cancelled means nobody replaced or took it, so the
    /// one stored is this one.
    fn end(&self, cancel: &CancellationToken) {
        if !cancel.is_cancelled() {
            self.current().take();
        }
    }
}

/// Signs in through the system browser (OpenID Connect with PKCE). The short loopback address
/// the browser starts at is sent to the page as a `signin-url` event (to copy when no browser
/// opens); the tokens never are.
#[tauri::command]
pub async fn sign_in<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    state: State<'_, SignInState>,
    provider: String,
    label: Option<String>,
) -> Reply<Account> {
    let cancel = state.start();
    let opener = |address: &url::Url| {
        let opened = signin::open_in_browser(address.as_str());
        ui::sign_in_url(&app, address.as_str(), opened);
    };
    let timeout = std::time::Duration::from_secs(300);
    let result = core
        .sign_in_with_browser(&provider, label, &opener, &cancel, timeout, Actor::User)
        .await
        .map_err(report);
    state.end(&cancel);
    result
}

/// Signs in on another device (RFC 8628): the code and the address to enter it at reach the
/// page as a `signin-device-code` event; the device code and the tokens never do.
/// `cancel_sign_in` cancels it.
#[tauri::command]
pub async fn sign_in_device<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    state: State<'_, SignInState>,
    provider: String,
    label: Option<String>,
) -> Reply<Account> {
    let cancel = state.start();
    let show = |code: &DeviceCode| ui::device_code(&app, code);
    let result = core
        .sign_in_on_another_device(&provider, label, show, cancel.cancelled(), Actor::User)
        .await
        .map_err(report);
    state.end(&cancel);
    result
}

/// Signs in with a user name and password (MeshyDB). The password crosses IPC once, like a
/// pasted token, and goes no further than the provider's token endpoint.
#[tauri::command]
pub async fn sign_in_password(
    core: Core<'_>,
    provider: String,
    username: String,
    password: SecretString,
    label: Option<String>,
) -> Reply<Account> {
    core.sign_in_with_password(&provider, &username, &password, label, Actor::User)
        .await
        .map_err(report)
}

/// Registers a new anonymous user and signs it in (MeshyDB).
#[tauri::command]
pub async fn sign_in_anonymous(
    core: Core<'_>,
    provider: String,
    username: Option<String>,
    label: Option<String>,
) -> Reply<Account> {
    core.sign_in_anonymously(&provider, username, label, Actor::User)
        .await
        .map_err(report)
}

/// Cancels the sign-in in progress, if any.
#[tauri::command]
pub async fn cancel_sign_in(state: State<'_, SignInState>) -> Reply<()> {
    if let Some(cancel) = state.current().take() {
        cancel.cancel();
    }
    Ok(())
}

/// Stores a provider's client secret in the keychain.
#[tauri::command]
pub async fn set_client_secret(
    core: Core<'_>,
    provider: String,
    secret: SecretString,
) -> Reply<()> {
    core.set_client_secret(&provider, secret, Actor::User)
        .map_err(report)
}

/// The audit log, newest first.
#[tauri::command]
pub async fn activity(core: Core<'_>) -> Reply<Vec<AuditEntry>> {
    let mut entries = core.audit(None).map_err(report)?;
    entries.reverse();
    Ok(entries)
}

/// When the process started (the first thing `main` does).
#[derive(Debug, Clone, Copy)]
pub struct Started(pub std::time::Instant);

/// The page calls this once, when the first account list has been painted. The log line says
/// how long the window took from the start of the process (`make bench` measures it) and
/// whether the list came with the page (`handed_over`, see `first_view`) or by command; the
/// background work starts then.
#[tauri::command]
pub async fn ui_ready(
    started: State<'_, Started>,
    first_paint: State<'_, FirstPaint>,
    accounts: usize,
    handed_over: bool,
) -> Reply<()> {
    let since_start_ms = u64::try_from(started.0.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(
        accounts,
        handed_over,
        since_start_ms,
        "account list painted"
    );
    first_paint.done();
    Ok(())
}
