//! Fuzzes the JSON-RPC transport (`protocol::framing`): the line decoder both the worker and
//! the supervisor read with (`line_reader`), fed an arbitrary byte stream cut into arbitrary
//! reads (with "not ready yet" answers in between), and each decoded line handled as a request
//! the way `serve` does, by a module whose method reads its params with `parse_params`.
//!
//! Input: byte 0 picks the longest line (0: the production limit for replies), byte 1 the
//! number of read sizes that follow (a size 0 is a "not ready yet"), the rest is the stream.
//!
//! Checks: no panic; the frames and the error ending the stream are the same whatever the
//! cuts, and are those of a plain reference split; no line over the limit; the read buffer
//! never holds more than the limit plus one read; every request gets a JSON-RPC 2.0 reply.
#![no_main]

use futures_util::Stream;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use libfuzzer_sys::fuzz_target;
use protocol::framing::{line_reader, parse_params, MAX_REPLY_BYTES};
use serde_json::Value;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::codec::LinesCodecError;

/// How a decoded stream ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Closed,
    LineTooLong,
    NotUtf8,
}

/// A stream handed out in reads of the given sizes, in turn; 0 answers "not ready yet".
struct ChunkedReader<'a> {
    data: &'a [u8],
    read_sizes: &'a [u8],
    next_size: usize,
    largest_read: usize,
}

impl AsyncRead for ChunkedReader<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let wanted = match this
            .read_sizes
            .get(this.next_size % this.read_sizes.len().max(1))
        {
            Some(size) => usize::from(*size),
            None => this.data.len(),
        };
        this.next_size += 1;
        if wanted == 0 && !this.data.is_empty() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let size = wanted.min(this.data.len()).min(buf.remaining());
        buf.put_slice(&this.data[..size]);
        this.data = &this.data[size..];
        this.largest_read = this.largest_read.max(size);
        Poll::Ready(Ok(()))
    }
}

/// The lines `line_reader` gives for `data` read in `read_sizes`, and how the stream ends.
fn decode(data: &[u8], read_sizes: &[u8], max_line: usize) -> (Vec<String>, End) {
    let reader = ChunkedReader {
        data,
        read_sizes,
        next_size: 0,
        largest_read: 0,
    };
    let mut frames = line_reader(reader, max_line);
    let mut cx = Context::from_waker(Waker::noop());
    let mut lines = Vec::new();
    loop {
        let next = Pin::new(&mut frames).poll_next(&mut cx);
        let buffered = frames.read_buffer().len();
        let largest_read = frames.get_ref().largest_read;
        assert!(
            buffered <= max_line.saturating_add(largest_read),
            "{buffered} bytes buffered for lines of {max_line} read {largest_read} at a time"
        );
        match next {
            Poll::Pending => {}
            Poll::Ready(None) => return (lines, End::Closed),
            Poll::Ready(Some(Ok(line))) => {
                assert!(line.len() <= max_line);
                lines.push(line);
            }
            Poll::Ready(Some(Err(LinesCodecError::MaxLineLengthExceeded))) => {
                return (lines, End::LineTooLong)
            }
            Poll::Ready(Some(Err(LinesCodecError::Io(e)))) => {
                assert_eq!(e.kind(), io::ErrorKind::InvalidData);
                return (lines, End::NotUtf8);
            }
        }
    }
}

/// The frames of `data` by a plain split at `\n`: one `\r` before it dropped, a last line
/// without `\n` kept unless it is empty or a lone `\r`.
fn reference(data: &[u8], max_line: usize) -> (Vec<String>, End) {
    let mut lines = Vec::new();
    let mut rest = data;
    loop {
        let newline = rest.iter().position(|b| *b == b'\n');
        let (line, after) = match newline {
            Some(at) if at <= max_line => (&rest[..at], &rest[at + 1..]),
            None if rest.len() <= max_line => {
                if rest.is_empty() || rest == b"\r" {
                    return (lines, End::Closed);
                }
                (rest, &rest[rest.len()..])
            }
            _ => return (lines, End::LineTooLong),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match std::str::from_utf8(line) {
            Ok(text) => lines.push(text.to_string()),
            Err(_) => return (lines, End::NotUtf8),
        }
        if after.is_empty() && newline.is_none() {
            return (lines, End::Closed);
        }
        rest = after;
    }
}

thread_local! {
    /// A served module with one method, as a worker or the supervisor registers them.
    static MODULE: RpcModule<()> = {
        let mut module = RpcModule::new(());
        module
            .register_method("double", |params, _, _| {
                let n: u64 = parse_params(&params)?;
                Ok::<u64, ErrorObjectOwned>(n.wrapping_mul(2))
            })
            .expect("one method");
        module
    };
}

/// Handles `line` as `serve` does and checks the reply.
fn handle(line: &str) {
    MODULE.with(|module| {
        let mut call = pin!(module.raw_json_request(line, 1));
        let mut cx = Context::from_waker(Waker::noop());
        let reply = (0..16)
            .find_map(|_| match call.as_mut().poll(&mut cx) {
                Poll::Ready(reply) => Some(reply),
                Poll::Pending => None,
            })
            .expect("a synchronous method answers at once");
        let Ok((reply, _)) = reply else {
            return;
        };
        let reply: Value = serde_json::from_str(reply.get()).expect("the reply is JSON");
        assert_eq!(reply["jsonrpc"], "2.0", "{reply}");
        assert!(
            reply.get("result").is_some() != reply.get("error").is_some(),
            "{reply}"
        );
    });
}

fuzz_target!(|data: &[u8]| {
    let [limit, size_count, rest @ ..] = data else {
        return;
    };
    let max_line = match limit {
        0 => MAX_REPLY_BYTES,
        n => usize::from(*n) * 2,
    };
    let (read_sizes, stream) = rest.split_at(usize::from(size_count % 16).min(rest.len()));
    let read_sizes: &[u8] = if read_sizes.iter().all(|s| *s == 0) {
        &[]
    } else {
        read_sizes
    };
    let whole = decode(stream, &[], max_line);
    let cut = decode(stream, read_sizes, max_line);
    assert_eq!(cut, whole, "the reads changed the frames");
    assert_eq!(
        whole,
        reference(stream, max_line),
        "differs from a plain split"
    );
    for line in whole.0.iter().filter(|line| !line.trim().is_empty()) {
        handle(line);
    }
});
