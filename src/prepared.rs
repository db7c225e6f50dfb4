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
//! - [`Prepared::clear`] and dropping the set abort the tasks in flight; a task that ends
//!   without [`Prepared::finish`] (aborted, panicked) empties its slot when its [`Ticket`]
//!   drops, so no slot stays in flight for ever.
//!
//! Time comes from an injected clock so that tests can age a session without sleeping.
//! The sessions live in this process's memory only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::AbortHandle;

/// How long a prepared Plaid Link session may wait for its tap: Plaid's link tokens live 4
/// hours; 3 hours leaves an hour for the user to finish Link with it.
pub(crate) const PLAID_MAX_AGE: Duration = Duration::from_secs(3 * 60 * 60);
/// How long a prepared re-authentication session may wait: update-mode link tokens live 30
/// minutes; 20 minutes leaves 10 for Link.
pub(crate) const REAUTH_MAX_AGE: Duration = Duration::from_secs(20 * 60);

/// The clock: [`Instant::now`] in the client, a controlled one in tests.
pub(crate) type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The system clock.
pub(crate) fn system_clock() -> Clock {
    Arc::new(Instant::now)
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
        started: Instant,
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
    /// Nothing prepared (or the prepare failed or was cancelled): create one.
    Missing,
}

/// The right to fill one slot: given to the task that creates the session. Dropping it without
/// [`Prepared::finish`] empties the slot and wakes its waiters.
pub(crate) struct Ticket<T> {
    key: String,
    id: u64,
    started: Instant,
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

    fn is_fresh(&self, started: Instant) -> bool {
        (self.clock)().saturating_duration_since(started) < self.max_age
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
    /// abort it.
    pub(crate) fn attach(&self, ticket_key: &str, ticket_id: u64, abort: AbortHandle) {
        let mut state = lock(&self.state);
        match state.slots.get_mut(ticket_key) {
            Some(Slot::InFlight {
                id, abort: slot, ..
            }) if *id == ticket_id => {
                *slot = Some(abort);
            }
            // The task already ended (or the slot was cleared): nothing to abort later.
            _ => {}
        }
    }

    /// Stores the session a ticket's task created. Returns false when the slot was cleared in
    /// the meantime (the session is then dropped: handed to nobody).
    pub(crate) fn finish(&self, ticket: Ticket<T>, value: T) -> bool {
        let mut state = lock(&self.state);
        let current = matches!(state.slots.get(&ticket.key), Some(Slot::InFlight { id, .. }) if *id == ticket.id);
        if current {
            state.slots.insert(
                ticket.key.clone(),
                Slot::Ready {
                    value,
                    started: ticket.started,
                },
            );
        }
        drop(state);
        drop(ticket);
        current
    }

    /// Takes the session prepared for `key`: waits while one is in flight, hands a fresh one
    /// out once.
    pub(crate) async fn take(&self, key: &str) -> Taken<T> {
        loop {
            let mut done = {
                let mut state = lock(&self.state);
                match state.slots.remove(key) {
                    None => return Taken::Missing,
                    Some(Slot::Ready { value, started }) => {
                        return if self.is_fresh(started) {
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

    /// Whether a session is in flight or ready for `key` (for tests and logs).
    #[cfg(test)]
    fn holds(&self, key: &str) -> bool {
        lock(&self.state).slots.contains_key(key)
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

    /// A clock that moves only when told to.
    fn manual_clock() -> (Clock, Arc<AtomicU64>) {
        let base = Instant::now();
        let ms = Arc::new(AtomicU64::new(0));
        let m = ms.clone();
        (
            Arc::new(move || base + Duration::from_millis(m.load(Ordering::SeqCst))),
            ms,
        )
    }

    fn set() -> (Prepared<&'static str>, Arc<AtomicU64>) {
        let (clock, ms) = manual_clock();
        (Prepared::new(Duration::from_secs(60), clock), ms)
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
        assert!(p.finish(t, "s1"));
        block_on(async {
            assert_eq!(p.take("cus").await, Taken::Fresh("s1"));
            assert_eq!(p.take("cus").await, Taken::Missing);
        });
    }

    #[test]
    fn another_key_gets_nothing() {
        let (p, _) = set();
        let t = p.begin("alice").unwrap();
        p.finish(t, "alice's");
        block_on(async {
            assert_eq!(p.take("bob").await, Taken::Missing);
            assert_eq!(p.take("alice").await, Taken::Fresh("alice's"));
        });
    }

    #[test]
    fn a_stale_session_is_dropped_not_handed_out() {
        let (p, ms) = set();
        let t = p.begin("cus").unwrap();
        p.finish(t, "old");
        ms.store(59_999, Ordering::SeqCst);
        assert!(p.begin("cus").is_none(), "still fresh: no second prepare");
        ms.store(60_000, Ordering::SeqCst);
        block_on(async { assert_eq!(p.take("cus").await, Taken::Stale) });
        assert!(!p.holds("cus"));
    }

    #[test]
    fn age_counts_from_when_the_prepare_started() {
        let (p, ms) = set();
        let t = p.begin("cus").unwrap();
        ms.store(59_000, Ordering::SeqCst); // a slow creation
        p.finish(t, "s");
        ms.store(60_000, Ordering::SeqCst);
        block_on(async { assert_eq!(p.take("cus").await, Taken::Stale) });
    }

    #[test]
    fn a_stale_session_is_replaced_by_the_next_prepare() {
        let (p, ms) = set();
        let t = p.begin("cus").unwrap();
        p.finish(t, "old");
        ms.store(61_000, Ordering::SeqCst);
        let t = p.begin("cus").expect("stale: prepared again");
        p.finish(t, "new");
        block_on(async { assert_eq!(p.take("cus").await, Taken::Fresh("new")) });
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
                tokio::spawn(async move { p.take("cus").await })
            };
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(!taker.is_finished(), "waiting, not creating its own");
            p.finish(t, "s");
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
                |p: Arc<Prepared<&'static str>>| tokio::spawn(async move { p.take("cus").await });
            let (a, b) = (spawn(p.clone()), spawn(p.clone()));
            tokio::time::sleep(Duration::from_millis(10)).await;
            p.finish(t, "s");
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
                tokio::spawn(async move { p.take("cus").await })
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
            let t = p.begin("cus").unwrap();
            let (key, id) = (t.key().to_string(), t.id());
            let task = tokio::spawn(async move {
                let _t = t;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
            p.attach(&key, id, task.abort_handle());
            assert_eq!(p.clear(), 1);
            assert!(task.await.unwrap_err().is_cancelled());
            assert!(!p.holds("cus"));
            // A task that got past its last await before the clear: its session goes to nobody.
            let t = p.begin("cus").unwrap();
            p.clear();
            assert!(!p.finish(t, "late"));
            assert_eq!(p.take("cus").await, Taken::Missing);
        });
    }

    #[test]
    fn dropping_the_set_aborts_its_tasks() {
        let (p, _) = set();
        block_on(async {
            let t = p.begin("cus").unwrap();
            let (key, id) = (t.key().to_string(), t.id());
            let task = tokio::spawn(async move {
                let _t = t;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
            p.attach(&key, id, task.abort_handle());
            drop(p);
            assert!(task.await.unwrap_err().is_cancelled());
        });
    }
}
