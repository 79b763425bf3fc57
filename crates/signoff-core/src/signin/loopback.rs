//! The loopback listener of a browser sign-in (RFC 8252 §7.3) on `127.0.0.1:<random port>`. It
//! serves everyone and trusts no one: every connection is handled on its own task with a short
//! read timeout (an idle connection, a browser's preconnect or another local user cannot stall
//! the sign-in), and only two paths answer:
//!
//! - `/start/<random token>`, the short address handed to the browser (so no `state`, `nonce` or
//!   `code_challenge` is ever on a command line): answered once with a 303 to the authorization
//!   URL, then 410;
//! - `/callback/<provider id>`, the redirect URI: a request without this sign-in's `state` is
//!   answered 404 and ignored (so a forged `?error=` cannot end it); the first one with it is
//!   handed to the sign-in, and the page the browser shows says how the sign-in ended.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, oneshot};
use url::Url;

/// How long a connection may take to send its request.
pub const READ_TIMEOUT: Duration = Duration::from_secs(8);
/// Connections handled at once; more are closed unanswered.
const MAX_CONNECTIONS: usize = 64;
/// The most of a request head read.
const HEAD_LIMIT: usize = 16 * 1024;

/// What the listener answers.
#[derive(Debug)]
pub(super) struct Routes {
    /// `/start/<token>`.
    pub start_path: String,
    /// Where `/start` sends the browser (holds state, nonce and challenge).
    pub authorize: Url,
    /// `/callback/<percent-encoded provider id>`.
    pub callback_path: String,
    pub state: String,
}

/// The page the browser shows at the end.
#[derive(Debug, Clone)]
pub(super) struct Page {
    pub status: u16,
    pub text: String,
}

/// A callback carrying this sign-in's `state`: its query, and where to send the page to show.
#[derive(Debug)]
pub(super) struct Arrival {
    pub params: Vec<(String, String)>,
    pub reply: oneshot::Sender<Page>,
    /// Completes once the page was written to the browser (or could not be): a process about
    /// to exit waits for it, so the browser is never left without an answer.
    pub written: oneshot::Receiver<()>,
}

/// The accept loop; dropping it stops accepting (connections under way finish on their own).
#[derive(Debug)]
pub(super) struct Server(tokio::task::JoinHandle<()>);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Shared {
    routes: Routes,
    started: AtomicBool,
    delivered: AtomicBool,
    arrivals: mpsc::Sender<Arrival>,
}

/// Serves `routes` on `listener`; the callback arrives on the receiver.
pub(super) fn serve(listener: TcpListener, routes: Routes) -> (Server, mpsc::Receiver<Arrival>) {
    let (tx, rx) = mpsc::channel(1);
    let shared = Arc::new(Shared {
        routes,
        started: AtomicBool::new(false),
        delivered: AtomicBool::new(false),
        arrivals: tx,
    });
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                tracing::debug!("sign-in listener busy: connection closed");
                continue;
            };
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                handle(stream, &shared).await;
                drop(slot);
            });
        }
    });
    (Server(task), rx)
}

async fn handle(mut stream: TcpStream, shared: &Shared) {
    let Ok(Some(target)) = tokio::time::timeout(READ_TIMEOUT, read_target(&mut stream)).await
    else {
        return; // idle, too slow, or not a GET: closed without an answer
    };
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let routes = &shared.routes;
    let reply = if path == routes.start_path {
        if shared.started.swap(true, Ordering::SeqCst) {
            page(&Page {
                status: 410,
                text: "This sign-in address was already used. Start the sign-in again in Signoff."
                    .into(),
            })
        } else {
            format!(
                "HTTP/1.1 303 See Other\r\nLocation: {}\r\nCache-Control: no-store\r\n\
                 Referrer-Policy: no-referrer\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                routes.authorize
            )
        }
    } else if path == routes.callback_path {
        let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let state_ok = params
            .iter()
            .filter(|(k, _)| k == "state")
            .map(|(_, v)| v)
            .eq([&routes.state]);
        if !state_ok || shared.delivered.swap(true, Ordering::SeqCst) {
            tracing::info!("a sign-in callback without this sign-in's state was ignored");
            not_found()
        } else {
            let (reply, answer) = oneshot::channel();
            let (done, written) = oneshot::channel();
            let arrival = Arrival {
                params,
                reply,
                written,
            };
            let _ = shared.arrivals.send(arrival).await;
            let text = page(&answer.await.unwrap_or_else(|_| Page {
                status: 409,
                text: "This sign-in was stopped. You can close this tab.".into(),
            }));
            let _ = stream.write_all(text.as_bytes()).await;
            let _ = stream.shutdown().await;
            let _ = done.send(());
            return;
        }
    } else {
        not_found()
    };
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The request target of a `GET`, once its head has arrived.
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    while buf.len() < HEAD_LIMIT && !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let line = head.lines().next()?;
    let mut words = line.split(' ');
    match (words.next(), words.next()) {
        (Some("GET"), Some(target)) if target.starts_with('/') => Some(target.to_owned()),
        _ => None,
    }
}

fn not_found() -> String {
    page(&Page {
        status: 404,
        text: "Not found.".into(),
    })
}

fn page(p: &Page) -> String {
    let reason = match p.status {
        200 => "OK",
        404 => "Not Found",
        409 => "Conflict",
        410 => "Gone",
        _ => "Bad Request",
    };
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Signoff</title><p>{}</p>",
        escape(&p.text)
    );
    format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n\
         Referrer-Policy: no-referrer\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        p.status,
        body.len()
    )
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}
