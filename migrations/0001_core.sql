-- Accounts, delegates, buckets and pairs: the core of the storage service.

CREATE TABLE accounts (
    id          BIGSERIAL PRIMARY KEY,
    address     TEXT NOT NULL UNIQUE,
    contact     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Delegates named by /request: claimed ones are recorded but never authorize a write.
CREATE TABLE delegates (
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    delegate    TEXT NOT NULL,
    proven      BOOLEAN NOT NULL,
    PRIMARY KEY (account_id, delegate)
);

CREATE TABLE buckets (
    id              BIGSERIAL PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts(id),
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('active', 'pending', 'expired')),
    free            BOOLEAN NOT NULL,
    bytes_total     BIGINT NOT NULL CHECK (bytes_total >= 0),
    -- The database itself refuses an over-filled bucket, whatever the code does.
    bytes_used      BIGINT NOT NULL DEFAULT 0 CHECK (bytes_used >= 0 AND bytes_used <= bytes_total),
    transfer_total  BIGINT NOT NULL CHECK (transfer_total >= 0),
    transfer_used   BIGINT NOT NULL DEFAULT 0 CHECK (transfer_used >= 0)
);
CREATE INDEX buckets_by_account ON buckets (account_id, id);

CREATE TABLE pairs (
    key              TEXT PRIMARY KEY,
    account_id       BIGINT NOT NULL REFERENCES accounts(id),
    bucket_id        BIGINT NOT NULL REFERENCES buckets(id),
    -- BYTEA, not TEXT: values may hold NUL, which TEXT cannot.
    value            BYTEA NOT NULL,
    size             BIGINT NOT NULL CHECK (size > 0),
    etag             TEXT NOT NULL,
    testnet          BOOLEAN NOT NULL DEFAULT false,
    proves_delegate  TEXT,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX pairs_by_bucket ON pairs (bucket_id);
CREATE INDEX pairs_enrollment_proofs ON pairs (account_id, proves_delegate)
    WHERE proves_delegate IS NOT NULL;
