//! Fetches what identifies messages without a UID map: each message's signature (from its
//! Message-Id and Received headers, or its whole header when it has neither) and its flags.

use super::flags::FlagSet;
use super::signature::{self, Signature};
use crate::imap::session::{Connection, ImapError};
use std::collections::HashMap;

/// A message's identity and flags, for pairing without a map.
pub struct Identified {
    pub uid: u32,
    pub signature: Signature,
    pub flags: FlagSet,
}

/// Identifies the messages `uids` of the selected folder.
pub fn signatures(conn: &mut Connection, uids: &[u32]) -> Result<Vec<Identified>, ImapError> {
    let metas = conn.fetch_meta(uids, true)?;
    let mut out = Vec::with_capacity(metas.len());
    let mut void = Vec::new();
    for meta in metas {
        let flags = FlagSet::from_names(&meta.flags);
        match meta.header.as_deref().and_then(signature::from_id_headers) {
            Some(signature) => out.push(Identified {
                uid: meta.uid,
                signature,
                flags,
            }),
            None => void.push((meta.uid, flags)),
        }
    }
    if !void.is_empty() {
        let uids: Vec<u32> = void.iter().map(|(u, _)| *u).collect();
        let headers: HashMap<u32, Vec<u8>> = conn.fetch_headers(&uids)?.into_iter().collect();
        for (uid, flags) in void {
            let header = headers.get(&uid).map_or(&[][..], |h| h.as_slice());
            out.push(Identified {
                uid,
                signature: signature::whole_header(header),
                flags,
            });
        }
    }
    Ok(out)
}

/// `(uid, signature)` of each message, as `pair_by_signature` pairs them.
pub fn keyed(ids: &[Identified]) -> Vec<(u32, Signature)> {
    ids.iter()
        .map(|id| (id.uid, id.signature.clone()))
        .collect()
}
