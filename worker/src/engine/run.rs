//! One whole run: log in on both sides, list and map folders, sync them with a few parallel
//! connection pairs (reconnecting on a dropped connection), delete host2 folders host1 lacks,
//! and sum it all up with an imapsync exit code.

use super::context::{lock, RunContext};
use super::events::{CancelToken, EventSink};
use super::folder_sync::{skip_unchanged, sync_folder, FolderJob, FolderTotals};
use super::folders::{decode, destinations, map_name, FolderFilter};
use crate::imap::session::{Connection, ErrorKind, ImapError, ListedFolder, Side};
use protocol::exit::ExitCode;
use protocol::rpc::{HostTotals, LogLevel, RunSummary};
use protocol::spec::SyncSpec;
use protocol::state::{StateChange, SyncState};
use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Reconnect attempts for one folder after a dropped connection.
const FOLDER_RETRIES: u32 = 2;

/// The exit code for a failure to open a connection.
pub fn open_failure_code(err: &ImapError) -> ExitCode {
    match (err.kind, err.side) {
        (ErrorKind::BadCredentials, Side::Host1) => ExitCode::AuthenticationFailureUser1,
        (ErrorKind::BadCredentials, Side::Host2) => ExitCode::AuthenticationFailureUser2,
        (ErrorKind::Tls | ErrorKind::StarttlsNotOffered, _) => ExitCode::TlsFailure,
        (_, Side::Host1) => ExitCode::ConnectionFailureHost1,
        (_, Side::Host2) => ExitCode::ConnectionFailureHost2,
    }
}

/// Opens both sides at once; a host1 failure is reported first.
pub fn open_pair(spec: &SyncSpec) -> Result<(Connection, Connection), ImapError> {
    let (r1, r2) = std::thread::scope(|scope| {
        let host2 = scope.spawn(|| Connection::open(&spec.host2, Side::Host2));
        let r1 = Connection::open(&spec.host1, Side::Host1);
        let r2 = host2.join().unwrap_or_else(|_| {
            Err(ImapError::new(
                Side::Host2,
                ErrorKind::Protocol,
                "login thread panicked",
            ))
        });
        (r1, r2)
    });
    Ok((r1?, r2?))
}

/// Runs a sync to completion (or cancellation) and returns its summary.
pub fn run(
    spec: &SyncSpec,
    state: SyncState,
    sink: &dyn EventSink,
    cancel: &CancelToken,
) -> RunSummary {
    let started = Instant::now();
    let ctx = RunContext::new(spec, state, sink, cancel);
    let mut summary = match run_inner(&ctx) {
        Ok(totals) => finish(&ctx, totals, None),
        Err(Fatal { code, message }) => {
            ctx.log(LogLevel::Error, &message);
            let mut s = finish(&ctx, Totals::default(), Some(code));
            s.error = Some(message);
            s
        }
    };
    summary.duration_ms = started.elapsed().as_millis() as u64;
    summary
}

/// A failure that ends the run.
struct Fatal {
    code: ExitCode,
    message: String,
}

impl From<ImapError> for Fatal {
    fn from(err: ImapError) -> Self {
        Fatal {
            code: if err.is_connection() {
                match err.side {
                    Side::Host1 => ExitCode::ConnectionFailureHost1,
                    Side::Host2 => ExitCode::ConnectionFailureHost2,
                }
            } else {
                ExitCode::CatchAll
            },
            message: err.to_string(),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    host1: HostTotals,
    host2: HostTotals,
}

fn run_inner(ctx: &RunContext<'_>) -> Result<Totals, Fatal> {
    let spec = ctx.spec;
    let filter = FolderFilter::new(&spec.select).map_err(|e| Fatal {
        code: ExitCode::Usage,
        message: e.to_string(),
    })?;
    let (mut c1, mut c2) = open_pair(spec).map_err(|e| Fatal {
        code: open_failure_code(&e),
        message: e.to_string(),
    })?;
    ctx.info(format!(
        "Host1: {} logged in as {}",
        spec.host1.host, spec.host1.user
    ));
    ctx.info(format!(
        "Host2: {} logged in as {}",
        spec.host2.host, spec.host2.user
    ));
    ctx.register_host1(c1.abort_handle().duplicate().map_err(io_fatal)?);
    let listed1 = c1.list_folders()?;
    let listed2 = c2.list_folders()?;
    let subscribed1 = c1.subscribed()?;
    let (chosen, excluded) = filter.select(&listed1, &c1.namespace);
    for folder in &excluded {
        ctx.info(format!(
            "Excluding folder [{}] (matches an exclusion)",
            decode(&folder.raw)
        ));
    }
    forget_vanished_folders(ctx, &listed1);
    // A folder host2 lists only as the parent of others (`\Noselect`, as Dovecot shows
    // `Archive` when only `Archive/2022` was created) cannot hold mail yet: it is created.
    let names2: HashSet<&str> = listed2
        .iter()
        .filter(|f| f.selectable)
        .map(|f| f.raw.as_str())
        .collect();
    let mapping = destinations(&listed1, &c1.namespace, &c2.namespace, &listed2);
    let jobs: Vec<FolderJob> = chosen
        .iter()
        .map(|f| {
            let raw2 = mapping[&f.raw].clone();
            FolderJob {
                exists2: names2.contains(raw2.as_str()),
                subscribe: subscribed1.contains(&f.raw),
                raw1: f.raw.clone(),
                raw2,
            }
        })
        .collect();
    ctx.progress(|p| p.folders_total = jobs.len() as u64);
    let mut totals = Totals::default();
    let mut changed = Vec::new();
    for job in jobs {
        match skip_unchanged(ctx, &mut c1, &mut c2, &job) {
            Ok(Some(t)) => {
                add_totals(&mut totals, t);
                ctx.progress(|p| p.folders_done += 1);
            }
            Err(e) if e.is_connection() => return Err(e.into()),
            _ => changed.push(job),
        }
    }
    ctx.info(format!(
        "Host1: {} folder(s) to sync, {} unchanged",
        changed.len(),
        chosen.len() - changed.len()
    ));
    let mut totals = sync_all(ctx, c1, c2, changed, totals)?;
    if spec.actions.delete_host2_folders && !ctx.cancel.is_cancelled() {
        let (c1, mut c2) = open_pair(spec)?;
        let ns1 = c1.namespace.clone();
        c1.logout();
        let deleted = delete_orphan_folders(ctx, &mut c2, &listed1, &listed2, &ns1, &filter)?;
        ctx.count(|c| c.folders_deleted_host2 += deleted);
        c2.logout();
    }
    totals.host1.folders = chosen.len() as u64;
    Ok(totals)
}

fn io_fatal(err: std::io::Error) -> Fatal {
    Fatal {
        code: ExitCode::ConnectionFailureHost1,
        message: err.to_string(),
    }
}

/// Drops map entries of host1 folders that no longer exist.
fn forget_vanished_folders(ctx: &RunContext<'_>, listed1: &[ListedFolder]) {
    let present: HashSet<&str> = listed1.iter().map(|f| f.raw.as_str()).collect();
    let gone: Vec<StateChange> = ctx
        .known_folders()
        .into_iter()
        .filter(|f| !present.contains(f.as_str()))
        .map(|folder1| StateChange::FolderGone { folder1 })
        .collect();
    ctx.emit(gone);
}

/// Syncs every job with up to `spec.connections` connection pairs in parallel.
fn sync_all(
    ctx: &RunContext<'_>,
    c1: Connection,
    c2: Connection,
    jobs: Vec<FolderJob>,
    initial: Totals,
) -> Result<Totals, Fatal> {
    let workers = usize::from(ctx.spec.connections.max(1)).min(jobs.len().max(1));
    let queue = Mutex::new(jobs.into_iter().collect::<VecDeque<_>>());
    let totals = Mutex::new(initial);
    let fatal: Mutex<Option<Fatal>> = Mutex::new(None);
    let (finished, finished_rx) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || watch_cancel(ctx, finished_rx));
        let mut handles = Vec::new();
        let mut first = Some((c1, c2));
        for _ in 0..workers {
            let pair = first.take();
            let (queue, totals, fatal) = (&queue, &totals, &fatal);
            handles.push(scope.spawn(move || {
                if let Err(f) = folder_worker(ctx, pair, queue, totals) {
                    ctx.halt();
                    lock(fatal).get_or_insert(f);
                }
            }));
        }
        for handle in handles {
            let _ = handle.join();
        }
        drop(finished);
    });
    match fatal.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some(f) => Err(f),
        None => Ok(totals.into_inner().unwrap_or_else(|e| e.into_inner())),
    }
}

/// Breaks host1 reads soon after a cancel so a slow server cannot delay the stop. Returns as
/// soon as the workers are done (the sender is dropped).
fn watch_cancel(ctx: &RunContext<'_>, finished: std::sync::mpsc::Receiver<()>) {
    use std::sync::mpsc::RecvTimeoutError;
    loop {
        match finished.recv_timeout(Duration::from_millis(50)) {
            Err(RecvTimeoutError::Timeout) if ctx.cancel.is_cancelled() => {
                if finished.recv_timeout(Duration::from_millis(300)).is_err() {
                    ctx.abort_host1();
                }
                return;
            }
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
    }
}

fn folder_worker(
    ctx: &RunContext<'_>,
    pair: Option<(Connection, Connection)>,
    queue: &Mutex<VecDeque<FolderJob>>,
    totals: &Mutex<Totals>,
) -> Result<(), Fatal> {
    let mut pair = pair;
    loop {
        if ctx.should_stop() {
            break;
        }
        let Some(job) = lock(queue).pop_front() else {
            break;
        };
        let name = decode(&job.raw1);
        ctx.folder_started(&name);
        let outcome = sync_one_folder(ctx, &mut pair, totals, &job);
        ctx.folder_finished(&name, outcome.is_ok() && !ctx.cancel.is_cancelled());
        outcome?;
    }
    if let Some((c1, c2)) = pair {
        c1.logout();
        c2.logout();
    }
    Ok(())
}

/// Syncs one folder job, reconnecting on a broken connection up to [`FOLDER_RETRIES`] times.
fn sync_one_folder(
    ctx: &RunContext<'_>,
    pair: &mut Option<(Connection, Connection)>,
    totals: &Mutex<Totals>,
    job: &FolderJob,
) -> Result<(), Fatal> {
    let mut attempt = 0;
    loop {
        let (c1, c2) = match pair.as_mut() {
            Some(p) => (&mut p.0, &mut p.1),
            None => {
                let opened = open_pair(ctx.spec).map_err(|e| Fatal {
                    code: open_failure_code(&e),
                    message: e.to_string(),
                })?;
                ctx.register_host1(opened.0.abort_handle().duplicate().map_err(io_fatal)?);
                let p = pair.insert(opened);
                (&mut p.0, &mut p.1)
            }
        };
        match sync_folder(ctx, c1, c2, job) {
            Ok(t) => {
                add_totals(&mut lock(totals), t);
                return Ok(());
            }
            Err(_) if ctx.cancel.is_cancelled() => return Ok(()),
            Err(e) if e.is_connection() && attempt < FOLDER_RETRIES => {
                attempt += 1;
                ctx.log(
                    LogLevel::Warn,
                    format!("{e}; reconnecting (attempt {attempt})"),
                );
                *pair = None;
            }
            Err(e) if e.is_connection() => return Err(e.into()),
            Err(e) => {
                ctx.error(ExitCode::CatchAll, format!("[{}]: {e}", decode(&job.raw1)));
                return Ok(());
            }
        }
    }
}

fn add_totals(totals: &mut Totals, t: FolderTotals) {
    totals.host1.messages += t.messages1;
    totals.host1.bytes += t.bytes1;
    totals.host2.folders += 1;
    totals.host2.messages += t.messages2;
    totals.host2.bytes += t.bytes2;
}

/// `--delete2folders`: removes host2 folders that no host1 folder maps to. INBOX, special-use
/// folders, parents of kept folders and folders a host1 exclusion would hide are kept.
fn delete_orphan_folders(
    ctx: &RunContext<'_>,
    c2: &mut Connection,
    listed1: &[ListedFolder],
    listed2: &[ListedFolder],
    ns1: &crate::imap::session::Namespace,
    filter: &FolderFilter,
) -> Result<u64, Fatal> {
    let ns2 = c2.namespace.clone();
    let wanted: HashSet<String> = destinations(listed1, ns1, &ns2, listed2)
        .into_values()
        .collect();
    let mut doomed: Vec<&ListedFolder> = listed2
        .iter()
        .filter(|f| {
            !f.raw.eq_ignore_ascii_case("INBOX")
                && f.special_use.is_none()
                && !wanted.contains(&f.raw)
                && !wanted
                    .iter()
                    .any(|w| w.starts_with(&format!("{}{}", f.raw, ns2.separator)))
                && !filter.excluded(&map_name(&f.raw, &ns2, ns1))
        })
        .collect();
    doomed.sort_by_key(|f| std::cmp::Reverse(f.raw.len()));
    let mut deleted = 0;
    for folder in doomed {
        if ctx.spec.actions.dry_run {
            ctx.info(format!(
                "Host2: would delete folder [{}] (dry mode)",
                decode(&folder.raw)
            ));
            continue;
        }
        match c2.delete_folder(&folder.raw) {
            Ok(()) => {
                deleted += 1;
                ctx.info(format!("Host2: deleted folder [{}]", decode(&folder.raw)));
            }
            Err(e) if e.is_connection() => return Err(e.into()),
            Err(e) => {
                ctx.error(
                    ExitCode::CatchAll,
                    format!(
                        "Host2: cannot delete folder [{}]: {}",
                        decode(&folder.raw),
                        e.message
                    ),
                );
            }
        }
    }
    Ok(deleted)
}

fn finish(ctx: &RunContext<'_>, totals: Totals, fatal: Option<ExitCode>) -> RunSummary {
    let counters = ctx.counters();
    let cancelled = ctx.cancel.is_cancelled();
    let code = if cancelled {
        ExitCode::Terminated
    } else if let Some(code) = fatal {
        code
    } else if counters.error_total() >= ctx.errors_max {
        ExitCode::WithErrorsMax
    } else if counters.error_total() > 0 {
        counters
            .errors
            .iter()
            .max_by_key(|(_, n)| **n)
            .and_then(|(code, _)| ExitCode::from_code(*code))
            .filter(|c| *c != ExitCode::CatchAll)
            .unwrap_or(ExitCode::WithErrors)
    } else {
        ExitCode::Ok
    };
    RunSummary {
        exit_code: code.code(),
        exit_name: code.name().to_string(),
        transferred: counters.transferred,
        bytes_transferred: counters.bytes_transferred,
        would_transfer: counters.would_transfer,
        skipped: counters.skipped,
        errors: counters.error_total(),
        deleted_host1: counters.deleted_host1,
        deleted_host2: counters.deleted_host2,
        flags_updated: counters.flags_updated,
        folders_synced: counters.folders_synced,
        folders_deleted_host2: counters.folders_deleted_host2,
        host1: totals.host1,
        host2: totals.host2,
        duration_ms: 0,
        error: None,
        cancelled,
    }
}
