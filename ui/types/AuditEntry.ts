// Mirrors a Rust type, in the format ts-rs generates (see README.md here).
import type { Action } from "./Action";
import type { Actor } from "./Actor";
import type { Outcome } from "./Outcome";

/**
 * One line of the audit log.
 */
export type AuditEntry = { 
/**
 * Assigned by the store (ascending).
 */
seq: number, at: string, actor: Actor, action: Action, account: string | null, provider: string | null, label: string | null, outcome: Outcome | null, http_status: number | null, error_code: string | null, error_description: string | null, attempts: number | null, verified: boolean | null, 
/**
 * A short free-text detail (counts for bulk revokes, notes).
 */
detail: string | null, };
