// @ts-check
// The settings view: "Start Signoff in the tray when I log in" (an autostart entry the core
// writes or removes) and About (version, licence, the licences of what Signoff bundles).

import { el, part } from "./dom.js";
import { invoke } from "./ipc.js";

/** @typedef {import("./types/AutostartView").AutostartView} AutostartView */
/** @typedef {import("./dom.js").Notices} Notices */

/**
 * Attaches to `root` (#settings-view); `load` reads the setting and About afresh.
 * @param {HTMLElement} root
 * @param {{ notices: Notices }} deps
 * @returns {{ load: () => Promise<void> }}
 */
export function mount(root, { notices }) {
  const toggle = part(root, "autostart-toggle", HTMLInputElement);
  const noTray = part(root, "autostart-no-tray");
  const version = part(root, "about-version");
  const license = part(root, "about-license");
  const assets = part(root, "about-assets");

  /** @param {AutostartView} view */
  function showAutostart(view) {
    toggle.checked = view.enabled;
    noTray.hidden = !view.no_tray;
    noTray.textContent = view.no_tray
      ? `This desktop shows no tray now (${view.no_tray}), so at login Signoff would open its window instead.`
      : "";
  }

  toggle.addEventListener("change", async () => {
    const wanted = toggle.checked;
    toggle.disabled = true;
    notices.clear();
    try {
      showAutostart(await invoke("set_autostart", { enabled: wanted }));
      notices.say(wanted
        ? "Signoff will start in the tray when you log in."
        : "Signoff will no longer start when you log in.");
    } catch (err) {
      toggle.checked = !wanted;
      notices.fail(err);
    } finally {
      toggle.disabled = false;
    }
  });

  async function load() {
    try {
      const [view, about] = await Promise.all([invoke("autostart"), invoke("about")]);
      showAutostart(view);
      version.textContent = about.version;
      license.textContent = about.license;
      assets.replaceChildren(...about.assets.map((a) =>
        el("li", null, `${a.what}: ${a.source}, ${a.license} (${a.url})`)));
    } catch (err) {
      notices.fail(err);
    }
  }

  return { load };
}
