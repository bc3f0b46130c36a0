//! A TCP forwarder on loopback the test can cut, to partition processes that talk over TCP.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A TCP forwarder the test can cut: while cut, open connections are closed and new ones dropped.
pub struct Proxy {
    /// The loopback port to connect to instead of the target's.
    pub port: u16,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// A forwarder from a free loopback port to `target`'s.
    pub fn to(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (c, o) = (cut.clone(), open.clone());
        std::thread::spawn(move || {
            for inbound in listener.incoming() {
                let Ok(inbound) = inbound else { continue };
                if c.load(Ordering::SeqCst) {
                    continue; // dropped
                }
                let Ok(outbound) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let links = {
                    // Checked again under the lock `set_cut` drains with: a link accepted just
                    // before a cut and connected just after it would otherwise outlive the cut
                    // (the partition leaked under load: "c is cut off" failed now and then).
                    let mut o = o.lock().unwrap();
                    if c.load(Ordering::SeqCst) {
                        let _ = inbound.shutdown(Shutdown::Both);
                        let _ = outbound.shutdown(Shutdown::Both);
                        continue;
                    }
                    let (Ok(i), Ok(o2), Ok(i2), Ok(o3)) = (
                        inbound.try_clone(),
                        outbound.try_clone(),
                        inbound.try_clone(),
                        outbound.try_clone(),
                    ) else {
                        continue; // out of descriptors: the link is dropped, as a cut one
                    };
                    o.push(i);
                    o.push(o2);
                    [(i2, o3), (outbound, inbound)]
                };
                for (mut from, mut to) in links {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                        let _ = from.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Proxy { port, cut, open }
    }

    /// Cuts (closing every open link) or restores the forwarder.
    pub fn set_cut(&self, cut: bool) {
        // Stored before the drain, so a link the accept loop adds after the drain sees it.
        self.cut.store(cut, Ordering::SeqCst);
        if cut {
            for s in self.open.lock().unwrap().drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}
