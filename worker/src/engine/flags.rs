//! Flag sets as stored in the UID map (sorted, space-separated, system flags in canonical
//! case) and the three-way merge that carries host1 changes to host2 without reverting
//! changes made on host2.

use std::collections::BTreeSet;

const SYSTEM_FLAGS: [&str; 5] = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

/// A normalised set of flags.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlagSet(BTreeSet<String>);

impl FlagSet {
    /// From server flag names; `\Recent` and `\*` dropped, system flags in canonical case.
    pub fn from_names<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Self {
        FlagSet(
            names
                .into_iter()
                .filter_map(|n| canonical(n.as_ref()))
                .collect(),
        )
    }

    /// From the stored space-separated form.
    pub fn parse(stored: &str) -> Self {
        Self::from_names(stored.split_whitespace())
    }

    /// The stored form.
    pub fn render(&self) -> String {
        self.0.iter().cloned().collect::<Vec<_>>().join(" ")
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }

    pub fn contains(&self, flag: &str) -> bool {
        self.0.contains(flag)
    }

    pub fn insert(&mut self, flag: &str) {
        if let Some(f) = canonical(flag) {
            self.0.insert(f);
        }
    }

    /// The flags a server can store: system flags and keywords made of IMAP atom characters
    /// (a keyword like `a(b` would make the whole command fail).
    pub fn storable(&self) -> Vec<String> {
        self.0.iter().filter(|f| is_storable(f)).cloned().collect()
    }

    /// Flags in `self` and not in `other`.
    pub fn minus(&self, other: &FlagSet) -> Vec<String> {
        self.0.difference(&other.0).cloned().collect()
    }

    /// Union of both sets.
    pub fn union(&self, other: &FlagSet) -> FlagSet {
        FlagSet(self.0.union(&other.0).cloned().collect())
    }
}

fn canonical(name: &str) -> Option<String> {
    if name.is_empty() || name.eq_ignore_ascii_case("\\Recent") || name == "\\*" {
        return None;
    }
    Some(
        SYSTEM_FLAGS
            .iter()
            .find(|s| s.eq_ignore_ascii_case(name))
            .map_or_else(|| name.to_string(), |s| s.to_string()),
    )
}

fn is_storable(flag: &str) -> bool {
    let name = flag.strip_prefix('\\').unwrap_or(flag);
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b > b' ' && b < 0x7f && !b"(){%*\"\\]".contains(&b))
}

/// host2's new flags: its current flags plus what host1 added since `base`, minus what host1
/// removed since `base`. A flag host2 changed on its own stays as host2 has it.
pub fn merge(base: &FlagSet, host1: &FlagSet, host2: &FlagSet) -> FlagSet {
    let added = host1.minus(base);
    let removed = base.minus(host1);
    let mut out = host2.0.clone();
    out.extend(added);
    for flag in removed {
        out.remove(&flag);
    }
    FlagSet(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> FlagSet {
        FlagSet::parse(s)
    }

    #[test]
    fn host1_changes_reach_host2_and_host2_changes_stay() {
        // host1 flagged the message, host2 (the user, locally) read it.
        let merged = merge(&set(""), &set("\\Flagged"), &set("\\Seen"));
        assert_eq!(merged, set("\\Flagged \\Seen"));
        // host1 removed \Flagged; host2 keeps its own keyword.
        let merged = merge(&set("\\Flagged"), &set(""), &set("\\Flagged work"));
        assert_eq!(merged, set("work"));
        // Nothing changed on host1: host2's unread mark is not reverted.
        let merged = merge(&set("\\Seen"), &set("\\Seen"), &set(""));
        assert_eq!(merged, set(""));
    }

    #[test]
    fn only_atom_keywords_are_storable() {
        let s = FlagSet::from_names(["\\Seen", "ok_kw", "bad(kw", "sp ace", "$Label1"]);
        assert_eq!(s.storable(), ["$Label1", "\\Seen", "ok_kw"]);
    }

    #[test]
    fn normalisation_is_canonical() {
        let s = FlagSet::from_names(["\\SEEN", "\\Recent", "$Forwarded", "\\flagged"]);
        assert_eq!(s.render(), "$Forwarded \\Flagged \\Seen");
    }
}
