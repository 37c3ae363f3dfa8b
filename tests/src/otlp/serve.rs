//! The receiver's two servers: OTLP/HTTP (axum) and OTLP/gRPC (tonic).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::MetricsService;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceService;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};

use super::store::Store;

/// The gRPC services.
#[derive(Debug, Clone)]
pub(super) struct Grpc(pub(super) Arc<Store>);

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.add_traces(request.into_inner(), "grpc");
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.0.add_metrics(request.into_inner(), "grpc");
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

pub(super) async fn http_traces(
    State(store): State<Arc<Store>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match decode::<ExportTraceServiceRequest>(&headers, &body) {
        Ok(request) => {
            store.add_traces(request, "http");
            protobuf(&ExportTraceServiceResponse::default())
        }
        Err(refusal) => refusal.into_response(),
    }
}

pub(super) async fn http_metrics(
    State(store): State<Arc<Store>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match decode::<ExportMetricsServiceRequest>(&headers, &body) {
        Ok(request) => {
            store.add_metrics(request, "http");
            protobuf(&ExportMetricsServiceResponse::default())
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// An OTLP/HTTP request's protobuf body; 415 for another content type or
/// an encoding, 400 for a body that does not decode.
fn decode<M: prost::Message + Default>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<M, (StatusCode, String)> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let content_type = text(header::CONTENT_TYPE);
    if content_type.split(';').next().map(str::trim) != Some("application/x-protobuf") {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("this test receiver takes application/x-protobuf, not {content_type:?}"),
        ));
    }
    let encoding = text(header::CONTENT_ENCODING);
    if !encoding.is_empty() && encoding != "identity" {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("this test receiver takes uncompressed bodies, not {encoding:?}"),
        ));
    }
    M::decode(body).map_err(|e| (StatusCode::BAD_REQUEST, format!("bad OTLP protobuf: {e}")))
}

fn protobuf(message: &impl prost::Message) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-protobuf")],
        message.encode_to_vec(),
    )
        .into_response()
}
