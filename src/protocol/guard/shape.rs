//! A walk over a request or response body's layout before `kafka-protocol` decodes it, because
//! that crate trusts the wire's array counts: it calls `Vec::with_capacity(count)` before
//! reading a single element, so a ten-byte request claiming 2^31 elements asks the allocator
//! for hundreds of gigabytes and aborts the process (a panic could be caught; an allocation
//! failure cannot).
//!
//! The walk reads exactly what `kafka-protocol` reads at one version: in non-flexible versions
//! `int16` string lengths, `int32` bytes lengths and array counts, -1 for null; in flexible
//! versions (KIP-482) their compact varint forms and each struct's tagged fields, known tags
//! walked by their shape (`kafka-protocol` decodes them by shape and ignores their size) and
//! unknown ones skipped by their size. It refuses any array with more elements than bytes left
//! (every element takes at least one byte) or more than the caller's limit, any length past the
//! end, and bytes left over. Every count `kafka-protocol` then allocates for has passed this
//! walk, so it is backed by bytes actually present.
//!
//! Shapes are transcribed from `kafka-protocol`'s generated decoders: the quorum's, one version
//! each, next to their codecs (`protocol/quorum/`), the broker's, every version, in
//! `guard/messages/`. Their tests encode every message with every optional part filled in and
//! check that the walk accepts exactly those bytes, so a transcription error shows.

use std::fmt;

/// The version bound of a field present from some version on (`Shape::Versions(7, LATEST, ..)`).
pub const LATEST: i16 = i16::MAX;

/// The wire shape of one field.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A fixed-size field of this many bytes (ints, booleans, UUIDs, floats).
    Fixed(usize),
    /// A (nullable) string: `int16` length, or compact (unsigned varint length + 1).
    String,
    /// A (nullable) byte string: `int32` length, or compact.
    Bytes,
    /// A nested struct.
    Struct(&'static StructShape),
    /// A nullable struct: an `int8` marker, then the struct when the marker is 1
    /// (DescribeTopicPartitions' cursor).
    OptionStruct(&'static StructShape),
    /// A (nullable) array of structs: `int32` count, or compact.
    Array(&'static StructShape),
    /// A (nullable) array of `int32`.
    Int32Array,
    /// A (nullable) array of strings.
    StringArray,
    /// A (nullable) array of UUIDs (BrokerRegistration's log dirs).
    UuidArray,
    /// A field present only in versions `min..=max` (the decoder's `if version >= min`).
    Versions(i16, i16, &'static Shape),
}

pub const INT8: Shape = Shape::Fixed(1);
pub const INT16: Shape = Shape::Fixed(2);
pub const UINT16: Shape = Shape::Fixed(2);
pub const INT32: Shape = Shape::Fixed(4);
pub const INT64: Shape = Shape::Fixed(8);
pub const FLOAT64: Shape = Shape::Fixed(8);
pub const BOOL: Shape = Shape::Fixed(1);
pub const UUID: Shape = Shape::Fixed(16);
pub const STRING: Shape = Shape::String;
pub const BYTES: Shape = Shape::Bytes;
pub const INT32_ARRAY: Shape = Shape::Int32Array;
pub const STRING_ARRAY: Shape = Shape::StringArray;
pub const UUID_ARRAY: Shape = Shape::UuidArray;

/// A struct: its fields in order, then (in flexible versions) its tagged fields.
#[derive(Debug)]
pub struct StructShape {
    pub fields: &'static [Shape],
    /// The tags `kafka-protocol` decodes by their shape; others are skipped by their size. A
    /// tag wrapped in `Shape::Versions` is refused outside those versions, as the decoder does.
    pub tagged: &'static [(u32, Shape)],
}

/// One message (a request or a response body) in every version `kafka-protocol` decodes.
#[derive(Debug)]
pub struct MessageShape {
    pub version_min: i16,
    pub version_max: i16,
    /// The first flexible version, if any: compact lengths and tagged fields from there on.
    pub flexible_min: Option<i16>,
    pub body: StructShape,
}

impl MessageShape {
    /// The encoding at `version`, or `None` when `kafka-protocol` does not decode it.
    pub fn encoding(&self, version: i16) -> Option<Encoding> {
        (self.version_min..=self.version_max)
            .contains(&version)
            .then(|| Encoding {
                version,
                flexible: self.flexible_min.is_some_and(|min| version >= min),
                array_elements_max: crate::limits::PROTOCOL_ARRAY_ELEMENTS_MAX,
                // Real clients send bytes kafka-protocol (and Kafka) never read: librdkafka's
                // Metadata v12 carries three. They cost nothing; refusing them broke clients.
                trailing_bytes_allowed: true,
            })
    }
}

/// How a body is laid out: which version (fields come and go by version), whether that version
/// is flexible, and the most elements any array may hold (besides the bytes left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    pub version: i16,
    pub flexible: bool,
    pub array_elements_max: usize,
    /// Whether bytes after the body are ignored (as `kafka-protocol` ignores them) rather than
    /// refused.
    pub trailing_bytes_allowed: bool,
}

/// Why a body's layout was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeError {
    /// The body ends inside a field.
    Truncated { needed: usize, available: usize },
    /// More elements than the caller allows.
    ArrayTooLong {
        elements: usize,
        elements_max: usize,
    },
    /// More elements than bytes left: the count cannot be honest.
    ArrayPastEnd { elements: usize, bytes_left: usize },
    /// A non-flexible length or count below -1 (the null marker).
    NegativeLength { length: i32 },
    /// A known tag in a version whose decoder refuses it.
    TagNotValid { tag: u32, version: i16 },
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
            ShapeError::ArrayPastEnd {
                elements,
                bytes_left,
            } => write!(f, "array of {elements} elements in {bytes_left} bytes"),
            ShapeError::NegativeLength { length } => write!(f, "negative length {length}"),
            ShapeError::TagNotValid { tag, version } => {
                write!(f, "tag {tag} is not valid in version {version}")
            }
            ShapeError::TrailingBytes { bytes } => write!(f, "{bytes} bytes after the body"),
        }
    }
}

impl std::error::Error for ShapeError {}

/// Checks that `body` is exactly one `shape` in `encoding`, with no dishonest counts.
pub fn check(shape: &StructShape, encoding: Encoding, body: &[u8]) -> Result<(), ShapeError> {
    walk(shape, encoding, body).map(drop)
}

/// What a walk met on the way, for tests: each tag with whether the shape knew it (the walk
/// must know exactly the tags `kafka-protocol` knows), and where each array count sits (so
/// tests can forge one).
#[cfg(test)]
#[derive(Debug, Default)]
pub struct Seen {
    pub tags: Vec<(u32, bool)>,
    /// Offset and width in bytes of every array count read.
    pub counts: Vec<(usize, usize)>,
}

#[cfg(test)]
pub fn seen(shape: &StructShape, encoding: Encoding, body: &[u8]) -> Result<Seen, ShapeError> {
    walk(shape, encoding, body).map(|walk| walk.seen)
}

fn walk<'a>(
    shape: &StructShape,
    encoding: Encoding,
    body: &'a [u8],
) -> Result<Walk<'a>, ShapeError> {
    let mut walk = Walk {
        rest: body,
        encoding,
        #[cfg(test)]
        body_len: body.len(),
        #[cfg(test)]
        seen: Seen::default(),
    };
    walk.structure(shape)?;
    match walk.rest.len() {
        0 => Ok(walk),
        _ if encoding.trailing_bytes_allowed => Ok(walk),
        bytes => Err(ShapeError::TrailingBytes { bytes }),
    }
}

struct Walk<'a> {
    rest: &'a [u8],
    encoding: Encoding,
    #[cfg(test)]
    body_len: usize,
    #[cfg(test)]
    seen: Seen,
}

impl Walk<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], ShapeError> {
        let available = self.rest.len();
        let Some((head, rest)) = self.rest.split_first_chunk::<N>() else {
            return Err(ShapeError::Truncated {
                needed: N,
                available,
            });
        };
        self.rest = rest;
        Ok(*head)
    }

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
            let [byte] = self.take::<1>()?;
            value |= (u32::from(byte) & 0x7f) << (i * 7);
            if byte < 0x80 {
                break;
            }
        }
        Ok(value)
    }

    /// A string's, bytes' or array's length, `None` for null: compact in flexible versions,
    /// else an `int16` (strings) or `int32` (bytes, arrays) with -1 for null.
    fn length(&mut self, int16: bool) -> Result<Option<usize>, ShapeError> {
        if self.encoding.flexible {
            return Ok(self.varint()?.checked_sub(1).map(|len| len as usize));
        }
        let length = if int16 {
            i32::from(i16::from_be_bytes(self.take()?))
        } else {
            i32::from_be_bytes(self.take()?)
        };
        match length {
            -1 => Ok(None),
            length if length < -1 => Err(ShapeError::NegativeLength { length }),
            length => Ok(Some(length as usize)),
        }
    }

    fn array_len(&mut self) -> Result<usize, ShapeError> {
        #[cfg(test)]
        let at = self.body_len - self.rest.len();
        let elements = self.length(false)?.unwrap_or(0);
        #[cfg(test)]
        self.seen
            .counts
            .push((at, self.body_len - self.rest.len() - at));
        let bytes_left = self.rest.len();
        if elements > bytes_left {
            return Err(ShapeError::ArrayPastEnd {
                elements,
                bytes_left,
            });
        }
        // Backed by bytes, a count can still cost many times its wire size once decoded (a
        // two-byte Metadata topic becomes a 72-byte struct): bound it too.
        let elements_max = self.encoding.array_elements_max;
        if elements > elements_max {
            return Err(ShapeError::ArrayTooLong {
                elements,
                elements_max,
            });
        }
        Ok(elements)
    }

    fn field(&mut self, shape: &Shape) -> Result<(), ShapeError> {
        match shape {
            Shape::Fixed(bytes) => self.skip(*bytes),
            Shape::String => {
                let len = self.length(true)?.unwrap_or(0);
                self.skip(len)
            }
            Shape::Bytes => {
                let len = self.length(false)?.unwrap_or(0);
                self.skip(len)
            }
            Shape::Struct(inner) => self.structure(inner),
            Shape::OptionStruct(inner) => match self.take::<1>()? {
                [1] => self.structure(inner),
                _ => Ok(()),
            },
            Shape::Array(inner) => {
                for _ in 0..self.array_len()? {
                    self.structure(inner)?;
                }
                Ok(())
            }
            Shape::Int32Array => {
                let elements = self.array_len()?;
                // At most `rest.len()` elements, so this cannot overflow.
                self.skip(elements * 4)
            }
            Shape::UuidArray => {
                let elements = self.array_len()?;
                // At most `rest.len()` elements, so this cannot overflow.
                self.skip(elements * 16)
            }
            Shape::StringArray => {
                for _ in 0..self.array_len()? {
                    self.field(&Shape::String)?;
                }
                Ok(())
            }
            Shape::Versions(min, max, inner) => {
                if (*min..=*max).contains(&self.encoding.version) {
                    self.field(inner)?;
                }
                Ok(())
            }
        }
    }

    fn structure(&mut self, shape: &StructShape) -> Result<(), ShapeError> {
        for field in shape.fields {
            self.field(field)?;
        }
        if !self.encoding.flexible {
            return Ok(());
        }
        // Each tagged field takes at least two bytes, so the loop ends with the body.
        for _ in 0..self.varint()? {
            let tag = self.varint()?;
            let size = self.varint()? as usize;
            let known = shape.tagged.iter().find(|(known, _)| *known == tag);
            #[cfg(test)]
            self.seen.tags.push((tag, known.is_some()));
            match known {
                Some((_, Shape::Versions(min, max, _)))
                    if !(*min..=*max).contains(&self.encoding.version) =>
                {
                    let version = self.encoding.version;
                    return Err(ShapeError::TagNotValid { tag, version });
                }
                Some((_, known)) => self.field(known)?,
                None => self.skip(size)?,
            }
        }
        Ok(())
    }
}
