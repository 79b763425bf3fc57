// Mirrors a Rust type, in the format ts-rs generates (see README.md here).
import type { AccountId } from "./AccountId";
import type { Report } from "./Report";

/**
 * The receipt for one account.
 */
export type Receipt = { account: AccountId, provider: string, label: string, } & Report;
