//! Stand-ins for remote IMAP servers: a forwarder that gives the local Dovecot a remote
//! address with ports 143 and 993, and a silent server that accepts connections and never answers.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

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
                            pipe_both_ways(client, server);
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

fn pipe_both_ways(client: TcpStream, server: TcpStream) {
    let (Ok(client_reader), Ok(server_reader)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    std::thread::spawn(move || copy_until_end(client_reader, server));
    std::thread::spawn(move || copy_until_end(server_reader, client));
}

fn copy_until_end(mut from: TcpStream, mut to: TcpStream) {
    let mut buffer = [0u8; 16384];
    while let Ok(n) = from.read(&mut buffer) {
        if n == 0 || to.write_all(&buffer[..n]).is_err() {
            break;
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
