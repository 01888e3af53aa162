//! What the three Lambda functions share: configuration from the environment, the AWS
//! stack (adapters over clients built once in init), the SQS event handlers and logging.
//! Each binary in `src/bin` is a thin `main` over these, so the handlers are tested here
//! with real event shapes against moto.

pub mod config;
pub mod emf;
pub mod handlers;
pub mod logging;
pub mod stack;

pub use config::LambdaConfig;
pub use stack::AwsStack;
