"""The rule runner: initial fields, failing rules, notes history, rulesets."""

from __future__ import annotations

from pathlib import Path

from processor.pipeline import EMPTY_SIGNATURE, Pipeline
from processor.rules.base import CrashContext, Rule
from processor.rulesets import build_rulesets
from tests.unit.processor.conftest import CRASH_ID, raw_crash


class SetField(Rule):
    def __init__(self, field: str, value: object) -> None:
        self.field, self.value = field, value

    def action(self, crash: CrashContext) -> None:
        crash.processed_crash[self.field] = self.value
        crash.note(f"set {self.field}")


class Explodes(Rule):
    def action(self, crash: CrashContext) -> None:
        raise KeyError("secret annotation value")


class SkipsItself(Rule):
    def predicate(self, crash: CrashContext) -> bool:
        return False

    def action(self, crash: CrashContext) -> None:
        raise AssertionError("action ran although the predicate said no")


class SeesInitialFields(Rule):
    def action(self, crash: CrashContext) -> None:
        processed = crash.processed_crash
        crash.processed_crash["seen"] = [processed["success"], processed["signature"]]


def run(pipeline: Pipeline, processed: dict | None = None, ruleset: str = "default") -> dict:
    return pipeline.process(CRASH_ID, ruleset, raw_crash(), {}, processed or {}, Path("/tmp"))


def test_initial_fields_are_set_before_rules_and_success_after():
    processed = run(Pipeline({"default": [SeesInitialFields()]}, hostname="box"))
    assert processed["seen"] == [False, EMPTY_SIGNATURE]
    assert processed["success"] is True
    assert processed["processor_notes"].startswith(">>> Start processing: ")
    assert processed["processor_notes"].endswith("(box)")
    assert processed["started_datetime"] <= processed["completed_datetime"]


def test_failing_rule_is_noted_by_class_name_and_processing_continues():
    pipeline = Pipeline({"default": [Explodes(), SkipsItself(), SetField("product", "X")]})
    processed = run(pipeline)
    notes = processed["processor_notes"].splitlines()
    assert (
        "ruleset 'default' rule tests.unit.processor.test_pipeline.Explodes failed: KeyError"
        in notes
    )
    assert "secret" not in processed["processor_notes"]
    assert processed["product"] == "X"
    assert processed["success"] is True


def test_previous_notes_move_to_history_most_recent_first():
    pipeline = Pipeline({"default": [SetField("product", "X")]})
    stored = {"processor_notes": "second pass", "processor_history": ["first pass"]}
    processed = run(pipeline, stored)
    assert processed["processor_history"] == ["second pass", "first pass"]
    assert "set product" in processed["processor_notes"]


def test_unknown_ruleset_notes_and_runs_nothing():
    processed = run(Pipeline({"default": [SetField("product", "X")]}), ruleset="nope")
    assert "error: no ruleset: nope" in processed["processor_notes"]
    assert "product" not in processed
    assert processed["success"] is False


def test_regenerate_signature_keeps_the_stored_crash(schema):
    rulesets = build_rulesets(schema, SetField("unused", 1))
    assert [rule.name for rule in rulesets["regenerate_signature"]] == ["SignatureGeneratorRule"]
    stored = {
        "product": "Firefox",
        "json_dump": {
            "crash_info": {"crashing_thread": 0},
            "threads": [{"frames": [{"function": "do_crash", "module": "app"}]}],
        },
        "processor_notes": "old",
    }
    processed = run(Pipeline(rulesets), stored, ruleset="regenerate_signature")
    assert processed["signature"] == "do_crash"
    assert processed["product"] == "Firefox"
    assert processed["processor_history"] == ["old"]


def test_mozilla_rules_are_only_in_the_mozilla_ruleset(schema):
    plain = build_rulesets(schema, SetField("x", 1))["default"]
    mozilla = build_rulesets(schema, SetField("x", 1), mozilla=True)["default"]
    plain_modules = {type(rule).__module__ for rule in plain}
    assert "processor.rules.mozilla" not in plain_modules
    extra = {rule.name for rule in mozilla} - {rule.name for rule in plain}
    assert {"FenixVersionRewriteRule", "BetaVersionRule", "PHCRule"} <= extra
