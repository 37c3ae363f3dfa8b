//! Random identifiers: token ids, approval ids, call-id prefixes.

/// `<prefix>-<2×bytes hex digits>` from the OS's randomness; without it,
/// from the clock (ids need only be unique, never secret).
pub fn random_id(prefix: &str, bytes: usize) -> String {
    let mut b = vec![0u8; bytes.clamp(4, 32)];
    if getrandom::fill(&mut b).is_err() {
        let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
        for (i, x) in nanos.to_be_bytes().iter().rev().enumerate() {
            if let Some(slot) = b.get_mut(i) {
                *slot = *x;
            }
        }
    }
    format!("{prefix}-{}", hex::encode(b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_prefixed_and_distinct() {
        let a = super::random_id("tok", 9);
        let b = super::random_id("tok", 9);
        assert!(a.starts_with("tok-") && a.len() == 4 + 18);
        assert_ne!(a, b);
    }
}
