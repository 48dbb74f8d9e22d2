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
