// Signoff's page. It shows what the core returns (account metadata and outcomes) and never
// holds a token: pasted tokens go to the core once and the fields are cleared at once.
"use strict";

const $ = (id) => document.getElementById(id);
const tauri = window.__TAURI__;
const invoke = (cmd, args) => tauri.core.invoke(cmd, args);

const STATUS_TEXT = {
  signed_in: "Signed in",
  signing_out: "Signing out…",
  pending: "Revocation pending",
  needs_attention: "Needs attention",
};

const OUTCOME_TEXT = {
  revoked: "Signed out",
  already_revoked: "Signed out (was already ended)",
  local_only: "Signed out on this computer only",
  pending: "Revocation pending",
  failed: "Needs attention",
};

const ERROR_TEXT = {
  keychain_unavailable: "Signoff cannot reach your keychain. Start your desktop's keyring (for example GNOME Keyring) and try again.",
  keychain_locked: "Your keychain is locked. Unlock it and try again.",
  keychain_error: "Your keychain refused the operation.",
  store_error: "Signoff's account database could not be read or written.",
  invalid_input: "Some of what you entered is not valid.",
  not_found: "That account or provider no longer exists.",
  io: "Signoff could not read or write one of its files.",
  sign_in_failed: "Signing in did not work.",
  token_rejected: "The provider does not accept this token, so it was not added.",
  check_unavailable: "The provider could not be asked whether this token is valid; nothing was added. Try again later.",
};

const state = { accounts: [], providers: [], byId: new Map(), busy: false, audit: [] };

function errorSentence(err) {
  const code = err && err.code;
  const base = ERROR_TEXT[code] || "Something went wrong.";
  // The core's message is plain text without secrets; show it for detail.
  return err && err.message ? `${base} (${err.message})` : base;
}

function showError(err) {
  const el = $("error");
  el.textContent = errorSentence(err);
  el.hidden = false;
}

function clearError() {
  $("error").hidden = true;
}

// One formatter for every date: a new one per call (toLocaleString) costs time and ICU memory
// for each of a thousand rows.
const TIME_FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function fmtTime(rfc3339) {
  if (!rfc3339) return "";
  const d = new Date(rfc3339);
  return isNaN(d) ? rfc3339 : TIME_FORMAT.format(d);
}

function providerById(id) {
  return state.providers.find((x) => x.id === id);
}

function providerLabel(id) {
  const p = providerById(id);
  return p ? p.label : id;
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const c of children) if (c != null) node.append(c);
  return node;
}

function statusText(a) {
  let text = STATUS_TEXT[a.status] || a.status;
  if (a.status === "pending" && a.next_attempt_at) text += ` · next try ${fmtTime(a.next_attempt_at)}`;
  if (a.status === "needs_attention" && a.last_error) {
    text += `: ${a.last_error.description || a.last_error.code}`;
  }
  return text;
}

function accountRow(a) {
  const tr = el("tr", { className: `account status-${a.status}` });
  tr.dataset.accountId = a.id;
  const who = el("td", {}, el("span", { className: "label", textContent: a.label }));
  if (a.subject) who.append(el("span", { className: "subject", textContent: a.subject }));
  const actions = el("td", { className: "row-actions" });
  if (a.status === "signed_in") {
    actions.append(el("button", {
      type: "button", className: "signout", textContent: "Sign out",
      ariaLabel: `Sign out ${a.label}`, onclick: () => signOut([a.id]),
    }));
  } else if (a.status === "pending" || a.status === "needs_attention") {
    actions.append(
      el("button", { type: "button", className: "retry", textContent: "Retry now", ariaLabel: `Retry signing out ${a.label}`, onclick: () => signOut([a.id]) }),
      el("button", { type: "button", className: "forget quiet", textContent: "Forget locally", ariaLabel: `Forget ${a.label} locally`, onclick: () => confirmForget(a) }),
    );
  }
  tr.append(who, el("td", { className: "since", textContent: fmtTime(a.created_at) }),
    el("td", { className: "status", textContent: statusText(a) }), actions);
  return tr;
}

// The first rows go into the page at once; the rest follow in slices once that frame is drawn,
// so a long list shows its first screenful as quickly as a short one.
const FIRST_ROWS = 60;
const SLICE_ROWS = 150;
let renderGeneration = 0;

// Runs `fn` at the start of the second animation frame from now, i.e. once the frame that shows
// what is in the page now has been drawn.
function afterPaint(fn) {
  requestAnimationFrame(() => requestAnimationFrame(fn));
}

function renderAccounts() {
  const generation = ++renderGeneration;
  const groups = new Map();
  for (const a of state.accounts) {
    if (!groups.has(a.provider_id)) groups.set(a.provider_id, []);
    groups.get(a.provider_id).push(a);
  }
  const frag = document.createDocumentFragment();
  const later = [];
  let budget = FIRST_ROWS;
  for (const [provider, accounts] of groups) {
    const headingId = `group-${provider}`;
    const section = el("section", { className: "group" });
    section.dataset.provider = provider;
    section.setAttribute("aria-labelledby", headingId);
    section.append(el("h2", { id: headingId, textContent: providerLabel(provider) }));
    const table = el("table");
    table.append(el("thead", {}, el("tr", {},
      el("th", { scope: "col", textContent: "Account" }), el("th", { scope: "col", textContent: "Signed in since" }),
      el("th", { scope: "col", textContent: "Status" }), el("th", { scope: "col", textContent: "Actions" }))));
    const body = el("tbody");
    for (const a of accounts) {
      if (budget > 0) {
        body.append(accountRow(a));
        budget -= 1;
      } else {
        later.push([body, a]);
      }
    }
    table.append(body);
    section.append(table);
    frag.append(section);
  }
  $("groups").replaceChildren(frag);
  const n = state.accounts.length;
  $("empty").hidden = n !== 0;
  $("signout-all-btn").disabled = n === 0 || state.busy;
  $("count").textContent = n === 1 ? "1 account" : `${n} accounts`;
  if (later.length > 0) afterPaint(() => setTimeout(() => appendRows(later, 0, generation), 0));
}

// Adds the rows held back by `renderAccounts`, a slice per task, unless a newer render replaced
// the list in the meantime.
function appendRows(rows, from, generation) {
  if (generation !== renderGeneration) return;
  const to = Math.min(from + SLICE_ROWS, rows.length);
  for (let i = from; i < to; i += 1) rows[i][0].append(accountRow(rows[i][1]));
  if (to < rows.length) setTimeout(() => appendRows(rows, to, generation), 0);
}

let painted = false;

// Shows a list: the one handed over with the page first, then each one the core sends.
function show(accounts, providers, handedOver = false) {
  state.accounts = accounts;
  state.providers = providers;
  state.byId = new Map(accounts.map((a) => [a.id, a]));
  renderAccounts();
  if (!painted) {
    // Tell the core once the frame showing the list has been drawn (one log line; `make bench`
    // times it), then ask for the list again in case it changed since the page was made.
    painted = true;
    afterPaint(() => {
      invoke("ui_ready", { accounts: accounts.length, handedOver }).catch(() => {});
      refresh({ onlyIfChanged: true });
    });
  }
}

// Asks the core for the list and shows it. `onlyIfChanged` keeps the rows on the page when the
// list is the same (the check after the first paint, and changes announced by the core).
async function refresh({ onlyIfChanged = false } = {}) {
  try {
    const [accounts, providers] = await Promise.all([invoke("list_accounts"), invoke("list_providers")]);
    const unchanged = onlyIfChanged
      && JSON.stringify(accounts) === JSON.stringify(state.accounts)
      && JSON.stringify(providers.profiles) === JSON.stringify(state.providers);
    if (!unchanged) show(accounts, providers.profiles);
  } catch (err) {
    showError(err);
  }
}

// --- Sign out ---------------------------------------------------------------------------------

function setRowStatus(id, text, cls) {
  const row = document.querySelector(`tr[data-account-id="${CSS.escape(id)}"]`);
  if (!row) return;
  row.querySelector(".status").textContent = text;
  if (cls) row.className = `account ${cls}`;
  for (const b of row.querySelectorAll("button")) b.disabled = true;
}

function receiptLine(r) {
  const provider = providerLabel(r.provider);
  let text;
  switch (r.outcome) {
    case "revoked": text = `${provider} confirmed the session is ended.`; break;
    case "already_revoked": text = `The session had already ended at ${provider}.`; break;
    case "local_only": text = `${provider} cannot end sessions remotely; the session may stay valid until it expires.`; break;
    case "pending": {
      const a = state.byId.get(r.account);
      const next = a && a.next_attempt_at ? ` Next try: ${fmtTime(a.next_attempt_at)}.` : "";
      const code = r.error ? r.error.code : "";
      const askedToWait = r.retry_after_secs != null || code === "http_429" || code === "http_503";
      text = askedToWait
        ? `Signed out here. ${provider} asked Signoff to wait; it keeps the token and retries.${next}`
        : `Signed out here. ${provider} could not be reached yet; Signoff keeps the token and retries.${next}`;
      break;
    }
    default: text = `${provider} refused.`;
  }
  if (r.error && r.outcome !== "pending") text += ` ${r.error.description || r.error.code}`;
  if (r.error && r.outcome === "pending") text += ` (${r.error.description || r.error.code})`;
  if (r.note && r.outcome !== "local_only") text += ` ${r.note}`;
  const li = el("li", { className: `receipt-item outcome-${r.outcome}` },
    el("strong", { textContent: `${r.label}: ${OUTCOME_TEXT[r.outcome] || r.outcome}. ` }), text);
  li.dataset.accountId = r.account;
  li.dataset.outcome = r.outcome;
  return li;
}

let live = [];

function onProgress(receipt) {
  live.push(receipt);
  setRowStatus(receipt.account, OUTCOME_TEXT[receipt.outcome] || receipt.outcome, `outcome-${receipt.outcome}`);
  $("status").textContent = `Signing out… ${live.length} done`;
}

async function signOut(ids, everywhere) {
  if (state.busy) return;
  clearError();
  state.busy = true;
  live = [];
  $("signout-all-btn").disabled = true;
  const targets = everywhere ? state.accounts.map((a) => a.id) : ids;
  for (const id of targets) setRowStatus(id, "Signing out…", "status-signing_out");
  $("status").textContent = "Signing out…";
  try {
    const summary = everywhere ? await invoke("sign_out_all") : await invoke("sign_out", { ids });
    state.busy = false;
    await refresh();
    showReceipt(summary.results);
    const skipped = summary.skipped.length ? ` ${summary.skipped.length} skipped (busy elsewhere).` : "";
    $("status").textContent = `Sign-out finished: ${summary.results.length} account(s).${skipped}`;
  } catch (err) {
    state.busy = false;
    showError(err);
    await refresh();
  }
}

function showReceipt(results) {
  const list = $("receipt-list");
  list.replaceChildren(...results.map(receiptLine));
  $("receipt").hidden = results.length === 0;
  if (results.length) $("receipt-heading").focus?.();
}

// --- Confirmations ----------------------------------------------------------------------------

function confirmDialog(title, bodyNodes, okText) {
  const dialog = $("confirm-dialog");
  $("confirm-title").textContent = title;
  $("confirm-body").replaceChildren(...bodyNodes);
  $("confirm-ok").textContent = okText;
  return new Promise((resolve) => {
    const done = (yes) => {
      $("confirm-ok").onclick = $("confirm-cancel").onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(yes);
    };
    $("confirm-ok").onclick = () => done(true);
    $("confirm-cancel").onclick = () => done(false);
    dialog.onclose = () => done(false);
    dialog.showModal();
    $("confirm-cancel").focus();
  });
}

async function confirmSignOutAll() {
  await refresh();
  const n = state.accounts.length;
  if (!n) return;
  const server = [], local = [];
  for (const id of new Set(state.accounts.map((a) => a.provider_id))) {
    const p = providerById(id);
    (p && p.revokes_on_server ? server : local).push(providerLabel(id));
  }
  const body = [el("p", { textContent: `This signs out ${n} account${n === 1 ? "" : "s"} and deletes their tokens from this computer's keychain.` })];
  if (server.length) body.push(el("p", { textContent: `Ended at the provider: ${server.join(", ")}.` }));
  if (local.length) body.push(el("p", { className: "warn", textContent: `Signed out on this computer only (the provider cannot end sessions remotely): ${local.join(", ")}.` }));
  body.push(el("p", { textContent: "If a provider cannot be reached, Signoff keeps retrying until it confirms." }));
  if (await confirmDialog(`Sign out of ${n} account${n === 1 ? "" : "s"}?`, body, "Sign out everywhere")) {
    await signOut([], true);
  }
}

async function confirmForget(a) {
  const body = [
    el("p", { textContent: `“${a.label}” will be deleted from this computer without signing out at ${providerLabel(a.provider_id)}.` }),
    el("p", { className: "warn", textContent: "The session at the provider may stay valid until it expires, and Signoff will no longer be able to end it." }),
  ];
  if (!(await confirmDialog(`Forget ${a.label} locally?`, body, "Forget locally"))) return;
  try {
    await invoke("forget", { id: a.id });
    $("status").textContent = `Forgot ${a.label} on this computer.`;
    await refresh();
  } catch (err) {
    showError(err);
  }
}

// --- Add account and client secrets -----------------------------------------------------------

function fillProviderSelect(select) {
  select.replaceChildren(...state.providers.map((p) => el("option", {
    value: p.id,
    textContent: p.incomplete ? `${p.label} (not set up: ${p.incomplete})` : p.label,
  })));
}

async function openAddDialog() {
  await refresh();
  fillProviderSelect($("add-provider"));
  fillProviderSelect($("secret-provider"));
  const signIn = state.providers.filter((p) => p.can_sign_in);
  $("signin-provider").replaceChildren(...signIn.map((p) => el("option", { value: p.id, textContent: p.label })));
  $("signin-submit").disabled = signIn.length === 0;
  if (!signIn.length) $("signin-hint").textContent = "No provider set up here supports signing in with the browser; paste tokens below.";
  $("signin-result").textContent = "";
  $("signin-wait").hidden = true;
  const byPassword = state.providers.filter((p) => p.sign_in === "password");
  $("password-form").hidden = byPassword.length === 0;
  $("password-provider").replaceChildren(...byPassword.map((p) => el("option", { value: p.id, textContent: p.label })));
  updateAnonymousButton();
  $("password-result").textContent = "";
  $("add-error").hidden = true;
  $("secret-result").textContent = "";
  $("add-dialog").showModal();
  $("add-provider").focus();
}

function takeSecret(input) {
  const v = input.value.trim();
  input.value = "";
  return v || undefined;
}

async function submitAdd(ev) {
  ev.preventDefault();
  const tokens = {};
  const r = takeSecret($("add-refresh")), a = takeSecret($("add-access")), i = takeSecret($("add-id"));
  if (r) tokens.refresh_token = r;
  if (a) tokens.access_token = a;
  if (i) tokens.id_token = i;
  try {
    const account = await invoke("add_account", {
      provider: $("add-provider").value,
      label: $("add-label").value,
      subject: $("add-subject").value.trim() || null,
      tokens,
    });
    $("add-label").value = $("add-subject").value = "";
    await accountAdded(`Added ${account.label}.`);
  } catch (err) {
    $("add-error").textContent = errorSentence(err);
    $("add-error").hidden = false;
  }
}

// An account came in from the add dialog: close it, say so, show the new list.
async function accountAdded(message) {
  $("add-dialog").close();
  $("status").textContent = message;
  await refresh();
}

async function submitSignIn(ev) {
  ev.preventDefault();
  $("signin-result").textContent = "";
  $("signin-url").value = "";
  $("signin-wait-text").textContent = "Opening your browser…";
  $("signin-wait").hidden = false;
  $("signin-submit").disabled = true;
  try {
    const account = await invoke("sign_in", {
      provider: $("signin-provider").value,
      label: $("signin-label").value.trim() || null,
    });
    $("signin-label").value = "";
    await accountAdded(`Signed in as ${account.label}.`);
  } catch (err) {
    $("signin-result").textContent = err && err.message === "sign-in cancelled" ? "Sign-in cancelled." : errorSentence(err);
  } finally {
    $("signin-wait").hidden = true;
    $("signin-submit").disabled = false;
  }
}

function updateAnonymousButton() {
  const p = providerById($("password-provider").value);
  $("password-anonymous").hidden = !(p && p.anonymous);
}

async function passwordSignIn(command, args) {
  $("password-result").textContent = "Signing in…";
  $("password-submit").disabled = $("password-anonymous").disabled = true;
  try {
    const account = await invoke(command, {
      provider: $("password-provider").value,
      label: $("password-label").value.trim() || null,
      ...args,
    });
    $("password-label").value = $("password-username").value = "";
    await accountAdded(`Signed in as ${account.label}.`);
  } catch (err) {
    $("password-result").textContent = errorSentence(err);
  } finally {
    $("password-submit").disabled = $("password-anonymous").disabled = false;
  }
}

function submitPassword(ev) {
  ev.preventDefault();
  const username = $("password-username").value.trim();
  const password = $("password-password").value;
  $("password-password").value = "";
  if (!username || !password) {
    $("password-result").textContent = "Enter the user name and the password.";
    return;
  }
  return passwordSignIn("sign_in_password", { username, password });
}

function onSignInUrl(payload) {
  $("signin-url").value = payload.url;
  $("signin-wait-text").textContent = payload.opened
    ? "Continue in your browser. If nothing opened, copy this address into one:"
    : "Signoff could not open a browser here. Copy this address into one to sign in:";
}

async function submitSecret(ev) {
  ev.preventDefault();
  const provider = $("secret-provider").value;
  const secret = takeSecret($("secret-value")) || "";
  try {
    await invoke("set_client_secret", { provider, secret });
    $("secret-result").textContent = `Saved the client secret for ${providerLabel(provider)} in your keychain.`;
  } catch (err) {
    $("secret-result").textContent = errorSentence(err);
  }
}

// --- Activity ---------------------------------------------------------------------------------

const ACTION_TEXT = {
  add_account: "Added account", sign_out: "Signed out", retry_sign_out: "Retried sign-out",
  forget: "Forgot locally", set_client_secret: "Saved client secret", bulk_revoke: "Bulk revoke",
};

function renderActivity() {
  const account = $("filter-account").value, outcome = $("filter-outcome").value;
  const rows = state.audit.filter((e) => (!account || e.account === account) && (!outcome || e.outcome === outcome));
  const frag = document.createDocumentFragment();
  for (const e of rows) {
    const tr = el("tr", { className: `activity outcome-${e.outcome || "none"}` });
    const details = [e.error_code, e.error_description, e.detail].filter(Boolean).join(" · ");
    tr.append(
      el("td", { textContent: fmtTime(e.at) }), el("td", { textContent: e.actor }),
      el("td", { textContent: ACTION_TEXT[e.action] || e.action }), el("td", { textContent: e.label || "" }),
      el("td", { textContent: e.provider ? providerLabel(e.provider) : "" }),
      el("td", { className: "outcome", textContent: e.outcome ? OUTCOME_TEXT[e.outcome] || e.outcome : "" }),
      el("td", { textContent: details }),
    );
    frag.append(tr);
  }
  $("activity-rows").replaceChildren(frag);
  $("activity-empty").hidden = rows.length !== 0;
}

async function loadActivity() {
  try {
    state.audit = await invoke("activity");
    const seen = new Map();
    for (const e of state.audit) if (e.account && !seen.has(e.account)) seen.set(e.account, e.label || e.account);
    const select = $("filter-account"), current = select.value;
    select.replaceChildren(el("option", { value: "", textContent: "All accounts" }),
      ...[...seen].map(([id, label]) => el("option", { value: id, textContent: label })));
    select.value = current;
    renderActivity();
  } catch (err) {
    showError(err);
  }
}

function selectTab(name) {
  const accounts = name === "accounts";
  $("tab-accounts").setAttribute("aria-selected", String(accounts));
  $("tab-activity").setAttribute("aria-selected", String(!accounts));
  $("tab-accounts").tabIndex = accounts ? 0 : -1;
  $("tab-activity").tabIndex = accounts ? -1 : 0;
  $("accounts-view").hidden = !accounts;
  $("activity-view").hidden = accounts;
  if (!accounts) loadActivity();
}

// --- Wiring -----------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  // The list handed over with the page (see src-tauri/src/first_view.rs) is shown before
  // anything else is wired up; without it the page asks the core.
  const first = window.__SIGNOFF_FIRST_VIEW__;
  if (first) show(first.accounts, first.providers.profiles, true);
  $("signout-all-btn").addEventListener("click", confirmSignOutAll);
  $("add-account-btn").addEventListener("click", openAddDialog);
  $("add-cancel").addEventListener("click", () => $("add-dialog").close());
  $("add-form").addEventListener("submit", submitAdd);
  $("secret-form").addEventListener("submit", submitSecret);
  $("signin-form").addEventListener("submit", submitSignIn);
  $("password-form").addEventListener("submit", submitPassword);
  $("password-provider").addEventListener("change", updateAnonymousButton);
  $("password-anonymous").addEventListener("click", () =>
    passwordSignIn("sign_in_anonymous", { username: $("password-username").value.trim() || null }));
  $("signin-cancel").addEventListener("click", () => invoke("cancel_sign_in"));
  $("add-dialog").addEventListener("close", () => invoke("cancel_sign_in"));
  tauri.event.listen("signin-url", (e) => onSignInUrl(e.payload));
  $("receipt-close").addEventListener("click", () => { $("receipt").hidden = true; });
  $("tab-accounts").addEventListener("click", () => selectTab("accounts"));
  $("tab-activity").addEventListener("click", () => selectTab("activity"));
  for (const tab of [$("tab-accounts"), $("tab-activity")]) {
    tab.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        const next = tab.id === "tab-accounts" ? "activity" : "accounts";
        selectTab(next);
        $(`tab-${next}`).focus();
      }
    });
  }
  $("filter-account").addEventListener("change", renderActivity);
  $("filter-outcome").addEventListener("change", renderActivity);
  tauri.event.listen("signout-progress", (e) => onProgress(e.payload));
  tauri.event.listen("accounts-changed", () => {
    // A change made anywhere (the CLI, a retry, this window's own sign-out a second later):
    // redraw only if the list differs, so the rows, and the keyboard focus on them, stay put.
    if (!state.busy) refresh({ onlyIfChanged: true });
    if (!$("activity-view").hidden) loadActivity();
  });
  if (!first) refresh();
});
