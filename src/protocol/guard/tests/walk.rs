//! The walk in non-flexible versions (the quorum's tests cover the flexible encoding): `int16`
//! string lengths, `int32` byte lengths and counts, -1 for null, version-gated fields and tags.

use super::shape::{check, Encoding, Shape, ShapeError, StructShape, INT16, INT32, LATEST};

static ELEMENT: StructShape = StructShape {
    fields: &[INT16, Shape::Versions(2, LATEST, &Shape::String)],
    tagged: &[],
};
static MESSAGE: StructShape = StructShape {
    fields: &[
        Shape::Array(&ELEMENT),
        Shape::Bytes,
        Shape::Versions(0, 1, &INT32),
    ],
    tagged: &[(1, Shape::Versions(3, LATEST, &INT32))],
};

fn at(version: i16, flexible: bool) -> Encoding {
    Encoding {
        version,
        flexible,
        array_elements_max: usize::MAX,
        trailing_bytes_allowed: false,
    }
}

#[test]
fn non_flexible_lengths_and_counts_are_fixed_width_with_minus_one_for_null() {
    // v1: one element (int16), null bytes, then the int32 only v0..v1 have.
    let v1 = [0, 0, 0, 1, 0, 7, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 9];
    assert_eq!(check(&MESSAGE, at(1, false), &v1), Ok(()));
    // v2: the element gains a string ("ab"), the trailing int32 is gone, bytes are "xyz".
    let v2 = [
        0, 0, 0, 1, 0, 7, 0, 2, b'a', b'b', 0, 0, 0, 3, b'x', b'y', b'z',
    ];
    assert_eq!(check(&MESSAGE, at(2, false), &v2), Ok(()));
    // Read as v1, the string's length and bytes become a 156,002-byte length.
    assert_eq!(
        check(&MESSAGE, at(1, false), &v2),
        Err(ShapeError::Truncated {
            needed: 0x0002_6162,
            available: 7
        })
    );
    // A null array and null bytes.
    let null = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(check(&MESSAGE, at(2, false), &null), Ok(()));
}

#[test]
fn non_flexible_counts_below_minus_one_or_past_the_end_are_refused() {
    let negative = [0xff, 0xff, 0xff, 0xfe];
    assert_eq!(
        check(&MESSAGE, at(2, false), &negative),
        Err(ShapeError::NegativeLength { length: -2 })
    );
    let string = [0, 0, 0, 1, 0, 7, 0x80, 0x00];
    assert_eq!(
        check(&MESSAGE, at(2, false), &string),
        Err(ShapeError::NegativeLength { length: -32768 })
    );
    let past_end = [0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0];
    assert_eq!(
        check(&MESSAGE, at(2, false), &past_end),
        Err(ShapeError::ArrayPastEnd {
            elements: i32::MAX as usize,
            bytes_left: 4
        })
    );
}

#[test]
fn a_known_tag_outside_its_versions_is_refused_as_its_decoder_does() {
    // Flexible: empty array (1), null bytes (0), tags: one, tag 1, size 4, int32.
    let body = [1, 0, 1, 1, 4, 0, 0, 0, 5];
    assert_eq!(check(&MESSAGE, at(3, true), &body), Ok(()));
    assert_eq!(
        check(&MESSAGE, at(2, true), &body[..]),
        Err(ShapeError::TagNotValid { tag: 1, version: 2 })
    );
    // No tagged fields at all in a non-flexible version: the tag count is trailing bytes.
    assert_eq!(
        check(&MESSAGE, at(2, false), &[0, 0, 0, 0, 0, 0, 0, 0, 0]),
        Err(ShapeError::TrailingBytes { bytes: 1 })
    );
}
