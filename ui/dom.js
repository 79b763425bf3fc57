// @ts-check
// Small DOM helpers every view uses: finding a view's parts, making elements, waiting for paint.

/**
 * The status line and the error line above the views.
 * @typedef {object} Notices
 * @property {(text: string) => void} say  Puts `text` in the status line.
 * @property {(err: unknown) => void} fail  Shows the sentence for an error from the core.
 * @property {() => void} clear  Hides the error line.
 */

/**
 * The element with id `id` inside `root`, checked to be a `kind` (an `HTMLElement` by default).
 * @template {typeof HTMLElement} K
 * @param {ParentNode} root
 * @param {string} id
 * @param {K} [kind]
 * @returns {InstanceType<K>}
 */
export function part(root, id, kind) {
  const node = root.querySelector(`#${id}`);
  const want = kind || HTMLElement;
  if (!(node instanceof want)) throw new Error(`the page has no ${want.name} #${id}`);
  return /** @type {InstanceType<K>} */ (node);
}

/**
 * A new element with properties and children.
 * @template {keyof HTMLElementTagNameMap} T
 * @param {T} tag
 * @param {Partial<HTMLElementTagNameMap[T]> | null} [props]
 * @param {...(Node | string | null | undefined)} children
 * @returns {HTMLElementTagNameMap[T]}
 */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const c of children) if (c != null) node.append(c);
  return node;
}

/**
 * Runs `fn` at the start of the second animation frame from now, i.e. once the frame that shows
 * what is in the page now has been drawn.
 * @param {() => void} fn
 */
export function afterPaint(fn) {
  requestAnimationFrame(() => requestAnimationFrame(fn));
}
