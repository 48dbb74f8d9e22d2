//! Framing: every Kafka request and response is an `int32` size followed by that many bytes.

use bytes::{Buf, Bytes, BytesMut};

/// Why a frame cannot be accepted; the connection carrying it is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// Larger than `socket.request.max.bytes`.
    TooLarge { size: usize, max: usize },
    /// A negative size: not a Kafka client.
    NegativeSize { size: i32 },
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::TooLarge { size, max } => write!(
                f,
                "request of {size} bytes is larger than socket.request.max.bytes={max}"
            ),
            FrameError::NegativeSize { size } => write!(f, "negative frame size {size}"),
        }
    }
}

/// Takes one whole frame (without its size prefix) off the front of `buf`, or `Ok(None)` when
/// more bytes are needed. The size is checked before the body arrives, so an oversized request
/// is refused without buffering it.
pub fn split_frame(buf: &mut BytesMut, max_bytes: usize) -> Result<Option<Bytes>, FrameError> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let size = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let size = usize::try_from(size).map_err(|_| FrameError::NegativeSize { size })?;
    if size > max_bytes {
        return Err(FrameError::TooLarge {
            size,
            max: max_bytes,
        });
    }
    if buf.len() < 4 + size {
        buf.reserve(4 + size - buf.len());
        return Ok(None);
    }
    buf.advance(4);
    Ok(Some(buf.split_to(size).freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_whole_frames_and_waits_for_partial_ones() {
        let mut buf = BytesMut::from(&[0, 0, 0, 3, b'a', b'b', b'c', 0, 0, 0, 2, b'x'][..]);
        assert_eq!(split_frame(&mut buf, 100).unwrap().unwrap(), &b"abc"[..]);
        assert_eq!(split_frame(&mut buf, 100).unwrap(), None);
        buf.extend_from_slice(b"y");
        assert_eq!(split_frame(&mut buf, 100).unwrap().unwrap(), &b"xy"[..]);
        assert!(buf.is_empty());
    }

    #[test]
    fn refuses_oversized_and_negative_sizes_before_the_body_arrives() {
        let mut buf = BytesMut::from(&[0, 0, 1, 0][..]);
        assert_eq!(
            split_frame(&mut buf, 255),
            Err(FrameError::TooLarge {
                size: 256,
                max: 255
            })
        );
        let mut buf = BytesMut::from(&[0xff, 0xff, 0xff, 0xff][..]);
        assert_eq!(
            split_frame(&mut buf, 255),
            Err(FrameError::NegativeSize { size: -1 })
        );
    }
}
