// @ts-check
// The confirmation dialog: a question, what will happen, and Cancel or the action. Cancel has the
// focus, so Enter alone never confirms.

import { part } from "./dom.js";

/**
 * Asks `title` with `body` under it; resolves true when the person chose `okText`.
 * @typedef {(title: string, body: Node[], okText: string) => Promise<boolean>} Confirm
 */

/**
 * Attaches to `root` (#confirm-dialog).
 * @param {HTMLDialogElement} root
 * @returns {Confirm}
 */
export function mount(root) {
  const title = part(root, "confirm-title");
  const body = part(root, "confirm-body");
  const ok = part(root, "confirm-ok");
  const cancel = part(root, "confirm-cancel");

  return (titleText, bodyNodes, okText) => {
    title.textContent = titleText;
    body.replaceChildren(...bodyNodes);
    ok.textContent = okText;
    return new Promise((resolve) => {
      /** @param {boolean} yes */
      const done = (yes) => {
        ok.onclick = cancel.onclick = null;
        root.onclose = null;
        if (root.open) root.close();
        resolve(yes);
      };
      ok.onclick = () => done(true);
      cancel.onclick = () => done(false);
      root.onclose = () => done(false);
      root.showModal();
      cancel.focus();
    });
  };
}
