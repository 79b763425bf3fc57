// @ts-check
// The page's words: statuses, outcomes, actions and errors as sentences, and dates as the person's
// locale writes them. No DOM here.

/** @typedef {import("./types/Account").Account} Account */
/** @typedef {import("./types/AccountStatus").AccountStatus} AccountStatus */
/** @typedef {import("./types/Action").Action} Action */
/** @typedef {import("./types/ErrorCode").ErrorCode} ErrorCode */
/** @typedef {import("./types/ErrorReport").ErrorReport} ErrorReport */
/** @typedef {import("./types/Outcome").Outcome} Outcome */
/** @typedef {import("./types/Reason").Reason} Reason */
/** @typedef {import("./types/Receipt").Receipt} Receipt */
/** @typedef {import("./types/WhatEnds").WhatEnds} WhatEnds */

/** @type {Partial<Record<AccountStatus, string>>} */
const STATUS_TEXT = {
  signed_in: "Signed in",
  signing_out: "Signing out…",
  pending: "Revocation pending",
  needs_attention: "Needs attention",
};

/** @type {Record<Outcome, string>} */
const OUTCOME_TEXT = {
  revoked: "Signed out",
  already_revoked: "Signed out (was already ended)",
  local_only: "Signed out on this computer only",
  pending: "Revocation pending",
  failed: "Needs attention",
};

/** @type {Record<ErrorCode, string>} */
const ERROR_TEXT = {
  keychain_unavailable: "Signoff cannot reach your keychain. Start your desktop's keyring (for example GNOME Keyring) and try again.",
  keychain_locked: "Your keychain is locked. Unlock it and try again.",
  keychain_error: "Your keychain refused the operation.",
  store_error: "Signoff's account database could not be read or written.",
  invalid_input: "Some of what you entered is not valid.",
  not_found: "That account or provider no longer exists.",
  io: "Signoff could not read or write one of its files.",
  sign_in_failed: "Signing in did not work.",
  sign_in_cancelled: "The sign-in was cancelled.",
  sign_in_timed_out: "The sign-in was not finished in time (the browser did not come back, or the code was not entered), so it stopped. Try again.",
  sign_in_denied: "The sign-in was refused at the provider, so no account was added.",
  token_rejected: "The provider does not accept this token, so it was not added.",
  check_unavailable: "The provider could not be asked whether this token is valid; nothing was added. Try again later.",
  busy: "Another Signoff window or command is working on that account right now. Try again in a moment.",
  unsafe_permissions: "Signoff's data folder or one of its files belongs to another user or can be changed by others, so Signoff will not use it.",
  tool_store_unreadable: "Another tool's file could not be read, so its copy of the session was left as it was.",
  tool_store_unsupported: "Another tool's file is written in a way Signoff cannot edit safely, so it was left as it was.",
  tool_store_changed: "Another tool kept changing its file while Signoff was editing it, so it was left as it was. Try again.",
  tool_store_unwritable: "Another tool's file could not be written, so its copy of the session was left as it was.",
  tool_helper_failed: "Another tool's credential helper did not remove its copy of the session.",
};

/**
 * What a provider's sign-out ends, said of `{p}` (its label).
 * @type {Record<WhatEnds, string>}
 */
const WHAT_ENDS_TEXT = {
  token: "Signing out ends the token Signoff holds for this account at {p}.",
  grant: "Signing out ends this app's access at {p}: every token of that sign-in.",
  all_sessions: "Signing out ends every session of yours at {p}, on every device.",
  consent: "Signing out removes this app's access at {p}; you would be asked to allow it again.",
  nothing: "{p} has no way to end a session from here: signing out deletes the tokens on this computer only.",
};

/** @type {Partial<Record<Action, string>>} */
const ACTION_TEXT = {
  add_account: "Added account", sign_out: "Signed out", retry_sign_out: "Retried sign-out",
  forget: "Forgot locally", set_client_secret: "Saved client secret", bulk_revoke: "Bulk revoke",
  set_admin_secret: "Saved admin credential", admin_sign_out: "Admin sign-out",
};

/**
 * The words for `key` in `words`, or `key` itself when there are none (a value newer than the
 * page).
 * @param {Partial<Record<string, string>>} words
 * @param {string} key
 */
function wordsFor(words, key) {
  return (Object.hasOwn(words, key) && words[key]) || key;
}

/** @param {Outcome} outcome */
export function outcomeText(outcome) {
  return wordsFor(OUTCOME_TEXT, outcome);
}

/**
 * What signing out of `provider` ends, in words.
 * @param {WhatEnds} ends
 * @param {string} provider  the provider's label
 */
export function whatEndsText(ends, provider) {
  return wordsFor(WHAT_ENDS_TEXT, ends).replace("{p}", provider);
}

/** @param {Action} action */
export function actionText(action) {
  return wordsFor(ACTION_TEXT, action);
}

/**
 * The sentence for an error the core sent (an `ErrorReport`), with the core's message for detail.
 * @param {unknown} err
 */
export function errorSentence(err) {
  const report = /** @type {Partial<ErrorReport> | null | undefined} */ (err);
  const code = report && report.code;
  const base = (code && Object.hasOwn(ERROR_TEXT, code) && ERROR_TEXT[code]) || "Something went wrong.";
  // The core's message is plain text without secrets; show it for detail.
  return report && report.message ? `${base} (${report.message})` : base;
}

/**
 * What a reason says: its description, else its code (the provider's, or Signoff's kind).
 * @param {Reason} error
 */
export function problemText(error) {
  return error.description || error.code;
}

// One formatter for every date: a new one per call (toLocaleString) costs time and ICU memory
// for each of a thousand rows. Made on first use: making it loads ICU, which a window with no
// dates to show never needs.
/** @type {Intl.DateTimeFormat | undefined} */
let timeFormat;

/**
 * An RFC 3339 time in the person's locale ("" for none; as it came if it does not parse).
 * @param {string | null | undefined} rfc3339
 */
export function fmtTime(rfc3339) {
  if (!rfc3339) return "";
  const d = new Date(rfc3339);
  if (isNaN(d.getTime())) return rfc3339;
  timeFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  return timeFormat.format(d);
}

/**
 * An account's status cell.
 * @param {Account} a
 */
export function statusText(a) {
  let text = wordsFor(STATUS_TEXT, a.status);
  if (a.status === "pending" && a.next_attempt_at) text += ` · next try ${fmtTime(a.next_attempt_at)}`;
  if (a.status === "needs_attention" && a.last_error) {
    text += `: ${problemText(a.last_error)}`;
  }
  return text;
}

/**
 * `n accounts`, or `1 account`.
 * @param {number} n
 */
export function accountsText(n) {
  return n === 1 ? "1 account" : `${n} accounts`;
}

/**
 * A receipt line's bold start: the account and its outcome.
 * @param {Receipt} r
 */
export function receiptHead(r) {
  return `${r.label}: ${outcomeText(r.outcome)}. `;
}

/**
 * What a receipt says after its head.
 * @param {Receipt} r
 * @param {string} provider  the provider's label
 * @param {string | null | undefined} nextAttemptAt  when the account's next try is due
 */
export function receiptText(r, provider, nextAttemptAt) {
  let text;
  switch (r.outcome) {
    case "revoked": text = `${provider} confirmed the session is ended.`; break;
    case "already_revoked": text = `The session had already ended at ${provider}.`; break;
    case "local_only": text = `${provider} cannot end sessions remotely; the session may stay valid until it expires.`; break;
    case "pending": {
      const next = nextAttemptAt ? ` Next try: ${fmtTime(nextAttemptAt)}.` : "";
      text = r.asked_to_wait
        ? `Signed out here. ${provider} asked Signoff to wait; it keeps the token and retries.${next}`
        : `Signed out here. ${provider} could not be reached yet; Signoff keeps the token and retries.${next}`;
      break;
    }
    default: text = `${provider} refused.`;
  }
  if (r.error && r.outcome !== "pending") text += ` ${problemText(r.error)}`;
  if (r.error && r.outcome === "pending") text += ` (${problemText(r.error)})`;
  if (r.note && r.outcome !== "local_only") text += ` ${r.note}`;
  const removed = (r.removed || []).filter((x) => x.was_there);
  if (removed.length) {
    const backups = removed.filter((x) => x.backup).length;
    text += ` Removed from ${removed.length === 1 ? "1 place" : `${removed.length} places`} on this computer`
      + (backups ? ` (the previous files are kept, without the token, in Signoff's backups folder).` : ".");
  }
  return text;
}
