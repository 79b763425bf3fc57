//! RFC 7009 revocation endpoints with a bounded capacity, for bulk revocation's adaptive limit
//! (issue #19): the benchmark's server with a fixed service time and a few workers, and the
//! tests' server that sheds load with 429 once too many requests are in flight.
//!
//! Both answer `POST /revoke` as RFC 7009 §2.1–2.2 says: the client must authenticate (HTTP
//! Basic with this id and secret when the server has a secret, RFC 6749 §2.3.1, as `signoff`
//! and the bench's wrk script send it; else a public client's `client_id` in the form), else
//! 401 `invalid_client`; a form without a `token` is 400 `invalid_request`; anything else is
//! 200 with an empty body, for any token (the server keeps none: it only counts). Assumptions:
//! a "worker" is a permit of a `tokio` semaphore held for the whole service time, so requests
//! beyond the workers queue in arrival order (tokio's semaphore is fair) on an event loop that
//! itself costs next to nothing; the service time is a `tokio::time::sleep`, so it is that
//! time or a little more (the timer's granularity is 1 ms), never less.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use tokio::sync::Semaphore;
use url::Url;

use crate::{basic, empty, form_once, is_form, json, with_headers};

/// What one of these servers has seen.
#[derive(Debug, Default)]
pub struct Counts {
    /// Revocations answered 200.
    pub revoked: AtomicU64,
    /// Requests answered 429.
    pub shed: AtomicU64,
    in_flight: AtomicUsize,
    /// The most requests in the server at once (queued ones included).
    pub max_in_flight: AtomicUsize,
}

/// A running capacity-bound server.
#[derive(Debug)]
pub struct CapacityServer {
    /// `http://127.0.0.1:PORT/revoke`.
    pub revocation: Url,
    pub counts: Arc<Counts>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CapacityServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CapacityServer {
    pub fn revoked(&self) -> u64 {
        self.counts.revoked.load(Ordering::Relaxed)
    }

    pub fn shed(&self) -> u64 {
        self.counts.shed.load(Ordering::Relaxed)
    }

    pub fn max_in_flight(&self) -> usize {
        self.counts.max_in_flight.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Clone)]
enum Capacity {
    /// `workers` permits, each held for `service`.
    Workers {
        permits: Arc<Semaphore>,
        service: Duration,
    },
    /// More than `max` in flight: 429 with `Retry-After: retry_after` (seconds); the others
    /// answered after `service`.
    Sheds {
        max: usize,
        retry_after: u64,
        service: Duration,
    },
}

#[derive(Debug, Clone)]
struct Shared {
    client_id: String,
    client_secret: Option<String>,
    capacity: Capacity,
    counts: Arc<Counts>,
}

/// An endpoint with `workers` workers, each taking `service` per request (the bench: 4 and
/// 20 ms, a ceiling of 200 revocations a second, whatever the number of connections).
pub async fn fixed_workers(
    client: (&str, Option<&str>),
    workers: usize,
    service: Duration,
) -> CapacityServer {
    start(
        client,
        Capacity::Workers {
            permits: Arc::new(Semaphore::new(workers.max(1))),
            service,
        },
    )
    .await
}

/// An endpoint that answers 429 with `Retry-After: retry_after` (seconds) to a request that
/// arrives while `max` others are in the server, and the others after `service` (so that
/// requests do overlap in it, however slow the client).
pub async fn sheds_over(
    client: (&str, Option<&str>),
    max: usize,
    retry_after: u64,
    service: Duration,
) -> CapacityServer {
    start(
        client,
        Capacity::Sheds {
            max,
            retry_after,
            service,
        },
    )
    .await
}

async fn start(client: (&str, Option<&str>), capacity: Capacity) -> CapacityServer {
    let counts = Arc::new(Counts::default());
    let shared = Shared {
        client_id: client.0.to_owned(),
        client_secret: client.1.map(str::to_owned),
        capacity,
        counts: Arc::clone(&counts),
    };
    let router = Router::new()
        .route("/revoke", post(revoke))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let revocation =
        Url::parse(&format!("http://{}/revoke", listener.local_addr().unwrap())).unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    CapacityServer {
        revocation,
        counts,
        task,
    }
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a Counts);

impl<'a> InFlight<'a> {
    /// Enters; gives the guard and how many were in the server before this one.
    fn enter(counts: &'a Counts) -> (Self, usize) {
        let before = counts.in_flight.fetch_add(1, Ordering::SeqCst);
        counts.max_in_flight.fetch_max(before + 1, Ordering::SeqCst);
        (Self(counts), before)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn revoke(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let (_guard, before) = InFlight::enter(&shared.counts);
    if let Capacity::Sheds {
        max, retry_after, ..
    } = &shared.capacity
        && before >= *max
    {
        shared.counts.shed.fetch_add(1, Ordering::Relaxed);
        return with_headers(
            json(StatusCode::TOO_MANY_REQUESTS, error_body("slow_down")),
            &[("retry-after", retry_after.to_string())],
        );
    }
    let _worker = match &shared.capacity {
        Capacity::Workers { permits, service } => {
            let permit = permits.acquire().await.expect("never closed");
            tokio::time::sleep(*service).await;
            Some(permit)
        }
        Capacity::Sheds { service, .. } => {
            tokio::time::sleep(*service).await;
            None
        }
    };
    let form: HashMap<String, String> = match form_once(&body).filter(|_| is_form(&headers)) {
        Some(form) => form,
        None => return json(StatusCode::BAD_REQUEST, error_body("invalid_request")),
    };
    let authenticated = match &shared.client_secret {
        Some(secret) => basic(&headers) == Some((shared.client_id.clone(), secret.clone())),
        None => form.get("client_id") == Some(&shared.client_id),
    };
    if !authenticated {
        return json(StatusCode::UNAUTHORIZED, error_body("invalid_client"));
    }
    if form.get("token").is_none_or(|t| t.is_empty()) {
        return json(StatusCode::BAD_REQUEST, error_body("invalid_request"));
    }
    shared.counts.revoked.fetch_add(1, Ordering::Relaxed);
    empty(StatusCode::OK)
}

fn error_body(code: &str) -> serde_json::Value {
    serde_json::json!({ "error": code })
}
