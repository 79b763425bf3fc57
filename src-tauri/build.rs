//! Builds the Tauri context; restricts the page to Signoff's own commands.

fn main() {
    let commands: &[&str] = &[
        "list_accounts",
        "list_providers",
        "sign_out",
        "sign_out_preview",
        "sign_out_all",
        "forget",
        "add_account",
        "set_client_secret",
        "activity",
        "sign_in",
        "sign_in_device",
        "cancel_sign_in",
        "sign_in_password",
        "sign_in_anonymous",
        "ui_ready",
        "list_orphans",
        "forget_orphans",
        "scan_computer",
        "scanned_before",
        "admin_providers",
        "admin_lookup",
        "admin_sign_out_preview",
        "admin_sign_out",
        "autostart",
        "set_autostart",
        "about",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri build script");
}
