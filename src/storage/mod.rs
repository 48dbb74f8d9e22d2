//! Storage: the [`Disk`] seam and Weir's log engine, laid out on disk the way Kafka does it.

pub mod disk;

pub use disk::{DirEntry, Disk, DiskFile, OpenMode};
