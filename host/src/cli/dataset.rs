//! `blockforge dataset ...`: the dataset operations of `/api/datasets` on DATABASE_URL
//! directly, without a server. Each prints the new version(s) or the listing as JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};
use blockforge::datasets::card::CardMeta;
use blockforge::datasets::dedup::Dedup;
use blockforge::datasets::export::ExportFormat;
use blockforge::datasets::import::{FileFormat, ReadOptions};
use blockforge::datasets::lineage::Lineage;
use blockforge::datasets::near_duplicates::NearOptions;
use blockforge::hub::{HubClient, HubSettings, PushOptions, RepoId, Token};
use blockforge::settings::Settings;
use blockforge::store::Store;
use blockforge::store::dataset_operations::Conversion;
use blockforge::store::datasets::{RowPages, VersionRow};
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct DatasetArgs {
    #[command(subcommand)]
    command: DatasetCommand,
}

/// The near-duplicate options of `dataset merge`.
#[derive(Debug, Args)]
struct NearArgs {
    /// Leave out rows equal to one already taken and rows whose text is a near-duplicate of one
    /// already taken (MinHash + LSH over word shingles, as the MinHashDedup block).
    #[arg(long)]
    near: bool,
    /// --near: the Jaccard similarity of the word-shingle sets at or above which a row is left
    /// out (above 0, at most 1).
    #[arg(long, requires = "near", default_value_t = NearOptions::default().threshold)]
    threshold: f64,
    /// --near: a field whose text is compared (repeat for several, in order; default: every
    /// string value of the row).
    #[arg(long = "field", requires = "near")]
    fields: Vec<String>,
    /// --near: words per shingle (1 to 16).
    #[arg(long, requires = "near", default_value_t = NearOptions::default().shingle_size)]
    shingle_size: usize,
    /// --near: LSH bands (1 to 512).
    #[arg(long, requires = "near", default_value_t = NearOptions::default().bands)]
    bands: usize,
    /// --near: MinHash functions per band (1 to 64).
    #[arg(long, requires = "near", default_value_t = NearOptions::default().rows)]
    rows: usize,
}

impl NearArgs {
    /// The dedup these flags and `--dedup` ask for.
    fn dedup(self, exact: bool) -> Dedup {
        if !self.near {
            return if exact { Dedup::Exact } else { Dedup::None };
        }
        Dedup::Near(NearOptions {
            threshold: self.threshold,
            fields: (!self.fields.is_empty()).then_some(self.fields),
            shingle_size: self.shingle_size,
            bands: self.bands,
            rows: self.rows,
        })
    }
}

#[derive(Debug, Subcommand)]
enum DatasetCommand {
    /// Import a JSONL, JSON, CSV or Parquet file as a new version of a dataset (made when new).
    Import {
        /// The file.
        file: PathBuf,
        /// The dataset.
        #[arg(long)]
        name: String,
        /// jsonl, json, csv or parquet (default: from the file's extension).
        #[arg(long)]
        format: Option<String>,
        /// CSV: read a cell holding a JSON object or list as that value (default: text).
        #[arg(long)]
        json_cells: bool,
    },
    /// List every dataset with its newest version.
    List,
    /// Show a dataset's versions with their lineage and schema.
    Show {
        /// The dataset.
        name: String,
    },
    /// Write a version's rows (default: to stdout), its dataset card with --card, or the
    /// whole dataset in the Hub's layout with --hub.
    Export {
        /// The dataset.
        name: String,
        /// The version (default: the newest).
        #[arg(long)]
        version: Option<i64>,
        /// jsonl (default), json, csv or parquet (parquet needs --output).
        #[arg(long, default_value = "jsonl")]
        format: String,
        /// Write here instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Write the dataset card (README.md with the Hub's front matter) instead of rows.
        #[arg(long)]
        card: bool,
        /// The card's license id.
        #[arg(long)]
        license: Option<String>,
        /// Write every split as Parquet with the card, laid out like a Hub dataset repository
        /// (README.md, data/<split>-00000-of-00001.parquet), into this folder, or into this
        /// zip when it ends in .zip.
        #[arg(long, conflicts_with_all = ["version", "output", "card"])]
        hub: Option<PathBuf>,
        /// CSV: write text cells that start with =, +, -, @ as they are (by default they get
        /// a ' before them, so a spreadsheet does not run them as formulas).
        #[arg(long)]
        no_formula_guard: bool,
    },
    /// Convert every row between chat formats, as a new version.
    Convert {
        /// The dataset.
        name: String,
        /// The target format (openai, sharegpt, alpaca, alpaca_system, chatml, vicuna, llama3).
        #[arg(long)]
        to: String,
        /// The rows' format (default: detected from the first row).
        #[arg(long)]
        from: Option<String>,
        /// The version converted (default: the newest).
        #[arg(long)]
        version: Option<i64>,
    },
    /// Merge versions (NAME or NAME@VERSION) into a new version of --into.
    Merge {
        /// The inputs, in order.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// The dataset the merge is a new version of.
        #[arg(long)]
        into: String,
        /// Leave out rows equal to one already taken.
        #[arg(long)]
        dedup: bool,
        #[command(flatten)]
        near: NearArgs,
    },
    /// Sample rows, randomly with a seed or stratified by a field.
    Sample {
        /// The dataset.
        name: String,
        /// Rows to take.
        #[arg(long)]
        n: u64,
        /// The random seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Stratify by this field's values.
        #[arg(long)]
        stratify_by: Option<String>,
        /// The dataset the sample is a new version of (default: this one).
        #[arg(long)]
        into: Option<String>,
        /// The version sampled (default: the newest).
        #[arg(long)]
        version: Option<i64>,
    },
    /// Split into NAME.train, NAME.validation and NAME.test after a seeded shuffle.
    Split {
        /// The dataset.
        name: String,
        /// Fraction for train.
        #[arg(long, default_value_t = 0.8)]
        train: f64,
        /// Fraction for validation.
        #[arg(long, default_value_t = 0.1)]
        validation: f64,
        /// Fraction for test.
        #[arg(long, default_value_t = 0.1)]
        test: f64,
        /// The random seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The version split (default: the newest).
        #[arg(long)]
        version: Option<i64>,
    },
    /// Push every split (Parquet) and the card to a Hugging Face Hub dataset repository, in
    /// one commit (the layout of --hub; the repository is created when missing).
    Push {
        /// The dataset.
        name: String,
        /// The Hub repository, owner/name.
        #[arg(long)]
        repo: String,
        /// A Hub token with write access (default: HF_TOKEN, which other users of the
        /// machine cannot read in the process list); never printed or stored.
        #[arg(long)]
        token: Option<String>,
        /// Create the repository private (an existing one keeps its visibility).
        #[arg(long)]
        private: bool,
        /// The commit's summary (default: "Upload NAME from blockforge").
        #[arg(long)]
        message: Option<String>,
        /// The card's license id.
        #[arg(long)]
        license: Option<String>,
    },
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    super::write_stdout(&text)?;
    Ok(())
}

fn checked(name: &str) -> anyhow::Result<()> {
    blockforge::datasets::check_name(name).map_err(|message| anyhow!("{message}: {name:?}"))
}

/// `NAME` or `NAME@VERSION`.
fn version_choice(text: &str) -> anyhow::Result<(String, Option<i64>)> {
    match text.rsplit_once('@') {
        None => Ok((text.to_owned(), None)),
        Some((name, number)) => Ok((
            name.to_owned(),
            Some(
                number
                    .parse()
                    .with_context(|| format!("{text:?}: the version after @ is a number"))?,
            ),
        )),
    }
}

/// Runs one `dataset` subcommand.
pub async fn dataset(args: DatasetArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&settings.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", settings.database_url))?;
    // Versions a killed import left unfinished go first, so their rows stop taking space.
    let outcome = match store.sweep_unfinished_versions(None).await {
        Ok(_) => run(args.command, &store, &settings.hub).await,
        Err(e) => Err(anyhow::Error::new(e).context("cannot sweep unfinished dataset versions")),
    };
    store.close().await;
    outcome.map(|()| ExitCode::SUCCESS)
}

async fn run(command: DatasetCommand, store: &Store, hub: &HubSettings) -> anyhow::Result<()> {
    match command {
        DatasetCommand::Push {
            name,
            repo,
            token,
            private,
            message,
            license,
        } => {
            let repo: RepoId = repo.parse()?;
            let token = token
                .as_deref()
                .and_then(Token::new)
                .or_else(|| hub.token.clone())
                .ok_or_else(|| {
                    anyhow!("no Hugging Face Hub token: give --token or set HF_TOKEN")
                })?;
            let client = HubClient::new(&hub.endpoint, token)?;
            let meta = CardMeta {
                license,
                ..CardMeta::default()
            };
            let options = PushOptions {
                private,
                summary: message.unwrap_or_else(|| format!("Upload {name} from blockforge")),
            };
            let pushed = store
                .push_to_hub(&name, &meta, &client, &repo, &options)
                .await
                .with_context(|| format!("cannot push {name} to the Hub repository {repo}"))?;
            print_json(&pushed)
        }
        DatasetCommand::Import {
            file,
            name,
            format,
            json_cells,
        } => {
            checked(&name)?;
            let file_name = file.file_name().map(|f| f.to_string_lossy().into_owned());
            let format = match format {
                Some(format) => FileFormat::from_name(&format),
                None => file_name.as_deref().and_then(FileFormat::from_file_name),
            }
            .ok_or_else(|| {
                anyhow!(
                    "say the format with --format: one of {}",
                    FileFormat::NAMES.join(", ")
                )
            })?;
            let opened = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let bytes = opened.metadata().map(|m| m.len()).unwrap_or(0);
            let lineage = Lineage::Upload {
                file_name,
                format: format.name().to_owned(),
                bytes,
            };
            let version = store
                .import_file(&name, format, ReadOptions { json_cells }, opened, &lineage)
                .await
                .with_context(|| format!("cannot import {}", file.display()))?;
            print_json(&version)
        }
        DatasetCommand::List => print_json(&store.datasets().await?),
        DatasetCommand::Show { name } => print_json(&store.dataset_versions(&name).await?),
        DatasetCommand::Export {
            name,
            version,
            format,
            output,
            card,
            license,
            hub,
            no_formula_guard,
        } => {
            let meta = CardMeta {
                license,
                ..CardMeta::default()
            };
            if let Some(hub) = hub {
                return export_hub(store, &name, &meta, &hub).await;
            }
            let what = if card {
                Payload::Card(meta)
            } else if format == "parquet" {
                Payload::Parquet
            } else {
                let format = ExportFormat::from_name(&format).ok_or_else(|| {
                    anyhow!(
                        "--format is one of {}, parquet",
                        ExportFormat::NAMES.join(", ")
                    )
                })?;
                Payload::Rows(format.formula_guard(!no_formula_guard))
            };
            match &output {
                Some(path) => export_to_file(store, &name, version, what, path).await,
                None if matches!(what, Payload::Parquet) => Err(anyhow!(
                    "--format parquet writes a file: give --output FILE"
                )),
                None => {
                    let mut out = std::io::BufWriter::new(std::io::stdout());
                    write_payload(store, &name, version, what, &mut out).await
                }
            }
        }
        DatasetCommand::Convert {
            name,
            to,
            from,
            version,
        } => {
            let to = to.parse().map_err(|e| anyhow!("--to: {e}"))?;
            let from = match from.as_deref() {
                None | Some("auto") => None,
                Some(from) => Some(from.parse().map_err(|e| anyhow!("--from: {e}"))?),
            };
            let source = store.dataset_version(&name, version).await?;
            print_json(
                &store
                    .convert_version(&source, &Conversion { from, to })
                    .await?,
            )
        }
        DatasetCommand::Merge {
            inputs,
            into,
            dedup,
            near,
        } => {
            let dedup = near.dedup(dedup);
            checked(&into)?;
            let mut versions: Vec<VersionRow> = Vec::with_capacity(inputs.len());
            for input in &inputs {
                let (name, number) = version_choice(input)?;
                versions.push(store.dataset_version(&name, number).await?);
            }
            print_json(&store.merge_versions(&versions, &into, &dedup).await?)
        }
        DatasetCommand::Sample {
            name,
            n,
            seed,
            stratify_by,
            into,
            version,
        } => {
            let into = into.unwrap_or_else(|| name.clone());
            checked(&into)?;
            let source = store.dataset_version(&name, version).await?;
            print_json(
                &store
                    .sample_version(&source, n, seed, stratify_by.as_deref(), &into)
                    .await?,
            )
        }
        DatasetCommand::Split {
            name,
            train,
            validation,
            test,
            seed,
            version,
        } => {
            let fractions = vec![
                ("train".to_owned(), train),
                ("validation".to_owned(), validation),
                ("test".to_owned(), test),
            ];
            for (split, _) in &fractions {
                checked(&format!("{name}.{split}"))?;
            }
            let source = store.dataset_version(&name, version).await?;
            print_json(
                &store
                    .split_version(&source, &fractions, seed, &name)
                    .await?,
            )
        }
    }
}

/// What `dataset export` writes.
enum Payload {
    /// The dataset card.
    Card(CardMeta),
    /// The rows as Parquet.
    Parquet,
    /// The rows in a text format.
    Rows(ExportFormat),
}

/// Writes `what` of `name` to a temporary file beside `path`, renamed over `path` only when
/// all of it was written: a failed export leaves an existing file as it was.
async fn export_to_file(
    store: &Store,
    name: &str,
    version: Option<i64>,
    what: Payload,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let cannot = || format!("cannot write {}", path.display());
    let temporary = blockforge::atomic_file::temporary_beside(path).with_context(cannot)?;
    let mut out = std::io::BufWriter::new(temporary);
    write_payload(store, name, version, what, &mut out).await?;
    persist(out, path)
}

/// Flushes `out`, a temporary file beside `path`, and renames it over `path`.
fn persist(
    out: std::io::BufWriter<tempfile::NamedTempFile>,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let cannot = || format!("cannot write {}", path.display());
    let temporary = out
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(cannot)?;
    temporary
        .persist(path)
        .map_err(|e| e.error)
        .with_context(cannot)?;
    Ok(())
}

/// Writes `what` of version `version` (or the newest) of `name` to `out`.
async fn write_payload<W: std::io::Write + Send>(
    store: &Store,
    name: &str,
    version: Option<i64>,
    what: Payload,
    out: &mut W,
) -> anyhow::Result<()> {
    match what {
        Payload::Card(meta) => {
            let text = store.dataset_card(name, version, &meta).await?;
            write_all(out, text.as_bytes())?;
        }
        Payload::Parquet => {
            let version = store.dataset_version(name, version).await?;
            store.write_parquet(&version, &mut *out).await?;
        }
        Payload::Rows(format) => {
            let version = store.dataset_version(name, version).await?;
            export(store, &version, format, out).await?;
        }
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Writes every split of `name` with its card in the Hub's layout: a zip (to a temporary file
/// renamed at the end) when `path` ends in `.zip`, else into the folder `path`.
async fn export_hub(
    store: &Store,
    name: &str,
    meta: &CardMeta,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let cannot = || format!("cannot write {}", path.display());
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        let temporary = blockforge::atomic_file::temporary_beside(path).with_context(cannot)?;
        let out = store
            .write_hub_zip(name, meta, std::io::BufWriter::new(temporary))
            .await?;
        persist(out, path)?;
    } else {
        store.write_hub_folder(name, meta, path).await?;
    }
    Ok(())
}

/// Writes `bytes`; a reader that went away (`| head`) ends the export without an error.
fn write_all(out: &mut dyn std::io::Write, bytes: &[u8]) -> anyhow::Result<()> {
    match out.write_all(bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Writes `version`'s rows a page at a time.
async fn export(
    store: &Store,
    version: &VersionRow,
    format: ExportFormat,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let columns: Vec<String> = version
        .schema
        .fields
        .iter()
        .map(|f| f.name.clone())
        .collect();
    write_all(out, &format.header(&columns)?)?;
    let mut pages = RowPages::new(store, version);
    let mut first = true;
    while let Some(page) = pages.next().await? {
        let bytes = format.page(page.iter().map(|r| &r.row), &columns, first)?;
        write_all(out, &bytes)?;
        first = false;
    }
    write_all(out, &format.footer())
}
