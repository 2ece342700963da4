//! A certificate authority made for one test, its PEM file, and a TLS acceptor for a
//! localhost server whose certificate it signed: how https peers are stood up in tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

pub struct TestCa {
    /// The CA certificate as PEM, in a file of its own (removed on drop).
    pub ca_file: PathBuf,
    /// Serves `127.0.0.1` and `localhost` with a certificate this CA signed.
    pub acceptor: TlsAcceptor,
}

impl TestCa {
    pub fn new() -> TestCa {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Causeway test CA");
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let server_key = KeyPair::generate().expect("server key");
        let server = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .expect("server params")
            .signed_by(&server_key, &ca, &ca_key)
            .expect("server certificate");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(server.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
            )
            .expect("server TLS config");
        let ca_file =
            std::env::temp_dir().join(format!("causeway-test-ca-{}.pem", uuid::Uuid::new_v4()));
        std::fs::write(&ca_file, ca.pem()).expect("CA file");
        TestCa {
            ca_file,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        }
    }

    /// The CA's certificates as reqwest reads them from the file.
    pub fn roots(&self) -> Vec<reqwest::Certificate> {
        causeway::tls::extra_roots(Some(&self.ca_file)).expect("the test CA file is PEM")
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
    }
}
