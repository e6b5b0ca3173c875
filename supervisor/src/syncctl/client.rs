//! `syncctl`'s connection to the supervisor's control socket, with errors an admin can act on.

use jsonrpsee::core::client::{ClientT, Error as RpcError};
use jsonrpsee::core::params::ArrayParams;
use protocol::control::{ERR_BAD_NAME, ERR_NO_TASK};
use serde::de::DeserializeOwned;
use std::path::Path;
use tokio::net::UnixStream;

/// A failed command, with the process exit code to use.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// A connected control client.
pub struct Control {
    client: protocol::framing::LineClient,
}

impl Control {
    /// Connects to the socket at `path`.
    pub async fn connect(path: &Path) -> Result<Control, Failure> {
        let stream = UnixStream::connect(path).await.map_err(|e| {
            Failure::new(
                69,
                format!(
                    "cannot reach the imapsync supervisor at {}: {e} (is the imapsync service running?)",
                    path.display()
                ),
            )
        })?;
        let (reader, writer) = stream.into_split();
        Ok(Control {
            client: protocol::framing::client(reader, writer, protocol::framing::MAX_REPLY_BYTES),
        })
    }

    /// Calls `method`; supervisor errors become [`Failure`]s.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: ArrayParams,
    ) -> Result<T, Failure> {
        self.client
            .request(method, params)
            .await
            .map_err(|e| match e {
                RpcError::Call(err) => {
                    let code = match err.code() {
                        ERR_BAD_NAME => 64,
                        ERR_NO_TASK => 66,
                        _ => 1,
                    };
                    Failure::new(code, err.message().to_string())
                }
                other => Failure::new(69, format!("the supervisor went away: {other}")),
            })
    }
}
