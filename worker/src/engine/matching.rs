//! Pairs host1 and host2 messages by signature as multisets: two different host1 messages with
//! the same signature need two host2 copies, so each host2 message pairs at most once.

use super::signature::Signature;
use std::collections::{HashMap, VecDeque};

/// Result of pairing by signature.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Matched {
    /// `(uid1, uid2)` pairs found on both sides.
    pub pairs: Vec<(u32, u32)>,
    /// host1 messages with no partner on host2.
    pub only1: Vec<u32>,
    /// host2 messages with no partner on host1.
    pub only2: Vec<u32>,
}

/// Pairs in ascending UID order on both sides.
pub fn pair_by_signature(host1: &[(u32, Signature)], host2: &[(u32, Signature)]) -> Matched {
    let mut sorted2: Vec<&(u32, Signature)> = host2.iter().collect();
    sorted2.sort_by_key(|(uid, _)| *uid);
    let mut pool: HashMap<&Signature, VecDeque<u32>> = HashMap::new();
    for (uid2, sig) in sorted2 {
        pool.entry(sig).or_default().push_back(*uid2);
    }
    let mut sorted1: Vec<&(u32, Signature)> = host1.iter().collect();
    sorted1.sort_by_key(|(uid, _)| *uid);
    let mut out = Matched::default();
    for (uid1, sig) in sorted1 {
        match pool.get_mut(sig).and_then(|q| q.pop_front()) {
            Some(uid2) => out.pairs.push((*uid1, uid2)),
            None => out.only1.push(*uid1),
        }
    }
    out.only2 = pool.into_values().flatten().collect();
    out.only2.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(s: &str) -> Signature {
        Signature::Headers(s.into())
    }

    #[test]
    fn equal_signatures_pair_one_to_one() {
        let host1 = [(1, sig("a")), (2, sig("a")), (3, sig("b"))];
        let host2 = [(10, sig("a")), (11, sig("c"))];
        let m = pair_by_signature(&host1, &host2);
        assert_eq!(m.pairs, [(1, 10)]);
        assert_eq!(m.only1, [2, 3]);
        assert_eq!(m.only2, [11]);
    }
}
