//! Template checks: cfn-lint on the template, and `sam validate --lint` (the SAM CLI's own
//! transform and lint) when the pinned SAM CLI is in `.venv`.

use crate::support::*;

#[test]
fn pinned_cfn_lint_passes_the_template_with_the_sam_transform() {
    let cfn_lint = venv_tool("cfn-lint");
    let version = run(Command::new(&cfn_lint).arg("--version"));
    let version = text(&version.stdout);
    assert!(
        version.contains("1.53.3"),
        "cfn-lint in .venv is {version:?}, not 1.53.3; versions from 1.54 skip the SAM transform \
         and miss errors inside AWS::Serverless::* (run scripts/setup.sh)"
    );
    let out = run(Command::new(&cfn_lint).arg("--").arg(template_path()));
    assert!(
        out.status.success(),
        "cfn-lint exited {:?}:\n{}{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The SAM CLI that `scripts/setup.sh` pins, and CI's lint job with it.
const SAM_CLI_VERSION: &str = "1.170.0";

#[test]
fn sam_validate_lint_passes_the_template() {
    let sam = root().join(".venv/bin/sam");
    if !sam.exists() {
        // Like the other external tools' tests: one line, and the set-up step that fixes it.
        eprintln!(
            "SKIP sam validate: {} is missing; run scripts/setup.sh (it installs aws-sam-cli {SAM_CLI_VERSION})",
            sam.display()
        );
        return;
    }
    let home = tempfile::tempdir().expect("a HOME for the SAM CLI's own files");
    // No network: `--lint` runs cfn-lint on the transformed template locally. The dummy
    // credentials keep the CLI from looking for real ones; telemetry off sends nothing.
    let sam_command = |args: &[&str]| {
        let mut command = Command::new(&sam);
        command
            .args(args)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", home.path())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("SAM_CLI_TELEMETRY", "0");
        run(&mut command)
    };
    let version = text(&sam_command(&["--version"]).stdout);
    assert!(
        version.contains(SAM_CLI_VERSION),
        "the SAM CLI in .venv is {version:?}, not {SAM_CLI_VERSION} (run scripts/setup.sh)"
    );
    let template = template_path();
    let out = sam_command(&[
        "validate",
        "--lint",
        "--template",
        template.to_str().unwrap(),
        "--region",
        "us-east-1",
    ]);
    assert!(
        out.status.success(),
        "sam validate --lint exited {:?}:\n{}{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
}
