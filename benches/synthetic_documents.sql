-- Synthetic Rein documents for query plans and the scale benchmark: every title, fields
-- with realistic spreads, 10% testnet, 1% with a forged signature. $1 = first number,
-- $2 = last number; keys are 'k<number>', all in the first bucket's account.
INSERT INTO pairs (key, account_id, bucket_id, value, size, etag, testnet, doc_title,
                   doc_fields, doc_signer, doc_valid, doc_user, doc_contact)
SELECT 'k' || g, b.account_id, b.id, convert_to('value ' || g, 'UTF8'), 10, 'e', g % 10 = 0,
       t.title,
       jsonb_build_object('Job ID', 'job' || (g / 3), 'Worker public key', 'w' || (g % 5000),
         'Mediator public key', 'm' || (g % 3000), 'Job creator public key', 'c' || (g % 4000),
         'User msin', 'u' || (g % 7000), 'Rater msin', 'r' || (g % 7000),
         'Secure Identity Number', 's' || g, 'Master signing address', 'a' || g,
         'Delegate signing address', 'd' || g,
         'Willing to mediate', CASE WHEN g % 50 = 0 THEN 'True' ELSE 'False' END),
       'signer', g % 97 <> 0,
       CASE WHEN t.title = 'Rein User Enrollment' THEN 'user name ' || g END,
       CASE WHEN t.title = 'Rein User Enrollment' THEN 'c' || g || '@example.org' END
FROM generate_series($1::BIGINT, $2::BIGINT) AS g
CROSS JOIN LATERAL (SELECT (ARRAY['Rein Job', 'Rein Bid', 'Rein Delivery', 'Rein Offer',
  'Rein Rating', 'Rein User Enrollment'])[1 + g % 6] AS title) t
CROSS JOIN (SELECT id, account_id FROM buckets ORDER BY id LIMIT 1) b
