//! The loopback redirect listener of a browser sign-in (RFC 8252 §7.3): the one request the
//! browser makes to `http://127.0.0.1:<port>/callback` when the provider sends it back.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use crate::error::{Error, Result};

/// Accepts connections on the loopback listener until one asks for `/callback`; answers it with
/// a page telling the person they can go back to Signoff.
pub(super) async fn wait_for_redirect(listener: &TcpListener) -> Result<Vec<(String, String)>> {
    loop {
        let (mut stream, _) = listener.accept().await.map_err(|source| Error::Io {
            action: "cannot accept on",
            path: "127.0.0.1".into(),
            source,
        })?;
        let mut buf = Vec::with_capacity(2048);
        let mut chunk = [0u8; 1024];
        while buf.len() < 16 * 1024 && !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let head = String::from_utf8_lossy(&buf);
        let target = head
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("GET "))
            .and_then(|l| l.split(' ').next())
            .unwrap_or("");
        let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else {
            continue;
        };
        if url.path() != "/callback" {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
            continue;
        }
        let page = "<!doctype html><title>Signoff</title><p>Signed in. You can close this tab and return to Signoff.</p>";
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = stream.write_all(reply.as_bytes()).await;
        return Ok(url.query_pairs().into_owned().collect());
    }
}
