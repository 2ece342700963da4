//! Mailer behaviour against a real SMTP conversation on 127.0.0.1.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use causeway::mail::{MailError, Mailer};
use common::smtp::TestSmtp;

const FROM: &str = "Causeway <noreply@example.org>";
const TIMEOUT: Duration = Duration::from_secs(5);
const WAIT: Duration = Duration::from_secs(5);
const PASSWORD: &str = "hunter2-Zq9";

fn plain_mailer(port: u16) -> Mailer {
    Mailer::new(&format!("smtp://127.0.0.1:{port}"), FROM, TIMEOUT).expect("valid mailer config")
}

/// A port on which nothing listens, so connecting is refused.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn assert_no_password(text: &str) {
    assert!(!text.contains(PASSWORD), "password leaked: {text}");
    assert!(!text.contains("hunter2"), "password leaked: {text}");
}

#[tokio::test]
async fn ascii_mail_arrives_with_envelope_subject_and_body() {
    let server = TestSmtp::start();
    let mailer = plain_mailer(server.port);
    // The leading dot checks that dot-stuffing survives the round trip.
    let body = "Hello,\n.hidden line\nBye";

    mailer
        .send("alice@example.com", "Your bucket", body)
        .await
        .expect("send succeeds");

    let got = server.wait_for(1, WAIT);
    assert_eq!(got.len(), 1);
    let mail = &got[0];
    assert_eq!(mail.from, "noreply@example.org");
    assert_eq!(mail.to, vec!["alice@example.com".to_owned()]);
    assert_eq!(mail.header("Subject").as_deref(), Some("Your bucket"));
    assert_eq!(mail.header("To").as_deref(), Some("alice@example.com"));
    let from_header = mail.header("From").unwrap_or_default();
    assert!(from_header.contains("Causeway"), "{from_header}");
    assert!(
        from_header.contains("<noreply@example.org>"),
        "{from_header}"
    );
    let content_type = mail.header("Content-Type").unwrap_or_default();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let message_id = mail.header("Message-ID").unwrap_or_default();
    assert!(
        message_id.starts_with('<') && message_id.contains('@'),
        "{message_id}"
    );
    assert!(mail.header("Date").is_some(), "{}", mail.data);
    assert_eq!(
        mail.decoded_body().trim_end(),
        "Hello,\r\n.hidden line\r\nBye"
    );
}

#[tokio::test]
async fn non_ascii_body_arrives_as_utf8_text() {
    let server = TestSmtp::start();
    let mailer = plain_mailer(server.port);

    mailer
        .send("bob@example.com", "Expiry", "Bucket 7 expired — 3 keys")
        .await
        .expect("send succeeds");

    let got = server.wait_for(1, WAIT);
    assert_eq!(got.len(), 1);
    let content_type = got[0].header("Content-Type").unwrap_or_default();
    assert!(
        content_type.to_ascii_lowercase().contains("charset=utf-8"),
        "{content_type}"
    );
    assert_eq!(
        got[0].decoded_body().trim_end(),
        "Bucket 7 expired — 3 keys"
    );
}

#[tokio::test]
async fn clones_send_independently_over_fresh_connections() {
    let server = TestSmtp::start();
    let mailer = plain_mailer(server.port);
    let clone = mailer.clone();

    mailer
        .send("a@example.com", "one", "1")
        .await
        .expect("first");
    clone
        .send("b@example.com", "two", "2")
        .await
        .expect("second");

    let got = server.wait_for(2, WAIT);
    let recipients: Vec<_> = got.iter().map(|m| m.to.clone()).collect();
    assert_eq!(
        recipients,
        vec![
            vec!["a@example.com".to_owned()],
            vec!["b@example.com".to_owned()]
        ]
    );
}

#[tokio::test]
async fn line_breaks_in_subject_cannot_inject_headers() {
    let server = TestSmtp::start();
    let mailer = plain_mailer(server.port);

    mailer
        .send("alice@example.com", "Hi\r\nBcc: evil@example.net", "body")
        .await
        .expect("send succeeds");

    let got = server.wait_for(1, WAIT);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, vec!["alice@example.com".to_owned()]);
    assert_eq!(got[0].header("Bcc"), None, "{}", got[0].data);
}

#[tokio::test]
async fn invalid_recipient_is_permanent_and_never_connects() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let mailer = plain_mailer(port);

    for to in [
        "not an address",
        "",
        "alice@example.com\r\nRCPT TO:<evil@example.net>",
    ] {
        let err = mailer.send(to, "s", "b").await.expect_err(to);
        assert!(matches!(err, MailError::BadRecipient(_)), "{to:?}: {err:?}");
        assert!(err.is_permanent());
    }
    assert!(
        listener.accept().is_err(),
        "mailer connected for a bad recipient"
    );
}

#[tokio::test]
async fn permanent_smtp_rejection_is_rejected_and_permanent() {
    let server = TestSmtp::start_rejecting(550);
    let mailer = plain_mailer(server.port);

    let err = mailer
        .send("gone@example.com", "s", "b")
        .await
        .expect_err("550 must fail");

    assert!(matches!(err, MailError::Rejected(_)), "{err:?}");
    assert!(err.is_permanent());
    assert!(err.to_string().contains("550"), "{err}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn temporary_smtp_rejection_is_transient() {
    let server = TestSmtp::start_rejecting(451);
    let mailer = plain_mailer(server.port);

    let err = mailer
        .send("busy@example.com", "s", "b")
        .await
        .expect_err("451 must fail");

    assert!(matches!(err, MailError::Transient(_)), "{err:?}");
    assert!(!err.is_permanent());
    assert!(err.to_string().contains("451"), "{err}");
}

#[tokio::test]
async fn nothing_listening_is_transient() {
    let mailer = plain_mailer(closed_port());

    let err = mailer
        .send("alice@example.com", "s", "b")
        .await
        .expect_err("refused");

    assert!(matches!(err, MailError::Transient(_)), "{err:?}");
    assert!(!err.is_permanent());
}

#[tokio::test]
async fn server_that_never_greets_times_out_as_transient() {
    // Accepted by the kernel backlog, never answered.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        FROM,
        Duration::from_millis(300),
    )
    .expect("config");

    let started = Instant::now();
    let err = mailer
        .send("alice@example.com", "s", "b")
        .await
        .expect_err("must time out");

    assert!(matches!(err, MailError::Transient(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "took too long");
    drop(listener);
}

#[tokio::test]
async fn required_starttls_never_falls_back_to_plaintext() {
    // The test server does not offer STARTTLS.
    let server = TestSmtp::start();
    let url = format!(
        "smtp://user:{PASSWORD}@127.0.0.1:{}?tls=starttls",
        server.port
    );
    let mailer = Mailer::new(&url, FROM, TIMEOUT).expect("config");

    let err = mailer
        .send("alice@example.com", "s", "secret body")
        .await
        .expect_err("no STARTTLS offered");

    assert!(matches!(err, MailError::Transient(_)), "{err:?}");
    assert_no_password(&err.to_string());
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn password_never_appears_in_errors_or_debug_output() {
    let port = closed_port();

    let mailer = Mailer::new(
        &format!("smtps://mailuser:{PASSWORD}@127.0.0.1:{port}"),
        FROM,
        TIMEOUT,
    )
    .expect("config");
    assert_no_password(&format!("{mailer:?}"));
    let err = mailer
        .send("alice@example.com", "s", "b")
        .await
        .expect_err("refused");
    assert!(matches!(err, MailError::Transient(_)), "{err:?}");
    let text = err.to_string();
    assert_no_password(&text);
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");

    for url in [
        format!("smtp://mailuser:{PASSWORD}@127.0.0.1:{port}"),
        format!("smtp://mailuser:{PASSWORD}@127.0.0.1:{port}?tls=opportunistic"),
        format!("smtps://mailuser:{PASSWORD}@127.0.0.1:{port}?tls=starttls"),
        format!("http://mailuser:{PASSWORD}@127.0.0.1:{port}"),
        format!("smtps://mailuser:{PASSWORD}@127.0.0.1:notaport"),
        format!("smtps://mailuser:{PASSWORD}/x@127.0.0.1:{port}"),
        format!("mailuser:{PASSWORD}@127.0.0.1"),
    ] {
        let err = Mailer::new(&url, FROM, TIMEOUT).expect_err(&url);
        assert!(matches!(err, MailError::BadConfig(_)), "{err:?}");
        assert_no_password(&err.to_string());
        assert_no_password(&format!("{err:?}"));
    }
}

#[test]
fn invalid_sender_or_zero_timeout_is_bad_config() {
    for (from, timeout) in [
        ("not a mailbox", TIMEOUT),
        ("", TIMEOUT),
        (FROM, Duration::ZERO),
    ] {
        let err = Mailer::new("smtp://127.0.0.1:25", from, timeout).expect_err(from);
        assert!(matches!(err, MailError::BadConfig(_)), "{err:?}");
        assert!(err.is_permanent());
    }
}

#[test]
fn bare_sender_address_and_all_url_forms_are_accepted() {
    for url in [
        "smtp://127.0.0.1:2525",
        "smtp://relay.internal",
        "smtp://user:pass@mail.example.org:587?tls=starttls",
        "smtp://user:p%40ss@mail.example.org:587?tls=required",
        "smtps://user:pass@mail.example.org:465",
        "smtps://mail.example.org",
    ] {
        let result = Mailer::new(url, "noreply@example.org", TIMEOUT);
        assert!(result.is_ok(), "{url}: {result:?}");
    }
}
