// Mirrors a Rust type, in the format ts-rs generates (see README.md here).

/**
 * The provider's own error, as it said it (tokens scrubbed), or ours when the call failed.
 */
export type ProviderError = { code: string, description?: string, };
