// @ts-check
// The accounts view: the accounts grouped by provider, each row's actions, and the receipt of a
// sign-out; also the sign-out and forget flows those buttons start. It holds the account list and
// the provider profiles, which the other views read through it.

import { afterPaint, el, part } from "./dom.js";
import { invoke } from "./ipc.js";
import { accountsText, fmtTime, outcomeText, problemText, receiptHead, receiptText, statusText, whatEndsText } from "./text.js";

/** @typedef {import("./types/AccountAction").AccountAction} AccountAction */
/** @typedef {import("./types/AccountView").AccountView} Account */
/** @typedef {import("./types/CallView").CallView} CallView */
/** @typedef {import("./types/PreviewProvider").PreviewProvider} PreviewProvider */
/** @typedef {import("./types/Ends").Ends} Ends */
/** @typedef {import("./types/ProviderView").ProviderView} ProviderView */
/** @typedef {import("./types/Receipt").Receipt} Receipt */
/** @typedef {import("./dom.js").Notices} Notices */
/** @typedef {import("./confirm-dialog.js").Confirm} Confirm */

/**
 * What the accounts view offers the rest of the page.
 * @typedef {object} AccountsView
 * @property {(accounts: Account[], providers: ProviderView[], handedOver?: boolean, total?: number) => void} show
 *   Shows a list: the one handed over with the page first, then each one the core sends.
 * @property {(opts?: { onlyIfChanged?: boolean }) => Promise<void>} refresh
 *   Asks the core for the list and shows it.
 * @property {() => boolean} busy  Whether a sign-out is running.
 * @property {() => ProviderView[]} providers  The provider profiles, as last listed.
 * @property {(id: string) => ProviderView | undefined} provider
 * @property {(id: string) => string} providerLabel  A provider's label, else its id.
 * @property {(receipt: Receipt) => void} progress  Shows one account's outcome as it comes in.
 * @property {() => Promise<void>} confirmSignOutAll  Asks, then signs out of every account.
 */

// The first rows go into the page at once; the rest follow in slices once that frame is drawn,
// so a long list shows its first screenful as quickly as a short one. A row is ~51 px high and
// the list starts ~200 px down, so 30 rows fill a window 1,700 px tall (a maximized window on
// a 1080p screen shows ~16); each row drawn before the first paint costs it time (BENCHMARKS.md).
// The list handed over with the page holds this many (`FIRST_ROWS` in src-tauri/src/first_view.rs).
const FIRST_ROWS = 30;
const SLICE_ROWS = 150;
// A group shows this many rows until the person asks for the rest: each row costs the web
// process ~25 KiB (BENCHMARKS.md, issue #19 goal 4), so a thousand of them would cost as much
// memory as the rest of the page. Its sign-outs and "Sign out everywhere" cover every
// account either way.
const GROUP_ROWS = 100;

/**
 * Each action the core allows an account (`account.actions`) as a row's button.
 * @type {Record<AccountAction, { className: string, text: string, ariaLabel: (label: string) => string }>}
 */
const ACTION_BUTTONS = {
  sign_out: { className: "signout", text: "Sign out", ariaLabel: (label) => `Sign out ${label}` },
  retry_now: { className: "retry", text: "Retry now", ariaLabel: (label) => `Retry signing out ${label}` },
  forget: { className: "forget quiet", text: "Forget locally", ariaLabel: (label) => `Forget ${label} locally` },
};

/**
 * What the confirmation says of a provider whose sign-out ends `ends`, when its profile does not
 * say what dies there.
 * @type {Record<Ends, { className: string, text: string }>}
 */
const ENDS_TEXT = {
  at_provider: { className: "", text: "Ended at the provider." },
  only_here: { className: "warn", text: "Signed out on this computer only (the provider cannot end sessions remotely)." },
  unknown: { className: "", text: "Whether the provider ends the session is checked when signing out." },
};

/**
 * The calls of a sign-out as method and host ("DELETE api.github.com"), the same one in a row
 * said once with how many.
 * @param {CallView[]} calls
 */
function callsText(calls) {
  /** @type {Array<{ what: string, n: number }>} */
  const runs = [];
  for (const c of calls) {
    let host;
    try { host = new URL(c.url).host; } catch { host = c.url; }
    const what = `${c.method} ${host}`;
    const last = runs[runs.length - 1];
    if (last && last.what === what) last.n += 1;
    else runs.push({ what, n: 1 });
  }
  return runs.map((r) => (r.n > 1 ? `${r.what} (${r.n} calls)` : r.what)).join(", then ");
}

/**
 * One provider's part of the confirmation: what dies, the calls, what else to know, and where a
 * person finishes a sign-out that only deletes the tokens here.
 * @param {PreviewProvider} p
 */
function previewProvider(p) {
  const n = p.accounts;
  const ends = p.what_ends
    ? { className: p.what_ends === "nothing" ? "warn" : "", text: whatEndsText(p.what_ends, p.label) }
    : ENDS_TEXT[p.ends] || ENDS_TEXT.unknown;
  const box = el("div", { className: "preview-provider" },
    el("p", {}, el("strong", { textContent: p.label }), ` · ${accountsText(n)}`),
    el("p", { className: ends.className, textContent: ends.text }));
  box.dataset.provider = p.id;
  if (p.calls.length) box.append(el("p", { className: "preview-calls", textContent: `Calls ${callsText(p.calls)}` }));
  if (p.caveat) box.append(el("p", { className: "warn", textContent: p.caveat }));
  if (p.ends === "unknown" && p.note) box.append(el("p", { className: "hint", textContent: p.note }));
  if (p.ends === "only_here" && p.manage_url) {
    box.append(el("p", { className: "manage", textContent: `Finish on ${p.label}'s own page: ${p.manage_url}` }));
  }
  return box;
}

/**
 * Where one copy of a found session lives, in a few words (a path, a keyring item, a helper).
 * @param {import("./types/Copy").Copy} c
 */
function storeText(c) {
  switch (c.kind) {
    case "file": return c.path;
    case "keyring": return `the keyring ("${c.label}")`;
    case "helper": return `${c.program} (${c.server})`;
    default: return "a store";
  }
}

/**
 * Attaches the view to `root` (#accounts-view).
 * @param {HTMLElement} root
 * @param {{ notices: Notices, confirm: Confirm, signOutAllButton: HTMLButtonElement }} deps
 * @returns {AccountsView}
 */
export function mount(root, { notices, confirm, signOutAllButton }) {
  const groupsBox = part(root, "groups");
  const empty = part(root, "empty");
  const count = part(root, "count");
  const receipt = part(root, "receipt");
  const receiptList = part(root, "receipt-list");
  const receiptHeading = part(root, "receipt-heading");

  const state = {
    /** @type {Account[]} */ accounts: [],
    /** How many accounts there are: more than `accounts` holds while only the first view's are here. */
    total: 0,
    /** @type {ProviderView[]} */ providers: [],
    /** @type {Map<string, Account>} */ byId: new Map(),
    busy: false,
  };
  let renderGeneration = 0;
  /** The groups whose every row the person asked to see. @type {Set<string>} */
  const expanded = new Set();
  let painted = false;
  /** @type {Receipt[]} */
  let live = [];

  /** @param {string} id */
  const provider = (id) => state.providers.find((x) => x.id === id);

  /** @param {string} id */
  function providerLabel(id) {
    const p = provider(id);
    return p ? p.label : id;
  }

  /** @param {Account} a */
  function accountRow(a) {
    const tr = el("tr", { className: `account status-${a.status}` });
    tr.dataset.accountId = a.id;
    const who = el("td", {}, el("span", { className: "label", textContent: a.label }));
    if (a.subject && !a.found) who.append(el("span", { className: "subject", textContent: a.subject }));
    if (a.found) {
      const where = a.found.stores.map(storeText).join(", ");
      who.append(el("span", { className: "stores", textContent: `Stored in ${where}` }));
      if (!a.found.revocable) {
        who.append(el("span", { className: "stores warn", textContent: "Signing out removes it from this computer; the provider cannot end it remotely." }));
      }
    }
    const actions = el("td", { className: "row-actions" });
    for (const action of a.actions) {
      const b = ACTION_BUTTONS[action];
      if (!b) continue; // an action newer than the page
      actions.append(el("button", {
        type: "button", className: b.className, textContent: b.text, ariaLabel: b.ariaLabel(a.label),
        onclick: () => (action === "forget" ? confirmForget(a) : signOut([a.id])),
      }));
    }
    const since = a.found ? `Found ${fmtTime(a.created_at)}` : fmtTime(a.created_at);
    tr.append(who, el("td", { className: "since", textContent: since }),
      el("td", { className: "status", textContent: statusText(a) }), actions);
    return tr;
  }

  function renderAccounts() {
    const generation = ++renderGeneration;
    /** @type {Map<string, Account[]>} */
    const groups = new Map();
    // Signoff's own accounts by provider; sessions found in other tools' stores by tool.
    for (const a of state.accounts) {
      const key = a.found ? `found-${a.found.tool}` : a.provider_id;
      const group = groups.get(key);
      if (group) group.push(a);
      else groups.set(key, [a]);
    }
    const frag = document.createDocumentFragment();
    /** @type {Array<[HTMLTableSectionElement, Account]>} */
    const later = [];
    let budget = FIRST_ROWS;
    for (const [key, accounts] of groups) {
      const headingId = `group-${key}`;
      const section = el("section", { className: "group" });
      const found = accounts[0].found;
      if (found) section.dataset.tool = found.tool;
      else section.dataset.provider = key;
      section.setAttribute("aria-labelledby", headingId);
      section.append(el("h2", {
        id: headingId,
        textContent: found ? `${found.tool_label} · found on this computer` : providerLabel(key),
      }));
      const table = el("table");
      table.append(el("thead", {}, el("tr", {},
        el("th", { scope: "col", textContent: "Account" }), el("th", { scope: "col", textContent: "Signed in since" }),
        el("th", { scope: "col", textContent: "Status" }), el("th", { scope: "col", textContent: "Actions" }))));
      const body = el("tbody");
      const shown = expanded.has(key) ? accounts : accounts.slice(0, GROUP_ROWS);
      for (const a of shown) {
        if (budget > 0) {
          body.append(accountRow(a));
          budget -= 1;
        } else {
          later.push([body, a]);
        }
      }
      table.append(body);
      section.append(table);
      if (shown.length < accounts.length) section.append(moreButton(key, table, accounts.slice(shown.length)));
      frag.append(section);
    }
    groupsBox.replaceChildren(frag);
    const n = state.total;
    empty.hidden = n !== 0;
    signOutAllButton.disabled = n === 0 || state.busy;
    count.textContent = accountsText(n);
    if (later.length > 0) afterPaint(() => setTimeout(() => appendRows(later, 0, generation), 0));
  }

  /**
   * The button under a group that shows the rest of its rows, which then stay shown for as long
   * as the window is open (the list is redrawn on every change).
   * @param {string} key  The group (a provider id, or `found-<tool>`).
   * @param {HTMLTableElement} table  The group's table.
   * @param {Account[]} rest  Its accounts not shown yet.
   */
  function moreButton(key, table, rest) {
    const found = rest[0].found;
    const label = found ? found.tool_label : providerLabel(key);
    const noun = found ? "session" : "account";
    const button = el("button", {
      type: "button",
      className: "show-more",
      textContent: `Show ${rest.length} more ${label} ${noun}${rest.length === 1 ? "" : "s"}`,
    });
    // A sign-out running now would not reach rows drawn after it began: they come after it.
    button.disabled = state.busy;
    button.addEventListener("click", () => {
      expanded.add(key);
      // A body of their own after the shown rows, which may still be coming in slices.
      const body = el("tbody");
      table.append(body);
      const first = accountRow(rest[0]);
      body.append(first);
      button.remove();
      // Keyboard focus goes to the first row that came in (its name, not its Sign out button,
      // which a second press of Enter would set off), so Tab carries on from there.
      const name = /** @type {HTMLElement} */ (first.firstElementChild);
      name.tabIndex = -1;
      name.focus();
      notices.say(`Showing all ${GROUP_ROWS + rest.length} ${label} ${noun}s.`);
      /** @type {Array<[HTMLTableSectionElement, Account]>} */
      const more = rest.slice(1).map((a) => [body, a]);
      appendRows(more, 0, renderGeneration);
    });
    return button;
  }

  /**
   * Adds the rows held back by `renderAccounts`, a slice per task, unless a newer render replaced
   * the list in the meantime.
   * @param {Array<[HTMLTableSectionElement, Account]>} rows
   * @param {number} from
   * @param {number} generation
   */
  function appendRows(rows, from, generation) {
    if (generation !== renderGeneration) return;
    const to = Math.min(from + SLICE_ROWS, rows.length);
    for (let i = from; i < to; i += 1) rows[i][0].append(accountRow(rows[i][1]));
    if (to < rows.length) setTimeout(() => appendRows(rows, to, generation), 0);
  }

  /**
   * Shows `accounts`. The list handed over with the page (`handedOver`) holds only the accounts
   * its first frame draws, of `total`; the rest come with the list asked for after that frame.
   * @param {Account[]} accounts
   * @param {ProviderView[]} providers
   * @param {boolean} [handedOver]
   * @param {number} [total]
   */
  function show(accounts, providers, handedOver = false, total = accounts.length) {
    state.accounts = accounts;
    state.total = total;
    state.providers = providers;
    state.byId = new Map(accounts.map((a) => [a.id, a]));
    renderAccounts();
    if (!painted) {
      // Tell the core once the frame showing the list has been drawn (one log line; `make bench`
      // times it), then ask for the whole list, which also shows what changed since the page
      // was made.
      painted = true;
      afterPaint(() => {
        invoke("ui_ready", { accounts: total, handedOver }).catch(() => {});
        refresh({ onlyIfChanged: true });
      });
    }
  }

  // `onlyIfChanged` keeps the rows on the page when the list is the same (the check after the
  // first paint, and changes announced by the core).
  async function refresh({ onlyIfChanged = false } = {}) {
    try {
      const [accounts, providers] = await Promise.all([invoke("list_accounts"), invoke("list_providers")]);
      const unchanged = onlyIfChanged
        && JSON.stringify(accounts) === JSON.stringify(state.accounts)
        && JSON.stringify(providers.profiles) === JSON.stringify(state.providers);
      if (!unchanged) show(accounts, providers.profiles);
    } catch (err) {
      notices.fail(err);
    }
  }

  // --- Sign out -------------------------------------------------------------------------------

  /**
   * @param {string} id
   * @param {string} text
   * @param {string} cls
   */
  function setRowStatus(id, text, cls) {
    const row = root.querySelector(`tr[data-account-id="${CSS.escape(id)}"]`);
    if (!row) return;
    const status = row.querySelector(".status");
    if (status) status.textContent = text;
    if (cls) row.className = `account ${cls}`;
    for (const b of row.querySelectorAll("button")) b.disabled = true;
  }

  /** @param {Receipt} r */
  function receiptLine(r) {
    const a = state.byId.get(r.account);
    const text = receiptText(r, providerLabel(r.provider), a && a.next_attempt_at);
    const li = el("li", { className: `receipt-item outcome-${r.outcome}` },
      el("strong", { textContent: receiptHead(r) }), text);
    li.dataset.accountId = r.account;
    li.dataset.outcome = r.outcome;
    return li;
  }

  /** @param {Receipt} r */
  function progress(r) {
    live.push(r);
    // Only a row still shown as signing out takes the receipt. An event can reach the page after
    // the sign-out returned and the list was redrawn: it must not overwrite the redrawn row (nor
    // disable its buttons, which would leave "Forget locally" dead).
    const row = root.querySelector(`tr[data-account-id="${CSS.escape(r.account)}"]`);
    if (row && row.classList.contains("status-signing_out")) {
      // A refusal shows its reason at once, as the redrawn row will ("Needs attention: …").
      const why = r.outcome === "failed" && r.error ? `: ${problemText(r.error)}` : "";
      setRowStatus(r.account, outcomeText(r.outcome) + why, `outcome-${r.outcome}`);
    }
    if (state.busy) notices.say(`Signing out… ${live.length} done`);
  }

  /**
   * @param {string[]} ids
   * @param {boolean} [everywhere]
   */
  async function signOut(ids, everywhere) {
    if (state.busy) return;
    notices.clear();
    state.busy = true;
    live = [];
    signOutAllButton.disabled = true;
    for (const b of root.querySelectorAll("button.show-more")) /** @type {HTMLButtonElement} */ (b).disabled = true;
    const targets = everywhere ? state.accounts.map((a) => a.id) : ids;
    for (const id of targets) setRowStatus(id, "Signing out…", "status-signing_out");
    notices.say("Signing out…");
    try {
      const summary = everywhere ? await invoke("sign_out_all") : await invoke("sign_out", { ids });
      state.busy = false;
      await refresh();
      showReceipt(summary.results);
      const skipped = summary.skipped.length ? ` ${summary.skipped.length} skipped (busy elsewhere).` : "";
      notices.say(`Sign-out finished: ${summary.results.length} account(s).${skipped}`);
    } catch (err) {
      state.busy = false;
      notices.fail(err);
      await refresh();
    }
  }

  /** @param {Receipt[]} results */
  function showReceipt(results) {
    receiptList.replaceChildren(...results.map(receiptLine));
    receipt.hidden = results.length === 0;
    if (results.length) receiptHeading.focus?.();
  }

  // The core says what signing out everywhere will do, provider by provider.
  async function confirmSignOutAll() {
    let preview;
    try {
      [preview] = await Promise.all([invoke("sign_out_preview"), refresh()]);
    } catch (err) {
      notices.fail(err);
      return;
    }
    const n = preview.accounts;
    if (!n) return;
    const body = [
      el("p", { textContent: `This signs out ${n} account${n === 1 ? "" : "s"} and deletes their tokens from this computer's keychain.` }),
      ...preview.providers.map(previewProvider),
    ];
    body.push(el("p", { textContent: "If a provider cannot be reached, Signoff keeps retrying until it confirms." }));
    if (await confirm(`Sign out of ${n} account${n === 1 ? "" : "s"}?`, body, "Sign out everywhere")) {
      await signOut([], true);
    }
  }

  /** @param {Account} a */
  async function confirmForget(a) {
    const body = [
      el("p", { textContent: `“${a.label}” will be deleted from this computer without signing out at ${providerLabel(a.provider_id)}.` }),
      el("p", { className: "warn", textContent: "The session at the provider may stay valid until it expires, and Signoff will no longer be able to end it." }),
    ];
    if (!(await confirm(`Forget ${a.label} locally?`, body, "Forget locally"))) return;
    try {
      await invoke("forget", { id: a.id });
      notices.say(`Forgot ${a.label} on this computer.`);
      await refresh();
    } catch (err) {
      notices.fail(err);
    }
  }

  part(root, "receipt-close").addEventListener("click", () => { receipt.hidden = true; });

  return {
    show,
    refresh,
    busy: () => state.busy,
    providers: () => state.providers,
    provider,
    providerLabel,
    progress,
    confirmSignOutAll,
  };
}
