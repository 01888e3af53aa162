//! Template checks: cfn-lint on the template.

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
