// Mirrors a Rust type, in the format ts-rs generates (see README.md here).
import type { ProfileProblem } from "./ProfileProblem";
import type { ProviderView } from "./ProviderView";

/**
 * Provider profiles, for the add-account form and the sign-out confirmation.
 */
export type Providers = { profiles: Array<ProviderView>, problems: Array<ProfileProblem>, };
