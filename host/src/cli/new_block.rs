//! `blockforge new-block`: writes a buildable block project (see [`blockforge::scaffold`]).

use std::path::PathBuf;
use std::process::ExitCode;

use blockforge::scaffold::{BlockProject, Language};
use clap::Args;

#[derive(Debug, Args)]
pub struct NewBlockArgs {
    /// The block's name, e.g. `word-count` (its type becomes `WordCount`).
    name: String,
    /// The language of the block.
    #[arg(long, value_enum)]
    lang: Language,
    /// Where to write the project (default: ./NAME); it must be missing or empty.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Make the block call a model through the `llm` import.
    #[arg(long)]
    llm: bool,
}

pub fn new_block(args: NewBlockArgs) -> anyhow::Result<ExitCode> {
    let project = BlockProject::new(&args.name, args.lang, args.llm)?;
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(&args.name));
    project.write(&dir)?;
    println!("{}", project.next_steps(&dir));
    Ok(ExitCode::SUCCESS)
}
