// Mirrors a Rust type, in the format ts-rs generates (see README.md here).
export type AccountId = string;
