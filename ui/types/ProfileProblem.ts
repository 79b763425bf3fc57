// Mirrors a Rust type, in the format ts-rs generates (see README.md here).

/**
 * A profile that was rejected, with where and why.
 */
export type ProfileProblem = { file: string, line: number, reason: string, };
