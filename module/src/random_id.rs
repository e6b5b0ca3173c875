//! Random task ids as the UI makes them: six characters from `[a-z0-9]`, drawn without bias
//! from the operating system's random source.

/// Length of a generated task id.
pub const TASK_ID_LEN: usize = 6;

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Largest multiple of the alphabet size that fits a byte: bytes at or above it are redrawn.
const UNBIASED_LIMIT: u8 = 252;

/// A new random task id.
pub fn random_task_id() -> Result<String, String> {
    let mut id = String::with_capacity(TASK_ID_LEN);
    let mut bytes = [0u8; 16];
    while id.len() < TASK_ID_LEN {
        getrandom::fill(&mut bytes).map_err(|e| format!("no random data: {e}"))?;
        for byte in bytes.iter().filter(|b| **b < UNBIASED_LIMIT) {
            if id.len() < TASK_ID_LEN {
                id.push(char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]));
            }
        }
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_six_lowercase_alphanumerics_and_vary() {
        let ids: HashSet<String> = (0..200).map(|_| random_task_id().unwrap()).collect();
        assert!(ids.len() > 190);
        for id in &ids {
            assert_eq!(id.len(), TASK_ID_LEN);
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{id}"
            );
        }
    }
}
