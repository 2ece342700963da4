//! The bucket lifecycle's rules: when buckets expire, what the owner is told, mail delivery.

use time::Duration;

use super::{Service, ServiceError};
use crate::store::{DrainReport, ExpiredBucket, ExpiryReport, Mail};
use crate::telemetry::metrics::METRICS;

impl Service {
    /// One expiry pass (None when another replica is running it).
    pub async fn expire_buckets(&self) -> Result<Option<ExpiryReport>, ServiceError> {
        let retention_days = self.config.expired_retention_days;
        let price = self.price_sats();
        let notice = move |bucket: &ExpiredBucket| expiry_notice(bucket, retention_days, price);
        let report = self
            .lifecycle
            .expire(self.clock.now(), Duration::days(retention_days), &notice)
            .await?;
        METRICS
            .job_leader
            .with_label_values(&["expiry"])
            .set(i64::from(report.is_some()));
        if let Some(report) = &report {
            METRICS.buckets_expired.inc_by(report.expired.len() as u64);
            for bucket in &report.expired {
                tracing::info!(
                    bucket = bucket.bucket_id,
                    moved = bucket.moved,
                    stranded = bucket.stranded,
                    "bucket expired"
                );
            }
        }
        Ok(report)
    }

    /// Sends due notices; without an SMTP server they stay queued.
    pub async fn send_mail(&self) -> Result<DrainReport, ServiceError> {
        let Some(mailer) = &self.mailer else {
            return Ok(DrainReport::default());
        };
        let report = self
            .lifecycle
            .drain_outbox(
                self.clock.now(),
                self.config.mail_max_attempts,
                mailer.as_ref(),
            )
            .await?;
        for (outcome, count) in [
            ("sent", report.sent),
            ("retried", report.retried),
            ("failed", report.failed),
        ] {
            METRICS
                .mails
                .with_label_values(&[outcome])
                .inc_by(count.unsigned_abs());
        }
        Ok(report)
    }
}

/// The one mail an owner gets when a bucket expires with pairs that fit nowhere else.
fn expiry_notice(bucket: &ExpiredBucket, retention_days: i64, price_sats: i64) -> Option<Mail> {
    let recipient = bucket.contact.trim();
    // Rein contacts are email addresses; anything else can not be mailed.
    if !recipient.contains('@') {
        return None;
    }
    Some(Mail {
        recipient: recipient.to_owned(),
        subject: format!("Causeway: bucket {} expired", bucket.bucket_id),
        body: format!(
            "Bucket {bucket} of account {account} has expired.\n\n\
             {stranded} key(s) in it could not be moved to another bucket with room. They are \
             kept but not served, and will be deleted after {retention_days} days.\n\n\
             To keep serving them, buy a bucket ({price_sats} satoshis) with /buy; \
             {moved} key(s) were moved to your other buckets.\n",
            bucket = bucket.bucket_id,
            account = bucket.account_address,
            stranded = bucket.stranded,
            moved = bucket.moved,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expired(contact: &str) -> ExpiredBucket {
        ExpiredBucket {
            bucket_id: 7,
            account_address: "1Owner".into(),
            contact: contact.into(),
            moved: 1,
            stranded: 3,
        }
    }

    #[test]
    fn notice_names_the_bucket_and_the_stranded_keys() {
        let mail = expiry_notice(&expired(" me@example.org "), 30, 10_000).unwrap();
        assert_eq!(mail.recipient, "me@example.org");
        assert_eq!(mail.subject, "Causeway: bucket 7 expired");
        assert!(mail.body.contains("Bucket 7"));
        assert!(mail.body.contains("3 key(s)"));
    }

    #[test]
    fn contacts_that_are_not_email_get_no_mail() {
        assert_eq!(expiry_notice(&expired("irc:nick"), 30, 1), None);
    }
}
