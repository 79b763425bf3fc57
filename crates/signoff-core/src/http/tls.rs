//! TLS: what a failed handshake means to a person, and (tests only) extra trusted roots.
//!
//! A certificate that does not check out is not a network hiccup: it will not fix itself
//! within the retry budget and someone has to look (the server's certificate, or this
//! machine's trusted authorities), so such a call is refused (`failed`, reason `tls`), never
//! retried as `pending`.

use rustls::CertificateError;

/// The first `rustls::Error` in `e`'s source chain, looking inside `io::Error`s too (they hide
/// their inner error from `source()`).
pub(super) fn rustls_error<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut source = Some(e);
    while let Some(s) = source {
        if let Some(tls) = s.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        let inner = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i as &(dyn std::error::Error + 'static));
        if let Some(tls) = inner.and_then(rustls_error) {
            return Some(tls);
        }
        source = s.source();
    }
    None
}

/// A sentence for a TLS failure: a certificate problem says so, and why.
pub(super) fn describe(e: &rustls::Error) -> &'static str {
    let rustls::Error::InvalidCertificate(cert) = e else {
        return match e {
            rustls::Error::NoCertificatesPresented => "the server presented no certificate",
            _ => "the TLS handshake with the server failed",
        };
    };
    match cert {
        CertificateError::UnknownIssuer => {
            "the server's certificate is not trusted: no certificate authority this machine \
             trusts signed it"
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "the server's certificate is not trusted: it is for another host name"
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the server's certificate is not trusted: it has expired"
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the server's certificate is not trusted: it is not valid yet"
        }
        CertificateError::Revoked => "the server's certificate is not trusted: it has been revoked",
        _ => "the server's certificate is not trusted",
    }
}

#[cfg(feature = "test-support")]
static TEST_ROOTS: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

/// Tests only (feature `test-support`): trusts the PEM certificate authority `pem` in every
/// client built from now on, on top of this machine's own. It only adds a root; nothing is
/// ever trusted less, and production builds have no such door.
#[cfg(feature = "test-support")]
pub fn trust_for_tests(pem: &str) {
    let mut roots = TEST_ROOTS.lock().unwrap_or_else(|e| e.into_inner());
    if !roots.iter().any(|r| r == pem.as_bytes()) {
        roots.push(pem.as_bytes().to_vec());
    }
}

/// The extra roots [`trust_for_tests`] added (none outside tests).
pub(super) fn extra_roots() -> Vec<reqwest::Certificate> {
    #[cfg(feature = "test-support")]
    {
        let roots = TEST_ROOTS.lock().unwrap_or_else(|e| e.into_inner());
        roots
            .iter()
            .map(|pem| reqwest::Certificate::from_pem(pem).expect("a PEM test CA"))
            .collect()
    }
    #[cfg(not(feature = "test-support"))]
    Vec::new()
}
