//! The quorum codec's use of the shared body walk (`protocol::guard::shape`, which says why it
//! exists): every quorum RPC is spoken in one flexible version, so its shapes, written next to
//! each API's codec (`vote.rs`, `fetch.rs`, ...), have no version gates, and every array is
//! also held to [`ARRAY_ELEMENTS_MAX`], far below what the bytes alone would allow.

use crate::protocol::guard::shape::{self, Encoding};
pub use crate::protocol::guard::shape::{
    Shape, ShapeError, StructShape, BOOL, INT16, INT32, INT64, INT8, STRING, UINT16, UUID,
};

/// Most elements in any array of a quorum RPC: the arrays hold the one metadata topic and
/// partition, or voters, or their listeners, and a quorum has at most `VOTERS_MAX` (15) voters.
pub const ARRAY_ELEMENTS_MAX: usize = 64;

fn encoding(version: i16) -> Encoding {
    Encoding {
        version,
        flexible: true,
        array_elements_max: ARRAY_ELEMENTS_MAX,
        // Only Weir nodes speak the quorum RPCs: anything after the body is a bug or a forgery.
        trailing_bytes_allowed: false,
    }
}

/// Checks that `body` is exactly one `shape` at `version`, with no absurd counts.
pub fn check(shape: &StructShape, version: i16, body: &[u8]) -> Result<(), ShapeError> {
    shape::check(shape, encoding(version), body)
}

/// The tags met on the way, each with whether the shape knew it, so tests can check that the
/// walk knows exactly the tags `kafka-protocol` knows.
#[cfg(test)]
pub fn tags_seen(
    shape: &StructShape,
    version: i16,
    body: &[u8],
) -> Result<Vec<(u32, bool)>, ShapeError> {
    shape::seen(shape, encoding(version), body).map(|seen| seen.tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    static POINT: StructShape = StructShape {
        fields: &[INT32, STRING],
        tagged: &[(0, Shape::Int32Array)],
    };
    static LIST: StructShape = StructShape {
        fields: &[Shape::Array(&POINT)],
        tagged: &[],
    };

    #[test]
    fn counts_beyond_the_limit_or_the_bytes_are_refused() {
        // 65 elements claimed, with the bytes for them: refused before any element is read.
        let mut backed = vec![66];
        backed.extend([0u8; 65 * 6]);
        assert_eq!(
            check(&LIST, 0, &backed),
            Err(ShapeError::ArrayTooLong {
                elements: 65,
                elements_max: 64
            })
        );
        // 2^32 - 2 elements, the count that made kafka-protocol abort.
        let huge = [0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(matches!(
            check(&LIST, 0, &huge),
            Err(ShapeError::ArrayPastEnd { .. })
        ));
        // Within the limit but more elements than bytes left.
        assert_eq!(
            check(&LIST, 0, &[4, 0, 0]),
            Err(ShapeError::ArrayPastEnd {
                elements: 3,
                bytes_left: 2
            })
        );
        // One element whose string claims 100 bytes with 1 present.
        assert_eq!(
            check(&LIST, 0, &[2, 0, 0, 0, 7, 101, b'a']),
            Err(ShapeError::Truncated {
                needed: 100,
                available: 1
            })
        );
    }

    #[test]
    fn known_tags_are_walked_and_unknown_tags_skipped_by_size() {
        // One point: int32, "ab", then two tagged fields: tag 0 (known: an int32 array of one,
        // its size byte deliberately wrong, as kafka-protocol ignores it) and tag 9 (3 bytes).
        let body = [
            2, 0, 0, 0, 1, 3, b'a', b'b', 2, 0, 0, 2, 0, 0, 0, 5, 9, 3, 1, 2, 3, 0,
        ];
        assert_eq!(check(&LIST, 0, &body), Ok(()));
        let mut longer = body.to_vec();
        longer.push(0);
        assert_eq!(
            check(&LIST, 0, &longer),
            Err(ShapeError::TrailingBytes { bytes: 1 })
        );
        // Null arrays and strings are a zero varint.
        assert_eq!(check(&LIST, 0, &[0, 0]), Ok(()));
    }
}
