-- Rein documents parsed at put time, so /query matches parsed fields through indexes and
-- never scans stored values.

-- In public, not the deployment's schema: an extension exists once per database.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE SEQUENCE pairs_doc_seq;
ALTER TABLE pairs
    -- Order of first storage: /query answers oldest first.
    ADD COLUMN doc_seq BIGINT NOT NULL DEFAULT nextval('pairs_doc_seq'),
    ADD COLUMN doc_title TEXT,
    -- "Name: value" fields, first occurrence of each name.
    ADD COLUMN doc_fields JSONB,
    ADD COLUMN doc_signer TEXT,
    -- The armored signature verifies for the address in the armor.
    ADD COLUMN doc_valid BOOLEAN NOT NULL DEFAULT false,
    -- Lower-cased User and Contact of enrollments, for get_user's "contains".
    ADD COLUMN doc_user TEXT,
    ADD COLUMN doc_contact TEXT;
ALTER SEQUENCE pairs_doc_seq OWNED BY pairs.doc_seq;

CREATE INDEX docs_by_title ON pairs (doc_title, testnet, doc_seq) WHERE doc_valid;
CREATE INDEX docs_by_field ON pairs USING GIN (doc_fields jsonb_path_ops) WHERE doc_valid;
CREATE INDEX docs_mediators ON pairs (testnet, doc_seq)
    WHERE doc_valid AND doc_title = 'Rein User Enrollment'
      AND doc_fields ->> 'Willing to mediate' = 'True';
CREATE INDEX docs_user ON pairs USING GIN (doc_user public.gin_trgm_ops) WHERE doc_valid;
CREATE INDEX docs_contact ON pairs USING GIN (doc_contact public.gin_trgm_ops) WHERE doc_valid;
