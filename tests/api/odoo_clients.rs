//! Real Odoo clients against the simulator: the Python `odoorpc` package from PyPI. Without a Python
//! that has it, the test skips loudly; with `TRUESTOCK_REQUIRE_ALL=1` it fails instead. `.ci/run`
//! installs it into `target/odoo-clients-venv`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use truestock::odoo::sim::{Dataset, RunningSimulator, SimConfig, Simulator};

/// A Python with `odoorpc` and `odoolib`: `TRUESTOCK_PYTHON`, the CI venv, or the system's `python3`.
fn python_with_odoo_clients() -> Option<PathBuf> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/odoo-clients-venv/bin/python");
    let candidates = [
        std::env::var_os("TRUESTOCK_PYTHON").map(PathBuf::from),
        Some(venv),
        Some(PathBuf::from("python3")),
    ];
    for python in candidates.into_iter().flatten() {
        let works = Command::new(&python)
            .args(["-c", "import odoorpc, odoolib"])
            .output()
            .is_ok_and(|o| o.status.success());
        if works {
            return Some(python);
        }
    }
    let message = "odoo client check: no Python with odoorpc and odoo-client-lib (run `python3 -m venv \
                   target/odoo-clients-venv && target/odoo-clients-venv/bin/pip install odoorpc==0.10.1 \
                   odoo-client-lib==2.0.1`, or set TRUESTOCK_PYTHON)";
    if std::env::var("TRUESTOCK_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!("{message}; TRUESTOCK_REQUIRE_ALL=1 forbids skipping");
    }
    eprintln!("\n!!!!! SKIPPED: {message} !!!!!\n");
    None
}

/// Runs `script` against a fresh simulator of `version`; panics with its output unless it printed `ok:`.
async fn run_check(python: &std::path::Path, script: &str, version: u8) {
    let mut config = SimConfig::new(version, Dataset::RetailS);
    config.api_key = "client-check-key".into();
    let simulator = tokio::task::spawn_blocking(move || Simulator::new(config))
        .await
        .unwrap();
    let sim = RunningSimulator::start(simulator, SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let c = sim.simulator.config.clone();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/odoo_clients")
        .join(script);
    let (python, url) = (python.to_path_buf(), sim.url.clone());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args([&url, &c.database, &c.login, &c.api_key, &version.to_string()])
            .output()
    })
    .await
    .unwrap()
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.starts_with("ok:"),
        "client check against Odoo {version} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    sim.stop().await;
}

#[tokio::test]
async fn the_real_odoorpc_package_works_against_the_simulator_on_every_version() {
    let Some(python) = python_with_odoo_clients() else {
        return;
    };
    for version in [16, 17, 18, 19] {
        run_check(&python, "odoorpc_check.py", version).await;
    }
}

#[tokio::test]
async fn odoo_client_lib_and_xmlrpc_client_work_against_the_simulator_on_every_version() {
    let Some(python) = python_with_odoo_clients() else {
        return;
    };
    for version in [16, 17, 18, 19] {
        run_check(&python, "odoo_client_lib_check.py", version).await;
    }
}
