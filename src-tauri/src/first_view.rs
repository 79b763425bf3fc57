//! The list the window shows first, handed to the page with the page itself (an initialization
//! script) instead of by a command round trip after it loaded: on Linux each IPC reply goes
//! through the GTK main loop, which is busiest exactly while the window starts. The page still
//! asks by command once it has painted, so anything that changed in between shows up. Account
//! metadata and provider labels only: the same data `list_accounts` and `list_providers` give.
//!
//! Only the accounts the first frame draws come with the page ([`FIRST_ROWS`], in the order the
//! page draws them), with the number of all of them: the rest arrive by that command after the
//! paint. With 1,000 accounts the whole list was ~330 KB of script, which WebKit copies to its
//! web process and keeps for every load of the page, and which the first paint waited for.

use serde::Serialize;
use signoff_core::Signoff;
use signoff_core::api::AccountView;
use tauri::Runtime;
use tauri::plugin::{Builder, TauriPlugin};

use signoff_core::api::Providers;

/// The global the page reads (once) on load.
const GLOBAL: &str = "__SIGNOFF_FIRST_VIEW__";

/// How many rows the page draws in its first frame (`FIRST_ROWS` in ui/accounts.js).
const FIRST_ROWS: usize = 30;

#[derive(Serialize)]
struct FirstView {
    /// The first [`FIRST_ROWS`] accounts in the page's order.
    accounts: Vec<AccountView>,
    /// How many accounts there are in all.
    total: usize,
    providers: Providers,
}

/// A group of the page's list (`renderAccounts` in ui/accounts.js).
#[derive(PartialEq, Eq)]
enum Group<'a> {
    Found(signoff_core::found::ToolId),
    Provider(&'a str),
}

/// The group an account is drawn in: its tool for a session found on this computer, else its
/// provider.
fn group(a: &AccountView) -> Group<'_> {
    match &a.found {
        Some(found) => Group::Found(found.tool),
        None => Group::Provider(a.account.provider_id.as_str()),
    }
}

/// The first `n` of `accounts` in the order the page draws them: group after group, in the
/// order of each group's first account in the list, a group's accounts in list order.
fn first_drawn(accounts: &[AccountView], n: usize) -> Vec<AccountView> {
    let mut groups = Vec::new();
    for a in accounts {
        let g = group(a);
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    groups
        .iter()
        .flat_map(|g| accounts.iter().filter(move |a| group(a) == *g))
        .take(n)
        .cloned()
        .collect()
}

/// A plugin whose only job is the initialization script; without the data (the database could
/// not be read) the page asks by command as before.
pub fn plugin<R: Runtime>(core: &Signoff) -> TauriPlugin<R> {
    let builder = Builder::new("signoff-first-view");
    match script(core) {
        Ok(script) => builder.js_init_script(script),
        Err(e) => {
            tracing::warn!("the window will ask for its first list: {e}");
            builder
        }
    }
    .build()
}

fn script(core: &Signoff) -> Result<String, String> {
    let accounts = core.account_views().map_err(|e| e.to_string())?;
    let view = FirstView {
        total: accounts.len(),
        accounts: first_drawn(&accounts, FIRST_ROWS),
        providers: core.provider_views(),
    };
    let json = serde_json::to_string(&view).map_err(|e| e.to_string())?;
    // JSON is a JavaScript expression; the value is frozen so nothing on the page can alter it.
    Ok(format!(
        "Object.defineProperty(window, {GLOBAL:?}, {{ value: Object.freeze({json}), configurable: true }});"
    ))
}

#[cfg(test)]
mod tests {
    use signoff_core::api::FoundDetail;
    use signoff_core::found::ToolId;
    use signoff_core::{Account, AccountStatus};

    use super::*;

    fn view(label: &str, provider: &str, found: Option<ToolId>) -> AccountView {
        let mut account = Account::new(provider.into(), label.into(), None);
        account.status = AccountStatus::SignedIn;
        let mut view = AccountView::from(account);
        view.found = found.map(|tool| FoundDetail {
            tool,
            tool_label: tool.label().into(),
            host: None,
            stores: Vec::new(),
            revocable: true,
        });
        view
    }

    fn labels(views: &[AccountView]) -> Vec<&str> {
        views.iter().map(|v| v.account.label.as_str()).collect()
    }

    /// The first view holds what the page's first frame draws, which is group by group: with
    /// providers interleaved in the list, the first group's accounts come before the second's,
    /// and a session found by a tool is a group of its own even at a provider already listed.
    #[test]
    fn the_first_view_holds_the_accounts_the_first_frame_draws() {
        let accounts = vec![
            view("a1", "corp", None),
            view("b1", "other", None),
            view("a2", "corp", None),
            view("gh1", "corp", Some(ToolId::Gh)),
            view("b2", "other", None),
            view("a3", "corp", None),
        ];
        assert_eq!(labels(&first_drawn(&accounts, 4)), ["a1", "a2", "a3", "b1"]);
        assert_eq!(
            labels(&first_drawn(&accounts, 30)),
            ["a1", "a2", "a3", "b1", "b2", "gh1"]
        );
        assert!(first_drawn(&[], 30).is_empty());
    }
}
