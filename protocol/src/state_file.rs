//! Loading and atomically saving a task's UID map file.

use crate::state::SyncState;
use std::path::Path;

/// Reads a map file; a missing file is an empty map.
pub fn load(path: &Path) -> std::io::Result<SyncState> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SyncState::default()),
        Err(e) => Err(e),
    }
}

/// Writes the map atomically (see [`crate::atomic_file`]).
pub fn save(path: &Path, state: &SyncState) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    crate::atomic_file::write(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::StateChange;

    #[test]
    fn save_then_load_round_trips_and_missing_is_empty() {
        let dir = std::env::temp_dir().join(format!("state-file-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.state");
        assert_eq!(load(&path).unwrap(), SyncState::default());
        let mut state = SyncState::default();
        state.apply(StateChange::FolderBegin {
            folder1: "INBOX".into(),
            host2_folder: "INBOX".into(),
            uidvalidity1: 1,
            uidvalidity2: 2,
            reset: true,
        });
        save(&path, &state).unwrap();
        assert_eq!(load(&path).unwrap(), state);
        std::fs::write(&path, b"{not json").unwrap();
        assert!(load(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
