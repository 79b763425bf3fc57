//! HTTPS against a real rustls server on this machine: a test CA and certificates made with
//! `rcgen`, a TLS front (tokio-rustls) that passes each connection on to the Matar test server.
//! The test CA is trusted through `signoff_core::http::trust_for_tests` (feature
//! `test-support`), which only adds a root; a certificate from a second CA, or one for another
//! host, is refused as `failed` with reason `tls`, never sent the token and never retried.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use signoff_core::outcome::{Outcome, ReasonKind};
use signoff_tests::servers::{self, TestServer};
use tokio::net::{TcpListener, TcpStream};

use crate::{SignOutJob, assert_no_secret, engine, job, profile, tokens};

/// A certificate authority for the tests.
fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// The CA every test trusts (the same one in every test of this process).
fn trusted_ca() -> &'static CertifiedIssuer<'static, KeyPair> {
    static CA: std::sync::OnceLock<CertifiedIssuer<'static, KeyPair>> = std::sync::OnceLock::new();
    let ca = CA.get_or_init(|| ca("Signoff test CA"));
    signoff_core::http::trust_for_tests(&ca.pem());
    ca
}

/// Serves TLS on 127.0.0.1 with a certificate for `names` signed by `issuer`, passing every
/// connection on to `backend`. Returns the port.
async fn tls_front(
    backend: &TestServer,
    issuer: &CertifiedIssuer<'static, KeyPair>,
    names: &[&str],
) -> u16 {
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, issuer).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let to = format!(
        "{}:{}",
        backend.base.host_str().unwrap(),
        backend.base.port().unwrap()
    );
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, to) = (acceptor.clone(), to.clone());
            tokio::spawn(async move {
                // A handshake the client refuses ends here: nothing reaches the backend.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut plain = TcpStream::connect(to).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}

/// Signs a Matar account out at `https://<host>:<port>/api/v1/logout`.
async fn matar_over_https(
    server: &TestServer,
    host: &str,
    port: u16,
    at: &str,
) -> signoff_core::engine::Receipt {
    server.issue(at);
    let p = profile(
        &format!(
            "[[provider]]\nid = \"matar\"\nlogout_endpoint = \"https://{host}:{port}/api/v1/logout\"\n"
        ),
        "matar",
    );
    let r = engine()
        .sign_out(&job(
            &p,
            tokens(&format!(r#"{{"access_token":"{at}"}}"#)),
            None,
        ))
        .await;
    assert_no_secret(&r, &[at]);
    r
}

#[tokio::test]
async fn https_with_a_trusted_certificate_is_revoked() {
    let server = servers::matar().await;
    let port = tls_front(&server, trusted_ca(), &["127.0.0.1"]).await;
    let r = matar_over_https(&server, "127.0.0.1", port, "tls-at-1").await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{:?}", r.report);
    assert_eq!(r.report.http_status, Some(200));
    assert!(server.is_ended("tls-at-1"));
}

#[tokio::test]
async fn https_to_a_localhost_name_resolves_to_this_machine_without_dns() {
    // `signoff-test.localhost` is in no hosts file and no DNS: only Signoff's resolver
    // answers it (127.0.0.1 and ::1, RFC 6761).
    let server = servers::matar().await;
    let port = tls_front(&server, trusted_ca(), &["signoff-test.localhost"]).await;
    let r = matar_over_https(&server, "signoff-test.localhost", port, "tls-at-2").await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{:?}", r.report);
    assert!(server.is_ended("tls-at-2"));
}

/// A certificate problem: `failed` (not `pending`) at the first attempt, reason `tls`, a
/// sentence that says so, and the token never reached the provider.
fn assert_certificate_refused(r: &signoff_core::engine::Receipt, server: &TestServer, why: &str) {
    assert_eq!(r.report.outcome, Outcome::Failed, "{:?}", r.report);
    assert_eq!(r.report.attempts, 1, "a bad certificate is not retried");
    let error = r.report.error.as_ref().unwrap();
    assert_eq!(error.kind(), ReasonKind::Tls, "{error:?}");
    let text = error.description().unwrap();
    assert!(
        text.starts_with("the server's certificate is not trusted") && text.contains(why),
        "{text}"
    );
    assert!(!text.contains("could not connect"), "{text}");
    assert!(server.seen().is_empty(), "the token reached the server");
}

#[tokio::test]
async fn https_with_a_certificate_from_an_untrusted_ca_fails_with_tls() {
    let server = servers::matar().await;
    trusted_ca();
    let port = tls_front(&server, &ca("Somebody else's CA"), &["127.0.0.1"]).await;
    let r = matar_over_https(&server, "127.0.0.1", port, "tls-at-3").await;
    assert_certificate_refused(&r, &server, "no certificate authority this machine trusts");
    assert!(!server.is_ended("tls-at-3"));
}

#[tokio::test]
async fn https_with_a_certificate_for_another_host_fails_with_tls() {
    let server = servers::matar().await;
    let port = tls_front(&server, trusted_ca(), &["other.example"]).await;
    let r = matar_over_https(&server, "127.0.0.1", port, "tls-at-4").await;
    assert_certificate_refused(&r, &server, "for another host name");
    assert!(!server.is_ended("tls-at-4"));
}

#[tokio::test]
async fn plain_http_to_localhost_reaches_the_server_on_this_machine() {
    let server = servers::matar().await;
    server.issue("local-at-1");
    let p = profile(
        &format!(
            "[[provider]]\nid = \"matar\"\nlogout_endpoint = \"http://localhost:{}/api/v1/logout\"\n",
            server.base.port().unwrap()
        ),
        "matar",
    );
    let r = engine()
        .sign_out(&job(&p, tokens(r#"{"access_token":"local-at-1"}"#), None))
        .await;
    assert_eq!(r.report.outcome, Outcome::Revoked, "{:?}", r.report);
    assert!(server.is_ended("local-at-1"));
}
