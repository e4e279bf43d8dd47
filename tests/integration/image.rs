//! The container image, checked with what runs here (nothing can pull images): the portal runs
//! from a folder laid out as the image's last stage holds it (scripts/bundle.sh, which the
//! Dockerfile runs too), with its working folder elsewhere; `xops ready`, the HEALTHCHECK, tells
//! a ready portal from one that is not there; and the Dockerfile and compose.yaml pass hadolint
//! and the Compose schema.
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{free_port, portal_process as portal, Running};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn run(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test]
async fn the_portal_runs_from_the_images_folder_alone() {
    let built = Path::new(env!("CARGO_BIN_EXE_xops")).parent().expect("the binary's folder");
    let dir = tempfile::tempdir().expect("temp dir");
    let (image, work) = (dir.path().join("opt/xops"), dir.path().join("var/lib/xops"));
    std::fs::create_dir_all(&work).expect("working folder");
    let bundled = run(Command::new(format!("{ROOT}/scripts/bundle.sh")).arg(built).arg(&image));
    assert!(bundled.status.success(), "scripts/bundle.sh (run scripts/build.sh first): {}", text(&bundled));
    let mut held: Vec<String> =
        std::fs::read_dir(&image).expect("the folder").map(|e| e.expect("entry").file_name().to_string_lossy().into()).collect();
    held.sort();
    assert_eq!(held, ["hash.txt", "site", "xops"], "the image holds the binary, hash.txt and the site, nothing else");

    let bin: PathBuf = image.join("xops");
    let port = free_port();
    let before = run(portal(&bin, &work, port).arg("ready"));
    assert!(!before.status.success(), "nothing listens yet, so `xops ready` fails: {}", text(&before));
    assert!(text(&before).contains("/readyz"), "{}", text(&before));

    let _server = Running(portal(&bin, &work, port).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("the portal starts"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let probe = run(portal(&bin, &work, port).arg("ready"));
        if probe.status.success() {
            break;
        }
        assert!(Instant::now() < deadline, "`xops ready` never succeeded: {}", text(&probe));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Its database and key file are in the working folder, not beside the binary.
    assert!(work.join("data/xops.db").is_file() && work.join("data/master.key").is_file());

    // The sign-in page links the hashed assets of hash.txt, and each is served from the site.
    let base = format!("http://127.0.0.1:{port}");
    let page = reqwest::get(format!("{base}/signin")).await.expect("the sign-in page");
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let html = page.text().await.expect("body");
    let hashes = std::fs::read_to_string(image.join("hash.txt")).expect("hash.txt");
    for (kind, extension) in [("css", "css"), ("js", "js"), ("wasm", "wasm")] {
        let hash = hashes
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{kind}: ")))
            .unwrap_or_else(|| panic!("hash.txt names the {kind}"));
        let asset = format!("/pkg/xops.{hash}.{extension}");
        if kind != "wasm" {
            assert!(html.contains(&asset), "the page links {asset}");
        }
        let served = reqwest::get(format!("{base}{asset}")).await.expect("the asset");
        assert_eq!(served.status(), reqwest::StatusCode::OK, "{asset}");
    }
}

#[test]
fn the_dockerfile_and_the_compose_file_pass_their_checkers() {
    let dockerfile = std::fs::read_to_string(format!("{ROOT}/Dockerfile")).expect("Dockerfile");
    // The folder the test above runs is the one the image holds.
    assert!(dockerfile.contains("scripts/bundle.sh target/release /out") && dockerfile.contains("COPY --from=build /out/ /opt/xops/"));
    assert!(dockerfile.contains("USER 10001:10001") && dockerfile.contains(r#"CMD ["/opt/xops/xops", "ready"]"#));

    let hadolint = format!("{ROOT}/target/tools/hadolint/bin/hadolint");
    let linted = Command::new(&hadolint)
        .arg(format!("{ROOT}/Dockerfile"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {hadolint} ({e}); scripts/setup.sh --for-tests installs it"));
    assert!(linted.status.success(), "hadolint: {}", text(&linted));

    // An empty env file: a .env of the developer's beside compose.yaml must not fill the secrets.
    let no_env_file = tempfile::NamedTempFile::new().expect("temp file");
    let compose = |secrets: &[(&str, &str)]| {
        let mut command = Command::new("docker-compose");
        command.args(["--project-directory", ROOT, "-f", &format!("{ROOT}/compose.yaml")]);
        command.arg("--env-file").arg(no_env_file.path()).args(["config", "--quiet"]);
        for name in ["POSTGRES_PASSWORD", "XOPS_MASTER_KEY"] {
            command.env_remove(name);
        }
        command.envs(secrets.iter().copied());
        command.output().unwrap_or_else(|e| panic!("cannot run docker-compose ({e}); scripts/setup.sh --for-tests installs it"))
    };
    let valid = compose(&[("POSTGRES_PASSWORD", "a-long-password"), ("XOPS_MASTER_KEY", "c2VjcmV0")]);
    assert!(valid.status.success(), "compose.yaml: {}", text(&valid));
    // Started without the secrets, it says which to set instead of starting replicas that cannot
    // read each other's keys.
    let missing = compose(&[]);
    assert!(!missing.status.success() && text(&missing).contains("set POSTGRES_PASSWORD in .env"), "{}", text(&missing));
}
