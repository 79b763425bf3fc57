// Mirrors a Rust type, in the format ts-rs generates (see README.md here).
import type { AccountId } from "./AccountId";
import type { ErrorCode } from "./ErrorCode";

/**
 * An account a sign-out did not touch, and why.
 */
export type Skipped = { account: AccountId, reason: string, 
/**
 * Set when an error (keychain, database) stopped this account's sign-out.
 */
error: ErrorCode | null, };
