//! What a newcomer sees when the portal starts on a laptop: one plain line for each thing that
//! is off and how to turn it on, then where the portal is and where to sign up; no debug dumps
//! of the AWS SDK looking for an instance metadata service.
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn the_start_says_what_is_off_in_one_line_each_and_where_to_sign_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = crate::common::free_port();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_xops"));
    let mut server = crate::common::portal_process(bin, dir.path(), port)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the portal starts");
    let stdout = server.stdout.take().expect("stdout");
    let ((sender, lines), reader) = (std::sync::mpsc::channel(), BufReader::new(stdout));
    std::thread::spawn(move || {
        for line in reader.lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    // Until both the listening line and the AWS line (looked for in the background) have come.
    let done = |seen: &[String]| ["listening on", "AWS credentials"].iter().all(|w| seen.iter().any(|l| l.contains(w)));
    while Instant::now() < deadline && !done(&seen) {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
            seen.push(line);
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    let text = seen.join("\n");
    let url = format!("http://127.0.0.1:{port}");
    assert!(text.contains(&format!("listening on {url} · first time? sign up at {url}/signup")), "{text}");
    assert!(text.contains("AWS credentials are not set: linking AWS and EKS accounts is off until"), "{text}");
    assert!(text.contains("No mail server is set") && text.contains("Set XOPS_SMTP_URL"), "{text}");
    assert!(text.contains("sits beside the database"), "the default key file is beside the default database: {text}");
    assert!(text.contains(&format!("The OpenID issuer {url} is not https://")), "{text}");
    assert!(!text.to_lowercase().contains("imds") && !text.contains("DispatchFailure"), "an SDK dump: {text}");
    assert!(seen.len() <= 7, "one line per thing: {text}");
    assert!(seen.iter().all(|l| l.chars().count() < 320), "a line too long to read: {text}");
}
