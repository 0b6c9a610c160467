//! The hashing pool: argon2id on its own threads, a few at a time, with
//! a bounded queue that answers "busy" at once rather than queue for ever.

use super::{hash_blocking, verify_blocking, PasswordHash};
use crate::domain::Password;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every core is hashing and the queue is full, or the wait ran out:
    /// nothing was hashed; the caller says "busy, try again shortly".
    #[error("too many password checks at once")]
    Busy,
    #[error("hashing failed: {0}")]
    Argon2(argon2::password_hash::Error),
    /// The hashing thread failed mid-hash (argon2 panicked).
    #[error("the hashing thread failed")]
    Worker,
}

type Job = Box<dyn FnOnce() + Send>;

/// The threads that run argon2: one per hash allowed at once, so the
/// permits are never waiting for a thread. They run at a lower CPU
/// priority (nice 10) than the threads that serve pages: under a flood of
/// sign-ins the cores go to pages first, and sign-ins take the rest.
struct Hashers {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Hashers {
    fn start(threads: usize) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    lower_this_threads_priority();
                    loop {
                        // The lock is released before the job runs.
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        // A panic ends the job, not the thread: the caller
                        // sees `Worker`, and the pool keeps its size.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })
                .expect("argon2 threads start");
        }
        Self { jobs }
    }

    /// Runs `work` on a hashing thread. It runs to the end even when the
    /// caller stops waiting (a client that hung up).
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        self.jobs.send(job).map_err(|_| HashError::Worker)?;
        result.await.map_err(|_| HashError::Worker)
    }
}

/// nice 10 for the calling thread (Linux gives each thread its own).
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its arguments; `0` names this thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// How much argon2 work may run and wait at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashLimits {
    /// Hashes running at once (each holds a core and 19 MiB).
    pub at_once: usize,
    /// Sign-ins that may wait for one of those; past it, `Busy` at once.
    pub waiting: usize,
    /// The longest a sign-in waits; past it, `Busy`.
    pub max_wait: Duration,
}

impl Default for HashLimits {
    /// One hash per core; 16 waiting per core (at ~19 ms a hash, about
    /// 0.3 s of work); a second at most in the queue, so that a real user
    /// in a flood has an answer well within 2 s.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            at_once: cores,
            waiting: 16 * cores,
            max_wait: Duration::from_secs(1),
        }
    }
}

/// Runs argon2 off the async runtime within [`HashLimits`], so a flood of
/// sign-ins gets "busy" answers instead of exhausting memory or starving
/// the threads that serve other pages.
#[derive(Clone)]
pub struct Passwords {
    hashers: Arc<Hashers>,
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    running: Arc<Running>,
    limits: HashLimits,
    /// Checked for unknown login IDs, so they cost the same as real ones.
    dummy: Arc<PasswordHash>,
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

/// The right to run one hash. It belongs to the blocking job once the
/// hash starts: a client that hangs up mid-hash cannot free it early, so
/// the limit holds for the whole hash.
#[must_use]
pub struct HashSlot {
    permit: OwnedSemaphorePermit,
    dummy: Arc<PasswordHash>,
    running: Arc<Running>,
    hashers: Arc<Hashers>,
}

/// Hashes inside argon2 right now, and the most there have been at once.
#[derive(Default)]
struct Running {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Running {
    /// Runs one hash on this (blocking) thread, holding `permit` to the end
    /// at least: it comes back with the answer, for a caller that holds
    /// the core longer (dropped with the answer otherwise).
    fn hash<T>(
        &self,
        permit: OwnedSemaphorePermit,
        work: impl FnOnce() -> T,
    ) -> (T, OwnedSemaphorePermit) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let out = work();
        self.now.fetch_sub(1, Ordering::SeqCst);
        (out, permit)
    }
}

/// Counts a waiting sign-in for as long as it waits, also when the client
/// hangs up and the wait is dropped.
struct Waiting(Arc<AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Passwords {
    pub fn new() -> Self {
        Self::with_limits(HashLimits::default())
    }

    pub fn with_limits(limits: HashLimits) -> Self {
        let dummy = hash_blocking("autobank-dummy-password-never-matches").expect("argon2 works");
        Self {
            hashers: Arc::new(Hashers::start(limits.at_once)),
            permits: Arc::new(Semaphore::new(limits.at_once)),
            waiting: Arc::new(AtomicUsize::new(0)),
            running: Arc::default(),
            limits,
            dummy: Arc::new(dummy),
        }
    }

    /// Waits for a core, within the limits: `Busy` at once when the queue
    /// is full, or when the wait runs out.
    pub async fn slot(&self) -> Result<HashSlot, HashError> {
        let slot = |permit| HashSlot {
            permit,
            dummy: self.dummy.clone(),
            running: self.running.clone(),
            hashers: self.hashers.clone(),
        };
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(slot(permit));
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.limits.waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(HashError::Busy);
        }
        let _waiting = Waiting(self.waiting.clone());
        let since = std::time::Instant::now();
        let waited =
            tokio::time::timeout(self.limits.max_wait, self.permits.clone().acquire_owned()).await;
        crate::server::metrics::hash_waited(since.elapsed());
        match waited {
            Ok(Ok(permit)) => Ok(slot(permit)),
            // The semaphore is never closed; a wait that ran out is busy.
            Ok(Err(_)) | Err(_) => Err(HashError::Busy),
        }
    }

    pub async fn hash(&self, password: Password) -> Result<PasswordHash, HashError> {
        self.slot().await?.hash(password).await
    }

    /// Hashes running now, and checks waiting for a core now.
    pub fn queue(&self) -> (usize, usize) {
        (
            self.running.now.load(Ordering::SeqCst),
            self.waiting.load(Ordering::SeqCst),
        )
    }

    /// The most hashes that have run at once in this process (tests read it).
    pub fn peak_running(&self) -> usize {
        self.running.peak.load(Ordering::SeqCst)
    }
}

impl HashSlot {
    pub async fn hash(self, password: Password) -> Result<PasswordHash, HashError> {
        let (permit, running) = (self.permit, self.running);
        self.hashers
            .run(move || running.hash(permit, || hash_blocking(password.expose())).0)
            .await?
            .map_err(HashError::Argon2)
    }

    /// Verifies against `hash`, or against the dummy hash when there is no
    /// account, in which case the answer is always false.
    pub async fn verify(
        self,
        password: Password,
        hash: Option<PasswordHash>,
    ) -> Result<bool, HashError> {
        self.verify_alongside(password, hash, std::future::ready(()))
            .await
            .0
    }

    /// As [`HashSlot::verify`], with `alongside` run meanwhile. The core
    /// stays held until both have ended, so that what runs alongside is
    /// bounded by the cores as the hashes are (for a caller that hangs up,
    /// until the hash has ended).
    pub async fn verify_alongside<T>(
        self,
        password: Password,
        hash: Option<PasswordHash>,
        alongside: impl std::future::Future<Output = T>,
    ) -> (Result<bool, HashError>, T) {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| (*self.dummy).clone());
        let (permit, running) = (self.permit, self.running);
        let verifying = self
            .hashers
            .run(move || running.hash(permit, || verify_blocking(password.expose(), &hash)));
        let (verified, beside) = tokio::join!(verifying, alongside);
        // The core is given back here, once both have ended.
        (verified.map(|(ok, _core)| ok && known), beside)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(raw: &str) -> Password {
        Password::parse(raw).unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let passwords = Passwords::new();
        let hash = passwords.hash(pw("tulip-harbor-87-velvet")).await.unwrap();
        assert!(hash.expose().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let verify = |password: &str, hash: Option<PasswordHash>| {
            let (passwords, password) = (passwords.clone(), pw(password));
            async move { passwords.slot().await?.verify(password, hash).await }
        };
        assert!(verify("tulip-harbor-87-velvet", Some(hash.clone()))
            .await
            .unwrap());
        assert!(!verify("tulip-harbor-87-velveT", Some(hash)).await.unwrap());
        assert!(!verify("autobank-dummy-password-never-matches", None)
            .await
            .unwrap());
        assert_eq!(
            format!("{:?}", Passwords::new().dummy),
            "PasswordHash(<redacted>)"
        );
    }

    fn tight(waiting: usize, max_wait: Duration) -> Passwords {
        Passwords::with_limits(HashLimits {
            at_once: 1,
            waiting,
            max_wait,
        })
    }

    /// The attack: start a sign-in, hang up 2 ms later (mid-hash), and at
    /// once start the next. Each hash goes on after its client is gone, and
    /// so must its hold on the core: never two at once here.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn clients_that_hang_up_mid_hash_do_not_free_their_core() {
        let passwords = tight(64, Duration::from_secs(5));
        for _ in 0..12 {
            let client = tokio::spawn({
                let passwords = passwords.clone();
                async move {
                    passwords
                        .slot()
                        .await?
                        .verify(pw("x-y-z-w-v-u"), None)
                        .await
                }
            });
            tokio::time::sleep(Duration::from_millis(2)).await;
            client.abort();
        }
        // Let the last hashes finish, then one more takes its turn.
        passwords
            .slot()
            .await
            .unwrap()
            .hash(pw("a-b-c-d-e-f"))
            .await
            .unwrap();
        assert!(passwords.peak_running() >= 1, "hashes did run");
        assert_eq!(passwords.peak_running(), 1, "never two hashes at once");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_is_told_busy_at_once_without_hashing() {
        let passwords = tight(1, Duration::from_secs(5));
        let running = passwords.slot().await.unwrap();
        let waiter = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.slot().await.map(drop) }
        });
        while passwords.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let start = std::time::Instant::now();
        assert!(matches!(passwords.slot().await, Err(HashError::Busy)));
        assert!(start.elapsed() < Duration::from_millis(100), "at once");
        drop(running);
        waiter
            .await
            .unwrap()
            .expect("the one in the queue gets its turn");
        assert_eq!(passwords.waiting.load(Ordering::SeqCst), 0);
    }

    /// What runs alongside a verify (a sign-in's count) holds the core
    /// until it ends, so that no more of it runs at once than hashes do.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_core_is_held_until_what_runs_alongside_has_ended() {
        let passwords = tight(1, Duration::from_millis(100));
        let (finish, finished) = tokio::sync::oneshot::channel::<()>();
        let first = tokio::spawn({
            let passwords = passwords.clone();
            async move {
                let slot = passwords.slot().await.unwrap();
                slot.verify_alongside(pw("x-y-z-w-v-u"), None, finished)
                    .await
                    .0
            }
        });
        // Well past the hash's end, while the alongside is still going.
        while passwords.peak_running() == 0 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            matches!(passwords.slot().await, Err(HashError::Busy)),
            "the core was given back before what runs alongside ended"
        );
        finish.send(()).unwrap();
        assert!(!first.await.unwrap().unwrap(), "no account, no match");
        drop(passwords.slot().await.expect("the core is free again"));
    }

    #[tokio::test]
    async fn a_wait_past_its_limit_is_told_busy() {
        let passwords = tight(8, Duration::from_millis(50));
        let _running = passwords.slot().await.unwrap();
        let start = std::time::Instant::now();
        assert!(matches!(passwords.slot().await, Err(HashError::Busy)));
        assert!(start.elapsed() >= Duration::from_millis(50));
        assert_eq!(
            passwords.waiting.load(Ordering::SeqCst),
            0,
            "a wait that ended leaves the queue"
        );
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_yield_to_the_threads_that_serve_pages() {
        let passwords = Passwords::with_limits(HashLimits {
            at_once: 2,
            ..HashLimits::default()
        });
        passwords
            .hash(Password::parse("warm-up-password-123").unwrap())
            .await
            .unwrap();
        let mut hashers = 0;
        for task in std::fs::read_dir("/proc/self/task").unwrap() {
            let task = task.unwrap().path();
            let name = std::fs::read_to_string(task.join("comm")).unwrap_or_default();
            if !name.starts_with("argon2-") {
                continue;
            }
            let stat = std::fs::read_to_string(task.join("stat")).unwrap();
            let after_name = &stat[stat.rfind(')').unwrap() + 1..];
            // Fields from the state (3rd) on: nice is the 19th.
            let nice: i32 = after_name
                .split_whitespace()
                .nth(16)
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(nice, 10, "{name}");
            hashers += 1;
        }
        assert!(hashers >= 2, "the hashing threads are found");
    }
}
