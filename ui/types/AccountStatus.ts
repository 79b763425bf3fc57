// Mirrors a Rust type, in the format ts-rs generates (see README.md here).

/**
 * Where an account stands, as a person sees it.
 */
export type AccountStatus = "adding" | "signed_in" | "signing_out" | "pending" | "needs_attention" | "signed_out";
