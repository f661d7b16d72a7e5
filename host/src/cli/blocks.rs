//! `blockforge blocks`: every block with its description, inputs, outputs and config schema.

use std::process::ExitCode;

use blockforge::settings::Settings;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct BlocksArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn blocks(args: BlocksArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let registry = settings.start_registry().await?;
    let failures = registry.failures();
    if args.json {
        let blocks: Vec<_> = registry.list().iter().map(|r| r.to_json()).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"blocks": blocks, "failed_plugins": failures}))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    for registered in registry.list() {
        let info = &registered.block.info;
        let source = match &registered.source {
            blockforge::registry::BlockSource::Builtin { .. } => "builtin".to_owned(),
            blockforge::registry::BlockSource::Plugin { path } => path.display().to_string(),
        };
        println!(
            "{} ({}, {}{})",
            info.type_name,
            info.category,
            source,
            if info.is_multiplier {
                ", multiplier"
            } else {
                ""
            }
        );
        println!("  {}", info.description);
        println!("  inputs:  {}", list_or_none(&info.inputs));
        println!("  outputs: {}", list_or_none(&info.outputs));
        if !info.capabilities.is_empty() {
            let caps: Vec<String> = info
                .capabilities
                .iter()
                .map(|c| format!("{c:?}").to_lowercase())
                .collect();
            println!("  capabilities: {}", caps.join(", "));
        }
        let schema = serde_json::to_string_pretty(&info.config_schema)?;
        println!("  config schema:");
        for line in schema.lines() {
            println!("    {line}");
        }
        println!();
    }
    for failure in failures {
        println!("FAILED {}: {}", failure.path.display(), failure.error);
    }
    Ok(ExitCode::SUCCESS)
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}
