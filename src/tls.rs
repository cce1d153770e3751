//! TLS inspection of an endpoint: who its certificate says it is, until when, and
//! whether the platform's roots (plus an env's `ca_file`) trust it for the host.
//!
//! reqwest only describes a certificate after verification *passed*, which is exactly
//! when nobody needs the description. Here one handshake runs with a recording
//! verifier: it asks the real verifier (the same platform verifier with extra roots
//! that reqwest uses), records the verdict and the chain, and lets the handshake
//! finish so the chain can be read. Nothing is ever sent over such a connection: it
//! is closed right after the handshake, and deliveries go through reqwest, which
//! enforces the verdict itself.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// What one handshake showed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TlsFacts {
    /// `None` when the chain is trusted for the host; otherwise the verifier's reason.
    pub untrusted: Option<String>,
    /// Leaf subject.
    pub subject: String,
    /// Leaf issuer.
    pub issuer: String,
    /// Subject equals issuer.
    pub self_signed: bool,
    /// Leaf `notBefore`, RFC 3339.
    pub not_before: String,
    /// Leaf `notAfter`, RFC 3339.
    pub not_after: String,
    /// Whole days until `notAfter` (negative when expired).
    pub days_left: i64,
    /// Negotiated protocol version.
    pub protocol: String,
}

impl TlsFacts {
    /// Whether the leaf is past its `notAfter`.
    pub fn expired(&self) -> bool {
        self.days_left < 0
            || self
                .not_after_ts()
                .is_some_and(|t| t < jiff::Timestamp::now())
    }

    fn not_after_ts(&self) -> Option<jiff::Timestamp> {
        self.not_after.parse().ok()
    }
}

/// Why a CA bundle could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PemError {
    /// The bytes are not PEM.
    #[error("not a PEM certificate bundle: {0}")]
    NotPem(String),
    /// PEM, but without a certificate.
    #[error("holds no PEM certificate")]
    Empty,
}

/// Why no handshake happened ([`inspect`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsError {
    /// The platform's roots (with the extra ones) could not be loaded.
    #[error("cannot load the trusted roots: {0}")]
    Roots(String),
    /// rustls refused its own configuration.
    #[error("{0}")]
    Config(String),
    /// The host is not a name a certificate can be checked against.
    #[error("`{host}` is not a valid TLS server name: {reason}")]
    ServerName {
        /// The host as given.
        host: String,
        /// Why not.
        reason: String,
    },
    /// No TCP connection.
    #[error("cannot connect to {addr}: {reason}")]
    Connect {
        /// Where.
        addr: SocketAddr,
        /// What connecting said.
        reason: String,
    },
    /// A TCP connection, but the handshake failed.
    #[error("TLS handshake with {addr} failed: {reason}")]
    Handshake {
        /// Where.
        addr: SocketAddr,
        /// What the handshake said.
        reason: String,
    },
    /// The handshake did not finish in time.
    #[error("no TLS handshake with {addr} within {ms}ms")]
    Timeout {
        /// Where.
        addr: SocketAddr,
        /// The time it had, in milliseconds.
        ms: u128,
    },
    /// The handshake finished without a certificate.
    #[error("the server sent no certificate")]
    NoCertificate,
    /// The certificate is not X.509 that can be read.
    #[error("the certificate cannot be parsed: {0}")]
    Unparsable(String),
}

/// Parses every certificate of a PEM bundle (an env's `ca_file`).
pub fn parse_pem_roots(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem).collect();
    let certs = certs.map_err(|e| PemError::NotPem(e.to_string()))?;
    if certs.is_empty() {
        return Err(PemError::Empty);
    }
    Ok(certs)
}

#[derive(Debug)]
struct Recording {
    inner: Arc<dyn ServerCertVerifier>,
    verdict: Mutex<Option<Result<(), rustls::Error>>>,
    leaf: Mutex<Option<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ());
        *self.verdict.lock().unwrap_or_else(|e| e.into_inner()) = Some(verdict);
        *self.leaf.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(end_entity.clone().into_owned());
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Shakes hands with `host` at `addr` and reports what the certificate says.
/// `Err` means no handshake happened (refused, timeout, not TLS).
pub async fn inspect(
    host: &str,
    addr: SocketAddr,
    extra_roots: &[CertificateDer<'static>],
    timeout: Duration,
) -> Result<TlsFacts, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let platform = rustls_platform_verifier::Verifier::new_with_extra_roots(
        extra_roots.iter().cloned(),
        provider.clone(),
    )
    .map_err(|e| TlsError::Roots(e.to_string()))?;
    let recording = Arc::new(Recording {
        inner: Arc::new(platform),
        verdict: Mutex::new(None),
        leaf: Mutex::new(None),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(recording.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string()).map_err(|e| TlsError::ServerName {
        host: host.to_string(),
        reason: e.to_string(),
    })?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| TlsError::Connect {
                addr,
                reason: e.to_string(),
            })?;
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| TlsError::Handshake {
                addr,
                reason: e.to_string(),
            })?;
        let protocol = tls
            .get_ref()
            .1
            .protocol_version()
            .map_or_else(|| "unknown".to_string(), |v| format!("{v:?}"));
        Ok::<_, TlsError>(protocol)
    };
    let protocol = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| TlsError::Timeout {
            addr,
            ms: timeout.as_millis(),
        })??;
    let leaf = recording
        .leaf
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .ok_or(TlsError::NoCertificate)?;
    let verdict = recording
        .verdict
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or(Ok(()));
    describe(&leaf, verdict, protocol)
}

fn describe(
    leaf: &CertificateDer<'_>,
    verdict: Result<(), rustls::Error>,
    protocol: String,
) -> Result<TlsFacts, TlsError> {
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| TlsError::Unparsable(e.to_string()))?;
    let validity = cert.validity();
    let ts =
        |t: i64| jiff::Timestamp::from_second(t).map_or_else(|_| t.to_string(), |t| t.to_string());
    let not_after = validity.not_after.timestamp();
    let now = jiff::Timestamp::now().as_second();
    let (subject, issuer) = (cert.subject().to_string(), cert.issuer().to_string());
    // Names in a certificate, and a verifier's error quoting them, are the
    // server's words: cleaned where they enter.
    let clean = |t: &str| crate::text::untrusted_str(t, 300);
    Ok(TlsFacts {
        untrusted: verdict.err().map(|e| clean(&e.to_string())),
        self_signed: subject == issuer,
        subject: clean(&subject),
        issuer: clean(&issuer),
        not_before: ts(validity.not_before.timestamp()),
        not_after: ts(not_after),
        days_left: (not_after - now).div_euclid(86_400),
        protocol,
    })
}
