// Mirrors a Rust type, in the format ts-rs generates (see README.md here).
import type { AccountId } from "./AccountId";
import type { AccountStatus } from "./AccountStatus";
import type { ProviderError } from "./ProviderError";

/**
 * An account as listed to people: who, where, since when, and a plain status.
 */
export type Account = { id: AccountId, provider_id: string, label: string, subject: string | null, created_at: string, status: AccountStatus, 
/**
 * For `pending`: when the next revocation attempt is due.
 */
next_attempt_at: string | null, 
/**
 * For `pending` and `needs_attention`: the provider's last error (never a token).
 */
last_error: ProviderError | null, 
/**
 * When the access token expires, where known.
 */
access_expires_at: string | null, };
