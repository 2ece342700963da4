//! Rows read back as domain values: the bucket and account columns, in one order.

use tokio_postgres::Row;

use crate::domain::{Account, Bucket, BucketStatus};
use crate::service::ports::StoreError;

pub(super) const BUCKET_COLUMNS: &str = "id, account_id, created_at, expires_at, status, free, \
     bytes_total, bytes_used, transfer_total, transfer_used, price_sats";

/// The bucket whose `BUCKET_COLUMNS` start at column `offset`.
pub(super) fn bucket_from_row(row: &Row, offset: usize) -> Result<Bucket, StoreError> {
    let status: String = row.get(offset + 4);
    Ok(Bucket {
        id: row.get(offset),
        account_id: row.get(offset + 1),
        created: row.get(offset + 2),
        expires: row.get(offset + 3),
        status: BucketStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("unknown bucket status {status:?}")))?,
        free: row.get(offset + 5),
        bytes_total: row.get(offset + 6),
        bytes_used: row.get(offset + 7),
        transfer_total: row.get(offset + 8),
        transfer_used: row.get(offset + 9),
        price_sats: row.get(offset + 10),
    })
}

pub(super) fn account_from_row(row: &Row) -> Account {
    Account {
        id: row.get(0),
        address: row.get(1),
        contact: row.get(2),
    }
}
