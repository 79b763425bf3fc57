// @ts-check
// The Admin view: for IT admins with an admin credential at an identity provider (stored by
// `signoff admin login`, never seen by the page). Find a person by e-mail, login or id, see who
// matched and the sessions the provider lists for them, and sign them out everywhere there,
// with the same confirmation and receipt as a person's own sign-out. The view (and its tab) is
// there only while at least one provider is set up for it.

import { el, part } from "./dom.js";
import { invoke } from "./ipc.js";
import { fmtTime, problemText } from "./text.js";

/** @typedef {import("./types/AdminPerson").AdminPerson} AdminPerson */
/** @typedef {import("./types/AdminPlan").AdminPlan} AdminPlan */
/** @typedef {import("./types/AdminProvider").AdminProvider} AdminProvider */
/** @typedef {import("./types/AdminReceipt").AdminReceipt} AdminReceipt */
/** @typedef {import("./types/AdminOutcome").AdminOutcome} AdminOutcome */
/** @typedef {import("./types/AdminSession").AdminSession} AdminSession */
/** @typedef {import("./dom.js").Notices} Notices */
/** @typedef {import("./confirm-dialog.js").Confirm} Confirm */

/** @type {Record<AdminOutcome, string>} */
const RESULT_TEXT = {
  ended: "Signed out everywhere",
  not_found: "Not found",
  pending: "Not signed out yet",
  failed: "Not signed out",
};

/**
 * A receipt line's bold start: the person and what came of it.
 * @param {AdminReceipt} r
 */
export function adminReceiptHead(r) {
  const words = Object.hasOwn(RESULT_TEXT, r.result) ? RESULT_TEXT[r.result] : r.result;
  return `${r.user}: ${words}. `;
}

/**
 * What a receipt says after its head, in words a person understands.
 * @param {AdminReceipt} r
 * @param {string} provider  the provider's label
 */
export function adminReceiptText(r, provider) {
  const why = r.error ? problemText(r.error) : "";
  let text;
  switch (r.result) {
    case "ended": {
      const who = r.ids.length > 1 ? `${r.ids.length} accounts (${r.ids.join(", ")})` : r.user;
      text = `${provider} accepted the sign-out of ${who}: every session there is ending, on every device.`;
      break;
    }
    case "not_found":
      text = `${provider} knows no such person, so nobody was signed out.${why ? ` (${why})` : ""}`;
      break;
    case "pending": {
      const wait = r.retry_after_secs ? ` for ${r.retry_after_secs} s` : "";
      text = r.asked_to_wait
        ? `${provider} asked Signoff to wait${wait} before more calls.`
        : `${provider} could not be reached.`;
      if (why) text += ` (${why})`;
      text += r.done && r.done.length ? "" : " Nothing was ended yet: sign them out again in a while.";
      break;
    }
    default:
      text = !r.error
        ? `${provider} refused.`
        : OWN_REASONS.has(r.error.kind)
          ? `Signoff stopped: ${why}`
          : `${provider} refused: ${why}`;
  }
  if (r.note) text += ` ${r.note}`;
  return text;
}

/** Reasons that are Signoff's own conclusion, not words the provider said. */
const OWN_REASONS = new Set(["several_users", "invalid_input", "network", "tls", "redirect_refused",
  "insecure_endpoint", "unexpected_status", "refresh_unavailable", "profile_incomplete"]);

/**
 * What a lookup's problem says, with who said it.
 * @param {import("./types/Reason").Reason} problem
 * @param {string} provider
 */
function lookupProblem(problem, provider) {
  if (problem.kind === "several_users") return `Signoff did not choose: ${problemText(problem)}`;
  if (problem.kind === "network" || problem.kind === "tls") return `Signoff could not reach ${provider}: ${problemText(problem)}`;
  if (problem.kind === "user_not_found") return problemText(problem);
  return OWN_REASONS.has(problem.kind)
    ? `Signoff could not look them up: ${problemText(problem)}`
    : `${provider} said: ${problemText(problem)}`;
}

/**
 * The calls a sign-out would make, as method and host ("POST sso.acme.test").
 * @param {AdminPlan[]} plans
 */
function planCalls(plans) {
  /** @type {string[]} */
  const calls = [];
  for (const p of plans) {
    for (const c of p.calls) {
      let host;
      try { host = new URL(c.url).host; } catch { host = c.url; }
      const what = `${c.method} ${host}`;
      if (calls[calls.length - 1] !== what) calls.push(what);
    }
  }
  return calls.join(", then ");
}

/**
 * A session's cells.
 * @param {AdminSession} s
 */
function sessionRow(s) {
  const tr = el("tr", { className: "admin-session" },
    el("td", { textContent: fmtTime(s.started) || "—" }),
    el("td", { textContent: fmtTime(s.last_seen) || "—" }),
    el("td", { textContent: s.address || "—" }),
    el("td", {
      textContent: (s.apps.length ? s.apps.join(", ") : "—") + (s.offline ? " (offline access: the app stays signed in)" : ""),
    }));
  if (s.id) tr.dataset.session = s.id;
  if (s.offline) tr.classList.add("offline");
  return tr;
}

/**
 * Attaches the view to `root` (#admin-view); `tab` is its tab, shown only while a provider is
 * set up for admin sign-outs.
 * @param {HTMLElement} root
 * @param {{ tab: HTMLElement, notices: Notices, confirm: Confirm, onGone: () => void }} deps
 */
export function mount(root, { tab, notices, confirm, onGone }) {
  const form = part(root, "admin-find-form", HTMLFormElement);
  const providerField = part(root, "admin-provider-field");
  const providerSelect = part(root, "admin-provider", HTMLSelectElement);
  const userInput = part(root, "admin-user", HTMLInputElement);
  const findButton = part(root, "admin-find", HTMLButtonElement);
  const personBox = part(root, "admin-person");
  const personHeading = part(root, "admin-person-heading");
  const matchesList = part(root, "admin-matches");
  const problemLine = part(root, "admin-problem");
  const noListLine = part(root, "admin-no-list");
  const sessionsTable = part(root, "admin-sessions", HTMLTableElement);
  const sessionsCaption = part(root, "admin-sessions-caption");
  const sessionRows = part(root, "admin-session-rows");
  const noteLine = part(root, "admin-note");
  const signOutButton = part(root, "admin-signout", HTMLButtonElement);
  const receipt = part(root, "admin-receipt");
  const receiptList = part(root, "admin-receipt-list");
  const receiptHeading = part(root, "admin-receipt-heading");

  /** @type {AdminProvider[]} */
  let providers = [];
  /** @type {AdminPerson | null} */
  let person = null;
  let busy = false;

  /** @param {string} id */
  const label = (id) => (providers.find((p) => p.id === id) || { label: id }).label;

  /** @param {boolean} on */
  function setBusy(on) {
    busy = on;
    findButton.disabled = on;
    providerSelect.disabled = on;
    signOutButton.disabled = on || !person || person.matches.length === 0;
    root.setAttribute("aria-busy", String(on));
  }

  // Which providers are set up: asked at start and after every change (an `admin login` in a
  // terminal shows the view within a second). A keychain that cannot be read keeps it as it was.
  async function load() {
    let list;
    try {
      list = await invoke("admin_providers");
    } catch {
      return;
    }
    const ready = list.filter((p) => p.credential_stored);
    const before = providerSelect.value;
    providers = ready;
    providerSelect.replaceChildren(...ready.map((p) => {
      const o = el("option", { value: p.id, textContent: p.incomplete ? `${p.label} (needs setting up)` : p.label });
      o.disabled = !!p.incomplete;
      return o;
    }));
    if (ready.some((p) => p.id === before)) providerSelect.value = before;
    providerField.hidden = ready.length === 0;
    const had = !tab.hidden;
    tab.hidden = ready.length === 0;
    if (had && tab.hidden) onGone();
  }

  /** @param {AdminPerson} p */
  function showPerson(p) {
    person = p;
    const provider = label(p.provider);
    personBox.hidden = false;
    personBox.dataset.provider = p.provider;
    const missing = !p.problem || p.problem.kind === "user_not_found";
    personHeading.textContent = p.matches.length === 0
      ? (missing ? `No one found at ${provider} for “${p.user}”` : `Could not look up “${p.user}” at ${provider}`)
      : p.matches.length === 1
        ? `“${p.user}” at ${provider}`
        : `${p.matches.length} people at ${provider} match “${p.user}”`;
    matchesList.replaceChildren(...p.matches.map((m) => {
      const li = el("li", { className: "admin-match" },
        m.shows.length ? `${m.shows.join(" · ")} ` : "",
        el("span", { className: "hint" }, "id ", el("code", { textContent: m.id })));
      li.dataset.id = m.id;
      return li;
    }));
    problemLine.hidden = !p.problem;
    problemLine.textContent = p.problem ? lookupProblem(p.problem, provider) : "";
    if (!p.looked_up && p.matches.length > 0 && !p.problem) {
      problemLine.hidden = false;
      problemLine.textContent = `Not looked up: ${provider} takes “${p.user}” as it is, and says at sign-out whether it knows them.`;
    }
    const sessions = p.sessions;
    noListLine.hidden = !(sessions === null && !p.problem && p.matches.length > 0);
    noListLine.textContent = `${provider} has no way to list a person's sessions; signing them out still ends every one.`;
    sessionsTable.hidden = sessions === null;
    if (sessions !== null) {
      sessionsCaption.textContent = sessions.length === 0
        ? `${provider} lists no sessions for them.`
        : sessions.length === 1 ? `1 session at ${provider}` : `${sessions.length} sessions at ${provider}`;
      sessionRows.replaceChildren(...sessions.map(sessionRow));
      if (sessionsTable.tHead) sessionsTable.tHead.hidden = sessions.length === 0;
    }
    noteLine.hidden = !p.note;
    noteLine.textContent = p.note || "";
    signOutButton.disabled = p.matches.length === 0;
    signOutButton.ariaLabel = `Sign ${p.user} out everywhere at ${provider}`;
  }

  /** @param {SubmitEvent} e */
  async function find(e) {
    e.preventDefault();
    const user = userInput.value.trim();
    const provider = providerSelect.value;
    if (!user || !provider || busy) return;
    notices.clear();
    setBusy(true);
    notices.say(`Looking up ${user} at ${label(provider)}…`);
    try {
      const p = await invoke("admin_lookup", { provider, user });
      showPerson(p);
      const found = p.matches.length;
      notices.say(p.problem && p.problem.kind !== "user_not_found"
        ? `Could not look up ${user} at ${label(provider)}.`
        : found === 0
          ? `${label(provider)} found no one for ${user}.`
          : !p.looked_up
            ? `Ready to sign out ${user} at ${label(provider)} (not looked up).`
            : `Found ${found === 1 ? "1 person" : `${found} people`} for ${user} at ${label(provider)}.`);
      personHeading.focus();
    } catch (err) {
      personBox.hidden = true;
      person = null;
      notices.say("");
      notices.fail(err);
    } finally {
      setBusy(false);
    }
  }

  async function confirmSignOut() {
    const p = person;
    if (!p || busy || p.matches.length === 0) return;
    const provider = label(p.provider);
    /** @type {AdminPlan[]} */
    let plans = [];
    try {
      plans = await invoke("admin_sign_out_preview", { provider: p.provider, users: [p.user] });
    } catch {
      // The confirmation still says what ends; the calls are detail.
    }
    const who = p.matches.length === 1
      ? `${p.user} (${[...p.matches[0].shows.filter((x) => x !== p.user), `id ${p.matches[0].id}`].join(" · ")})`
      : `${p.matches.length} people (${p.matches.map((m) => m.shows[0] || m.id).join(", ")})`;
    const body = [
      el("p", { textContent: `This ends every session of ${who} at ${provider}, on every device, with your admin access. They will have to sign in again everywhere.` }),
    ];
    const calls = planCalls(plans);
    if (calls) body.push(el("p", { className: "preview-calls", textContent: `Calls ${calls}` }));
    const problem = plans.find((x) => x.problem);
    if (problem && problem.problem) body.push(el("p", { className: "warn", textContent: problem.problem }));
    if (p.note) body.push(el("p", { className: "hint", textContent: p.note }));
    body.push(el("p", { textContent: "It is recorded in Activity with you, the admin, as the one who did it." }));
    if (!(await confirm(`Sign ${p.user} out everywhere at ${provider}?`, body, "Sign out everywhere"))) {
      signOutButton.focus();
      return;
    }
    await signOut(p);
  }

  /** @param {AdminReceipt} r */
  function receiptLine(r) {
    const li = el("li", { className: `receipt-item outcome-${r.result}` },
      el("strong", { textContent: adminReceiptHead(r) }), adminReceiptText(r, label(r.provider)));
    li.dataset.user = r.user;
    li.dataset.result = r.result;
    return li;
  }

  /** @param {AdminPerson} p */
  async function signOut(p) {
    notices.clear();
    setBusy(true);
    notices.say(`Signing ${p.user} out everywhere at ${label(p.provider)}…`);
    try {
      const receipts = await invoke("admin_sign_out", { provider: p.provider, users: [p.user] });
      receiptList.replaceChildren(...receipts.map(receiptLine));
      receipt.hidden = receipts.length === 0;
      const ended = receipts.filter((r) => r.result === "ended").length;
      notices.say(`Admin sign-out finished: ${ended} of ${receipts.length} signed out everywhere.`);
      receiptHeading.focus();
      // What the provider lists now (the sessions just ended are gone).
      if (ended) {
        try { showPerson(await invoke("admin_lookup", { provider: p.provider, user: p.user })); } catch { /* the receipt says it */ }
      }
    } catch (err) {
      notices.say("");
      notices.fail(err);
    } finally {
      setBusy(false);
    }
  }

  /** @param {AdminReceipt} r */
  function progress(r) {
    notices.say(`Signing out… ${r.user}: ${RESULT_TEXT[r.result] || r.result}`);
  }

  form.addEventListener("submit", find);
  signOutButton.addEventListener("click", confirmSignOut);
  part(root, "admin-receipt-close").addEventListener("click", () => {
    receipt.hidden = true;
    userInput.focus();
  });

  return { load, progress, focus: () => userInput.focus() };
}
