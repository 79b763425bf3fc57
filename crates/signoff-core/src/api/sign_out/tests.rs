//! When a pending revocation is tried again.

use super::*;

#[test]
fn next_attempt_never_overflows_the_calendar() {
    // A Retry-After of u64::MAX seconds once panicked here (`OffsetDateTime + Duration`).
    let at = next_attempt(Some(u64::MAX), 0);
    let max = OffsetDateTime::now_utc() + crate::outcome::RETRY_AFTER_MAX;
    assert!(at <= max, "{at} is past {max}");
    let soon = next_attempt(Some(0), 0);
    assert!(
        soon > OffsetDateTime::now_utc(),
        "at least one second ahead"
    );
    assert!(
        next_attempt(None, u32::MAX) <= OffsetDateTime::now_utc() + Duration::from_secs(8 * 3600)
    );
}
