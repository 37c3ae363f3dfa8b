//! MD5, SHA-1 and SHA-256 digests in free text.

/// A digest algorithm, told apart by the length of its hex form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    /// 32 hex digits.
    Md5,
    /// 40 hex digits.
    Sha1,
    /// 64 hex digits.
    Sha256,
}

impl HashKind {
    /// The kind whose hex form has `len` digits.
    fn from_len(len: usize) -> Option<Self> {
        match len {
            32 => Some(Self::Md5),
            40 => Some(Self::Sha1),
            64 => Some(Self::Sha256),
            _ => None,
        }
    }
}

/// Every hex digest in `text`, lowercased, with its kind, in order of
/// appearance.
///
/// A digest is a whole word (a maximal run of letters, digits and `_`) made
/// of exactly 32, 40 or 64 hex digits, not all of them decimal digits. So a
/// 64-digit SHA-256 is never also read as an MD5, and a 128-digit SHA-512 or
/// a longer token is not a digest at all.
pub fn hashes(text: &str) -> Vec<(HashKind, String)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_word_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_word_byte(bytes[i]) {
            i += 1;
        }
        let word = &text[start..i];
        let is_digest = word.bytes().all(|b| b.is_ascii_hexdigit())
            && !word.bytes().all(|b| b.is_ascii_digit());
        if let Some(kind) = HashKind::from_len(word.len()).filter(|_| is_digest) {
            found.push((kind, word.to_ascii_lowercase()));
        }
    }
    found
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD5: &str = "44d88612fea8a8f36de82e1278abb02f";
    const SHA1: &str = "3395856ce81f2b7382dee72602f798b642f14140";
    const SHA256: &str = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";

    #[test]
    fn tells_kinds_apart_by_length() {
        let text = format!(
            "md5={MD5} sha1:{SHA1}\n{}  payload.exe",
            SHA256.to_uppercase()
        );
        assert_eq!(
            hashes(&text),
            [
                (HashKind::Md5, MD5.to_owned()),
                (HashKind::Sha1, SHA1.to_owned()),
                (HashKind::Sha256, SHA256.to_owned()),
            ]
        );
    }

    #[test]
    fn sha256_is_not_also_md5() {
        let found = hashes(SHA256);
        assert_eq!(found, [(HashKind::Sha256, SHA256.to_owned())]);
    }

    #[test]
    fn wrong_lengths_and_non_hex_words_are_not_digests() {
        let sha512 = format!("{SHA256}{SHA256}");
        let text = format!("{sha512} {} x{MD5} {MD5}g {MD5}_x", &MD5[1..]);
        assert!(hashes(&text).is_empty());
    }

    #[test]
    fn all_decimal_runs_are_not_digests() {
        assert!(hashes("id 12345678901234567890123456789012").is_empty());
    }

    #[test]
    fn other_separators_bound_digests() {
        let text = format!("({MD5}), \"{MD5}\" /{MD5}/ {MD5}.bin");
        assert_eq!(hashes(&text).len(), 4);
    }
}
