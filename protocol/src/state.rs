//! The persistent per-task UID map (`<task>.state`): which host1 message became which host2
//! message, with the host1 flags last synced, keyed by both folders' UIDVALIDITY. The worker emits
//! [`StateChange`]s; whoever owns the file applies them with [`SyncState::apply`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Current on-disk format version.
pub const STATE_VERSION: u32 = 1;

/// Mailbox counters that tell whether a folder changed since the last run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FolderStatus {
    pub uidnext: u32,
    pub messages: u32,
    /// 0 when the server has no CONDSTORE.
    #[serde(default)]
    pub highestmodseq: u64,
}

/// One copied message: its host2 UID and the host1 flags as last synced (space-separated,
/// sorted), the base of the three-way flag merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    pub uid2: u32,
    pub flags: String,
}

/// Map state for one host1 folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FolderState {
    pub host2_folder: String,
    pub uidvalidity1: u32,
    pub uidvalidity2: u32,
    /// host1 counters when the last complete pass over this folder started.
    #[serde(default)]
    pub status1: Option<FolderStatus>,
    /// host2 counters when the last complete pass over this folder ended.
    #[serde(default)]
    pub status2: Option<FolderStatus>,
    /// host2 UIDs at or above this were not examined by a complete pass yet.
    #[serde(default)]
    pub watermark2: u32,
    /// Total message bytes of the folder on each side after the last complete pass.
    #[serde(default)]
    pub bytes1: u64,
    #[serde(default)]
    pub bytes2: u64,
    /// The selection and actions of the last complete pass; a different scope re-examines
    /// the folder even when its counters did not change.
    #[serde(default)]
    pub scope: String,
    /// host2 copies whose host1 original this tool deleted (`--delete1`): never deleted on
    /// host2 as "missing on host1".
    #[serde(default)]
    pub protected2: std::collections::BTreeSet<u32>,
    #[serde(with = "pair_list", default)]
    pub pairs: BTreeMap<u32, Pair>,
}

/// The whole UID map of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    pub version: u32,
    #[serde(default)]
    pub folders: BTreeMap<String, FolderState>,
}

impl Default for SyncState {
    fn default() -> Self {
        SyncState {
            version: STATE_VERSION,
            folders: BTreeMap::new(),
        }
    }
}

/// One incremental update of the map, streamed by the worker while it works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum StateChange {
    /// A folder pass starts with these identities; `reset` drops the pairs kept so far.
    FolderBegin {
        folder1: String,
        host2_folder: String,
        uidvalidity1: u32,
        uidvalidity2: u32,
        reset: bool,
    },
    /// Messages now known on both sides: `(uid1, uid2, host1 flags)`.
    Mapped {
        folder1: String,
        pairs: Vec<(u32, u32, String)>,
    },
    /// host1 messages that no longer need tracking (gone from host1 or host2).
    Unmapped { folder1: String, uids1: Vec<u32> },
    /// A complete pass over the folder finished.
    FolderDone {
        folder1: String,
        status1: FolderStatus,
        status2: FolderStatus,
        watermark2: u32,
        bytes1: u64,
        bytes2: u64,
        scope: String,
    },
    /// host2 copies that stay although their host1 original was deleted on purpose.
    Protected { folder1: String, uids2: Vec<u32> },
    /// The host1 folder no longer exists.
    FolderGone { folder1: String },
}

impl SyncState {
    /// Applies one change. Changes for folders without a `FolderBegin` are ignored.
    pub fn apply(&mut self, change: StateChange) {
        match change {
            StateChange::FolderBegin {
                folder1,
                host2_folder,
                uidvalidity1,
                uidvalidity2,
                reset,
            } => {
                let entry = self.folders.entry(folder1).or_default();
                if reset {
                    *entry = FolderState::default();
                }
                entry.host2_folder = host2_folder;
                entry.uidvalidity1 = uidvalidity1;
                entry.uidvalidity2 = uidvalidity2;
            }
            StateChange::Mapped { folder1, pairs } => {
                if let Some(folder) = self.folders.get_mut(&folder1) {
                    for (uid1, uid2, flags) in pairs {
                        folder.pairs.insert(uid1, Pair { uid2, flags });
                    }
                }
            }
            StateChange::Unmapped { folder1, uids1 } => {
                if let Some(folder) = self.folders.get_mut(&folder1) {
                    for uid1 in uids1 {
                        folder.pairs.remove(&uid1);
                    }
                }
            }
            StateChange::FolderDone {
                folder1,
                status1,
                status2,
                watermark2,
                bytes1,
                bytes2,
                scope,
            } => {
                if let Some(folder) = self.folders.get_mut(&folder1) {
                    folder.status1 = Some(status1);
                    folder.status2 = Some(status2);
                    folder.watermark2 = watermark2;
                    folder.bytes1 = bytes1;
                    folder.bytes2 = bytes2;
                    folder.scope = scope;
                }
            }
            StateChange::Protected { folder1, uids2 } => {
                if let Some(folder) = self.folders.get_mut(&folder1) {
                    folder.protected2.extend(uids2);
                }
            }
            StateChange::FolderGone { folder1 } => {
                self.folders.remove(&folder1);
            }
        }
    }

    /// Number of mapped messages over all folders.
    pub fn pair_count(&self) -> usize {
        self.folders.values().map(|f| f.pairs.len()).sum()
    }
}

/// Pairs are stored as a compact list of `[uid1, uid2, "flags"]` arrays.
mod pair_list {
    use super::Pair;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(pairs: &BTreeMap<u32, Pair>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(pairs.iter().map(|(uid1, p)| (uid1, p.uid2, &p.flags)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<u32, Pair>, D::Error> {
        let list: Vec<(u32, u32, String)> = Vec::deserialize(d)?;
        Ok(list
            .into_iter()
            .map(|(uid1, uid2, flags)| (uid1, Pair { uid2, flags }))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn begin(reset: bool) -> StateChange {
        StateChange::FolderBegin {
            folder1: "INBOX".into(),
            host2_folder: "INBOX".into(),
            uidvalidity1: 7,
            uidvalidity2: 9,
            reset,
        }
    }

    #[test]
    fn changes_build_a_map_that_round_trips_through_json() {
        let mut state = SyncState::default();
        state.apply(begin(false));
        state.apply(StateChange::Mapped {
            folder1: "INBOX".into(),
            pairs: vec![(1, 10, "\\Seen".into()), (2, 11, String::new())],
        });
        state.apply(StateChange::Unmapped {
            folder1: "INBOX".into(),
            uids1: vec![1],
        });
        let json = serde_json::to_string(&state).unwrap();
        assert!(json.contains("\"pairs\":[[2,11,\"\"]]"), "{json}");
        let back: SyncState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state);
        assert_eq!(back.pair_count(), 1);
    }

    #[test]
    fn reset_drops_old_pairs() {
        let mut state = SyncState::default();
        state.apply(begin(false));
        state.apply(StateChange::Mapped {
            folder1: "INBOX".into(),
            pairs: vec![(1, 10, String::new())],
        });
        state.apply(begin(true));
        assert_eq!(state.pair_count(), 0);
        assert_eq!(state.folders["INBOX"].uidvalidity2, 9);
    }
}
