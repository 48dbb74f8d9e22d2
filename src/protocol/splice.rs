//! An output buffer for the `kafka-protocol` encoder that splices record sets in by reference.
//!
//! A Fetch response is mostly record sets read from segments. Encoding it into one contiguous
//! buffer copies every record set once more, which profiling showed as the broker's largest
//! user-space cost when serving consumers. `SpliceBuf` is handed the record sets (`Bytes`) before
//! encoding; when the encoder writes a slice that *is* one of them (same address, same length)
//! the buffer keeps a reference to the `Bytes` instead of copying, and the frame becomes a list
//! of chunks sent with one vectored write. Recognising the slice by address is safe Rust: the
//! candidates are kept alive by this buffer, and anything not recognised is copied as usual.
//!
//! The encoder's back-patching calls (`seek`, `range`) are used by record-batch encoding, never
//! by message encoding; should one reach a spliced region anyway, the buffer first flattens
//! itself into one contiguous buffer, so correctness never depends on the fast path.

use std::ops::Range;

use bytes::buf::UninitSlice;
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::protocol::buf::ByteBufMut;

/// Slices shorter than this are copied: a separate chunk costs more than copying them.
const SPLICE_MIN_BYTES: usize = 4096;

/// Encoder output made of copied bytes and spliced, shared record sets.
pub struct SpliceBuf {
    /// Finished chunks, in order.
    done: Vec<Bytes>,
    /// Total length of `done`.
    done_len: usize,
    /// Bytes being written after the last chunk.
    head: BytesMut,
    /// Byte strings that may be spliced when the encoder writes exactly them.
    candidates: Vec<Bytes>,
}

impl SpliceBuf {
    /// A buffer that will splice any of `candidates` written whole; `capacity` sizes the copied
    /// part.
    pub fn new(candidates: Vec<Bytes>, capacity: usize) -> Self {
        let candidates = candidates
            .into_iter()
            .filter(|bytes| bytes.len() >= SPLICE_MIN_BYTES)
            .collect();
        SpliceBuf {
            done: Vec::new(),
            done_len: 0,
            head: BytesMut::with_capacity(capacity),
            candidates,
        }
    }

    /// The frame as chunks, in order.
    pub fn into_chunks(mut self) -> Vec<Bytes> {
        if !self.head.is_empty() {
            self.done.push(self.head.split().freeze());
        }
        self.done
    }

    fn candidate_for(&self, src: &[u8]) -> Option<Bytes> {
        self.candidates
            .iter()
            .find(|bytes| bytes.as_ptr() == src.as_ptr() && bytes.len() == src.len())
            .cloned()
    }

    /// Copies every chunk into `head`, so that positions anywhere in the frame are writable.
    fn flatten(&mut self) {
        if self.done.is_empty() {
            return;
        }
        let mut flat = BytesMut::with_capacity(self.done_len + self.head.len());
        for chunk in self.done.drain(..) {
            flat.extend_from_slice(&chunk);
        }
        flat.extend_from_slice(&self.head);
        self.head = flat;
        self.done_len = 0;
    }
}

// SAFETY: every method delegates to `head`, a `BytesMut`, whose implementation upholds the
// trait's contract; `put_slice` only appends through safe calls.
unsafe impl BufMut for SpliceBuf {
    fn remaining_mut(&self) -> usize {
        self.head.remaining_mut()
    }

    unsafe fn advance_mut(&mut self, cnt: usize) {
        // SAFETY: the caller guarantees `cnt` bytes of `chunk_mut()` were initialised, and
        // `chunk_mut()` is `head`'s.
        unsafe { self.head.advance_mut(cnt) }
    }

    fn chunk_mut(&mut self) -> &mut UninitSlice {
        self.head.chunk_mut()
    }

    fn put_slice(&mut self, src: &[u8]) {
        if src.len() >= SPLICE_MIN_BYTES {
            if let Some(shared) = self.candidate_for(src) {
                if !self.head.is_empty() {
                    let copied = self.head.split().freeze();
                    self.done_len += copied.len();
                    self.done.push(copied);
                }
                self.done_len += shared.len();
                self.done.push(shared);
                return;
            }
        }
        self.head.extend_from_slice(src);
    }
}

impl ByteBufMut for SpliceBuf {
    fn offset(&self) -> usize {
        self.done_len + self.head.len()
    }

    fn seek(&mut self, offset: usize) {
        if offset < self.done_len {
            self.flatten();
        }
        let local = offset - self.done_len;
        self.head.resize(local, 0);
    }

    fn range(&mut self, r: Range<usize>) -> &mut [u8] {
        if r.start < self.done_len {
            self.flatten();
        }
        let start = r.start - self.done_len;
        let end = r.end - self.done_len;
        &mut self.head[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(chunks: &[Bytes]) -> Vec<u8> {
        chunks.iter().flat_map(|c| c.iter().copied()).collect()
    }

    #[test]
    fn splices_a_candidate_written_whole_and_copies_everything_else() {
        let records = Bytes::from(vec![7u8; 5000]);
        let other = vec![9u8; 5000];
        let mut buf = SpliceBuf::new(vec![records.clone()], 64);
        buf.put_i32(5000);
        buf.put_slice(&records);
        buf.put_slice(&other);
        buf.put_u8(1);
        let chunks = buf.into_chunks();
        assert_eq!(chunks.len(), 3);
        assert_eq!(
            chunks[1].as_ptr(),
            records.as_ptr(),
            "the record set is shared"
        );
        let mut expected = 5000i32.to_be_bytes().to_vec();
        expected.extend_from_slice(&records);
        expected.extend_from_slice(&other);
        expected.push(1);
        assert_eq!(flat(&chunks), expected);
    }

    #[test]
    fn a_part_of_a_candidate_is_copied() {
        let records = Bytes::from(vec![3u8; 10_000]);
        let mut buf = SpliceBuf::new(vec![records.clone()], 64);
        buf.put_slice(&records[..5000]);
        let chunks = buf.into_chunks();
        assert_eq!(chunks.len(), 1);
        assert_ne!(chunks[0].as_ptr(), records.as_ptr());
    }

    #[test]
    fn back_patching_into_a_spliced_region_flattens_first() {
        let records = Bytes::from(vec![1u8; 4096]);
        let mut buf = SpliceBuf::new(vec![records.clone()], 64);
        buf.put_u8(0);
        buf.put_slice(&records);
        buf.put_u8(2);
        assert_eq!(buf.offset(), 4098);
        buf.range(1..3).copy_from_slice(&[5, 6]);
        buf.seek(4099);
        let chunks = buf.into_chunks();
        let bytes = flat(&chunks);
        assert_eq!(bytes.len(), 4099);
        assert_eq!(&bytes[..4], &[0, 5, 6, 1]);
        assert_eq!(&bytes[4096..], &[1, 2, 0]);
        assert_eq!(records[0], 1, "the shared record set itself is untouched");
    }
}
