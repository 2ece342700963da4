//! The operator's node as the Rein client sees it: block information for job posts, block
//! look-ups and transaction broadcast.

use std::time::Duration;

use super::error::ServiceError;
use super::handle::Service;
use crate::auth::Address;
use crate::chain::rpc::{BitcoinRpc, BlockHeader, RpcError};

/// How far below the tip `block_info` looks, so the block is settled.
const BLOCK_INFO_DEPTH: i64 = 12;
/// How long replicas share one answer for `block_info`.
const BLOCK_INFO_TTL: Duration = Duration::from_secs(30);
const BLOCK_INFO_CACHE_KEY: &str = "block_info";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlockInfo {
    pub hash: String,
    pub height: i64,
    pub time: i64,
}

impl From<BlockHeader> for BlockInfo {
    fn from(header: BlockHeader) -> BlockInfo {
        BlockInfo {
            hash: header.hash,
            height: header.height,
            time: header.time,
        }
    }
}

/// A `/bitcoin` request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BitcoinQuery {
    ByDepth(i64),
    ByHeight(i64),
    ByHash(String),
    SendRawTransaction(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BitcoinOutcome {
    NotEnabled,
    AccountRequired,
    Block(BlockInfo),
    Sent { txid: String },
}

/// The node said no (a 400 with its message), or could not be asked (503).
fn node_error(err: RpcError) -> ServiceError {
    match err {
        RpcError::Node { message, .. } => ServiceError::BadRequest(message),
        other => ServiceError::Unavailable(format!("bitcoind: {other}")),
    }
}

async fn block_at(node: &BitcoinRpc, height: i64) -> Result<BlockInfo, RpcError> {
    let hash = node.block_hash(height).await?;
    Ok(node.block_header(&hash).await?.into())
}

impl Service {
    /// The block 12 below the tip, shared by replicas for a short while; None without a
    /// node or while the node can not answer (queries go on without it).
    pub async fn block_info(&self) -> Option<BlockInfo> {
        let node = self.node.as_ref()?;
        if let Ok(Some(cached)) = self.cache.get(BLOCK_INFO_CACHE_KEY).await {
            if let Ok(info) = serde_json::from_str(&cached) {
                return Some(info);
            }
        }
        let fetched = async {
            let tip = node.block_count().await?;
            block_at(node, (tip - BLOCK_INFO_DEPTH).max(0)).await
        }
        .await;
        match fetched {
            Ok(info) => {
                if let Ok(text) = serde_json::to_string(&info) {
                    let _ = self
                        .cache
                        .set(BLOCK_INFO_CACHE_KEY, &text, BLOCK_INFO_TTL)
                        .await;
                }
                Some(info)
            }
            Err(err) => {
                tracing::warn!(error = %err, "no block information from the node");
                None
            }
        }
    }

    pub async fn bitcoin(
        &self,
        owner: &Address,
        query: BitcoinQuery,
    ) -> Result<BitcoinOutcome, ServiceError> {
        let Some(node) = &self.node else {
            return Ok(BitcoinOutcome::NotEnabled);
        };
        if !self.holds_a_bucket(owner).await? {
            return Ok(BitcoinOutcome::AccountRequired);
        }
        let outcome = match query {
            BitcoinQuery::ByDepth(depth) => {
                let tip = node.block_count().await.map_err(node_error)?;
                BitcoinOutcome::Block(block_at(node, tip - depth).await.map_err(node_error)?)
            }
            BitcoinQuery::ByHeight(height) => {
                BitcoinOutcome::Block(block_at(node, height).await.map_err(node_error)?)
            }
            BitcoinQuery::ByHash(hash) => {
                BitcoinOutcome::Block(node.block_header(&hash).await.map_err(node_error)?.into())
            }
            BitcoinQuery::SendRawTransaction(tx) => BitcoinOutcome::Sent {
                txid: node.send_raw_transaction(&tx).await.map_err(node_error)?,
            },
        };
        Ok(outcome)
    }
}
