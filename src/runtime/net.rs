//! Sockets: TCP listeners and streams, real or simulated.
//!
//! Streams are split into owned halves with `tokio::io::split`, which works on both tokio's and
//! madsim's `TcpStream`, so a connection can read and write from different tasks.

use std::io;
use std::net::SocketAddr;

pub use tokio::net::{TcpListener, TcpStream};

/// The reading half of a split stream.
pub type ReadHalf = tokio::io::ReadHalf<TcpStream>;
/// The writing half of a split stream.
pub type WriteHalf = tokio::io::WriteHalf<TcpStream>;

/// Binds a listener on `addr` (`host:port`; port 0 picks a free one).
pub async fn listen(addr: &str) -> io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Connects to `addr` (`host:port`) with Nagle's algorithm off: Kafka requests are small and
/// latency-bound.
pub async fn connect(addr: &str) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Splits a stream into a reading and a writing half.
pub fn split(stream: TcpStream) -> (ReadHalf, WriteHalf) {
    tokio::io::split(stream)
}

/// The local address of a listener, for logs and for tests that bind port 0.
pub fn local_addr(listener: &TcpListener) -> io::Result<SocketAddr> {
    listener.local_addr()
}

/// Writes every chunk, in order, with vectored writes (one syscall for a whole response or
/// request rather than one per chunk), then flushes once (see `write_and_flush` for why).
pub async fn write_chunks_and_flush<W>(writer: &mut W, chunks: &[bytes::Bytes]) -> io::Result<()>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::AsyncWriteExt;
    /// More slices than this per call gain nothing (and Linux caps iovecs at 1024).
    const SLICES_MAX: usize = 64;
    let mut index = 0;
    let mut offset = 0;
    while index < chunks.len() {
        let slices: Vec<io::IoSlice<'_>> = std::iter::once(&chunks[index][offset..])
            .chain(chunks[index + 1..].iter().map(|chunk| &chunk[..]))
            .take(SLICES_MAX)
            .map(io::IoSlice::new)
            .collect();
        let mut written = writer.write_vectored(&slices).await?;
        if written == 0 && slices.iter().any(|slice| !slice.is_empty()) {
            return Err(io::ErrorKind::WriteZero.into());
        }
        while index < chunks.len() && written >= chunks[index].len() - offset {
            written -= chunks[index].len() - offset;
            index += 1;
            offset = 0;
        }
        offset += written;
    }
    writer.flush().await
}

/// Writes all of `bytes` and flushes. The flush matters: madsim's simulated `TcpStream` buffers
/// writes until `flush`, where a real socket sends at once, so a write without it works on
/// real sockets and hangs in the simulator. Every socket write in Weir goes through here.
pub async fn write_and_flush<W>(writer: &mut W, bytes: &[u8]) -> io::Result<()>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::AsyncWriteExt;
    writer.write_all(bytes).await?;
    writer.flush().await
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use bytes::Bytes;

    use super::*;

    /// Accepts at most `per_call` bytes per write, vectored or not, like a full socket buffer.
    struct Trickle {
        written: Vec<u8>,
        per_call: usize,
        flushed: bool,
    }

    impl tokio::io::AsyncWrite for Trickle {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let n = buf.len().min(self.per_call);
            self.written.extend_from_slice(&buf[..n]);
            Poll::Ready(Ok(n))
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[io::IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let mut n = 0;
            for buf in bufs {
                let take = buf.len().min(self.per_call - n);
                self.written.extend_from_slice(&buf[..take]);
                n += take;
            }
            Poll::Ready(Ok(n))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.flushed = true;
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn chunks_arrive_whole_and_in_order_however_the_writes_split() {
        let chunks: Vec<Bytes> = ["abc", "", "defghij", "k", "lmnopqrstu"]
            .iter()
            .map(|s| Bytes::from_static(s.as_bytes()))
            .collect();
        for per_call in [1, 2, 3, 4, 7, 100] {
            let mut writer = Trickle {
                written: Vec::new(),
                per_call,
                flushed: false,
            };
            crate::runtime::block_on(write_chunks_and_flush(&mut writer, &chunks))
                .unwrap()
                .unwrap();
            assert_eq!(
                writer.written, b"abcdefghijklmnopqrstu",
                "{per_call} per call"
            );
            assert!(writer.flushed);
        }
    }
}
