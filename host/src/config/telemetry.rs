//! `[telemetry]`: OpenTelemetry traces and metrics exported over OTLP. Off
//! unless the section says `enabled = true` or the standard environment
//! names an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, or the traces or
//! metrics one); `OTEL_SDK_DISABLED=true` turns it off whatever the file
//! says. What the section leaves unset comes from the standard `OTEL_*`
//! variables, then from OpenTelemetry's defaults. `/metrics` (Prometheus
//! text) is served whether or not this is on.

use std::time::Duration;

use serde::Deserialize;

use crate::vocab::parse_duration;

/// `[telemetry]` as written.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TelemetrySection {
    /// Export traces and metrics over OTLP. Default: on only when
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`,
    /// `…_METRICS_ENDPOINT`) is set; `OTEL_SDK_DISABLED=true` always turns
    /// it off.
    pub enabled: Option<bool>,
    /// The collector's OTLP base URL, e.g. `http://otel-collector:4318`
    /// (HTTP; `/v1/traces` and `/v1/metrics` are appended) or
    /// `http://otel-collector:4317` (gRPC). Default:
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`, else `http://localhost:4318` or
    /// `:4317`.
    pub endpoint: Option<String>,
    /// `http/protobuf` or `grpc`. Default: `OTEL_EXPORTER_OTLP_PROTOCOL`,
    /// else `http/protobuf`.
    pub protocol: Option<String>,
    /// The `service.name` of the resource. Default: `OTEL_SERVICE_NAME`,
    /// else `warrant`.
    pub service_name: Option<String>,
    /// How often metrics are exported, e.g. `10s`. Default:
    /// `OTEL_METRIC_EXPORT_INTERVAL` (milliseconds), else `60s`.
    pub metrics_interval: Option<String>,
}

/// How OTLP is spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// Protobuf over HTTP (port 4318 by convention).
    HttpProtobuf,
    /// gRPC (port 4317 by convention).
    Grpc,
}

/// `[telemetry]` resolved against the `OTEL_*` environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Telemetry {
    /// Whether traces and metrics are exported at all.
    pub enabled: bool,
    /// The base URL from the file or `OTEL_EXPORTER_OTLP_ENDPOINT` (`None`:
    /// the exporter's own default and per-signal variables).
    pub endpoint: Option<String>,
    /// HTTP or gRPC.
    pub protocol: OtlpProtocol,
    /// The resource's `service.name`.
    pub service_name: String,
    /// How often metrics are exported.
    pub metrics_interval: Duration,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self {
            enabled: false,
            endpoint: None,
            protocol: OtlpProtocol::HttpProtobuf,
            service_name: "warrant".into(),
            metrics_interval: Duration::from_secs(60),
        }
    }
}

/// Resolve `[telemetry]`, reading the environment through `env`; the error
/// names the field (or variable) and why.
///
/// # Errors
///
/// A value that is not a protocol, URL or duration.
pub fn telemetry(
    s: &TelemetrySection,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Telemetry, (String, String)> {
    let set = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let disabled = set("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let named = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    ]
    .iter()
    .any(|k| set(k).is_some());
    let (protocol, from) = match &s.protocol {
        Some(p) => (Some(p.clone()), "telemetry.protocol"),
        None => (
            set("OTEL_EXPORTER_OTLP_PROTOCOL"),
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ),
    };
    let protocol = match protocol.as_deref().map(str::trim) {
        None | Some("http/protobuf") => OtlpProtocol::HttpProtobuf,
        Some("grpc") => OtlpProtocol::Grpc,
        Some(other) => {
            return Err((
                from.into(),
                format!(
                    "`{other}` is not an OTLP protocol warrant speaks: use `http/protobuf` or `grpc`"
                ),
            ));
        }
    };
    let endpoint = match &s.endpoint {
        Some(e) => Some(checked_url(e).map_err(|why| ("telemetry.endpoint".to_owned(), why))?),
        None => set("OTEL_EXPORTER_OTLP_ENDPOINT"),
    };
    let metrics_interval = match (&s.metrics_interval, set("OTEL_METRIC_EXPORT_INTERVAL")) {
        (Some(t), _) => parse_duration(t)
            .map_err(|e| ("telemetry.metrics-interval".to_owned(), e.to_string()))?,
        (None, Some(ms)) => ms.trim().parse().map(Duration::from_millis).map_err(|_| {
            (
                "OTEL_METRIC_EXPORT_INTERVAL".to_owned(),
                format!("`{ms}` is not a number of milliseconds"),
            )
        })?,
        (None, None) => Duration::from_secs(60),
    };
    if metrics_interval < Duration::from_millis(100) {
        return Err((
            "telemetry.metrics-interval".into(),
            "export metrics at most every 100 ms".into(),
        ));
    }
    Ok(Telemetry {
        enabled: !disabled && s.enabled.unwrap_or(named),
        endpoint,
        protocol,
        service_name: s
            .service_name
            .clone()
            .or_else(|| set("OTEL_SERVICE_NAME"))
            .unwrap_or_else(|| "warrant".into()),
        metrics_interval,
    })
}

/// An `http://` or `https://` URL without a trailing slash.
fn checked_url(e: &str) -> Result<String, String> {
    let e = e.trim().trim_end_matches('/');
    match e.parse::<http::Uri>() {
        Ok(u) if matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some() => {
            Ok(e.to_owned())
        }
        _ => Err(format!(
            "`{e}` is not an http:// or https:// URL of an OTLP collector"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn off_by_default_on_by_file_or_environment_off_by_sdk_disabled() {
        let none = TelemetrySection::default();
        assert!(!telemetry(&none, env(&[])).unwrap().enabled);
        let on = TelemetrySection {
            enabled: Some(true),
            ..TelemetrySection::default()
        };
        assert!(telemetry(&on, env(&[])).unwrap().enabled);
        let named = env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")]);
        let t = telemetry(&none, named).unwrap();
        assert!(t.enabled);
        assert_eq!(t.endpoint.as_deref(), Some("http://c:4318"));
        let off = env(&[("OTEL_SDK_DISABLED", "true")]);
        assert!(!telemetry(&on, off).unwrap().enabled);
    }

    #[test]
    fn the_file_wins_over_the_environment_and_bad_values_are_named() {
        let s = TelemetrySection {
            protocol: Some("grpc".into()),
            service_name: Some("soc-warrant".into()),
            metrics_interval: Some("2s".into()),
            endpoint: Some("http://collector:4317/".into()),
            ..TelemetrySection::default()
        };
        let vars = [
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_SERVICE_NAME", "other"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "5000"),
        ];
        let t = telemetry(&s, env(&vars)).unwrap();
        assert_eq!(t.protocol, OtlpProtocol::Grpc);
        assert_eq!(t.service_name, "soc-warrant");
        assert_eq!(t.metrics_interval, Duration::from_secs(2));
        assert_eq!(t.endpoint.as_deref(), Some("http://collector:4317"));
        let t = telemetry(&TelemetrySection::default(), env(&vars)).unwrap();
        assert_eq!(t.service_name, "other");
        assert_eq!(t.metrics_interval, Duration::from_secs(5));
        let bad = TelemetrySection {
            protocol: Some("http/json".into()),
            ..TelemetrySection::default()
        };
        assert_eq!(
            telemetry(&bad, env(&[])).unwrap_err().0,
            "telemetry.protocol"
        );
        let bad = TelemetrySection {
            endpoint: Some("collector:4317".into()),
            ..TelemetrySection::default()
        };
        assert_eq!(
            telemetry(&bad, env(&[])).unwrap_err().0,
            "telemetry.endpoint"
        );
        let bad_env = env(&[("OTEL_METRIC_EXPORT_INTERVAL", "soon")]);
        let e = telemetry(&TelemetrySection::default(), bad_env).unwrap_err();
        assert_eq!(e.0, "OTEL_METRIC_EXPORT_INTERVAL");
    }
}
