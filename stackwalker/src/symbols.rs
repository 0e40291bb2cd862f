//! Symbols for many walks: parsed symbol files shared in a byte-bounded LRU, seen by each walk as
//! minidump-stackwalk's own `Symbolizer` would show them.
//!
//! minidump-stackwalk builds a `Symbolizer` per run: it looks each module up once, keeps the
//! result for the run, and reports per-module statistics (`loaded_symbols`, `symbol_url`, ...)
//! that end up in the JSON. A `Symbolizer` kept for many runs would never forget a module, missing
//! ones included, and would mix every run's statistics. So each walk gets a [`WalkSymbols`] with
//! the `Symbolizer`'s per-run behaviour, over one [`SymbolCache`] that keeps the symbol files
//! found, parsed, by module. Only found files are kept: a module without symbols is looked up
//! again by the next walk, as the next minidump-stackwalk run would, so symbols uploaded later
//! are found. Concurrent walks that need the same module wait for one load.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use breakpad_symbols::{
    breakpad_sym_lookup, DebugInfoResult, FileError, FileKind, FillSymbolError, FrameSymbolizer,
    FrameWalker, LocateSymbolsResult, Module, SymbolError, SymbolFile, SymbolStats,
    SymbolSupplier,
};
use minidump_unwind::{http_symbol_supplier, simple_symbol_supplier, SymbolProvider};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::memory::{release_free_memory, structural_size, Accounted};

/// Where symbols come from: minidump-stackwalk's `--symbols-url`, `--symbols-path`,
/// `--symbols-cache`, `--symbols-tmp` and `--symbols-download-timeout-secs`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymbolSettings {
    #[serde(default)]
    pub urls: Vec<String>,
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    #[serde(default)]
    pub cache: Option<PathBuf>,
    #[serde(default)]
    pub tmp: Option<PathBuf>,
    #[serde(default = "default_download_timeout")]
    pub download_timeout_secs: u64,
}

fn default_download_timeout() -> u64 {
    1000
}

type Supplier = Box<dyn SymbolSupplier + Send + Sync>;

impl SymbolSettings {
    /// Whether minidump-stackwalk would look for symbols at all with these settings.
    pub fn has_sources(&self) -> bool {
        !self.urls.is_empty() || !self.paths.is_empty()
    }

    /// The supplier minidump-stackwalk builds from the same flags, with its defaults.
    fn supplier(&self) -> Supplier {
        if self.urls.is_empty() {
            return Box::new(simple_symbol_supplier(self.paths.clone()));
        }
        let temp = std::env::temp_dir();
        Box::new(http_symbol_supplier(
            self.paths.clone(),
            self.urls.clone(),
            self.cache
                .clone()
                .unwrap_or_else(|| temp.join("rust-minidump-cache")),
            self.tmp.clone().unwrap_or(temp),
            Duration::from_secs(self.download_timeout_secs),
        ))
    }

    /// Where the module's symbol file already was before a lookup: a local symbols path, the
    /// on-disk cache (only searched when there are symbol servers), or neither.
    fn on_disk(&self, module: &(dyn Module + Sync)) -> Option<Source> {
        let relative = breakpad_sym_lookup(module)?.cache_rel;
        if self.paths.iter().any(|path| path.join(&relative).is_file()) {
            return Some(Source::Local);
        }
        let cache = self.cache.as_ref().filter(|_| !self.urls.is_empty())?;
        cache.join(&relative).is_file().then_some(Source::Cache)
    }
}

/// Where one walk got a module's symbols from, for the processor's hit and miss metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Parsed already, in this service's memory.
    Memory,
    /// A local symbols path (`--symbols-path`).
    Local,
    /// The on-disk symbols cache (`--symbols-cache`): downloaded by an earlier lookup.
    Cache,
    /// Downloaded from a symbol server now (a miss of the on-disk cache).
    Download,
    /// Found nowhere (or unusable).
    Missing,
}

/// How many modules of one walk came from each [`Source`].
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct SourceCounts {
    pub memory: u64,
    pub local: u64,
    pub cache: u64,
    pub download: u64,
    pub missing: u64,
}

impl SourceCounts {
    fn add(&mut self, source: Source) {
        let counter = match source {
            Source::Memory => &mut self.memory,
            Source::Local => &mut self.local,
            Source::Cache => &mut self.cache,
            Source::Download => &mut self.download,
            Source::Missing => &mut self.missing,
        };
        *counter += 1;
    }
}

/// The `Symbolizer`'s module key: code file and id, debug file and id.
type ModuleKey = (String, Option<String>, Option<String>, Option<String>);

fn module_key(module: &(dyn Module + Sync)) -> ModuleKey {
    (
        module.code_file().to_string(),
        module.code_identifier().map(|id| id.to_string()),
        module.debug_file().map(|file| file.to_string()),
        module.debug_identifier().map(|id| id.to_string()),
    )
}

/// The statistics key minidump-stackwalk uses: the code file's last path component.
fn leafname(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// A parsed symbol file and what the supplier said along with it.
pub struct LoadedSymbols {
    file: SymbolFile,
    extra_debug_info: Option<DebugInfoResult>,
}

/// Why a module has no usable symbols (only the kind matters for the statistics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Missing {
    NotFound,
    MissingDebugFileOrId,
    LoadError,
    ParseError,
}

impl From<&SymbolError> for Missing {
    fn from(error: &SymbolError) -> Missing {
        match error {
            SymbolError::NotFound => Missing::NotFound,
            SymbolError::MissingDebugFileOrId => Missing::MissingDebugFileOrId,
            SymbolError::LoadError(_) => Missing::LoadError,
            SymbolError::ParseError(..) => Missing::ParseError,
        }
    }
}

type Lookup = Result<Arc<LoadedSymbols>, Missing>;

/// The `Symbolizer`'s statistics for one lookup.
fn stats_of(lookup: &Lookup) -> SymbolStats {
    let mut stats = SymbolStats::default();
    match lookup {
        Ok(loaded) => {
            stats.symbol_url.clone_from(&loaded.file.url);
            stats.loaded_symbols = true;
            stats.corrupt_symbols = false;
            stats.extra_debug_info.clone_from(&loaded.extra_debug_info);
        }
        Err(Missing::NotFound | Missing::MissingDebugFileOrId | Missing::LoadError) => {
            stats.loaded_symbols = false;
        }
        Err(Missing::ParseError) => {
            stats.loaded_symbols = true;
            stats.corrupt_symbols = true;
        }
    }
    stats
}

type CacheKey = (SymbolSettings, ModuleKey);

struct Entry {
    symbols: Arc<LoadedSymbols>,
    bytes: u64,
    last_use: u64,
}

/// The LRU proper: entries by key, and keys by last use.
#[derive(Default)]
struct Lru {
    entries: HashMap<CacheKey, Entry>,
    by_use: BTreeMap<u64, CacheKey>,
    clock: u64,
    bytes: u64,
}

impl Lru {
    fn get(&mut self, key: &CacheKey) -> Option<Arc<LoadedSymbols>> {
        let entry = self.entries.get_mut(key)?;
        self.clock += 1;
        self.by_use.remove(&entry.last_use);
        entry.last_use = self.clock;
        self.by_use.insert(self.clock, key.clone());
        Some(entry.symbols.clone())
    }

    /// Insert, then evict the least recently used entries until the total fits `budget`;
    /// returns how many were evicted.
    fn insert(&mut self, key: CacheKey, symbols: Arc<LoadedSymbols>, bytes: u64, budget: u64) -> u64 {
        self.clock += 1;
        if let Some(old) = self.entries.insert(
            key.clone(),
            Entry {
                symbols,
                bytes,
                last_use: self.clock,
            },
        ) {
            self.by_use.remove(&old.last_use);
            self.bytes -= old.bytes;
        }
        self.by_use.insert(self.clock, key);
        self.bytes += bytes;
        let mut evicted = 0;
        while self.bytes > budget {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            if let Some(entry) = self.entries.remove(&oldest) {
                self.bytes -= entry.bytes;
                evicted += 1;
            }
        }
        evicted
    }
}

/// Counters reported by a stats request.
#[derive(Debug, Default, Clone, Serialize)]
pub struct CacheStats {
    pub entries: usize,
    pub bytes: u64,
    pub budget: u64,
    pub hits: u64,
    /// Supplier look-ups (memory misses), found or not.
    pub lookups: u64,
    /// Symbol files found and parsed.
    pub loads: u64,
    pub evictions: u64,
    pub too_big: u64,
    pub load_seconds: f64,
}

/// Parsed symbol files shared by every walk, bounded by `budget` bytes.
pub struct SymbolCache {
    budget: u64,
    lru: Mutex<Lru>,
    loading: Mutex<HashMap<CacheKey, Arc<OnceCell<Lookup>>>>,
    stats: Mutex<CacheStats>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing here is left half-updated by a panic elsewhere; keep serving.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SymbolCache {
    pub fn new(budget: u64) -> SymbolCache {
        SymbolCache {
            budget,
            lru: Mutex::default(),
            loading: Mutex::default(),
            stats: Mutex::new(CacheStats {
                budget,
                ..CacheStats::default()
            }),
        }
    }

    pub fn stats(&self) -> CacheStats {
        let lru = lock(&self.lru);
        let mut stats = lock(&self.stats).clone();
        stats.entries = lru.entries.len();
        stats.bytes = lru.bytes;
        stats
    }

    fn cached(&self, key: &CacheKey) -> Option<Arc<LoadedSymbols>> {
        let hit = lock(&self.lru).get(key);
        if hit.is_some() {
            lock(&self.stats).hits += 1;
        }
        hit
    }

    /// The module's symbols from memory, or located and parsed by `supplier` (once, however
    /// many walks ask at the same time), and where they came from for this caller (a walk that
    /// waited for another's load got them from memory).
    async fn get(
        &self,
        settings: &SymbolSettings,
        module: &(dyn Module + Sync),
        supplier: &(dyn SymbolSupplier + Send + Sync),
    ) -> (Lookup, Source) {
        let key = (settings.clone(), module_key(module));
        if let Some(hit) = self.cached(&key) {
            return (Ok(hit), Source::Memory);
        }
        let cell = lock(&self.loading).entry(key.clone()).or_default().clone();
        let loaded_here = Mutex::new(None);
        let lookup = cell
            .get_or_init(|| async {
                // Another walk may have finished this load since the first look.
                if let Some(hit) = self.cached(&key) {
                    return Ok(hit);
                }
                let before = settings.on_disk(module);
                let lookup = self.load(key.clone(), module, supplier).await;
                let source = match (&lookup, before) {
                    (Err(_), _) => Source::Missing,
                    (Ok(_), Some(source)) => source,
                    (Ok(_), None) => Source::Download,
                };
                *lock(&loaded_here) = Some(source);
                lookup
            })
            .await
            .clone();
        let mut loading = lock(&self.loading);
        if loading.get(&key).is_some_and(|current| Arc::ptr_eq(current, &cell)) {
            loading.remove(&key);
        }
        drop(loading);
        let waited = if lookup.is_ok() { Source::Memory } else { Source::Missing };
        let source = lock(&loaded_here).unwrap_or(waited);
        (lookup, source)
    }

    async fn load(
        &self,
        key: CacheKey,
        module: &(dyn Module + Sync),
        supplier: &(dyn SymbolSupplier + Send + Sync),
    ) -> Lookup {
        let started = Instant::now();
        let (located, bytes): (Result<LocateSymbolsResult, SymbolError>, u64) =
            Accounted::new(supplier.locate_symbols(module)).await;
        let mut stats = lock(&self.stats);
        stats.lookups += 1;
        stats.load_seconds += started.elapsed().as_secs_f64();
        let located = located.map_err(|error| Missing::from(&error))?;
        stats.loads += 1;
        let bytes = bytes.max(structural_size(&located.symbols));
        let symbols = Arc::new(LoadedSymbols {
            file: located.symbols,
            extra_debug_info: located.extra_debug_info,
        });
        if bytes > self.budget {
            // Used by the walks holding it now, then dropped: it would evict everything else.
            stats.too_big += 1;
            return Ok(symbols);
        }
        drop(stats);
        let evicted = lock(&self.lru).insert(key, symbols.clone(), bytes, self.budget);
        if evicted > 0 {
            lock(&self.stats).evictions += evicted;
            release_free_memory();
        }
        Ok(symbols)
    }
}

/// One walk's view of the symbols: minidump-stackwalk's `Symbolizer` for a single run, backed by
/// the shared cache.
pub struct WalkSymbols {
    cache: Arc<SymbolCache>,
    settings: Option<SymbolSettings>,
    /// Built on the first module not in memory (an HTTP supplier builds a client).
    supplier: OnceLock<Supplier>,
    seen: Mutex<HashMap<ModuleKey, Arc<OnceCell<Lookup>>>>,
    stats: Mutex<HashMap<String, SymbolStats>>,
    sources: Mutex<SourceCounts>,
}

impl WalkSymbols {
    /// `settings` without sources is minidump-stackwalk given no symbol flags: no symbols.
    pub fn new(cache: Arc<SymbolCache>, settings: Option<SymbolSettings>) -> WalkSymbols {
        WalkSymbols {
            cache,
            settings: settings.filter(SymbolSettings::has_sources),
            supplier: OnceLock::new(),
            seen: Mutex::default(),
            stats: Mutex::default(),
            sources: Mutex::default(),
        }
    }

    /// Where this walk's modules got their symbols from, one count per module looked up.
    pub fn sources(&self) -> SourceCounts {
        lock(&self.sources).clone()
    }

    fn supplier(&self, settings: &SymbolSettings) -> &(dyn SymbolSupplier + Send + Sync) {
        self.supplier.get_or_init(|| settings.supplier()).as_ref()
    }

    async fn symbols(&self, module: &(dyn Module + Sync)) -> Lookup {
        let Some(settings) = &self.settings else {
            return Err(Missing::NotFound);
        };
        let cell = lock(&self.seen).entry(module_key(module)).or_default().clone();
        cell.get_or_init(|| async {
            let (lookup, source) = self
                .cache
                .get(settings, module, self.supplier(settings))
                .await;
            lock(&self.sources).add(source);
            let name = leafname(module.code_file().as_ref()).to_string();
            lock(&self.stats).insert(name, stats_of(&lookup));
            lookup
        })
        .await
        .clone()
    }
}

#[async_trait]
impl SymbolProvider for WalkSymbols {
    async fn fill_symbol(
        &self,
        module: &(dyn Module + Sync),
        frame: &mut (dyn FrameSymbolizer + Send),
    ) -> Result<(), FillSymbolError> {
        let loaded = self.symbols(module).await.map_err(|_| FillSymbolError {})?;
        loaded.file.fill_symbol(module, frame);
        Ok(())
    }

    async fn walk_frame(
        &self,
        module: &(dyn Module + Sync),
        walker: &mut (dyn FrameWalker + Send),
    ) -> Option<()> {
        let loaded = self.symbols(module).await.ok()?;
        loaded.file.walk_frame(module, walker)
    }

    async fn get_file_path(
        &self,
        module: &(dyn Module + Sync),
        file_kind: FileKind,
    ) -> Result<PathBuf, FileError> {
        match &self.settings {
            Some(settings) => self.supplier(settings).locate_file(module, file_kind).await,
            None => Err(FileError::NotFound),
        }
    }

    fn stats(&self) -> HashMap<String, SymbolStats> {
        lock(&self.stats).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use breakpad_symbols::SimpleModule;
    use std::str::FromStr;

    const SYMBOLS: &str = "MODULE Linux x86_64 ABCDEF0123456789ABCDEF01234567890 app\n\
                           FILE 0 app.c\n\
                           FUNC 1000 10 0 main\n\
                           1000 10 3 0\n";

    fn module(name: &str) -> SimpleModule {
        let id = debugid::DebugId::from_str("ABCDEF01-2345-6789-ABCD-EF0123456789-0")
            .unwrap();
        let mut module = SimpleModule::new(name, id);
        module.code_file = Some(name.to_string());
        module
    }

    fn settings_with(directory: &std::path::Path, name: &str, body: &str) -> SymbolSettings {
        let folder = directory.join(name).join("ABCDEF0123456789ABCDEF01234567890");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("{name}.sym")), body).unwrap();
        SymbolSettings {
            urls: vec![],
            paths: vec![directory.to_path_buf()],
            cache: None,
            tmp: None,
            download_timeout_secs: 1000,
        }
    }

    fn key(settings: &SymbolSettings, name: &str) -> CacheKey {
        (settings.clone(), module_key(&module(name)))
    }

    #[tokio::test]
    async fn a_symbol_file_is_parsed_once_for_many_walks() {
        let directory = tempfile::tempdir().unwrap();
        let settings = settings_with(directory.path(), "app", SYMBOLS);
        let cache = Arc::new(SymbolCache::new(1 << 30));
        for _ in 0..3 {
            let walk = WalkSymbols::new(cache.clone(), Some(settings.clone()));
            let mut frame = breakpad_symbols::SimpleFrame::with_instruction(0x1004);
            walk.fill_symbol(&module("app"), &mut frame).await.unwrap();
            assert_eq!(frame.function.as_deref(), Some("main"));
            let stats = walk.stats();
            assert!(stats["app"].loaded_symbols);
            assert!(!stats["app"].corrupt_symbols);
        }
        let stats = cache.stats();
        assert_eq!((stats.loads, stats.hits, stats.entries), (1, 2, 1));
        assert!(stats.bytes > 0);
    }

    #[tokio::test]
    async fn each_walk_counts_where_its_modules_symbols_came_from() {
        let directory = tempfile::tempdir().unwrap();
        let settings = settings_with(directory.path(), "app", SYMBOLS);
        let cache = Arc::new(SymbolCache::new(1 << 30));
        let mut frame = breakpad_symbols::SimpleFrame::with_instruction(0x1004);
        let first = WalkSymbols::new(cache.clone(), Some(settings.clone()));
        first.fill_symbol(&module("app"), &mut frame).await.unwrap();
        first.fill_symbol(&module("app"), &mut frame).await.unwrap(); // once per module
        assert!(first.fill_symbol(&module("other"), &mut frame).await.is_err());
        let counts = first.sources();
        assert_eq!((counts.local, counts.missing, counts.memory), (1, 1, 0));
        let second = WalkSymbols::new(cache, Some(settings));
        second.fill_symbol(&module("app"), &mut frame).await.unwrap();
        assert_eq!(second.sources(), SourceCounts { memory: 1, ..SourceCounts::default() });
    }

    #[tokio::test]
    async fn a_file_in_the_on_disk_cache_is_a_cache_hit() {
        let cache_dir = tempfile::tempdir().unwrap();
        let settings = SymbolSettings {
            // Nothing listens there: a lookup the cache cannot answer finds nothing.
            urls: vec!["http://127.0.0.1:9/".to_string()],
            paths: vec![],
            cache: Some(cache_dir.path().to_path_buf()),
            tmp: Some(cache_dir.path().to_path_buf()),
            download_timeout_secs: 5,
        };
        settings_with(cache_dir.path(), "app", SYMBOLS);
        let walk = WalkSymbols::new(Arc::new(SymbolCache::new(1 << 30)), Some(settings));
        let mut frame = breakpad_symbols::SimpleFrame::with_instruction(0x1004);
        walk.fill_symbol(&module("app"), &mut frame).await.unwrap();
        assert!(walk.fill_symbol(&module("other"), &mut frame).await.is_err());
        let counts = walk.sources();
        assert_eq!((counts.cache, counts.missing, counts.download), (1, 1, 0));
    }

    #[tokio::test]
    async fn missing_symbols_are_looked_up_again_by_the_next_walk() {
        let directory = tempfile::tempdir().unwrap();
        let settings = SymbolSettings {
            paths: vec![directory.path().to_path_buf()],
            ..settings_with(directory.path(), "other", SYMBOLS)
        };
        let cache = Arc::new(SymbolCache::new(1 << 30));
        let first = WalkSymbols::new(cache.clone(), Some(settings.clone()));
        let mut frame = breakpad_symbols::SimpleFrame::with_instruction(0x1004);
        assert!(first.fill_symbol(&module("app"), &mut frame).await.is_err());
        assert!(!first.stats()["app"].loaded_symbols);
        // Uploaded after the first walk: the next walk finds it.
        settings_with(directory.path(), "app", SYMBOLS);
        let second = WalkSymbols::new(cache.clone(), Some(settings));
        assert!(second.fill_symbol(&module("app"), &mut frame).await.is_ok());
        let stats = cache.stats();
        assert_eq!((stats.lookups, stats.loads), (2, 1));
    }

    #[tokio::test]
    async fn corrupt_symbols_are_reported_as_minidump_stackwalk_reports_them() {
        let directory = tempfile::tempdir().unwrap();
        let settings = settings_with(directory.path(), "app", "MODULE broken\n");
        let cache = Arc::new(SymbolCache::new(1 << 30));
        let walk = WalkSymbols::new(cache.clone(), Some(settings));
        let mut frame = breakpad_symbols::SimpleFrame::with_instruction(0x1004);
        assert!(walk.fill_symbol(&module("app"), &mut frame).await.is_err());
        let stats = &walk.stats()["app"];
        assert!(stats.loaded_symbols && stats.corrupt_symbols);
        assert_eq!(cache.stats().entries, 0);
    }

    #[tokio::test]
    async fn no_sources_means_no_lookups() {
        let cache = Arc::new(SymbolCache::new(1 << 30));
        let walk = WalkSymbols::new(cache.clone(), Some(SymbolSettings {
            urls: vec![],
            paths: vec![],
            cache: None,
            tmp: None,
            download_timeout_secs: 1000,
        }));
        let mut frame = breakpad_symbols::SimpleFrame::with_instruction(0x1004);
        assert!(walk.fill_symbol(&module("app"), &mut frame).await.is_err());
        assert!(walk.stats().is_empty());
        assert_eq!(cache.stats().lookups, 0);
    }

    fn loaded() -> Arc<LoadedSymbols> {
        Arc::new(LoadedSymbols {
            file: SymbolFile::from_bytes(SYMBOLS.as_bytes()).unwrap(),
            extra_debug_info: None,
        })
    }

    #[test]
    fn the_least_recently_used_entries_go_first_when_over_budget() {
        let directory = tempfile::tempdir().unwrap();
        let settings = settings_with(directory.path(), "a", SYMBOLS);
        let mut lru = Lru::default();
        assert_eq!(lru.insert(key(&settings, "a"), loaded(), 40, 100), 0);
        assert_eq!(lru.insert(key(&settings, "b"), loaded(), 40, 100), 0);
        assert!(lru.get(&key(&settings, "a")).is_some()); // b is now the oldest
        assert_eq!(lru.insert(key(&settings, "c"), loaded(), 40, 100), 1);
        assert!(lru.get(&key(&settings, "b")).is_none());
        assert!(lru.get(&key(&settings, "a")).is_some());
        assert!(lru.get(&key(&settings, "c")).is_some());
        assert_eq!(lru.bytes, 80);
    }

    #[tokio::test]
    async fn a_file_bigger_than_the_budget_is_used_but_not_kept() {
        let directory = tempfile::tempdir().unwrap();
        let settings = settings_with(directory.path(), "app", SYMBOLS);
        let cache = Arc::new(SymbolCache::new(16));
        let walk = WalkSymbols::new(cache.clone(), Some(settings));
        let mut frame = breakpad_symbols::SimpleFrame::with_instruction(0x1004);
        walk.fill_symbol(&module("app"), &mut frame).await.unwrap();
        assert_eq!(frame.function.as_deref(), Some("main"));
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.too_big), (0, 1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_walks_share_one_load() {
        let directory = tempfile::tempdir().unwrap();
        let settings = settings_with(directory.path(), "app", SYMBOLS);
        let cache = Arc::new(SymbolCache::new(1 << 30));
        let walks: Vec<_> = (0..8)
            .map(|_| {
                let walk = WalkSymbols::new(cache.clone(), Some(settings.clone()));
                tokio::spawn(async move {
                    let mut frame = breakpad_symbols::SimpleFrame::with_instruction(0x1004);
                    walk.fill_symbol(&module("app"), &mut frame).await.is_ok()
                })
            })
            .collect();
        for walk in walks {
            assert!(walk.await.unwrap());
        }
        assert_eq!(cache.stats().loads, 1);
    }
}
