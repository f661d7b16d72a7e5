//! `blockforge blocks`: every block with its description, inputs, outputs and config schema.

use std::fmt::Write as _;
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
        let blocks: Vec<_> = registry.list().iter().map(|r| r.view()).collect();
        let mut text =
            serde_json::to_string_pretty(&json!({"blocks": blocks, "failed_plugins": failures}))?;
        text.push('\n');
        super::write_stdout(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    for registered in registry.list() {
        let info = &registered.block.info;
        let source = match &registered.source {
            blockforge::registry::BlockSource::Builtin { .. } => "builtin".to_owned(),
            blockforge::registry::BlockSource::Plugin { path } => path.display().to_string(),
        };
        writeln!(
            text,
            "{} ({}, {}{})",
            info.type_name,
            info.category,
            source,
            if info.is_multiplier {
                ", multiplier"
            } else {
                ""
            }
        )?;
        writeln!(text, "  {}", info.description)?;
        writeln!(text, "  inputs:  {}", list_or_none(&info.inputs))?;
        writeln!(text, "  outputs: {}", list_or_none(&info.outputs))?;
        if !info.capabilities.is_empty() {
            let caps: Vec<String> = info
                .capabilities
                .iter()
                .map(|c| format!("{c:?}").to_lowercase())
                .collect();
            writeln!(text, "  capabilities: {}", caps.join(", "))?;
        }
        let schema = serde_json::to_string_pretty(&info.config_schema)?;
        writeln!(text, "  config schema:")?;
        for line in schema.lines() {
            writeln!(text, "    {line}")?;
        }
        writeln!(text)?;
    }
    for failure in failures {
        writeln!(text, "FAILED {}: {}", failure.path.display(), failure.error)?;
    }
    super::write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}
