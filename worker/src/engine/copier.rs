//! Copies messages host1 -> host2 as a two-stage pipeline: one thread fetches batches bounded
//! by bytes from host1 while the other appends the previous batch to host2, so memory stays
//! O(batch) and both servers work at once. Every append is recorded in the UID map as soon as
//! it is confirmed.

use super::budget::Reservation;
use super::context::RunContext;
use super::flags::FlagSet;
use crate::imap::raw::AppendItem;
use crate::imap::session::{Connection, ErrorKind, FullMessage, ImapError};
use protocol::exit::ExitCode;
use protocol::state::StateChange;
use std::collections::HashSet;
use std::sync::mpsc;

/// Largest batch fetched at once (one bigger message still goes alone).
const BATCH_BYTES: u64 = 1024 * 1024;
const BATCH_MESSAGES: usize = 200;

/// What to copy: host1 UIDs with their sizes, in order.
pub struct CopyRequest<'r> {
    pub folder1: &'r str,
    pub folder2: &'r str,
    pub messages: Vec<(u32, u32)>,
    /// Flags added to the host2 copy and to the recorded host1 flags (`\Seen` in inbox mode).
    pub extra_flag: Option<&'r str>,
}

/// What the copy achieved, even when it stopped early.
#[derive(Debug, Default)]
pub struct CopyOutcome {
    /// `(uid1, uid2)`; uid2 is 0 when host2 did not report it.
    pub copied: Vec<(u32, u32)>,
    /// The first connection-level failure, if any.
    pub failure: Option<ImapError>,
    /// Messages host2 refused (counted as errors; retried next run).
    pub refused: u64,
}

/// Splits messages into batches of at most [`BATCH_BYTES`] and [`BATCH_MESSAGES`].
pub fn batches(messages: &[(u32, u32)]) -> Vec<(Vec<u32>, u64)> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0u64;
    for &(uid, size) in messages {
        let size = u64::from(size);
        if !current.is_empty() && (bytes + size > BATCH_BYTES || current.len() >= BATCH_MESSAGES) {
            out.push((std::mem::take(&mut current), bytes));
            bytes = 0;
        }
        current.push(uid);
        bytes += size;
    }
    if !current.is_empty() {
        out.push((current, bytes));
    }
    out
}

/// Runs the pipeline. Stops at a message boundary on cancel or on the error budget.
pub fn copy(
    ctx: &RunContext<'_>,
    c1: &mut Connection,
    c2: &mut Connection,
    request: &CopyRequest<'_>,
) -> CopyOutcome {
    let plan = batches(&request.messages);
    let (tx, rx) = mpsc::sync_channel::<Batch<'_>>(1);
    std::thread::scope(|scope| {
        let fetcher = scope.spawn(move || fetch_stage(ctx, c1, request.folder1, plan, tx));
        let mut outcome = append_stage(ctx, c2, request, rx);
        match fetcher.join() {
            Ok(Ok(unfetched)) => outcome.refused += unfetched,
            Ok(Err(err)) => {
                outcome.failure.get_or_insert(err);
            }
            Err(_) => {
                outcome.failure.get_or_insert(ImapError::new(
                    crate::imap::session::Side::Host1,
                    crate::imap::session::ErrorKind::Protocol,
                    "the fetch thread panicked",
                ));
            }
        }
        outcome
    })
}

/// Fetched messages with the budget they hold.
type Batch<'b> = (Vec<FullMessage>, Reservation<'b>);

/// Fetches batch after batch; returns how many messages could not be fetched (each counted
/// as an error).
fn fetch_stage<'b>(
    ctx: &'b RunContext<'_>,
    c1: &mut Connection,
    folder1: &str,
    plan: Vec<(Vec<u32>, u64)>,
    tx: mpsc::SyncSender<Batch<'b>>,
) -> Result<u64, ImapError> {
    let mut unfetched = 0;
    for (batch, bytes) in plan {
        let Some(reservation) = ctx.budget.reserve(bytes, || ctx.should_stop()) else {
            break;
        };
        if ctx.should_stop() {
            break;
        }
        let mut messages = Vec::with_capacity(batch.len());
        if let Err(err) = fetch_batch(ctx, c1, folder1, &batch, &mut messages) {
            // The messages that arrived whole before the break are appended: on a link that
            // breaks often, each run still makes progress.
            if !messages.is_empty() {
                messages.sort_by_key(|m| m.uid);
                let _ = tx.send((messages, reservation));
            }
            return Err(err);
        }
        messages.sort_by_key(|m| m.uid);
        for uid in batch
            .iter()
            .filter(|uid| messages.binary_search_by_key(*uid, |m| m.uid).is_err())
        {
            unfetched += 1;
            ctx.error(
                ExitCode::ErrFetch,
                format!("- msg {folder1}/{uid} could not be fetched from host1"),
            );
        }
        if tx.send((messages, reservation)).is_err() {
            break;
        }
    }
    Ok(unfetched)
}

/// One batch into `messages`; when host1 refuses it, the messages it did not send come
/// one by one, so one bad message costs only itself. On a connection failure `messages`
/// keeps what arrived whole.
fn fetch_batch(
    ctx: &RunContext<'_>,
    c1: &mut Connection,
    folder1: &str,
    batch: &[u32],
    messages: &mut Vec<FullMessage>,
) -> Result<(), ImapError> {
    match c1.fetch_full(batch, messages) {
        Err(err) if err.kind == ErrorKind::Refused && batch.len() > 1 => {
            let arrived: HashSet<u32> = messages.iter().map(|m| m.uid).collect();
            for uid in batch.iter().filter(|uid| !arrived.contains(uid)) {
                match c1.fetch_full(std::slice::from_ref(uid), messages) {
                    Err(err) if err.kind == ErrorKind::Refused => {
                        ctx.info(format!("Host1: {folder1}/{uid}: {}", err.message));
                    }
                    other => other?,
                }
            }
            Ok(())
        }
        other => other,
    }
}

fn append_stage(
    ctx: &RunContext<'_>,
    c2: &mut Connection,
    request: &CopyRequest<'_>,
    rx: mpsc::Receiver<Batch<'_>>,
) -> CopyOutcome {
    let mut outcome = CopyOutcome::default();
    for (batch, _reservation) in rx {
        if ctx.should_stop() {
            break;
        }
        let flags: Vec<Vec<String>> = batch
            .iter()
            .map(|m| append_flags(m, request.extra_flag))
            .collect();
        let items: Vec<AppendItem<'_>> = batch
            .iter()
            .zip(&flags)
            .map(|(m, f)| AppendItem {
                raw: &m.raw,
                flags: f,
                date: m.internal_date,
            })
            .collect();
        let appended = if items.len() > 1 && !c2.supports_multiappend() {
            one_by_one(ctx, c2, request, &batch, &items, &mut outcome)
        } else {
            match c2.append_batch(request.folder2, &items) {
                Ok(uids) => (0..batch.len())
                    .map(|i| Some(uids.get(i).copied().unwrap_or(0)))
                    .collect(),
                Err(err) if err.is_connection() => {
                    outcome.failure = Some(err);
                    break;
                }
                Err(_) if batch.len() > 1 => {
                    one_by_one(ctx, c2, request, &batch, &items, &mut outcome)
                }
                Err(err) => {
                    report_refused(ctx, request, &batch[0], &err);
                    vec![None]
                }
            }
        };
        outcome.refused += appended.iter().filter(|uid| uid.is_none()).count() as u64;
        record(ctx, request, &batch, &flags, &appended, &mut outcome);
        if outcome.failure.is_some() {
            break;
        }
    }
    outcome
}

/// Counts, reports and maps the messages of a batch that reached host2.
fn record(
    ctx: &RunContext<'_>,
    request: &CopyRequest<'_>,
    batch: &[FullMessage],
    flags: &[Vec<String>],
    appended: &[Option<u32>],
    outcome: &mut CopyOutcome,
) {
    let mut pairs = Vec::new();
    for ((message, flags), uid2) in batch.iter().zip(flags).zip(appended) {
        let Some(uid2) = *uid2 else { continue };
        let size = message.raw.len() as u64;
        outcome.copied.push((message.uid, uid2));
        if uid2 != 0 {
            pairs.push((message.uid, uid2, FlagSet::from_names(flags).render()));
        }
        ctx.count(|c| {
            c.transferred += 1;
            c.bytes_transferred += size;
        });
        ctx.progress(|p| {
            p.messages_done += 1;
            p.bytes_done += size;
        });
    }
    if !pairs.is_empty() {
        ctx.emit(vec![StateChange::Mapped {
            folder1: request.folder1.to_string(),
            pairs,
        }]);
    }
}

/// The flags a copy gets: host1's, plus the extra flag, minus what cannot be stored.
fn append_flags(message: &FullMessage, extra: Option<&str>) -> Vec<String> {
    let mut flags = FlagSet::from_names(&message.flags);
    if let Some(extra) = extra {
        flags.insert(extra);
    }
    flags.storable()
}

/// Message by message (no MULTIAPPEND, or a refused batch): one bad message costs only
/// itself. A broken connection is recorded in `outcome` and ends the batch.
fn one_by_one(
    ctx: &RunContext<'_>,
    c2: &mut Connection,
    request: &CopyRequest<'_>,
    batch: &[FullMessage],
    items: &[AppendItem<'_>],
    outcome: &mut CopyOutcome,
) -> Vec<Option<u32>> {
    let mut out = Vec::with_capacity(items.len());
    for (message, item) in batch.iter().zip(items) {
        if ctx.should_stop() {
            break;
        }
        match c2.append_batch(request.folder2, std::slice::from_ref(item)) {
            Ok(uids) => out.push(Some(uids.first().copied().unwrap_or(0))),
            Err(err) if err.is_connection() => {
                outcome.failure = Some(err);
                break;
            }
            Err(err) => {
                report_refused(ctx, request, message, &err);
                out.push(None);
            }
        }
    }
    out.resize(batch.len(), None);
    out
}

fn report_refused(
    ctx: &RunContext<'_>,
    request: &CopyRequest<'_>,
    message: &FullMessage,
    err: &ImapError,
) {
    let class = if err.message.to_ascii_lowercase().contains("quota") {
        ExitCode::OverQuota
    } else {
        ExitCode::ErrAppend
    };
    ctx.error(
        class,
        format!(
            "- msg {}/{} {{{}}} could not append to {}: {}",
            request.folder1,
            message.uid,
            message.raw.len(),
            request.folder2,
            err.message
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::batches;

    #[test]
    fn batches_are_bounded_by_bytes_and_count() {
        let big = 5 * 1024 * 1024;
        let plan = batches(&[(1, 1000), (2, big), (3, 1000), (4, 1000)]);
        assert_eq!(
            plan,
            vec![
                (vec![1], 1000),
                (vec![2], u64::from(big)),
                (vec![3, 4], 2000)
            ]
        );
        let many: Vec<(u32, u32)> = (1..=450).map(|u| (u, 10)).collect();
        let sizes: Vec<usize> = batches(&many).iter().map(|(uids, _)| uids.len()).collect();
        assert_eq!(sizes, [200, 200, 50]);
    }
}
