//! The public listener's guard against slow, silent and too many clients: an acceptor that
//! holds one permit per connection, and a stream that times each request head and idle wait.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::config::Config;
use crate::telemetry::metrics::METRICS;

/// How long a client may take, and how many may be connected at once.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl ConnectionLimits {
    pub fn from_config(config: &Config) -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_secs(config.http_header_timeout_secs),
            idle_timeout: Duration::from_secs(config.http_idle_timeout_secs),
            max_connections: config.max_connections.max(1),
        }
    }
}

/// Accepts a connection only while fewer than `max_connections` are open: waiting for a
/// permit before `accept` leaves the rest in the kernel's listen queue.
pub struct GuardedAcceptor<A> {
    inner: A,
    limits: ConnectionLimits,
    permits: Arc<Semaphore>,
}

impl<A> GuardedAcceptor<A> {
    pub fn new(inner: A, limits: ConnectionLimits) -> GuardedAcceptor<A> {
        GuardedAcceptor {
            inner,
            limits,
            permits: Arc::new(Semaphore::new(limits.max_connections)),
        }
    }
}

impl<A: Acceptor> Acceptor for GuardedAcceptor<A> {
    type Io = GuardedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| io::Error::other("connection permits closed"))?;
        let (io, local, remote, scheme) = self.inner.accept().await?;
        Ok((
            GuardedIo::new(io, self.limits, permit),
            local,
            remote,
            scheme,
        ))
    }
}

/// Where a connection is between requests, as seen from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A request head is arriving; `matched` counts the bytes of `\r\n\r\n` seen so far.
    Head { matched: u8 },
    /// The head is in: the request is being served.
    Busy,
    /// A response went out; the next request has not started.
    Idle,
    /// HTTP/2 with prior knowledge: frames, not heads, so only inactivity is timed.
    Http2,
}

const END_OF_HEAD: &[u8; 4] = b"\r\n\r\n";

/// The connection's stream, closed with `TimedOut` when its current deadline passes.
pub struct GuardedIo<Io> {
    io: Io,
    limits: ConnectionLimits,
    phase: Phase,
    /// True until the first byte is read (to recognise the HTTP/2 preface).
    fresh: bool,
    deadline: Option<Pin<Box<Sleep>>>,
    _permit: OwnedSemaphorePermit,
}

impl<Io> GuardedIo<Io> {
    fn new(io: Io, limits: ConnectionLimits, permit: OwnedSemaphorePermit) -> GuardedIo<Io> {
        METRICS.connections_open.inc();
        GuardedIo {
            io,
            limits,
            // A new connection must send its first head in time, like any later one.
            phase: Phase::Head { matched: 0 },
            fresh: true,
            deadline: Some(Box::pin(tokio::time::sleep(limits.header_timeout))),
            _permit: permit,
        }
    }

    fn set_deadline(&mut self, after: Duration) {
        let at = Instant::now() + after;
        match &mut self.deadline {
            Some(sleep) => sleep.as_mut().reset(at),
            None => self.deadline = Some(Box::pin(tokio::time::sleep_until(at))),
        }
    }

    fn saw_read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if std::mem::take(&mut self.fresh) && bytes.starts_with(b"PRI ") {
            self.phase = Phase::Http2;
        }
        match self.phase {
            Phase::Http2 | Phase::Busy => self.set_deadline(self.limits.idle_timeout),
            Phase::Idle => {
                self.set_deadline(self.limits.header_timeout);
                self.phase = Phase::Head { matched: 0 };
                self.scan_head(bytes);
            }
            Phase::Head { .. } => self.scan_head(bytes),
        }
    }

    fn scan_head(&mut self, bytes: &[u8]) {
        let Phase::Head { mut matched } = self.phase else {
            return;
        };
        for &byte in bytes {
            matched = if byte == END_OF_HEAD[matched as usize] {
                matched + 1
            } else if byte == b'\r' {
                1
            } else {
                0
            };
            if matched as usize == END_OF_HEAD.len() {
                // The body (if any) and the handler are not timed as a head.
                self.phase = Phase::Busy;
                self.set_deadline(self.limits.idle_timeout);
                return;
            }
        }
        self.phase = Phase::Head { matched };
    }

    fn saw_write(&mut self) {
        if self.phase != Phase::Http2 {
            // A response ends the request, even one whose head the scan did not see end
            // (a bare-LF head, or a refusal sent before the head was complete).
            self.phase = Phase::Idle;
        }
        self.set_deadline(self.limits.idle_timeout);
    }

    /// The error that closes the connection, once its deadline has passed.
    fn expired(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        let sleep = self.deadline.as_mut()?;
        if sleep.as_mut().poll(cx).is_pending() {
            return None;
        }
        let reason = match self.phase {
            Phase::Head { .. } => "header_timeout",
            Phase::Busy | Phase::Idle | Phase::Http2 => "idle_timeout",
        };
        METRICS.connections_cut.with_label_values(&[reason]).inc();
        self.deadline = None;
        Some(io::Error::new(io::ErrorKind::TimedOut, reason))
    }
}

impl<Io> Drop for GuardedIo<Io> {
    fn drop(&mut self) {
        METRICS.connections_open.dec();
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for GuardedIo<Io> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.saw_read(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match this.expired(cx) {
                Some(err) => Poll::Ready(Err(err)),
                None => Poll::Pending,
            },
            failed => failed,
        }
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for GuardedIo<Io> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.io).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.saw_write();
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.saw_write();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io() -> GuardedIo<tokio::io::Empty> {
        let limits = ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1,
        };
        let permit = Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap();
        GuardedIo::new(tokio::io::empty(), limits, permit)
    }

    #[tokio::test]
    async fn a_head_ends_at_the_blank_line_even_split_across_reads() {
        let mut io = io();
        io.saw_read(b"GET /price HTTP/1.1\r\nHost: x\r");
        assert!(matches!(io.phase, Phase::Head { .. }));
        io.saw_read(b"\n\r");
        assert!(matches!(io.phase, Phase::Head { .. }));
        io.saw_read(b"\n");
        assert_eq!(io.phase, Phase::Busy);
    }

    #[tokio::test]
    async fn a_response_makes_the_connection_idle_and_the_next_byte_starts_a_head() {
        let mut io = io();
        io.saw_read(b"GET / HTTP/1.1\r\n\r\n");
        io.saw_write();
        assert_eq!(io.phase, Phase::Idle);
        io.saw_read(b"G");
        assert_eq!(io.phase, Phase::Head { matched: 0 });
    }

    #[tokio::test]
    async fn the_http2_preface_is_not_timed_as_a_head() {
        let mut io = io();
        io.saw_read(b"PRI * HTTP/2.0\r\n");
        assert_eq!(io.phase, Phase::Http2);
        io.saw_write();
        assert_eq!(io.phase, Phase::Http2);
    }
}
