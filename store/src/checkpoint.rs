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
/// anyway: bounds the WAL at ~100 MB if this task falls behind or stops.
/// Under continuous writes it is also what restarts the WAL: this task
/// backfills every frame it sees, but a writer only rewinds the WAL when it
/// began with all of it backfilled, which a steady stream of commits rarely
/// allows. So at ~1,500 registrations/s (~35,000 pages/s) the WAL reaches
/// this mark every ~3 s, and that commit's checkpoint fsyncs the database
/// pages this task wrote unsynced since (~100 ms; BENCHMARKS.md "Longer
/// runs").
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
/// stores' shared token) is gone. A failure is logged once, not on every
/// tick, until a checkpoint succeeds again.
pub(crate) fn spawn(target: Target, alive: Weak<()>) {
    tokio::spawn(async move {
        let mut conn = None;
        let mut failing = false;
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if alive.upgrade().is_none() {
                return;
            }
            let target = target.clone();
            let taken = conn.take();
            let done = tokio::task::spawn_blocking(move || checkpoint(&target, taken))
                .await
                .map_err(|e| format!("the checkpoint task failed: {e}"))
                .and_then(|r| r);
            match done {
                Ok(kept) => {
                    if failing {
                        tracing::info!("WAL checkpoints work again");
                    }
                    failing = false;
                    conn = Some(kept);
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "WAL checkpoint failed; retrying every {INTERVAL:?}");
                    }
                    failing = true;
                }
            }
        }
    });
}

/// One PASSIVE checkpoint on `conn` (or a new connection); returns the
/// connection to reuse. After an error the next tick opens a fresh one.
fn checkpoint(
    target: &Target,
    conn: Option<diesel::SqliteConnection>,
) -> Result<diesel::SqliteConnection, String> {
    let mut conn = match conn {
        Some(c) => c,
        None => target
            .establish_sqlite()
            .map_err(|e| format!("could not open the database: {e}"))?,
    };
    let r = diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)")
        .get_result::<CheckpointResult>(&mut conn)
        .map_err(|e| e.to_string())?;
    tracing::trace!(
        busy = r.busy,
        wal_pages = r.log,
        checkpointed = r.checkpointed,
        "WAL checkpoint"
    );
    Ok(conn)
}
