//! `HtmlToText`: the main content of the HTML page in a state field, as Markdown (headings,
//! lists, tables, quotes, code kept) or plain text, with the page's title and metadata.
//! Navigation, headers, footers, asides, scripts, styles, forms and hidden elements are
//! dropped. The extraction itself is in [`extract`], which needs no host.

pub mod extract;

use blockforge_sdk::prelude::*;

use extract::Format;

/// How the content is written: `markdown` or `text`.
#[derive(Deserialize, JsonSchema, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
enum OutputFormat {
    // Plain comments on the variants: schemars then writes an `enum` of strings.
    // Headings as `#`, lists as `-`/`1.`, tables as `| a | b |`, code fenced.
    #[default]
    Markdown,
    // The same text without Markdown markers; table cells separated by tabs.
    Text,
}

/// Settings of HtmlToText.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// The state field holding the HTML.
    html_field: String,
    /// `markdown` or `text`.
    output_format: OutputFormat,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            html_field: "html".to_owned(),
            output_format: OutputFormat::Markdown,
        }
    }
}

struct HtmlToText;

impl Block for HtmlToText {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "HtmlToText",
            "The main content of an HTML page as Markdown or text, with its title and metadata",
        )
        .category("utilities")
        .inputs(["html"])
        .outputs(["text", "title", "metadata"])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let html = ctx.str(&ctx.config.html_field)?;
        let format = match ctx.config.output_format {
            OutputFormat::Markdown => Format::Markdown,
            OutputFormat::Text => Format::Text,
        };
        let found = extract::extract(html, format);
        Ok(Output::new()
            .set("text", found.text)
            .set("title", found.title)
            .set("metadata", Value::Object(found.metadata)))
    }
}

blockforge_sdk::export_block!(HtmlToText);
