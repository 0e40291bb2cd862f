//! Memory accounting: how many bytes a parsed symbol file holds, and the heap in use.
//!
//! The symbol cache is bounded in bytes, so it needs the size of each parsed symbol file. The
//! parser's types are private to breakpad-symbols, so instead of estimating from the structure the
//! allocator counts: every thread keeps the net bytes it allocated, and [`Accounted`] adds up the
//! change over each poll of the future that locates and parses one symbol file. What the parse
//! freed again (buffers, the downloaded text) cancels out; what remains is the parsed file.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::task::{Context, Poll};

/// The system allocator (as minidump-stackwalk uses), counting bytes.
pub struct CountingAllocator;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static THREAD_NET_BYTES: Cell<isize> = const { Cell::new(0) };
}

fn record(delta: isize) {
    LIVE_BYTES.fetch_add(delta, Ordering::Relaxed);
    // During thread teardown the slot may be gone; those bytes only miss the per-thread count.
    let _ = THREAD_NET_BYTES.try_with(|net| net.set(net.get() + delta));
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc(layout);
        if !pointer.is_null() {
            record(layout.size() as isize);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc_zeroed(layout);
        if !pointer.is_null() {
            record(layout.size() as isize);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        System.dealloc(pointer, layout);
        record(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_pointer = System.realloc(pointer, layout, new_size);
        if !new_pointer.is_null() {
            record(new_size as isize - layout.size() as isize);
        }
        new_pointer
    }
}

/// Bytes currently allocated on the heap by the whole process.
pub fn live_heap_bytes() -> u64 {
    LIVE_BYTES.load(Ordering::Relaxed).max(0) as u64
}

fn thread_net_bytes() -> isize {
    THREAD_NET_BYTES.with(Cell::get)
}

/// A future that counts the net bytes allocated while it is polled.
pub struct Accounted<F> {
    inner: Pin<Box<F>>,
    net_bytes: isize,
}

impl<F: Future> Accounted<F> {
    pub fn new(inner: F) -> Self {
        Accounted {
            inner: Box::pin(inner),
            net_bytes: 0,
        }
    }
}

impl<F: Future> Future for Accounted<F> {
    /// The inner output and the net bytes allocated while producing it.
    type Output = (F::Output, u64);

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let before = thread_net_bytes();
        let polled = this.inner.as_mut().poll(context);
        this.net_bytes += thread_net_bytes() - before;
        polled.map(|output| (output, this.net_bytes.max(0) as u64))
    }
}

/// Return freed memory to the system after evictions (glibc keeps it otherwise).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The resident set size of this process, in bytes (0 where it cannot be read).
pub fn resident_bytes() -> u64 {
    #[cfg(target_os = "linux")]
    {
        if let Ok(statm) = std::fs::read_to_string("/proc/self/statm") {
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(0) as u64;
            if let Some(pages) = statm.split_whitespace().nth(1) {
                return pages.parse::<u64>().unwrap_or(0) * page;
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_allocations_are_counted_and_temporaries_cancel_out() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (kept, bytes) = runtime.block_on(Accounted::new(async {
            let temporary = vec![0u8; 1 << 20];
            drop(temporary);
            tokio::task::yield_now().await;
            vec![1u8; 300_000]
        }));
        assert_eq!(kept.len(), 300_000);
        assert!((300_000..310_000).contains(&bytes), "{bytes}");
    }

    #[test]
    fn live_heap_grows_with_allocations() {
        let before = live_heap_bytes();
        let block = vec![7u8; 8 << 20];
        assert!(live_heap_bytes() >= before + (8 << 20) - (1 << 20));
        drop(block);
    }
}
