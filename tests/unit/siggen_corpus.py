"""A deterministic corpus of realistic crash data for parity tests and the signature bench.

Frames are drawn from shapes seen in real crash reports: C++ with return types, templates,
operators, anonymous namespaces, lambdas and PGO clones; Rust with generics, trait impls,
closures and hashes; inline frames; module-only, offset-only, file-and-line and unloaded-module
frames; names from the irrelevant, prefix and sentinel lists. Annotations trigger every
post-rule (OOM, abort, shutdown timeout, watchdog, IPC, stack overflow, hang, bad hardware).
"""

from __future__ import annotations

import json
import random
from typing import Any

CPP_FUNCTIONS = [
    "nsDocShell::Destroy()",
    "void nsDocumentViewer::DestroyPresShell()",
    "bool CCGraphBuilder::BuildGraph(class js::SliceBudget& const)",
    "static void * Allocator<MozJemallocBase>::malloc(unsigned __int64)",
    "mozilla::dom::ContentParent::ActorDestroy(mozilla::ipc::IProtocol::ActorDestroyReason)",
    "mozilla::Maybe<unsigned long>::value() const &",
    "JS::Heap<JSObject*>::operator JSObject* const &()",
    "Alpha<Bravo<Charlie>, Delta>::Echo<Foxtrot>",
    "ShutdownWorkThreads::$_52::__invoke",
    "mozilla::dom::Foo::Bar()::$_3::operator()() const",
    "(anonymous namespace)::CrashFunction()",
    "`anonymous namespace'::ParentImpl::ShutdownBackgroundThread()",
    "mozilla::(anonymous namespace)::RunWatchdog(void*)",
    "js::gc::GCRuntime::collect(bool, js::SliceBudget const&) [clone .cold.123]",
    "nsTArray_Impl<RefPtr<nsIContent>, nsTArrayInfallibleAllocator>::ElementAt(unsigned int)",
    "mozilla::Vector<JS::Value, 8, js::TempAllocPolicy>::growStorageBy(unsigned long)",
    "std::vector<int, std::allocator<int> >::_M_realloc_insert<int const&>(int*, int const&)",
    "mozilla::detail::RunnableFunction<(lambda at ../dom/base/Foo.cpp:12:3)>::Run()",
    "mozilla::RefPtr<nsIFrame>::operator->() const",
    "nsAutoPtr<nsIFoo>::operator=(nsIFoo *)",
    "operator new(unsigned long)",
    "mozilla::SpinEventLoopUntil<(mozilla::ProcessFailureBehavior)1, F>(F&&, nsIThread*)",
    "IPC::ParamTraits<nsTSubstring<char> >::Write(IPC::Message *,nsTSubstring<char> const &)",
    "mozilla::ipc::MessageChannel::Send("
    "mozilla::UniquePtr<IPC::Message, mozilla::DefaultDelete<IPC::Message> >)",
    "js::RunScript(JSContext*, js::RunState&)",
    "js_Interpret",
    "nsINode::GetParentNode() const",
    "mozilla::dom::Element::GetAttr(int, nsAtom*, nsTSubstring<char16_t>&) const",
    "void std::__1::__function::__func<F, std::__1::allocator<F>, void ()>::operator()()",
    "foo  (int)",
    "Foo::get() &&",
    "Foo::operator bool() const",
    "webrender::renderer::Renderer::render(euclid::Size2D<i32, webrender_api::units::DevicePixel>)",
    "<name omitted>",
    "<unknown in libxul.so>",
    "mozilla::dom::WorkerPrivate::DoRunLoop(JSContext *)",
    "nsThread::ProcessNextEvent(bool, bool *)",
    "NS_ProcessNextEvent(nsIThread *,bool)",
    "MessageLoop::Run()",
    "XRE_InitChildProcess(int,char * * const,XREChildData const *)",
    "wmain",
    "main",
    "__libc_start_main",
    "BaseThreadInitThunk",
    "RtlUserThreadStart",
    "static bool js::jit::EnterBaselineInterpreterAtBranch("
    "JSContext*, js::InterpreterFrame*, jsbytecode*)",
]

# Names the lists treat specially (irrelevant, prefix, sentinel), in realistic spellings.
LISTED_FUNCTIONS = [
    "NtWaitForSingleObject",
    "ZwWaitForSingleObjectEx",
    "KiFastSystemCallRet",
    "mozalloc_abort",
    "moz_xmalloc",
    "moz_xrealloc",
    "RustMozCrash",
    "MOZ_Crash",
    "__libc_fatal",
    "__cxa_throw",
    "_CxxThrowException",
    "_dispatch_client_callout",
    "raise",
    "abort",
    "NS_DebugBreak",
    "nsDebugImpl::Abort(char const*, int)",
    "arena_malloc",
    "je_malloc",
    "malloc",
    "calloc",
    "realloc",
    "memcpy",
    "strlen",
    "CxxThrowException",
    "mozilla::Vector<int, 0, js::SystemAllocPolicy>::begin()",
    "nsTArray_Impl<T>::ElementAt",
    "<.plt ELF section in libxul.so>",
    "_purecall",
    "mozilla::detail::MutexImpl::lock()",
    "mozilla::detail::MutexImpl::mutexLock()",
    "__GI___assert_fail",
    "__assert_fail",
    "IPC::MessageReader::FatalError(char const*) const",
    "google_breakpad::ExceptionHandler::HandleInvalidParameter("
    "wchar_t const*, wchar_t const*, wchar_t const*, unsigned int, unsigned int)",
    "mozalloc_handle_oom(unsigned long)",
    "NS_ABORT_OOM(unsigned long)",
    "js::AutoEnterOOMUnsafeRegion::crash(char const*)",
    "js::CrashAtUnhandlableOOM(char const*)",
    "mozilla::ipc::RPCChannel::Call(IPC::Message*, IPC::Message*)",
    "RtlpWaitOnCriticalSection",
    "pthread_kill",
    "gsignal",
]

RUST_FUNCTIONS = [
    "static void core::ptr::drop_in_place<style::stylist::CascadeData>("
    "struct style::stylist::CascadeData*)",
    "<rayon_core::job::HeapJob<BODY> as rayon_core::job::Job>::execute",
    "std::panicking::begin_panic_handler::{{closure}}",
    "std::panicking::rust_panic_with_hook",
    "core::panicking::panic_fmt",
    "core::panicking::panic",
    "core::panicking::panic_bounds_check",
    "core::result::unwrap_failed",
    "core::option::expect_failed",
    "core::option::unwrap_failed",
    "mylib::do_thing::h0123456789abcdef",
    "style::values::computed::length::Length::to_css::h9f8e7d6c5b4a3210",
    "alloc::raw_vec::RawVec<T,A>::reserve::do_reserve_and_handle",
    "<alloc::vec::Vec<T> as core::ops::index::Index<I>>::index",
    "core::ptr::write_volatile::<u8>",
    "sadness_generator::raise_segfault",
    "crash_client::real_main::{closure#1}",
    "gkrust_shared::panic_hook",
    "std::sync::mpsc::Receiver<T>::recv",
    "webrender::render_backend::RenderBackend::run",
    "<&T as core::fmt::Display>::fmt",
    "alloc::alloc::handle_alloc_error",
    "std::panicking::begin_panic<&str>",
    "wgpu_core::device::Device<A>::create_buffer",
]

# Names that Socorro HEAD and siggen collapse differently (spec section 16); rare on purpose.
SIGGEN_COLLAPSE_DIFFERENCES = [
    "js::jit::CodePosition::operator<(js::jit::CodePosition const&) const",
    "js::jit::CodePosition::operator<=>(js::jit::CodePosition const&) const",
    "mozilla::SpinEventLoopUntil<(mozilla::ProcessFailureBehavior)1, "
    "(anonymous namespace)::Foo::Bar()::$_0>(nsTSubstring<char> const&, "
    "(anonymous namespace)::Foo::Bar()::$_0&&, nsIThread*)",
    "<&T as core::fmt::Display>::fmt",
]
# Names with characters outside printable ASCII: only Socorro HEAD removes them (section 16).
UNPRINTABLE_FUNCTIONS = ["mozilla::Caf\u00e9::Run()", "Foo::Bar\x07Baz()", "nsWindow::\u2603"]

RUST_134_PANICS = [
    ("git:github.com/rust-lang/rust:src/libcore/panicking.rs:abc123", "panic"),
    ("git:github.com/rust-lang/rust:src/libcore/panicking.rs:abc123", "panic_bounds_check"),
    ("git:github.com/rust-lang/rust:src/libstd/panicking.rs:abc123", "rust_panic_with_hook"),
    ("git:github.com/rust-lang/rust:src/libcore/option.rs:abc123", "expect_failed"),
    ("src/libcore/panicking.rs", "panic"),
]

CPP_FILES = [
    "hg:hg.mozilla.org/mozilla-central:dom/base/nsDocument.cpp:0123456789ab",
    "/builds/worker/checkouts/gecko/xpcom/threads/nsThread.cpp",
    "c:\\builds\\moz2_slave\\m-rel\\build\\src\\js\\src\\vm\\Interpreter.cpp",
    "s3:gecko-generated-sources:a1b2c3/ipc/ipdl/PContent.cpp:",
    None,
]
RUST_FILES = [
    "/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/core/src/panicking.rs",
    "git:github.com/rust-lang/rust:library/std/src/panicking.rs:90b35a6239c3",
    "hg:hg.mozilla.org/mozilla-central:gfx/wr/webrender/src/renderer.rs:0123456789ab",
    "c:\\rustc\\library\\alloc\\src\\raw_vec.rs",
    "src/lib.rs",
]
RUST_FILES_WEIGHTS = [3, 3, 3, 2, 1]
MODULES = [
    "xul.dll",
    "XUL.DLL",
    "libxul.so",
    "XUL",
    "ntdll.dll",
    "KERNELBASE.dll",
    "kernel32.dll",
    "libc.so.6",
    "libc-2.23.so",
    "nvwgf2umx.dll",
    "[vdso]",
    "[stack]",
    "firefox.exe",
    "libobjc.A.dylib",
    "libandroid.so",
    "libz.so",
]
REASONS = [
    "EXCEPTION_ACCESS_VIOLATION_READ",
    "EXCEPTION_ACCESS_VIOLATION_WRITE",
    "EXCEPTION_STACK_OVERFLOW",
    "EXCEPTION_IN_PAGE_ERROR_READ / STATUS_DEVICE_DATA_ERROR",
    "STATUS_NO_MEMORY",
    "STATUS_FATAL_MEMORY_EXHAUSTION",
    "SIGSEGV / SEGV_MAPERR",
    "EXC_BAD_ACCESS / KERN_INVALID_ADDRESS",
    "EXCEPTION_BREAKPOINT",
]
ABORT_MESSAGES = [
    "###!!! ABORT: foo bar: file /a/b.cpp:12",
    "###!!! ABORT: file /a/b.cpp:12",
    "[Parent 123, Main Thread] ###!!! ABORT: Aborting on channel error.: "
    "file ipc/glue/MessageChannel.cpp:2000",
    "unable to find a usable font (\u30d5\u30a9\u30f3\u30c8)",
    "###!!! ABORT: unable to find a usable font (Tahoma): file gfx/thebes/gfxPlatform.cpp:1",
    "x" * 120,
    "plain abort message without marker",
    "###!!! ABORT: tab\tseparated\tmessage",
]
SHUTDOWN_TIMEOUTS = [
    '{"phase":"profile-before-change","conditions":[{"name":"B"},{"name":"A"}]}',
    '{"phase":"xpcom-will-shutdown","conditions":["Bar","Foo"]}',
    '{"phase":"profile-change-teardown","conditions":[]}',
    '{"phase":5,"conditions":[{"name":"X"}]}',
    '{"conditions":[{"nameless":1}]}',
    "{not json",
]
JAVA_TRACES = [
    "java.lang.IllegalStateException: Couldn't init\n\tat org.mozilla.Foo.bar(Foo.java:12)",
    "java.lang.NullPointerException\n\tat org.mozilla.gecko.GeckoApp.onCreate(GeckoApp.java:123)",
    "java.lang.RuntimeException: Object@0123abcd is bad\n\tat a.b.C.d(C.java:9)",
    "java.lang.OutOfMemoryError: at @0123abcd\n\tat a.b.C.d(C.java:9)",
    "java.lang.Error: " + "d" * 300 + "\n\tat a.b.C.d(C.java:1)",
    "java.lang.IllegalArgumentException: only one line",
    "java.lang.IllegalStateException: \n\n",
]


def _java_exception(rng: random.Random) -> dict[str, Any]:
    frames = [
        {"module": "org.mozilla.geckoview", "function": "onCreate", "filename": "Gecko.java"},
        {"module": "org.mozilla", "function": "", "filename": "X.java"},
        {"function": "run"},
        {},
    ]
    stacktrace: dict[str, Any] = {"type": rng.choice(["IllegalStateException", "Error"])}
    if rng.random() < 0.7:
        stacktrace["module"] = "java.lang"
    if rng.random() < 0.8:
        stacktrace["frames"] = rng.sample(frames, rng.randint(1, 3))
    return {"exception": {"values": [{"stacktrace": stacktrace}]}}


class CorpusBuilder:
    """Builds crashes from a seeded random generator, so every run gives the same corpus."""

    def __init__(self, seed: int = 20241029) -> None:
        self.rng = random.Random(seed)

    def offset(self) -> str:
        return f"0x{self.rng.randrange(0, 1 << 40):016x}"

    def function_frame(self) -> dict[str, Any]:
        rng = self.rng
        roll = rng.random()
        frame: dict[str, Any] = {"module": rng.choice(MODULES), "offset": self.offset()}
        frame["module_offset"] = self.offset()
        if roll < 0.002:
            frame["function"] = rng.choice(SIGGEN_COLLAPSE_DIFFERENCES)
        elif roll < 0.004:
            frame["function"] = rng.choice(UNPRINTABLE_FUNCTIONS)
        elif roll < 0.45:
            frame["function"] = rng.choice(CPP_FUNCTIONS)
            frame["file"] = rng.choice(CPP_FILES)
        elif roll < 0.7:
            frame["function"] = rng.choice(LISTED_FUNCTIONS)
            frame["file"] = rng.choice(CPP_FILES)
        elif roll < 0.95:
            frame["function"] = rng.choice(RUST_FUNCTIONS)
            frame["file"] = rng.choices(RUST_FILES, RUST_FILES_WEIGHTS)[0]
        else:
            frame["file"], frame["function"] = rng.choice(RUST_134_PANICS)
        frame["line"] = rng.choice([None, 0, 12, 4321])
        return frame

    def frame(self) -> dict[str, Any]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.7:
            frame = self.function_frame()
        elif roll < 0.82:
            frame = {"module": rng.choice(MODULES), "offset": self.offset()}
        elif roll < 0.88:
            frame = {"offset": rng.choice([self.offset(), "0x0000000000000000", "0x00000045"])}
        elif roll < 0.93:
            frame = {"file": rng.choice(CPP_FILES[:3] + RUST_FILES[:2]), "line": 77}
        elif roll < 0.97:
            frame = {
                "offset": self.offset(),
                "unloaded_modules": [{"module": rng.choice(["many.dll", "foo.so"]), "offsets": []}],
            }
        else:
            frame = {"module": None, "function": None, "offset": None}
        if rng.random() < 0.12 and frame.get("function"):
            frame["inlines"] = [self.inline() for _ in range(rng.randint(1, 3))]
        return frame

    def inline(self) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < 0.5:
            function, file = (
                rng.choice(RUST_FUNCTIONS),
                rng.choices(RUST_FILES, RUST_FILES_WEIGHTS)[0],
            )
        else:
            function = rng.choice(CPP_FUNCTIONS + LISTED_FUNCTIONS)
            file = rng.choice(CPP_FILES)
        return {"function": function, "file": file, "line": rng.choice([1, 99, None])}

    def thread(self, length: int) -> dict[str, Any]:
        thread: dict[str, Any] = {"frames": [self.frame() for _ in range(length)]}
        if self.rng.random() < 0.05:
            thread["last_error_value"] = self.rng.choice(
                ["ERROR_NOT_ENOUGH_MEMORY", "ERROR_COMMITMENT_LIMIT", "ERROR_SUCCESS"]
            )
        return thread

    def stack_crash(self) -> dict[str, Any]:
        rng = self.rng
        threads = [self.thread(rng.choice([0, 1, 3, 8, 20, 45])) for _ in range(rng.randint(1, 3))]
        crash: dict[str, Any] = {
            "os": rng.choice(["Windows NT", "Linux", "Mac OS X", "Android", None]),
            "threads": threads,
            "crashing_thread": rng.choice([0, 0, 0, 1, 2, None, 7]),
        }
        if rng.random() < 0.05:
            # A shutdown hang: the watchdog thread crashed, thread 0 is what matters.
            crash["crashing_thread"] = len(threads)
            threads.append(
                {"frames": [{"function": "mozilla::(anonymous namespace)::RunWatchdog(void*)"}]}
            )
        if rng.random() < 0.03:
            # A long chain of prefix frames, so that the signature must be truncated.
            threads[0]["frames"][0:0] = [
                {"function": f"mozilla::Vector<Very<Long{i}>>::begin()"} for i in range(30)
            ] + [{"function": "nsTArray_Impl<T>::ElementAt" + "x" * 20}]
            crash["crashing_thread"] = 0
        return crash

    def annotate(self, crash: dict[str, Any]) -> None:
        rng = self.rng

        def maybe(probability: float, key: str, values: list[Any]) -> None:
            if rng.random() < probability:
                crash[key] = rng.choice(values)

        maybe(0.4, "reason", REASONS)
        maybe(0.1, "hang", ["ui", "", "shutdown"])
        maybe(0.08, "oom_allocation_size", [100, 262144, 262145, 10_000_000, None])
        maybe(0.05, "js_large_allocation_failure", ["Reporting", "Recovered"])
        maybe(0.1, "abort_message", ABORT_MESSAGES)
        maybe(0.08, "mdsw_status_string", ["OK", "EmptyMinidump", "Stackwalker error"])
        maybe(0.05, "async_shutdown_timeout", SHUTDOWN_TIMEOUTS)
        maybe(0.05, "ipc_channel_error", ["ShutDownKill", "Unknown " + "e" * 150])
        maybe(
            0.1,
            "additional_minidumps",
            [["upload_file_minidump_browser"], ["upload_file_minidump_content"], []],
        )
        maybe(0.05, "ipc_message_name", ["PContent::Msg_Foo", "PBrowser::Msg_Bar"])

    def crash(self) -> dict[str, Any]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.04:
            crash: dict[str, Any] = {"java_stack_trace": rng.choice(JAVA_TRACES)}
        elif roll < 0.06:
            crash = {"java_exception": _java_exception(rng)}
        elif roll < 0.07:
            crash = {}
        else:
            crash = self.stack_crash()
        self.annotate(crash)
        return crash


def as_processed_crash(crash: dict[str, Any]) -> dict[str, Any]:
    """The same crash as a processed crash (``json_dump`` plus annotation fields)."""
    processed = {
        key: value
        for key, value in crash.items()
        if key not in ("threads", "crashing_thread", "reason", "os")
    }
    if "threads" in crash or "reason" in crash:
        processed["json_dump"] = {
            "crash_info": {
                "crashing_thread": crash.get("crashing_thread"),
                "type": crash.get("reason"),
            },
            "threads": crash.get("threads"),
            "system_info": {"os": crash.get("os")},
        }
    return processed


def build_corpus(size: int, seed: int = 20241029, processed_share: float = 0.2) -> list[dict]:
    """``size`` crashes; about ``processed_share`` of them as processed crashes."""
    builder = CorpusBuilder(seed)
    corpus = []
    for _ in range(size):
        crash = builder.crash()
        if "json_dump" not in crash and builder.rng.random() < processed_share:
            crash = as_processed_crash(crash)
        corpus.append(crash)
    return corpus


if __name__ == "__main__":
    for item in build_corpus(5):
        print(json.dumps(item))
