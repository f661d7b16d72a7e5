//! `LangfuseBlock`: sends the record, as it stands at this step, to a Langfuse host as a trace
//! (its id the run's trace id; input the chosen state fields, output one field) through the
//! host's `http` capability, so the operator's grant names the Langfuse host. Like
//! DataGenFlow's Langfuse block it writes `langfuse_upload_status` and never fails the run:
//! an upload that did not happen says why there. The wire format is in [`ingestion`].

pub mod ingestion;

use std::time::SystemTime;

use blockforge_sdk::http::{self, Method, Request};
use blockforge_sdk::prelude::*;

use ingestion::{Trace, basic_auth, batch, host_problem, ingestion_url, read_answer};

/// Settings of LangfuseBlock.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// The Langfuse host (its grant must allow it): https, or http to a loopback host.
    host: String,
    /// The project's public key (`pk-lf-...`).
    public_key: String,
    /// The project's secret key (`sk-lf-...`).
    #[schemars(extend("format" = "password"))]
    secret_key: String,
    /// The traces' name.
    trace_name: String,
    /// State fields sent as the trace's input; empty: the whole state.
    input_fields: Vec<String>,
    /// The state field sent as the trace's output (null when absent).
    output_field: String,
    /// Tags of the traces.
    tags: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "https://cloud.langfuse.com".to_owned(),
            public_key: String::new(),
            secret_key: String::new(),
            trace_name: "blockforge".to_owned(),
            input_fields: Vec::new(),
            output_field: "assistant".to_owned(),
            tags: Vec::new(),
        }
    }
}

struct LangfuseBlock;

impl Block for LangfuseBlock {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "LangfuseBlock",
            "Send each record to Langfuse as a trace (ingestion API): langfuse_upload_status says what happened",
        )
        .name("Langfuse")
        .category("integrations")
        .inputs(["*"])
        .outputs(["langfuse_upload_status"])
        .capabilities([Capability::Http])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let status = upload(&ctx);
        Ok(Output::new().set("langfuse_upload_status", status))
    }
}

/// Sends the record; the status it ends with.
fn upload(ctx: &Context<Config>) -> String {
    let config = &ctx.config;
    if config.public_key.is_empty() || config.secret_key.is_empty() {
        return "skipped: credentials not configured (public_key, secret_key)".to_owned();
    }
    if let Some(problem) = host_problem(&config.host) {
        return format!("error: {problem}");
    }
    let input: Map<String, Value> = if config.input_fields.is_empty() {
        ctx.state.clone()
    } else {
        config
            .input_fields
            .iter()
            .filter_map(|f| ctx.state.get(f).map(|v| (f.clone(), v.clone())))
            .collect()
    };
    let timestamp = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
    let mut metadata = Map::new();
    metadata.insert("step".to_owned(), json!(ctx.step));
    let body = batch(&Trace {
        id: &ctx.trace_id,
        step: ctx.step,
        name: &config.trace_name,
        timestamp: &timestamp,
        input: Value::Object(input),
        output: ctx
            .get(&config.output_field)
            .cloned()
            .unwrap_or(Value::Null),
        metadata,
        tags: &config.tags,
    });
    let request = Request::new(Method::Post, ingestion_url(&config.host))
        .header(
            "Authorization",
            basic_auth(&config.public_key, &config.secret_key),
        )
        .header("Content-Type", "application/json")
        .body(body.to_string());
    match http::send(request) {
        Ok(response) => match read_answer(response.status, &response.body) {
            Ok(_) => format!("uploaded: trace {}", ctx.trace_id),
            Err(why) => format!("error: {why}"),
        },
        Err(e) => format!("error: {} ({})", e.message, http::code_name(e.code)),
    }
}

blockforge_sdk::export_block!(LangfuseBlock);
