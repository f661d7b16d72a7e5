//! The seed file of `POST /api/generate`, never held in memory: the multipart part is spooled
//! to an unnamed temporary file up to `MAX_SEED_UPLOAD_BYTES`, then read seed by seed on a
//! blocking thread — once to count and check it ([`SeedUpload::tally`]), once more to hand
//! its runs in batches to the job being planned ([`SeedUpload::plan_runs`], each batch its own
//! transaction: see [`crate::store::job_plan`]). Memory is one
//! seed and a few batches of runs, whatever the file's size.

use std::fs::File;
use std::io::{Read, Seek};
use std::ops::ControlFlow;
use std::sync::Arc;

use axum::extract::multipart::Field;
use axum::http::StatusCode;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::ApiError;
use crate::engine::seed_reader::{SeedFormat, read_seeds};
use crate::engine::seed_tally::SeedTally;
use crate::engine::work_limits::{JobStateCheck, state_bytes};
use crate::engine::{Seed, SeedError, seed_format};
use crate::runtime::Limits;
use crate::store::job_plan::JobPlan;
use crate::store::jobs::NewRun;

/// Runs handed to the job's plan at a time (one transaction each).
const RUNS_PER_BATCH: usize = 1000;

/// Bytes of run state past which a batch is handed on before it has [`RUNS_PER_BATCH`] runs.
const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Batches of runs read ahead of the database.
const BATCHES_AHEAD: usize = 4;

/// An uploaded seed file, spooled.
pub(super) struct SeedUpload {
    /// Its name as sent (the format is read from it).
    pub name: String,
    file: Arc<File>,
}

/// The most bytes one seed's text may take when read: a bound on the memory of one seed. A
/// seed's state is refused above `MAX_STATE_BYTES` anyway; its text (spaces, escapes) may be
/// larger than its compact state, so the reader allows four times that.
fn max_seed_text_bytes(limits: &Limits) -> u64 {
    (limits.max_state_bytes as u64).saturating_mul(4)
}

/// The 500 for a temporary file that cannot be written or read.
fn spool_failed(e: std::io::Error) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "cannot keep the uploaded seed file in a temporary file",
        json!({"message": e.to_string()}),
    )
}

/// The 500 for a reading thread that ended abnormally.
fn thread_failed(e: tokio::task::JoinError) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the seed file reader failed",
        json!({"message": e.to_string()}),
    )
}

impl SeedUpload {
    /// The part `field` (named `name`) written to a temporary file; 413 past `limit` bytes.
    /// `None` when the part is empty and has no file name (an empty file input).
    pub(super) async fn spool(
        mut field: Field<'_>,
        limit: u64,
        bad_form: impl Fn(axum::extract::multipart::MultipartError) -> ApiError,
    ) -> Result<Option<SeedUpload>, ApiError> {
        let chosen = field.file_name().map(str::to_owned);
        let file = tempfile::tempfile().map_err(spool_failed)?;
        let mut writer = tokio::fs::File::from_std(file.try_clone().map_err(spool_failed)?);
        let mut bytes = 0u64;
        while let Some(chunk) = field.chunk().await.map_err(&bad_form)? {
            bytes += chunk.len() as u64;
            if bytes > limit {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the seed file is larger than MAX_SEED_UPLOAD_BYTES ({limit} bytes)"),
                    json!({"file": chosen, "limit": limit, "setting": "MAX_SEED_UPLOAD_BYTES"}),
                ));
            }
            writer.write_all(&chunk).await.map_err(spool_failed)?;
        }
        writer.flush().await.map_err(spool_failed)?;
        // A browser form whose file input was left empty sends `filename=""` and no bytes,
        // `curl -F file=` no filename and no bytes: no file, as if the field were absent.
        let unnamed = chosen.as_deref().is_none_or(str::is_empty);
        if unnamed && bytes == 0 {
            return Ok(None);
        }
        Ok(Some(SeedUpload {
            name: chosen
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "seeds.json".to_owned()),
            file: Arc::new(file),
        }))
    }

    /// Reads every seed once: the file must be UTF-8 text in a known format, every seed
    /// valid, and its runs within `limits.max_runs_per_job` (400 naming the file, the seed or
    /// line, or the limit).
    pub(super) async fn tally(&self, limits: &Limits) -> Result<SeedTally, ApiError> {
        // As before the file was streamed: text first, then its type, then its seeds.
        let format = seed_format(&self.name);
        let (file, name, max) = (
            self.file.clone(),
            self.name.clone(),
            max_seed_text_bytes(limits),
        );
        let tally = tokio::task::spawn_blocking(move || -> Result<_, TallyError> {
            if !is_utf8(from_start(&file)?)? {
                return Err(TallyError::NotUtf8);
            }
            let format = format?;
            let mut tally = SeedTally::default();
            read_seeds(format, from_start(&file)?, &name, max, |seed| {
                tally.add(&seed);
                ControlFlow::Continue(())
            })?;
            Ok(tally)
        })
        .await
        .map_err(thread_failed)?
        .map_err(|e| match e {
            TallyError::NotUtf8 => ApiError::bad_request(
                "the seed file is not UTF-8 text",
                json!({"file": self.name}),
            ),
            TallyError::Io(e) => spool_failed(e),
            TallyError::Seeds(e) => self.invalid(e),
        })?;
        let limit = limits.max_runs_per_job;
        if tally.runs > limit {
            return Err(ApiError::bad_request(
                format!(
                    "the seed file plans {} runs, above the limit of {limit} runs per job \
                     (MAX_RUNS_PER_JOB)",
                    tally.runs
                ),
                json!({"file": self.name, "runs": tally.runs, "limit": limit}),
            ));
        }
        Ok(tally)
    }

    /// Checks the seeds' states through `blocks` blocks against `MAX_STATE_BYTES`,
    /// `MAX_RUN_STATE_BYTES` and `MAX_JOB_STATE_BYTES`: from the tally when it passes, else by
    /// reading the file again for the first seed (or the sum) at fault.
    pub(super) async fn check_states(
        &self,
        tally: &SeedTally,
        blocks: usize,
        limits: &Limits,
    ) -> Result<(), ApiError> {
        if tally.passes(blocks, limits) {
            return Ok(());
        }
        let format = seed_format(&self.name).map_err(|e| self.invalid(e))?;
        let (file, name, limits) = (self.file.clone(), self.name.clone(), limits.clone());
        let found = tokio::task::spawn_blocking(move || -> Result<_, SeedError> {
            let mut check = JobStateCheck::new(blocks, &limits);
            let mut refused = None;
            let input = from_start(&file).map_err(|source| SeedError::Read {
                path: name.clone(),
                source,
            })?;
            read_seeds(
                format,
                input,
                &name,
                max_seed_text_bytes(&limits),
                |seed| match check.add(state_bytes(&seed.metadata), u64::from(seed.repetitions)) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(e) => {
                        refused = Some(e);
                        ControlFlow::Break(())
                    }
                },
            )?;
            Ok(match refused {
                Some(e) => Err(e),
                None => check.finish(),
            })
        })
        .await
        .map_err(thread_failed)?
        .map_err(|e| self.invalid(e))?;
        found.map_err(|e| {
            let mut error = ApiError::from(e);
            error.detail["file"] = json!(self.name);
            error
        })
    }

    /// Adds every run of the file to `plan`, in batches read on a blocking thread while the
    /// previous ones are written.
    pub(super) async fn plan_runs(
        &self,
        plan: &mut JobPlan,
        limits: &Limits,
    ) -> Result<(), ApiError> {
        let format = seed_format(&self.name).map_err(|e| self.invalid(e))?;
        let (file, name, max) = (
            self.file.clone(),
            self.name.clone(),
            max_seed_text_bytes(limits),
        );
        let (sender, mut batches) = tokio::sync::mpsc::channel(BATCHES_AHEAD);
        let reader = tokio::task::spawn_blocking(move || {
            let input = from_start(&file).map_err(|source| SeedError::Read {
                path: name.clone(),
                source,
            })?;
            send_runs(format, input, &name, max, &sender)
        });
        while let Some(batch) = batches.recv().await {
            plan.add_runs(&batch).await?;
        }
        reader
            .await
            .map_err(thread_failed)?
            .map_err(|e| self.invalid(e))
    }

    /// A seed file error as the API's answer.
    fn invalid(&self, e: SeedError) -> ApiError {
        seed_error(&self.name, e)
    }
}

/// A seed file error as the API's answer: 400 naming the file (and the seed or line, and for a
/// seed too long, the limit), or 500 when the temporary file could not be read.
pub(super) fn seed_error(file: &str, e: SeedError) -> ApiError {
    match e {
        SeedError::Invalid { .. } => ApiError::bad_request(
            "invalid seed file",
            json!({"file": file, "message": e.to_string()}),
        ),
        SeedError::TooLong { seed, limit, .. } => ApiError::bad_request(
            format!(
                "seed {seed} of the seed file is longer than {limit} bytes of text, the most a \
                 seed may take (4 × MAX_STATE_BYTES)"
            ),
            json!({"file": file, "seed": seed, "limit": limit, "setting": "MAX_STATE_BYTES",
                   "message": e.to_string()}),
        ),
        SeedError::Read { source, .. } => spool_failed(source),
    }
}

/// Reads the seeds of `input` and sends their runs in batches; stops quietly when the
/// receiver is gone (a batch failed to be stored and the plan is given up).
fn send_runs(
    format: SeedFormat,
    input: impl Read,
    name: &str,
    max_seed_bytes: u64,
    sender: &tokio::sync::mpsc::Sender<Vec<NewRun>>,
) -> Result<(), SeedError> {
    let mut batch = Vec::with_capacity(RUNS_PER_BATCH);
    let mut bytes = 0;
    let mut seed_index = 0i64;
    let mut gone = false;
    read_seeds(format, input, name, max_seed_bytes, |seed: Seed| {
        // The state as JSON text once per seed, shared by its repetitions.
        let metadata: Arc<str> = serde_json::Value::Object(seed.metadata).to_string().into();
        for repetition in 0..seed.repetitions {
            batch.push(NewRun {
                seed_index,
                repetition: i64::from(repetition),
                split_index: -1,
                metadata: metadata.clone(),
            });
            bytes += metadata.len();
            if batch.len() >= RUNS_PER_BATCH || bytes >= BATCH_BYTES {
                bytes = 0;
                let full = std::mem::replace(&mut batch, Vec::with_capacity(RUNS_PER_BATCH));
                if sender.blocking_send(full).is_err() {
                    gone = true;
                    return ControlFlow::Break(());
                }
            }
        }
        seed_index += 1;
        ControlFlow::Continue(())
    })?;
    if !gone && !batch.is_empty() {
        // The receiver gone here means the same: nothing more to do.
        let _ = sender.blocking_send(batch);
    }
    Ok(())
}

/// Why the first read of a seed file failed.
enum TallyError {
    NotUtf8,
    Io(std::io::Error),
    Seeds(SeedError),
}

impl From<std::io::Error> for TallyError {
    fn from(e: std::io::Error) -> Self {
        TallyError::Io(e)
    }
}

impl From<SeedError> for TallyError {
    fn from(e: SeedError) -> Self {
        TallyError::Seeds(e)
    }
}

/// `file`, read from its start.
fn from_start(file: &File) -> std::io::Result<&File> {
    let mut reader = file;
    reader.rewind()?;
    Ok(reader)
}

/// Whether `input` is UTF-8 text, read in blocks (a character cut by a block's end is
/// completed by the next).
fn is_utf8(mut input: impl Read) -> std::io::Result<bool> {
    let mut buffer = vec![0u8; 256 * 1024];
    let mut carried = 0;
    loop {
        let read = input.read(&mut buffer[carried..])?;
        if read == 0 {
            return Ok(carried == 0);
        }
        let filled = carried + read;
        carried = match std::str::from_utf8(&buffer[..filled]) {
            Ok(_) => 0,
            // Cut at the end: keep the start of the character for the next block.
            Err(e) if e.error_len().is_none() => {
                buffer.copy_within(e.valid_up_to()..filled, 0);
                filled - e.valid_up_to()
            }
            Err(_) => return Ok(false),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `bytes` in blocks of `size` bytes.
    struct Blocks<'a> {
        bytes: &'a [u8],
        size: usize,
    }

    impl Read for Blocks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.size.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn utf8_is_checked_across_block_ends() {
        let text = "héllo wörld — ✓ 𝄞".repeat(50);
        for size in [1, 2, 3, 5, 7, 64 * 1024] {
            let blocks = Blocks {
                bytes: text.as_bytes(),
                size,
            };
            assert!(is_utf8(blocks).unwrap(), "{size}");
        }
        let mut bad = text.clone().into_bytes();
        bad.insert(10, 0xff);
        assert!(!is_utf8(bad.as_slice()).unwrap());
        // A character cut at the very end of the file is not text.
        let cut = &"✓".as_bytes()[..2];
        assert!(!is_utf8(cut).unwrap());
    }
}
