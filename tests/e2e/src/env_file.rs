//! `KEY=VALUE` files: the module's `environment`, `agent.env` and the task `.env` files.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// The pairs the Go agent exports from a file: every line that contains `=`, split at the
/// first `=`, in file order (a later duplicate wins when they become an environment).
pub fn agent_pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// The map Python's `agent.read_envfile` builds: blank and `#` lines skipped, split at the
/// first `=`, values verbatim.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// [`parse`] of a file; a missing file is an empty map.
pub fn read(path: &Path) -> io::Result<BTreeMap<String, String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(parse(&text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e),
    }
}

/// The text NS8 writes: sorted `K=V` lines, each ending with a newline.
pub fn render(pairs: &BTreeMap<String, String>) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_pairs_keep_every_line_with_an_equal_sign() {
        let pairs = agent_pairs("A=1\n# B=2\n\nplain\nC=x=y\n");
        assert_eq!(
            pairs,
            vec![
                ("A".to_string(), "1".to_string()),
                ("# B".to_string(), "2".to_string()),
                ("C".to_string(), "x=y".to_string()),
            ]
        );
    }

    #[test]
    fn python_rules_skip_comments_and_blank_lines() {
        let map = parse("\nTASK_ID=abc\n#X=1\nEXCLUDE=,a b\n");
        assert_eq!(map.len(), 2);
        assert_eq!(map["EXCLUDE"], ",a b");
    }

    #[test]
    fn render_sorts() {
        let mut map = BTreeMap::new();
        map.insert("B".to_string(), "2".to_string());
        map.insert("A".to_string(), "1".to_string());
        assert_eq!(render(&map), "A=1\nB=2\n");
    }
}
