-- The bucket lifecycle: expiry, purge after retention, the mail outbox, deposit crediting.

-- Retention counts from when the expiry job actually expired the bucket (and queued its
-- notice), not from the term's end: a job that was down for a while never purges unwarned.
ALTER TABLE buckets ADD COLUMN expired_at TIMESTAMPTZ, ADD COLUMN purged_at TIMESTAMPTZ;
CREATE INDEX buckets_due ON buckets (expires_at) WHERE status = 'active';
CREATE INDEX buckets_expired ON buckets (expired_at) WHERE status = 'expired' AND purged_at IS NULL;

-- Total the node has reported received at the account's deposit address; each increase is
-- credited once, whichever replica sees it first.
ALTER TABLE accounts ADD COLUMN deposits_seen_sats BIGINT NOT NULL DEFAULT 0
    CHECK (deposits_seen_sats >= 0);

-- Mail written in the same transaction as the event it reports; a sender drains it.
CREATE TABLE outbox (
    id               BIGSERIAL PRIMARY KEY,
    kind             TEXT NOT NULL,
    bucket_id        BIGINT REFERENCES buckets(id),
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ,
    failed_at        TIMESTAMPTZ,
    last_error       TEXT,
    -- One notice per bucket and event, however often the job runs.
    UNIQUE (kind, bucket_id)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
