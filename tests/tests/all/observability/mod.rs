//! Observability a SOC plugs in: OpenTelemetry traces and metrics over
//! OTLP (`otlp`), and `/metrics` scraped by a real Prometheus
//! (`prometheus`).

mod otlp;
mod prometheus;
