// Mirrors a Rust type, in the format ts-rs generates (see README.md here).

/**
 * What was done.
 */
export type Action = "add_account" | "sign_out" | "retry_sign_out" | "forget" | "set_client_secret" | "bulk_revoke" | "check_tokens";
