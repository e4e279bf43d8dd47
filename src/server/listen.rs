//! Accepting connections with bounds, so that idle or half-sent connections cannot exhaust the
//! process (slowloris): a request's headers must arrive within `header_timeout` (which also
//! closes a keep-alive connection idle that long), at most `max_connections` are open (below
//! the process's descriptor limit, read at start), and one client address holds at most
//! `per_address` of them (`XOPS_TRUSTED_PROXIES` excepted: every client comes through them).
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;

use crate::config::Config;

/// Open connections per client address.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

impl PerAddress {
    fn try_add(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<AddressSlot> {
        let mut counts = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = counts.entry(ip).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(AddressSlot { table: self.clone(), ip })
    }
}

struct AddressSlot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self.table.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` with `config`'s connection limits until the process is told to
/// stop, then drains for at most `config.drain`: it stops accepting and lets requests in flight
/// finish (a load balancer draining this replica loses no request that can end).
pub async fn serve(listener: tokio::net::TcpListener, router: Router, config: &Config) -> std::io::Result<()> {
    let (limits, drain) = (&config.connections, config.drain);
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address = Arc::new(PerAddress::default());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(shutdown_signal());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
    loop {
        // At the cap, new connections wait in the kernel's backlog until one closes (the header
        // timeout guarantees idle ones do) instead of failing for want of descriptors.
        let slot = tokio::select! {
            slot = open.clone().acquire_owned() => slot,
            () = &mut stop => break,
        };
        let Ok(slot) = slot else { break };
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors or a connection reset before accept: pause, go on.
                    tracing::warn!(error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let trusted = config.trusted_proxies.iter().any(|proxy| proxy.contains(remote.ip()));
        let address_slot = if trusted { None } else {
            match per_address.try_add(remote.ip(), limits.per_address) {
                Some(address_slot) => Some(address_slot),
                // This address already holds its share: closed at once, others are not crowded out.
                None => continue,
            }
        };
        // Without TCP_NODELAY a response written in two pieces waits ~40 ms for a delayed ACK.
        let _ = tcp.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(tower::ServiceExt::map_request(
            router.clone(),
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo::<SocketAddr>(remote));
                request
            },
        ));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(tcp), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(address_slot);
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(drain) => {
            tracing::warn!(seconds = drain.as_secs(), "requests still in flight after the drain time; exiting");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_holds_at_most_its_share() {
        let table = Arc::new(PerAddress::default());
        let ip: IpAddr = "192.0.2.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let held: Vec<_> = (0..3).filter_map(|_| table.try_add(ip, 3)).collect();
        assert_eq!(held.len(), 3);
        assert!(table.try_add(ip, 3).is_none());
        drop(held);
        assert!(table.try_add(ip, 3).is_some(), "closed connections give their share back");
    }
}
