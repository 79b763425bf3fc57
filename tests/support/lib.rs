//! Shared harness for Signoff's cross-crate and end-to-end tests: where the built binaries are,
//! throwaway data dirs, and a `tauri-driver` session on the real app binary. The fake providers
//! are the `signoff-fake-providers` crate, re-exported here as [`servers`].

pub mod driver;
pub mod oidc;
pub mod procs;
pub mod session;
pub mod tray;

/// The fake providers (their own crate, which the demo app uses too), where the tests have
/// always found them.
pub use signoff_fake_providers as servers;

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The cargo target dir (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// A binary built by `cargo build --workspace --bins` (what `make test` does first), or the path
/// in `env_override` when set. Panics with the command to run when it is missing.
pub fn built_binary(name: &str, env_override: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env_override) {
        return PathBuf::from(p);
    }
    let path = target_dir().join("debug").join(name);
    assert!(
        path.is_file(),
        "{} is not built; run `cargo build --workspace --bins` first (make test does)",
        path.display()
    );
    path
}

/// Where end-to-end tests keep screenshots: `target/e2e-artifacts/`.
pub fn artifacts_dir() -> PathBuf {
    let dir = target_dir().join("e2e-artifacts");
    std::fs::create_dir_all(&dir).expect("create e2e-artifacts");
    dir
}

/// A loopback port where a provider is down: a socket is bound to it but never listens, so
/// every connection is refused, and no other test's server can be given the port while this
/// is held (a port merely found free could be, and then that server answered the "down"
/// provider's calls). Drop it just before a server is to start there.
#[derive(Debug)]
pub struct DownPort {
    pub port: u16,
    _socket: tokio::net::TcpSocket,
}

impl DownPort {
    pub fn new() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind("127.0.0.1:0".parse().unwrap())
            .expect("bind a loopback port");
        let port = socket.local_addr().expect("its address").port();
        Self {
            port,
            _socket: socket,
        }
    }
}

impl Default for DownPort {
    fn default() -> Self {
        Self::new()
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
