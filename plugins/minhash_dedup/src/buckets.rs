//! The LSH index in the job's `kv`: for each band of each record one empty key
//! `<prefix>b/<band>/<band key as 16 hex digits>/<trace id>`, so the records sharing a band
//! with a text are the keys under one prefix, listed with `kv`'s `keys`.
//!
//! `keys` returns at most one page of a prefix's keys and cannot start after a key, so a bucket
//! larger than a page is listed by splitting its prefix on the next character: trace ids are
//! written with an alphabet of 17 characters ([`ALPHABET`]; a UUID is written as it is, any
//! other id as `-` and the hex of its bytes), and the keys after a full page are listed under
//! the prefixes one character longer. Members come in byte order of their keys, so a listing
//! meets them in the same order every time, whatever was added among them since.

use std::collections::HashSet;
use std::ops::ControlFlow;

use blockforge_sdk::BlockError;

use crate::store::Store;

/// Every character of a written trace id, in byte order.
const ALPHABET: &[u8; 17] = b"-0123456789abcdef";

/// Keys asked for per `keys` call.
pub const PAGE: u32 = 128;

/// The prefix of the bucket of band `band` whose key is `band_key`.
pub fn bucket(prefix: &str, band: usize, band_key: u64) -> String {
    format!("{prefix}b/{band}/{band_key:016x}/")
}

/// `trace` as written in a bucket key: itself when it uses [`ALPHABET`] only and does not
/// start with `-`, else `-` and the hex of its bytes.
pub fn write_trace(trace: &str) -> String {
    let plain = !trace.is_empty()
        && !trace.starts_with('-')
        && trace.bytes().all(|b| ALPHABET.contains(&b));
    if plain {
        return trace.to_owned();
    }
    let mut written = String::with_capacity(1 + 2 * trace.len());
    written.push('-');
    for byte in trace.bytes() {
        written.push(char::from(ALPHABET[1 + usize::from(byte >> 4)]));
        written.push(char::from(ALPHABET[1 + usize::from(byte & 0xf)]));
    }
    written
}

/// The trace id a bucket key's last part was written from.
pub fn read_trace(written: &str) -> Result<String, BlockError> {
    let Some(hex) = written.strip_prefix('-') else {
        return Ok(written.to_owned());
    };
    let bad = || BlockError::internal(format!("bucket key part '{written}' is not a trace id"));
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    let bytes = hex
        .as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [high, low] => Some((digit(*high)? << 4) | digit(*low)?),
            _ => None,
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    String::from_utf8(bytes).map_err(|_| bad())
}

/// Adds `trace` to the bucket `bucket`.
pub fn join(store: &mut impl Store, bucket: &str, trace: &str) -> Result<(), BlockError> {
    store.set_if_absent(&format!("{bucket}{}", write_trace(trace)), "")?;
    Ok(())
}

/// What [`members`] calls for each member: the store (to read more) and the member's trace id.
pub type Visit<'v, S> = dyn FnMut(&mut S, String) -> Result<ControlFlow<()>, BlockError> + 'v;

/// Passes the trace id of every member of `bucket` to `visit`, in key order, `page` keys a
/// `keys` call, until `visit` breaks.
pub fn members<S: Store>(
    store: &mut S,
    bucket: &str,
    page: u32,
    visit: &mut Visit<'_, S>,
) -> Result<ControlFlow<()>, BlockError> {
    walk(store, bucket, bucket, page, &mut HashSet::new(), visit)
}

fn walk<S: Store>(
    store: &mut S,
    bucket: &str,
    prefix: &str,
    page: u32,
    visited: &mut HashSet<String>,
    visit: &mut Visit<'_, S>,
) -> Result<ControlFlow<()>, BlockError> {
    let keys = store.keys(prefix, page)?;
    let last = match keys.last() {
        Some(last) if keys.len() >= page as usize => Some(last.clone()),
        _ => None,
    };
    for key in keys {
        if visited.insert(key.clone()) {
            let written = key.get(bucket.len()..).unwrap_or_default();
            if visit(store, read_trace(written)?)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
    }
    // A full page holds the prefix's smallest keys: the rest are listed under the prefixes
    // one character longer, skipping those whose keys all sort before the page's last.
    let Some(last) = last else {
        return Ok(ControlFlow::Continue(()));
    };
    for &next in ALPHABET {
        let longer = format!("{prefix}{}", char::from(next));
        if longer < last && !last.starts_with(&longer) {
            continue;
        }
        if walk(store, bucket, &longer, page, visited, visit)?.is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::Memory;

    #[test]
    fn trace_ids_are_written_in_the_alphabet_and_read_back() {
        let uuid = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
        assert_eq!(write_trace(uuid), uuid);
        for other in ["run-a", "-x", "", "é/日本"] {
            let written = write_trace(other);
            assert!(written.bytes().all(|b| ALPHABET.contains(&b)), "{written}");
            assert_eq!(read_trace(&written).unwrap(), other);
        }
        assert!(read_trace("-abc").is_err());
        assert!(read_trace("-zz").is_err());
    }

    fn listed(store: &mut Memory, bucket: &str, page: u32) -> Vec<String> {
        let mut all = Vec::new();
        let flow = members(store, bucket, page, &mut |_, trace| {
            all.push(trace);
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
        assert!(flow.is_continue());
        all
    }

    #[test]
    fn a_bucket_larger_than_a_page_is_listed_whole_in_key_order() {
        let mut store = Memory::default();
        let here = bucket("M/", 3, 0xabc);
        let other = bucket("M/", 3, 0xabd);
        // Ids that are prefixes of others, ids outside the alphabet, and another bucket.
        let mut traces: Vec<String> = (0..300).map(|i| format!("{:x}", i * 7)).collect();
        traces.extend(["run-a".to_owned(), "1".to_owned(), "10".to_owned()]);
        for trace in &traces {
            join(&mut store, &here, trace).unwrap();
        }
        join(&mut store, &other, "elsewhere").unwrap();
        let mut expected: Vec<(String, String)> =
            traces.iter().map(|t| (write_trace(t), t.clone())).collect();
        expected.sort();
        expected.dedup();
        let expected: Vec<String> = expected.into_iter().map(|(_, t)| t).collect();
        for page in [1, 2, 5, 128, 10_000] {
            assert_eq!(listed(&mut store, &here, page), expected, "page {page}");
        }
    }

    #[test]
    fn a_listing_stops_when_the_visitor_breaks() {
        let mut store = Memory::default();
        let here = bucket("M/", 0, 1);
        for i in 0..1000 {
            join(&mut store, &here, &format!("{i:04x}")).unwrap();
        }
        *store.calls.borrow_mut() = 0;
        let mut seen = Vec::new();
        let _ = members(&mut store, &here, 128, &mut |_, trace| {
            seen.push(trace);
            Ok(if seen.len() == 130 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })
        .unwrap();
        let expected: Vec<String> = (0..130).map(|i| format!("{i:04x}")).collect();
        assert_eq!(seen, expected);
        // The first page, then down the prefixes `0`, `00`, `007`, `008`: not the whole bucket.
        assert!(*store.calls.borrow() <= 5, "{}", store.calls.borrow());
    }
}
