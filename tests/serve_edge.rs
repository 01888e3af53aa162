//! Black-box tests of the HTTP edge of `drawings serve` on a real socket: connections that
//! send nothing, stall an upload, sit idle between requests or carry oversized headers are
//! answered or closed by the configured limits (set small here), and the connection cap holds
//! a new connection back until another closes, while `/health` keeps answering.
//!
//! Each wait below is a bound on a liveness check (a generous multiple of the configured
//! limit), never a measurement of speed.

mod support;

use std::io::ErrorKind;
use std::time::Duration;
use support::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a test waits for something the server must do after a sub-second limit.
const BOUND: Duration = Duration::from_secs(20);

fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection; what it sent before, or `None` when it was
/// still open after [`BOUND`].
async fn read_until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut received = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
                // A reset is a close too.
                Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
                Err(e) => panic!("reading: {e}"),
            }
        }
    };
    tokio::time::timeout(BOUND, read).await.ok()?;
    Some(String::from_utf8_lossy(&received).into_owned())
}

async fn health_answers(server: &Server) {
    let response = tokio::time::timeout(BOUND, reqwest::get(server.url("/health")))
        .await
        .expect("GET /health answered within the bound")
        .expect("GET /health");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn connections_that_send_nothing_are_closed_after_the_header_timeout_and_health_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            ("DRAWINGS_HTTP_HEADER_TIMEOUT_SECS", "0.5"),
            ("DRAWINGS_HTTP_MAX_CONNECTIONS", "32"),
        ],
    );
    // More silent connections than the cap: the ones held back are closed in their turn.
    let mut silent = Vec::new();
    for _ in 0..48 {
        silent.push(TcpStream::connect(addr(&server)).await.unwrap());
    }
    for (n, stream) in silent.iter_mut().enumerate() {
        let sent = read_until_closed(stream)
            .await
            .unwrap_or_else(|| panic!("silent connection {n} still open after {BOUND:?}"));
        assert!(sent.is_empty(), "connection {n} was answered {sent:?}");
    }
    health_answers(&server).await;
}

#[tokio::test]
async fn a_stalled_upload_is_answered_408_and_its_connection_closed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("DRAWINGS_HTTP_BODY_TIMEOUT_SECS", "0.5")]);
    let mut stream = TcpStream::connect(addr(&server)).await.unwrap();
    let head = format!(
        "POST /process-drawing HTTP/1.1\r\nHost: {}\r\nContent-Type: application/pdf\r\n\
         Content-Length: {}\r\n\r\n%PDF-1.7\n",
        addr(&server),
        90 << 20
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // Then nothing more of the 90 MiB.
    let answer = read_until_closed(&mut stream)
        .await
        .unwrap_or_else(|| panic!("the stalled upload still open after {BOUND:?}"));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"REQUEST_TIMEOUT\""), "{answer}");
    health_answers(&server).await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    // A header timeout far longer than the idle one: the idle one is what closes it.
    let server = Server::start(
        dir.path(),
        &[
            ("DRAWINGS_HTTP_HEADER_TIMEOUT_SECS", "600"),
            ("DRAWINGS_HTTP_IDLE_TIMEOUT_SECS", "0.5"),
        ],
    );
    let mut stream = TcpStream::connect(addr(&server)).await.unwrap();
    let request = format!("GET /health HTTP/1.1\r\nHost: {}\r\n\r\n", addr(&server));
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream)
        .await
        .unwrap_or_else(|| panic!("the idle connection still open after {BOUND:?}"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"ok\""), "{answer}");
}

#[tokio::test]
async fn request_headers_over_the_limit_are_refused_with_431() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("DRAWINGS_HTTP_MAX_HEADER_BYTES", "16384")]);
    let response = reqwest::Client::new()
        .post(server.url("/process-drawing"))
        .header("content-type", "application/pdf")
        .header("x-file-name", "a".repeat(64 * 1024))
        .body(b"%PDF-1.7\n%%EOF\n".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 431);
    health_answers(&server).await;
}

#[tokio::test]
async fn the_connection_cap_holds_a_new_connection_until_another_closes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            ("DRAWINGS_HTTP_HEADER_TIMEOUT_SECS", "600"),
            ("DRAWINGS_HTTP_MAX_CONNECTIONS", "2"),
        ],
    );
    let mut silent = vec![
        TcpStream::connect(addr(&server)).await.unwrap(),
        TcpStream::connect(addr(&server)).await.unwrap(),
    ];
    let mut waiting = TcpStream::connect(addr(&server)).await.unwrap();
    let request = format!(
        "GET /health HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        addr(&server)
    );
    waiting.write_all(request.as_bytes()).await.unwrap();
    let mut first = [0u8; 1];
    let held = tokio::time::timeout(Duration::from_secs(1), waiting.read(&mut first)).await;
    assert!(held.is_err(), "a third connection was served past a cap of 2");
    // One of the two closes: the held connection takes its place.
    drop(silent.pop());
    let answer = read_until_closed(&mut waiting)
        .await
        .unwrap_or_else(|| panic!("the held connection was not served after {BOUND:?}"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
