//! A walk over a request or response body's layout before `kafka-protocol` decodes it, because
//! that crate trusts the wire's array counts: it calls `Vec::with_capacity(count)` before
//! reading a single element, so a ten-byte VoteRequest claiming 2^32 topics asks the allocator
//! for hundreds of gigabytes and aborts the process (a panic could be caught; an allocation
//! failure cannot). The walk reads exactly what `kafka-protocol` reads at the one version we
//! speak (flexible versions only: compact strings, bytes and arrays, tagged fields, with known
//! tags decoded by their shape and unknown ones skipped by their size), and refuses any array
//! longer than [`ARRAY_ELEMENTS_MAX`] or any length beyond the bytes present. Every count
//! `kafka-protocol` then allocates for has passed this walk.
//!
//! The shapes are written next to each API's codec (`vote.rs`, `fetch.rs`, ...), transcribed
//! from `kafka-protocol`'s generated decoders; the tests encode every message with every
//! optional part filled in and check that the walk accepts it, so a transcription error shows.

use std::fmt;

/// Most elements in any array of a quorum RPC: the arrays hold the one metadata topic and
/// partition, or voters, or their listeners, and a quorum has at most `VOTERS_MAX` (15) voters.
pub const ARRAY_ELEMENTS_MAX: usize = 64;

/// The wire shape of one field.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A fixed-size field of this many bytes (ints, booleans, UUIDs).
    Fixed(usize),
    /// A compact (nullable) string or byte string: unsigned varint length + 1, then bytes.
    Bytes,
    /// A nested struct.
    Struct(&'static StructShape),
    /// A compact (nullable) array of structs.
    Array(&'static StructShape),
    /// A compact (nullable) array of `int32`.
    Int32Array,
}

pub const INT8: Shape = Shape::Fixed(1);
pub const INT16: Shape = Shape::Fixed(2);
pub const UINT16: Shape = Shape::Fixed(2);
pub const INT32: Shape = Shape::Fixed(4);
pub const INT64: Shape = Shape::Fixed(8);
pub const BOOL: Shape = Shape::Fixed(1);
pub const UUID: Shape = Shape::Fixed(16);
pub const STRING: Shape = Shape::Bytes;

/// A struct in a flexible version: its fields in order, then its tagged fields.
#[derive(Debug)]
pub struct StructShape {
    pub fields: &'static [Shape],
    /// The tags `kafka-protocol` decodes by their shape at our version; others are skipped.
    pub tagged: &'static [(u32, Shape)],
}

/// Why a body's layout was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeError {
    /// The body ends inside a field.
    Truncated { needed: usize, available: usize },
    ArrayTooLong {
        elements: usize,
        elements_max: usize,
    },
    /// Bytes left over after the body.
    TrailingBytes { bytes: usize },
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::Truncated { needed, available } => {
                write!(f, "truncated: {needed} bytes needed, {available} left")
            }
            ShapeError::ArrayTooLong {
                elements,
                elements_max,
            } => write!(f, "array of {elements} elements (at most {elements_max})"),
            ShapeError::TrailingBytes { bytes } => write!(f, "{bytes} bytes after the body"),
        }
    }
}

/// Checks that `body` is exactly one `shape`, with no absurd counts.
pub fn check(shape: &StructShape, body: &[u8]) -> Result<(), ShapeError> {
    walk(shape, body).map(drop)
}

/// The tags met on the way, each with whether the shape knew it, so tests can check that the
/// walk knows exactly the tags `kafka-protocol` knows.
#[cfg(test)]
pub fn tags_seen(shape: &StructShape, body: &[u8]) -> Result<Vec<(u32, bool)>, ShapeError> {
    walk(shape, body).map(|walk| walk.tags_seen)
}

fn walk<'a>(shape: &StructShape, body: &'a [u8]) -> Result<Walk<'a>, ShapeError> {
    let mut walk = Walk {
        rest: body,
        #[cfg(test)]
        tags_seen: Vec::new(),
    };
    walk.structure(shape)?;
    match walk.rest.len() {
        0 => Ok(walk),
        bytes => Err(ShapeError::TrailingBytes { bytes }),
    }
}

struct Walk<'a> {
    rest: &'a [u8],
    #[cfg(test)]
    tags_seen: Vec<(u32, bool)>,
}

impl Walk<'_> {
    fn skip(&mut self, needed: usize) -> Result<(), ShapeError> {
        let available = self.rest.len();
        if needed > available {
            return Err(ShapeError::Truncated { needed, available });
        }
        self.rest = &self.rest[needed..];
        Ok(())
    }

    /// `kafka-protocol`'s unsigned varint, quirks included: at most five bytes, the fifth
    /// ending it whatever its top bit, bits beyond 32 dropped.
    fn varint(&mut self) -> Result<u32, ShapeError> {
        let mut value: u32 = 0;
        for i in 0..5 {
            let Some((&byte, rest)) = self.rest.split_first() else {
                return Err(ShapeError::Truncated {
                    needed: 1,
                    available: 0,
                });
            };
            self.rest = rest;
            value |= (u32::from(byte) & 0x7f) << (i * 7);
            if byte < 0x80 {
                break;
            }
        }
        Ok(value)
    }

    /// A compact length: the varint minus one, `None` for null.
    fn compact_len(&mut self) -> Result<Option<usize>, ShapeError> {
        Ok(self.varint()?.checked_sub(1).map(|len| len as usize))
    }

    fn array_len(&mut self) -> Result<usize, ShapeError> {
        let elements = self.compact_len()?.unwrap_or(0);
        if elements > ARRAY_ELEMENTS_MAX {
            return Err(ShapeError::ArrayTooLong {
                elements,
                elements_max: ARRAY_ELEMENTS_MAX,
            });
        }
        Ok(elements)
    }

    fn field(&mut self, shape: &Shape) -> Result<(), ShapeError> {
        match shape {
            Shape::Fixed(bytes) => self.skip(*bytes),
            Shape::Bytes => {
                let len = self.compact_len()?.unwrap_or(0);
                self.skip(len)
            }
            Shape::Struct(inner) => self.structure(inner),
            Shape::Array(inner) => {
                for _ in 0..self.array_len()? {
                    self.structure(inner)?;
                }
                Ok(())
            }
            Shape::Int32Array => {
                let elements = self.array_len()?;
                self.skip(elements * 4)
            }
        }
    }

    fn structure(&mut self, shape: &StructShape) -> Result<(), ShapeError> {
        for field in shape.fields {
            self.field(field)?;
        }
        // Each tagged field takes at least two bytes, so the loop ends with the body.
        for _ in 0..self.varint()? {
            let tag = self.varint()?;
            let size = self.varint()? as usize;
            let known = shape.tagged.iter().find(|(known, _)| *known == tag);
            #[cfg(test)]
            self.tags_seen.push((tag, known.is_some()));
            match known {
                Some((_, known)) => self.field(known)?,
                None => self.skip(size)?,
            }
        }
        Ok(())
    }
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
        // 65 elements claimed: refused before any element is read.
        assert_eq!(
            check(&LIST, &[66]),
            Err(ShapeError::ArrayTooLong {
                elements: 65,
                elements_max: 64
            })
        );
        // 2^32 - 2 elements, the count that made kafka-protocol abort.
        let huge = [0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(matches!(
            check(&LIST, &huge),
            Err(ShapeError::ArrayTooLong { .. })
        ));
        // One element whose string claims 100 bytes with 1 present.
        assert_eq!(
            check(&LIST, &[2, 0, 0, 0, 7, 101, b'a']),
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
        assert_eq!(check(&LIST, &body), Ok(()));
        let mut longer = body.to_vec();
        longer.push(0);
        assert_eq!(
            check(&LIST, &longer),
            Err(ShapeError::TrailingBytes { bytes: 1 })
        );
        // Null arrays and strings are a zero varint.
        assert_eq!(check(&LIST, &[0, 0]), Ok(()));
    }
}
