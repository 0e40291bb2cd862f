//! Each walk's own log, as minidump-stackwalk would have written it to its stderr.
//!
//! The processor reads the status of a failed walk from the first log line (`ERROR <Name> - ...`),
//! so every walk needs the lines its own processing emitted, even while other walks run on the
//! same threads. One global `tracing` subscriber is set up exactly as minidump-stackwalk sets up
//! its own (no time, no target, no colours, the same level); its writer appends to the log of the
//! walk being polled on the current thread. [`Captured`] marks that walk around every poll.

use std::cell::RefCell;
use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tracing::level_filters::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The log lines of one walk.
#[derive(Clone, Default)]
pub struct WalkLog(Arc<Mutex<Vec<u8>>>);

impl WalkLog {
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    fn append(&self, bytes: &[u8]) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(bytes);
    }
}

thread_local! {
    static CURRENT: RefCell<Option<WalkLog>> = const { RefCell::new(None) };
}

/// A future whose log events go to `log`, on whichever thread polls it.
pub struct Captured<F> {
    inner: Pin<Box<F>>,
    log: WalkLog,
}

impl<F: Future> Captured<F> {
    pub fn new(log: WalkLog, inner: F) -> Self {
        Captured {
            inner: Box::pin(inner),
            log,
        }
    }
}

impl<F: Future> Future for Captured<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let previous = CURRENT.with(|current| current.replace(Some(this.log.clone())));
        // Restored even if the walk panics, so the thread's next task logs to its own walk.
        let _restore = Restore(Some(previous));
        this.inner.as_mut().poll(context)
    }
}

struct Restore(Option<Option<WalkLog>>);

impl Drop for Restore {
    fn drop(&mut self) {
        if let Some(previous) = self.0.take() {
            CURRENT.with(|current| *current.borrow_mut() = previous);
        }
    }
}

/// Writes to the current walk's log, or to the service's stderr outside any walk.
pub struct RoutedWriter;

pub struct RoutedLine(Option<WalkLog>);

impl Write for RoutedLine {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match &self.0 {
            Some(log) => {
                log.append(bytes);
                Ok(bytes.len())
            }
            None => io::stderr().write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for RoutedWriter {
    type Writer = RoutedLine;

    fn make_writer(&'a self) -> RoutedLine {
        RoutedLine(CURRENT.with(|current| current.borrow().clone()))
    }
}

/// Install the subscriber: minidump-stackwalk's format at `level`, routed per walk.
pub fn init(level: LevelFilter) {
    tracing_subscriber::fmt::fmt()
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_writer(RoutedWriter)
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::subscriber::with_default;

    fn subscriber() -> impl tracing::Subscriber + Send + Sync {
        tracing_subscriber::fmt::fmt()
            .with_max_level(LevelFilter::ERROR)
            .with_target(false)
            .without_time()
            .with_ansi(false)
            .with_writer(RoutedWriter)
            .finish()
    }

    #[test]
    fn events_go_to_the_walk_being_polled_in_minidump_stackwalks_format() {
        with_default(subscriber(), || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            let (first, second) = (WalkLog::default(), WalkLog::default());
            runtime.block_on(async {
                let a = Captured::new(first.clone(), async {
                    tracing::error!("MissingThreadList - Error reading dump: {}", "x");
                    tokio::task::yield_now().await;
                    tracing::warn!("below the level");
                    tracing::error!("second line");
                });
                let b = Captured::new(second.clone(), async {
                    tokio::task::yield_now().await;
                    tracing::error!("other walk");
                });
                tokio::join!(a, b);
            });
            assert_eq!(
                String::from_utf8(first.take()).unwrap(),
                "ERROR MissingThreadList - Error reading dump: x\nERROR second line\n"
            );
            assert_eq!(
                String::from_utf8(second.take()).unwrap(),
                "ERROR other walk\n"
            );
        });
    }

    #[test]
    fn the_walk_is_unmarked_after_a_panic() {
        let log = WalkLog::default();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime.block_on(Captured::new(log.clone(), async { panic!("boom") }));
        }));
        assert!(result.is_err());
        assert!(CURRENT.with(|current| current.borrow().is_none()));
    }
}
