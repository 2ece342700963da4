//! Outbound email over SMTP (plain relay, STARTTLS or implicit TLS) with retry-aware errors.

use std::fmt;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::service::ports::{Delivery, MailSender, OutboxMail};

/// Why a mail could not be configured or sent.
///
/// The split matters to callers that queue mail: only [`MailError::Transient`]
/// is worth retrying, see [`MailError::is_permanent`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The SMTP URL, sender address or timeout is unusable.
    #[error("bad mail configuration: {0}")]
    BadConfig(String),
    /// The recipient is not a valid email address; nothing was sent.
    #[error("bad recipient address: {0}")]
    BadRecipient(String),
    /// The server answered with a permanent (5xx) SMTP error.
    #[error("mail rejected: {0}")]
    Rejected(String),
    /// Connection failure, timeout or temporary (4xx) SMTP error.
    #[error("temporary mail failure: {0}")]
    Transient(String),
}

impl MailError {
    /// True when retrying the same mail cannot succeed without someone changing
    /// the input or the configuration.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, MailError::Transient(_))
    }
}

/// Sends plain-text mail through one SMTP server. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
    /// The URL without credentials, safe to put into errors and logs.
    server: String,
}

// Hand-written so a `#[derive(Debug)]` on a struct holding a Mailer can never
// print transport internals (credentials) into logs.
impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Mailer {
    /// Builds a mailer; no connection is made until [`Mailer::send`].
    ///
    /// `smtp_url` is one of
    /// - `smtp://host:port` — no TLS, for local relays and tests,
    /// - `smtp://user:pass@host:port?tls=starttls` — STARTTLS required
    ///   (`tls=required` is accepted as a synonym),
    /// - `smtps://user:pass@host:port` — implicit TLS.
    ///
    /// User and password must be percent-encoded if they contain URL
    /// delimiters. `from` is `"Name <addr>"` or a bare address. `timeout`
    /// bounds a whole send, connection included.
    pub fn new(smtp_url: &str, from: &str, timeout: Duration) -> Result<Mailer, MailError> {
        let server = redact_url(smtp_url);
        let lettre_url = normalize_url(smtp_url, &server)?;
        if timeout.is_zero() {
            return Err(MailError::BadConfig(
                "mail timeout must be greater than zero".into(),
            ));
        }
        let from: Mailbox = from.parse().map_err(|e| {
            MailError::BadConfig(format!("invalid sender address {}: {e}", quote(from)))
        })?;
        // lettre's errors here come from URL parsing and never echo the URL,
        // but `server` is what we show anyway so the password cannot leak.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url)
            .map_err(|e| MailError::BadConfig(format!("invalid smtp url {server}: {e}")))?
            .timeout(Some(timeout))
            .build();
        Ok(Mailer {
            transport,
            from,
            timeout,
            server,
        })
    }

    /// Sends one plain-text UTF-8 message to `to`.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| MailError::BadRecipient(format!("{}: {e}", quote(to))))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            // Mail without a Message-ID is scored as spam by big providers.
            .message_id(None)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| MailError::BadConfig(format!("cannot build message: {e}")))?;

        // lettre only bounds the TCP connect with its timeout; a server that
        // accepts and then stalls would hang the send forever without this.
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(Ok(_response)) => Ok(()),
            Ok(Err(e)) => Err(self.classify(&e)),
            Err(_elapsed) => Err(MailError::Transient(format!(
                "sending via {} timed out after {:?}",
                self.server, self.timeout
            ))),
        }
    }

    fn classify(&self, e: &SmtpError) -> MailError {
        let text = format!("sending via {} failed: {e}", self.server);
        if e.is_permanent() {
            MailError::Rejected(text)
        } else {
            // 4xx answers, network and TLS failures, unparsable replies: all
            // may clear up later, and dropping a mail is worse than retrying.
            MailError::Transient(text)
        }
    }
}

/// Maps our URL dialect onto lettre's and refuses combinations that would
/// leak credentials. `shown` is the redacted URL used in error texts.
fn normalize_url(url: &str, shown: &str) -> Result<String, MailError> {
    let bad = |why: &str| MailError::BadConfig(format!("invalid smtp url {shown}: {why}"));
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("expected smtp:// or smtps://"))?;
    let scheme = scheme.to_ascii_lowercase();
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let authority_end = before_query.find('/').unwrap_or(before_query.len());
    let has_credentials = before_query
        .get(..authority_end)
        .is_some_and(|a| a.contains('@'));

    let mut tls: Option<&str> = None;
    let mut other_params: Vec<&str> = Vec::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("tls", value)) => tls = Some(value),
            _ => other_params.push(pair),
        }
    }

    let lettre_tls = match (scheme.as_str(), tls) {
        ("smtp", None) if has_credentials => {
            return Err(bad(
                "credentials on plain smtp:// would travel unencrypted; \
                 add ?tls=starttls or use smtps://",
            ))
        }
        ("smtp", None) => None,
        ("smtp", Some("starttls" | "required")) => Some("required"),
        ("smtp", Some(_)) => return Err(bad("tls must be starttls")),
        ("smtps", None) => None,
        ("smtps", Some(_)) => return Err(bad("smtps:// takes no tls parameter")),
        _ => return Err(bad("expected smtp:// or smtps://")),
    };

    let mut params = other_params;
    let tls_param;
    if let Some(mode) = lettre_tls {
        tls_param = format!("tls={mode}");
        params.push(&tls_param);
    }
    let mut out = format!("{scheme}://{before_query}");
    if !params.is_empty() {
        out.push('?');
        out.push_str(&params.join("&"));
    }
    Ok(out)
}

/// Drops everything up to the last `@`, so credentials never reach error
/// texts or logs, even when an unescaped `/`, `?` or `@` inside the password
/// would make a real URL parser misplace the userinfo boundary.
fn redact_url(url: &str) -> String {
    let Some(at) = url.rfind('@') else {
        return url.to_owned();
    };
    let after = url.get(at + 1..).unwrap_or("");
    // Only a known scheme is kept: whatever stands before "://" could be a
    // mistyped secret.
    let scheme = url
        .split_once("://")
        .map(|(s, _)| s)
        .filter(|s| s.eq_ignore_ascii_case("smtp") || s.eq_ignore_ascii_case("smtps"));
    match scheme {
        Some(s) => format!("{s}://{after}"),
        None => after.to_owned(),
    }
}

/// Debug-quotes user input for error texts, escaping control characters
/// (no log injection) and capping the length.
fn quote(input: &str) -> String {
    const MAX_CHARS: usize = 200;
    if input.chars().count() <= MAX_CHARS {
        format!("{input:?}")
    } else {
        let head: String = input.chars().take(MAX_CHARS).collect();
        format!("{head:?}…")
    }
}

/// The outbox's sender: a permanent refusal ends the mail, anything else is retried.
#[async_trait::async_trait]
impl MailSender for Mailer {
    async fn deliver(&self, mail: &OutboxMail) -> Delivery {
        match self.send(&mail.recipient, &mail.subject, &mail.body).await {
            Ok(()) => Delivery::Sent,
            Err(err) if err.is_permanent() => Delivery::Failed(err.to_string()),
            Err(err) => Delivery::Retry(err.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_removes_userinfo_even_with_unescaped_delimiters() {
        for url in [
            "smtps://user:s3cret@mail.example.org:465",
            "smtp://user:s3cret@mail.example.org:587?tls=starttls",
            "smtps://user:s3/cr?et@mail.example.org",
            "smtps://user:s3@cret@mail.example.org",
            "user:s3cret@mail.example.org",
            "s3cret://x@mail.example.org",
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains("s3"), "{url} -> {shown}");
            assert!(shown.contains("mail.example.org"), "{url} -> {shown}");
        }
    }

    #[test]
    fn starttls_is_mapped_to_lettres_required_mode() {
        let url = "smtp://u:p@h:587?tls=starttls";
        assert_eq!(
            normalize_url(url, "x").as_deref(),
            Ok("smtp://u:p@h:587?tls=required")
        );
    }

    #[test]
    fn plain_smtp_with_credentials_is_refused() {
        let err = normalize_url("smtp://u:p@h:25", "x");
        assert!(matches!(err, Err(MailError::BadConfig(_))));
    }

    #[test]
    fn long_input_is_capped_in_error_text() {
        let quoted = quote(&"é".repeat(10_000));
        assert!(quoted.chars().count() < 300);
    }
}
