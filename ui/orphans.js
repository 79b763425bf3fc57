// @ts-check
// The line under the account count about keychain entries of Signoff's that no account knows
// (left by an interrupted add): how many, why Signoff cannot sign them out, and a way to forget
// them on this computer after a confirmation. Hidden when there are none.

import { el, part } from "./dom.js";
import { invoke } from "./ipc.js";

/** @typedef {import("./types/Orphan").Orphan} Orphan */
/** @typedef {import("./dom.js").Notices} Notices */
/** @typedef {import("./confirm-dialog.js").Confirm} Confirm */

/**
 * Attaches to `root` (#orphans).
 * @param {HTMLElement} root
 * @param {{ notices: Notices, confirm: Confirm }} deps
 * @returns {{ load: () => Promise<void> }}
 */
export function mount(root, { notices, confirm }) {
  const text = part(root, "orphans-text");
  const forgetButton = part(root, "orphans-forget", HTMLButtonElement);
  /** @type {Orphan[]} */
  let orphans = [];

  async function load() {
    try {
      orphans = await invoke("list_orphans");
    } catch {
      // A keychain that cannot be read now is said where it matters (sign-out); this line
      // just stays as it was.
      return;
    }
    const n = orphans.length;
    root.hidden = n === 0;
    forgetButton.textContent = n === 1 ? "Forget it…" : "Forget them…";
    text.textContent = n === 1
      ? "1 keychain entry of Signoff's belongs to no account (an add was interrupted). Signoff cannot sign it out: it does not know its provider."
      : `${n} keychain entries of Signoff's belong to no account (adds were interrupted). Signoff cannot sign them out: it does not know their providers.`;
  }

  forgetButton.addEventListener("click", async () => {
    const n = orphans.length;
    if (!n) return;
    const body = [
      el("p", { textContent: `These entries will be deleted from this computer's keychain: ${orphans.map((o) => o.label).join(", ")}.` }),
      el("p", { className: "warn", textContent: "Nothing is revoked: a session they belong to may stay valid at its provider until it expires." }),
    ];
    const what = n === 1 ? "entry" : `${n} entries`;
    if (!(await confirm(`Forget the orphaned keychain ${what}?`, body, "Forget locally"))) return;
    try {
      const gone = await invoke("forget_orphans", { ids: orphans.map((o) => o.id) });
      notices.say(`Forgot ${gone.length} orphaned keychain entr${gone.length === 1 ? "y" : "ies"} on this computer.`);
    } catch (err) {
      notices.fail(err);
    }
    await load();
  });

  return { load };
}
