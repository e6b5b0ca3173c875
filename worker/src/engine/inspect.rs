//! Read-only looks at the two accounts: the login check used when a task is created, and the
//! per-folder sizes shown by `list-informations` (within the task's folder scope).

use super::folders::{decode, destinations, FolderFilter};
use super::run::open_failure_code;
use crate::imap::session::{Connection, ImapError, Side};
use protocol::exit::ExitCode;
use protocol::rpc::{FolderSize, HostTotals, LoginOutcome, LoginReport, SizesReport};
use protocol::spec::{Endpoint, SyncSpec};

fn outcome(result: &Result<Connection, ImapError>) -> LoginOutcome {
    match result {
        Ok(_) => LoginOutcome {
            ok: true,
            kind: None,
            message: None,
        },
        Err(e) => LoginOutcome {
            ok: false,
            kind: Some(e.kind.login_kind()),
            message: Some(e.to_string()),
        },
    }
}

/// Logs in on both sides (both are always tried) and reports each outcome.
pub fn check_login(host1: &Endpoint, host2: &Endpoint) -> LoginReport {
    let r1 = Connection::open(host1, Side::Host1);
    let r2 = Connection::open(host2, Side::Host2);
    let exit = match (&r1, &r2) {
        (Err(e), _) | (Ok(_), Err(e)) => open_failure_code(e),
        _ => ExitCode::Ok,
    };
    let report = LoginReport {
        host1: outcome(&r1),
        host2: outcome(&r2),
        exit_code: exit.code(),
    };
    for conn in [r1, r2].into_iter().flatten() {
        conn.logout();
    }
    report
}

/// Message count and bytes of each host1 folder in scope and of its host2 counterpart.
pub fn folder_sizes(spec: &SyncSpec) -> SizesReport {
    match sizes_inner(spec) {
        Ok(report) => report,
        Err((code, message)) => SizesReport {
            exit_code: code.code(),
            error: Some(message),
            ..SizesReport::default()
        },
    }
}

fn sizes_inner(spec: &SyncSpec) -> Result<SizesReport, (ExitCode, String)> {
    let filter = FolderFilter::new(&spec.select).map_err(|e| (ExitCode::Usage, e.to_string()))?;
    let fail = |e: ImapError| (open_failure_code(&e), e.to_string());
    let mut c1 = Connection::open(&spec.host1, Side::Host1).map_err(fail)?;
    let mut c2 = Connection::open(&spec.host2, Side::Host2).map_err(fail)?;
    let io = |e: ImapError| (ExitCode::CatchAll, e.to_string());
    let listed1 = c1.list_folders().map_err(io)?;
    let listed2 = c2.list_folders().map_err(io)?;
    let (chosen, _) = filter.select(&listed1, &c1.namespace);
    let mapping = destinations(&listed1, &c1.namespace, &c2.namespace, &listed2);
    let mut report = SizesReport::default();
    for folder in chosen {
        let raw2 = mapping[&folder.raw].clone();
        let size1 = measure(&mut c1, &folder.raw, true).map_err(io)?;
        let exists2 = listed2.iter().any(|f| f.raw == raw2 && f.selectable);
        let size2 = measure(&mut c2, &raw2, exists2).map_err(io)?;
        add(&mut report.host1_totals, &size1);
        add(&mut report.host2_totals, &size2);
        report.host1.push(size1);
        report.host2.push(size2);
    }
    c1.logout();
    c2.logout();
    Ok(report)
}

fn measure(conn: &mut Connection, raw: &str, exists: bool) -> Result<FolderSize, ImapError> {
    let mut size = FolderSize {
        name: decode(raw),
        messages: 0,
        bytes: 0,
        exists,
    };
    if exists {
        conn.examine(raw)?;
        let sizes = conn.list_sizes(1)?;
        size.messages = sizes.len() as u64;
        size.bytes = sizes.iter().map(|(_, s)| u64::from(*s)).sum();
    }
    Ok(size)
}

fn add(totals: &mut HostTotals, size: &FolderSize) {
    if size.exists {
        totals.folders += 1;
    }
    totals.messages += size.messages;
    totals.bytes += size.bytes;
}
