//! Ages on the command line (`drawings dlq purge --older-than 7d`).

/// Parses an age such as `7d`, `12h`, `30m`, `45s`, `2w` or `1d12h`.
pub fn parse_age(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration: expected something like 7d, 12h, 30m or 0s".into());
    }
    let mut total = chrono::Duration::zero();
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("{text:?}: expected a number before {rest:?}"));
        }
        let amount: i64 = rest[..digits]
            .parse()
            .map_err(|_| format!("{text:?}: {} is too large", &rest[..digits]))?;
        let unit = rest[digits..].chars().next();
        let part = match unit {
            Some('s') => chrono::Duration::try_seconds(amount),
            Some('m') => chrono::Duration::try_minutes(amount),
            Some('h') => chrono::Duration::try_hours(amount),
            Some('d') => chrono::Duration::try_days(amount),
            Some('w') => chrono::Duration::try_weeks(amount),
            Some(other) => return Err(format!("{text:?}: unknown unit {other:?} (s, m, h, d or w)")),
            None => return Err(format!("{text:?}: {amount} needs a unit (s, m, h, d or w)")),
        };
        total = part
            .and_then(|p| total.checked_add(&p))
            .ok_or_else(|| format!("{text:?} is too large"))?;
        rest = &rest[digits + 1..];
    }
    Ok(total)
}
