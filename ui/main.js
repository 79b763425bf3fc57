// @ts-check
// Signoff's page. It shows what the core returns (account metadata and outcomes) and never
// holds a token: pasted tokens go to the core once and the fields are cleared at once.
// This module mounts each view on its root and wires the header, the tabs and the core's events.
//
// A module script runs once the document is parsed, before DOMContentLoaded; the initialization
// script of src-tauri/src/first_view.rs has run before any of the page's scripts, so the list it
// hands over is there now.

import * as accountsView from "./accounts.js";
import * as activityView from "./activity.js";
import * as adminView from "./admin.js";
import * as addDialog from "./add-dialog.js";
import * as confirmDialog from "./confirm-dialog.js";
import * as foundLine from "./found.js";
import * as orphansLine from "./orphans.js";
import * as settingsView from "./settings.js";
import { afterPaint, part } from "./dom.js";
import { firstView, listen } from "./ipc.js";
import { errorSentence } from "./text.js";

/** @typedef {import("./dom.js").Notices} Notices */

const statusLine = part(document, "status");
const errorLine = part(document, "error");
/** @type {Notices} */
const notices = {
  say: (text) => { statusLine.textContent = text; },
  fail: (err) => {
    errorLine.textContent = errorSentence(err);
    errorLine.hidden = false;
  },
  clear: () => { errorLine.hidden = true; },
};

const accountsRoot = part(document, "accounts-view");
const signOutAllButton = part(document, "signout-all-btn", HTMLButtonElement);
const confirm = confirmDialog.mount(part(document, "confirm-dialog", HTMLDialogElement));
const accounts = accountsView.mount(accountsRoot, { notices, confirm, signOutAllButton });
const orphans = orphansLine.mount(part(document, "orphans"), { notices, confirm });
foundLine.mount({
  button: part(document, "scan-btn", HTMLButtonElement),
  offer: part(document, "found-offer"),
  problems: part(document, "found-problems"),
}, { notices, refresh: () => accounts.refresh() });

// The list handed over with the page (the accounts the first frame draws) is shown before
// anything else is wired up; without it the page asks the core.
const first = firstView();
if (first) accounts.show(first.accounts, first.providers.profiles, true, first.total);

const activityRoot = part(document, "activity-view");
const activity = activityView.mount(activityRoot, { notices, providerLabel: accounts.providerLabel });
const add = addDialog.mount(part(document, "add-dialog", HTMLDialogElement), { notices, accounts });

signOutAllButton.addEventListener("click", accounts.confirmSignOutAll);
part(document, "add-account-btn").addEventListener("click", add.open);
listen("signin-url", add.showSignInUrl);
listen("signin-device-code", add.showDeviceCode);

// --- Tabs -------------------------------------------------------------------------------------

/** @typedef {"accounts" | "activity" | "admin" | "settings"} TabName */
/** @type {Record<TabName, HTMLElement>} */
const tabs = {
  accounts: part(document, "tab-accounts"),
  activity: part(document, "tab-activity"),
  admin: part(document, "tab-admin"),
  settings: part(document, "tab-settings"),
};
const adminRoot = part(document, "admin-view");
const settingsRoot = part(document, "settings-view");
const settings = settingsView.mount(settingsRoot, { notices });
/** @type {Record<TabName, HTMLElement>} */
const panels = { accounts: accountsRoot, activity: activityRoot, admin: adminRoot, settings: settingsRoot };
const tabNames = /** @type {TabName[]} */ (Object.keys(tabs));

/** @param {TabName} name */
function selectTab(name) {
  for (const n of tabNames) {
    const on = n === name;
    tabs[n].setAttribute("aria-selected", String(on));
    tabs[n].tabIndex = on ? 0 : -1;
    panels[n].hidden = !on;
  }
  if (name === "activity") activity.load();
  if (name === "settings") settings.load();
}

// The Admin tab is there only while a provider is set up for admin sign-outs.
const admin = adminView.mount(adminRoot, {
  tab: tabs.admin,
  notices,
  confirm,
  onGone: () => { if (!adminRoot.hidden) selectTab("accounts"); },
});

for (const name of tabNames) {
  const tab = tabs[name];
  tab.addEventListener("click", () => selectTab(name));
  tab.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const shown = tabNames.filter((n) => !tabs[n].hidden);
    const step = e.key === "ArrowRight" ? 1 : shown.length - 1;
    const next = shown[(shown.indexOf(name) + step) % shown.length];
    selectTab(next);
    tabs[next].focus();
  });
}

// --- The core's events ------------------------------------------------------------------------

listen("signout-progress", accounts.progress);
listen("admin-progress", admin.progress);
listen("accounts-changed", () => {
  // A change made anywhere (the CLI, a retry, this window's own sign-out a second later):
  // redraw only if the list differs, so the rows, and the keyboard focus on them, stay put.
  if (!accounts.busy()) accounts.refresh({ onlyIfChanged: true });
  if (!activityRoot.hidden) activity.load();
  orphans.load();
  admin.load();
});
if (!first) accounts.refresh();
// Listing the keychain's entries asks the keyring about every one of them: not while the first
// list is being drawn.
afterPaint(() => orphans.load());
admin.load();
