//! What the three Lambda functions share: configuration (the settings every host reads,
//! `drawings_settings`, from the environment), the AWS stack (adapters over clients built
//! once in init, and the processor assembled from the settings as every host assembles it),
//! the SQS event handlers and logging.
//! Each binary in `src/bin` is a thin `main` over these, so the handlers are tested here
//! with real event shapes against moto.

pub mod config;
pub mod emf;
pub mod handlers;
pub mod logging;
pub mod stack;

pub use config::LambdaConfig;
pub use stack::AwsStack;
