//! `get-log`: the last run's log, or its last 100 KiB cut at a line boundary.

use crate::input;
use crate::step::{Step, StepError, StepResult};
use serde_json::json;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;

/// Largest log returned whole.
pub const LOG_TAIL_BYTES: u64 = 102_400;

/// `get-log/20read`.
pub fn read(step: &mut Step) -> StepResult {
    let input = input::read()?;
    let name = input::task_name(&input)?;
    let dir = step.state.tasks_dir();
    let path = dir.join(format!("{name}.log"));
    // A symlink planted under the log's name must not expose another file (a `.pwd`).
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(&path);
    let mut file = match opened {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Some(json!({"log_content": "", "truncated": false})));
        }
        Err(e) => {
            return Err(StepError::failed(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    let real_dir = dir
        .canonicalize()
        .map_err(|e| StepError::failed(e.to_string()))?;
    let real_path = path
        .canonicalize()
        .map_err(|e| StepError::failed(e.to_string()))?;
    if real_path.parent() != Some(real_dir.as_path()) {
        return Err(StepError::failed("path traversal detected"));
    }
    let (content, truncated) = tail(&mut file)
        .map_err(|e| StepError::failed(format!("cannot read {}: {e}", path.display())))?;
    Ok(Some(
        json!({"log_content": content, "truncated": truncated}),
    ))
}

/// The whole file, or its last [`LOG_TAIL_BYTES`] without the partial first line.
fn tail(file: &mut std::fs::File) -> std::io::Result<(String, bool)> {
    let size = file.metadata()?.len();
    let truncated = size > LOG_TAIL_BYTES;
    file.seek(SeekFrom::Start(size.saturating_sub(LOG_TAIL_BYTES)))?;
    let mut bytes = Vec::new();
    file.take(LOG_TAIL_BYTES).read_to_end(&mut bytes)?;
    if truncated {
        let start = bytes
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        bytes.drain(..start);
    }
    Ok((String::from_utf8_lossy(&bytes).into_owned(), truncated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_long_log_keeps_whole_lines_of_its_end() {
        let mut file = tempfile::tempfile().unwrap();
        for n in 0..20_000 {
            writeln!(file, "line {n:06}").unwrap();
        }
        let (content, truncated) = tail(&mut file).unwrap();
        assert!(truncated);
        assert!(content.len() <= LOG_TAIL_BYTES as usize);
        assert!(content.starts_with("line "), "{}", &content[..20]);
        assert!(content.ends_with("line 019999\n"));
        let mut small = tempfile::tempfile().unwrap();
        small.write_all(b"one\n\xff two").unwrap();
        assert_eq!(
            tail(&mut small).unwrap(),
            ("one\n\u{fffd} two".to_string(), false)
        );
    }
}
