"""What each kind of crashgen crash must show in its signature once its symbols are found: its
own functions and sadness-generator's, from crashgen's symbols (frames in libc, which has no
symbols here, may come before them). Every kind has a signature of its own."""

from __future__ import annotations

CRASHGEN_SIGNATURES = {
    "null-deref": "crashgen::crash_with_null_deref",
    "abort": "sadness_generator::raise_abort | crashgen::crash_with_abort",
    "stack-overflow": "crashgen::recurse_until_the_stack_ends",
    "panic": "crashgen::parse_the_configuration",
    "thread": "crashgen::take_the_next_job",
    "oom": "OOM | large | crashgen::crash_out_of_memory",
    "illegal-instruction": "sadness_generator::raise_illegal_instruction",
    "divide-by-zero": "sadness_generator::raise_floating_point_exception",
}
