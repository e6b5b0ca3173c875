//! A password that travels inside RPC messages but never shows up in `Debug` or `Display`
//! output or logs.

use serde::{Deserialize, Serialize};

/// A secret string. `Debug` and `Display` print a mask; only [`Secret::expose`] reveals the value.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The clear-text value, for the one place that sends it to a server.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MASKED")
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MASKED")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "MASKED");
        assert_eq!(s.expose(), "hunter2");
    }
}
