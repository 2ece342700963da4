//! Sending one mail: the port the SMTP adapter (`crate::mail`) implements.

use async_trait::async_trait;

use super::lifecycle::OutboxMail;

/// What became of one send attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Worth trying again later (connection trouble, a 4xx answer).
    Retry(String),
    /// Never worth trying again (bad recipient, permanent rejection).
    Failed(String),
}

#[async_trait]
pub trait MailSender: Send + Sync {
    async fn deliver(&self, mail: &OutboxMail) -> Delivery;
}
