//! A pass-through in front of the runtime API that notes when a function first calls it: where
//! Lambda ends the init phase (`Init Duration`), which the emulator does not report.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::Instant;

/// A pass-through to the runtime API at `runtime_api` (the watch prints a URL,
/// `http://host:port/prefix`); the value for the function's `AWS_LAMBDA_RUNTIME_API`, and the
/// moment the function first sent a request. A function's first request is `GET
/// /runtime/invocation/next`: its init is over. Bytes pass unchanged, so the proxy keeps the
/// path prefix and only the address changes.
pub async fn start(runtime_api: &str) -> (String, oneshot::Receiver<Instant>) {
    let without_scheme = runtime_api.strip_prefix("http://").unwrap_or(runtime_api);
    let (upstream, prefix) = match without_scheme.split_once('/') {
        Some((address, path)) => (address.to_owned(), format!("/{path}")),
        None => (without_scheme.to_owned(), String::new()),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the runtime proxy");
    let address = listener.local_addr().expect("the proxy's address");
    let scheme = if runtime_api.starts_with("http://") {
        "http://"
    } else {
        ""
    };
    let address = format!("{scheme}{address}{prefix}");
    let (first_request, noted) = oneshot::channel();
    let first_request = std::sync::Arc::new(std::sync::Mutex::new(Some(first_request)));
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let (upstream, first_request) = (upstream.clone(), first_request.clone());
            tokio::spawn(async move {
                let mut head = vec![0u8; 16 * 1024];
                let n = match inbound.read(&mut head).await {
                    Ok(n) if n > 0 => n,
                    _ => return,
                };
                let at = Instant::now();
                if let Some(sender) = first_request.lock().ok().and_then(|mut s| s.take()) {
                    sender.send(at).ok();
                }
                let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                    return;
                };
                if outbound.write_all(&head[..n]).await.is_ok() {
                    tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await.ok();
                }
            });
        }
    });
    (address, noted)
}
