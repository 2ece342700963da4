//! The OTLP exporter's HTTP client: reqwest's blocking client over rustls (webpki and system
//! roots, plus the operator's extra CA), the one HTTP and TLS stack of the binary.

use std::io::Read;
use std::time::Duration;

use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};

/// A collector's answer is a small status message; anything larger is not read whole.
const MAX_ANSWER_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug)]
pub struct OtlpHttp {
    client: reqwest::blocking::Client,
}

impl OtlpHttp {
    /// Build it outside any async runtime: the blocking client runs one of its own.
    pub fn new(
        extra_roots: &[reqwest::Certificate],
        timeout: Duration,
    ) -> Result<OtlpHttp, String> {
        let mut builder = reqwest::blocking::Client::builder().timeout(timeout);
        for root in extra_roots {
            builder = builder.add_root_certificate(root.clone());
        }
        let client = builder
            .build()
            .map_err(|err| format!("OTLP HTTP client: {err}"))?;
        Ok(OtlpHttp { client })
    }
}

#[async_trait::async_trait]
impl HttpClient for OtlpHttp {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let (parts, body) = request.into_parts();
        let mut answer = self
            .client
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body.to_vec())
            .send()?;
        let status = answer.status();
        let headers = std::mem::take(answer.headers_mut());
        let mut bytes = Vec::new();
        answer.take(MAX_ANSWER_BYTES).read_to_end(&mut bytes)?;
        let mut response = Response::builder()
            .status(status)
            .body(Bytes::from(bytes))?;
        *response.headers_mut() = headers;
        Ok(response)
    }
}
