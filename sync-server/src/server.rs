//! The listener: accepts connections and serves the router on each, with the limits a public server
//! needs and `axum::serve` does not set — a cap on connections served at once (more wait in the
//! kernel's backlog), a deadline for a request's headers from the moment the connection is open (a
//! client that sends nothing, or trickles its headers byte by byte — slowloris — is cut off),
//! `TCP_NODELAY` (sync frames are small and latency-bound), a cap on connections per client address
//! (one address cannot take every slot), a write deadline on every socket (a client that stops reading
//! a response or a websocket is cut off), and the client's address for per-address rate limits. HTTP/1.1 only: hyper's HTTP/1 connection starts its header timer at once, whereas the
//! auto-detecting builder first waits, with no deadline, to learn which version the client speaks;
//! browsers speak HTTP/1.1 to a plain-HTTP relay, and a TLS proxy in front speaks whatever it likes
//! to browsers.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::limits::Limits;

/// Serves `app` on `listener` until `shutdown` resolves, then waits for open connections to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) {
    let most = limits.http_connections.max(1);
    let slots = Arc::new(tokio::sync::Semaphore::new(most));
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let addresses = Addresses::new(limits.connections_per_address);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot,
        };
        let Ok(slot) = slot else { break };
        let (stream, address) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Behind a proxy every connection comes from the proxy: there, addresses are told apart per
        // request (`X-Forwarded-For`), by the rate limits, and only the total is capped here.
        let per_address = if limits.trust_forwarded_for {
            None
        } else {
            match addresses.admit(address.ip()) {
                Some(admitted) => Some(Arc::new(admitted)),
                None => {
                    tracing::debug!(%address, "refused: too many connections from one address");
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.write_timeout));
        let stream = Box::pin(stream);
        let forwarded = limits.trust_forwarded_for;
        let hold = per_address.clone().map(AddressHold);
        let service = app.clone().map_request(move |mut request: axum::extract::Request<_>| {
            let client = if forwarded { forwarded_for(request.headers()) } else { None };
            let client = client.map(|ip| SocketAddr::new(ip, 0)).unwrap_or(address);
            request.extensions_mut().insert(ConnectInfo(client));
            if let Some(hold) = &hold {
                request.extensions_mut().insert(hold.clone());
            }
            request
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = async { drop(stopping.wait_for(|stop| *stop).await) } => {
                    // Finish the request in progress, take no more.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop((slot, per_address));
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a slot until it ends: all slots back means all connections done.
    let _ = slots.acquire_many(most as u32).await;
}

/// Connections open per client address, so that one address cannot take every connection slot. An
/// IPv6 client is counted by its /64: one host is commonly given a whole /64 and could otherwise open
/// its connections from as many addresses as it likes.
#[derive(Clone)]
struct Addresses {
    open: Arc<std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>>,
    most: usize,
}

/// One connection counted against its address until dropped.
pub(crate) struct Admitted {
    addresses: Addresses,
    key: IpAddr,
}

/// A connection's place in its address's count, for a handler that outlives the HTTP connection: a
/// sync socket keeps it for its life, so upgraded connections count against their address too.
#[derive(Clone)]
pub(crate) struct AddressHold(#[allow(dead_code, reason = "held for its Drop")] Arc<Admitted>);

impl Addresses {
    fn new(most: usize) -> Addresses {
        Addresses { open: Arc::default(), most: most.max(1) }
    }

    fn admit(&self, address: IpAddr) -> Option<Admitted> {
        let key = address_key(address);
        let mut open = self.open.lock().unwrap_or_else(|poison| poison.into_inner());
        let count = open.entry(key).or_default();
        if *count >= self.most {
            return None;
        }
        *count += 1;
        Some(Admitted { addresses: self.clone(), key })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.addresses.open.lock().unwrap_or_else(|poison| poison.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// What identifies a client for per-address limits: an IPv4 address, or an IPv6 address's /64 (an
/// IPv4 address mapped into IPv6 counts as itself).
pub(crate) fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(prefix))
            }
        },
        v4 => v4,
    }
}

/// The address the proxy in front saw: the last entry of `X-Forwarded-For` (earlier ones are the
/// client's own claims).
fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<std::net::IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?;
    last.rsplit(',').next()?.trim().parse().ok()
}

/// The client's address, where the listener recorded it (tests that call the router directly have
/// none).
pub(crate) fn client_address(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| *address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_host_is_one_client_across_its_64() {
        let key = |text: &str| address_key(text.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff:1:2:3"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
    }

    #[test]
    fn an_address_holds_only_so_many_connections_and_gets_them_back() {
        let addresses = Addresses::new(2);
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let one = addresses.admit(ip).unwrap();
        let _two = addresses.admit(ip).unwrap();
        assert!(addresses.admit(ip).is_none());
        assert!(addresses.admit("192.0.2.8".parse().unwrap()).is_some(), "others are not affected");
        drop(one);
        assert!(addresses.admit(ip).is_some());
    }
}
