//! Group commit: the writes of concurrent requests share one database
//! transaction, so they pay for one BEGIN, one commit and one write of the
//! pages they touch together, instead of queueing on the single SQLite
//! writer one transaction at a time.
//!
//! [`GroupQueue`] is the queue and its drainer; what a batch does is the
//! caller's (the audit trail batches its records under one lock of the
//! chain head). [`crate::Store::write_grouped`] runs any write closure this
//! way, each under a savepoint of its own.

use crate::AnyConnection;
use crate::error::StoreError;
use crate::transaction::{Mode, begin, commit_or_roll_back};
use diesel::Connection;
use diesel::connection::TransactionManager;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::oneshot;

/// Jobs waiting for a batch, and whether a drainer is running.
///
/// No task of its own: the caller that finds no drainer running starts one
/// (a spawned task, so a cancelled request cannot abandon the others), and
/// it drains the queue batch by batch until it finds it empty. Deciding
/// "empty, stop" and "queued, start one" under one lock means a job is never
/// left behind with no drainer.
pub struct GroupQueue<J> {
    state: Mutex<State<J>>,
}

struct State<J> {
    jobs: Vec<J>,
    draining: bool,
}

impl<J> Default for GroupQueue<J> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                jobs: Vec::new(),
                draining: false,
            }),
        }
    }
}

impl<J: Send + 'static> GroupQueue<J> {
    /// Queues `job`; starts a drainer if none runs. `flush` writes one batch
    /// (the oldest jobs, up to `max` by `weight`) and answers its jobs'
    /// callers; the caller waits for its answer on its own channel.
    pub fn submit<F, Fut>(self: &Arc<Self>, job: J, weight: fn(&J) -> usize, max: usize, flush: F)
    where
        F: Fn(Vec<J>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let start = {
            let mut state = self.lock();
            state.jobs.push(job);
            !std::mem::replace(&mut state.draining, true)
        };
        if start {
            let queue = Arc::clone(self);
            tokio::spawn(async move {
                loop {
                    let batch = {
                        let mut state = queue.lock();
                        let n = batch_len(&state.jobs, weight, max);
                        if n == 0 {
                            state.draining = false;
                            return;
                        }
                        state.jobs.drain(..n).collect::<Vec<_>>()
                    };
                    flush(batch).await;
                }
            });
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<J>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How many of the oldest jobs make the next batch: at least one, then
/// while the total weight stays within `max`.
fn batch_len<J>(jobs: &[J], weight: fn(&J) -> usize, max: usize) -> usize {
    let mut total = 0;
    let mut n = 0;
    for job in jobs {
        total += weight(job);
        if n > 0 && total > max {
            break;
        }
        n += 1;
    }
    n
}

/// One caller's closure in a grouped write transaction.
pub(crate) trait GroupedWrite: Send {
    /// Runs the closure under a savepoint of its own: its error rolls back
    /// its own changes only. Skipped when the caller stopped waiting, as if
    /// its transaction had never begun.
    fn run(&mut self, conn: &mut AnyConnection);
    /// Answers the caller once the batch's transaction has ended.
    fn settle(self: Box<Self>, committed: Result<(), &StoreError>);
}

/// A [`GroupedWrite`] of a closure returning `Result<T, E>`.
pub(crate) struct Job<T, E, F> {
    f: Option<F>,
    result: Option<Result<T, E>>,
    answer: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Job<T, E, F> {
    pub(crate) fn new(f: F, answer: oneshot::Sender<Result<T, E>>) -> Self {
        Self {
            f: Some(f),
            result: None,
            answer,
        }
    }
}

impl<T, E, F> GroupedWrite for Job<T, E, F>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send,
    T: Send,
    E: From<StoreError> + Send,
{
    fn run(&mut self, conn: &mut AnyConnection) {
        if self.answer.is_closed() {
            return;
        }
        if let Some(f) = self.f.take() {
            self.result = Some(in_savepoint(conn, f));
        }
    }

    fn settle(self: Box<Self>, committed: Result<(), &StoreError>) {
        let answer = match (self.result, committed) {
            // Its own failure says more than the batch's.
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(e)) => Err(StoreError::Task(format!(
                "the group transaction holding this write did not commit: {e}"
            ))
            .into()),
            // Skipped: its caller is gone.
            (None, Ok(())) => return,
        };
        let _ = self.answer.send(answer);
    }
}

/// Runs `f` under a savepoint inside the open transaction.
fn in_savepoint<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<StoreError>,
{
    // Nested inside the batch's transaction, diesel begins a savepoint.
    <AnyConnection as Connection>::TransactionManager::begin_transaction(conn)
        .map_err(StoreError::from)?;
    commit_or_roll_back(conn, f)
}

/// The batch's transaction: every job under its own savepoint, one commit.
/// Once the transaction is broken (a savepoint could not be rolled back)
/// the remaining jobs do not run and all are answered with the failure.
pub(crate) fn run_batch(conn: &mut AnyConnection, mut batch: Vec<Box<dyn GroupedWrite>>) {
    type Tm = <AnyConnection as Connection>::TransactionManager;
    let outcome = begin(conn, Mode::Write)
        .map_err(StoreError::from)
        .and_then(|()| {
            for job in &mut batch {
                job.run(conn);
                if in_error(conn) {
                    break;
                }
            }
            if in_error(conn) {
                let _ = Tm::rollback_transaction(conn);
                return Err(StoreError::Task(
                    "a write in the group transaction left it unusable; it was rolled back".into(),
                ));
            }
            Tm::commit_transaction(conn).map_err(StoreError::from)
        });
    if let Err(e) = &outcome {
        tracing::error!(error = %e, writes = batch.len(), "group transaction failed");
        if Tm::transaction_manager_status_mut(conn)
            .transaction_depth()
            .ok()
            .flatten()
            .is_some()
        {
            let _ = Tm::rollback_transaction(conn);
        }
    }
    for job in batch {
        job.settle(outcome.as_ref().map(|_| ()));
    }
}

/// The transaction cannot go on: a savepoint could not be rolled back or
/// released, and diesel no longer knows its state.
fn in_error(conn: &mut AnyConnection) -> bool {
    matches!(
        <AnyConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn),
        diesel::connection::TransactionManagerStatus::InError
    )
}

#[cfg(test)]
mod tests {
    use super::batch_len;

    #[test]
    fn a_batch_takes_the_oldest_jobs_within_the_limit() {
        let one = |_: &u32| 1;
        let own = |n: &u32| *n as usize;
        assert_eq!(batch_len::<u32>(&[], one, 4), 0);
        assert_eq!(batch_len(&[1, 1, 1, 1, 1, 1], one, 4), 4);
        assert_eq!(batch_len(&[3, 2, 1], own, 4), 1);
        assert_eq!(batch_len(&[2, 2, 1], own, 4), 2);
        // One job heavier than the limit still goes, alone.
        assert_eq!(batch_len(&[9, 1], own, 4), 1);
    }
}
