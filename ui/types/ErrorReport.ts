// Mirrors a Rust type, in the format ts-rs generates (see README.md here).
import type { ErrorCode } from "./ErrorCode";

/**
 * A serialisable view of an error for IPC and `--json` output: code plus human message.
 */
export type ErrorReport = { code: ErrorCode, message: string, };
