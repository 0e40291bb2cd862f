//! Memory accounting: how many bytes a parsed symbol file holds, and the heap in use.
//!
//! The symbol cache is bounded in bytes, so it needs the size of each parsed symbol file. The
//! allocator counts: every thread keeps the net bytes it allocated, and [`Accounted`] adds up the
//! change over each poll of the future that locates and parses one symbol file. What the parse
//! freed again (its buffers) cancels out; what remains is the parsed file. A download frees, in
//! those polls, buffers that the HTTP client's own tasks allocated, so [`structural_size`] (the
//! file's records, counted from its public fields) is the floor of the measure.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::mem::size_of;
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

/// The bytes a parsed symbol file's records take at least: its tables and their strings.
pub fn structural_size(file: &breakpad_symbols::SymbolFile) -> u64 {
    fn vec_bytes<T>(items: &Vec<T>) -> usize {
        items.capacity() * size_of::<T>()
    }
    fn range_map_bytes<V: Clone + std::fmt::Debug + Eq>(
        map: &range_map::RangeMap<u64, V>,
    ) -> usize {
        map.num_ranges() * size_of::<(range_map::Range<u64>, V)>()
    }
    fn strings(map: &HashMap<u32, String>) -> usize {
        map.values()
            .map(|text| text.capacity() + size_of::<(u32, String)>())
            .sum()
    }
    let mut total = size_of::<breakpad_symbols::SymbolFile>()
        + strings(&file.files)
        + strings(&file.inline_origins)
        + vec_bytes(&file.publics)
        + file.publics.iter().map(|public| public.name.capacity()).sum::<usize>()
        + range_map_bytes(&file.functions)
        + range_map_bytes(&file.cfi_stack_info)
        + range_map_bytes(&file.win_stack_framedata_info)
        + range_map_bytes(&file.win_stack_fpo_info);
    for (_, function) in file.functions.ranges_values() {
        total += function.name.capacity()
            + range_map_bytes(&function.lines)
            + vec_bytes(&function.inlinees);
    }
    for (_, cfi) in file.cfi_stack_info.ranges_values() {
        total += cfi.init.rules.capacity()
            + vec_bytes(&cfi.add_rules)
            + cfi
                .add_rules
                .iter()
                .map(|rules| rules.rules.capacity())
                .sum::<usize>();
    }
    total as u64
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
    fn the_structural_size_is_what_the_parse_allocated() {
        let mut text = String::from("MODULE Linux x86_64 ABCDEF0123456789ABCDEF01234567890 app\n");
        text.push_str("FILE 0 app.c\n");
        for index in 0..2000u64 {
            let address = 0x1000 + index * 0x20;
            text.push_str(&format!("FUNC {address:x} 20 0 function_number_{index}\n"));
            text.push_str(&format!("{address:x} 10 {} 0\n", index + 1));
            text.push_str(&format!("{:x} 10 {} 0\n", address + 0x10, index + 2));
            text.push_str(&format!("STACK CFI INIT {address:x} 20 .cfa: $rsp 8 + .ra: .cfa -8 + ^\n"));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (file, measured) = runtime.block_on(Accounted::new(async {
            breakpad_symbols::SymbolFile::from_bytes(text.as_bytes()).unwrap()
        }));
        // The records are nearly all of it: the two agree within a few kilobytes.
        let floor = structural_size(&file);
        assert!(floor > 2000 * 48, "{floor}");
        assert!(floor.abs_diff(measured) < 4096, "{floor} against {measured}");
    }

    #[test]
    fn live_heap_grows_with_allocations() {
        let before = live_heap_bytes();
        let block = vec![7u8; 8 << 20];
        assert!(live_heap_bytes() >= before + (8 << 20) - (1 << 20));
        drop(block);
    }
}
