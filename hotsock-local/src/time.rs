//! The few times the local Hotsock reads and writes, all UTC. Calendar arithmetic is left to `humantime`
//! (RFC 3339) and to the `hotsock` crate (`at(…)` schedule expressions).

use std::time::{SystemTime, UNIX_EPOCH};

/// Whole seconds since the Unix epoch (negative before it).
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// `yyyy-mm-ddThh:mm:ssZ` of a time.
pub(crate) fn iso8601(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// The time of an `X-Amz-Date` (`yyyymmddThhmmssZ`).
pub(crate) fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !s.is_ascii() {
        return None;
    }
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    );
    humantime::parse_rfc3339(&rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates() {
        let at = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        assert_eq!(iso8601(at), "2015-08-30T12:36:00Z");
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(at));
        assert_eq!(parse_amz_date("2015-08-30T12:36Z"), None);
        assert_eq!(parse_amz_date("20151330T123600Z"), None);
        assert_eq!(parse_amz_date("20150229T000000Z"), None);
    }
}
