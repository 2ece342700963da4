//! Rein documents: parsing ASCII-armoured signed documents and checking their signatures.

// Layout, as the Rein client builds it:
//
//     -----BEGIN BITCOIN SIGNED MESSAGE-----
//     <title line>
//     <Name: value lines>
//     -----BEGIN SIGNATURE-----
//     <signer address>
//     <base64 signature>
//     -----END BITCOIN SIGNED MESSAGE-----
//
// The signed message is the document lines (title and fields) joined with "\n", verbatim.
// A document may embed another armoured document (Rein reviews and audits) whose lines
// starting with '-' are dash-escaped ("- -----BEGIN ...", or Rein's older "- ----BEGIN ...")
// so they cannot be mistaken for the outer armour. The outer signer signed the escaped text
// as it appears (the Rein client verifies without unescaping), so escaped lines stay verbatim
// in the outer document; `embedded_text` unescapes them only to get at the inner document.

use crate::auth::{message_id, verify_signed_message, Address, Net, Signature};

const BEGIN_MESSAGE: &str = "-----BEGIN BITCOIN SIGNED MESSAGE-----";
const BEGIN_SIGNATURE: &str = "-----BEGIN SIGNATURE-----";
const END_MESSAGE: &str = "-----END BITCOIN SIGNED MESSAGE-----";

/// Rein's dash-space escape replaced the first five dashes `-----` with `- ----`; these are
/// the armour lines after removing the leading `- `.
const REIN_ESCAPED_ARMOR: [&str; 3] = [
    "----BEGIN BITCOIN SIGNED MESSAGE-----",
    "----BEGIN SIGNATURE-----",
    "----END BITCOIN SIGNED MESSAGE-----",
];

/// The title of the document that enrolls a user (and names its delegate).
pub const ENROLLMENT_TITLE: &str = "Rein User Enrollment";
/// The enrollment field naming the address that may sign for the user.
pub const DELEGATE_FIELD: &str = "Delegate signing address";

/// A parsed Rein document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReinDocument {
    /// The first document line, e.g. `Rein User Enrollment`.
    pub title: String,
    /// Every later `Name: value` line, in order, split at the first `": "`.
    pub fields: Vec<(String, String)>,
    /// The address line of the armour: canonical when it is a valid address of an accepted
    /// network, otherwise as written. `None` for text without complete armour.
    pub signer: Option<String>,
    /// Whether the armour's signature by `signer` over the document verifies.
    pub signature_valid: bool,
    /// `auth::message_id` of the signer and the signed lines: the same for every encoding
    /// of the document's signature. `None` for text without complete armour.
    pub signed_id: Option<[u8; 32]>,
}

impl ReinDocument {
    /// The value of the first field called `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether this is a user enrollment (the document `get_user` searches).
    pub fn is_enrollment(&self) -> bool {
        self.title == ENROLLMENT_TITLE
    }
}

/// The pieces of complete armour, borrowed from the text.
struct Armor<'a> {
    /// Document lines between the two BEGIN lines.
    body: Vec<&'a str>,
    address: &'a str,
    signature: &'a str,
}

impl Armor<'_> {
    fn message(&self) -> String {
        self.body.join("\n")
    }

    /// Whether the armour's signature verifies for its address. Costs one key recovery.
    fn verifies(&self, accepted: &[Net]) -> bool {
        let Ok(address) = Address::parse(self.address, accepted) else {
            return false;
        };
        let Ok(signature) = Signature::from_base64(self.signature) else {
            return false;
        };
        verify_signed_message(&address, &self.message(), &signature).is_ok()
    }
}

/// Splits on `\n`, dropping one `\r` before it so CRLF text reads like LF text.
fn split_lines(text: &str) -> Vec<&str> {
    text.split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect()
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Finds complete armour: blank lines may surround it (the Rein client ends enrollments with
/// a newline), nothing else may.
fn armor<'a>(lines: &[&'a str]) -> Option<Armor<'a>> {
    let start = lines.iter().position(|line| !is_blank(line))?;
    let end = lines.iter().rposition(|line| !is_blank(line))?;
    let lines = lines.get(start..=end)?;
    // Parsed from the end, so an unescaped armoured document inside the body is just body.
    let [first, body @ .., begin_signature, address, signature, last] = lines else {
        return None;
    };
    if *first != BEGIN_MESSAGE || *begin_signature != BEGIN_SIGNATURE || *last != END_MESSAGE {
        return None;
    }
    Some(Armor {
        body: body.to_vec(),
        address,
        signature,
    })
}

fn parse_field(line: &str) -> Option<(String, String)> {
    let (name, value) = line.split_once(": ")?;
    if name.is_empty() {
        return None;
    }
    Some((name.to_owned(), value.to_owned()))
}

fn title_and_fields(lines: &[&str]) -> (String, Vec<(String, String)>) {
    let title = lines.first().copied().unwrap_or_default().to_owned();
    let fields = lines
        .iter()
        .skip(1)
        .filter_map(|line| parse_field(line))
        .collect();
    (title, fields)
}

/// Parses a Rein document, armoured or not. Returns `None` only for empty or blank text.
///
/// Text that is not complete armour yields `signer: None` and `signature_valid: false`; if it
/// starts with the armour's BEGIN line (a truncated or damaged document), that line and
/// anything from a `-----BEGIN SIGNATURE-----` line on are left out, so the title is still
/// the document's own.
pub fn parse(text: &str, accepted: &[Net]) -> Option<ReinDocument> {
    if is_blank(text) {
        return None;
    }
    let lines = split_lines(text);
    if let Some(armor) = armor(&lines) {
        let (title, fields) = title_and_fields(&armor.body);
        let signer = match Address::parse(armor.address, accepted) {
            Ok(address) => address.as_str().to_owned(),
            Err(_) => armor.address.to_owned(),
        };
        return Some(ReinDocument {
            title,
            fields,
            signed_id: Some(message_id(&signer, &armor.message())),
            signer: Some(signer),
            signature_valid: armor.verifies(accepted),
        });
    }

    let mut content: &[&str] = &lines;
    if let Some(start) = lines.iter().position(|line| !is_blank(line)) {
        if lines.get(start) == Some(&BEGIN_MESSAGE) {
            let rest = lines.get(start + 1..).unwrap_or_default();
            let end = rest
                .iter()
                .position(|line| *line == BEGIN_SIGNATURE)
                .unwrap_or(rest.len());
            content = rest.get(..end).unwrap_or_default();
        }
    }
    let (title, fields) = title_and_fields(content);
    Some(ReinDocument {
        title,
        fields,
        signer: None,
        signature_valid: false,
        signed_id: None,
    })
}

/// Removes one level of dash-escaping from a line: RFC 4880's `- ` prefix, and Rein's
/// `- ----` form of the armour lines.
fn unescape_line(line: &str) -> String {
    match line.strip_prefix("- ") {
        Some(rest) if REIN_ESCAPED_ARMOR.contains(&rest) => format!("-{rest}"),
        Some(rest) => rest.to_owned(),
        None => line.to_owned(),
    }
}

/// The armoured document embedded, dash-escaped, in the body of `text` (e.g. the enrollment
/// inside a review), unescaped by one level: from its BEGIN line to its END line. Deeper
/// levels stay escaped, exactly as the embedded document's signer signed them, so applying
/// this again reaches the next level. `None` if there is no embedded document.
pub fn embedded_text(text: &str) -> Option<String> {
    let lines = split_lines(text);
    let body = match armor(&lines) {
        Some(armor) => armor.body,
        None => lines,
    };
    let unescaped: Vec<String> = body.iter().map(|line| unescape_line(line)).collect();
    let start = unescaped.iter().position(|line| line == BEGIN_MESSAGE)?;
    let end = unescaped.iter().rposition(|line| line == END_MESSAGE)?;
    Some(unescaped.get(start..=end)?.join("\n"))
}

/// Parses the document embedded in `text`; see [`embedded_text`].
pub fn parse_embedded(text: &str, accepted: &[Net]) -> Option<ReinDocument> {
    parse(&embedded_text(text)?, accepted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AddressKind, HeaderClass, Signer};

    const MAINNET: &[Net] = &[Net::Mainnet];

    fn armored(signer: &Signer, body: &str) -> String {
        format!(
            "{BEGIN_MESSAGE}\n{body}\n{BEGIN_SIGNATURE}\n{}\n{}\n{END_MESSAGE}",
            signer.address,
            signer.sign(body)
        )
    }

    fn enrollment(owner: &Signer, delegate: &Address) -> String {
        armored(
            owner,
            &format!(
                "Rein User Enrollment\nUser: Ada\nContact: ada@example.org\n\
                 Master signing address: {}\nDelegate signing address: {delegate}",
                owner.address
            ),
        )
    }

    /// RFC 4880 dash-escaping: every line starting with '-' gets a "- " prefix.
    fn escape(text: &str) -> String {
        text.split('\n')
            .map(|line| {
                if line.starts_with('-') {
                    format!("- {line}")
                } else {
                    line.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn armored_document_parses_and_verifies() {
        let owner = Signer::random(AddressKind::P2wpkh, Net::Mainnet);
        let delegate = Signer::random(AddressKind::P2pkh, Net::Mainnet);
        let text = enrollment(&owner, &delegate.address);
        let doc = parse(&text, MAINNET).unwrap();
        assert_eq!(doc.title, "Rein User Enrollment");
        assert_eq!(doc.field("User"), Some("Ada"));
        assert_eq!(
            doc.field("Delegate signing address"),
            Some(delegate.address.as_str())
        );
        assert_eq!(doc.field("Missing"), None);
        assert_eq!(doc.fields.len(), 4);
        assert_eq!(doc.signer.as_deref(), Some(owner.address.as_str()));
        assert!(doc.signature_valid);

        // CRLF line endings and trailing blank lines read the same.
        let crlf = format!("{}\r\n\r\n", text.replace('\n', "\r\n"));
        assert_eq!(parse(&crlf, MAINNET), Some(doc.clone()));

        // Not an accepted network: still parsed, but not valid.
        let testnet = parse(&text, &[Net::Testnet]).unwrap();
        assert!(!testnet.signature_valid);
        assert_eq!(testnet.title, doc.title);
    }

    #[test]
    fn fields_split_at_the_first_separator() {
        let doc = parse(
            "Rein Job\nDescription: a: b\nNo separator\n: empty name\nEmpty: ",
            &[],
        )
        .unwrap();
        assert_eq!(
            doc.fields,
            vec![
                ("Description".to_owned(), "a: b".to_owned()),
                ("Empty".to_owned(), String::new())
            ]
        );
        assert_eq!(doc.signer, None);
        assert!(!doc.signature_valid);
    }

    #[test]
    fn unarmored_and_damaged_documents_are_unsigned() {
        assert_eq!(parse("", MAINNET), None);
        assert_eq!(parse(" \r\n\n", MAINNET), None);

        let owner = Signer::random(AddressKind::P2pkh, Net::Mainnet);
        let text = armored(&owner, "Rein Rating\nRating: 5");
        let truncated = &text[..text.len() - 5];
        let doc = parse(truncated, MAINNET).unwrap();
        assert_eq!(doc.title, "Rein Rating");
        assert_eq!(doc.fields, vec![("Rating".to_owned(), "5".to_owned())]);
        assert_eq!(doc.signer, None);
        assert!(!doc.signature_valid);

        let tampered = text.replace("Rating: 5", "Rating: 1");
        let doc = parse(&tampered, MAINNET).unwrap();
        assert_eq!(doc.signer.as_deref(), Some(owner.address.as_str()));
        assert!(!doc.signature_valid);

        let bad_address = text.replace(owner.address.as_str(), "not-an-address");
        let doc = parse(&bad_address, MAINNET).unwrap();
        assert_eq!(doc.signer.as_deref(), Some("not-an-address"));
        assert!(!doc.signature_valid);
    }

    #[test]
    fn escaped_embedded_documents_keep_their_signatures() {
        let owner = Signer::random(AddressKind::P2pkh, Net::Mainnet);
        let delegate = Signer::random(AddressKind::P2wpkh, Net::Mainnet);
        let reviewer = Signer::random(AddressKind::P2pkh, Net::Mainnet);
        let auditor = Signer::from_secret(
            *Signer::random(AddressKind::P2pkh, Net::Mainnet).secret(),
            HeaderClass::P2pkhUncompressed,
            Net::Mainnet,
        );
        let inner = enrollment(&owner, &delegate.address);
        let review = armored(&reviewer, &escape(&inner));
        let audit = armored(
            &auditor,
            &format!("Rein Audit\nVerdict: fine\n{}", escape(&review)),
        );

        let doc = parse(&review, MAINNET).unwrap();
        assert!(doc.signature_valid);
        assert_eq!(doc.title, format!("- {BEGIN_MESSAGE}"));
        assert_eq!(doc.signer.as_deref(), Some(reviewer.address.as_str()));
        // The review's enrollment is not an enrollment document itself.
        assert!(!doc.is_enrollment());

        assert_eq!(embedded_text(&review).as_deref(), Some(inner.as_str()));
        let embedded = parse_embedded(&review, MAINNET).unwrap();
        assert!(embedded.signature_valid);
        assert_eq!(embedded.title, "Rein User Enrollment");

        let audit_doc = parse(&audit, MAINNET).unwrap();
        assert!(audit_doc.signature_valid);
        assert_eq!(audit_doc.title, "Rein Audit");
        let level1 = embedded_text(&audit).unwrap();
        assert_eq!(level1, review);
        let level2 = embedded_text(&level1).unwrap();
        assert_eq!(level2, inner);
        let enrollment = parse(&level2, MAINNET).unwrap();
        assert!(enrollment.is_enrollment() && enrollment.signature_valid);
        assert_eq!(enrollment.signer.as_deref(), Some(owner.address.as_str()));

        // Rein's older "- ----" escape of the armour lines unescapes too.
        let rein_style = review.replace("- -----", "- ----");
        let embedded = parse_embedded(&rein_style, MAINNET).unwrap();
        assert!(embedded.signature_valid);
        assert_eq!(embedded_text("Rein Job\nName: x"), None);
    }

    /// xorshift64*: deterministic, so a failure reproduces.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn exercise(text: &str) {
        let _ = parse(text, &[Net::Mainnet, Net::Testnet]);
        let _ = parse_embedded(text, MAINNET);
    }

    #[test]
    fn parse_never_panics_on_garbage() {
        let owner = Signer::random(AddressKind::P2pkh, Net::Mainnet);
        let delegate = Signer::random(AddressKind::P2wpkh, Net::Mainnet);
        let valid = enrollment(&owner, &delegate.address);
        let nested = armored(&owner, &escape(&valid));
        let signature = owner.sign("x");
        let fragments = [
            BEGIN_MESSAGE,
            BEGIN_SIGNATURE,
            END_MESSAGE,
            "- ",
            "- ----",
            "-",
            "\n",
            "\r\n",
            "\r",
            ": ",
            ":",
            " ",
            "Rein User Enrollment",
            "Delegate signing address",
            owner.address.as_str(),
            delegate.address.as_str(),
            signature.as_str(),
            "=",
            "é",
            "\u{0}",
            "🚀",
            "\u{feff}",
        ];
        let mut rng = Rng(0x5eed_cafe_f00d_0001);
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..rng.below(24) {
                text.push_str(fragments[rng.below(fragments.len())]);
            }
            exercise(&text);
        }
        for _ in 0..500 {
            let bytes: Vec<u8> = (0..rng.below(200)).map(|_| rng.next() as u8).collect();
            exercise(&String::from_utf8_lossy(&bytes));
        }
        for text in [&valid, &nested] {
            for (cut, _) in text.char_indices() {
                exercise(&text[..cut]);
                exercise(&text[cut..]);
            }
        }
    }
}
