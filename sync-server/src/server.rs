//! The listener: accepts connections and serves the router on each, with the limits a public server
//! needs and `axum::serve` does not set — a cap on connections served at once (more wait in the
//! kernel's backlog), a deadline for a request's headers from the moment the connection is open (a
//! client that sends nothing, or trickles its headers byte by byte — slowloris — is cut off),
//! `TCP_NODELAY` (sync frames are small and latency-bound), and the client's address for per-address
//! rate limits. HTTP/1.1 only: hyper's HTTP/1 connection starts its header timer at once, whereas the
//! auto-detecting builder first waits, with no deadline, to learn which version the client speaks;
//! browsers speak HTTP/1.1 to a plain-HTTP relay, and a TLS proxy in front speaks whatever it likes
//! to browsers.

use std::net::SocketAddr;
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
        let _ = stream.set_nodelay(true);
        let forwarded = limits.trust_forwarded_for;
        let service = app.clone().map_request(move |mut request: axum::extract::Request<_>| {
            let client = if forwarded { forwarded_for(request.headers()) } else { None };
            let client = client.map(|ip| SocketAddr::new(ip, 0)).unwrap_or(address);
            request.extensions_mut().insert(ConnectInfo(client));
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
            drop(slot);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a slot until it ends: all slots back means all connections done.
    let _ = slots.acquire_many(most as u32).await;
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
