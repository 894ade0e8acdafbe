//! Failed logins (issue 12, item 6): each is logged, and a peer that keeps failing waits
//! longer and longer before its next credentials are checked.
//!
//! Per peer address: the first [`FREE`] failures in a row cost nothing; after them, a request
//! from that peer that carries credentials waits until the peer's back-off has passed, and
//! each further failure doubles the back-off, from [`BASE`] up to [`MAX`]. A success clears
//! the peer, and so do [`QUIET`] minutes without a failure. A request without an
//! `Authorization` header is no login attempt: refused at once, neither counted nor logged
//! (clients ask without credentials first). At most [`MAX_PEERS`] peers are followed, so
//! that requests from many addresses cannot grow the table without bound.
//!
//! The log line names the peer, the scheme (`basic`, `bearer` or `other`) and the count,
//! never a credential.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Failures in a row that cost no wait (a mistyped password, a token that just expired).
pub const FREE: u32 = 5;
/// The first back-off after the free failures.
pub const BASE: Duration = Duration::from_millis(100);
/// The longest back-off: an attacker gets at most one answer a second per address and
/// connection, a user who fixes the password waits at most this long.
pub const MAX: Duration = Duration::from_secs(1);
/// Without a failure for this long, a peer starts afresh.
pub const QUIET: Duration = Duration::from_secs(600);
/// Peers followed at once.
pub const MAX_PEERS: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Peer {
    failures: u32,
    /// Credentials from this peer are not checked before then.
    next: Instant,
    last: Instant,
}

/// The failed logins of one server.
#[derive(Debug, Default)]
pub struct Backoff {
    peers: Mutex<HashMap<IpAddr, Peer>>,
}

/// The back-off after `failures` in a row.
fn delay(failures: u32) -> Duration {
    match failures.checked_sub(FREE) {
        None | Some(0) => Duration::ZERO,
        Some(n) => BASE.saturating_mul(1 << (n - 1).min(16)).min(MAX),
    }
}

impl Backoff {
    fn peers(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Peer>> {
        self.peers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long a request from `peer` that carries credentials waits before they are
    /// checked.
    pub fn wait(&self, peer: IpAddr) -> Duration {
        let now = Instant::now();
        (self.peers().get(&peer))
            .filter(|p| now.duration_since(p.last) < QUIET)
            .map_or(Duration::ZERO, |p| p.next.saturating_duration_since(now))
    }

    /// Records a failure of `peer`: its failures in a row, and the back-off now due.
    pub fn failed(&self, peer: IpAddr) -> (u32, Duration) {
        let now = Instant::now();
        let mut peers = self.peers();
        if peers.len() >= MAX_PEERS && !peers.contains_key(&peer) {
            peers.retain(|_, p| now.duration_since(p.last) < QUIET);
        }
        let fresh = Peer {
            failures: 0,
            next: now,
            last: now,
        };
        if peers.len() >= MAX_PEERS && !peers.contains_key(&peer) {
            return (1, Duration::ZERO);
        }
        let entry = peers.entry(peer).or_insert(fresh);
        if now.duration_since(entry.last) >= QUIET {
            *entry = fresh;
        }
        entry.failures = entry.failures.saturating_add(1);
        entry.last = now;
        let wait = delay(entry.failures);
        entry.next = now + wait;
        (entry.failures, wait)
    }

    /// `peer` logged in: its failures are forgotten.
    pub fn succeeded(&self, peer: IpAddr) {
        self.peers().remove(&peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_grows_after_the_free_failures_up_to_its_bound() {
        let waits: Vec<Duration> = (1..=12).map(delay).collect();
        assert!(waits[..FREE as usize].iter().all(Duration::is_zero));
        assert_eq!(waits[FREE as usize], BASE);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
        assert_eq!(*waits.last().expect("some"), MAX);
        assert_eq!(delay(u32::MAX), MAX);
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_waits_after_failures_and_a_success_clears_it() {
        let backoff = Backoff::default();
        let (peer, other) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        for n in 1..=FREE {
            assert_eq!(backoff.failed(peer), (n, Duration::ZERO));
        }
        assert_eq!(backoff.failed(peer), (FREE + 1, BASE));
        assert_eq!(backoff.wait(peer), BASE);
        assert_eq!(backoff.wait(other), Duration::ZERO, "per peer");
        tokio::time::advance(BASE).await;
        assert_eq!(backoff.wait(peer), Duration::ZERO);
        backoff.succeeded(peer);
        assert_eq!(backoff.failed(peer), (1, Duration::ZERO));
        tokio::time::advance(QUIET).await;
        assert_eq!(
            backoff.failed(peer),
            (1, Duration::ZERO),
            "quiet long enough"
        );
    }
}
