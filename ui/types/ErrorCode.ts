// Mirrors a Rust type, in the format ts-rs generates (see README.md here).

/**
 * Stable, machine-readable error codes. Their `snake_case` names are part of Signoff's interface:
 * the CLI prints them in `--json` output and the app turns them into sentences.
 */
export type ErrorCode = "keychain_unavailable" | "keychain_locked" | "keychain_error" | "store_error" | "invalid_input" | "not_found" | "io" | "sign_in_failed" | "token_rejected" | "check_unavailable";
