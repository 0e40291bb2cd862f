//! One walk: what `minidump-stackwalk --json` does for one minidump, minus the process.
//!
//! The steps, messages and exit codes follow minidump-stackwalk 0.27.0's `main`: read the dump,
//! process it with the options its flags give, print the JSON; a dump that cannot be read or
//! processed logs `ERROR <Name> - Error ...` and "exits" 1 with no output.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minidump::Minidump;
use minidump_processor::ProcessorOptions;
use tracing::error;

use crate::symbols::{SourceCounts, SymbolCache, SymbolSettings, WalkSymbols};

/// What to walk and how (minidump-stackwalk's flags that matter to `--json`).
pub struct WalkRequest {
    pub dump: PathBuf,
    pub evil_json: Option<Vec<u8>>,
    pub symbols: Option<SymbolSettings>,
    pub features: Features,
    pub recover_function_args: bool,
    pub pretty: bool,
}

/// minidump-stackwalk's `--features`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Features {
    StableBasic,
    StableAll,
    UnstableAll,
}

impl Features {
    pub fn parse(name: &str) -> Result<Features, String> {
        match name {
            "stable-basic" => Ok(Features::StableBasic),
            "stable-all" => Ok(Features::StableAll),
            "unstable-all" => Ok(Features::UnstableAll),
            other => Err(format!(
                "unknown features {other:?} (stable-basic, stable-all or unstable-all)"
            )),
        }
    }

    fn options(self) -> ProcessorOptions<'static> {
        match self {
            Features::StableBasic => ProcessorOptions::stable_basic(),
            Features::StableAll => ProcessorOptions::stable_all(),
            Features::UnstableAll => ProcessorOptions::unstable_all(),
        }
    }
}

/// The exit code minidump-stackwalk would have had, its standard output, and what it would
/// have printed on stderr besides its log.
pub struct WalkResult {
    pub exit_code: i32,
    pub output: Vec<u8>,
    pub stderr: Option<String>,
    /// Where the walk's modules got their symbols from (not part of minidump-stackwalk's
    /// output: the processor turns it into metrics).
    pub symbols: SourceCounts,
}

/// Walk one minidump; log lines go to the walk's log through `tracing`.
pub async fn walk(request: WalkRequest, cache: Arc<SymbolCache>) -> WalkResult {
    #[cfg(feature = "fault-injection")]
    crate::faults::inject(&request.dump);
    let evil = match request.evil_json.as_deref().map(EvilJson::new).transpose() {
        Ok(evil) => evil,
        Err(failure) => {
            // minidump-stackwalk reports an unreadable --evil-json the same way.
            error!("Could not load Extra JSON at {:?}", failure.path);
            None
        }
    };
    let mut options = request.features.options();
    options.evil_json = evil.as_ref().map(EvilJson::path);
    options.recover_function_args = request.recover_function_args;

    let dump = match Minidump::read_path(&request.dump) {
        Ok(dump) => dump,
        Err(err) => {
            error!("{} - Error reading dump: {}", err.name(), err);
            return failed();
        }
    };
    let provider = WalkSymbols::new(cache, request.symbols);
    let result = match minidump_processor::process_minidump_with_options(&dump, &provider, options)
        .await
    {
        Ok(state) => {
            let mut output = Vec::with_capacity(64 << 10);
            match state.print_json(&mut output, request.pretty) {
                Ok(()) => WalkResult {
                    exit_code: 0,
                    output,
                    stderr: None,
                    symbols: SourceCounts::default(),
                },
                // minidump-stackwalk's main prints this on stderr, outside its log format.
                Err(err) => WalkResult {
                    stderr: Some(format!("Error: {err}\n")),
                    ..failed()
                },
            }
        }
        Err(err) => {
            error!("{} - Error processing dump: {}", err.name(), err);
            failed()
        }
    };
    WalkResult {
        symbols: provider.sources(),
        ..result
    }
}

fn failed() -> WalkResult {
    WalkResult {
        exit_code: 1,
        output: Vec::new(),
        stderr: None,
        symbols: SourceCounts::default(),
    }
}

/// The raw crash as a file the processor can open by path, as `--evil-json` gives it: a memory
/// file on Linux (no disk), a temporary file elsewhere.
struct EvilJson {
    path: PathBuf,
    _file: Holder,
}

#[allow(dead_code)] // each platform uses one variant; the value only keeps the file open
enum Holder {
    Memory(File),
    Temporary(tempfile::NamedTempFile),
}

struct EvilJsonFailure {
    path: PathBuf,
}

impl EvilJson {
    fn new(contents: &[u8]) -> Result<EvilJson, EvilJsonFailure> {
        Self::in_memory(contents)
            .or_else(|_| Self::temporary(contents))
            .map_err(|_| EvilJsonFailure {
                path: PathBuf::from("<evil json>"),
            })
    }

    #[cfg(target_os = "linux")]
    fn in_memory(contents: &[u8]) -> io::Result<EvilJson> {
        use std::os::fd::{AsRawFd, FromRawFd};
        let descriptor = unsafe { libc::memfd_create(c"evil-json".as_ptr(), libc::MFD_CLOEXEC) };
        if descriptor < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut file = unsafe { File::from_raw_fd(descriptor) };
        file.write_all(contents)?;
        Ok(EvilJson {
            path: PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd())),
            _file: Holder::Memory(file),
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn in_memory(_contents: &[u8]) -> io::Result<EvilJson> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    fn temporary(contents: &[u8]) -> io::Result<EvilJson> {
        let mut file = tempfile::NamedTempFile::new()?;
        file.write_all(contents)?;
        file.flush()?;
        Ok(EvilJson {
            path: file.path().to_path_buf(),
            _file: Holder::Temporary(file),
        })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evil_json_reads_back_through_its_path() {
        let evil = EvilJson::new(b"{\"ModuleSignatureInfo\": {}}").ok().unwrap();
        assert_eq!(
            std::fs::read(evil.path()).unwrap(),
            b"{\"ModuleSignatureInfo\": {}}"
        );
        let temporary = EvilJson::temporary(b"[]").unwrap();
        assert_eq!(std::fs::read(temporary.path()).unwrap(), b"[]");
    }

    #[test]
    fn features_are_minidump_stackwalks() {
        assert_eq!(Features::parse("stable-all"), Ok(Features::StableAll));
        assert!(Features::parse("everything").is_err());
    }

    #[tokio::test]
    async fn a_file_that_is_no_minidump_fails_as_minidump_stackwalk_does() {
        let directory = tempfile::tempdir().unwrap();
        let dump = directory.path().join("empty.dmp");
        std::fs::write(&dump, b"").unwrap();
        let log = crate::logs::WalkLog::default();
        let request = WalkRequest {
            dump,
            evil_json: None,
            symbols: None,
            features: Features::StableBasic,
            recover_function_args: false,
            pretty: false,
        };
        let cache = Arc::new(SymbolCache::new(1 << 20));
        let result = crate::logs::Captured::new(log.clone(), walk(request, cache)).await;
        assert_eq!(result.exit_code, 1);
        assert!(result.output.is_empty());
    }
}
