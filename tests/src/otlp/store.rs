//! What the receiver keeps: spans and metric points, flattened from the
//! OTLP messages.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard};

use base64::Engine as _;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use opentelemetry_proto::tonic::resource::v1::Resource;
use serde_json::Value;
use tokio::sync::Notify;

use super::{MetricKind, MetricPoint, Span, SpanKind};

/// What has been received, shared by the servers and the [`Receiver`].
#[derive(Debug, Default)]
pub(super) struct Store {
    pub(super) spans: Mutex<Vec<Span>>,
    pub(super) metrics: Mutex<Vec<MetricPoint>>,
    pub(super) changed: Notify,
}

impl Store {
    pub(super) fn add_traces(&self, request: ExportTraceServiceRequest, via: &'static str) {
        let mut out = Vec::new();
        for rs in request.resource_spans {
            let (resource, service_name) = resource(rs.resource.as_ref());
            for ss in rs.scope_spans {
                let scope = ss.scope.map(|s| s.name).unwrap_or_default();
                for s in ss.spans {
                    let status = s.status.unwrap_or_default();
                    out.push(Span {
                        trace_id: hex(&s.trace_id),
                        span_id: hex(&s.span_id),
                        parent_span_id: hex(&s.parent_span_id),
                        name: s.name,
                        kind: SpanKind::from(s.kind),
                        attributes: attributes(&s.attributes),
                        status_code: status.code,
                        status_message: status.message,
                        events: s.events.into_iter().map(|e| e.name).collect(),
                        start_time_unix_nano: s.start_time_unix_nano,
                        end_time_unix_nano: s.end_time_unix_nano,
                        scope: scope.clone(),
                        service_name: service_name.clone(),
                        resource: resource.clone(),
                        via,
                    });
                }
            }
        }
        lock(&self.spans).extend(out);
        self.changed.notify_waiters();
    }

    pub(super) fn add_metrics(&self, request: ExportMetricsServiceRequest, via: &'static str) {
        let mut out = Vec::new();
        for rm in request.resource_metrics {
            let (_, service_name) = resource(rm.resource.as_ref());
            for sm in rm.scope_metrics {
                let scope = sm.scope.map(|s| s.name).unwrap_or_default();
                for m in sm.metrics {
                    let point = |kind, monotonic, delta, attrs: &[KeyValue], value, count, time| {
                        MetricPoint {
                            name: m.name.clone(),
                            unit: m.unit.clone(),
                            description: m.description.clone(),
                            kind,
                            monotonic,
                            delta,
                            attributes: attributes(attrs),
                            value,
                            count,
                            time_unix_nano: time,
                            scope: scope.clone(),
                            service_name: service_name.clone(),
                            via,
                        }
                    };
                    // AggregationTemporality: 1 delta, 2 cumulative.
                    match &m.data {
                        Some(metric::Data::Gauge(g)) => {
                            for p in &g.data_points {
                                out.push(point(
                                    MetricKind::Gauge,
                                    false,
                                    false,
                                    &p.attributes,
                                    number(p.value),
                                    None,
                                    p.time_unix_nano,
                                ));
                            }
                        }
                        Some(metric::Data::Sum(s)) => {
                            for p in &s.data_points {
                                out.push(point(
                                    MetricKind::Sum,
                                    s.is_monotonic,
                                    s.aggregation_temporality == 1,
                                    &p.attributes,
                                    number(p.value),
                                    None,
                                    p.time_unix_nano,
                                ));
                            }
                        }
                        Some(metric::Data::Histogram(h)) => {
                            for p in &h.data_points {
                                out.push(point(
                                    MetricKind::Histogram,
                                    false,
                                    h.aggregation_temporality == 1,
                                    &p.attributes,
                                    p.sum.unwrap_or(0.0),
                                    Some(p.count),
                                    p.time_unix_nano,
                                ));
                            }
                        }
                        Some(metric::Data::ExponentialHistogram(h)) => {
                            for p in &h.data_points {
                                out.push(point(
                                    MetricKind::ExponentialHistogram,
                                    false,
                                    h.aggregation_temporality == 1,
                                    &p.attributes,
                                    p.sum.unwrap_or(0.0),
                                    Some(p.count),
                                    p.time_unix_nano,
                                ));
                            }
                        }
                        Some(metric::Data::Summary(s)) => {
                            for p in &s.data_points {
                                out.push(point(
                                    MetricKind::Summary,
                                    false,
                                    false,
                                    &p.attributes,
                                    p.sum,
                                    Some(p.count),
                                    p.time_unix_nano,
                                ));
                            }
                        }
                        None => {}
                    }
                }
            }
        }
        lock(&self.metrics).extend(out);
        self.changed.notify_waiters();
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding it leaves good data behind.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(super) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A resource's attributes and its `service.name`.
pub(super) fn resource(resource: Option<&Resource>) -> (BTreeMap<String, Value>, Option<String>) {
    let attrs = resource
        .map(|r| attributes(&r.attributes))
        .unwrap_or_default();
    let service = attrs
        .get("service.name")
        .and_then(Value::as_str)
        .map(str::to_string);
    (attrs, service)
}

pub(super) fn attributes(kvs: &[KeyValue]) -> BTreeMap<String, Value> {
    kvs.iter()
        .map(|kv| (kv.key.clone(), any_value(kv.value.as_ref())))
        .collect()
}

pub(super) fn any_value(value: Option<&AnyValue>) -> Value {
    match value.and_then(|v| v.value.as_ref()) {
        None => Value::Null,
        Some(any_value::Value::StringValue(s)) => Value::from(s.as_str()),
        Some(any_value::Value::BoolValue(b)) => Value::from(*b),
        Some(any_value::Value::IntValue(i)) => Value::from(*i),
        Some(any_value::Value::DoubleValue(d)) => Value::from(*d),
        Some(any_value::Value::ArrayValue(a)) => {
            Value::Array(a.values.iter().map(|v| any_value(Some(v))).collect())
        }
        Some(any_value::Value::KvlistValue(l)) => Value::Object(
            l.values
                .iter()
                .map(|kv| (kv.key.clone(), any_value(kv.value.as_ref())))
                .collect(),
        ),
        Some(any_value::Value::BytesValue(b)) => {
            Value::from(base64::engine::general_purpose::STANDARD.encode(b))
        }
        // An index into a profile's string table: profiles only.
        Some(any_value::Value::StringValueStrindex(_)) => Value::Null,
    }
}

#[allow(clippy::cast_precision_loss)] // test values are small
pub(super) fn number(value: Option<number_data_point::Value>) -> f64 {
    match value {
        Some(number_data_point::Value::AsDouble(d)) => d,
        Some(number_data_point::Value::AsInt(i)) => i as f64,
        None => 0.0,
    }
}
