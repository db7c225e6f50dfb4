//! Sessions prepared ahead of the tap (`prepare_plaid_link`, `prepare_reauth`): pure logic,
//! no I/O. One slot per key (a customer id, or an exchange id for re-authentication), each
//! empty, in flight (a background task is creating the session) or ready (a session and when
//! its creation started).
//!
//! The rules:
//! - a ready session is handed out once ([`Prepared::take`] removes it), and only while it is
//!   younger than the slot set's maximum age; an older one is dropped, never handed out;
//! - a prepare while one is in flight or a fresh one is ready does nothing (no duplicate);
//! - a taker that finds the slot in flight waits for it and then looks again: the session when
//!   it came, nothing when it failed or was cancelled (the taker then creates its own);
//! - a session belongs to the access token it was made with (its [`Owner`], a fingerprint of
//!   the token, never the token): it is handed out only to a taker with the same owner; one
//!   whose owner differs (another user signed in) is dropped, never handed out;
//! - a session's age is the longer of the monotonic clock's and the wall clock's: the
//!   monotonic clock stops while the device sleeps (`CLOCK_MONOTONIC` on Android,
//!   `CLOCK_UPTIME_RAW` on Darwin), the wall clock does not;
//! - [`Prepared::clear`] and dropping the set abort the tasks in flight, including one whose
//!   task is attached after the clear ([`Prepared::attach`]); a task that ends without
//!   [`Prepared::finish`] (aborted, panicked) empties its slot when its [`Ticket`] drops, so no
//!   slot stays in flight for ever.
//!
//! Time comes from an injected clock (both clocks) so that tests can age a session, or make
//! the wall clock jump, without sleeping. The sessions live in this process's memory only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;
use tokio::task::AbortHandle;

/// How long a prepared Plaid Link session may wait for its tap: Plaid's link tokens live 4
/// hours; 3 hours leaves an hour for the user to finish Link with it.
pub(crate) const PLAID_MAX_AGE: Duration = Duration::from_secs(3 * 60 * 60);
/// How long a prepared re-authentication session may wait: update-mode link tokens live 30
/// minutes; 20 minutes leaves 10 for Link.
pub(crate) const REAUTH_MAX_AGE: Duration = Duration::from_secs(20 * 60);

/// A moment on both clocks: the monotonic one (which stops while the device sleeps) and the
/// wall clock (which does not, but may be set back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Now {
    pub(crate) mono: Instant,
    pub(crate) wall: SystemTime,
}

impl Now {
    /// How long ago `self` was at `now`: the longer of the two clocks' spans (a wall clock set
    /// back counts nothing, the monotonic clock still does).
    fn age_at(self, now: Now) -> Duration {
        let mono = now.mono.saturating_duration_since(self.mono);
        let wall = now.wall.duration_since(self.wall).unwrap_or(Duration::ZERO);
        mono.max(wall)
    }
}

/// The clock: [`Instant::now`] and [`SystemTime::now`] in the client, a controlled one in tests.
pub(crate) type Clock = Arc<dyn Fn() -> Now + Send + Sync>;

/// The system clocks.
pub(crate) fn system_clock() -> Clock {
    Arc::new(|| Now {
        mono: Instant::now(),
        wall: SystemTime::now(),
    })
}

/// Whose a prepared session is: a fingerprint of the access token it was made with (an HMAC
/// the transport computes with a key of the client's), or the owner of a client without a
/// token provider. Holds no token; its `Debug` shows no byte of the fingerprint either.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Owner(Option<[u8; 32]>);

impl Owner {
    /// The owner of a token, from the token's fingerprint (its first 32 bytes).
    pub(crate) fn of_fingerprint(fingerprint: &[u8]) -> Owner {
        let mut bytes = [0; 32];
        let n = fingerprint.len().min(32);
        bytes[..n].copy_from_slice(&fingerprint[..n]);
        Owner(Some(bytes))
    }

    /// The owner of every session of a client without a token provider.
    pub(crate) fn without_token() -> Owner {
        Owner(None)
    }
}

impl std::fmt::Debug for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(_) => f.write_str("Owner(token fingerprint)"),
            None => f.write_str("Owner(no token)"),
        }
    }
}

enum Slot<T> {
    InFlight {
        id: u64,
        /// Closed (its sender dropped) when the task ends, however it ends.
        done: watch::Receiver<()>,
        abort: Option<AbortHandle>,
    },
    Ready {
        value: T,
        started: Now,
        owner: Owner,
    },
}

struct State<T> {
    slots: HashMap<String, Slot<T>>,
    next_id: u64,
}

/// The prepared sessions of one kind (Plaid Link, or re-authentication), by key.
pub(crate) struct Prepared<T> {
    max_age: Duration,
    clock: Clock,
    state: Arc<Mutex<State<T>>>,
}

/// What [`Prepared::take`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Taken<T> {
    /// A fresh prepared session, now removed from the set.
    Fresh(T),
    /// One was ready but too old: dropped; create a new one.
    Stale,
    /// One was ready but made with another access token (another user's): dropped; create a
    /// new one.
    OtherOwner,
    /// Nothing prepared (or the prepare failed or was cancelled): create one.
    Missing,
}

/// The right to fill one slot: given to the task that creates the session. Dropping it without
/// [`Prepared::finish`] empties the slot and wakes its waiters.
pub(crate) struct Ticket<T> {
    key: String,
    id: u64,
    started: Now,
    state: Arc<Mutex<State<T>>>,
    _done: watch::Sender<()>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The state stays consistent between statements; a panic elsewhere must not disable it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T> Prepared<T> {
    pub(crate) fn new(max_age: Duration, clock: Clock) -> Self {
        Prepared {
            max_age,
            clock,
            state: Arc::new(Mutex::new(State {
                slots: HashMap::new(),
                next_id: 0,
            })),
        }
    }

    /// The longest a ready session is handed out after its creation started.
    pub(crate) fn max_age(&self) -> Duration {
        self.max_age
    }

    fn is_fresh(&self, started: Now) -> bool {
        started.age_at((self.clock)()) < self.max_age
    }

    /// Claims the slot of `key` for a new prepare, or `None` when one is in flight or a fresh
    /// one is ready. A stale ready session is dropped first.
    pub(crate) fn begin(&self, key: &str) -> Option<Ticket<T>> {
        let mut state = lock(&self.state);
        match state.slots.get(key) {
            Some(Slot::InFlight { .. }) => return None,
            Some(Slot::Ready { started, .. }) if self.is_fresh(*started) => return None,
            _ => {}
        }
        state.next_id += 1;
        let id = state.next_id;
        let (tx, rx) = watch::channel(());
        state.slots.insert(
            key.to_string(),
            Slot::InFlight {
                id,
                done: rx,
                abort: None,
            },
        );
        Some(Ticket {
            key: key.to_string(),
            id,
            started: (self.clock)(),
            state: self.state.clone(),
            _done: tx,
        })
    }

    /// Records the task of a ticket, so that [`Prepared::clear`] (or dropping the set) can
    /// abort it. When the slot is no longer the ticket's (cleared between [`Prepared::begin`]
    /// and this call, or the task already ended), the task is aborted at once: a clear a
    /// moment after the spawn leaves nothing running either.
    pub(crate) fn attach(&self, ticket_key: &str, ticket_id: u64, abort: AbortHandle) {
        let mut state = lock(&self.state);
        match state.slots.get_mut(ticket_key) {
            Some(Slot::InFlight {
                id, abort: slot, ..
            }) if *id == ticket_id => {
                *slot = Some(abort);
            }
            // Cleared meanwhile (or ended: then aborting does nothing).
            _ => abort.abort(),
        }
    }

    /// Stores the session a ticket's task created, for `owner`. Returns false when the slot
    /// was cleared in the meantime (the session is then dropped: handed to nobody).
    pub(crate) fn finish(&self, ticket: Ticket<T>, value: T, owner: Owner) -> bool {
        let mut state = lock(&self.state);
        let current = matches!(state.slots.get(&ticket.key), Some(Slot::InFlight { id, .. }) if *id == ticket.id);
        if current {
            state.slots.insert(
                ticket.key.clone(),
                Slot::Ready {
                    value,
                    started: ticket.started,
                    owner,
                },
            );
        }
        drop(state);
        drop(ticket);
        current
    }

    /// Takes the session prepared for `key` for `owner` (who is signed in now; `None` when
    /// that is not known: nothing is handed out): waits while one is in flight, hands a fresh
    /// one of the same owner out once.
    pub(crate) async fn take(&self, key: &str, owner: Option<&Owner>) -> Taken<T> {
        loop {
            let mut done = {
                let mut state = lock(&self.state);
                match state.slots.remove(key) {
                    None => return Taken::Missing,
                    Some(Slot::Ready {
                        value,
                        started,
                        owner: made_for,
                    }) => {
                        return if owner != Some(&made_for) {
                            Taken::OtherOwner
                        } else if self.is_fresh(started) {
                            Taken::Fresh(value)
                        } else {
                            Taken::Stale
                        };
                    }
                    Some(Slot::InFlight { id, done, abort }) => {
                        let waiting = done.clone();
                        state
                            .slots
                            .insert(key.to_string(), Slot::InFlight { id, done, abort });
                        waiting
                    }
                }
            };
            // Err once the ticket is gone: the slot then holds the outcome.
            let _ = done.changed().await;
        }
    }

    /// Whether a session is in flight or ready for `key`.
    pub(crate) fn holds(&self, key: &str) -> bool {
        lock(&self.state).slots.contains_key(key)
    }

    /// Drops every ready session whose owner is not `owner` (every one when `owner` is
    /// `None`). Returns how many were dropped. Prepares in flight are left: their sessions are
    /// checked when taken.
    pub(crate) fn retain_owner(&self, owner: Option<&Owner>) -> usize {
        let mut state = lock(&self.state);
        let before = state.slots.len();
        state.slots.retain(|_, slot| match slot {
            Slot::Ready {
                owner: made_for, ..
            } => owner == Some(&*made_for),
            Slot::InFlight { .. } => true,
        });
        before - state.slots.len()
    }

    /// Drops every prepared session and aborts every prepare in flight. Returns how many slots
    /// were emptied.
    pub(crate) fn clear(&self) -> usize {
        let slots = std::mem::take(&mut lock(&self.state).slots);
        let n = slots.len();
        for slot in slots.into_values() {
            if let Slot::InFlight {
                abort: Some(abort), ..
            } = slot
            {
                abort.abort();
            }
        }
        n
    }
}

impl<T> Drop for Prepared<T> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<T> Ticket<T> {
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl<T> Drop for Ticket<T> {
    fn drop(&mut self) {
        // Still in flight under this ticket: the task ended without a session.
        let mut state = lock(&self.state);
        if matches!(state.slots.get(&self.key), Some(Slot::InFlight { id, .. }) if *id == self.id) {
            state.slots.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Clocks that move only when told to: `ms` moves both, `jump_ms` the wall clock alone (the
    /// time the device slept, which the monotonic clock does not count).
    fn manual_clock() -> (Clock, Arc<AtomicU64>, Arc<AtomicU64>) {
        let (mono, wall) = (Instant::now(), SystemTime::now());
        let ms = Arc::new(AtomicU64::new(0));
        let jump_ms = Arc::new(AtomicU64::new(0));
        let (m, j) = (ms.clone(), jump_ms.clone());
        let clock: Clock = Arc::new(move || {
            let ms = Duration::from_millis(m.load(Ordering::SeqCst));
            Now {
                mono: mono + ms,
                wall: wall + ms + Duration::from_millis(j.load(Ordering::SeqCst)),
            }
        });
        (clock, ms, jump_ms)
    }

    fn set() -> (Prepared<&'static str>, Arc<AtomicU64>) {
        let (clock, ms, _) = manual_clock();
        (Prepared::new(Duration::from_secs(60), clock), ms)
    }

    fn alice() -> Owner {
        Owner::of_fingerprint(&[1; 32])
    }

    /// Begins a prepare for `key` and spawns its task, which only sleeps (30 s) holding the
    /// ticket: the key, the ticket's id and the task, not attached yet.
    fn begin_sleeping(
        p: &Prepared<&'static str>,
        key: &str,
    ) -> (String, u64, tokio::task::JoinHandle<()>) {
        let t = p.begin(key).unwrap();
        let (key, id) = (t.key().to_string(), t.id());
        let task = tokio::spawn(async move {
            let _t = t;
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        (key, id, task)
    }

    fn bob() -> Owner {
        Owner::of_fingerprint(&[2; 32])
    }

    /// Takes `key` as alice.
    async fn take(p: &Prepared<&'static str>, key: &str) -> Taken<&'static str> {
        p.take(key, Some(&alice())).await
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_fresh_session_is_handed_out_once() {
        let (p, _) = set();
        let t = p.begin("cus").unwrap();
        assert!(p.finish(t, "s1", alice()));
        block_on(async {
            assert_eq!(take(&p, "cus").await, Taken::Fresh("s1"));
            assert_eq!(take(&p, "cus").await, Taken::Missing);
        });
    }

    #[test]
    fn another_key_gets_nothing() {
        let (p, _) = set();
        let t = p.begin("alice").unwrap();
        p.finish(t, "alice's", alice());
        block_on(async {
            assert_eq!(take(&p, "bob").await, Taken::Missing);
            assert_eq!(take(&p, "alice").await, Taken::Fresh("alice's"));
        });
    }

    #[test]
    fn a_stale_session_is_dropped_not_handed_out() {
        let (p, ms) = set();
        let t = p.begin("cus").unwrap();
        p.finish(t, "old", alice());
        ms.store(59_999, Ordering::SeqCst);
        assert!(p.begin("cus").is_none(), "still fresh: no second prepare");
        ms.store(60_000, Ordering::SeqCst);
        block_on(async { assert_eq!(take(&p, "cus").await, Taken::Stale) });
        assert!(!p.holds("cus"));
    }

    #[test]
    fn age_counts_from_when_the_prepare_started() {
        let (p, ms) = set();
        let t = p.begin("cus").unwrap();
        ms.store(59_000, Ordering::SeqCst); // a slow creation
        p.finish(t, "s", alice());
        ms.store(60_000, Ordering::SeqCst);
        block_on(async { assert_eq!(take(&p, "cus").await, Taken::Stale) });
    }

    #[test]
    fn a_stale_session_is_replaced_by_the_next_prepare() {
        let (p, ms) = set();
        let t = p.begin("cus").unwrap();
        p.finish(t, "old", alice());
        ms.store(61_000, Ordering::SeqCst);
        let t = p.begin("cus").expect("stale: prepared again");
        p.finish(t, "new", alice());
        block_on(async { assert_eq!(take(&p, "cus").await, Taken::Fresh("new")) });
    }

    #[test]
    fn no_second_prepare_while_one_is_in_flight() {
        let (p, _) = set();
        let t = p.begin("cus").unwrap();
        assert!(p.begin("cus").is_none());
        drop(t);
        assert!(p.begin("cus").is_some(), "the failed one no longer blocks");
    }

    #[test]
    fn a_taker_waits_for_the_prepare_in_flight() {
        let (p, _) = set();
        let p = Arc::new(p);
        let t = p.begin("cus").unwrap();
        block_on(async {
            let taker = {
                let p = p.clone();
                tokio::spawn(async move { take(&p, "cus").await })
            };
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(!taker.is_finished(), "waiting, not creating its own");
            p.finish(t, "s", alice());
            assert_eq!(taker.await.unwrap(), Taken::Fresh("s"));
        });
    }

    #[test]
    fn two_takers_of_one_prepare_get_it_once() {
        let (p, _) = set();
        let p = Arc::new(p);
        let t = p.begin("cus").unwrap();
        block_on(async {
            let spawn =
                |p: Arc<Prepared<&'static str>>| tokio::spawn(async move { take(&p, "cus").await });
            let (a, b) = (spawn(p.clone()), spawn(p.clone()));
            tokio::time::sleep(Duration::from_millis(10)).await;
            p.finish(t, "s", alice());
            let mut got = vec![a.await.unwrap(), b.await.unwrap()];
            got.sort_by_key(|t| matches!(t, Taken::Missing));
            assert_eq!(got, vec![Taken::Fresh("s"), Taken::Missing]);
        });
    }

    #[test]
    fn a_failed_prepare_wakes_the_taker_with_nothing() {
        let (p, _) = set();
        let p = Arc::new(p);
        let t = p.begin("cus").unwrap();
        block_on(async {
            let taker = {
                let p = p.clone();
                tokio::spawn(async move { take(&p, "cus").await })
            };
            tokio::time::sleep(Duration::from_millis(10)).await;
            drop(t); // the task failed: no finish
            assert_eq!(taker.await.unwrap(), Taken::Missing);
        });
    }

    #[test]
    fn clear_aborts_the_task_and_a_late_finish_is_refused() {
        let (p, _) = set();
        let p = Arc::new(p);
        block_on(async {
            let (key, id, task) = begin_sleeping(&p, "cus");
            p.attach(&key, id, task.abort_handle());
            assert_eq!(p.clear(), 1);
            assert!(task.await.unwrap_err().is_cancelled());
            assert!(!p.holds("cus"));
            // A task that got past its last await before the clear: its session goes to nobody.
            let t = p.begin("cus").unwrap();
            p.clear();
            assert!(!p.finish(t, "late", alice()));
            assert_eq!(take(&p, "cus").await, Taken::Missing);
        });
    }

    #[test]
    fn dropping_the_set_aborts_its_tasks() {
        let (p, _) = set();
        block_on(async {
            let (key, id, task) = begin_sleeping(&p, "cus");
            p.attach(&key, id, task.abort_handle());
            drop(p);
            assert!(task.await.unwrap_err().is_cancelled());
        });
    }

    #[test]
    fn the_time_the_device_slept_counts_a_wall_clock_jump_of_4_hours_makes_it_stale() {
        for (what, max_age) in [("Plaid", PLAID_MAX_AGE), ("re-auth", REAUTH_MAX_AGE)] {
            let (clock, ms, jump_ms) = manual_clock();
            let p = Prepared::new(max_age, clock);
            let t = p.begin("cus").unwrap();
            p.finish(t, "s", alice());
            // One minute awake, then 4 hours asleep: the monotonic clock saw a minute.
            ms.store(60_000, Ordering::SeqCst);
            jump_ms.store(4 * 60 * 60 * 1000, Ordering::SeqCst);
            let taken = block_on(take(&p, "cus"));
            println!(
                "{what} (kept {} min): monotonic age 1 min, wall-clock age 4 h 1 min -> {taken:?}",
                max_age.as_secs() / 60
            );
            assert_eq!(taken, Taken::Stale, "{what}");
        }
        // Without the jump, a minute-old session is fresh.
        let (clock, ms, _) = manual_clock();
        let p = Prepared::new(PLAID_MAX_AGE, clock);
        let t = p.begin("cus").unwrap();
        p.finish(t, "s", alice());
        ms.store(60_000, Ordering::SeqCst);
        assert_eq!(block_on(take(&p, "cus")), Taken::Fresh("s"));
    }

    #[test]
    fn a_wall_clock_jump_also_lets_a_new_prepare_replace_the_slept_session() {
        let (clock, _, jump_ms) = manual_clock();
        let p = Prepared::new(Duration::from_secs(60), clock);
        let t = p.begin("cus").unwrap();
        p.finish(t, "old", alice());
        assert!(p.begin("cus").is_none(), "fresh: no second prepare");
        jump_ms.store(61_000, Ordering::SeqCst);
        let t = p
            .begin("cus")
            .expect("slept past the limit: prepared again");
        p.finish(t, "new", alice());
        assert_eq!(block_on(take(&p, "cus")), Taken::Fresh("new"));
    }

    #[test]
    fn a_session_of_another_owner_is_dropped_not_handed_out() {
        let (p, _) = set();
        let t = p.begin("me").unwrap();
        p.finish(t, "alice's", alice());
        block_on(async {
            assert_eq!(p.take("me", Some(&bob())).await, Taken::OtherOwner);
            assert_eq!(take(&p, "me").await, Taken::Missing, "dropped, not kept");
        });
        // An owner that is not known (the provider failed) gets nothing either.
        let t = p.begin("me").unwrap();
        p.finish(t, "alice's", alice());
        block_on(async { assert_eq!(p.take("me", None).await, Taken::OtherOwner) });
        // A client without a token provider: its one owner.
        let t = p.begin("me").unwrap();
        p.finish(t, "anyone's", Owner::without_token());
        block_on(async {
            assert_eq!(
                p.take("me", Some(&Owner::without_token())).await,
                Taken::Fresh("anyone's")
            );
        });
    }

    #[test]
    fn retain_owner_drops_the_other_owners_ready_sessions() {
        let (p, _) = set();
        for (key, owner) in [("a", alice()), ("b", bob()), ("c", alice())] {
            let t = p.begin(key).unwrap();
            p.finish(t, "s", owner);
        }
        let in_flight = p.begin("d").unwrap();
        assert_eq!(p.retain_owner(Some(&bob())), 2);
        assert!(p.holds("b") && p.holds("d") && !p.holds("a") && !p.holds("c"));
        assert_eq!(
            p.retain_owner(None),
            1,
            "every ready one; not the one in flight"
        );
        assert!(p.holds("d"));
        drop(in_flight);
    }

    #[test]
    fn a_task_attached_after_a_clear_is_aborted() {
        let (p, _) = set();
        block_on(async {
            let (key, id, task) = begin_sleeping(&p, "cus");
            // The clear comes between the spawn and the attach.
            p.clear();
            p.attach(&key, id, task.abort_handle());
            let ended = tokio::time::timeout(Duration::from_secs(1), task).await;
            assert!(
                ended.is_ok_and(|r| r.unwrap_err().is_cancelled()),
                "the task still runs"
            );
        });
    }
}
