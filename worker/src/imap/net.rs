//! TCP and TLS transport for one IMAP connection: connect with a deadline, read timeouts,
//! implicit TLS or a STARTTLS upgrade with rustls, optional certificate verification, and a
//! handle that aborts a blocked read from another thread.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The socket underneath, plain or TLS-wrapped.
enum Transport {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

/// A plain or TLS stream with shared ownership: the `imap` crate's session and the engine's
/// own bulk path ([`super::raw`]) take turns on the same connection, never at the same time
/// (each command completes before the next starts, so no buffered bytes are lost).
#[derive(Clone)]
pub struct Stream(Arc<Mutex<Transport>>);

impl Stream {
    pub fn plain(tcp: TcpStream) -> Self {
        Stream(Arc::new(Mutex::new(Transport::Plain(tcp))))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Transport> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut *self.lock() {
            Transport::Plain(s) => s.read(buf),
            Transport::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut *self.lock() {
            Transport::Plain(s) => s.write(buf),
            Transport::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut *self.lock() {
            Transport::Plain(s) => s.flush(),
            Transport::Tls(s) => s.flush(),
        }
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match &*self.lock() {
            Transport::Plain(_) => "Stream::Plain",
            Transport::Tls(_) => "Stream::Tls",
        })
    }
}

/// Aborts the connection from another thread: any blocked read or write fails at once.
#[derive(Debug)]
pub struct AbortHandle(TcpStream);

impl AbortHandle {
    /// Another handle on the same connection.
    pub fn duplicate(&self) -> io::Result<AbortHandle> {
        self.0.try_clone().map(AbortHandle)
    }

    pub fn abort(&self) {
        let _ = self.0.shutdown(Shutdown::Both);
    }
}

/// Why the transport could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot connect to {addr}: {source}")]
    Connect { addr: String, source: io::Error },
    #[error("TLS failure with {host}: {source}")]
    Tls { host: String, source: io::Error },
    /// The network, not TLS, failed during the handshake (closed, reset or timed out).
    #[error("connection lost during the TLS handshake with {host}: {source}")]
    Handshake { host: String, source: io::Error },
}

/// True for an error of the connection itself rather than of the TLS protocol.
fn is_transport_failure(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::NotConnected
            | io::ErrorKind::TimedOut
            | io::ErrorKind::WouldBlock
    )
}

/// Opens a TCP connection with `timeout` for the connect and for every later read and write.
/// The candidates are `addresses` in order, resolved beforehand by whoever built the spec; only
/// when there are none is `host` resolved here.
pub fn connect_tcp(
    host: &str,
    port: u16,
    addresses: &[SocketAddr],
    timeout: Duration,
) -> Result<TcpStream, NetError> {
    let addr = format!("{host}:{port}");
    let fail = |source| NetError::Connect {
        addr: addr.clone(),
        source,
    };
    let candidates: Vec<SocketAddr> = if addresses.is_empty() {
        (host, port).to_socket_addrs().map_err(fail)?.collect()
    } else {
        addresses.to_vec()
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address found");
    for candidate in candidates {
        match TcpStream::connect_timeout(&candidate, timeout) {
            Ok(stream) => {
                stream.set_read_timeout(Some(timeout)).map_err(fail)?;
                stream.set_write_timeout(Some(timeout)).map_err(fail)?;
                stream.set_nodelay(true).map_err(fail)?;
                return Ok(stream);
            }
            Err(err) => last = err,
        }
    }
    Err(fail(last))
}

/// A handle that can abort `stream` later.
pub fn abort_handle(stream: &TcpStream) -> io::Result<AbortHandle> {
    stream.try_clone().map(AbortHandle)
}

/// Wraps `tcp` in TLS and completes the handshake, so certificate errors surface here.
pub fn start_tls(tcp: TcpStream, host: &str, verify: bool) -> Result<Stream, NetError> {
    let fail = |source| NetError::Tls {
        host: host.to_string(),
        source,
    };
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| fail(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
    let conn =
        ClientConnection::new(tls_config(verify), name).map_err(|e| fail(io::Error::other(e)))?;
    let mut stream = StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .map_err(|source| {
                if is_transport_failure(&source) {
                    NetError::Handshake {
                        host: host.to_string(),
                        source,
                    }
                } else {
                    fail(source)
                }
            })?;
    }
    Ok(Stream(Arc::new(Mutex::new(Transport::Tls(Box::new(
        stream,
    ))))))
}

fn tls_config(verify: bool) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions");
    let config = if verify {
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth()
    };
    Arc::new(config)
}

/// Verification off (imapsync's default, and the NS8 local Dovecot on a VPN address): any
/// certificate is accepted, but handshake signatures are still checked.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A server that reads its first client's hello, answers `reply` and closes a moment
    /// later.
    fn server(reply: &'static [u8]) -> TcpStream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let _ = stream.read(&mut [0u8; 4096]);
            let _ = stream.write_all(reply);
            std::thread::sleep(std::time::Duration::from_millis(500));
        });
        TcpStream::connect(address).unwrap()
    }

    #[test]
    fn a_handshake_cut_by_the_network_is_not_a_tls_failure() {
        let err = start_tls(server(b""), "127.0.0.1", false).unwrap_err();
        assert!(matches!(err, NetError::Handshake { .. }), "{err}");
        assert!(err
            .to_string()
            .starts_with("connection lost during the TLS handshake"));
    }

    #[test]
    fn a_server_that_does_not_speak_tls_is_a_tls_failure() {
        let err = start_tls(server(b"* OK plain IMAP here\r\n"), "127.0.0.1", false).unwrap_err();
        assert!(matches!(err, NetError::Tls { .. }), "{err}");
    }
}
