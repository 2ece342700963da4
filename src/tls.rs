//! Extra trust roots for outbound HTTPS (Bitcoin node, OTLP collector): an operator's own CA.

use std::path::Path;

/// The certificates of a PEM bundle, to trust beside the webpki and system roots. A file that
/// can not be read or holds no certificate is an error: silently trusting less than the
/// operator asked for would surface only as a failed handshake much later.
pub fn extra_roots(path: Option<&Path>) -> Result<Vec<reqwest::Certificate>, String> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let pem =
        std::fs::read(path).map_err(|err| format!("extra CA file {}: {err}", path.display()))?;
    let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| {
        format!(
            "extra CA file {}: not PEM certificates: {err}",
            path.display()
        )
    })?;
    if roots.is_empty() {
        return Err(format!(
            "extra CA file {}: no certificate in it",
            path.display()
        ));
    }
    Ok(roots)
}
