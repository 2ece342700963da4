-- One proven delegate per account, named by the owner's latest proof (a signed /request or
-- an enrollment the owner signed); proofs once seen are kept so a superseded one never
-- proves again, and a nonce-less signature of the owner's takes effect once.
ALTER TABLE accounts ADD COLUMN delegate TEXT, ADD COLUMN delegate_proof BYTEA;

CREATE TABLE spent_proofs (
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    proof       BYTEA NOT NULL,
    PRIMARY KEY (account_id, proof)
);

-- Carry the delegates proven before this migration over: the delegate of the most recently
-- stored enrollment the owner signed, else a delegate proven by a signed registration. They
-- rest on no recorded proof, so the owner's next proof replaces them.
UPDATE accounts a SET delegate = p.proves_delegate
FROM (SELECT DISTINCT ON (account_id) account_id, proves_delegate FROM pairs
      WHERE proves_delegate IS NOT NULL ORDER BY account_id, updated_at DESC) p
WHERE p.account_id = a.id;
UPDATE accounts a SET delegate = d.delegate
FROM (SELECT account_id, max(delegate) AS delegate FROM delegates WHERE proven GROUP BY account_id) d
WHERE d.account_id = a.id AND a.delegate IS NULL;
