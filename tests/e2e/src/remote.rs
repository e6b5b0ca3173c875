//! Stand-ins for remote IMAP servers: a forwarder that gives the local Dovecot a remote
//! address with ports 143 and 993 (optionally as slow as a real link), and a silent server
//! that accepts connections and never answers.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Plain IMAP port of a "remote" server, as in the Robot suites.
pub const REMOTE_PORT: u16 = 143;
/// Implicit TLS port of a "remote" server.
pub const REMOTE_TLS_PORT: u16 = 993;

/// TCP forwarders from `<random 127.x.y.z>:143` and `:993` to local ports.
pub struct Forwarder {
    address: Ipv4Addr,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Forwarder {
    /// Forwards a fresh loopback address's ports 143 and 993 to `127.0.0.1:<imap_port>`
    /// and `127.0.0.1:<imaps_port>`.
    pub fn start(imap_port: u16, imaps_port: u16) -> Forwarder {
        Forwarder::start_with(imap_port, imaps_port, None)
    }

    /// [`Forwarder::start`], each direction of each connection carrying at most
    /// `bytes_per_sec` bytes per second (a slow remote server, so a run lasts long enough
    /// to be watched).
    pub fn start_throttled(imap_port: u16, imaps_port: u16, bytes_per_sec: u64) -> Forwarder {
        Forwarder::start_with(imap_port, imaps_port, Some(bytes_per_sec.max(1)))
    }

    fn start_with(imap_port: u16, imaps_port: u16, bytes_per_sec: Option<u64>) -> Forwarder {
        let (address, listeners) = (0..50)
            .find_map(|_| {
                let bytes = crate::ids::alphanumeric(3).into_bytes();
                let address = Ipv4Addr::new(127, 1 + bytes[0] % 250, bytes[1], 1 + bytes[2] % 250);
                let plain = TcpListener::bind((address, REMOTE_PORT)).ok()?;
                let tls = TcpListener::bind((address, REMOTE_TLS_PORT)).ok()?;
                Some((address, [(plain, imap_port), (tls, imaps_port)]))
            })
            .expect("no free 127.x.y.z:143 address (are the tests running as root?)");
        let stop = Arc::new(AtomicBool::new(false));
        let threads = listeners
            .into_iter()
            .map(|(listener, target)| {
                let flag = stop.clone();
                std::thread::spawn(move || {
                    for client in listener.incoming() {
                        if flag.load(Ordering::Relaxed) {
                            break;
                        }
                        let Ok(client) = client else { continue };
                        if let Ok(server) = TcpStream::connect(("127.0.0.1", target)) {
                            pipe_both_ways(client, server, bytes_per_sec);
                        }
                    }
                })
            })
            .collect();
        Forwarder {
            address,
            stop,
            threads,
        }
    }

    /// The address to give as `remotehostname`.
    pub fn host(&self) -> String {
        self.address.to_string()
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for port in [REMOTE_PORT, REMOTE_TLS_PORT] {
            let _ = TcpStream::connect(SocketAddr::from((self.address, port)));
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn pipe_both_ways(client: TcpStream, server: TcpStream, bytes_per_sec: Option<u64>) {
    let (Ok(client_reader), Ok(server_reader)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    std::thread::spawn(move || copy_until_end(client_reader, server, bytes_per_sec));
    std::thread::spawn(move || copy_until_end(server_reader, client, bytes_per_sec));
}

/// Copies until either side closes; with a rate, reads are at most a twentieth of a
/// second's worth of bytes and each one is followed by the time it takes on such a link.
fn copy_until_end(mut from: TcpStream, mut to: TcpStream, bytes_per_sec: Option<u64>) {
    let mut buffer = [0u8; 16384];
    let chunk = bytes_per_sec.map_or(buffer.len(), |rate| {
        usize::try_from(rate / 20).map_or(buffer.len(), |n| n.clamp(1, buffer.len()))
    });
    while let Ok(n) = from.read(&mut buffer[..chunk]) {
        if n == 0 || to.write_all(&buffer[..n]).is_err() {
            break;
        }
        if let Some(rate) = bytes_per_sec {
            std::thread::sleep(Duration::from_secs_f64(n as f64 / rate as f64));
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
}

/// A server that accepts connections and never says a word.
pub struct SilentServer {
    port: u16,
}

impl SilentServer {
    /// Listens on a free `127.0.0.1` port; connections are held open for the test's life.
    pub fn start() -> SilentServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a silent server");
        let port = listener.local_addr().expect("local address").port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().map_while(Result::ok) {
                held.push(stream);
            }
        });
        SilentServer { port }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A server on a free port that sends `size` bytes to its first client and closes.
    fn sender(size: usize) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let _ = stream.write_all(&vec![b'x'; size]);
            }
        });
        port
    }

    #[test]
    fn a_throttled_forwarder_carries_everything_at_the_given_rate() {
        let port = sender(40_000);
        let forwarder = Forwarder::start_throttled(port, port, 100_000);
        let begin = Instant::now();
        let mut client = TcpStream::connect((forwarder.host().as_str(), REMOTE_PORT)).unwrap();
        let mut received = Vec::new();
        client.read_to_end(&mut received).unwrap();
        let elapsed = begin.elapsed();
        assert_eq!(received.len(), 40_000);
        assert!(
            elapsed >= Duration::from_millis(350),
            "40 kB at 100 kB/s took only {elapsed:?}"
        );
        assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    }

    #[test]
    fn an_unthrottled_forwarder_is_fast() {
        let port = sender(4_000_000);
        let forwarder = Forwarder::start(port, port);
        let begin = Instant::now();
        let mut client = TcpStream::connect((forwarder.host().as_str(), REMOTE_PORT)).unwrap();
        let mut received = Vec::new();
        client.read_to_end(&mut received).unwrap();
        assert_eq!(received.len(), 4_000_000);
        assert!(
            begin.elapsed() < Duration::from_secs(2),
            "{:?}",
            begin.elapsed()
        );
    }
}
