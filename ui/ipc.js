// @ts-check
// The page's only way to the core: Tauri's IPC (`window.__TAURI__`, from `withGlobalTauri`), and
// the list handed over with the page. What each command takes and replies is written here, with
// the payload types of ./types/ (the Rust types' JSON).

/** @typedef {import("./types/About").About} About */
/** @typedef {import("./types/Account").Account} Account */
/** @typedef {import("./types/AdminPerson").AdminPerson} AdminPerson */
/** @typedef {import("./types/AdminPlan").AdminPlan} AdminPlan */
/** @typedef {import("./types/AdminProvider").AdminProvider} AdminProvider */
/** @typedef {import("./types/AdminReceipt").AdminReceipt} AdminReceipt */
/** @typedef {import("./types/AccountView").AccountView} AccountView */
/** @typedef {import("./types/AuditEntry").AuditEntry} AuditEntry */
/** @typedef {import("./types/AutostartView").AutostartView} AutostartView */
/** @typedef {import("./types/DeviceCode").DeviceCode} DeviceCode */
/** @typedef {import("./types/FirstView").FirstView} FirstView */
/** @typedef {import("./types/Orphan").Orphan} Orphan */
/** @typedef {import("./types/Providers").Providers} Providers */
/** @typedef {import("./types/Receipt").Receipt} Receipt */
/** @typedef {import("./types/ScanSummary").ScanSummary} ScanSummary */
/** @typedef {import("./types/SignOutPreview").SignOutPreview} SignOutPreview */
/** @typedef {import("./types/SignOutSummary").SignOutSummary} SignOutSummary */

/**
 * Pasted tokens, each optional; they cross IPC once, to the keychain.
 * @typedef {{ refresh_token?: string, access_token?: string, id_token?: string }} Tokens
 */

/**
 * Each command's arguments (`undefined`: none) and reply (`null`: nothing). Tauri renames the
 * camelCase argument names to the Rust ones (`handedOver` → `handed_over`).
 * @typedef {{
 *   list_accounts: { args: undefined, reply: AccountView[] },
 *   list_providers: { args: undefined, reply: Providers },
 *   sign_out: { args: { ids: string[] }, reply: SignOutSummary },
 *   sign_out_preview: { args: undefined, reply: SignOutPreview },
 *   sign_out_all: { args: undefined, reply: SignOutSummary },
 *   forget: { args: { id: string }, reply: null },
 *   add_account: { args: { provider: string, label: string, subject: string | null, tokens: Tokens }, reply: Account },
 *   sign_in: { args: { provider: string, label: string | null }, reply: Account },
 *   sign_in_device: { args: { provider: string, label: string | null }, reply: Account },
 *   sign_in_password: { args: { provider: string, label: string | null, username: string, password: string }, reply: Account },
 *   sign_in_anonymous: { args: { provider: string, label: string | null, username: string | null }, reply: Account },
 *   cancel_sign_in: { args: undefined, reply: null },
 *   set_client_secret: { args: { provider: string, secret: string }, reply: null },
 *   activity: { args: undefined, reply: AuditEntry[] },
 *   ui_ready: { args: { accounts: number, handedOver: boolean }, reply: null },
 *   list_orphans: { args: undefined, reply: Orphan[] },
 *   forget_orphans: { args: { ids: string[] }, reply: Orphan[] },
 *   scan_computer: { args: undefined, reply: ScanSummary },
 *   scanned_before: { args: undefined, reply: boolean },
 *   admin_providers: { args: undefined, reply: AdminProvider[] },
 *   admin_lookup: { args: { provider: string, user: string }, reply: AdminPerson },
 *   admin_sign_out_preview: { args: { provider: string, users: string[] }, reply: AdminPlan[] },
 *   admin_sign_out: { args: { provider: string, users: string[] }, reply: AdminReceipt[] },
 *   autostart: { args: undefined, reply: AutostartView },
 *   set_autostart: { args: { enabled: boolean }, reply: AutostartView },
 *   about: { args: undefined, reply: About },
 * }} Commands
 */

/**
 * What each event from the core carries.
 * @typedef {{
 *   "signin-url": { url: string, opened: boolean },
 *   "signin-device-code": DeviceCode,
 *   "signout-progress": Receipt,
 *   "admin-progress": AdminReceipt,
 *   "accounts-changed": null,
 * }} Events
 */

/**
 * The part of `window.__TAURI__` the page uses.
 * @typedef {{
 *   core: { invoke(cmd: string, args?: object): Promise<unknown> },
 *   event: { listen(event: string, handler: (e: { payload: unknown }) => void): Promise<() => void> },
 * }} Tauri
 */

const globals = /** @type {{ __TAURI__: Tauri, __SIGNOFF_FIRST_VIEW__?: FirstView }} */ (
  /** @type {unknown} */ (window)
);
const tauri = globals.__TAURI__;

/**
 * Runs a command in the core. A failure rejects with the core's `ErrorReport`
 * (`{code, message}`, see ./types/ErrorReport.ts).
 * @template {keyof Commands} C
 * @param {C} cmd
 * @param {Commands[C]["args"]} [args]
 * @returns {Promise<Commands[C]["reply"]>}
 */
export function invoke(cmd, args) {
  return /** @type {Promise<Commands[C]["reply"]>} */ (tauri.core.invoke(cmd, args));
}

/**
 * Calls `handler` with the payload of each `event` the core emits.
 * @template {keyof Events} E
 * @param {E} event
 * @param {(payload: Events[E]) => void} handler
 */
export function listen(event, handler) {
  return tauri.event.listen(event, (e) => handler(/** @type {Events[E]} */ (e.payload)));
}

/**
 * The list handed over with the page by an initialization script (src-tauri/src/first_view.rs),
 * which runs before any of the page's scripts; `undefined` when the core could not give it.
 * @returns {FirstView | undefined}
 */
export function firstView() {
  return globals.__SIGNOFF_FIRST_VIEW__;
}
