//! tarn-handoff: the hand-off between request handlers and the group committer.
//!
//! Owns: a bounded queue where handlers leave work with a completion callback, and the committer
//! side that takes everything waiting at once (a *group*), commits it with one call, and then
//! completes each item with its own result. Throughput scales with load because items that arrive
//! while a commit runs are taken together by the next one; latency stays low when idle because the
//! committer wakes as soon as one item is queued.
//!
//! Guarantees, model-checked with loom (`RUSTFLAGS="--cfg loom" cargo test -p tarn-handoff`):
//! - no lost wake-up: an item queued while the committer sleeps or commits is taken;
//! - no item is completed before the commit that contains it has returned;
//! - every accepted item is completed exactly once, also when the queue closes;
//! - a full queue refuses new items (`Full`, answered as HTTP 429) instead of growing.
//!
//! Does not own: what a commit does (the caller's function), threads or runtimes.

mod sync;

use std::collections::VecDeque;

use sync::{Arc, Condvar, Mutex, MutexGuard};

/// Why an item was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitError {
    /// `items_max` items or `bytes_max` bytes are already waiting; retry later.
    Full,
    /// The committer is shutting down.
    Closed,
}

/// What the committer says about an item whose group could not run at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abandoned {
    /// The queue was closed before the item was committed.
    Closed,
}

type Completion<R> = Box<dyn FnOnce(Result<R, Abandoned>) + Send>;

struct Entry<T, R> {
    item: T,
    complete: Completion<R>,
}

struct State<T, R> {
    entries: VecDeque<Entry<T, R>>,
    queued_bytes: usize,
    closed: bool,
}

struct Shared<T, R> {
    state: Mutex<State<T, R>>,
    ready: Condvar,
    items_max: usize,
    bytes_max: usize,
}

/// The handlers' side. Cheap to clone.
pub struct Handoff<T, R> {
    shared: Arc<Shared<T, R>>,
}

impl<T, R> Clone for Handoff<T, R> {
    fn clone(&self) -> Self {
        Handoff { shared: Arc::clone(&self.shared) }
    }
}

/// The committer's side: one per queue.
pub struct Committer<T, R> {
    shared: Arc<Shared<T, R>>,
}

/// A bounded hand-off queue: `items_max` items and `bytes_max` bytes at most wait at once (an item
/// larger than `bytes_max` is still accepted into an empty queue, so it cannot starve).
pub fn channel<T, R>(items_max: usize, bytes_max: usize) -> (Handoff<T, R>, Committer<T, R>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State { entries: VecDeque::new(), queued_bytes: 0, closed: false }),
        ready: Condvar::new(),
        items_max: items_max.max(1),
        bytes_max,
    });
    (Handoff { shared: Arc::clone(&shared) }, Committer { shared })
}

fn lock<T, R>(shared: &Shared<T, R>) -> MutexGuard<'_, State<T, R>> {
    // The state is a queue and two counters, consistent between statements: a panic elsewhere while
    // the lock was held cannot leave it half-updated, so a poisoned lock is used as is.
    shared.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<T, R> Handoff<T, R> {
    /// Queues `item` (of `bytes` bytes); `complete` is called exactly once, on the committer's
    /// thread, after the commit containing the item returned (or when the queue closes first).
    pub fn submit(
        &self,
        item: T,
        bytes: usize,
        complete: impl FnOnce(Result<R, Abandoned>) + Send + 'static,
    ) -> Result<(), SubmitError> {
        let mut state = lock(&self.shared);
        if state.closed {
            return Err(SubmitError::Closed);
        }
        let over_items = state.entries.len() >= self.shared.items_max;
        let over_bytes = !state.entries.is_empty() && state.queued_bytes.saturating_add(bytes) > self.shared.bytes_max;
        if over_items || over_bytes {
            return Err(SubmitError::Full);
        }
        state.queued_bytes = state.queued_bytes.saturating_add(bytes);
        state.entries.push_back(Entry { item, complete: Box::new(complete) });
        drop(state);
        self.shared.ready.notify_one();
        Ok(())
    }

    /// Stops accepting items; the committer completes what is queued, then `run` returns.
    pub fn close(&self) {
        lock(&self.shared).closed = true;
        self.shared.ready.notify_all();
    }

    /// Items waiting right now (for metrics).
    pub fn queued(&self) -> usize {
        lock(&self.shared).entries.len()
    }
}

impl<T, R> Committer<T, R> {
    /// Runs until the queue is closed and drained: takes every waiting item, calls `commit` once
    /// with all of them (it returns one result per item, in order), then completes each item.
    pub fn run(self, mut commit: impl FnMut(&mut Vec<T>) -> Vec<R>) {
        loop {
            let entries = {
                let mut state = lock(&self.shared);
                while state.entries.is_empty() && !state.closed {
                    state = self.shared.ready.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
                }
                if state.entries.is_empty() {
                    return; // closed and drained
                }
                state.queued_bytes = 0;
                std::mem::take(&mut state.entries)
            };
            let mut items = Vec::with_capacity(entries.len());
            let mut completions = Vec::with_capacity(entries.len());
            for entry in entries {
                items.push(entry.item);
                completions.push(entry.complete);
            }
            let results = commit(&mut items);
            // The commit function returns one result per item; if it broke that contract, the items
            // without a result are completed as abandoned rather than left waiting forever.
            let mut results = results.into_iter();
            for complete in completions {
                match results.next() {
                    Some(result) => complete(Ok(result)),
                    None => complete(Err(Abandoned::Closed)),
                }
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Proves items submitted while a commit runs are committed together in the next group, and
    /// each gets its own result.
    #[test]
    fn groups_items_that_wait_together() {
        let (handoff, committer) = channel::<u32, u32>(16, 1 << 20);
        let (done_sender, done) = mpsc::channel();
        for value in 0..5 {
            let sender = done_sender.clone();
            handoff.submit(value, 1, move |result| sender.send(result).unwrap_or(())).expect("queue has room");
        }
        handoff.close();
        let mut group_sizes = Vec::new();
        committer.run(|items| {
            group_sizes.push(items.len());
            items.iter().map(|value| value * 10).collect()
        });
        assert_eq!(group_sizes, vec![5], "all five waited together, so one commit took them");
        let mut results: Vec<u32> = (0..5).map(|_| done.recv().expect("completed").expect("committed")).collect();
        results.sort_unstable();
        assert_eq!(results, vec![0, 10, 20, 30, 40]);
    }

    /// Proves the queue refuses work beyond its item and byte limits instead of growing.
    #[test]
    fn full_queue_refuses() {
        let (handoff, _committer) = channel::<u32, ()>(2, 100);
        assert_eq!(handoff.submit(1, 10, |_| {}), Ok(()));
        assert_eq!(handoff.submit(2, 95, |_| {}), Err(SubmitError::Full), "bytes over the limit");
        assert_eq!(handoff.submit(3, 10, |_| {}), Ok(()));
        assert_eq!(handoff.submit(4, 1, |_| {}), Err(SubmitError::Full), "items over the limit");
        handoff.close();
        assert_eq!(handoff.submit(5, 1, |_| {}), Err(SubmitError::Closed));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::atomic::{AtomicUsize, Ordering};

    /// Model-checks the hand-off with two handlers and the committer: in every interleaving each
    /// item is completed exactly once, only after the commit containing it returned (no request
    /// acknowledged before its commit), and the committer never sleeps while an item waits: each
    /// handler blocks until its own item completes before anything closes the queue, so a lost
    /// wake-up leaves every thread blocked and loom reports the deadlock.
    #[test]
    fn no_lost_wakeup_and_no_early_completion() {
        loom::model(|| {
            let (handoff, committer) = channel::<usize, usize>(8, 1 << 20);
            // Bit i set once item i's commit has returned; checked by its completion.
            let committed = Arc::new(AtomicUsize::new(0));
            let completed = Arc::new(AtomicUsize::new(0));

            let mut handlers = Vec::new();
            for item in 0..2usize {
                let handoff = handoff.clone();
                let committed = Arc::clone(&committed);
                let completed = Arc::clone(&completed);
                handlers.push(loom::thread::spawn(move || {
                    let signal = Arc::new((Mutex::new(false), Condvar::new()));
                    let notify = Arc::clone(&signal);
                    handoff
                        .submit(item, 1, move |result| {
                            assert_eq!(result, Ok(item), "each item gets its own result");
                            let bit = 1 << item;
                            assert_ne!(committed.load(Ordering::SeqCst) & bit, 0, "completed before its commit returned");
                            let before = completed.fetch_or(bit, Ordering::SeqCst);
                            assert_eq!(before & bit, 0, "completed twice");
                            let (done, condvar) = &*notify;
                            *done.lock().expect("signal lock") = true;
                            condvar.notify_one();
                        })
                        .expect("the queue has room for both items");
                    // Like an HTTP handler awaiting its acknowledgement.
                    let (done, condvar) = &*signal;
                    let mut finished = done.lock().expect("signal lock");
                    while !*finished {
                        finished = condvar.wait(finished).expect("signal lock");
                    }
                }));
            }
            let committer_thread = {
                let committed = Arc::clone(&committed);
                loom::thread::spawn(move || {
                    committer.run(|items| {
                        let results: Vec<usize> = items.clone();
                        for item in items.iter() {
                            committed.fetch_or(1 << item, Ordering::SeqCst);
                        }
                        results
                    });
                })
            };
            for handler in handlers {
                handler.join().expect("handler thread");
            }
            assert_eq!(completed.load(Ordering::SeqCst), 0b11, "every accepted item was completed");
            handoff.close();
            committer_thread.join().expect("committer thread");
        });
    }
}
