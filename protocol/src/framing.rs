//! Newline-delimited JSON-RPC 2.0 over any byte stream (a worker's stdin/stdout, a unix
//! socket): a jsonrpsee client transport, a server loop that feeds lines to a jsonrpsee
//! [`RpcModule`], and a [`Notifier`] that sends notifications on the same stream.

use futures_util::StreamExt;
use jsonrpsee::core::client::async_client::RpcService;
use jsonrpsee::core::client::{
    Client, ClientBuilder, ReceivedMessage, TransportReceiverT, TransportSenderT,
};
use jsonrpsee::core::middleware::RpcServiceBuilder;
use jsonrpsee::RpcModule;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, LinesCodec, LinesCodecError};

/// Longest request a worker accepts: a run request carries the whole UID map.
pub const MAX_REQUEST_BYTES: usize = 256 * 1024 * 1024;
/// Longest line a client accepts (results, notifications) and a control request.
pub const MAX_REPLY_BYTES: usize = 16 * 1024 * 1024;

/// Notifications buffered per subscription on the client side before it lags.
const CLIENT_NOTIFICATION_BUFFER: usize = 1 << 16;

/// Transport failures.
#[derive(Debug, thiserror::Error)]
pub enum FramingError {
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("bad frame: {0}")]
    Codec(#[from] LinesCodecError),
    #[error("the peer closed the connection")]
    Closed,
}

/// Client-side sender half: one message, one line.
pub struct LineSender<W> {
    writer: W,
}

impl<W: AsyncWrite + Unpin + Send + 'static> TransportSenderT for LineSender<W> {
    type Error = FramingError;

    async fn send(&mut self, msg: String) -> Result<(), Self::Error> {
        write_line(&mut self.writer, &msg).await
    }
}

/// Client-side receiver half.
pub struct LineReceiver<R> {
    lines: FramedRead<R, LinesCodec>,
}

impl<R: AsyncRead + Unpin + Send + 'static> TransportReceiverT for LineReceiver<R> {
    type Error = FramingError;

    async fn receive(&mut self) -> Result<ReceivedMessage, Self::Error> {
        match self.lines.next().await {
            Some(line) => Ok(ReceivedMessage::Text(line?)),
            None => Err(FramingError::Closed),
        }
    }
}

/// The frame decoder both sides use: one UTF-8 line per message, `\n` or `\r\n` ended, the
/// stream ending with an error at the first line over `max_line` bytes or not UTF-8.
pub fn line_reader<R: AsyncRead>(reader: R, max_line: usize) -> FramedRead<R, LinesCodec> {
    FramedRead::new(reader, LinesCodec::new_with_max_length(max_line))
}

async fn write_line<W: AsyncWrite + Unpin>(writer: &mut W, msg: &str) -> Result<(), FramingError> {
    writer.write_all(msg.as_bytes()).await?;
    writer.write_all(b"\n").await?;
    writer.flush().await?;
    Ok(())
}

/// A client over a line transport. Built without jsonrpsee's request logger: requests carry
/// passwords, and a trace-level filter must never print them.
pub type LineClient = Client<RpcService>;

/// Builds a jsonrpsee client that talks over `reader`/`writer`, accepting incoming lines of at
/// most `max_line` bytes. Needs a tokio runtime.
pub fn client<R, W>(reader: R, writer: W, max_line: usize) -> LineClient
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    ClientBuilder::default()
        .set_rpc_middleware(RpcServiceBuilder::new())
        .max_buffer_capacity_per_subscription(CLIENT_NOTIFICATION_BUFFER)
        .request_timeout(std::time::Duration::from_secs(365 * 24 * 3600))
        .build_with_tokio(
            LineSender { writer },
            LineReceiver {
                lines: line_reader(reader, max_line),
            },
        )
}

/// Sends JSON-RPC notifications (no id, no reply) on a served stream.
#[derive(Clone)]
pub struct Notifier {
    out: mpsc::UnboundedSender<String>,
}

impl Notifier {
    /// Queues a notification; silently dropped once the stream is closed.
    pub fn notify<P: Serialize>(&self, method: &str, params: &P) {
        let msg = serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params});
        let _ = self.out.send(msg.to_string());
    }
}

/// Creates the outgoing queue of a served stream: the [`Notifier`] for the application and the
/// receiving end that [`serve`] drains.
pub fn outgoing() -> (Notifier, mpsc::UnboundedReceiver<String>) {
    let (out, rx) = mpsc::unbounded_channel();
    (Notifier { out }, rx)
}

/// Serves `module` on a stream until the reader closes: each line is one request, handled
/// concurrently; responses and notifications are written one per line. When the input closes,
/// `on_eof` runs (e.g. to cancel long calls); `serve` returns once every pending response has
/// been written. Lines longer than `max_line` end the stream.
pub async fn serve<Ctx, R, W>(
    module: RpcModule<Ctx>,
    reader: R,
    max_line: usize,
    mut writer: W,
    notifier: Notifier,
    mut outgoing: mpsc::UnboundedReceiver<String>,
    on_eof: impl FnOnce() + Send + 'static,
) -> Result<(), FramingError>
where
    Ctx: Send + Sync + 'static,
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let module = std::sync::Arc::new(module);
    let out = notifier.out.clone();
    drop(notifier);
    let reading = tokio::spawn(async move {
        let mut lines = line_reader(reader, max_line);
        let mut pending = tokio::task::JoinSet::new();
        while let Some(line) = lines.next().await {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            // Finished handlers are collected as we go, so a long session stays small.
            while pending.try_join_next().is_some() {}
            let module = module.clone();
            let out = out.clone();
            pending.spawn(async move {
                let reply = match module.raw_json_request(&line, 1).await {
                    Ok((response, _)) => response.get().to_string(),
                    Err(err) => parse_error_reply(&err),
                };
                let _ = out.send(reply);
            });
        }
        on_eof();
        while pending.join_next().await.is_some() {}
        Ok::<(), FramingError>(())
    });
    while let Some(line) = outgoing.recv().await {
        write_line(&mut writer, &line).await?;
    }
    reading
        .await
        .map_err(|e| FramingError::Io(std::io::Error::other(e)))?
}

/// Reads request params given either as a one-element array or as the object itself.
pub fn parse_params<T: serde::de::DeserializeOwned>(
    params: &jsonrpsee::types::Params<'_>,
) -> Result<T, jsonrpsee::types::ErrorObjectOwned> {
    if params
        .as_str()
        .is_some_and(|s| s.trim_start().starts_with('['))
    {
        params.one()
    } else {
        params.parse()
    }
}

fn parse_error_reply(err: &serde_json::Error) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": -32700, "message": format!("parse error: {err}")}
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonrpsee::core::client::{ClientT, Subscription, SubscriptionClientT};
    use jsonrpsee::rpc_params;

    #[tokio::test]
    async fn client_and_server_talk_over_a_pipe_with_notifications() {
        let (client_io, server_io) = tokio::io::duplex(1 << 16);
        let (server_read, server_write) = tokio::io::split(server_io);
        let (notifier, outgoing) = outgoing();
        let mut module = RpcModule::new(notifier.clone());
        module
            .register_method("double", |params, notifier, _| {
                let n: u64 = params.one()?;
                notifier.notify("seen", &n);
                Ok::<u64, jsonrpsee::types::ErrorObjectOwned>(n * 2)
            })
            .unwrap();
        let server = tokio::spawn(serve(
            module,
            server_read,
            MAX_REQUEST_BYTES,
            server_write,
            notifier,
            outgoing,
            || {},
        ));

        let (client_read, client_write) = tokio::io::split(client_io);
        let client = client(client_read, client_write, MAX_REPLY_BYTES);
        let mut seen: Subscription<u64> = client.subscribe_to_method("seen").await.unwrap();
        let doubled: u64 = client.request("double", rpc_params![21u64]).await.unwrap();
        assert_eq!(doubled, 42);
        assert_eq!(seen.next().await.unwrap().unwrap(), 21);
        drop(client);
        drop(seen);
        server.await.unwrap().unwrap();
    }
}
