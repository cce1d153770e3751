//! KSUID-format request ids: the format Octopus documents for `X-Request-Id`.
//!
//! A KSUID is 20 bytes (a 4-byte timestamp since 2014-05-13 and 16 random bytes)
//! written as 27 base62 characters, so ids sort by time and a support engineer can
//! read the moment a request was made from its id.

const EPOCH: u64 = 1_400_000_000;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A fresh KSUID string (27 base62 characters).
pub fn new() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut bytes = [0u8; 20];
    bytes[..4].copy_from_slice(&(secs.saturating_sub(EPOCH) as u32).to_be_bytes());
    if getrandom::fill(&mut bytes[4..]).is_err() {
        // No OS randomness: fall back to the clock's nanoseconds; ids stay unique enough
        // for tracing, they are not security tokens.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes[4..].copy_from_slice(&nanos.to_be_bytes());
    }
    encode(&bytes)
}

/// Whether `s` looks like a KSUID-compatible id (what Octopus keeps as sent):
/// base62 only, 1 to 63 characters.
pub fn is_compatible(s: &str) -> bool {
    !s.is_empty() && s.len() < 64 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn encode(bytes: &[u8; 20]) -> String {
    // Base62 of a 160-bit big-endian number, left-padded to 27 characters.
    let mut num: Vec<u32> = bytes
        .chunks(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let mut out = Vec::with_capacity(27);
    while num.iter().any(|&d| d != 0) {
        let mut rem: u64 = 0;
        for d in num.iter_mut() {
            let acc = (rem << 32) | u64::from(*d);
            *d = (acc / 62) as u32;
            rem = acc % 62;
        }
        out.push(ALPHABET[rem as usize]);
    }
    while out.len() < 27 {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).expect("base62 is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer_max_value() {
        // The largest KSUID, from the reference implementation.
        assert_eq!(encode(&[0xff; 20]), "aWgEPTl1tmebfsQzFP4bxwgy80V");
        assert_eq!(encode(&[0; 20]), "000000000000000000000000000");
    }

    #[test]
    fn fresh_ids_are_27_base62_chars_and_distinct() {
        let a = new();
        let b = new();
        assert_eq!(a.len(), 27);
        assert!(is_compatible(&a));
        assert_ne!(a, b);
    }
}
