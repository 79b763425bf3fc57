//! An adaptive bound on the revocations `signoff revoke` keeps in flight (issue #19): it looks
//! for each server's ceiling while the run goes, between 1 and `--concurrency` (the cap, which
//! also stays the host limiter's fixed bound).
//!
//! **Algorithm: a gradient limit** in the manner of Netflix concurrency-limits
//! (`GradientLimit` / `Gradient2Limit`, used as references only and written here from their
//! description), plus explicit drops. Why a gradient and not Vegas: Vegas estimates the queue
//! as `limit × (1 − minRTT/rtt)` from one minimum RTT, and on loopback that minimum is a few
//! tens of microseconds set by one lucky sample (the client's own event loop adds more jitter
//! than the server's service time), so Vegas would read almost every later sample as queueing.
//! The gradient compares each RTT with a no-load baseline under a tolerance of 1.5 and moves
//! the limit by a smoothed fraction, which lets that noise pass. Why not Gradient2's baseline
//! (a long exponential average of the RTT): on a server whose latency grows with what is in
//! flight (a 4-worker server queueing, a thread-per-connection server behind one lock) the
//! average catches up with the queueing and the limit drifts to the cap. So the baseline here
//! is the lowest *short* average seen (an EMA over 10 samples: no single lucky sample sets
//! it), and Gradient2's long average only lowers it further. On each answered attempt:
//!
//! ```text
//! short = ema(rtt, 10);  long = ema(rtt, 600);  noload = min(noload, short) after 10 samples
//! base  = min(noload, long);  if long/rtt > 2: long *= 0.95      (recover after overload)
//! if inflight < limit/2: keep the limit                          (app-limited: no evidence)
//! g     = clamp(1.5 * base/rtt, 0.5, 1.0)
//! limit = clamp(limit*(1-0.2) + (limit*g + headroom)*0.2, 1, cap)
//! ```
//!
//! With `g` at least 0.5 the limit settles no lower than `2 × headroom` from latency alone
//! (8): enough for a server with a few workers, and it takes a drop to go below that.
//! `headroom` is Gradient2's queue allowance, 4, so with steady latency the limit grows by 0.8
//! per answer (from 4 to 64 in ~75 answers); after the first drop it is 1, so a server that
//! has shed load is approached again gently.
//!
//! **Drops**, which Gradient2 does not have: a 429, a 503 or a connection error halves the
//! limit (never below 1), at most once per round trip: an attempt that was already on its way
//! when the limit last dropped does not drop it again (as TCP ignores losses from before its
//! window was cut). A wait the server asks for (`Retry-After` on the 429/503) pauses new sends
//! until then, at most `max_pause` (the retry budget: a longer wait ends those attempts as
//! `pending` anyway). `X-RateLimit-Remaining`, when an answer carries it, caps the limit at
//! that number until its `X-RateLimit-Reset` passes (or the next answer says otherwise); a
//! remaining of 0 with a reset pauses new sends until the reset.
//!
//! Assumptions: one limiter per run and per host (bulk revocation talks to one provider); the
//! clock is passed in (`Instant`) so the rules can be tested without waiting. The limiter only
//! ever lowers what is in flight below the cap, so memory stays as flat as before.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// Where the limit starts.
const INITIAL: f64 = 4.0;
/// Gradient2's queue allowance before any drop, and after one.
const HEADROOM: f64 = 4.0;
const HEADROOM_AFTER_DROP: f64 = 1.0;
/// How much of each new estimate is taken.
const SMOOTHING: f64 = 0.2;
/// How far above the long average an RTT may be before it counts as queueing.
const TOLERANCE: f64 = 1.5;
/// The averages' windows and warm-up, in samples.
const LONG_WINDOW: f64 = 600.0;
const SHORT_WINDOW: f64 = 10.0;
const WARM_UP: u32 = 10;
/// The factor a drop multiplies the limit by.
const BACKOFF: f64 = 0.5;

/// What one attempt came to, as far as the limit cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// An answer (any status but 429 and 503): its round trip is a latency sample.
    Answered,
    /// 429 or 503: the server is shedding load.
    Overloaded,
    /// The connection failed (refused, reset, timed out).
    ConnectionFailed,
    /// Nothing to learn from (the call was refused before or after it went out, e.g. TLS).
    Ignored,
}

/// One attempt, observed around its send.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// When the attempt went out (after the host limiter let it) and when it came back.
    pub started: Instant,
    pub ended: Instant,
    /// Attempts in flight when this one went out, itself included.
    pub inflight: usize,
    pub signal: Signal,
    /// The wait the server asked for (`Retry-After`), if any.
    pub retry_after: Option<Duration>,
    /// `X-RateLimit-Remaining`, if sent.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset` as a wait from `ended`, if sent and readable.
    pub reset: Option<Duration>,
}

/// What the engine tells about each attempt it makes: when it goes out and how it came back.
pub trait AttemptObserver: Send + Sync + std::fmt::Debug {
    /// An attempt goes out now; gives the number in flight with it (for its [`Sample`]).
    fn started(&self) -> usize;
    /// The attempt that [`started`](Self::started) came back.
    fn ended(&self, sample: Sample);
}

/// The adaptive limit: share it (`Arc`) between the engine (as its observer) and the loop that
/// starts revocations (which asks [`AdaptiveLimit::current`] and [`AdaptiveLimit::paused_until`]).
#[derive(Debug)]
pub struct AdaptiveLimit {
    cap: usize,
    max_pause: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    limit: f64,
    peak: usize,
    long_rtt: f64,
    short_rtt: f64,
    /// The lowest short average so far (`f64::MAX` until the warm-up is over).
    noload: f64,
    samples: u32,
    inflight: usize,
    /// When the limit last dropped: attempts started before then cannot drop it again.
    last_drop: Option<Instant>,
    paused_until: Option<Instant>,
    /// The server's remaining allowance, until when it holds (`None`: until the next answer).
    remaining: Option<(u64, Option<Instant>)>,
}

impl AdaptiveLimit {
    /// A limit between 1 and `cap` (at least 1), starting at 4 (or the cap, if lower), whose
    /// pauses last at most `max_pause`.
    pub fn new(cap: usize, max_pause: Duration) -> Self {
        let cap = cap.max(1);
        let limit = INITIAL.min(cap as f64);
        Self {
            cap,
            max_pause,
            state: Mutex::new(State {
                limit,
                peak: limit as usize,
                long_rtt: 0.0,
                short_rtt: 0.0,
                noload: f64::MAX,
                samples: 0,
                inflight: 0,
                last_drop: None,
                paused_until: None,
                remaining: None,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many may be in flight now: the limit, under the server's remaining allowance while
    /// it holds; between 1 and the cap.
    pub fn current(&self, now: Instant) -> usize {
        let mut s = self.state();
        if let Some((_, Some(until))) = s.remaining
            && now >= until
        {
            s.remaining = None;
        }
        let mut n = (s.limit as usize).clamp(1, self.cap);
        if let Some((remaining, _)) = s.remaining {
            n = n.min(usize::try_from(remaining).unwrap_or(usize::MAX).max(1));
        }
        n
    }

    /// The highest limit reached so far.
    pub fn peak(&self) -> usize {
        self.state().peak
    }

    /// The cap (`--concurrency`).
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Until when no new attempt should go out, if that is later than `now`.
    pub fn paused_until(&self, now: Instant) -> Option<Instant> {
        self.state().paused_until.filter(|at| *at > now)
    }

    /// Takes one attempt's sample (see the module comment).
    pub fn observe(&self, sample: Sample) {
        let mut s = self.state();
        let now = sample.ended;
        if let Some(remaining) = sample.remaining {
            let until = sample.reset.map(|r| now + r.min(self.max_pause));
            s.remaining = Some((remaining, until));
            if remaining == 0
                && let Some(until) = until
            {
                s.pause_until(until);
            }
        }
        match sample.signal {
            Signal::Ignored => {}
            Signal::Overloaded | Signal::ConnectionFailed => {
                if let Some(wait) = sample.retry_after {
                    s.pause_until(now + wait.min(self.max_pause));
                }
                if s.last_drop.is_none_or(|at| sample.started >= at) {
                    s.limit = (s.limit * BACKOFF).max(1.0);
                    s.last_drop = Some(now);
                }
            }
            Signal::Answered => {
                let rtt = sample
                    .ended
                    .saturating_duration_since(sample.started)
                    .as_secs_f64()
                    // A zero RTT (a coarse clock) would divide by zero below.
                    .max(1e-6);
                s.samples = s.samples.saturating_add(1);
                if s.samples <= WARM_UP {
                    // The warm-up: plain means of the first samples.
                    let n = f64::from(s.samples);
                    s.long_rtt += (rtt - s.long_rtt) / n;
                    s.short_rtt += (rtt - s.short_rtt) / n;
                } else {
                    s.long_rtt += (rtt - s.long_rtt) * 2.0 / (LONG_WINDOW + 1.0);
                    s.short_rtt += (rtt - s.short_rtt) * 2.0 / (SHORT_WINDOW + 1.0);
                }
                if s.samples >= WARM_UP {
                    s.noload = s.noload.min(s.short_rtt);
                }
                if s.long_rtt / rtt > 2.0 {
                    s.long_rtt *= 0.95;
                }
                if (sample.inflight as f64) < s.limit / 2.0 {
                    // Too few in flight to tell anything about the server.
                    return;
                }
                let base = s.noload.min(s.long_rtt);
                let gradient = (TOLERANCE * base / rtt).clamp(0.5, 1.0);
                let headroom = if s.last_drop.is_some() {
                    HEADROOM_AFTER_DROP
                } else {
                    HEADROOM
                };
                let estimate = s.limit * gradient + headroom;
                s.limit = (s.limit * (1.0 - SMOOTHING) + estimate * SMOOTHING)
                    .clamp(1.0, self.cap as f64);
            }
        }
        s.peak = s.peak.max((s.limit as usize).clamp(1, self.cap));
    }
}

impl State {
    fn pause_until(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }
}

impl AttemptObserver for AdaptiveLimit {
    fn started(&self) -> usize {
        let mut s = self.state();
        s.inflight += 1;
        s.inflight
    }

    fn ended(&self, sample: Sample) {
        {
            let mut s = self.state();
            s.inflight = s.inflight.saturating_sub(1);
        }
        self.observe(sample);
    }
}

/// `X-RateLimit-Reset` as a wait from `now`. Providers send either seconds from now (GitLab's
/// `RateLimit-Reset` drafts, many gateways) or a Unix time (GitHub); a value above 10⁹ (2001)
/// is taken as a Unix time, since no window lasts 30 years. A reset in the past is no wait.
pub fn parse_rate_limit_reset(value: &str, now: SystemTime) -> Option<Duration> {
    let n: u64 = value.trim().parse().ok()?;
    let wait = if n >= 1_000_000_000 {
        let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(n))?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    } else {
        Duration::from_secs(n)
    };
    Some(wait.min(crate::outcome::RETRY_AFTER_MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A server answering every attempt at `rtt(inflight)`, driven with as many in flight as
    /// the limit allows, for `answers` answers; each step is one answer at the limit.
    fn drive(
        limit: &AdaptiveLimit,
        t0: &mut Instant,
        answers: usize,
        rtt: impl Fn(usize) -> Duration,
    ) {
        for _ in 0..answers {
            let n = limit.current(*t0);
            let d = rtt(n);
            limit.observe(Sample {
                started: *t0,
                ended: *t0 + d,
                inflight: n,
                signal: Signal::Answered,
                retry_after: None,
                remaining: None,
                reset: None,
            });
            *t0 += d / n as u32;
        }
    }

    fn signal(at: Instant, started: Instant, signal: Signal) -> Sample {
        Sample {
            started,
            ended: at,
            inflight: 4,
            signal,
            retry_after: None,
            remaining: None,
            reset: None,
        }
    }

    #[test]
    fn the_limit_follows_the_server() {
        struct Case {
            name: &'static str,
            cap: usize,
            /// RTT for n in flight.
            rtt: fn(usize) -> Duration,
            answers: usize,
            /// The limit must end in this range.
            low: usize,
            high: usize,
        }
        let cases = [
            Case {
                name: "a steady server: grows to the cap",
                cap: 64,
                rtt: |_| 2 * MS,
                answers: 500,
                low: 64,
                high: 64,
            },
            Case {
                name: "a steady server under a low cap: stops at the cap",
                cap: 10,
                rtt: |_| 2 * MS,
                answers: 500,
                low: 10,
                high: 10,
            },
            Case {
                name: "a cap of 1 stays 1",
                cap: 1,
                rtt: |_| 2 * MS,
                answers: 100,
                low: 1,
                high: 1,
            },
            Case {
                name: "4 workers, 20 ms each: latency grows past 4 in flight, the limit stays low",
                cap: 64,
                rtt: |n| Duration::from_millis(20 * n.div_ceil(4) as u64),
                answers: 5_000,
                low: 4,
                high: 16,
            },
            Case {
                name: "one queue (latency grows with every one in flight): stays low",
                cap: 64,
                rtt: |n| Duration::from_micros(100 * n as u64),
                answers: 20_000,
                low: 2,
                high: 16,
            },
        ];
        for case in cases {
            let limit = AdaptiveLimit::new(case.cap, Duration::from_secs(30));
            let mut t = Instant::now();
            drive(&limit, &mut t, case.answers, case.rtt);
            let got = limit.current(t);
            assert!(
                (case.low..=case.high).contains(&got),
                "{}: limit {got}, expected {}..={}",
                case.name,
                case.low,
                case.high
            );
            assert!(limit.peak() <= case.cap, "{}: peak over the cap", case.name);
        }
    }

    #[test]
    fn the_limit_shrinks_when_latency_doubles() {
        let limit = AdaptiveLimit::new(64, Duration::from_secs(30));
        let mut t = Instant::now();
        drive(&limit, &mut t, 500, |_| 2 * MS);
        assert_eq!(limit.current(t), 64);
        // Latency doubles and stays: the limit comes down, though not to the floor at once.
        drive(&limit, &mut t, 20, |_| 4 * MS);
        let after = limit.current(t);
        assert!(
            (8..40).contains(&after),
            "limit {after} after latency doubled"
        );
        // And it stays down while the latency does.
        drive(&limit, &mut t, 2_000, |_| 4 * MS);
        let later = limit.current(t);
        assert!(
            later <= after,
            "limit {later} grew back with latency still doubled"
        );
    }

    #[test]
    fn an_app_limited_run_does_not_grow_the_limit() {
        let limit = AdaptiveLimit::new(64, Duration::from_secs(30));
        let mut t = Instant::now();
        for _ in 0..200 {
            limit.observe(Sample {
                inflight: 1,
                ..signal(t + 2 * MS, t, Signal::Answered)
            });
            t += 2 * MS;
        }
        assert_eq!(limit.current(t), 4);
    }

    #[test]
    fn drops_halve_the_limit_once_per_round_trip_and_never_below_one() {
        struct Case {
            name: &'static str,
            signal: Signal,
        }
        for case in [
            Case {
                name: "429/503",
                signal: Signal::Overloaded,
            },
            Case {
                name: "connection error",
                signal: Signal::ConnectionFailed,
            },
        ] {
            let limit = AdaptiveLimit::new(64, Duration::from_secs(30));
            let mut t = Instant::now();
            drive(&limit, &mut t, 500, |_| 2 * MS);
            assert_eq!(limit.current(t), 64, "{}", case.name);
            let sent = t;
            t += 2 * MS;
            limit.observe(signal(t, sent, case.signal));
            assert_eq!(limit.current(t), 32, "{}: halved", case.name);
            // Others sent before the drop come back with the same news: no further drop.
            for _ in 0..10 {
                limit.observe(signal(t + MS, sent, case.signal));
            }
            assert_eq!(limit.current(t), 32, "{}: once per round trip", case.name);
            // Attempts sent after it count again, down to 1 and no lower.
            for _ in 0..20 {
                t += 2 * MS;
                limit.observe(signal(t + MS, t, case.signal));
            }
            assert_eq!(limit.current(t), 1, "{}: floor", case.name);
        }
    }

    #[test]
    fn ignored_attempts_change_nothing() {
        let limit = AdaptiveLimit::new(64, Duration::from_secs(30));
        let t = Instant::now();
        limit.observe(signal(t + MS, t, Signal::Ignored));
        assert_eq!(limit.current(t), 4);
        assert_eq!(limit.peak(), 4);
    }

    #[test]
    fn retry_after_pauses_new_sends_up_to_the_budget() {
        let limit = AdaptiveLimit::new(64, Duration::from_secs(30));
        let t = Instant::now();
        assert_eq!(limit.paused_until(t), None);
        limit.observe(Sample {
            retry_after: Some(Duration::from_secs(2)),
            ..signal(t, t, Signal::Overloaded)
        });
        assert_eq!(limit.paused_until(t), Some(t + Duration::from_secs(2)));
        assert_eq!(limit.paused_until(t + Duration::from_secs(2)), None);
        // A wait past the budget pauses only for the budget.
        let later = t + Duration::from_secs(10);
        limit.observe(Sample {
            retry_after: Some(Duration::from_secs(3600)),
            ..signal(later, later, Signal::Overloaded)
        });
        assert_eq!(
            limit.paused_until(later),
            Some(later + Duration::from_secs(30))
        );
        // A Retry-After on an ordinary answer pauses nothing.
        let limit = AdaptiveLimit::new(64, Duration::from_secs(30));
        limit.observe(Sample {
            retry_after: Some(Duration::from_secs(2)),
            ..signal(t, t, Signal::Answered)
        });
        assert_eq!(limit.paused_until(t), None);
    }

    #[test]
    fn rate_limit_remaining_caps_the_limit_until_its_reset() {
        let limit = AdaptiveLimit::new(64, Duration::from_secs(30));
        let mut t = Instant::now();
        drive(&limit, &mut t, 500, |_| 2 * MS);
        assert_eq!(limit.current(t), 64);
        limit.observe(Sample {
            remaining: Some(5),
            reset: Some(Duration::from_secs(1)),
            ..signal(t, t, Signal::Answered)
        });
        assert_eq!(limit.current(t), 5);
        assert_eq!(limit.paused_until(t), None);
        // The window ends: the cap goes.
        assert_eq!(limit.current(t + Duration::from_secs(1)), 64);
        // Nothing left: a pause until the reset, and at least 1 after it.
        let t = t + Duration::from_secs(2);
        limit.observe(Sample {
            remaining: Some(0),
            reset: Some(Duration::from_secs(3)),
            ..signal(t, t, Signal::Answered)
        });
        assert_eq!(limit.paused_until(t), Some(t + Duration::from_secs(3)));
        assert_eq!(limit.current(t), 1);
        // Without a reset the cap holds until an answer says otherwise.
        limit.observe(Sample {
            remaining: Some(7),
            ..signal(t, t, Signal::Answered)
        });
        assert_eq!(limit.current(t + Duration::from_secs(100)), 7);
    }

    #[test]
    fn the_observer_counts_attempts_in_flight() {
        let limit = AdaptiveLimit::new(8, Duration::from_secs(30));
        assert_eq!(limit.started(), 1);
        assert_eq!(limit.started(), 2);
        let t = Instant::now();
        limit.ended(signal(t, t, Signal::Ignored));
        assert_eq!(limit.started(), 2);
    }

    #[test]
    fn rate_limit_reset_is_seconds_or_a_unix_time() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let cases = [
            ("30", Some(Duration::from_secs(30))),
            (" 0 ", Some(Duration::ZERO)),
            ("1700000042", Some(Duration::from_secs(42))),
            ("1699999000", Some(Duration::ZERO)),
            ("soon", None),
            ("-5", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_rate_limit_reset(value, now), expected, "{value:?}");
        }
    }
}
