-- A mail is claimed with a lease instead of a row lock held across the SMTP conversation:
-- the sender commits the claim, talks to the server with no transaction open, then records
-- the outcome. A replica that dies mid-send leaves a lease that simply runs out.
ALTER TABLE outbox ADD COLUMN lease_until TIMESTAMPTZ;
