// @ts-check
// The add-account dialog, in two steps. First the provider: the catalogue as a list filtered as
// the person types, picked with the arrow keys and Enter or a click. Then only the ways that
// provider supports: sign in with the browser or on another device (a code to enter on a
// phone), with a user name and password, paste tokens, or save its client secret; with what its
// sign-out ends and its own page. Typed secrets go to the core once and their fields are cleared
// at once.

import { el, part } from "./dom.js";
import { invoke } from "./ipc.js";
import { errorSentence, whatEndsText } from "./text.js";

/** @typedef {import("./types/Account").Account} Account */
/** @typedef {import("./types/ProviderView").ProviderView} ProviderView */
/** @typedef {import("./ipc.js").Tokens} Tokens */
/** @typedef {import("./ipc.js").Events["signin-url"]} SignInUrl */
/** @typedef {import("./ipc.js").Events["signin-device-code"]} DeviceCode */
/** @typedef {import("./dom.js").Notices} Notices */
/** @typedef {import("./accounts.js").AccountsView} AccountsView */

/**
 * A field's trimmed value, after emptying the field; `undefined` when it was blank.
 * @param {HTMLInputElement} input
 */
function takeSecret(input) {
  const v = input.value.trim();
  input.value = "";
  return v || undefined;
}

/**
 * A provider's icon: the file Signoff ships for it, else a badge with its label's first letter.
 * @param {ProviderView} p
 * @param {HTMLElement} [into]  the element to fill (a new span by default)
 */
function providerIcon(p, into = el("span")) {
  into.className = "provider-icon";
  into.setAttribute("aria-hidden", "true");
  if (p.icon) {
    into.replaceChildren(el("img", { src: `icons/providers/${p.icon}`, alt: "", width: 24, height: 24 }));
  } else {
    into.classList.add("letter");
    into.replaceChildren((p.label.trim()[0] || "?").toUpperCase());
  }
  return into;
}

/**
 * The short line under a provider in the list when it is not ready for everything, else "".
 * `sign_in_needs` without `incomplete` is the client id a browser sign-in needs.
 * @param {ProviderView} p
 */
function readinessLine(p) {
  if (!p.sign_out_ready) return "needs setting up to sign out";
  if (p.sign_in_needs) return "needs a client id to sign in";
  return "";
}

/**
 * What a failed sign-in says: "cancelled" when the person cancelled it, else the error.
 * @param {unknown} err
 */
function signInFailed(err) {
  const cancelled = /** @type {{ code?: unknown } | null} */ (err)?.code === "sign_in_cancelled";
  return cancelled ? "Sign-in cancelled." : errorSentence(err);
}

/**
 * Attaches to `root` (#add-dialog): `open` shows it on its first step, `showSignInUrl` shows
 * the address a browser sign-in waits at (the core's `signin-url` event), `showDeviceCode` the
 * code and address of a sign-in on another device (`signin-device-code`).
 * @param {HTMLDialogElement} root
 * @param {{ notices: Notices, accounts: AccountsView }} deps
 * @returns {{
 *   open: () => Promise<void>,
 *   showSignInUrl: (payload: SignInUrl) => void,
 *   showDeviceCode: (payload: DeviceCode) => void,
 * }}
 */
export function mount(root, { notices, accounts }) {
  /** @param {string} id */
  const input = (id) => part(root, id, HTMLInputElement);
  /** @param {string} id */
  const button = (id) => part(root, id, HTMLButtonElement);

  const pick = {
    step: part(root, "add-pick"), filter: input("provider-filter"), list: part(root, "provider-list"),
    none: part(root, "provider-none"), cancel: button("pick-cancel"),
  };
  const ways = {
    step: part(root, "add-ways"), back: button("add-back"), icon: part(root, "ways-icon"),
    title: part(root, "ways-title"), about: part(root, "ways-about"),
  };
  const signIn = {
    form: part(root, "signin-form"), label: input("signin-label"),
    wait: part(root, "signin-wait"), waitText: part(root, "signin-wait-text"),
    url: input("signin-url"), cancel: button("signin-cancel"), result: part(root, "signin-result"),
    submit: button("signin-submit"),
  };
  const device = {
    start: button("signin-device"), wait: part(root, "device-wait"), waitText: part(root, "device-wait-text"),
    uri: input("device-uri"), code: part(root, "device-code"), completeRow: part(root, "device-complete"),
    complete: input("device-uri-complete"), cancel: button("device-cancel"),
  };
  const password = {
    form: part(root, "password-form"),
    username: input("password-username"), password: input("password-password"), label: input("password-label"),
    result: part(root, "password-result"), anonymous: button("password-anonymous"), submit: button("password-submit"),
  };
  const paste = {
    form: part(root, "add-form"), title: part(root, "add-form-title"), label: input("add-label"),
    subject: input("add-subject"), refresh: input("add-refresh"), access: input("add-access"), id: input("add-id"),
    error: part(root, "add-error"), cancel: button("add-cancel"),
  };
  const secret = {
    form: part(root, "secret-form"), value: input("secret-value"), result: part(root, "secret-result"),
  };

  const state = {
    /** @type {ProviderView[]} the providers in the list, by label */ shown: [],
    /** the highlighted entry of `shown` */ active: 0,
    /** @type {ProviderView | null} the provider of step 2 */ chosen: /** @type {ProviderView | null} */ (null),
  };

  /** The provider step 2 is about (it is only shown with one). */
  function chosen() {
    if (!state.chosen) throw new Error("no provider chosen");
    return state.chosen;
  }

  // --- Step 1: the provider -----------------------------------------------------------------

  /** @param {number} i */
  function highlight(i) {
    const items = pick.list.children;
    if (!items.length) {
      pick.filter.removeAttribute("aria-activedescendant");
      return;
    }
    state.active = (i + items.length) % items.length;
    for (const [n, li] of [...items].entries()) li.setAttribute("aria-selected", String(n === state.active));
    const active = items[state.active];
    pick.filter.setAttribute("aria-activedescendant", active.id);
    active.scrollIntoView({ block: "nearest" });
  }

  function renderList() {
    const q = pick.filter.value.trim().toLowerCase();
    const byLabel = (/** @type {ProviderView} */ p) => p.label.toLowerCase();
    const all = [...accounts.providers()].sort((a, b) => (byLabel(a) < byLabel(b) ? -1 : byLabel(a) > byLabel(b) ? 1 : 0));
    state.shown = all.filter((p) => !q || p.label.toLowerCase().includes(q) || p.id.includes(q));
    pick.list.replaceChildren(...state.shown.map((p) => {
      const note = readinessLine(p);
      const li = el("li", { id: `provider-option-${p.id}`, className: "provider-option" },
        providerIcon(p),
        el("span", { className: "provider-name" },
          el("span", { className: "provider-label", textContent: p.label }),
          note ? el("span", { className: "provider-note", textContent: note }) : null));
      li.setAttribute("role", "option");
      li.dataset.provider = p.id;
      li.addEventListener("click", () => choose(p));
      return li;
    }));
    pick.none.hidden = state.shown.length > 0;
    highlight(0);
  }

  function showPick() {
    invoke("cancel_sign_in");
    state.chosen = null;
    ways.step.hidden = true;
    pick.step.hidden = false;
    pick.filter.focus();
  }

  /** @param {KeyboardEvent} e */
  function pickKey(e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      highlight(state.active + (e.key === "ArrowDown" ? 1 : -1));
    } else if (e.key === "Enter") {
      e.preventDefault();
      const p = state.shown[state.active];
      if (p) choose(p);
    } else if (e.key === "Escape") {
      e.preventDefault();
      root.close();
    }
  }

  // --- Step 2: its ways ---------------------------------------------------------------------

  /**
   * What the person should know about the provider before adding an account: what signing
   * out ends, what is not set up yet, and its own page.
   * @param {ProviderView} p
   */
  function aboutLines(p) {
    /** @type {HTMLElement[]} */
    const lines = [];
    /** @param {string} text @param {string} [className] */
    const line = (text, className = "") => lines.push(el("li", { className, textContent: text }));
    if (!p.sign_out_ready) line(`Signing out needs setting up first: ${p.incomplete}.`, "warn");
    if (p.ends) line(whatEndsText(p.ends, p.label), p.ends === "nothing" ? "warn" : "");
    else if (!p.revokes_on_server && p.sign_out_ready) line(whatEndsText("nothing", p.label), "warn");
    if (p.caveat) line(p.caveat);
    if (p.sign_in_needs && p.sign_out_ready) {
      line(`Signing in with the browser needs setting up: ${p.sign_in_needs}. Until then, paste tokens.`);
    }
    if (p.manage_url) {
      const address = el("input", { readOnly: true, value: p.manage_url, className: "manage-url" });
      address.setAttribute("aria-label", `${p.label}'s own page`);
      lines.push(el("li", { className: "manage" },
        el("span", { textContent: `${p.label}'s own page, where you see its sessions and the apps you allowed (copy it into a browser):` }),
        address));
    }
    return lines;
  }

  /** @param {ProviderView} p */
  function choose(p) {
    state.chosen = p;
    providerIcon(p, ways.icon);
    ways.title.textContent = p.label;
    ways.about.replaceChildren(...aboutLines(p));
    ways.about.hidden = ways.about.children.length === 0;
    signIn.form.hidden = p.sign_in !== "browser";
    device.start.hidden = !p.device_sign_in;
    signIn.result.textContent = "";
    signIn.wait.hidden = device.wait.hidden = true;
    password.form.hidden = p.sign_in !== "password";
    password.anonymous.hidden = !p.anonymous;
    password.result.textContent = "";
    paste.title.textContent = p.sign_in === "paste" ? "Paste tokens" : "Or paste tokens";
    paste.error.hidden = true;
    secret.form.hidden = !p.needs_client_secret;
    secret.result.textContent = "";
    pick.step.hidden = true;
    ways.step.hidden = false;
    root.scrollTop = 0;
    const first = p.sign_in === "browser" ? signIn.submit : p.sign_in === "password" ? password.username : paste.label;
    first.focus();
  }

  async function open() {
    await accounts.refresh();
    pick.filter.value = "";
    renderList();
    state.chosen = null;
    ways.step.hidden = true;
    pick.step.hidden = false;
    root.showModal();
    pick.filter.focus();
  }

  // An account came in: close the dialog, say so, show the new list.
  /** @param {string} message */
  async function accountAdded(message) {
    root.close();
    notices.say(message);
    await accounts.refresh();
  }

  /** @param {SubmitEvent} ev */
  async function submitPaste(ev) {
    ev.preventDefault();
    /** @type {Tokens} */
    const tokens = {};
    const r = takeSecret(paste.refresh), a = takeSecret(paste.access), i = takeSecret(paste.id);
    if (r) tokens.refresh_token = r;
    if (a) tokens.access_token = a;
    if (i) tokens.id_token = i;
    try {
      const account = await invoke("add_account", {
        provider: chosen().id,
        label: paste.label.value,
        subject: paste.subject.value.trim() || null,
        tokens,
      });
      paste.label.value = paste.subject.value = "";
      await accountAdded(`Added ${account.label}.`);
    } catch (err) {
      paste.error.textContent = errorSentence(err);
      paste.error.hidden = false;
    }
  }

  /**
   * Runs an OpenID Connect sign-in (`command`) for the provider chosen and the label typed,
   * with `wait` shown and both sign-in buttons disabled meanwhile.
   * @param {"sign_in" | "sign_in_device"} command
   * @param {HTMLElement} wait
   */
  async function openIdSignIn(command, wait) {
    signIn.result.textContent = "";
    wait.hidden = false;
    signIn.submit.disabled = device.start.disabled = true;
    try {
      const account = await invoke(command, {
        provider: chosen().id,
        label: signIn.label.value.trim() || null,
      });
      signIn.label.value = "";
      await accountAdded(`Signed in as ${account.label}.`);
    } catch (err) {
      signIn.result.textContent = signInFailed(err);
    } finally {
      wait.hidden = true;
      signIn.submit.disabled = device.start.disabled = false;
    }
  }

  /** @param {SubmitEvent} ev */
  function submitSignIn(ev) {
    ev.preventDefault();
    signIn.url.value = "";
    signIn.waitText.textContent = "Opening your browser…";
    return openIdSignIn("sign_in", signIn.wait);
  }

  // "Sign in on another device" is offered for providers that sign in with OpenID Connect;
  // whether the provider has the device flow is found out when it starts.
  function deviceSignIn() {
    device.uri.value = device.complete.value = "";
    device.code.textContent = "";
    device.completeRow.hidden = true;
    device.waitText.textContent = "Asking the provider for a code…";
    return openIdSignIn("sign_in_device", device.wait);
  }

  /** @param {DeviceCode} payload */
  function showDeviceCode(payload) {
    device.uri.value = payload.verification_uri;
    device.code.textContent = payload.user_code;
    device.complete.value = payload.verification_uri_complete || "";
    device.completeRow.hidden = !payload.verification_uri_complete;
    const minutes = Math.max(1, Math.round(payload.expires_in / 60));
    device.waitText.textContent = `On your phone or another computer, open this address and enter the code. It expires in ${minutes} min.`;
  }

  /** @param {SignInUrl} payload */
  function showSignInUrl(payload) {
    signIn.url.value = payload.url;
    signIn.waitText.textContent = payload.opened
      ? "Continue in your browser. If nothing opened, copy this address into one:"
      : "Signoff could not open a browser here. Copy this address into one to sign in:";
  }

  /**
   * Signs in with a user name and password, or as a new anonymous user: `call` runs the command
   * for the provider chosen and the label typed.
   * @param {(chosen: { provider: string, label: string | null }) => Promise<Account>} call
   */
  async function passwordSignIn(call) {
    password.result.textContent = "Signing in…";
    password.submit.disabled = password.anonymous.disabled = true;
    try {
      const account = await call({
        provider: chosen().id,
        label: password.label.value.trim() || null,
      });
      password.label.value = password.username.value = "";
      await accountAdded(`Signed in as ${account.label}.`);
    } catch (err) {
      password.result.textContent = errorSentence(err);
    } finally {
      password.submit.disabled = password.anonymous.disabled = false;
    }
  }

  /** @param {SubmitEvent} ev */
  function submitPassword(ev) {
    ev.preventDefault();
    const username = password.username.value.trim();
    const secretText = password.password.value;
    password.password.value = "";
    if (!username || !secretText) {
      password.result.textContent = "Enter the user name and the password.";
      return;
    }
    return passwordSignIn((chosen) => invoke("sign_in_password", { ...chosen, username, password: secretText }));
  }

  /** @param {SubmitEvent} ev */
  async function submitSecret(ev) {
    ev.preventDefault();
    const provider = chosen();
    const value = takeSecret(secret.value) || "";
    try {
      await invoke("set_client_secret", { provider: provider.id, secret: value });
      secret.result.textContent = `Saved the client secret for ${provider.label} in your keychain.`;
    } catch (err) {
      secret.result.textContent = errorSentence(err);
    }
  }

  pick.filter.addEventListener("input", renderList);
  pick.filter.addEventListener("keydown", pickKey);
  pick.cancel.addEventListener("click", () => root.close());
  ways.back.addEventListener("click", showPick);
  paste.cancel.addEventListener("click", () => root.close());
  paste.form.addEventListener("submit", submitPaste);
  secret.form.addEventListener("submit", submitSecret);
  signIn.form.addEventListener("submit", submitSignIn);
  password.form.addEventListener("submit", submitPassword);
  password.anonymous.addEventListener("click", () => {
    const username = password.username.value.trim() || null;
    passwordSignIn((chosen) => invoke("sign_in_anonymous", { ...chosen, username }));
  });
  signIn.cancel.addEventListener("click", () => invoke("cancel_sign_in"));
  device.start.addEventListener("click", deviceSignIn);
  device.cancel.addEventListener("click", () => invoke("cancel_sign_in"));
  root.addEventListener("close", () => invoke("cancel_sign_in"));

  return { open, showSignInUrl, showDeviceCode };
}
