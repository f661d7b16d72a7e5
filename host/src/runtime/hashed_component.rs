//! A component's bytes with their content hash, which keys the compile cache: made only by
//! hashing the bytes, so no caller can pair bytes with another component's hash (a wrong hash
//! would map another component's compiled code).

use super::compile_cache::CompileCache;

/// A component's bytes and their SHA-256 ([`CompileCache::content_hash`]). The only way to
/// make one is [`HashedComponent::new`], which hashes the bytes it is given; one cannot be
/// put together from bytes and a hash:
///
/// ```compile_fail
/// let forged = blockforge::runtime::HashedComponent {
///     bytes: b"\0asm".to_vec(),
///     content_hash: "0".repeat(64),
/// };
/// ```
#[derive(Debug, Clone)]
pub struct HashedComponent {
    bytes: Vec<u8>,
    content_hash: String,
}

impl HashedComponent {
    /// `bytes` with their hash, computed here.
    pub fn new(bytes: Vec<u8>) -> Self {
        let content_hash = CompileCache::content_hash(&bytes);
        HashedComponent {
            bytes,
            content_hash,
        }
    }

    /// The SHA-256 of the bytes, hex-encoded.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// The bytes and their hash, taken apart once they are no longer needed together.
    pub(crate) fn into_parts(self) -> (Vec<u8>, String) {
        (self.bytes, self.content_hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_hash_of_the_bytes() {
        let component = HashedComponent::new(b"\0asm component".to_vec());
        assert_eq!(
            component.content_hash(),
            CompileCache::content_hash(b"\0asm component")
        );
        let (bytes, hash) = component.into_parts();
        assert_eq!(
            (bytes.as_slice(), hash.len()),
            (&b"\0asm component"[..], 64)
        );
    }
}
