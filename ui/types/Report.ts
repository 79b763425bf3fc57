// Mirrors a Rust type, in the format ts-rs generates (see README.md here).
import type { Outcome } from "./Outcome";
import type { ProviderError } from "./ProviderError";

/**
 * What the provider said about one set of tokens, in our vocabulary.
 */
export type Report = { outcome: Outcome, 
/**
 * The last HTTP status seen, if any call got an answer.
 */
http_status: number | null, 
/**
 * The provider's error (or ours, e.g. `network`), never containing a token.
 */
error: ProviderError | null, 
/**
 * HTTP attempts made.
 */
attempts: number, 
/**
 * After `--verify`: whether introspection now says every revoked token is inactive.
 */
verified: boolean | null, 
/**
 * For `pending`: how long the provider asked us to wait, if it said.
 */
retry_after_secs: number | null, 
/**
 * A plain sentence for `local_only` and other outcomes that need one.
 */
note: string | null, };
