// Mirrors a Rust type, in the format ts-rs generates (see README.md here).
import type { Receipt } from "./Receipt";
import type { Skipped } from "./Skipped";

/**
 * Everything a sign-out run did.
 */
export type SignOutSummary = { results: Array<Receipt>, skipped: Array<Skipped>, };
