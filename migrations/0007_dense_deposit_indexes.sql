-- Dense deposit indexes (API.md v1.1): the BIP-32 child index of an account's deposit
-- address is the number of accounts that asked for one before it, so the operator's wallet,
-- watching a range of indexes, sees every payment. Addresses handed out before used the
-- account id as the index: they keep it (a deposit to one is still credited), and new
-- indexes continue after the highest of them.
ALTER TABLE accounts ADD COLUMN deposit_index INTEGER UNIQUE CHECK (deposit_index >= 0);
UPDATE accounts SET deposit_index = id WHERE deposit_address IS NOT NULL;

-- One row: the next index to hand out. Taken and stored with the account in one
-- transaction, so an index is never skipped (a sequence would skip on rollback).
CREATE TABLE deposit_indexes (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    next     INTEGER NOT NULL CHECK (next >= 0)
);
INSERT INTO deposit_indexes (next)
    SELECT COALESCE(MAX(deposit_index) + 1, 0) FROM accounts;
