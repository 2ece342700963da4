//! Examples of the `/query` and `/bitcoin` answers for the OpenAPI document: shortened
//! documents, so the document stays small.

use poem_openapi::types::Example;

use super::*;

const ENROLLMENT_EXAMPLE: &str = "-----BEGIN BITCOIN SIGNED MESSAGE-----\nRein User \
    Enrollment\nUser: Teodora Vasquez\nSecure Identity Number: \
    Tf3zYNJMdHThFvSLXqjuSzKsowkYpnaWmuz\nWilling to mediate: True\n...";
const JOB_EXAMPLE: &str = "-----BEGIN BITCOIN SIGNED MESSAGE-----\nRein Job\nJob name: \
    Illustrated field guide to coastal lichens\nJob ID: m5o3ot0qqisav5x5y7lf\n...";
const BID_EXAMPLE: &str = "-----BEGIN BITCOIN SIGNED MESSAGE-----\nRein Bid\nJob name: \
    Illustrated field guide to coastal lichens\nWorker: Priya Raman\n...";
const DELIVERY_EXAMPLE: &str = "-----BEGIN BITCOIN SIGNED MESSAGE-----\nRein Delivery\nJob ID: \
    m5o3ot0qqisav5x5y7lf\nWorker public key: \
    029329bbec4671c766a4a40cc6a424b171aaa0e1d5b670592e53119b0763d4fde5\n...";
const RATING_EXAMPLE: &str = "-----BEGIN BITCOIN SIGNED MESSAGE-----\nRein Rating\nRating: 5\n\
    User msin: TfEGPtQ9EGMMUCX44D7t4rdrCcYykdh47th\n...";

impl Example for BlockReply {
    fn example() -> BlockReply {
        BlockReply {
            hash: "0000000000000000000c51382fd1ca28d79d61786d4860ac813115d63c2ea978".into(),
            height: 925_000,
            time: 1_764_061_207,
        }
    }
}

impl Example for MessageReply {
    fn example() -> MessageReply {
        MessageReply::account_required()
    }
}

impl Example for SentReply {
    fn example() -> SentReply {
        SentReply {
            txid: "7868a1bd6cb60d03c8c62c143f95b70f11f9702ed4ba164604088cd373ff9a47".into(),
        }
    }
}

fn example_block() -> Option<BlockReply> {
    Some(BlockReply::example())
}

/// An example answer of one kind: its items and the usual block.
macro_rules! kind_example {
    ($name:ident, $field:ident, $items:expr) => {
        impl Example for $name {
            fn example() -> $name {
                $name {
                    result: success(),
                    $field: $items,
                    block_info: example_block(),
                }
            }
        }
    };
}

kind_example!(MediatorsReply, mediators, vec![ENROLLMENT_EXAMPLE.into()]);
kind_example!(JobsReply, jobs, vec![JOB_EXAMPLE.into()]);
kind_example!(BidsReply, bids, vec![BID_EXAMPLE.into()]);
kind_example!(DeliveriesReply, deliveries, vec![DELIVERY_EXAMPLE.into()]);
kind_example!(InProcessReply, in_process, vec![DELIVERY_EXAMPLE.into()]);
kind_example!(ReviewReply, review, vec![JOB_EXAMPLE.into()]);
kind_example!(
    ByJobIdReply,
    by_job_id,
    vec![JOB_EXAMPLE.into(), DELIVERY_EXAMPLE.into()]
);
kind_example!(DisputeReply, dispute, vec![DELIVERY_EXAMPLE.into()]);
kind_example!(
    UserRatingsReply,
    get_user_ratings,
    vec![PairReply {
        key: "rating-m5o3ot0qqisav5x5y7lf".into(),
        value: RATING_EXAMPLE.into(),
    }]
);
kind_example!(
    UserNameReply,
    get_user_name,
    vec![PairReply {
        key: "enrollment".into(),
        value: ENROLLMENT_EXAMPLE.into(),
    }]
);
kind_example!(UserReply, get_user, vec![ENROLLMENT_EXAMPLE.into()]);

impl Example for UserRatingsErrorReply {
    fn example() -> UserRatingsErrorReply {
        UserRatingsErrorReply {
            result: success(),
            get_user_ratings: vec!["error".into()],
            block_info: None,
        }
    }
}
