// Mirrors a Rust type, in the format ts-rs generates (see README.md here).

/**
 * What happened to one account's sign-out. Exactly one per account.
 */
export type Outcome = "revoked" | "already_revoked" | "local_only" | "pending" | "failed";
