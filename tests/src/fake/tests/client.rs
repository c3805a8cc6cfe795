//! A minimal HTTP/1.1 client over a raw `TcpStream`, enough to see exactly
//! what the fake sends (including truncated bodies).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the client does with body bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Keep them in [`Reply::body`] (and hash them).
    Body,
    /// Only hash and count them.
    HashOnly,
}

/// A parsed answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Header names lower-cased, values as raw bytes, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    /// Body bytes received (decoded when chunked).
    pub received: u64,
    pub sha256: [u8; 32],
    /// The body ended where its framing said it would (not cut short).
    pub complete: bool,
}

impl Reply {
    /// A header value as a lossy string.
    pub fn header(&self, name: &str) -> Option<String> {
        self.header_bytes(name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// A header's raw bytes.
    pub fn header_bytes(&self, name: &str) -> Option<&[u8]> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The body parsed as JSON (panics if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Sends one request (`Connection: close`) and reads the whole answer.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    keep: Keep,
) -> io::Result<Reply> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await?;
    stream.write_all(body).await?;

    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no head"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad status line"))?;
    // Re-split the raw head bytes so non-UTF-8 header values survive.
    let mut headers = Vec::new();
    for line in buf[..head_end].split(|b| *b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(colon) = line.iter().position(|b| *b == b':') {
            let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
            let value = line[colon + 1..].trim_ascii().to_vec();
            headers.push((name, value));
        }
    }
    let mut reply = Reply {
        status,
        headers,
        body: Vec::new(),
        received: 0,
        sha256: [0; 32],
        complete: false,
    };
    let rest = buf[head_end + 4..].to_vec();
    let chunked = reply
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let length: Option<u64> = reply.header("content-length").and_then(|v| v.parse().ok());
    let mut hasher = Sha256::new();
    if chunked || method == "HEAD" || status == 204 || status == 304 {
        let mut raw = rest;
        let _ = stream.read_to_end(&mut raw).await;
        let (decoded, complete) = if chunked {
            dechunk(&raw)
        } else {
            (Vec::new(), true)
        };
        hasher.update(&decoded);
        reply.received = decoded.len() as u64;
        reply.complete = complete;
        if keep == Keep::Body {
            reply.body = decoded;
        }
    } else {
        let mut sink = |bytes: &[u8], reply: &mut Reply| {
            hasher.update(bytes);
            reply.received += bytes.len() as u64;
            if keep == Keep::Body {
                reply.body.extend_from_slice(bytes);
            }
        };
        let first = match length {
            Some(len) => &rest[..rest.len().min(len as usize)],
            None => &rest[..],
        };
        sink(first, &mut reply);
        let mut chunk = vec![0u8; 64 * 1024];
        while !matches!(length, Some(len) if reply.received >= len) {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let take = match length {
                        Some(len) => n.min((len - reply.received) as usize),
                        None => n,
                    };
                    sink(&chunk[..take], &mut reply);
                }
            }
        }
        reply.complete = !matches!(length, Some(len) if reply.received != len);
    }
    reply.sha256 = hasher.finalize().into();
    Ok(reply)
}

/// `send` with a 60 s ceiling, panicking on any I/O error.
pub async fn call(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    call_keep(addr, method, target, headers, body, Keep::Body).await
}

/// [`call`] choosing what to keep of the body.
pub async fn call_keep(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    keep: Keep,
) -> Reply {
    let fut = send(addr, method, target, headers, body, keep);
    tokio::time::timeout(Duration::from_secs(60), fut)
        .await
        .unwrap_or_else(|_| panic!("{method} {target} timed out"))
        .unwrap_or_else(|e| panic!("{method} {target}: {e}"))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decodes a chunked body; `complete` when the terminating chunk was seen.
fn dechunk(mut raw: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    loop {
        let Some(eol) = find(raw, b"\r\n") else {
            return (out, false);
        };
        let size_text = String::from_utf8_lossy(&raw[..eol]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            return (out, false);
        };
        raw = &raw[eol + 2..];
        if size == 0 {
            return (out, true);
        }
        if raw.len() < size + 2 {
            out.extend_from_slice(&raw[..raw.len().min(size)]);
            return (out, false);
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}
