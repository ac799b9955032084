//! The identifiers the local Hotsock hands out: message ULIDs (monotonic, so they sort in publish order),
//! connection IDs and secrets, all from aws-lc-rs's system random generator.

use std::sync::Mutex;
use std::time::SystemTime;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A monotonic ULID generator: 48 bits of milliseconds and 80 random bits; within one millisecond each ID
/// is the previous one plus one, as the ULID specification's monotonic mode says.
#[derive(Debug, Default)]
pub(crate) struct Ulids {
    last: Mutex<(u64, u128)>,
}

impl Ulids {
    pub(crate) fn next(&self, now: SystemTime) -> String {
        let ms = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            & ((1 << 48) - 1);
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let (ms, random) = if ms <= last.0 {
            // the same millisecond (or a clock that stepped back): count on from the last ID
            let next = last.1 + 1;
            if next >> 80 == 0 {
                (last.0, next)
            } else {
                (last.0 + 1, 0)
            }
        } else {
            let mut bytes = [0u8; 16];
            fill(&mut bytes[6..]);
            (ms, u128::from_be_bytes(bytes))
        };
        *last = (ms, random);
        drop(last);
        let value = (u128::from(ms) << 80) | random;
        (0..26)
            .map(|i| char::from(CROCKFORD[((value >> (125 - 5 * i)) & 31) as usize]))
            .collect()
    }
}

/// An API Gateway-style connection ID: 11 random bytes as padded Base64url (16 characters, e.g. `JCnTZd_KoAMCF-A=`).
pub(crate) fn connection_id() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 11];
    fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE.encode(bytes)
}

/// A random alphanumeric string of `len` characters, for secrets (connection secrets, generated keys).
pub(crate) fn alphanumeric(len: usize) -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut bytes = [0u8; 32];
        fill(&mut bytes);
        // 62 * 4 = 248: reject bytes at or above it to keep every character equally likely
        out.extend(
            bytes
                .iter()
                .filter(|&&b| b < 248)
                .map(|&b| char::from(ALPHABET[usize::from(b % 62)]))
                .take(len - out.len()),
        );
    }
    out
}

fn fill(bytes: &mut [u8]) {
    aws_lc_rs::rand::fill(bytes).expect("the system random generator works");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulids_sort_in_order_of_issue() {
        let ulids = Ulids::default();
        let now = SystemTime::now();
        let ids: Vec<String> = (0..1000).map(|_| ulids.next(now)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(
            ids.iter()
                .all(|id| id.len() == 26 && id.as_bytes()[0] <= b'7')
        );
        let later = ulids.next(now + std::time::Duration::from_secs(1));
        assert!(later > ids[999]);
        // the time part: 1469918176385 ms is 01ARYZ6S41 in the ULID specification's example
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_469_918_176_385);
        assert!(Ulids::default().next(at).starts_with("01ARYZ6S41"));
    }

    #[test]
    fn secrets() {
        let s = alphanumeric(40);
        assert_eq!(s.len(), 40);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(s, alphanumeric(40));
        assert_eq!(connection_id().len(), 16);
    }
}
