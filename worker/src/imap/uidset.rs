//! Compact IMAP UID sets (`1:5,9,12:14`) from sorted or unsorted UID lists.

/// Formats UIDs as a sequence set, merging consecutive runs. Input order does not matter.
pub fn format(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn runs_are_merged() {
        assert_eq!(format(&[5, 1, 2, 3, 9, 12, 13, 14, 3]), "1:3,5,9,12:14");
        assert_eq!(format(&[7]), "7");
        assert_eq!(format(&[]), "");
    }
}
