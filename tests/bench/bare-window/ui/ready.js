// The bare window's one job: once the frame showing its line has been drawn (the second
// animation frame, the same "painted" rule as Signoff's window), say so.
// A file of its own, not an inline script: the CSP (the app's) allows scripts from 'self' only.
window.addEventListener("DOMContentLoaded", () => {
  requestAnimationFrame(() => requestAnimationFrame(() => window.__TAURI__.core.invoke("ready")));
});
