//! crashgen: crash on purpose, in distinct ways, and write a real minidump of the crash.
//!
//! `crashgen crash KIND --out DIR` runs as a monitor: it listens on a socket (minidumper) and
//! starts itself again as the child that crashes. The child installs a real crash handler
//! (crash-handler: signal handlers on an alternate stack), then crashes as KIND asks; the handler
//! sends the crash context to the monitor, which writes the child's minidump with minidump-writer
//! (ptrace, as Breakpad's and Crashpad's out-of-process handlers do). The monitor writes
//! `<dump>.json` beside it: the annotations a crash reporter would submit with it.
//!
//! `crashgen snapshot PID --out FILE` writes a minidump of a running process without crashing it
//! (a hang report), for minidumps of large programs that have no crash handler of their own.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const USAGE: &str = "\
crashgen: crash on purpose and write a real minidump of the crash

Usage:
  crashgen crash KIND --out DIR     crash in a child process; print the minidump's path
  crashgen kinds                    list the kinds of crash
  crashgen snapshot PID --out FILE  write a minidump of a running process (it keeps running)

Examples:
  crashgen crash null-deref --out /tmp/dumps
  for kind in $(crashgen kinds); do crashgen crash $kind --out /tmp/dumps; done
  crashgen snapshot 4242 --out /tmp/server.dmp
";

/// Each kind of crash, and what it does.
const KINDS: [(&str, &str); 8] = [
    ("null-deref", "writes through a null pointer (SIGSEGV)"),
    ("abort", "calls abort() (SIGABRT)"),
    ("stack-overflow", "recurses until the stack's guard page (SIGSEGV on the alternate stack)"),
    ("panic", "a Rust panic, turned into an abort by the panic hook; the message is annotated"),
    ("thread", "a null dereference on a second, named thread"),
    ("oom", "an allocation that cannot be satisfied: Rust's out-of-memory abort"),
    ("illegal-instruction", "executes an undefined instruction (SIGILL)"),
    ("divide-by-zero", "an integer division by zero (SIGFPE)"),
];

/// Messages from the crashing child to the monitor: one annotation, `key=value`.
const ANNOTATION: u32 = 1;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["kinds"] => {
            for (kind, _) in KINDS {
                println!("{kind}");
            }
            Ok(())
        }
        ["crash", kind, "--out", out] => monitor(kind, Path::new(out)),
        ["snapshot", pid, "--out", out] => snapshot(pid, Path::new(out)),
        ["child", kind, socket, monitor_pid] => child(kind, socket, monitor_pid),
        ["--help" | "-h" | "help"] => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(format!("unexpected arguments {args:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("crashgen: {message}");
            ExitCode::from(2)
        }
    }
}

fn check_kind(kind: &str) -> Result<(), String> {
    if KINDS.iter().any(|(known, _)| *known == kind) {
        return Ok(());
    }
    let known: Vec<String> = KINDS
        .iter()
        .map(|(name, what)| format!("  {name}: {what}"))
        .collect();
    Err(format!("unknown kind {kind:?}; the kinds are:\n{}", known.join("\n")))
}

// ---- the monitor: receives the crash and writes the minidump ---------------------------------

struct Monitor {
    kind: String,
    out: PathBuf,
    annotations: Mutex<BTreeMap<String, String>>,
    written: Mutex<Option<Result<PathBuf, String>>>,
}

impl minidumper::ServerHandler for Monitor {
    fn create_minidump_file(&self) -> Result<(File, PathBuf), std::io::Error> {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let path = self
            .out
            .join(format!("{}-{stamp}-{}.dmp", self.kind, std::process::id()));
        Ok((File::create(&path)?, path))
    }

    fn on_minidump_created(
        &self,
        result: Result<minidumper::MinidumpBinary, minidumper::Error>,
    ) -> minidumper::LoopAction {
        let written = match result {
            Ok(mut binary) => binary
                .file
                .flush()
                .map(|()| binary.path)
                .map_err(|error| format!("cannot finish the minidump: {error}")),
            Err(error) => Err(format!("minidump-writer failed: {error:#}")),
        };
        *self.written.lock().unwrap() = Some(written);
        minidumper::LoopAction::Exit
    }

    fn on_message(&self, kind: u32, buffer: Vec<u8>) {
        if kind != ANNOTATION {
            return;
        }
        let text = String::from_utf8_lossy(&buffer);
        if let Some((key, value)) = text.split_once('=') {
            self.annotations
                .lock()
                .unwrap()
                .insert(key.to_string(), value.to_string());
        }
    }

    fn on_client_disconnected(&self, clients: usize) -> minidumper::LoopAction {
        // The child went away without a crash report (or after it): nothing more will come.
        if clients == 0 {
            minidumper::LoopAction::Exit
        } else {
            minidumper::LoopAction::Continue
        }
    }
}

fn monitor(kind: &str, out: &Path) -> Result<(), String> {
    check_kind(kind)?;
    std::fs::create_dir_all(out).map_err(|error| format!("cannot create {out:?}: {error}"))?;
    let socket = out.join(format!(".crashgen-{}.sock", std::process::id()));
    let socket_name = socket.to_str().ok_or("the output folder's path is not UTF-8")?;
    let mut server = minidumper::Server::with_name(minidumper::SocketName::path(socket_name))
        .map_err(|error| format!("cannot listen on {socket:?}: {error}"))?;
    let mut child = Command::new(std::env::current_exe().map_err(|error| error.to_string())?)
        .args(["child", kind, socket_name, &std::process::id().to_string()])
        .spawn()
        .map_err(|error| format!("cannot start the crashing child: {error}"))?;
    let handler = Arc::new(Monitor {
        kind: kind.to_string(),
        out: out.to_path_buf(),
        annotations: Mutex::default(),
        written: Mutex::default(),
    });
    let shutdown = std::sync::atomic::AtomicBool::new(false);
    let served = server.run(
        Box::new(SharedMonitor(handler.clone())),
        &shutdown,
        Some(Duration::from_secs(60)),
    );
    let status = child.wait().map_err(|error| error.to_string())?;
    let _ = std::fs::remove_file(&socket);
    served.map_err(|error| format!("the crash monitor failed: {error}"))?;
    let dump = match handler.written.lock().unwrap().take() {
        Some(written) => written?,
        None => return Err(format!("the child exited ({status}) without a crash report")),
    };
    let mut annotations = handler.annotations.lock().unwrap().clone();
    annotations.insert("ProductName".into(), "crashgen".into());
    annotations.insert("Version".into(), env!("CARGO_PKG_VERSION").into());
    annotations.insert("CrashKind".into(), kind.into());
    let json = serde_json_like(&annotations);
    let annotations_path = dump.with_extension("json");
    std::fs::write(&annotations_path, json)
        .map_err(|error| format!("cannot write {annotations_path:?}: {error}"))?;
    println!("{}", dump.display());
    Ok(())
}

/// minidumper takes the handler by value; the monitor keeps a handle to read the results.
struct SharedMonitor(Arc<Monitor>);

impl minidumper::ServerHandler for SharedMonitor {
    fn create_minidump_file(&self) -> Result<(File, PathBuf), std::io::Error> {
        self.0.create_minidump_file()
    }
    fn on_minidump_created(
        &self,
        result: Result<minidumper::MinidumpBinary, minidumper::Error>,
    ) -> minidumper::LoopAction {
        self.0.on_minidump_created(result)
    }
    fn on_message(&self, kind: u32, buffer: Vec<u8>) {
        self.0.on_message(kind, buffer)
    }
    fn on_client_disconnected(&self, clients: usize) -> minidumper::LoopAction {
        self.0.on_client_disconnected(clients)
    }
}

/// A flat JSON object of strings (the annotations), without a JSON library.
fn serde_json_like(annotations: &BTreeMap<String, String>) -> String {
    fn quote(text: &str) -> String {
        let mut quoted = String::with_capacity(text.len() + 2);
        quoted.push('"');
        for character in text.chars() {
            match character {
                '"' => quoted.push_str("\\\""),
                '\\' => quoted.push_str("\\\\"),
                control if (control as u32) < 0x20 => {
                    quoted.push_str(&format!("\\u{:04x}", control as u32))
                }
                other => quoted.push(other),
            }
        }
        quoted.push('"');
        quoted
    }
    let fields: Vec<String> = annotations
        .iter()
        .map(|(key, value)| format!("{}: {}", quote(key), quote(value)))
        .collect();
    format!("{{{}}}\n", fields.join(", "))
}

// ---- the child: installs the crash handler, then crashes -----------------------------------

fn child(kind: &str, socket: &str, monitor_pid: &str) -> Result<(), String> {
    check_kind(kind)?;
    let monitor_pid: u32 = monitor_pid.parse().map_err(|_| "bad monitor pid")?;
    let client = Arc::new(
        minidumper::Client::with_name(minidumper::SocketName::path(socket))
            .map_err(|error| format!("cannot reach the monitor: {error}"))?,
    );
    let reporter = client.clone();
    // SAFETY: the closure only talks to the monitor over an already connected socket.
    let handler = crash_handler::CrashHandler::attach(unsafe {
        crash_handler::make_crash_event(move |context: &crash_handler::CrashContext| {
            let _ = reporter.ping();
            crash_handler::CrashEventResult::Handled(reporter.request_dump(context).is_ok())
        })
    })
    .map_err(|error| format!("cannot install the crash handler: {error}"))?;
    handler.set_ptracer(Some(monitor_pid));
    let annotate = move |key: &str, value: &str| {
        let _ = client.send_message(ANNOTATION, format!("{key}={value}"));
    };
    crash(kind, annotate);
}

fn crash(kind: &str, annotate: impl Fn(&str, &str) + Send + Sync + 'static) -> ! {
    match kind {
        "null-deref" => crash_with_null_deref(),
        "abort" => crash_with_abort(),
        "stack-overflow" => crash_with_stack_overflow(),
        "panic" => crash_with_panic(annotate),
        "thread" => crash_on_a_second_thread(),
        "oom" => crash_out_of_memory(annotate),
        "illegal-instruction" => crash_with_illegal_instruction(),
        "divide-by-zero" => crash_dividing_by_zero(),
        other => unreachable!("unchecked kind {other}"),
    }
}

/// Writes through a null pointer the optimizer cannot see is null (SIGSEGV at address 0).
#[inline(never)]
fn crash_with_null_deref() -> ! {
    let nowhere: *mut u64 = std::hint::black_box(std::ptr::null_mut());
    unsafe { std::ptr::write_volatile(nowhere, 1) };
    unreachable!("wrote through a null pointer")
}

#[inline(never)]
fn crash_with_abort() -> ! {
    unsafe { sadness_generator::raise_abort() }
}

#[inline(never)]
fn crash_with_stack_overflow() -> ! {
    let depth = recurse_until_the_stack_ends(0);
    unreachable!("recursed {depth} times without overflowing")
}

/// Each call keeps a frame the optimizer cannot drop, and adds to the callee's result, so the
/// recursion is neither removed nor turned into a loop.
#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse_until_the_stack_ends(depth: u64) -> u64 {
    let mut frame = [0u8; 512];
    frame[(depth % 512) as usize] = depth as u8;
    let frame = std::hint::black_box(frame);
    recurse_until_the_stack_ends(depth + 1) + u64::from(frame[(depth % 512) as usize])
}

#[inline(never)]
fn crash_with_illegal_instruction() -> ! {
    unsafe { sadness_generator::raise_illegal_instruction() }
}

#[inline(never)]
fn crash_dividing_by_zero() -> ! {
    unsafe { sadness_generator::raise_floating_point_exception() }
}

#[inline(never)]
fn crash_with_panic(annotate: impl Fn(&str, &str) + Send + Sync + 'static) -> ! {
    std::panic::set_hook(Box::new(move |info| {
        // As Firefox does with MOZ_CRASH: the message goes with the report, then abort.
        annotate("MozCrashReason", &info.to_string());
        std::process::abort();
    }));
    parse_the_configuration("{ not really: json }")
}

#[inline(never)]
fn parse_the_configuration(text: &str) -> ! {
    panic!("crashgen: cannot parse the configuration {text:?}")
}

#[inline(never)]
fn crash_on_a_second_thread() -> ! {
    let worker = std::thread::Builder::new()
        .name("crashgen-worker".into())
        .spawn(|| take_the_next_job(std::hint::black_box(std::ptr::null())))
        .expect("cannot start the worker thread");
    let _ = worker.join();
    unreachable!("the worker thread came back")
}

/// The worker reads its next job through a pointer nobody filled in: a null dereference in a
/// function of its own, so its signature differs from the main thread's null dereference.
#[inline(never)]
fn take_the_next_job(job: *const u64) -> u64 {
    let size = unsafe { std::ptr::read_volatile(job) };
    unreachable!("read a job of {size} bytes through a null pointer")
}

#[inline(never)]
fn crash_out_of_memory(annotate: impl Fn(&str, &str)) -> ! {
    let size: usize = 1 << 46; // 64 TiB: more than any allocator here will give
    annotate("OOMAllocationSize", &size.to_string());
    let hoard = std::hint::black_box(vec![0u8; std::hint::black_box(size)]);
    unreachable!("allocated {} bytes", hoard.len())
}

// ---- snapshot: a minidump of a running process ---------------------------------------------

fn snapshot(pid: &str, out: &Path) -> Result<(), String> {
    let pid: i32 = pid.parse().map_err(|_| format!("not a process id: {pid}"))?;
    let mut file = File::create(out).map_err(|error| format!("cannot create {out:?}: {error}"))?;
    minidump_writer::minidump_writer::MinidumpWriterConfig::new(pid, pid)
        .write(&mut file)
        .map_err(|error| format!("cannot write a minidump of process {pid}: {error}"))?;
    println!("{}", out.display());
    Ok(())
}
