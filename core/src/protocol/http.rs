//! The HTTP exchange the core prepares and the platform carries (OkHttp or URLSession through
//! the FFI, a Rust client in the CLI): the core does no network I/O of its own.

/// An HTTP request for the platform's client to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The whole URL.
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body (empty for none).
    pub body: Vec<u8>,
}

/// The platform client's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code, whatever it is (the outbox decides what it means).
    pub status: u16,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

/// No answer: the network failed, the connection dropped, the client timed out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no answer from the issuer: {0}")]
pub struct TransportError(pub String);

/// The platform's HTTP client, blocking (the FFI's async one drives [`Outbox::prepare`] and
/// [`Outbox::record`] itself).
pub trait Transport {
    /// Sends `request`; any status is a response, only the absence of one is an error.
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;
}
