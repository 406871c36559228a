//! Shared fixtures: a CA, a server certificate, and an in-memory TLS handshake.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use certs::{
    IssuedCertificate, KeyAlgorithm, OperatorCa, ParticipantSubject, PeerIdentity,
    ReloadableServerCert, TrustState, certs_from_pem, crypto_provider, private_key_from_pem,
};
use rustls::{
    ClientConfig, ClientConnection, HandshakeKind, ProtocolVersion, ServerConfig, ServerConnection,
    SupportedProtocolVersion,
};
use rustls_pki_types::ServerName;

pub const FACILITY_OID: &str = "1.2.392.200119.6.102.11310001";

pub struct Pki {
    pub ca: OperatorCa,
    pub server: IssuedCertificate,
    pub trust: TrustState,
    pub server_cert: Arc<ReloadableServerCert>,
}

impl Pki {
    pub fn new(algorithm: KeyAlgorithm) -> Self {
        Self::named(algorithm, "renkei test operator CA")
    }

    pub fn named(algorithm: KeyAlgorithm, ca_name: &str) -> Self {
        let ca = OperatorCa::generate(algorithm, ca_name, 3650).unwrap();
        let server = ca
            .issue_server(
                &["localhost".to_owned()],
                &[IpAddr::V4(Ipv4Addr::LOCALHOST)],
                365,
            )
            .unwrap();
        let trust = TrustState::from_ca_pem(ca.cert_pem()).unwrap();
        let server_cert = Arc::new(
            ReloadableServerCert::from_pem(&server.cert_pem, server.key_pem.as_deref().unwrap())
                .unwrap(),
        );
        Self {
            ca,
            server,
            trust,
            server_cert,
        }
    }

    pub fn server_config(&self) -> Arc<ServerConfig> {
        Arc::new(certs::server_config(&self.trust, Arc::clone(&self.server_cert)).unwrap())
    }

    pub fn participant(&self, facility_oid: &str) -> IssuedCertificate {
        self.ca
            .issue_participant(&subject(facility_oid), 30)
            .unwrap()
    }

    /// A client config presenting `cert` (issued with a key) and trusting this CA.
    pub fn client(&self, cert: &IssuedCertificate) -> Arc<ClientConfig> {
        Arc::new(
            certs::client_config(
                self.ca.cert_pem(),
                &cert.cert_pem,
                cert.key_pem.as_deref().unwrap(),
            )
            .unwrap(),
        )
    }
}

pub fn subject(facility_oid: &str) -> ParticipantSubject {
    ParticipantSubject {
        facility_oid: facility_oid.to_owned(),
        facility_name: "Minato Care Home".to_owned(),
        common_name: "records-system".to_owned(),
    }
}

/// A client config limited to `versions`, presenting `chain_pem` with `key_pem`.
pub fn client_with_versions(
    ca_pem: &str,
    chain_pem: &str,
    key_pem: &str,
    versions: &[&'static SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for c in certs_from_pem(ca_pem).unwrap() {
        roots.add(c).unwrap();
    }
    Arc::new(
        ClientConfig::builder_with_provider(crypto_provider())
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(
                certs_from_pem(chain_pem).unwrap(),
                private_key_from_pem(key_pem).unwrap(),
            )
            .unwrap(),
    )
}

/// What happened in one connection attempt.
#[derive(Debug)]
pub struct Outcome {
    pub server_error: Option<rustls::Error>,
    pub client_error: Option<rustls::Error>,
    /// Application data made the round trip both ways.
    pub exchanged: bool,
    pub peer: Option<PeerIdentity>,
    pub kind: Option<HandshakeKind>,
    pub version: Option<ProtocolVersion>,
    pub suite: Option<rustls::CipherSuite>,
    pub server_cert_der: Option<Vec<u8>>,
}

impl Outcome {
    pub fn accepted(&self) -> bool {
        self.server_error.is_none() && self.client_error.is_none() && self.exchanged
    }

    pub fn server_invalid_certificate(&self) -> Option<&rustls::CertificateError> {
        match &self.server_error {
            Some(rustls::Error::InvalidCertificate(e)) => Some(e),
            _ => None,
        }
    }

    pub fn client_alert(&self) -> Option<rustls::AlertDescription> {
        match &self.client_error {
            Some(rustls::Error::AlertReceived(a)) => Some(*a),
            _ => None,
        }
    }
}

/// Moves pending TLS records from `from` to `to`; returns whether anything moved
/// and the receiver's processing error, if any.
fn transfer(
    from: &mut dyn FnMut(&mut Vec<u8>) -> bool,
    to: &mut dyn FnMut(&[u8]) -> Option<rustls::Error>,
) -> (bool, Option<rustls::Error>) {
    let mut buf = Vec::new();
    if !from(&mut buf) {
        return (false, None);
    }
    (true, to(&buf))
}

/// Runs a full connection: handshake, then "ping" from the client and "pong"
/// from the server, pumping records until nothing moves.
pub fn connect(server_config: Arc<ServerConfig>, client_config: Arc<ClientConfig>) -> Outcome {
    let name = ServerName::try_from("localhost").unwrap();
    let mut client = ClientConnection::new(client_config, name).unwrap();
    let mut server = ServerConnection::new(server_config).unwrap();
    let mut server_error = None;
    let mut client_error = None;
    let mut sent_data = false;

    for _ in 0..50 {
        if !sent_data
            && !client.is_handshaking()
            && !server.is_handshaking()
            && server_error.is_none()
        {
            client.writer().write_all(b"ping").unwrap();
            server.writer().write_all(b"pong").unwrap();
            sent_data = true;
        }
        let (c2s, err) = transfer(
            &mut |buf| {
                let mut moved = false;
                while client.wants_write() {
                    moved |= client.write_tls(buf).unwrap() > 0;
                }
                moved
            },
            &mut |bytes| feed(&mut server, bytes),
        );
        if server_error.is_none() {
            server_error = err;
        }
        let (s2c, err) = transfer(
            &mut |buf| {
                let mut moved = false;
                while server.wants_write() {
                    moved |= server.write_tls(buf).unwrap() > 0;
                }
                moved
            },
            &mut |bytes| feed_client(&mut client, bytes),
        );
        if client_error.is_none() {
            client_error = err;
        }
        if !c2s && !s2c && (sent_data || server_error.is_some() || client_error.is_some()) {
            break;
        }
    }

    let mut exchanged = false;
    if sent_data && server_error.is_none() && client_error.is_none() {
        let mut got_ping = [0u8; 4];
        let mut got_pong = [0u8; 4];
        exchanged = server.reader().read_exact(&mut got_ping).is_ok()
            && client.reader().read_exact(&mut got_pong).is_ok()
            && &got_ping == b"ping"
            && &got_pong == b"pong";
    }
    let peer = server
        .peer_certificates()
        .and_then(|chain| PeerIdentity::from_peer_certificates(chain).ok());
    Outcome {
        server_error,
        client_error,
        exchanged,
        peer,
        kind: server.handshake_kind(),
        version: server.protocol_version(),
        suite: server.negotiated_cipher_suite().map(|s| s.suite()),
        server_cert_der: client
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| c.as_ref().to_vec()),
    }
}

fn feed(server: &mut ServerConnection, mut bytes: &[u8]) -> Option<rustls::Error> {
    while !bytes.is_empty() {
        if server.read_tls(&mut bytes).is_err() {
            break;
        }
        if let Err(e) = server.process_new_packets() {
            return Some(e);
        }
    }
    None
}

fn feed_client(client: &mut ClientConnection, mut bytes: &[u8]) -> Option<rustls::Error> {
    while !bytes.is_empty() {
        if client.read_tls(&mut bytes).is_err() {
            break;
        }
        if let Err(e) = client.process_new_packets() {
            return Some(e);
        }
    }
    None
}

impl Pki {
    /// A client config presenting an explicit PEM chain.
    pub fn client_from(&self, chain_pem: &str, key_pem: &str) -> Arc<ClientConfig> {
        Arc::new(certs::client_config(self.ca.cert_pem(), chain_pem, key_pem).unwrap())
    }
}

/// Every subjectAltName of `cert`, URIs as text, other kinds in Debug form.
pub fn san_uris(cert: &x509_parser::prelude::X509Certificate<'_>) -> Vec<String> {
    use x509_parser::extensions::GeneralName;
    cert.subject_alternative_name()
        .unwrap()
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .map(|n| match n {
                    GeneralName::URI(u) => (*u).to_owned(),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .unwrap_or_default()
}
