//! The `signoff-app` binary: all of it is [`signoff_app::run`].

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    signoff_app::run()
}
