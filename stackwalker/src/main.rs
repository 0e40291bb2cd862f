//! jansky-stackwalker: minidump-stackwalk's `--json` output for many minidumps from one process.
//!
//! minidump-stackwalk parses every symbol file a minidump needs on every run; with real symbol
//! files (100 MB to 1 GB) that parse is most of a walk. This service stays running, takes walk
//! requests on stdin and answers on stdout (see `protocol`), walks several minidumps at once, and
//! keeps parsed symbol files in memory (`symbols`), so each is parsed once, not once per crash.

#[cfg(feature = "fault-injection")]
mod faults;
mod logs;
mod memory;
mod protocol;
mod symbols;
mod walk;

use std::fs::File;
use std::io;
use std::ops::Deref;
use std::str::FromStr;
use std::sync::{mpsc, Arc};
use std::thread;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Parser;
use tokio::sync::Semaphore;
use tracing::error;
use tracing::level_filters::LevelFilter;

use crate::logs::{Captured, WalkLog};
use crate::protocol::{Answer, Operation, Outcome, Request};
use crate::symbols::SymbolCache;
use crate::walk::{Features, WalkRequest};

#[global_allocator]
static ALLOCATOR: memory::CountingAllocator = memory::CountingAllocator;

/// The rust-minidump release this program is built on (its crates are pinned in Cargo.toml).
macro_rules! rust_minidump_version {
    () => {
        "0.27.0"
    };
}

const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (rust-minidump ",
    rust_minidump_version!(),
    ")"
);

/// Walks minidumps as `minidump-stackwalk --json` does, many from one process, keeping parsed
/// symbol files in memory.
///
/// Requests come on stdin and answers go to stdout, as length-prefixed frames (a JSON header and
/// a body); the Jansky processor starts it and speaks that protocol
/// (processor/stackwalker_service.py). It is not meant to be run by hand: to walk one minidump,
/// run minidump-stackwalk.
///
/// Examples (as the processor runs it):
///
///   jansky-stackwalker --cache-size 2gb --max-walks 4
///
///   jansky-stackwalker --version
#[derive(Parser)]
#[command(name = "jansky-stackwalker", version = VERSION, verbatim_doc_comment)]
struct Cli {
    /// Memory for parsed symbol files, least recently used evicted first: bytes, or a number
    /// with kb, mb or gb (units of 1024). A symbol file bigger than this is parsed for the walks
    /// that need it and not kept.
    #[arg(long, default_value = "2gb", value_parser = parse_size)]
    cache_size: u64,

    /// Walks run at once; further requests wait their turn.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1024))]
    max_walks: u32,

    /// Threads that run the walks (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,

    /// Level of each walk's log, as minidump-stackwalk's --verbose.
    #[arg(long, default_value = "error")]
    #[arg(value_parser = PossibleValuesParser::new(["off", "error", "warn", "info", "debug", "trace"]).map(|level| LevelFilter::from_str(&level).unwrap()))]
    verbose: LevelFilter,
}

fn parse_size(text: &str) -> Result<u64, String> {
    let lowered = text.trim().to_ascii_lowercase();
    let (number, unit) = match lowered.find(|c: char| !c.is_ascii_digit()) {
        Some(index) => lowered.split_at(index),
        None => (lowered.as_str(), ""),
    };
    let multiplier: u64 = match unit.trim() {
        "" | "b" => 1,
        "kb" | "k" => 1 << 10,
        "mb" | "m" => 1 << 20,
        "gb" | "g" => 1 << 30,
        "tb" | "t" => 1 << 40,
        other => return Err(format!("unknown unit {other:?} (use b, kb, mb, gb or tb)")),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|value| value.checked_mul(multiplier))
        .ok_or_else(|| format!("not a size: {text:?} (e.g. 2gb, 512mb, 1048576)"))
}

fn main() {
    let cli = Cli::parse();
    let answers = take_stdout();
    logs::init(cli.verbose);
    install_panic_hook();

    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = cli.threads {
        builder.worker_threads(threads as usize);
    }
    let runtime = builder
        .enable_all()
        .thread_name("walker")
        .build()
        .unwrap_or_else(|error| fail(&format!("cannot start the runtime: {error}")));

    let (sender, receiver) = mpsc::channel::<Vec<u8>>();
    let writer = thread::spawn(move || protocol::write_frames(answers, receiver));
    let server = Server {
        cache: Arc::new(SymbolCache::new(cli.cache_size)),
        slots: Arc::new(Semaphore::new(cli.max_walks as usize)),
        answers: sender,
        runtime: runtime.handle().clone(),
    };
    let mut input = io::stdin().lock();
    loop {
        match protocol::read_frame(&mut input) {
            Ok(Some(frame)) => server.serve(frame),
            // The client is gone (or done): nobody reads the answers of walks still running.
            Ok(None) => std::process::exit(0),
            Err(error) => fail(&format!("unreadable request frame: {error}")),
        }
        if writer.is_finished() {
            fail("cannot write answers (the client closed its end)");
        }
    }
}

/// Keep the real stdout for answers and point fd 1 at stderr, so that nothing a library prints
/// can slip into the answer stream.
#[cfg(unix)]
fn take_stdout() -> File {
    use std::os::fd::FromRawFd;
    unsafe {
        let answers = libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3);
        if answers < 0 || libc::dup2(2, 1) < 0 {
            fail(&format!(
                "cannot set up stdout: {}",
                io::Error::last_os_error()
            ));
        }
        File::from_raw_fd(answers)
    }
}

#[cfg(not(unix))]
fn take_stdout() -> io::Stdout {
    io::stdout()
}

/// minidump-stackwalk's panic hook: the panic goes to the log (here, the walk's own log).
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|panic_info| {
        let (filename, line) = panic_info
            .location()
            .map(|location| (location.file(), location.line()))
            .unwrap_or(("<unknown>", 0));
        error!(
            "Panic - A panic occurred at {}:{}: {}",
            filename,
            line,
            panic_text(panic_info.payload())
        );
    }));
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::deref)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("<cause unknown>")
}

fn fail(message: &str) -> ! {
    eprintln!("jansky-stackwalker: {message}");
    std::process::exit(2)
}

struct Server {
    cache: Arc<SymbolCache>,
    slots: Arc<Semaphore>,
    answers: mpsc::Sender<Vec<u8>>,
    runtime: tokio::runtime::Handle,
}

impl Server {
    fn serve(&self, frame: protocol::Frame) {
        let request: Request = match serde_json::from_slice(&frame.header) {
            Ok(request) => request,
            // Without an id there is nobody to answer: the client is broken, stop.
            Err(error) => fail(&format!("unreadable request: {error}")),
        };
        let id = request.id;
        match request.op {
            Operation::Stats => self.answer(Answer {
                stats: Some(self.stats()),
                ..answer(id, Outcome::Stats, 0, 0)
            }),
            Operation::Walk => match walk_request(request, frame.body) {
                Ok(walk) => self.start_walk(id, walk),
                Err(message) => self.answer(Answer {
                    message: Some(message),
                    ..answer(id, Outcome::Refused, 2, 0)
                }),
            },
        }
    }

    fn answer(&self, answer: Answer) {
        self.send(protocol::encode_answer(&answer, b"", b""));
    }

    fn send(&self, frame: Vec<u8>) {
        // A closed channel means the writer failed; main notices and exits.
        let _ = self.answers.send(frame);
    }

    fn stats(&self) -> serde_json::Value {
        let mut stats = serde_json::to_value(self.cache.stats()).expect("plain counters");
        stats["resident_bytes"] = memory::resident_bytes().into();
        stats["heap_bytes"] = memory::live_heap_bytes().into();
        stats
    }

    fn start_walk(&self, id: u64, request: WalkRequest) {
        let cache = self.cache.clone();
        let slots = self.slots.clone();
        let answers = self.answers.clone();
        self.runtime.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("the semaphore is never closed");
            let log = WalkLog::default();
            // A task of its own, so that a panic fails this walk and nothing else.
            let walking = tokio::spawn(Captured::new(log.clone(), walk::walk(request, cache)));
            let frame = match walking.await {
                Ok(result) => {
                    let mut log = log.take();
                    log.extend_from_slice(result.stderr.unwrap_or_default().as_bytes());
                    let header = Answer {
                        symbols: Some(result.symbols),
                        ..answer(id, Outcome::Walked, result.exit_code, log.len())
                    };
                    protocol::encode_answer(&header, &log, &result.output)
                }
                Err(failure) => {
                    let message = match failure.try_into_panic() {
                        Ok(payload) => panic_text(payload.as_ref()).to_string(),
                        Err(failure) => failure.to_string(),
                    };
                    let log = log.take();
                    let header = Answer {
                        message: Some(message),
                        ..answer(id, Outcome::Panicked, 101, log.len())
                    };
                    protocol::encode_answer(&header, &log, b"")
                }
            };
            let _ = answers.send(frame);
        });
    }
}

fn answer(id: u64, outcome: Outcome, exit_code: i32, log_len: usize) -> Answer {
    Answer {
        id,
        outcome,
        exit_code,
        log_len,
        message: None,
        stats: None,
        symbols: None,
    }
}

fn walk_request(request: Request, body: Vec<u8>) -> Result<WalkRequest, String> {
    let dump = request.dump.ok_or("a walk needs a dump path")?;
    Ok(WalkRequest {
        dump,
        evil_json: request.evil_json.then_some(body),
        symbols: request.symbols,
        features: Features::parse(&request.features)?,
        recover_function_args: request.recover_function_args,
        pretty: request.pretty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_the_cache_managers_units() {
        assert_eq!(parse_size("2gb"), Ok(2 << 30));
        assert_eq!(parse_size("512MB"), Ok(512 << 20));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5xb").is_err());
        assert!(parse_size("99999999999tb").is_err());
    }

    #[test]
    fn the_version_names_the_locked_rust_minidump_release() {
        let lock = include_str!("../Cargo.lock");
        for crate_name in [
            "minidump",
            "minidump-common",
            "minidump-processor",
            "minidump-unwind",
            "breakpad-symbols",
        ] {
            let entry = format!(
                "name = \"{crate_name}\"\nversion = \"{}\"\n",
                rust_minidump_version!()
            );
            assert!(lock.contains(&entry), "{crate_name} is not locked at the named release");
        }
        assert!(VERSION.ends_with(concat!("(rust-minidump ", rust_minidump_version!(), ")")));
    }

    #[test]
    fn walk_requests_need_a_dump_and_known_features() {
        let request: Request = serde_json::from_str(r#"{"id": 3}"#).unwrap();
        assert!(walk_request(request, vec![]).is_err());
        let request: Request =
            serde_json::from_str(r#"{"id": 3, "dump": "/d", "features": "all"}"#).unwrap();
        assert!(walk_request(request, vec![]).is_err());
        let request: Request =
            serde_json::from_str(r#"{"id": 3, "dump": "/d", "evil_json": true}"#).unwrap();
        let walk = walk_request(request, b"{}".to_vec()).unwrap();
        assert_eq!(walk.evil_json.as_deref(), Some(&b"{}"[..]));
    }
}
