// @ts-check
// Found on this computer: the "Find sessions on this computer" button, the offer shown until
// the first scan, and the line naming the stores a scan could not read. The sessions found
// become accounts; the list follows the core's change stream like any other change.

import { part } from "./dom.js";
import { invoke } from "./ipc.js";

/** @typedef {import("./types/ScanSummary").ScanSummary} ScanSummary */
/** @typedef {import("./dom.js").Notices} Notices */

/**
 * What a scan found, in a sentence.
 * @param {ScanSummary} s
 */
export function scanText(s) {
  const n = s.found.length;
  if (n === 0) return "No sessions of other tools were found on this computer.";
  const tools = [...new Set(s.found.map((f) => f.tool_label))].join(", ");
  const live = s.found.filter((f) => f.revocable).length;
  const local = n - live;
  const what = n === 1 ? "1 session" : `${n} sessions`;
  const tail = local === 0 ? "" : `; ${local} can only be removed from this computer (their provider has no way to end them remotely)`;
  return `Found ${what} on this computer (${tools})${tail}.`;
}

/**
 * Attaches to the scan button, the offer (#found-offer) and the problems line.
 * @param {{ button: HTMLButtonElement, offer: HTMLElement, problems: HTMLElement }} roots
 * @param {{ notices: Notices, refresh: () => Promise<void> }} deps
 */
export function mount({ button, offer, problems }, { notices, refresh }) {
  const offerButton = part(offer, "found-offer-scan", HTMLButtonElement);

  async function scan() {
    button.disabled = true;
    offerButton.disabled = true;
    notices.clear();
    notices.say("Looking for sessions other tools keep on this computer…");
    try {
      const summary = await invoke("scan_computer");
      offer.hidden = true;
      notices.say(scanText(summary));
      problems.hidden = summary.problems.length === 0;
      problems.textContent = summary.problems.length
        ? `Not read, left as they are: ${summary.problems.map((p) => `${p.store} (${p.reason})`).join("; ")}.`
        : "";
      await refresh();
    } catch (err) {
      notices.fail(err);
    } finally {
      button.disabled = false;
      offerButton.disabled = false;
    }
  }

  button.addEventListener("click", scan);
  offerButton.addEventListener("click", scan);
  // Offered on first launch: until this computer has been scanned once.
  invoke("scanned_before").then((before) => { offer.hidden = before; }).catch(() => {});
  return { scan };
}
