//! One time field of a cron entry (minute, hour, day of month, month or day of week): checks it
//! against cronie's grammar and rewrites it in the purely numeric form handed to `croner`.
//!
//! The grammar is a comma-separated list of items; an item is `*`, a value `N` or a range `N-M`,
//! and `*` or a range may carry a step `/S`. Values are decimal numbers or, in the month and
//! day-of-week fields, three-letter English names in any case. Rewriting names here, field by
//! field, keeps a day name out of the month field (croner would replace names anywhere in the
//! pattern), and an item whose step is larger than its range becomes its first value, as in
//! cronie (`*/90` in the minute field runs at minute 0 only) whatever the size of the step.

/// The bounds and names of one time field.
#[derive(Debug, Clone, Copy)]
pub(super) struct Kind {
    /// How the field is named in error messages.
    pub(super) label: &'static str,
    min: u32,
    max: u32,
    /// Names for `min`, `min + 1`, ... (lower case).
    names: &'static [&'static str],
}

/// The minute field, 0-59.
pub(super) const MINUTE: Kind = Kind {
    label: "minute",
    min: 0,
    max: 59,
    names: &[],
};

/// The hour field, 0-23.
pub(super) const HOUR: Kind = Kind {
    label: "hour",
    min: 0,
    max: 23,
    names: &[],
};

/// The day-of-month field, 1-31.
pub(super) const DAY_OF_MONTH: Kind = Kind {
    label: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
};

/// The month field, 1-12 or `jan`-`dec`.
pub(super) const MONTH: Kind = Kind {
    label: "month",
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
};

/// The day-of-week field, 0-7 (0 and 7 are both Sunday) or `sun`-`sat`.
pub(super) const DAY_OF_WEEK: Kind = Kind {
    label: "day-of-week",
    min: 0,
    max: 7,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

/// The five time fields, in the order they appear on an entry line.
pub(super) const FIELDS: [Kind; 5] = [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK];

/// Checks `text` as a field of `kind` and returns it with names replaced by numbers.
///
/// The error says what is wrong with the field, without naming it (the caller does).
pub(super) fn normalise(kind: Kind, text: &str) -> Result<String, String> {
    text.split(',')
        .map(|item| normalise_item(kind, item))
        .collect::<Result<Vec<_>, _>>()
        .map(|items| items.join(","))
}

/// Checks and rewrites one comma-separated item.
fn normalise_item(kind: Kind, item: &str) -> Result<String, String> {
    if item.is_empty() {
        return Err("empty list element".to_string());
    }
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => (range, Some(parse_step(step)?)),
        None => (item, None),
    };
    let (start, end, text) = if range == "*" {
        (kind.min, kind.max, "*".to_string())
    } else if let Some((first, last)) = range.split_once('-') {
        let (first, last) = (value(kind, first)?, value(kind, last)?);
        if first > last {
            return Err(format!("range {first}-{last} runs backwards"));
        }
        (first, last, format!("{first}-{last}"))
    } else if step.is_some() {
        return Err(format!("`{item}`: a step needs `*` or a range before it"));
    } else {
        let single = value(kind, range)?;
        return Ok(single.to_string());
    };
    Ok(match step {
        Some(step) if step > end - start => start.to_string(),
        Some(step) => format!("{text}/{step}"),
        None => text,
    })
}

/// Parses the step after a `/`: a positive decimal number.
fn parse_step(text: &str) -> Result<u32, String> {
    match number(text) {
        Some(0) => Err("a step of 0".to_string()),
        Some(step) => Ok(step),
        None => Err(format!("bad step `{text}`")),
    }
}

/// Parses one value of the field: a number within its bounds or one of its names.
fn value(kind: Kind, text: &str) -> Result<u32, String> {
    if text.is_empty() {
        return Err("missing value".to_string());
    }
    if let Some(number) = number(text) {
        return if (kind.min..=kind.max).contains(&number) {
            Ok(number)
        } else {
            Err(format!(
                "{number} is out of range {}-{}",
                kind.min, kind.max
            ))
        };
    }
    kind.names
        .iter()
        .position(|name| name.eq_ignore_ascii_case(text))
        .and_then(|index| u32::try_from(index).ok())
        .map(|index| kind.min + index)
        .ok_or_else(|| format!("bad value `{text}`"))
}

/// Parses a non-empty run of ASCII digits (no sign), or `None`.
fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_ranges_lists_and_steps_pass_through() {
        assert_eq!(normalise(MINUTE, "*").unwrap(), "*");
        assert_eq!(normalise(MINUTE, "0,30").unwrap(), "0,30");
        assert_eq!(normalise(HOUR, "8-18/2").unwrap(), "8-18/2");
        assert_eq!(normalise(MINUTE, "*/5").unwrap(), "*/5");
        assert_eq!(normalise(MINUTE, "07").unwrap(), "7");
    }

    #[test]
    fn names_become_numbers_in_their_own_field_only() {
        assert_eq!(normalise(MONTH, "jan-MAR").unwrap(), "1-3");
        assert_eq!(normalise(MONTH, "Dec").unwrap(), "12");
        assert_eq!(normalise(DAY_OF_WEEK, "mon-fri").unwrap(), "1-5");
        assert_eq!(normalise(DAY_OF_WEEK, "sun,SAT").unwrap(), "0,6");
        assert!(normalise(MONTH, "mon").is_err());
        assert!(normalise(DAY_OF_WEEK, "jan").is_err());
        assert!(normalise(MINUTE, "mon").is_err());
        assert!(normalise(DAY_OF_WEEK, "monday").is_err());
    }

    #[test]
    fn sunday_may_be_seven() {
        assert_eq!(normalise(DAY_OF_WEEK, "7").unwrap(), "7");
        assert_eq!(normalise(DAY_OF_WEEK, "5-7").unwrap(), "5-7");
        assert!(normalise(DAY_OF_WEEK, "8").is_err());
    }

    #[test]
    fn a_step_larger_than_its_range_keeps_the_first_value() {
        assert_eq!(normalise(MINUTE, "*/90").unwrap(), "0");
        assert_eq!(normalise(MINUTE, "*/100000").unwrap(), "0");
        assert_eq!(normalise(DAY_OF_MONTH, "*/31").unwrap(), "1");
        assert_eq!(normalise(MINUTE, "10-20/11").unwrap(), "10");
        assert_eq!(normalise(MINUTE, "10-20/10").unwrap(), "10-20/10");
        assert_eq!(normalise(MINUTE, "*/59").unwrap(), "*/59");
    }

    #[test]
    fn bad_fields_are_rejected() {
        for (kind, text) in [
            (MINUTE, "60"),
            (MINUTE, "61"),
            (HOUR, "24"),
            (DAY_OF_MONTH, "0"),
            (DAY_OF_MONTH, "32"),
            (MONTH, "13"),
            (MINUTE, ""),
            (MINUTE, "1,,2"),
            (MINUTE, "1,"),
            (MINUTE, "5-1"),
            (MINUTE, "*/0"),
            (MINUTE, "*/x"),
            (MINUTE, "*/"),
            (MINUTE, "5/10"),
            (MINUTE, "-5"),
            (MINUTE, "1-"),
            (MINUTE, "1-2-3"),
            (MINUTE, "+5"),
            (MINUTE, "**"),
            (DAY_OF_MONTH, "L"),
            (DAY_OF_MONTH, "15W"),
            (DAY_OF_WEEK, "5#2"),
            (DAY_OF_WEEK, "?"),
            (MINUTE, "99999999999999999999"),
        ] {
            assert!(
                normalise(kind, text).is_err(),
                "{} `{text}` accepted",
                kind.label
            );
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            normalise(MINUTE, "61").unwrap_err(),
            "61 is out of range 0-59"
        );
        assert_eq!(normalise(MINUTE, "*/0").unwrap_err(), "a step of 0");
        assert_eq!(normalise(MONTH, "foo").unwrap_err(), "bad value `foo`");
        assert_eq!(normalise(MINUTE, "1-").unwrap_err(), "missing value");
    }
}
