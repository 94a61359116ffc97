//! HTTP/1.1 over hyper: routing, body limits and timeouts, and the answers' headers.
//!
//! Slow clients cannot hold the service: headers must arrive within `header_timeout`, a body
//! within `body_timeout` and at most 16 KiB (413 beyond, 408 when too slow), and at most
//! `max_connections` connections are served at once.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use healthpass_core::protocol::MAX_REQUEST_BODY_BYTES;
use healthpass_core::protocol::transfer::{CREATED_HEADER, SIGNATURE_HEADER};
use healthpass_core::time::UnixTime;

use crate::admission::Admission;
use crate::api_error::ApiError;
use crate::devices::{DeviceDesk, StatusChange};
use crate::issuance::{Answer, IncomingIssuance, IssuanceDesk};
use crate::metrics::Metrics;
use crate::transfers::{TransferDesk, WalletSignature};

/// Everything a request may need.
pub struct Service {
    /// Issuance.
    pub issuance: IssuanceDesk,
    /// Devices.
    pub devices: DeviceDesk,
    /// The wallets' transfer codes.
    pub transfers: TransferDesk,
    /// Admission control.
    pub admission: Admission,
    /// Counters.
    pub metrics: Metrics,
    /// Limits of the HTTP layer.
    pub limits: HttpLimits,
    /// The wall clock, read here at the edge and passed into the core.
    pub clock: fn() -> UnixTime,
}

/// Limits of the HTTP layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Time to receive a request's headers.
    pub header_timeout: Duration,
    /// Time to receive a request's body.
    pub body_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self { header_timeout: Duration::from_secs(10), body_timeout: Duration::from_secs(10), max_connections: 10_000 }
    }
}

impl Service {
    /// A service from its parts.
    pub fn new(
        issuance: IssuanceDesk,
        devices: DeviceDesk,
        transfers: TransferDesk,
        admission: Admission,
        limits: HttpLimits,
        clock: fn() -> UnixTime,
    ) -> Self {
        Self { issuance, devices, transfers, admission, metrics: Metrics::default(), limits, clock }
    }
}

type HttpResponse = Response<Full<Bytes>>;

/// Serves `listener` until `shutdown` resolves.
pub async fn serve(listener: TcpListener, service: Arc<Service>, shutdown: impl std::future::Future<Output = ()>) {
    let connections = Arc::new(Semaphore::new(service.limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => return,
        };
        let Ok((stream, peer)) = accepted else { continue };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            // Over the connection limit: closed at once (the client retries with backoff).
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        tokio::spawn(async move {
            let header_timeout = service.limits.header_timeout;
            let client = peer.ip();
            let handler = service_fn(move |request| handle(service.clone(), request, client));
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), handler)
                .await;
            drop(permit);
        });
    }
}

async fn handle(service: Arc<Service>, request: Request<Incoming>, client: IpAddr) -> Result<HttpResponse, Infallible> {
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let response = match (request.method(), segments.as_slice()) {
        (&Method::POST, ["v1", "issuances"]) => issuance(&service, request, DeviceRoute::Issuance).await,
        (&Method::POST, ["v1", "reconciliations"]) => issuance(&service, request, DeviceRoute::Reconciliation).await,
        (&Method::POST, ["v1", "credentials"]) => issuance(&service, request, DeviceRoute::Credential).await,
        (&Method::POST, ["v1", "devices"]) => {
            operator(&service, request, |desk, body, now| {
                desk.enrol(&body, now).map(|(status, device)| (status, json(&device)))
            })
            .await
        }
        (&Method::GET, ["v1", "devices", id]) => {
            let id = (*id).to_owned();
            operator(&service, request, move |desk, _, _| desk.get(&id).map(|device| (200, json(&device)))).await
        }
        (&Method::POST, ["v1", "devices", id, action]) => {
            let change = match *action {
                "suspend" => Some(StatusChange::Suspend),
                "resume" => Some(StatusChange::Resume),
                "revoke" => Some(StatusChange::Revoke),
                _ => None,
            };
            match change {
                Some(change) => {
                    let id = (*id).to_owned();
                    operator(&service, request, move |desk, _, _| {
                        desk.change(&id, change).map(|device| (200, json(&device)))
                    })
                    .await
                }
                None => error_response(&ApiError::new(404, "not_found", "no such route")),
            }
        }
        (&Method::POST, ["v1", "transfers"]) => {
            blocking_route(&service, request, move |service, _, body, now| {
                service.transfers.register(&body, client, now)
            })
            .await
        }
        (&Method::GET | &Method::DELETE, ["v1", "transfers", code]) => {
            let (code, method) = ((*code).to_owned(), request.method().clone());
            blocking_route(&service, request, move |service, headers, _, now| {
                let desk = &service.transfers;
                let signature = WalletSignature {
                    created: headers.get(CREATED_HEADER).and_then(|value| value.to_str().ok()),
                    signature: headers.get(SIGNATURE_HEADER).and_then(|value| value.to_str().ok()),
                };
                if method == Method::GET {
                    desk.fetch(&code, signature, client, now)
                } else {
                    desk.collect(&code, signature, client, now)
                }
            })
            .await
        }
        (&Method::GET, ["healthz"]) => respond(200, "application/json", br#"{"status":"ok"}"#.to_vec(), &[]),
        (&Method::GET, ["metrics"]) => {
            service.metrics.queued.store(service.admission.waiting() as u64, std::sync::atomic::Ordering::Relaxed);
            service.metrics.pace.store(service.admission.pace(), std::sync::atomic::Ordering::Relaxed);
            respond(200, "text/plain; version=0.0.4", service.metrics.render().into_bytes(), &[])
        }
        (_, ["v1", "issuances" | "reconciliations" | "credentials" | "transfers"])
        | (_, ["v1", "transfers", _])
        | (_, ["v1", "devices", ..])
        | (_, ["healthz"])
        | (_, ["metrics"]) => {
            error_response(&ApiError::new(405, "method_not_allowed", "this route does not take that method"))
        }
        _ => error_response(&ApiError::new(404, "not_found", "no such route")),
    };
    Ok(response)
}

fn json(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Reads a body of at most [`MAX_REQUEST_BODY_BYTES`] within the body timeout.
async fn read_body(service: &Service, request: Request<Incoming>) -> Result<(HeaderMap, Bytes), ApiError> {
    let too_large =
        || ApiError::new(413, "body_too_large", format!("a request body is at most {MAX_REQUEST_BODY_BYTES} bytes"));
    let declared = request
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_REQUEST_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let (parts, body) = request.into_parts();
    let limited = Limited::new(body, MAX_REQUEST_BODY_BYTES);
    match tokio::time::timeout(service.limits.body_timeout, limited.collect()).await {
        Err(_) => Err(ApiError::new(408, "body_timeout", "the request body did not arrive in time")),
        Ok(Err(error)) if error.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(_)) => Err(ApiError::new(400, "body_unreadable", "the request body could not be read")),
        Ok(Ok(collected)) => Ok((parts.headers, collected.to_bytes())),
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

/// The device-signed routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeviceRoute {
    /// `POST /v1/issuances`.
    Issuance,
    /// `POST /v1/reconciliations`.
    Reconciliation,
    /// `POST /v1/credentials`.
    Credential,
}

async fn issuance(service: &Arc<Service>, request: Request<Incoming>, route: DeviceRoute) -> HttpResponse {
    let started = Instant::now();
    let result = issue(service, request, route).await;
    match result {
        Ok(Answer::Credential(stored)) => respond(stored.status, "application/json", stored.body, &[]),
        Ok(Answer::Issued(stored)) => {
            service.metrics.issued(started.elapsed());
            respond(stored.status, "application/json", stored.body, &[])
        }
        Ok(Answer::Replayed(stored)) => {
            service.metrics.replayed(started.elapsed());
            respond(stored.status, "application/json", stored.body, &[("idempotent-replayed", "true")])
        }
        Err(error) => {
            service.metrics.rejected(error.code);
            error_response(&error)
        }
    }
}

async fn issue(service: &Arc<Service>, request: Request<Incoming>, route: DeviceRoute) -> Result<Answer, ApiError> {
    // The device the request names, not yet authenticated: refused, it is booked one return
    // (`crate::return_schedule`), however often it asks.
    let device = request
        .headers()
        .get("signature-input")
        .and_then(|value| value.to_str().ok())
        .and_then(healthpass_core::protocol::claimed_device);
    service.admission.refuse_if_full(device)?;
    let (headers, body) = read_body(service, request).await?;
    let owned = [
        header(&headers, "idempotency-key"),
        header(&headers, "content-digest"),
        header(&headers, "signature-input"),
        header(&headers, "signature"),
    ];
    let [idempotency_key, content_digest, signature_input, signature] = owned;
    let admitted = service.admission.admit(device).await?;
    service.metrics.in_flight.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let worker = service.clone();
    let now = (service.clock)();
    let outcome = tokio::task::spawn_blocking(move || {
        // The worker slot is handed back here, as the work ends on the blocking thread, not when
        // the async task is next polled: under overload the runtime is busy answering refusals,
        // and a slot held until then would idle while the queue waits.
        let _slot = admitted;
        let incoming = IncomingIssuance {
            idempotency_key: idempotency_key.as_deref(),
            content_digest: content_digest.as_deref(),
            signature_input: signature_input.as_deref(),
            signature: signature.as_deref(),
            body: &body,
        };
        match route {
            DeviceRoute::Issuance => worker.issuance.handle(&incoming, now),
            DeviceRoute::Reconciliation => worker.issuance.handle_reconciliation(&incoming, now),
            DeviceRoute::Credential => worker
                .issuance
                .handle_credential(&incoming, now)
                .map(|(status, body)| Answer::Credential(crate::storage::StoredResponse { status, body })),
        }
    })
    .await;
    service.metrics.in_flight.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    outcome.unwrap_or_else(|_| Err(ApiError::new(500, "internal_error", "the issuance failed inside the service")))
}

async fn operator(
    service: &Arc<Service>,
    request: Request<Incoming>,
    work: impl FnOnce(&DeviceDesk, Bytes, UnixTime) -> Result<(u16, Vec<u8>), ApiError> + Send + 'static,
) -> HttpResponse {
    let authorized =
        service.devices.authorize(request.headers().get("authorization").and_then(|value| value.to_str().ok()));
    if let Err(error) = authorized {
        return answer(service, Err(error));
    }
    blocking_route(service, request, move |service, _, body, now| work(&service.devices, body, now)).await
}

/// A route whose work blocks (the store): the body read within its limits, the work on the
/// blocking pool with the clock read here, the answer or the refusal counted. The wallets'
/// transfer routes come here directly (no device signature: the desk checks the wallet's own).
async fn blocking_route(
    service: &Arc<Service>,
    request: Request<Incoming>,
    work: impl FnOnce(&Service, &HeaderMap, Bytes, UnixTime) -> Result<(u16, Vec<u8>), ApiError> + Send + 'static,
) -> HttpResponse {
    let result = match read_body(service, request).await {
        Err(error) => Err(error),
        Ok((headers, body)) => {
            let worker = service.clone();
            let now = (service.clock)();
            tokio::task::spawn_blocking(move || work(&worker, &headers, body, now)).await.unwrap_or_else(|_| {
                Err(ApiError::new(500, "internal_error", "the operation failed inside the service"))
            })
        }
    };
    answer(service, result)
}

fn answer(service: &Service, result: Result<(u16, Vec<u8>), ApiError>) -> HttpResponse {
    match result {
        Ok((status, body)) => respond(status, "application/json", body, &[]),
        Err(error) => {
            service.metrics.rejected(error.code);
            error_response(&error)
        }
    }
}

fn error_response(error: &ApiError) -> HttpResponse {
    let retry_after = error.retry_after.map(|seconds| seconds.to_string());
    let extra: Vec<(&str, &str)> = retry_after.iter().map(|value| ("retry-after", value.as_str())).collect();
    respond(error.status, "application/json", error.body(), &extra)
}

fn respond(status: u16, content_type: &str, body: Vec<u8>, extra: &[(&str, &str)]) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(hyper::header::CONTENT_TYPE, value);
    }
    for (name, value) in extra {
        if let (Ok(name), Ok(value)) =
            (hyper::header::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value))
        {
            headers.insert(name, value);
        }
    }
    response
}
