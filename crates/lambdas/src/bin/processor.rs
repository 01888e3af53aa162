//! The processor function: SQS events (batch size 1) through the pipeline, with the
//! deadline taken from the invocation context. Re-run as `processor pdf-worker`, the binary
//! answers one PDFium request in a rlimited child process. After each invocation the
//! pipeline's metrics go to stdout as CloudWatch EMF lines ([`drawings_lambdas::emf`]).
//!
//! Without a Gemini key (or with `DRAWINGS_ANALYZER=text-layer`) it runs the text-layer
//! analyzer and logs why; a missing key never stops it in init.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use drawings_lambdas::handlers::{deadline_from, process_event};
use drawings_lambdas::stack::PDF_WORKER_SUBCOMMAND;
use drawings_lambdas::{AwsStack, LambdaConfig, emf, logging};
use lambda_runtime::{LambdaEvent, service_fn};
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(PDF_WORKER_SUBCOMMAND) {
        return drawings_pdf::worker_main(&args[2..]);
    }
    let Ok(config) = logging::init_with_config() else {
        return ExitCode::FAILURE;
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("processor: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "Processor stopped.");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: LambdaConfig) -> Result<(), lambda_runtime::Error> {
    let function = config
        .runtime
        .function_name
        .clone()
        .unwrap_or_else(|| "processor".into());
    let stack = AwsStack::from_config(config).await;
    let metrics = emf::install(&function)?;
    let processor = Arc::new(stack.processor().await?);
    let queue = stack.ports.queue.clone();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let (processor, queue) = (processor.clone(), queue.clone());
        async move {
            let deadline = deadline_from(event.context.deadline);
            let response = process_event(&processor, queue.as_ref(), event.payload, deadline).await;
            // The invocation's metrics, as EMF lines next to its logs.
            if let Err(e) = emf::flush(metrics, &event.context.request_id, std::io::stdout().lock()) {
                tracing::warn!(error = %e, "Metrics not written.");
            }
            Ok::<SqsBatchResponse, lambda_runtime::Error>(response)
        }
    }))
    .await
}
