//! Syncs one host1 folder into its host2 folder: decide from STATUS whether anything changed,
//! match messages through the UID map and, for what the map does not cover, by signature;
//! copy what is missing; delete second copies another session stored meanwhile; carry flag
//! changes; apply the deletion options; record the pass.

use super::context::RunContext;
use super::copier::{self, CopyRequest};
use super::flags::{merge, FlagSet};
use super::folders::decode;
use super::identify::{keyed, signatures};
use super::late_arrivals::{remove_late_duplicates, PassOnHost2};
use super::matching::pair_by_signature;
use crate::imap::session::{Connection, ErrorKind, ImapError};
use protocol::exit::ExitCode;
use protocol::state::{FolderState, FolderStatus, Pair, StateChange};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One folder pair to sync.
#[derive(Debug, Clone)]
pub struct FolderJob {
    pub raw1: String,
    pub raw2: String,
    pub exists2: bool,
    pub subscribe: bool,
}

/// Message counts and sizes of the pair after the pass, for the summary totals.
#[derive(Debug, Clone, Copy, Default)]
pub struct FolderTotals {
    pub messages1: u64,
    pub bytes1: u64,
    pub messages2: u64,
    pub bytes2: u64,
}

/// What the two sides look like at the start of a pass.
struct Listing {
    st1: FolderStatus,
    /// host2 UIDNEXT before this pass appended anything.
    uidnext2_start: u32,
    /// host1 UID -> size of every message.
    sizes1: BTreeMap<u32, u32>,
    /// host1 UIDs the selection (search, age) lets through.
    selected1: Vec<u32>,
    /// host2 UID -> size of every message.
    sizes2: BTreeMap<u32, u32>,
}

/// Syncs `job`. Per-message problems are counted in `ctx`; an `Err` means the connection or
/// the folder itself failed.
pub fn sync_folder(
    ctx: &RunContext<'_>,
    c1: &mut Connection,
    c2: &mut Connection,
    job: &FolderJob,
) -> Result<FolderTotals, ImapError> {
    let name1 = decode(&job.raw1);
    let dry = ctx.spec.actions.dry_run;
    let exists2 = job.exists2 || ensure_host2_folder(ctx, c2, job)?;
    let (uv1, st1) = match c1.status(&job.raw1) {
        Ok(s) => s,
        Err(e) if e.kind == ErrorKind::Refused => {
            ctx.error(
                ExitCode::ErrSelect,
                format!("Host1: cannot select [{name1}]: {}", e.message),
            );
            return Ok(FolderTotals::default());
        }
        Err(e) => return Err(e),
    };
    let (uv2, st2) = if exists2 {
        c2.status(&job.raw2)?
    } else {
        (0, FolderStatus::default())
    };
    let known = ctx.folder_state(&job.raw1);
    let had_pairs = known.as_ref().is_some_and(|p| !p.pairs.is_empty());
    let prior = known
        .filter(|p| p.uidvalidity1 == uv1 && p.uidvalidity2 == uv2 && p.host2_folder == job.raw2);
    if prior.is_none() && had_pairs && !dry {
        ctx.info(format!(
            "[{name1}]: UIDVALIDITY changed, matching by headers again"
        ));
    }
    ctx.emit(vec![StateChange::FolderBegin {
        folder1: job.raw1.clone(),
        host2_folder: job.raw2.clone(),
        uidvalidity1: uv1,
        uidvalidity2: uv2,
        reset: prior.is_none(),
    }]);
    if modifies_host1(ctx) {
        c1.select(&job.raw1)?;
    } else {
        c1.examine(&job.raw1)?;
    }
    let sizes1: BTreeMap<u32, u32> = list_all(c1, st1.messages)?.into_iter().collect();
    let selected1 = match search_criteria(ctx) {
        Some(criteria) => c1.uid_search(&criteria)?,
        None => sizes1.keys().copied().collect(),
    };
    let sizes2: BTreeMap<u32, u32> = if exists2 {
        c2.select(&job.raw2)?;
        list_all(c2, st2.messages)?.into_iter().collect()
    } else {
        BTreeMap::new()
    };
    let listing = Listing {
        st1,
        uidnext2_start: st2.uidnext,
        sizes1,
        selected1,
        sizes2,
    };
    let pass = Pass {
        ctx,
        job,
        name1: &name1,
        prior: prior.as_ref(),
        listing: &listing,
        exists2,
    };
    pass.run(c1, c2)
}

/// The totals of a folder pair that did not change since the last complete pass (nothing to
/// do), or `None` when it must be synced. Costs one STATUS per side.
pub fn skip_unchanged(
    ctx: &RunContext<'_>,
    c1: &mut Connection,
    c2: &mut Connection,
    job: &FolderJob,
) -> Result<Option<FolderTotals>, ImapError> {
    let Some(prior) = ctx
        .folder_state(&job.raw1)
        .filter(|p| p.host2_folder == job.raw2)
    else {
        return Ok(None);
    };
    if !job.exists2 {
        return Ok(None);
    }
    let (uv1, st1) = c1.status(&job.raw1)?;
    let (uv2, st2) = c2.status(&job.raw2)?;
    if prior.uidvalidity1 != uv1 || prior.uidvalidity2 != uv2 || !unchanged(ctx, &prior, &st1, &st2)
    {
        return Ok(None);
    }
    ctx.count(|c| {
        c.skipped += prior.pairs.len() as u64;
        c.folders_synced += 1;
    });
    Ok(Some(FolderTotals {
        messages1: u64::from(st1.messages),
        bytes1: prior.bytes1,
        messages2: u64::from(st2.messages),
        bytes2: prior.bytes2,
    }))
}

/// Every message's UID and size. A refusal means "empty" only for a folder STATUS counted as
/// empty; an empty answer for a folder STATUS counted as full is an error. Either way a
/// misbehaving server cannot make mapped messages look deleted.
fn list_all(conn: &mut Connection, messages: u32) -> Result<Vec<(u32, u32)>, ImapError> {
    match conn.list_sizes(1) {
        Err(e) if e.kind == ErrorKind::Refused && messages == 0 => Ok(Vec::new()),
        Ok(list) if list.is_empty() && messages > 0 => Err(ImapError::new(
            conn.side(),
            ErrorKind::Refused,
            format!("the folder listed no message while STATUS counted {messages}"),
        )),
        other => other,
    }
}

/// The selection and actions that decide what a pass does to a folder, as recorded with it.
fn scope(ctx: &RunContext<'_>) -> String {
    let sel = &ctx.spec.select;
    let a = &ctx.spec.actions;
    format!(
        "search1={:?};maxage={:?};minage={:?};seen1={};delete1={};delete1older={:?};delete2={};flags={};sieve={}",
        sel.search1,
        sel.max_age_days,
        sel.min_age_days,
        a.set_seen_on_host1,
        a.delete_host1,
        a.delete_host1_older_days,
        a.delete_host2_messages,
        a.resync_flags,
        a.sieve_delivery
    )
}

/// Creates the host2 folder (and subscribes it); false in a dry run.
fn ensure_host2_folder(
    ctx: &RunContext<'_>,
    c2: &mut Connection,
    job: &FolderJob,
) -> Result<bool, ImapError> {
    let name2 = decode(&job.raw2);
    if ctx.spec.actions.dry_run {
        ctx.info(format!(
            "Creating folder [{name2}] on host2 (dry mode, not really)"
        ));
        return Ok(false);
    }
    ctx.info(format!("Creating folder [{name2}] on host2"));
    match c2.create(&job.raw2) {
        Ok(()) => {}
        Err(e)
            if e.kind == ErrorKind::Refused && e.message.to_ascii_lowercase().contains("exist") => {
        }
        Err(e) if e.kind == ErrorKind::Refused => {
            ctx.error(
                ExitCode::ErrCreate,
                format!("Host2: cannot create [{name2}]: {}", e.message),
            );
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    if job.subscribe {
        if let Err(e) = c2.subscribe(&job.raw2) {
            ctx.info(format!("Host2: cannot subscribe [{name2}]: {}", e.message));
        }
    }
    Ok(true)
}

/// True when neither side changed in a way this run cares about since the last pass.
fn unchanged(
    ctx: &RunContext<'_>,
    prior: &FolderState,
    st1: &FolderStatus,
    st2: &FolderStatus,
) -> bool {
    let sel = &ctx.spec.select;
    let actions = &ctx.spec.actions;
    prior.status1.as_ref() == Some(st1)
        && prior.scope == scope(ctx)
        && (st1.highestmodseq != 0 || !actions.resync_flags)
        && (!actions.delete_host2_messages || prior.status2.as_ref() == Some(st2))
        && sel.min_age_days.is_none()
        && actions.delete_host1_older_days.is_none()
}

/// True when the run may change host1 (then folders are opened read-write).
fn modifies_host1(ctx: &RunContext<'_>) -> bool {
    let actions = &ctx.spec.actions;
    !actions.dry_run
        && (actions.set_seen_on_host1
            || actions.delete_host1
            || actions.delete_host1_older_days.is_some())
}

/// The host1 SEARCH for this run's selection, or `None` for every message.
fn search_criteria(ctx: &RunContext<'_>) -> Option<String> {
    let sel = &ctx.spec.select;
    let mut parts = Vec::new();
    if let Some(search) = sel.search1.as_deref().filter(|s| !s.trim().is_empty()) {
        parts.push(search.trim().to_string());
    }
    let now = chrono::Utc::now();
    if let Some(days) = sel.max_age_days {
        parts.push(format!("SENTSINCE {}", imap_date(now, days)));
    }
    if let Some(days) = sel.min_age_days {
        parts.push(format!("SENTBEFORE {}", imap_date(now, days)));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn imap_date(now: chrono::DateTime<chrono::Utc>, days_ago: f64) -> String {
    let secs = (days_ago * 86400.0).round() as i64;
    (now - chrono::Duration::seconds(secs))
        .format("%d-%b-%Y")
        .to_string()
}

/// One pass over a folder pair once both sides are listed.
struct Pass<'p, 'c> {
    ctx: &'p RunContext<'c>,
    job: &'p FolderJob,
    name1: &'p str,
    prior: Option<&'p FolderState>,
    listing: &'p Listing,
    exists2: bool,
}

/// host1 messages paired with host2 messages during this pass.
#[derive(Default)]
struct Pairing {
    /// host1 UID -> host2 UID of every message known on both sides now.
    known: BTreeMap<u32, u32>,
    /// host2 messages host1 does not have.
    orphans2: Vec<u32>,
    /// host1 messages that vanished since the last pass, with their host2 UIDs.
    gone: Vec<(u32, u32)>,
}

impl Pass<'_, '_> {
    fn run(&self, c1: &mut Connection, c2: &mut Connection) -> Result<FolderTotals, ImapError> {
        let ctx = self.ctx;
        let actions = &ctx.spec.actions;
        let mut pairing = self.pair_known(c1, c2)?;
        if actions.resync_flags && !actions.dry_run {
            self.resync_flags(c1, c2)?;
        }
        let to_copy: Vec<(u32, u32)> = {
            let sizes = &self.listing.sizes1;
            self.listing
                .selected1
                .iter()
                .filter(|uid| !pairing.known.contains_key(uid))
                .map(|uid| (*uid, sizes.get(uid).copied().unwrap_or(0)))
                .collect()
        };
        let already = self.listing.selected1.len() - to_copy.len();
        ctx.count(|c| c.skipped += already as u64);
        let outcome = self.copy(c1, c2, &to_copy);
        for &(uid1, uid2) in &outcome.copied {
            pairing.known.insert(uid1, uid2);
        }
        if let Some(failure) = outcome.failure {
            return Err(failure);
        }
        if ctx.should_stop() {
            return Ok(self.totals(&outcome.copied, 0));
        }
        if self.exists2 && !actions.dry_run {
            remove_late_duplicates(
                ctx,
                c2,
                &PassOnHost2 {
                    raw2: &self.job.raw2,
                    uidnext_start: self.listing.uidnext2_start,
                    listed: &self.listing.sizes2,
                    copied: &outcome.copied,
                },
            )?;
        }
        self.host1_after_copy(c1, &pairing, &outcome.copied)?;
        let deleted2_bytes = self.host2_cleanup(c2, &pairing)?;
        self.sieve(c2, &outcome.copied)?;
        let totals = self.totals(&outcome.copied, deleted2_bytes);
        if outcome.refused > 0 || ctx.too_many_errors() {
            // Not a complete pass: the next run must look at this folder again.
            return Ok(totals);
        }
        if self.exists2 && !actions.dry_run {
            let (_, st2_end) = c2.status(&self.job.raw2)?;
            // Copies whose host2 UID is unknown (no UIDPLUS) stay above the watermark, so the
            // next pass pairs them by signature instead of copying them again.
            let unmapped_copies = outcome.copied.iter().any(|(_, uid2)| *uid2 == 0);
            ctx.emit(vec![StateChange::FolderDone {
                folder1: self.job.raw1.clone(),
                status1: self.listing.st1,
                status2: st2_end,
                watermark2: if unmapped_copies {
                    self.listing.uidnext2_start
                } else {
                    st2_end.uidnext
                },
                bytes1: totals.bytes1,
                bytes2: totals.bytes2,
                scope: scope(ctx),
            }]);
        }
        ctx.count(|c| c.folders_synced += 1);
        Ok(totals)
    }

    fn totals(&self, copied: &[(u32, u32)], deleted2_bytes: u64) -> FolderTotals {
        let copied_bytes: u64 = copied
            .iter()
            .map(|(uid1, _)| u64::from(self.listing.sizes1.get(uid1).copied().unwrap_or(0)))
            .sum();
        let bytes2: u64 = self.listing.sizes2.values().map(|s| u64::from(*s)).sum();
        FolderTotals {
            messages1: self.listing.sizes1.len() as u64,
            bytes1: self.listing.sizes1.values().map(|s| u64::from(*s)).sum(),
            messages2: self.listing.sizes2.len() as u64 + copied.len() as u64,
            bytes2: (bytes2 + copied_bytes).saturating_sub(deleted2_bytes),
        }
    }

    /// Pairs from the map, then by signature for what the map does not cover.
    fn pair_known(&self, c1: &mut Connection, c2: &mut Connection) -> Result<Pairing, ImapError> {
        let ctx = self.ctx;
        let actions = &ctx.spec.actions;
        let present1 = &self.listing.sizes1;
        let empty = BTreeMap::new();
        let mapped: &BTreeMap<u32, Pair> = self.prior.map_or(&empty, |p| &p.pairs);
        let mut pairing = Pairing::default();
        for (uid1, pair) in mapped {
            if present1.contains_key(uid1) {
                pairing.known.insert(*uid1, pair.uid2);
            } else {
                pairing.gone.push((*uid1, pair.uid2));
            }
        }
        let mut known2: HashSet<u32> = mapped.values().map(|p| p.uid2).collect();
        if let Some(prior) = self.prior {
            known2.extend(&prior.protected2);
        }
        let watermark = self.prior.map_or(0, |p| p.watermark2);
        let unknown2: Vec<u32> = self
            .listing
            .sizes2
            .keys()
            .copied()
            .filter(|u| !known2.contains(u) && (actions.delete_host2_messages || *u >= watermark))
            .collect();
        let candidates1: Vec<u32> = if actions.delete_host2_messages {
            self.listing
                .sizes1
                .keys()
                .copied()
                .filter(|u| !mapped.contains_key(u))
                .collect()
        } else {
            self.listing
                .selected1
                .iter()
                .copied()
                .filter(|u| !mapped.contains_key(u))
                .collect()
        };
        if unknown2.is_empty() || candidates1.is_empty() {
            pairing.orphans2 = unknown2;
            return Ok(pairing);
        }
        let sigs1 = signatures(c1, &candidates1)?;
        let sigs2 = signatures(c2, &unknown2)?;
        let flags1: HashMap<u32, FlagSet> =
            sigs1.iter().map(|s| (s.uid, s.flags.clone())).collect();
        let flags2: HashMap<u32, FlagSet> =
            sigs2.iter().map(|s| (s.uid, s.flags.clone())).collect();
        let matched = pair_by_signature(&keyed(&sigs1), &keyed(&sigs2));
        let mut records = Vec::new();
        for &(uid1, uid2) in &matched.pairs {
            let f1 = flags1.get(&uid1).cloned().unwrap_or_default();
            let f2 = flags2.get(&uid2).cloned().unwrap_or_default();
            let missing = FlagSet::from_names(f1.minus(&f2)).storable();
            if actions.resync_flags && !missing.is_empty() && !actions.dry_run {
                c2.store(&[uid2], '+', &missing)?;
                ctx.count(|c| c.flags_updated += 1);
            }
            pairing.known.insert(uid1, uid2);
            records.push((uid1, uid2, f1.render()));
        }
        if !records.is_empty() {
            ctx.info(format!(
                "[{}]: {} message(s) already on host2, identified by headers",
                self.name1,
                records.len()
            ));
            ctx.emit(vec![StateChange::Mapped {
                folder1: self.job.raw1.clone(),
                pairs: records,
            }]);
        }
        pairing.orphans2 = matched.only2;
        Ok(pairing)
    }

    /// Carries host1 flag changes since the last pass to host2 (three-way merge).
    fn resync_flags(&self, c1: &mut Connection, c2: &mut Connection) -> Result<(), ImapError> {
        let Some(prior) = self.prior else {
            return Ok(());
        };
        if prior.pairs.is_empty() {
            return Ok(());
        }
        let since = prior.status1.map(|s| s.highestmodseq).filter(|m| *m > 0);
        if since.is_some() && since == Some(self.listing.st1.highestmodseq) {
            return Ok(());
        }
        let uids1: Vec<u32> = prior
            .pairs
            .keys()
            .copied()
            .filter(|u| self.listing.sizes1.contains_key(u))
            .collect();
        let changed: Vec<(u32, FlagSet, &Pair)> = c1
            .fetch_flags_changed(&uids1, since)?
            .into_iter()
            .filter_map(|(uid1, names)| {
                let pair = prior.pairs.get(&uid1)?;
                let now = FlagSet::from_names(&names);
                (now != FlagSet::parse(&pair.flags)).then_some((uid1, now, pair))
            })
            .collect();
        if changed.is_empty() || !self.exists2 {
            return Ok(());
        }
        let uids2: Vec<u32> = changed.iter().map(|(_, _, p)| p.uid2).collect();
        let current2: HashMap<u32, FlagSet> = c2
            .fetch_flags_changed(&uids2, None)?
            .into_iter()
            .map(|(uid, names)| (uid, FlagSet::from_names(&names)))
            .collect();
        let mut records = Vec::new();
        for (uid1, now1, pair) in changed {
            if let Some(f2) = current2.get(&pair.uid2) {
                let merged = merge(&FlagSet::parse(&pair.flags), &now1, f2);
                let add = FlagSet::from_names(merged.minus(f2)).storable();
                let remove = FlagSet::from_names(f2.minus(&merged)).storable();
                c2.store(&[pair.uid2], '+', &add)?;
                c2.store(&[pair.uid2], '-', &remove)?;
                if !add.is_empty() || !remove.is_empty() {
                    self.ctx.count(|c| c.flags_updated += 1);
                }
            }
            records.push((uid1, pair.uid2, now1.render()));
        }
        self.ctx.emit(vec![StateChange::Mapped {
            folder1: self.job.raw1.clone(),
            pairs: records,
        }]);
        Ok(())
    }

    /// Copies what host2 can take; messages over its APPENDLIMIT are reported and left for a
    /// later run (the pass stays incomplete).
    fn copy(
        &self,
        c1: &mut Connection,
        c2: &mut Connection,
        to_copy: &[(u32, u32)],
    ) -> copier::CopyOutcome {
        let limit = c2.capability_value("APPENDLIMIT").unwrap_or(u64::MAX);
        let (fitting, too_big): (Vec<_>, Vec<_>) = to_copy
            .iter()
            .partition(|(_, size)| u64::from(*size) <= limit);
        for (uid, size) in &too_big {
            self.ctx.error(
                ExitCode::ErrAppend,
                format!(
                    "- msg {}/{uid} {{{size}}} is larger than host2's APPENDLIMIT {limit}",
                    self.name1
                ),
            );
        }
        let mut outcome = self.copy_fitting(c1, c2, &fitting);
        outcome.refused += too_big.len() as u64;
        outcome
    }

    fn copy_fitting(
        &self,
        c1: &mut Connection,
        c2: &mut Connection,
        to_copy: &[(u32, u32)],
    ) -> copier::CopyOutcome {
        let ctx = self.ctx;
        let bytes: u64 = to_copy.iter().map(|(_, s)| u64::from(*s)).sum();
        ctx.progress(|p| {
            p.messages_total += to_copy.len() as u64;
            p.bytes_total += bytes;
        });
        if to_copy.is_empty() {
            return copier::CopyOutcome::default();
        }
        if ctx.spec.actions.dry_run {
            ctx.count(|c| c.would_transfer += to_copy.len() as u64);
            ctx.info(format!(
                "[{}]: {} message(s) would be copied (dry mode)",
                self.name1,
                to_copy.len()
            ));
            return copier::CopyOutcome::default();
        }
        let seen = ctx.spec.actions.set_seen_on_host1.then_some("\\Seen");
        let outcome = copier::copy(
            ctx,
            c1,
            c2,
            &CopyRequest {
                folder1: &self.job.raw1,
                folder2: &self.job.raw2,
                messages: to_copy.to_vec(),
                extra_flag: seen,
            },
        );
        ctx.info(format!(
            "[{}] -> [{}]: {} message(s) copied",
            self.name1,
            decode(&self.job.raw2),
            outcome.copied.len()
        ));
        outcome
    }

    /// `\Seen`, `--delete1` and `--delete1older` on host1, only for messages known on host2.
    /// `\Seen`, `--delete1` and `--delete1older` on host1. Deletion only touches messages
    /// verified on host2: appended in this pass, or mapped to a host2 UID listed now.
    fn host1_after_copy(
        &self,
        c1: &mut Connection,
        pairing: &Pairing,
        copied: &[(u32, u32)],
    ) -> Result<(), ImapError> {
        let ctx = self.ctx;
        let actions = &ctx.spec.actions;
        if actions.dry_run {
            return Ok(());
        }
        let copied1: HashSet<u32> = copied.iter().map(|(u1, _)| *u1).collect();
        let verified = |uid1: &u32| {
            copied1.contains(uid1)
                || pairing
                    .known
                    .get(uid1)
                    .is_some_and(|u2| self.listing.sizes2.contains_key(u2))
        };
        let selected_known: Vec<u32> = self
            .listing
            .selected1
            .iter()
            .copied()
            .filter(|u| pairing.known.contains_key(u))
            .collect();
        if actions.set_seen_on_host1 && !selected_known.is_empty() {
            c1.store(&selected_known, '+', &["\\Seen".to_string()])?;
        }
        let mut doomed: Vec<u32> = Vec::new();
        if actions.delete_host1 {
            doomed.extend(selected_known.iter().filter(|u| verified(u)));
        }
        if let Some(days) = actions.delete_host1_older_days {
            let before = imap_date(chrono::Utc::now(), f64::from(days));
            let old = c1.uid_search(&format!("BEFORE {before}"))?;
            doomed.extend(old.into_iter().filter(|u| verified(u)));
        }
        doomed.sort_unstable();
        doomed.dedup();
        if doomed.is_empty() {
            return Ok(());
        }
        c1.delete_messages(&doomed)?;
        ctx.count(|c| c.deleted_host1 += doomed.len() as u64);
        ctx.info(format!(
            "Host1: [{}]: {} message(s) deleted",
            self.name1,
            doomed.len()
        ));
        let kept2: Vec<u32> = doomed
            .iter()
            .filter_map(|u1| pairing.known.get(u1).copied())
            .filter(|u2| *u2 != 0)
            .collect();
        ctx.emit(vec![
            StateChange::Unmapped {
                folder1: self.job.raw1.clone(),
                uids1: doomed,
            },
            StateChange::Protected {
                folder1: self.job.raw1.clone(),
                uids2: kept2,
            },
        ]);
        Ok(())
    }

    /// Forgets host1 messages that vanished and, with `--delete2`, removes host2 messages
    /// host1 lacks. Returns the bytes deleted on host2.
    fn host2_cleanup(&self, c2: &mut Connection, pairing: &Pairing) -> Result<u64, ImapError> {
        let ctx = self.ctx;
        let actions = &ctx.spec.actions;
        if !pairing.gone.is_empty() {
            ctx.emit(vec![StateChange::Unmapped {
                folder1: self.job.raw1.clone(),
                uids1: pairing.gone.iter().map(|(u1, _)| *u1).collect(),
            }]);
        }
        if !actions.delete_host2_messages || !self.exists2 {
            return Ok(0);
        }
        let present2 = &self.listing.sizes2;
        let mut doomed: Vec<u32> = pairing
            .orphans2
            .iter()
            .copied()
            .chain(pairing.gone.iter().map(|(_, u2)| *u2))
            .filter(|u| present2.contains_key(u))
            .collect();
        doomed.sort_unstable();
        doomed.dedup();
        if doomed.is_empty() {
            return Ok(0);
        }
        let bytes = doomed.iter().map(|u| u64::from(present2[u])).sum();
        if actions.dry_run {
            ctx.info(format!(
                "Host2: [{}]: {} message(s) would be deleted (dry mode)",
                decode(&self.job.raw2),
                doomed.len()
            ));
            return Ok(0);
        }
        c2.select(&self.job.raw2)?;
        c2.delete_messages(&doomed)?;
        ctx.count(|c| c.deleted_host2 += doomed.len() as u64);
        ctx.info(format!(
            "Host2: [{}]: {} message(s) deleted",
            decode(&self.job.raw2),
            doomed.len()
        ));
        Ok(bytes)
    }

    /// Inbox mode with Sieve: the user's active script runs on what was just copied.
    fn sieve(&self, c2: &mut Connection, copied: &[(u32, u32)]) -> Result<(), ImapError> {
        let actions = &self.ctx.spec.actions;
        if !actions.sieve_delivery
            || actions.dry_run
            || !self.job.raw2.eq_ignore_ascii_case("INBOX")
        {
            return Ok(());
        }
        let uids2: Vec<u32> = copied
            .iter()
            .map(|(_, u2)| *u2)
            .filter(|u| *u != 0)
            .collect();
        if uids2.is_empty() {
            return Ok(());
        }
        let set = crate::imap::uidset::format(&uids2);
        let folder = &self.job.raw2;
        self.ctx.info(format!(
            "Host2: Running FILTER SIEVE DELIVERY UID {set} with EXPUNGE on {folder}"
        ));
        c2.select(folder)?;
        let filtered = c2
            .raw_command(&format!("FILTER SIEVE DELIVERY UID {set}"))
            .and_then(|()| c2.expunge_uids(&uids2).map(drop));
        match filtered {
            Err(e) if e.kind == ErrorKind::Refused => {
                self.ctx.error(
                    ExitCode::CatchAll,
                    format!("Host2: FILTER SIEVE failed: {}", e.message),
                );
                Ok(())
            }
            other => other,
        }
    }
}
