//! Files replaced in one step: readers (the compile cache, the plugins folder watcher) never see
//! a half-written file.

use std::io::Write as _;
use std::path::Path;

/// Writes `bytes` to a temporary file in `path`'s folder and renames it over `path`. The
/// temporary file is removed when anything fails.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new()
        .prefix(".blockforge-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temporary.write_all(bytes)?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}
