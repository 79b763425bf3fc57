// @ts-check
// The add-account dialog: sign in with the browser or on another device (a code to enter on a
// phone), sign in with a user name and password, paste tokens, or save a provider's client
// secret. Typed secrets go to the core once and their fields
// are cleared at once.

import { el, part } from "./dom.js";
import { invoke } from "./ipc.js";
import { errorSentence } from "./text.js";

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
 * Fills `select` with one option a provider.
 * @param {HTMLSelectElement} select
 * @param {ProviderView[]} providers
 * @param {(p: ProviderView) => string} [text]  an option's text (the provider's label by default)
 */
function fillProviders(select, providers, text = (p) => p.label) {
  select.replaceChildren(...providers.map((p) => el("option", { value: p.id, textContent: text(p) })));
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
 * Attaches to `root` (#add-dialog): `open` shows it, `showSignInUrl` shows the address a browser
 * sign-in waits at (the core's `signin-url` event), `showDeviceCode` the code and address of a
 * sign-in on another device (`signin-device-code`).
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
  const select = (id) => part(root, id, HTMLSelectElement);
  /** @param {string} id */
  const button = (id) => part(root, id, HTMLButtonElement);

  const signIn = {
    form: part(root, "signin-form"), provider: select("signin-provider"), label: input("signin-label"),
    hint: part(root, "signin-hint"), wait: part(root, "signin-wait"), waitText: part(root, "signin-wait-text"),
    url: input("signin-url"), cancel: button("signin-cancel"), result: part(root, "signin-result"),
    submit: button("signin-submit"),
  };
  const device = {
    start: button("signin-device"), wait: part(root, "device-wait"), waitText: part(root, "device-wait-text"),
    uri: input("device-uri"), code: part(root, "device-code"), completeRow: part(root, "device-complete"),
    complete: input("device-uri-complete"), cancel: button("device-cancel"),
  };
  const password = {
    form: part(root, "password-form"), provider: select("password-provider"),
    username: input("password-username"), password: input("password-password"), label: input("password-label"),
    result: part(root, "password-result"), anonymous: button("password-anonymous"), submit: button("password-submit"),
  };
  const paste = {
    form: part(root, "add-form"), provider: select("add-provider"), label: input("add-label"),
    subject: input("add-subject"), refresh: input("add-refresh"), access: input("add-access"), id: input("add-id"),
    error: part(root, "add-error"), cancel: button("add-cancel"),
  };
  const secret = {
    form: part(root, "secret-form"), provider: select("secret-provider"), value: input("secret-value"),
    result: part(root, "secret-result"),
  };

  /** @param {ProviderView} p */
  const withSetUp = (p) => (p.incomplete ? `${p.label} (not set up: ${p.incomplete})` : p.label);

  async function open() {
    await accounts.refresh();
    const providers = accounts.providers();
    fillProviders(paste.provider, providers, withSetUp);
    fillProviders(secret.provider, providers, withSetUp);
    const byBrowser = providers.filter((p) => p.can_sign_in);
    fillProviders(signIn.provider, byBrowser);
    signIn.submit.disabled = byBrowser.length === 0;
    if (!byBrowser.length) signIn.hint.textContent = "No provider set up here supports signing in with the browser; paste tokens below.";
    signIn.result.textContent = "";
    signIn.wait.hidden = true;
    device.wait.hidden = true;
    updateDeviceButton();
    const byPassword = providers.filter((p) => p.sign_in === "password");
    password.form.hidden = byPassword.length === 0;
    fillProviders(password.provider, byPassword);
    updateAnonymousButton();
    password.result.textContent = "";
    paste.error.hidden = true;
    secret.result.textContent = "";
    root.showModal();
    paste.provider.focus();
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
        provider: paste.provider.value,
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
   * Runs an OpenID Connect sign-in (`command`) for the provider and label chosen, with `wait`
   * shown and both sign-in buttons disabled meanwhile.
   * @param {"sign_in" | "sign_in_device"} command
   * @param {HTMLElement} wait
   */
  async function openIdSignIn(command, wait) {
    signIn.result.textContent = "";
    wait.hidden = false;
    signIn.submit.disabled = device.start.disabled = true;
    try {
      const account = await invoke(command, {
        provider: signIn.provider.value,
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
  function updateDeviceButton() {
    const p = accounts.provider(signIn.provider.value);
    device.start.hidden = !(p && p.device_sign_in);
  }

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

  function updateAnonymousButton() {
    const p = accounts.provider(password.provider.value);
    password.anonymous.hidden = !(p && p.anonymous);
  }

  /**
   * Signs in with a user name and password, or as a new anonymous user: `call` runs the command
   * for the provider and label chosen.
   * @param {(chosen: { provider: string, label: string | null }) => Promise<Account>} call
   */
  async function passwordSignIn(call) {
    password.result.textContent = "Signing in…";
    password.submit.disabled = password.anonymous.disabled = true;
    try {
      const account = await call({
        provider: password.provider.value,
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
    const provider = secret.provider.value;
    const value = takeSecret(secret.value) || "";
    try {
      await invoke("set_client_secret", { provider, secret: value });
      secret.result.textContent = `Saved the client secret for ${accounts.providerLabel(provider)} in your keychain.`;
    } catch (err) {
      secret.result.textContent = errorSentence(err);
    }
  }

  paste.cancel.addEventListener("click", () => root.close());
  paste.form.addEventListener("submit", submitPaste);
  secret.form.addEventListener("submit", submitSecret);
  signIn.form.addEventListener("submit", submitSignIn);
  password.form.addEventListener("submit", submitPassword);
  password.provider.addEventListener("change", updateAnonymousButton);
  password.anonymous.addEventListener("click", () => {
    const username = password.username.value.trim() || null;
    passwordSignIn((chosen) => invoke("sign_in_anonymous", { ...chosen, username }));
  });
  signIn.cancel.addEventListener("click", () => invoke("cancel_sign_in"));
  signIn.provider.addEventListener("change", updateDeviceButton);
  device.start.addEventListener("click", deviceSignIn);
  device.cancel.addEventListener("click", () => invoke("cancel_sign_in"));
  root.addEventListener("close", () => invoke("cancel_sign_in"));

  return { open, showSignInUrl, showDeviceCode };
}
