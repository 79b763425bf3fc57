// @ts-check
// The activity view: the audit log, newest first, filtered by account and outcome.

import { el, part } from "./dom.js";
import { invoke } from "./ipc.js";
import { actionText, fmtTime, outcomeText } from "./text.js";

/** @typedef {import("./types/AuditEntry").AuditEntry} AuditEntry */
/** @typedef {import("./dom.js").Notices} Notices */

/**
 * Attaches to `root` (#activity-view); `load` (re)reads the log and shows it.
 * @param {HTMLElement} root
 * @param {{ notices: Notices, providerLabel: (id: string) => string }} deps
 * @returns {{ load: () => Promise<void> }}
 */
export function mount(root, { notices, providerLabel }) {
  const accountFilter = part(root, "filter-account", HTMLSelectElement);
  const outcomeFilter = part(root, "filter-outcome", HTMLSelectElement);
  const rowsBox = part(root, "activity-rows");
  const empty = part(root, "activity-empty");
  /** @type {AuditEntry[]} */
  let audit = [];

  function render() {
    const account = accountFilter.value, outcome = outcomeFilter.value;
    const rows = audit.filter((e) => (!account || e.account === account) && (!outcome || e.outcome === outcome));
    const frag = document.createDocumentFragment();
    for (const e of rows) {
      const tr = el("tr", { className: `activity outcome-${e.outcome || "none"}` });
      const details = [e.error_code, e.error_description, e.detail].filter(Boolean).join(" · ");
      tr.append(
        el("td", { textContent: fmtTime(e.at) }), el("td", { textContent: e.actor }),
        el("td", { textContent: actionText(e.action) }), el("td", { textContent: e.label || "" }),
        el("td", { textContent: e.provider ? providerLabel(e.provider) : "" }),
        el("td", { className: "outcome", textContent: e.outcome ? outcomeText(e.outcome) : "" }),
        el("td", { textContent: details }),
      );
      frag.append(tr);
    }
    rowsBox.replaceChildren(frag);
    empty.hidden = rows.length !== 0;
  }

  async function load() {
    try {
      audit = await invoke("activity");
      /** @type {Map<string, string>} */
      const seen = new Map();
      for (const e of audit) if (e.account && !seen.has(e.account)) seen.set(e.account, e.label || e.account);
      const current = accountFilter.value;
      accountFilter.replaceChildren(el("option", { value: "", textContent: "All accounts" }),
        ...[...seen].map(([id, label]) => el("option", { value: id, textContent: label })));
      accountFilter.value = current;
      render();
    } catch (err) {
      notices.fail(err);
    }
  }

  accountFilter.addEventListener("change", render);
  outcomeFilter.addEventListener("change", render);
  return { load };
}
