//! Strings a block passes to an import, read in place from its linear memory: the host checks
//! their size before it copies anything, so a block cannot make the host allocate what the
//! block itself can hold (its whole memory limit) once per call.

use wasmtime::StoreContextMut;
use wasmtime::component::WasmStr;

use crate::runtime::failure::InvalidHostCall;
use crate::runtime::limits::format_bytes;

/// A string argument that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    /// Larger than the import accepts; the block is told and may carry on.
    #[error("the {what} is {}, above the limit of {}", format_bytes(*size as u64), format_bytes(*limit as u64))]
    TooLarge {
        /// Which argument.
        what: &'static str,
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// Not valid UTF-8: the block broke the component ABI, and its call fails.
    #[error("passed a {what} that is not valid UTF-8 to `{import}` ({detail})")]
    NotUtf8 {
        /// The import.
        import: &'static str,
        /// Which argument.
        what: &'static str,
        /// Where the encoding breaks.
        detail: String,
    },
}

/// Copies `text` out of the guest if it is at most `limit` bytes.
pub fn copy_bounded<T: 'static>(
    store: &StoreContextMut<'_, T>,
    text: &WasmStr,
    import: &'static str,
    what: &'static str,
    limit: usize,
) -> Result<String, ArgError> {
    let text = view(store, text, import, what)?;
    if text.len() > limit {
        return Err(ArgError::TooLarge {
            what,
            size: text.len(),
            limit,
        });
    }
    Ok(text.into_owned())
}

/// Copies at most `limit` bytes of `text` (cut at a character boundary) out of the guest;
/// also returns the whole length.
pub fn copy_prefix<T: 'static>(
    store: &StoreContextMut<'_, T>,
    text: &WasmStr,
    import: &'static str,
    what: &'static str,
    limit: usize,
) -> Result<(String, usize), ArgError> {
    let text = view(store, text, import, what)?;
    let mut cut = limit.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Ok((text[..cut].to_owned(), text.len()))
}

/// The string in place (UTF-8 is not copied; other encodings are transcoded).
fn view<'a, T: 'static>(
    store: &'a StoreContextMut<'_, T>,
    text: &WasmStr,
    import: &'static str,
    what: &'static str,
) -> Result<std::borrow::Cow<'a, str>, ArgError> {
    text.to_str(store).map_err(|e| ArgError::NotUtf8 {
        import,
        what,
        detail: e.to_string(),
    })
}

impl ArgError {
    /// The error a call fails with when the argument broke the ABI; `None` when the block is
    /// only told (the import returns an error to it).
    pub fn into_trap(self) -> Result<String, wasmtime::Error> {
        match self {
            ArgError::NotUtf8 { .. } => {
                Err(wasmtime::Error::new(InvalidHostCall(self.to_string())))
            }
            ArgError::TooLarge { .. } => Ok(self.to_string()),
        }
    }
}
