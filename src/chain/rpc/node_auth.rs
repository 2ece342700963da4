//! How Causeway proves itself to the node: the credentials, kept out of logs, read per call.

use std::fmt;
use std::path::PathBuf;

use super::answer::RpcError;

/// How Causeway proves itself to the node.
#[derive(Clone, PartialEq, Eq)]
pub enum NodeAuth {
    None,
    UserPassword {
        user: String,
        password: String,
    },
    /// Path to bitcoind's `.cookie` file (`user:password`). It is re-read on every call because
    /// bitcoind writes a fresh cookie each time it restarts.
    Cookie(PathBuf),
}

// Hand-written so credentials never end up in logs through `{:?}`.
impl fmt::Debug for NodeAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeAuth::None => f.write_str("None"),
            NodeAuth::UserPassword { user, .. } => f
                .debug_struct("UserPassword")
                .field("user", user)
                .field("password", &"<redacted>")
                .finish(),
            NodeAuth::Cookie(path) => f.debug_tuple("Cookie").field(path).finish(),
        }
    }
}

impl NodeAuth {
    /// The user and password for HTTP basic auth, if any.
    pub(super) async fn credentials(&self) -> Result<Option<(String, String)>, RpcError> {
        match self {
            NodeAuth::None => Ok(None),
            NodeAuth::UserPassword { user, password } => Ok(Some((user.clone(), password.clone()))),
            NodeAuth::Cookie(path) => {
                // A missing cookie usually means bitcoind is down or restarting; to the caller
                // that is the same as a credential problem: retry later.
                let content = tokio::fs::read_to_string(path)
                    .await
                    .map_err(|_| RpcError::Unauthorized)?;
                let line = content.trim_end_matches(['\r', '\n']);
                let (user, password) = line.split_once(':').ok_or(RpcError::Unauthorized)?;
                Ok(Some((user.to_owned(), password.to_owned())))
            }
        }
    }
}
