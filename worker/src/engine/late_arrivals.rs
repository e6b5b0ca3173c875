//! Removes the second copy of a message that another session committed to host2 while this
//! pass was copying. It happens when an earlier run is killed (stop, SIGKILL, a cut link)
//! right after sending an APPEND: Dovecot still commits what it received, and when that lands
//! after this pass listed host2, the pass copies the same messages again.

use super::context::RunContext;
use super::folders::decode;
use super::identify::{keyed, signatures};
use super::matching::pair_by_signature;
use crate::imap::session::{Connection, ImapError};
use std::collections::{BTreeMap, HashSet};

/// A host2 UID and its RFC822.SIZE.
type UidSize = (u32, u32);

/// What a pass knew about host2's folder and what it added to it.
pub struct PassOnHost2<'p> {
    /// The host2 folder, as the server names it (selected on the connection).
    pub raw2: &'p str,
    /// host2 UIDNEXT before the pass listed the folder.
    pub uidnext_start: u32,
    /// host2 UID -> size of every message the pass listed.
    pub listed: &'p BTreeMap<u32, u32>,
    /// `(uid1, uid2)` of every copy the pass made.
    pub copied: &'p [(u32, u32)],
}

/// Finds messages host2 received from elsewhere during the pass and deletes each one that is
/// a second copy of a message the pass copied. The pass's own copies, recorded in the UID map,
/// stay. Costs one STATUS when nothing else arrived.
pub fn remove_late_duplicates(
    ctx: &RunContext<'_>,
    c2: &mut Connection,
    pass: &PassOnHost2<'_>,
) -> Result<(), ImapError> {
    let ours: HashSet<u32> = pass
        .copied
        .iter()
        .map(|(_, uid2)| *uid2)
        .filter(|uid2| *uid2 != 0)
        .collect();
    // Without APPENDUID the pass cannot tell its copies from others; they stay above the
    // watermark and the next pass pairs them by signature.
    if ours.is_empty() || ours.len() < pass.copied.len() {
        return Ok(());
    }
    let (_, now) = c2.status(pass.raw2)?;
    let listed_new = pass.listed.range(pass.uidnext_start..).count();
    let allocated = now.uidnext.saturating_sub(pass.uidnext_start) as usize;
    if allocated <= ours.len() + listed_new {
        return Ok(());
    }
    c2.select(pass.raw2)?;
    let (copies, others): (Vec<UidSize>, Vec<UidSize>) = c2
        .list_sizes(pass.uidnext_start)?
        .into_iter()
        .filter(|(uid2, _)| !pass.listed.contains_key(uid2))
        .partition(|(uid2, _)| ours.contains(uid2));
    // A second copy has the same bytes, hence the same size: only arrivals and copies whose
    // sizes meet are identified, so new mail delivered during a long first run costs no
    // header fetch of every copy.
    let copy_sizes: HashSet<u32> = copies.iter().map(|(_, size)| *size).collect();
    let arrivals: Vec<UidSize> = others
        .into_iter()
        .filter(|(_, size)| copy_sizes.contains(size))
        .collect();
    if arrivals.is_empty() {
        return Ok(());
    }
    let arrival_sizes: HashSet<u32> = arrivals.iter().map(|(_, size)| *size).collect();
    let candidates: Vec<u32> = copies
        .into_iter()
        .filter(|(_, size)| arrival_sizes.contains(size))
        .map(|(uid2, _)| uid2)
        .collect();
    let arrivals: Vec<u32> = arrivals.into_iter().map(|(uid2, _)| uid2).collect();
    let late = keyed(&signatures(c2, &arrivals)?);
    let copies = keyed(&signatures(c2, &candidates)?);
    let mut duplicates: Vec<u32> = pair_by_signature(&late, &copies)
        .pairs
        .into_iter()
        .map(|(late_uid, _)| late_uid)
        .collect();
    if duplicates.is_empty() {
        return Ok(());
    }
    duplicates.sort_unstable();
    c2.delete_messages(&duplicates)?;
    ctx.count(|c| c.deleted_host2 += duplicates.len() as u64);
    ctx.info(format!(
        "Host2: [{}]: {} message(s) stored by another session during this pass (an earlier \
         run's last APPEND) were already copied; the second copies were deleted",
        decode(pass.raw2),
        duplicates.len()
    ));
    Ok(())
}
