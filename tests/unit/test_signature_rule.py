"""The processor rules that write signature fields into a processed crash."""

from __future__ import annotations

import logging

import pytest

from processor.signature import SignatureGenerator, load_lists
from processor.signature.result import Result
from processor.signature.rule import ShutDownHangCrashingThreadRule, SignatureGeneratorRule
from processor.signature.rules import Rule, default_ruleset
from tests.unit.signature_support import socorro_lists_dir, stackwalk_output

CRASH_ID = "de1bb258-cbbf-4589-a673-34f800160918"


def test_sets_signature_fields_from_stackwalker_output() -> None:
    rule = SignatureGeneratorRule(SignatureGenerator(load_lists(socorro_lists_dir())))
    processed = {
        "uuid": CRASH_ID,
        "json_dump": stackwalk_output("json-pretty-symbols.snap"),
        "processor_notes": ["earlier note"],
        "signature": "EMPTY: crash failed to process",
    }
    rule.apply({}, processed)
    assert processed["signature"] == "(anonymous namespace)::CrashFunction"
    assert processed["proto_signature"] == (
        "(anonymous namespace)::CrashFunction | main | __tmainCRTStartup | kernel32.dll"
    )
    assert processed["processor_notes"] == ["earlier note"]
    assert (
        'change signature: "" -> "(anonymous namespace)::CrashFunction"'
        in (processed["signature_debug"])
    )


def test_no_frames_no_proto_signature_and_notes_added() -> None:
    processed = {"uuid": CRASH_ID, "mdsw_status_string": "EmptyMinidump"}
    SignatureGeneratorRule(SignatureGenerator(load_lists())).apply({}, processed)
    assert processed["signature"] == "EMPTY: no frame data available; EmptyMinidump"
    assert "proto_signature" not in processed
    assert processed["processor_notes"] == [
        "SignatureGenerationRule: CSignatureTool: no frame data for crashing thread (0)"
    ]


class Exploding(Rule):
    def action(self, data: object, result: Result) -> None:
        raise RuntimeError("boom")


def test_failing_rule_is_logged_with_the_crash_id(caplog: pytest.LogCaptureFixture) -> None:
    lists = load_lists()
    generator = SignatureGenerator(lists, ruleset=[*default_ruleset(lists), Exploding()])
    processed = {"uuid": CRASH_ID}
    with caplog.at_level(logging.ERROR):
        SignatureGeneratorRule(generator).apply({}, processed)
    assert processed["signature"] == "EMPTY: no frame data available"
    assert "Exploding: Rule failed: boom" in processed["processor_notes"]
    assert f"crash_id={CRASH_ID} rule=Exploding" in caplog.text


@pytest.mark.parametrize(
    ("signature", "expected"), [("shutdownhang | foo", 0), ("foo | shutdownhang", 3)]
)
def test_shutdown_hang_crashing_thread(signature: str, expected: int) -> None:
    processed = {"signature": signature, "crashing_thread": 3}
    ShutDownHangCrashingThreadRule().apply({}, processed)
    assert processed["crashing_thread"] == expected
