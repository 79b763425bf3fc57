// Mirrors a Rust type, in the format ts-rs generates (see README.md here).
import type { SignInMethod } from "./SignInMethod";

export type ProviderView = { id: string, label: string, 
/**
 * False when signing out can only delete the local copy.
 */
revokes_on_server: boolean, 
/**
 * True when "Sign in with the browser" works for this provider (OpenID Connect).
 */
can_sign_in: boolean, 
/**
 * How accounts are added: `browser`, `password` or `paste`.
 */
sign_in: SignInMethod, 
/**
 * True when a new anonymous user can be signed in (MeshyDB).
 */
anonymous: boolean, incomplete: string | null, };
