//! What a put costs in signature work (issue 12 point 4): one public-key recovery for a
//! plain value, two for an armoured Rein document (its own signature is checked as it is
//! indexed), and a refused stranger's put no more than one. Both backends, one after the
//! other in one test, because the recovery count is the whole process's.

mod common;

use causeway::auth::{key_recoveries, Signer};
use common::{p2pkh, Backend, TestServer};

fn armored(signer: &Signer, body: &str) -> String {
    format!(
        "-----BEGIN BITCOIN SIGNED MESSAGE-----\n{body}\n-----BEGIN SIGNATURE-----\n{}\n{}\n-----END BITCOIN SIGNED MESSAGE-----",
        signer.address,
        signer.sign(body)
    )
}

/// The recoveries `work` made, and its answer's status.
async fn recoveries_of(work: impl std::future::Future<Output = u16>) -> (u64, u16) {
    let before = key_recoveries();
    let status = work.await;
    (key_recoveries() - before, status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_put_costs_one_key_recovery_and_an_armoured_document_two() {
    for backend in [Backend::Memory, Backend::Real] {
        let server = TestServer::start(backend).await;
        let (owner, stranger) = (p2pkh(), p2pkh());
        server.enroll(&owner).await;
        let nonce = server.nonce(&owner).await;

        let plain =
            recoveries_of(async { server.put(&owner, "plain", "a plain value", &nonce).await.0 })
                .await;
        assert_eq!(plain, (1, 201), "{backend:?}: a plain put");

        let job = armored(&owner, "Rein Job\nName: Logo design\nDescription: a logo");
        let document =
            recoveries_of(async { server.put(&owner, "job", &job, &nonce).await.0 }).await;
        assert_eq!(document, (2, 201), "{backend:?}: an armoured document");

        // A stranger signing for the owner costs the one recovery that refuses it.
        let refused = recoveries_of(async {
            server
                .post_form(
                    "/put",
                    &[
                        ("key", "theirs"),
                        ("value", "not yours"),
                        ("address", owner.address.as_str()),
                        ("nonce", nonce.as_str()),
                        (
                            "signature",
                            stranger
                                .sign(&format!("theirsnot yours{}{nonce}", owner.address))
                                .as_str(),
                        ),
                    ],
                )
                .await
                .0
        })
        .await;
        assert_eq!(refused, (1, 401), "{backend:?}: a stranger's put");
    }
}
