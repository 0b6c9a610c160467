//! The per-client throttle of state-changing requests: the generic cell
//! rate algorithm (GCRA, what governor implements) over a map of bounded
//! size, keyed by what one client controls.
//!
//! Written here rather than taken from governor because governor's keyed
//! store grows without bound between sweeps and cannot drop its oldest
//! keys: an attacker with many addresses (one IPv6 /64 holds 2^64) would
//! grow it at will. Here the map holds at most `capacity` keys and the
//! least recently seen goes first.

use hashlink::LruCache;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys the throttle remembers at most, per instance (about 64 bytes each).
pub const CAPACITY: usize = 100_000;

/// The "throttled" log line is written at most this often.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// What one client controls: an IPv4 address, or an IPv6 /64 (the
/// smallest block a provider hands out, so one subscriber has all of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    V4([u8; 4]),
    V6Net([u8; 8]),
    /// Anything else, by the first 128 bits of its SHA-256 (a client ID,
    /// or a client ID and an address).
    Named([u8; 16]),
}

impl Key {
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self::V4(v4.octets()),
            IpAddr::V6(v6) => {
                let octets = v6.octets();
                let mut net = [0; 8];
                net.copy_from_slice(&octets[..8]);
                Self::V6Net(net)
            }
        }
    }

    pub fn named(name: &str) -> Self {
        use sha2::{Digest, Sha256};
        let mut key = [0; 16];
        key.copy_from_slice(&Sha256::digest(name.as_bytes())[..16]);
        Self::Named(key)
    }
}

/// Allows `burst` requests at once per key, refilled at `per_minute`.
pub struct Throttle {
    /// Per key, the theoretical arrival time of its next request, in
    /// nanoseconds since `start`.
    cells: Mutex<LruCache<Key, u64>>,
    /// Nanoseconds between two requests at the steady rate.
    interval: u64,
    /// How far ahead of now a key's arrival time may run: the burst.
    tolerance: u64,
    start: Instant,
    /// When the last "throttled" line was logged (nanoseconds since
    /// `start`, plus one so that 0 means never), and refusals since.
    logged_at: AtomicU64,
    unlogged: AtomicU64,
    /// [`Throttle::one_at_a_time`]'s locks, and the hasher that picks
    /// one for a key: seeded at random, so that no one can work out which
    /// keys share a lock and crowd a chosen key's.
    turns: Box<[tokio::sync::Mutex<()>]>,
    turn_of: std::hash::RandomState,
}

/// How many locks [`Throttle::one_at_a_time`] shares out among keys.
const TURNS: usize = 64;

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("keys", &self.len())
            .finish_non_exhaustive()
    }
}

impl Throttle {
    pub fn new(per_minute: u32, burst: u32, capacity: usize) -> Self {
        let interval = 60_000_000_000 / u64::from(per_minute.max(1));
        Self {
            cells: Mutex::new(LruCache::new(capacity.max(1))),
            interval,
            tolerance: interval.saturating_mul(u64::from(burst.max(1))),
            start: Instant::now(),
            logged_at: AtomicU64::new(0),
            unlogged: AtomicU64::new(0),
            turns: (0..TURNS).map(|_| tokio::sync::Mutex::new(())).collect(),
            turn_of: std::hash::RandomState::new(),
        }
    }

    /// Waits for `key`'s turn: while the guard lives, no other attempt of
    /// `key` runs. For allowances spent only by failures: an attempt is
    /// counted ([`Throttle::check`]), checked and, on success, given back
    /// ([`Throttle::refund`]) within its turn, so parallel attempts are
    /// judged as if they came one after another (a burst of guesses gets
    /// no more checks than a sequence would), and parallel successes
    /// never use up the allowance meant for failures. The locks are a
    /// fixed few, a key's chosen by its hash: whatever keys a caller
    /// invents, memory stays the same (two keys sharing a lock wait for
    /// each other, briefly).
    pub async fn one_at_a_time(&self, key: Key) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::BuildHasher;
        let hash = self.turn_of.hash_one(key);
        self.turns[(hash % TURNS as u64) as usize].lock().await
    }

    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Counts one request of `key`: `Err(wait)` when it is over its
    /// allowance and may come back after `wait`.
    pub fn check(&self, key: Key) -> Result<(), Duration> {
        self.check_at(key, self.now())
    }

    /// Gives back one request that [`Throttle::check`] counted for `key`:
    /// for allowances spent only by failures, where every attempt is
    /// counted before its outcome is known and a success is given back
    /// (within [`Throttle::one_at_a_time`]).
    pub fn refund(&self, key: Key) {
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(arrival) = cells.get_mut(&key) {
            *arrival = arrival.saturating_sub(self.interval);
        }
    }

    fn check_at(&self, key: Key, now: u64) -> Result<(), Duration> {
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        let arrival = cells.get(&key).copied().unwrap_or(now).max(now);
        let next = arrival.saturating_add(self.interval);
        if next - now > self.tolerance {
            return Err(Duration::from_nanos(next - self.tolerance - now));
        }
        // A new key past the capacity pushes out the least recently seen.
        cells.insert(key, next);
        Ok(())
    }

    /// Keys remembered now.
    pub fn len(&self) -> usize {
        self.cells.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets keys whose allowance is whole again: they are as if never seen.
    pub fn forget_idle(&self) {
        self.forget_idle_at(self.now());
    }

    fn forget_idle_at(&self, now: u64) {
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        let idle: Vec<Key> = cells
            .iter()
            .filter(|(_, arrival)| **arrival <= now)
            .map(|(key, _)| *key)
            .collect();
        for key in idle {
            cells.remove(&key);
        }
    }

    /// Whether to log this refusal: the first in [`LOG_EVERY`], with the
    /// number left unlogged before it. A flood writes one line, not one a
    /// request.
    pub fn should_log(&self) -> Option<u64> {
        let now = self.now().saturating_add(1);
        let last = self.logged_at.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= LOG_EVERY.as_nanos() as u64;
        if due
            && self
                .logged_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            return Some(self.unlogged.swap(0, Ordering::Relaxed));
        }
        self.unlogged.fetch_add(1, Ordering::Relaxed);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn a_burst_passes_then_one_request_per_interval() {
        let throttle = Throttle::new(60, 5, 10);
        let key = Key::of("203.0.113.7".parse().unwrap());
        for _ in 0..5 {
            assert!(throttle.check_at(key, 0).is_ok());
        }
        let wait = throttle.check_at(key, 0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        assert!(throttle.check_at(key, SECOND).is_ok());
        assert!(throttle.check_at(key, SECOND).is_err());
    }

    #[test]
    fn one_ipv6_64_is_one_key_and_the_next_64_another() {
        let a = Key::of("2001:db8:1:2::1".parse().unwrap());
        let b = Key::of("2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap());
        let c = Key::of("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        // An IPv4 peer on a dual-stack socket is that IPv4 address.
        assert_eq!(
            Key::of("::ffff:192.0.2.1".parse().unwrap()),
            Key::of("192.0.2.1".parse().unwrap())
        );
    }

    #[test]
    fn the_map_never_holds_more_than_its_capacity_and_drops_the_oldest() {
        let throttle = Throttle::new(60, 1, 3);
        let key = |i: u8| Key::V4([198, 51, 100, i]);
        for i in 0..50 {
            assert!(throttle.check_at(key(i), 0).is_ok());
            assert!(throttle.len() <= 3);
        }
        // The three most recent are remembered (and refused again); the
        // oldest were dropped and start afresh.
        assert!(throttle.check_at(key(49), 0).is_err());
        assert!(throttle.check_at(key(0), 0).is_ok());
    }

    #[test]
    fn idle_keys_are_forgotten_busy_ones_kept() {
        let throttle = Throttle::new(60, 2, 10);
        throttle.check_at(Key::V4([1, 1, 1, 1]), 0).unwrap();
        throttle.check_at(Key::V4([2, 2, 2, 2]), 0).unwrap();
        throttle.check_at(Key::V4([2, 2, 2, 2]), 0).unwrap();
        // 1.5 s on: the first has its allowance whole again, the second not.
        throttle.forget_idle_at(SECOND * 3 / 2);
        assert_eq!(throttle.len(), 1, "only the key still within its burst");
    }

    #[test]
    fn a_flood_of_refusals_logs_once_and_counts_the_rest() {
        let throttle = Throttle::new(60, 1, 10);
        assert_eq!(throttle.should_log(), Some(0));
        for _ in 0..1000 {
            assert_eq!(throttle.should_log(), None);
        }
        assert_eq!(throttle.unlogged.load(Ordering::Relaxed), 1000);
    }
}
