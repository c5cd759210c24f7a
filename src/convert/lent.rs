//! Large `bytes` values sent without copying them into the SDK's request.
//!
//! The SDK's `Blob` owns a `Vec<u8>`, so handing it a 10 MB `bytes` value costs a copy, and its
//! JSON serializer then base64-encodes that copy into a growing string (more copies as it
//! reallocates). While an operation is prepared ([`Lending::begin`]), a `bytes` value of at least
//! [`LEND_AT`] bytes is instead lent: the converter puts a 12-byte placeholder in the SDK's
//! request and keeps a reference to the Python object. Once the SDK has serialized the request,
//! [`LentBlobs`] (an interceptor, on a runtime worker, without the GIL) puts the bytes back:
//!
//! - a payload that is the whole body (InvokeModel's) becomes the body itself, the Python
//!   buffer borrowed through `Bytes::from_owner`: no copy at all;
//! - a blob inside a JSON body is base64-encoded straight from the Python buffer into a body
//!   allocated once at its final size: the one copy the wire format needs.
//!
//! A `bytes` object is immutable and kept alive by the reference each lent buffer holds, so it
//! can be read from any thread without the GIL. bytearray, str and smaller values are copied
//! as before (they are either mutable or cheap).

use std::cell::RefCell;
use std::hash::BuildHasher;
use std::mem::MaybeUninit;
use std::sync::OnceLock;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::Blob;
use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// The size from which a `bytes` value is lent rather than copied: below it a copy costs less
/// than the placeholder search.
pub(crate) const LEND_AT: usize = 64 * 1024;

/// A placeholder's length: 8 bytes of a per-process random key and a 4-byte index. A multiple
/// of 3, so its base64 form has no padding.
const MARKER_LEN: usize = 12;
/// Length of the placeholder's base64 form.
const MARKER_B64_LEN: usize = MARKER_LEN / 3 * 4;

thread_local! {
    /// The buffers lent while an operation is being prepared on this thread; `None` when no
    /// operation is (the `_roundtrip` test hook, for instance): then blobs are copied.
    static LENT: RefCell<Option<Vec<Bytes>>> = const { RefCell::new(None) };
}

/// A Python `bytes` object's buffer, held alive by a strong reference to it.
struct PyBytesBuffer {
    /// Dropped without the GIL on a worker: pyo3 defers the decref to the next GIL holder.
    _owner: Py<PyBytes>,
    ptr: *const u8,
    len: usize,
}

// SAFETY: the buffer belongs to an immutable `bytes` object that `_owner` keeps alive, so the
// pointer stays valid and its contents never change, whichever thread reads them.
unsafe impl Send for PyBytesBuffer {}
unsafe impl Sync for PyBytesBuffer {}

impl AsRef<[u8]> for PyBytesBuffer {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: see the `Send` impl; `ptr`/`len` were taken from the object under the GIL.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

fn marker(index: usize) -> [u8; MARKER_LEN] {
    static KEY: OnceLock<[u8; 8]> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        std::collections::hash_map::RandomState::new()
            .hash_one(std::process::id())
            .to_le_bytes()
    });
    let mut out = [0u8; MARKER_LEN];
    out[..8].copy_from_slice(key);
    out[8..].copy_from_slice(&(index as u32).to_be_bytes());
    out
}

/// Scope of one operation's preparation: `bytes` values converted inside it are lent.
pub(crate) struct Lending {
    outer: Option<Vec<Bytes>>,
}

impl Lending {
    /// Starts lending on this thread (a nested preparation, from Python code a file-like
    /// `read()` runs, keeps its own list and restores the outer one).
    pub(crate) fn begin() -> Self {
        let outer = LENT.with(|lent| lent.borrow_mut().replace(Vec::new()));
        Self { outer }
    }
}

impl Drop for Lending {
    fn drop(&mut self) {
        let outer = self.outer.take();
        LENT.with(|lent| *lent.borrow_mut() = outer);
    }
}

/// The interceptor that puts back the buffers lent so far in this scope, if any (taken, so
/// the next operation starts with none).
pub(crate) fn take_lent() -> Option<LentBlobs> {
    LENT.with(|lent| {
        let mut lent = lent.borrow_mut();
        let blobs = lent.as_mut().map(std::mem::take).unwrap_or_default();
        (!blobs.is_empty()).then_some(LentBlobs { blobs })
    })
}

/// The SDK value for a `bytes` parameter: a placeholder for a large one while lending, a copy
/// otherwise.
pub(crate) fn blob_of(b: &Bound<'_, PyBytes>) -> Blob {
    let data = b.as_bytes();
    if data.len() >= LEND_AT {
        let placeholder = LENT.with(|lent| {
            let mut lent = lent.borrow_mut();
            let blobs = lent.as_mut()?;
            if blobs.len() >= u32::MAX as usize {
                return None;
            }
            let buffer = PyBytesBuffer {
                _owner: b.clone().unbind(),
                ptr: data.as_ptr(),
                len: data.len(),
            };
            blobs.push(Bytes::from_owner(buffer));
            Some(marker(blobs.len() - 1))
        });
        if let Some(placeholder) = placeholder {
            return Blob::new(placeholder.to_vec());
        }
    }
    Blob::new(data.to_vec())
}

/// Puts the lent buffers in place of their placeholders in the serialized request, once,
/// before the retry loop: every attempt resends the same body, and cloning it for a retry is
/// a reference count, not a copy.
#[derive(Debug)]
pub struct LentBlobs {
    blobs: Vec<Bytes>,
}

impl LentBlobs {
    /// Puts the lent buffers into the serialized request (see the type's docs).
    pub fn apply(&self, request: &mut HttpRequest) -> Result<(), BoxError> {
        let body = request
            .body()
            .bytes()
            .ok_or("a lent blob needs an in-memory request body")?;
        let restored = self.restore(body)?;
        crate::request_edits::replace_body(request, restored);
        Ok(())
    }

    fn restore(&self, body: &[u8]) -> Result<SdkBody, BoxError> {
        // InvokeModel: the payload is the whole body.
        if self.blobs.len() == 1 && body == marker(0) {
            return Ok(SdkBody::from(self.blobs[0].clone()));
        }
        // JSON: each placeholder is a base64 string of its own, "<16 characters>".
        let mut places = Vec::with_capacity(self.blobs.len());
        for (index, blob) in self.blobs.iter().enumerate() {
            let needle = quoted_b64_marker(index);
            let at = find(body, &needle)
                .ok_or("a lent blob's placeholder is missing from the serialized request")?;
            places.push((at + 1, blob));
        }
        places.sort_unstable_by_key(|(at, _)| *at);
        let engine = base64_simd::STANDARD;
        let size = body.len() - places.len() * MARKER_B64_LEN
            + places
                .iter()
                .map(|(_, blob)| engine.encoded_length(blob.len()))
                .sum::<usize>();
        let mut out: Vec<u8> = Vec::with_capacity(size);
        let mut from = 0;
        for (at, blob) in places {
            out.extend_from_slice(&body[from..at]);
            let encoded = engine.encoded_length(blob.len());
            let spare: &mut [MaybeUninit<u8>] = &mut out.spare_capacity_mut()[..encoded];
            let written = engine
                .encode(blob, base64_simd::Out::from_uninit_slice(spare))
                .len();
            debug_assert_eq!(written, encoded);
            // SAFETY: `encode` initialised the `encoded` bytes after the current length.
            unsafe { out.set_len(out.len() + encoded) };
            from = at + MARKER_B64_LEN;
        }
        out.extend_from_slice(&body[from..]);
        Ok(SdkBody::from(out))
    }
}

fn quoted_b64_marker(index: usize) -> Vec<u8> {
    let mut needle = Vec::with_capacity(MARKER_B64_LEN + 2);
    needle.push(b'"');
    needle.extend_from_slice(
        base64_simd::STANDARD
            .encode_type::<String>(marker(index))
            .as_bytes(),
    );
    needle.push(b'"');
    needle
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lent(blobs: &[&[u8]]) -> LentBlobs {
        LentBlobs {
            blobs: blobs.iter().map(|b| Bytes::copy_from_slice(b)).collect(),
        }
    }

    fn b64(index: usize) -> String {
        String::from_utf8(quoted_b64_marker(index)).unwrap()
    }

    #[test]
    fn a_whole_body_placeholder_becomes_the_buffer() {
        let body = lent(&[b"payload"]).restore(&marker(0)).unwrap();
        assert_eq!(body.bytes(), Some(&b"payload"[..]));
    }

    #[test]
    fn json_placeholders_are_encoded_in_place_whatever_their_order() {
        let json = format!("{{\"a\":{},\"b\":[{}]}}", b64(1), b64(0));
        let body = lent(&[b"first", b"second!"])
            .restore(json.as_bytes())
            .unwrap();
        assert_eq!(
            body.bytes(),
            Some(&b"{\"a\":\"c2Vjb25kIQ==\",\"b\":[\"Zmlyc3Q=\"]}"[..])
        );
    }

    #[test]
    fn a_missing_placeholder_is_an_error() {
        assert!(lent(&[b"x"]).restore(b"{\"a\":\"\"}").is_err());
    }
}
