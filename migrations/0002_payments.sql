-- Money: balances in integer satoshis, an append-only ledger, deposit addresses, bucket prices.

ALTER TABLE accounts
    ADD COLUMN balance_sats BIGINT NOT NULL DEFAULT 0
        CONSTRAINT balance_never_negative CHECK (balance_sats >= 0),
    ADD COLUMN deposit_address TEXT UNIQUE;

ALTER TABLE buckets ADD COLUMN price_sats BIGINT NOT NULL DEFAULT 0 CHECK (price_sats >= 0);
CREATE INDEX buckets_pending ON buckets (account_id, id) WHERE status = 'pending';

-- Every balance change is one row, written in the same transaction as its effect.
CREATE TABLE ledger (
    id             BIGSERIAL PRIMARY KEY,
    account_id     BIGINT NOT NULL REFERENCES accounts(id),
    delta_sats     BIGINT NOT NULL CHECK (delta_sats <> 0),
    balance_after  BIGINT NOT NULL CHECK (balance_after >= 0),
    kind           TEXT NOT NULL CHECK (kind IN ('deposit', 'purchase', 'credit', 'debit')),
    bucket_id      BIGINT REFERENCES buckets(id),
    memo           TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_by_account ON ledger (account_id, id);

CREATE FUNCTION ledger_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
