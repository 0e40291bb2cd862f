//! Faults on purpose, for the processor's fault tests: built only with the `fault-injection`
//! feature (`bin/provision stackwalker-faults`), never into the service the processor runs.
//!
//! A dump whose file name contains one of these markers makes its walk fail that way; the dump
//! itself is an ordinary minidump, so the one-shot minidump-stackwalk the processor falls back on
//! walks it normally.

use std::path::Path;
use std::time::Duration;

/// Marker -> what the walk does.
pub const MARKERS: [&str; 4] = ["fault-panic", "fault-hang", "fault-abort", "fault-memory"];

pub fn inject(dump: &Path) {
    let name = dump
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.contains("fault-panic") {
        panic!("fault injection: a panic while walking {name}");
    }
    if name.contains("fault-hang") {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    if name.contains("fault-abort") {
        std::process::abort();
    }
    if name.contains("fault-memory") {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(vec![1u8; 64 << 20]);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
