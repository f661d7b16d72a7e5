//! blockforge's black-box tests: the real `blockforge` binary, real HTTP on loopback to a
//! deterministic fake LLM, fixture blocks built from source. One test binary, a module per area.

mod api;
mod blocks_cli;
mod browser;
mod builtins;
mod cli_errors;
mod concurrency;
mod constraints;
mod gateway;
mod hostile;
mod hostile_budgets;
mod hostile_registry;
mod hostile_server;
mod http_clients;
mod jobs;
mod llm_cache;
mod llm_cost;
mod models;
mod models_routing;
mod multiplier;
mod openapi;
mod pipeline_extras;
mod plugins;
mod providers;
mod record_pages;
mod request_limits;
mod runs;
mod settings;
mod sqlite_load;
mod store;
mod storm;
mod strict_input;
mod structured;
mod web_ui;
mod worker_faults;
mod workers;
