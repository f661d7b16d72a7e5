//! A standalone fake OpenAI-compatible provider, for the benchmark and for trying blockforge
//! without a model: `fake-llm --port 8089 --latency-ms 50`.

use std::time::Duration;

use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig};
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Delay before every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = FakeLlmConfig {
        latency: Duration::from_millis(args.latency_ms),
        ..FakeLlmConfig::default()
    };
    let fake = FakeLlm::start_on(args.port, config).await?;
    println!("{}", fake.base_url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
