//! The binary's configuration: the settings every host of drawings shares
//! ([`drawings_settings`]: the CLI, `drawings serve` and the three Lambda functions), read
//! once from the environment by `Config::from_env`. Nothing else in the binary reads
//! environment variables; what each key means is in `drawings_settings::keys` and the
//! README's configuration table.

pub use drawings_settings::Settings as Config;
