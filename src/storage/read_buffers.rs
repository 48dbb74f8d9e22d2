//! Recycled buffers for segment reads.
//!
//! Serving consumers reads up to a partition's fetch size (1 MiB by default) per request. A
//! fresh allocation of that size comes from the kernel as untouched pages, so every read paid
//! for page faults and zeroing as well as the copy; profiling a consumer showed that as the
//! largest cost after the copies themselves. Buffers handed out here go back to a shared free
//! list when the last `Bytes` referring to them is dropped (after the response is written), so
//! a steady consumer reuses the same warm pages. The list keeps at most `RETAINED_BYTES_MAX`, so
//! a burst of large reads does not pin memory.

use std::sync::{Arc, Mutex};

use bytes::Bytes;

/// Most bytes kept on the free list.
const RETAINED_BYTES_MAX: usize = 32 * 1024 * 1024;
/// Buffers larger than this are not kept: they are rare and would crowd out the common size.
const BUFFER_KEPT_MAX: usize = 8 * 1024 * 1024;

/// A shared free list of read buffers. Cloning shares the list.
#[derive(Clone, Default)]
pub struct ReadBuffers {
    free: Arc<Mutex<FreeList>>,
}

#[derive(Default)]
struct FreeList {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

impl ReadBuffers {
    /// A buffer of at least `len` initialised bytes (contents unspecified).
    pub fn take(&self, len: usize) -> Vec<u8> {
        let recycled = {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            let found = free.buffers.pop();
            if let Some(buffer) = &found {
                free.bytes -= buffer.len();
            }
            found
        };
        let mut buffer = recycled.unwrap_or_default();
        if buffer.len() < len {
            buffer.resize(len, 0);
        }
        buffer
    }

    /// The first `len` bytes of `buffer` as `Bytes`; the buffer returns to the free list when
    /// the last clone is dropped.
    pub fn share(&self, buffer: Vec<u8>, len: usize) -> Bytes {
        let len = len.min(buffer.len());
        Bytes::from_owner(Recycled {
            buffer,
            len,
            home: self.clone(),
        })
    }

    fn give_back(&self, buffer: Vec<u8>) {
        if buffer.len() > BUFFER_KEPT_MAX {
            return;
        }
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if free.bytes + buffer.len() <= RETAINED_BYTES_MAX {
            free.bytes += buffer.len();
            free.buffers.push(buffer);
        }
    }

    #[cfg(test)]
    fn retained(&self) -> (usize, usize) {
        let free = self.free.lock().unwrap();
        (free.buffers.len(), free.bytes)
    }
}

/// The owner behind a shared read: a prefix of a pooled buffer.
struct Recycled {
    buffer: Vec<u8>,
    len: usize,
    home: ReadBuffers,
}

impl AsRef<[u8]> for Recycled {
    fn as_ref(&self) -> &[u8] {
        &self.buffer[..self.len]
    }
}

impl Drop for Recycled {
    fn drop(&mut self) {
        self.home.give_back(std::mem::take(&mut self.buffer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_returns_when_its_last_reference_drops_and_is_reused() {
        let pool = ReadBuffers::default();
        let mut buffer = pool.take(100);
        buffer[..3].copy_from_slice(b"abc");
        let address = buffer.as_ptr();
        let bytes = pool.share(buffer, 3);
        let clone = bytes.slice(1..);
        assert_eq!(&bytes[..], b"abc");
        drop(bytes);
        assert_eq!(pool.retained(), (0, 0), "a clone still holds it");
        assert_eq!(&clone[..], b"bc");
        drop(clone);
        assert_eq!(pool.retained(), (1, 100));
        let again = pool.take(50);
        assert_eq!(again.as_ptr(), address);
        assert!(again.len() >= 50);
        assert_eq!(pool.retained(), (0, 0));
    }

    #[test]
    fn the_free_list_is_bounded() {
        let pool = ReadBuffers::default();
        let big = pool.take(BUFFER_KEPT_MAX + 1);
        drop(pool.share(big, 1));
        assert_eq!(pool.retained(), (0, 0), "oversized buffers are not kept");
        let buffers: Vec<Vec<u8>> = (0..40).map(|_| pool.take(1024 * 1024)).collect();
        for buffer in buffers {
            drop(pool.share(buffer, 10));
        }
        let (count, bytes) = pool.retained();
        assert_eq!(count, 32);
        assert!(bytes <= RETAINED_BYTES_MAX);
    }
}
