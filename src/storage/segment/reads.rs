//! Reading what lies outside a batch's CRC: its base offset, length and leader epoch, which a
//! bit flipped on the way up from the disk can change without any check noticing. Recovery
//! settles a failing batch by reading it until two reads agree; a header walk checks each
//! header against the batch before it or the index entry for its position; headers whose
//! epochs recovery records are read until two reads agree. Reads that never agree are an I/O
//! error: the disk is failing, and guessing would cut or invent data.

use std::io;

use super::{BatchError, BatchHeader, Segment};

impl Segment {
    /// [`Self::read_header_at`] until two reads in a row agree (a header's offsets and epoch
    /// lie outside the CRC); reads that never agree are an I/O error.
    pub fn read_header_agreed(&self, position: u64) -> io::Result<Option<BatchHeader>> {
        const READS_MAX: usize = 5;
        let mut last = self.read_header_at(position)?;
        for _ in 1..READS_MAX {
            let again = self.read_header_at(position)?;
            if again == last {
                return Ok(last);
            }
            last = again;
        }
        Err(io::Error::other(format!(
            "{} gave {READS_MAX} different reads of the header at position {position}; the disk \
             is failing",
            self.log_path.display()
        )))
    }

    /// What the batch at `position`, where a header walk begins, must show: the segment's
    /// first batch starts at its base offset, and an indexed batch ends where its entry says.
    pub(super) fn expect_at(&self, position: u64) -> Expect {
        match (position, self.offset_index.entry_at(position)) {
            (0, _) => Expect::Starts(self.base_offset),
            (_, Some(last_offset)) => Expect::Ends(last_offset),
            _ => Expect::Nothing,
        }
    }

    /// [`Self::read_header_at`], checked against `expect`. A header walk trusts what it reads
    /// to find positions and the log end, and the offsets in a header lie outside its CRC: a
    /// bit flipped on the way up once set a leader's log end offset 2^45 ahead after a failed
    /// append re-read its tail. A header that disagrees is read again; one that keeps
    /// disagreeing is corruption (`InvalidData`).
    pub(super) fn read_header_expecting(
        &self,
        position: u64,
        expect: Expect,
    ) -> io::Result<Option<BatchHeader>> {
        const READS_MAX: usize = 3;
        let mut reads = 0;
        loop {
            reads += 1;
            let header = match self.read_header_at(position) {
                Err(error) if error.kind() == io::ErrorKind::InvalidData && reads < READS_MAX => {
                    continue
                }
                other => other?,
            };
            let Some(found) = header else {
                return Ok(None);
            };
            let agrees = match expect {
                Expect::Starts(offset) => found.base_offset == offset,
                Expect::Ends(offset) => found.last_offset() == offset,
                Expect::Nothing => true,
            };
            if agrees {
                return Ok(Some(found));
            }
            if reads >= READS_MAX {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "the batch at position {position} of {} does not continue the offsets \
                     before it ({expect:?}, found {}..={})",
                        self.log_path.display(),
                        found.base_offset,
                        found.last_offset()
                    ),
                ));
            }
        }
    }

    /// Verifies the batch at `position` until the answer is settled: a good read settles it,
    /// and so do two reads in a row failing the same way (the medium holds those bytes); reads
    /// that never agree are an I/O error, not a reason to cut. A bit flipped on the way up,
    /// not on the medium, must not make recovery throw away good, acknowledged data; one
    /// re-read was not enough, as two flipped reads in a row (one in the CRC'd body, then one
    /// in the length) cut a replica's whole fsynced log in a simulation.
    pub(super) fn verify_settled(
        &self,
        position: u64,
    ) -> io::Result<Result<BatchHeader, BatchError>> {
        const READS_MAX: usize = 5;
        let mut last = self.verify_batch_at(position)?;
        for _ in 1..READS_MAX {
            let Err(error) = &last else { return Ok(last) };
            let again = self.verify_batch_at(position)?;
            let settled = again.as_ref().err() == Some(error);
            if again.is_ok() {
                crate::event!(
                    "recovery read caught transient corruption file={} position={position} \
                     reason={error}",
                    self.log_path.display()
                );
            }
            last = again;
            if settled || last.is_ok() {
                return Ok(last);
            }
        }
        // No two reads agreed: the disk is failing, not the batch. Cutting would guess.
        let error = last.err().map_or_else(String::new, |e| e.to_string());
        Err(io::Error::other(format!(
            "{} gave {READS_MAX} different reads of the batch at position {position} (last: \
             {error}); the disk is failing",
            self.log_path.display()
        )))
    }
}
/// What a header walk knows of the next batch (see `Segment::read_header_expecting`).
#[derive(Debug, Clone, Copy)]
pub(super) enum Expect {
    Starts(i64),
    Ends(i64),
    Nothing,
}
