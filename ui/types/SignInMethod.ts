// Mirrors a Rust type, in the format ts-rs generates (see README.md here).

/**
 * How an account of a provider is added.
 */
export type SignInMethod = "browser" | "password" | "paste";
