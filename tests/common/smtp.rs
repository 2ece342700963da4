//! A small real SMTP server on 127.0.0.1 that records what it receives, for tests.
#![allow(dead_code)]

// Not mailin-embedded: its only non-OpenSSL build pulls rustls with aws-lc-rs,
// and its `serve()` loops forever with no way to stop it on Drop.

use std::net::TcpListener as StdTcpListener;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// One accepted message, as the envelope and the unstuffed DATA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// Raw DATA (headers and encoded body, CRLF line ends), dot-unstuffed.
    pub data: String,
}

impl Received {
    /// The value of the first header named `name`, unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.split();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            match value.as_mut() {
                Some(v) if line.starts_with([' ', '\t']) => v.push_str(line),
                Some(_) => break,
                None => {
                    if let Some((key, rest)) = line.split_once(':') {
                        if key.eq_ignore_ascii_case(name) {
                            value = Some(rest.trim_start().to_owned());
                        }
                    }
                }
            }
        }
        value.map(|v| v.trim_end().to_owned())
    }

    /// The body with its Content-Transfer-Encoding undone.
    pub fn decoded_body(&self) -> String {
        let (_, body) = self.split();
        let bytes = match self
            .header("Content-Transfer-Encoding")
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("quoted-printable") => decode_quoted_printable(body),
            Some("base64") => decode_base64(body),
            _ => body.as_bytes().to_vec(),
        };
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn split(&self) -> (&str, &str) {
        self.data
            .split_once("\r\n\r\n")
            .unwrap_or((self.data.as_str(), ""))
    }
}

/// A running server; stops when dropped.
pub struct TestSmtp {
    pub port: u16,
    messages: Arc<Mutex<Vec<Received>>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestSmtp {
    /// Accepts every message.
    pub fn start() -> TestSmtp {
        Self::spawn(None)
    }

    /// Answers every RCPT TO with `code`, e.g. 550 (permanent) or 451 (temporary).
    pub fn start_rejecting(code: u16) -> TestSmtp {
        Self::spawn(Some(code))
    }

    pub fn messages(&self) -> Vec<Received> {
        lock(&self.messages).clone()
    }

    /// Polls until at least `n` messages arrived or `within` passed, and returns
    /// what arrived either way so the caller's assertion shows the shortfall.
    pub fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() >= deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn spawn(reject_rcpt: Option<u16>) -> TestSmtp {
        // Bound here, not in the thread, so the port is known and listening
        // before start() returns.
        let listener = StdTcpListener::bind("127.0.0.1:0").expect("bind test smtp port");
        let port = listener.local_addr().expect("local addr").port();
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let messages = Arc::new(Mutex::new(Vec::new()));
        let (stop_tx, stop_rx) = oneshot::channel();
        let shared = Arc::clone(&messages);
        // Own runtime on its own thread: wait_for() blocks, and the tests'
        // current-thread runtime would otherwise starve the server.
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("test smtp runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("tokio listener");
                tokio::select! {
                    _ = stop_rx => {}
                    _ = accept_loop(listener, shared, reject_rcpt) => {}
                }
            });
            // Dropping the runtime cancels the per-connection tasks.
        });
        TestSmtp {
            port,
            messages,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }
}

impl Drop for TestSmtp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(m: &Mutex<Vec<Received>>) -> MutexGuard<'_, Vec<Received>> {
    // A panicking test thread must not hide the messages from other asserts.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn accept_loop(
    listener: TcpListener,
    messages: Arc<Mutex<Vec<Received>>>,
    reject_rcpt: Option<u16>,
) {
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            let messages = Arc::clone(&messages);
            tokio::spawn(async move {
                let _ = session(stream, messages, reject_rcpt).await;
            });
        }
    }
}

const MAX_LINE: usize = 4096;
const MAX_DATA: usize = 10 * 1024 * 1024;

async fn session(
    stream: TcpStream,
    messages: Arc<Mutex<Vec<Received>>>,
    reject_rcpt: Option<u16>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write
        .write_all(b"220 causeway-test ESMTP ready\r\n")
        .await?;

    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read_line(&mut read, &mut line).await? == 0 {
            return Ok(());
        }
        if line.len() > MAX_LINE {
            write.write_all(b"500 5.5.2 Line too long\r\n").await?;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let upper = text.to_ascii_uppercase();
        let verb = upper.split(' ').next().unwrap_or("");

        let reply: String = match verb {
            "EHLO" => "250-causeway-test\r\n250-8BITMIME\r\n250 SMTPUTF8".into(),
            "HELO" => "250 causeway-test".into(),
            "NOOP" => "250 2.0.0 OK".into(),
            "RSET" => {
                from = None;
                to.clear();
                "250 2.0.0 OK".into()
            }
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ if upper.starts_with("MAIL FROM:") => {
                if from.is_some() {
                    "503 5.5.1 Nested MAIL command".into()
                } else {
                    from = Some(path_arg(text.get("MAIL FROM:".len()..).unwrap_or("")));
                    "250 2.1.0 OK".into()
                }
            }
            _ if upper.starts_with("RCPT TO:") => match (&from, reject_rcpt) {
                (None, _) => "503 5.5.1 Need MAIL before RCPT".into(),
                (Some(_), Some(code)) if code >= 500 => {
                    format!("{code} 5.1.1 Mailbox unavailable")
                }
                (Some(_), Some(code)) => format!("{code} 4.3.0 Try again later"),
                (Some(_), None) => {
                    to.push(path_arg(text.get("RCPT TO:".len()..).unwrap_or("")));
                    "250 2.1.5 OK".into()
                }
            },
            "DATA" => {
                if to.is_empty() {
                    "503 5.5.1 Need RCPT before DATA".into()
                } else {
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let Some(data) = read_data(&mut read).await? else {
                        write.write_all(b"552 5.3.4 Message too big\r\n").await?;
                        return Ok(());
                    };
                    lock(&messages).push(Received {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        data,
                    });
                    "250 2.0.0 OK queued".into()
                }
            }
            _ => "500 5.5.2 Command not recognized".into(),
        };
        write.write_all(reply.as_bytes()).await?;
        write.write_all(b"\r\n").await?;
    }
}

/// Reads one line (up to LF) but stops storing past MAX_LINE so a client
/// without newlines cannot grow memory without bound.
async fn read_line<R: AsyncBufReadExt + Unpin>(
    read: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let buf = read.fill_buf().await?;
        if buf.is_empty() {
            return Ok(total);
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let n = chunk.len();
        if line.len() <= MAX_LINE {
            line.extend_from_slice(chunk);
        }
        read.consume(n);
        total += n;
        if done {
            return Ok(total);
        }
    }
}

/// Reads DATA lines until the lone "." line, undoing dot-stuffing. `None`
/// when the client hung up or sent more than MAX_DATA.
async fn read_data<R: AsyncBufReadExt + Unpin>(read: &mut R) -> std::io::Result<Option<String>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read_line(read, &mut line).await? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" {
            return Ok(Some(String::from_utf8_lossy(&data).into_owned()));
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
        if data.len() > MAX_DATA {
            return Ok(None);
        }
    }
}

/// `<addr> PARAM=...` → `addr`.
fn path_arg(arg: &str) -> String {
    let arg = arg.trim_start();
    match arg.strip_prefix('<').and_then(|a| a.split_once('>')) {
        Some((addr, _)) => addr.to_owned(),
        None => arg.split(' ').next().unwrap_or("").to_owned(),
    }
}

fn decode_quoted_printable(body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut lines = body.split("\r\n").peekable();
    while let Some(line) = lines.next() {
        let line = line.trim_end_matches([' ', '\t']);
        let (line, soft_break) = match line.strip_suffix('=') {
            Some(l) => (l, true),
            None => (line, false),
        };
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[i], hex) {
                (b'=', Some(b)) => {
                    out.push(b);
                    i += 3;
                }
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        if !soft_break && lines.peek().is_some() {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

fn decode_base64(body: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in body.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
