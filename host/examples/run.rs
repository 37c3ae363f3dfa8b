// scratch: cargo run --example run -- WASM TOOL INPUT [http-origin,...] [SECRET=val,...]
#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&a[1]).unwrap();
    let sb = warrant::Sandbox::new(warrant::SandboxConfig {
        cache_dir: Some("target/scratch-cache".into()),
        ..Default::default()
    })
    .unwrap();
    let mut caps = warrant::Capabilities::default();
    if let Some(h) = a.get(4) {
        for o in h.split(',').filter(|s| !s.is_empty()) {
            caps.http.push(warrant::vocab::parse_origin(o).unwrap());
        }
    }
    if let Some(s) = a.get(5) {
        for kv in s.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap();
            caps.secrets
                .insert(k.into(), warrant::sandbox::Secret::new(v));
        }
    }
    let t = std::time::Instant::now();
    let digest = warrant::keys::sha256_hex(&bytes);
    let p = sb.load("x", &bytes, &digest, caps).await.unwrap();
    eprintln!("load {:?} {:?}", t.elapsed(), p.cache_outcome());
    let t = std::time::Instant::now();
    let r = p.call(&a[2], &a[3], &warrant::CancelToken::new()).await;
    eprintln!("call {:?}", t.elapsed());
    println!("{:?}\n{:?}", r.outcome, r.uses);
}
