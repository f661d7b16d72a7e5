//! Files replaced in one step: readers (the compile cache, the plugins folder watcher) never see
//! a half-written file.

use std::io::Write as _;
use std::path::Path;

/// Writes `bytes` to a temporary file in `path`'s folder and renames it over `path`. The
/// temporary file is removed when anything fails.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temporary = temporary_beside(path)?;
    temporary.write_all(bytes)?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A new temporary file in `path`'s folder (removed when dropped): write it, then
/// `persist(path)` replaces `path` in one step, so a failure leaves `path` as it was.
pub fn temporary_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".blockforge-")
        .suffix(".tmp")
        .tempfile_in(dir)
}
