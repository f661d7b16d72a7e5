//! The `blockforge` command: run pipelines, list blocks, test one block.

mod cli;

/// Block calls allocate and free many small buffers from many threads (JSON state, component
/// strings); mimalloc handles that pattern with less contention than glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc's `mi_option_purge_delay` (its `mimalloc.h` v2 enum; the sys crate exports no
/// constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // mimalloc purges freed pages 10 ms after they are freed by default, yet a tokio worker
    // only purges when it allocates again: after a 10,000-seed upload the server stayed 8 MiB
    // above its working set for most of a second. 1 ms returns them promptly, with no
    // throughput lost in `make bench`. `MIMALLOC_PURGE_DELAY` still wins when set.
    // SAFETY: called before any other thread exists (the option setters are not thread-safe);
    // the option index is the one of the vendored mimalloc v2 header.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, 1) };
    let args = cli::Cli::parse();
    cli::init_logging(args.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::dispatch(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
