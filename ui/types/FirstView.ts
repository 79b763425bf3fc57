// Mirrors a Rust type, in the format ts-rs generates (see README.md here).
import type { Account } from "./Account";
import type { Providers } from "./Providers";

export type FirstView = { accounts: Array<Account>, providers: Providers, };
