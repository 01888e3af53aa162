//! Checks of `sam/template.yaml` and `sam/samconfig.toml`, the AWS deployment.
//!
//! The template is linted with the repository's pinned cfn-lint (1.53.3, the last version
//! that still runs the SAM transform; later ones skip errors inside `AWS::Serverless::*`),
//! then read through cfn-lint's own YAML decoder (which understands `!Ref`, `!Sub`,
//! `!GetAtt`...) as JSON, and its settings are checked one behaviour at a time. Both tools
//! come from `.venv`, which `scripts/setup.sh` installs; no Rust YAML or TOML crate needed.

mod alerts;
mod functions;
mod iam;
mod lint;
mod outputs;
mod storage;
mod support;
