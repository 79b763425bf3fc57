// Mirrors a Rust type, in the format ts-rs generates (see README.md here).

/**
 * Who started an action.
 */
export type Actor = "user" | "admin" | "tray" | "system";
