//! The processor function: SQS events (batch size 1) through the pipeline, with the
//! deadline taken from the invocation context. Re-run as `processor pdf-worker`, the binary
//! answers one PDFium request in a rlimited child process. After each invocation the
//! pipeline's metrics go to stdout as CloudWatch EMF lines ([`drawings_lambdas::emf`]).
//!
//! Without a Gemini key (or with `DRAWINGS_ANALYZER=text-layer`) it runs the text-layer
//! analyzer and logs why; a missing key never stops it in init.
//!
//! Init awaits nothing. The SDK clients and the processor (with the Gemini key's SSM read)
//! are assembled by a task spawned before the runtime starts, so that work overlaps the
//! runtime's first poll for an event; the first invocation awaits the same assembly
//! ([`OnceCell`]) rather than starting another. An assembly that fails fails that invocation
//! (the message comes back, and after three receives dead-letters, as a crash in init would
//! have made it), and the next invocation tries again.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use drawings_core::pipeline::Processor;
use drawings_core::ports::JobQueue;
use drawings_lambdas::handlers::{deadline_from, process_event};
use drawings_lambdas::stack::PDF_WORKER_SUBCOMMAND;
use drawings_lambdas::{AwsStack, LambdaConfig, emf, logging};
use lambda_runtime::{LambdaEvent, service_fn};
use metrics_cloudwatch_embedded::Collector;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::OnceCell;

fn main() -> ExitCode {
    // Before any thread starts: freed documents and page images go back to the kernel (see
    // `drawings_pdf::return_large_buffers`), in the function and its PDF workers.
    drawings_pdf::return_large_buffers();
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

/// What an invocation needs, assembled once per process.
struct Ready {
    processor: Processor,
    queue: Arc<dyn JobQueue>,
    metrics: &'static Collector,
}

/// The stack, the metrics recorder and the processor, from `config`. Its callers box the
/// future: the SDK's are deep, and nested in the runtime's they overflow the compiler's
/// layout depth in a release build.
async fn assemble(config: LambdaConfig, function: &str) -> Result<Ready, lambda_runtime::Error> {
    let stack = AwsStack::from_config(config).await;
    let metrics = emf::install(function)?;
    let processor = stack.processor().await?;
    Ok(Ready {
        processor,
        queue: stack.ports.queue.clone(),
        metrics,
    })
}

async fn run(config: LambdaConfig) -> Result<(), lambda_runtime::Error> {
    let function: Arc<str> = config.runtime.function_name.as_deref().unwrap_or("processor").into();
    let ready = Arc::new(OnceCell::<Ready>::new());
    // Beside the runtime's start and first poll, not before it; see the module's docs.
    tokio::spawn({
        let (ready, config, function) = (ready.clone(), config.clone(), function.clone());
        async move {
            if let Err(e) = ready.get_or_try_init(|| Box::pin(assemble(config, &function))).await {
                tracing::error!(error = %e, "Cannot assemble the processor; the first invocation tries again.");
            }
        }
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let (ready, config, function) = (ready.clone(), config.clone(), function.clone());
        async move {
            let ready = ready.get_or_try_init(|| Box::pin(assemble(config, &function))).await?;
            let deadline = deadline_from(event.context.deadline);
            let response = process_event(&ready.processor, ready.queue.as_ref(), event.payload, deadline).await;
            // The invocation's metrics, as EMF lines next to its logs.
            if let Err(e) = emf::flush(ready.metrics, &event.context.request_id, std::io::stdout().lock()) {
                tracing::warn!(error = %e, "Metrics not written.");
            }
            Ok::<SqsBatchResponse, lambda_runtime::Error>(response)
        }
    }))
    .await
}
