//! The grant check, address classes, the response cap and scrubbing.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::BodyExt;
use wasmtime_wasi_http::Error as HttpError;

use super::body::{CappedBody, ScrubbedBody};
use super::check::{authorize, is_public};
use crate::capability::{Scrubber, Secret};
use crate::vocab::HttpOrigin;

fn origin(s: &str, h: &str, p: u16) -> HttpOrigin {
    HttpOrigin {
        scheme: s.into(),
        host: h.into(),
        port: p,
    }
}

#[test]
fn classifies_addresses() {
    for private in [
        "10.0.0.1",
        "127.0.0.1",
        "169.254.169.254",
        "192.168.1.1",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:10.0.0.1",
        "0.0.0.0",
    ] {
        assert!(!is_public(private.parse().unwrap()), "{private}");
    }
    for public in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
        assert!(is_public(public.parse().unwrap()), "{public}");
    }
}

#[tokio::test]
async fn response_bodies_are_capped() {
    let body = |n: usize| {
        http_body_util::Full::new(Bytes::from(vec![b'x'; n]))
            .map_err(|never| match never {})
            .boxed_unsync()
    };
    let seen = Arc::new(AtomicU64::new(0));
    let small = CappedBody {
        inner: body(10),
        seen: Arc::clone(&seen),
        cap: 16,
    };
    assert_eq!(
        small.collect().await.map(|c| c.to_bytes().len()).ok(),
        Some(10)
    );
    let big = CappedBody {
        inner: body(17),
        seen: Arc::new(AtomicU64::new(0)),
        cap: 16,
    };
    assert!(matches!(
        big.collect().await,
        Err(HttpError::HttpResponseBodySize(Some(17)))
    ));
}

#[tokio::test]
async fn grant_must_match_exactly() {
    let allowed = [origin("http", "127.0.0.1", 8080)];
    let ok = HttpOrigin {
        scheme: "http".into(),
        host: "127.0.0.1".into(),
        port: 8080,
    };
    assert!(authorize(&allowed, &ok).await.is_ok());
    for (s, h, p) in [
        ("http", "127.0.0.1", 8081),
        ("https", "127.0.0.1", 8080),
        ("http", "127.0.0.2", 8080),
        ("http", "localhost", 8080),
    ] {
        let t = HttpOrigin {
            scheme: s.into(),
            host: h.into(),
            port: p,
        };
        let err = authorize(&allowed, &t).await.unwrap_err();
        assert!(err.contains("not in this plugin's http grant"), "{err}");
    }
}

#[tokio::test]
async fn names_resolving_to_private_addresses_are_refused() {
    // `localhost.` normalises to `localhost`, which is allowed only as an
    // explicit grant; a different name that resolves to loopback is not.
    let allowed = [origin("http", "ip6-localhost", 80)];
    let t = HttpOrigin {
        scheme: "http".into(),
        host: "ip6-localhost".into(),
        port: 80,
    };
    if let Err(err) = authorize(&allowed, &t).await {
        assert!(
            err.contains("non-public") || err.contains("cannot resolve"),
            "{err}"
        );
    } else {
        panic!("a name resolving to loopback was allowed");
    }
}

#[tokio::test]
async fn response_bodies_are_scrubbed_across_frames() {
    let frames: [&'static str; 3] = ["{\"echo\":\"Bearer tok", "en-0123456", "789\"}"];
    let stream = futures_util::stream::iter(
        frames.map(|f| Ok::<_, HttpError>(http_body::Frame::data(Bytes::from(f)))),
    );
    let inner = http_body_util::StreamBody::new(stream).boxed_unsync();
    let scrubbed = Arc::new(Mutex::new(Vec::new()));
    let body = ScrubbedBody {
        inner,
        scrubber: Scrubber::new(&[("INTEL_API".into(), Secret::new("token-0123456789"))]),
        scrubbed: Arc::clone(&scrubbed),
        pending: None,
        done: false,
    };
    let out = body.collect().await.unwrap().to_bytes();
    assert_eq!(&out[..], b"{\"echo\":\"Bearer [redacted INTEL_API]\"}");
    assert_eq!(*scrubbed.lock().unwrap(), vec!["INTEL_API".to_owned()]);
}
