//! End-to-end tests: the real `signoff-app` binary in a real window (Xvfb), driven through
//! WebDriver, with the real gnome-keyring. Run them inside `scripts/headless.sh` (make test does).

mod accounts;
