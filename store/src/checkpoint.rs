//! SQLite WAL checkpoints off the request path.
//!
//! By default SQLite checkpoints (copies the WAL back into the database file
//! and fsyncs it) inside the commit that pushes the WAL past 1,000 pages, on
//! the committing connection: with one writer connection every writer then
//! waits for it. In the ITI-42 profile half the commit time was
//! checkpointing (BENCHMARKS.md "Profiles"). Here a task of the store's own
//! checkpoints every [`INTERVAL`] on a connection of its own, in PASSIVE
//! mode (it never blocks readers or the writer), and the connections' own
//! automatic checkpoint stays only as a backstop at [`BACKSTOP_PAGES`].

use crate::connection::Target;
use diesel::RunQueryDsl;
use diesel::sql_types::Integer;
use std::sync::Weak;
use std::time::Duration;

/// How often the WAL is checkpointed.
const INTERVAL: Duration = Duration::from_millis(200);
/// WAL pages (4 KiB) after which a committing connection checkpoints itself
/// anyway: bounds the WAL at ~100 MB if this task falls behind or stops (at
/// ~600 one-document registrations/s the WAL grows ~15,000 pages/s).
pub(crate) const BACKSTOP_PAGES: u32 = 25_000;

#[derive(diesel::QueryableByName)]
struct CheckpointResult {
    #[diesel(sql_type = Integer)]
    busy: i32,
    #[diesel(sql_type = Integer)]
    log: i32,
    #[diesel(sql_type = Integer)]
    checkpointed: i32,
}

/// Starts the checkpointer of a SQLite database; it ends once `alive` (the
/// stores' shared token) is gone.
pub(crate) fn spawn(target: Target, alive: Weak<()>) {
    tokio::spawn(async move {
        let mut conn = None;
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if alive.upgrade().is_none() {
                return;
            }
            let target = target.clone();
            let taken = conn.take();
            let done = tokio::task::spawn_blocking(move || checkpoint(&target, taken)).await;
            conn = match done {
                Ok(kept) => kept,
                Err(e) => {
                    tracing::warn!(error = %e, "WAL checkpoint task failed");
                    None
                }
            };
        }
    });
}

/// One PASSIVE checkpoint; returns the connection to reuse (none after an error).
fn checkpoint(
    target: &Target,
    conn: Option<diesel::SqliteConnection>,
) -> Option<diesel::SqliteConnection> {
    let mut conn = match conn {
        Some(c) => c,
        None => match target.establish_sqlite() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "WAL checkpointer could not open the database");
                return None;
            }
        },
    };
    match diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)")
        .get_result::<CheckpointResult>(&mut conn)
    {
        Ok(r) => {
            tracing::trace!(
                busy = r.busy,
                wal_pages = r.log,
                checkpointed = r.checkpointed,
                "WAL checkpoint"
            );
            Some(conn)
        }
        Err(e) => {
            // A fresh connection next time.
            tracing::warn!(error = %e, "WAL checkpoint failed");
            None
        }
    }
}
