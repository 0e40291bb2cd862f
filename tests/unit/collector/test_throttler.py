"""The throttler engine and the built-in and file rule sets."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from antenna.rulesets import load_rules
from antenna.rulesets.mozilla import build_rules
from antenna.throttler import (
    NO_MATCH,
    WHOLE_CRASH,
    Decision,
    InvalidRule,
    Result,
    Rule,
    Sample,
    Throttler,
)


def always(_value) -> bool:
    return True


def test_first_decisive_rule_wins_and_continue_falls_through():
    throttler = Throttler(
        [
            Rule("skip", WHOLE_CRASH, always, Result.CONTINUE),
            Rule("defer_it", "A", lambda value: value == "1", Result.DEFER),
            Rule("rest", WHOLE_CRASH, always, Result.ACCEPT),
        ]
    )
    assert throttler.throttle({"A": "1"}) == Decision(Result.DEFER, "defer_it", 100)
    assert throttler.throttle({"A": "2"}) == Decision(Result.ACCEPT, "rest", 100)


def test_key_rules_apply_only_when_present_and_see_text():
    seen = []
    throttler = Throttler([Rule("k", "A", lambda value: seen.append(value), Result.ACCEPT)])
    assert throttler.throttle({}) == NO_MATCH
    throttler.throttle({"A": None})
    throttler.throttle({"A": {"b": 1}})
    assert seen == ["None", "{'b': 1}"]


@pytest.mark.parametrize(
    ("draw", "expected"),
    [(0.0, Result.ACCEPT), (0.1, Result.ACCEPT), (0.1001, Result.REJECT), (0.99, Result.REJECT)],
)
def test_sampling_boundary_is_inclusive(draw, expected):
    throttler = Throttler(
        [Rule("s", WHOLE_CRASH, always, Sample(10, Result.ACCEPT, Result.REJECT))],
        draw=lambda: draw,
    )
    assert throttler.throttle({}) == Decision(expected, "s", 10)


def test_failing_condition_does_not_match():
    throttler = Throttler(
        [
            Rule("boom", WHOLE_CRASH, lambda crash: 1 / 0, Result.REJECT),
            Rule("ok", WHOLE_CRASH, always, Result.ACCEPT),
        ]
    )
    assert throttler.throttle({}).rule_name == "ok"


@pytest.mark.parametrize("name", ["has space", "dash-ed", ""])
def test_rule_names_are_checked(name):
    with pytest.raises(InvalidRule):
        Rule(name, WHOLE_CRASH, always, Result.ACCEPT)


def test_duplicate_rule_names_are_refused():
    rule = Rule("same", WHOLE_CRASH, always, Result.ACCEPT)
    with pytest.raises(InvalidRule, match="unique"):
        Throttler([rule, rule])


def test_default_rules_accept_everything():
    assert Throttler(load_rules("default")).throttle({}) == Decision(
        Result.ACCEPT, "accept_everything", 100
    )


def mozilla(crash, draw=0.5):
    return Throttler(build_rules(), draw=lambda: draw).throttle(crash)


def recent_build_id() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y%m%d000000")


FIREFOX = {"ProductName": "Firefox", "BuildID": recent_build_id()}


@pytest.mark.parametrize(
    ("crash", "draw", "rule", "result"),
    [
        ({**FIREFOX, "BuildID": "20100101000000"}, 0.5, "has_old_buildid", Result.REJECT),
        ({**FIREFOX, "HangID": "x"}, 0.5, "has_hangid_and_browser", Result.REJECT),
        (
            {**FIREFOX, "HangID": "x", "ProcessType": "browser"},
            0.5,
            "has_hangid_and_browser",
            Result.REJECT,
        ),
        (
            {
                **FIREFOX,
                "SubmittedFromInfobar": "true",
                "Version": "55.0",
                "BuildID": "20171001000000",
            },
            0.5,
            "has_old_buildid",
            Result.REJECT,
        ),
        ({"ProductName": "B2G"}, 0.5, "b2g", Result.FAKEACCEPT),
        ({"ProductName": "Nope"}, 0.5, "unsupported_product", Result.REJECT),
        ({"Version": "1"}, 0.5, "unsupported_product", Result.REJECT),
        ({"ProductName": ["list"]}, 0.5, "unsupported_product", Result.REJECT),
        ({"ProductName": "Fenix"}, 0.5, "unsupported_packagename", Result.REJECT),
        (
            {"ProductName": "Fenix", "Android_PackageName": "org.mozilla.fenix"},
            0.5,
            "accept_everything",
            Result.ACCEPT,
        ),
        (
            {**FIREFOX, "Throttleable": "0", "ReleaseChannel": "release"},
            0.99,
            "throttleable_0",
            Result.ACCEPT,
        ),
        ({**FIREFOX, "Comments": ""}, 0.5, "has_comments", Result.ACCEPT),
        ({**FIREFOX, "PHCKind": "x"}, 0.5, "has_phc", Result.ACCEPT),
        ({**FIREFOX, "ProcessType": "gpu", "HangID": "x"}, 0.5, "is_background", Result.ACCEPT),
        ({**FIREFOX, "ipc_channel_error": "ShutDownKill"}, 0.5, "is_shutdownkill", Result.REJECT),
        (
            {**FIREFOX, "ipc_channel_error": "ShutDownKill"},
            0.05,
            "accept_everything",
            Result.ACCEPT,
        ),
        ({**FIREFOX, "ReleaseChannel": "beta"}, 0.99, "is_alpha_beta_esr", Result.ACCEPT),
        ({**FIREFOX, "ReleaseChannel": "nightly-cck"}, 0.99, "is_nightly", Result.ACCEPT),
        ({**FIREFOX, "ReleaseChannel": "release"}, 0.05, "is_firefox_desktop", Result.ACCEPT),
        ({**FIREFOX, "ReleaseChannel": "release"}, 0.5, "is_firefox_desktop", Result.REJECT),
        (
            {"ProductName": "Thunderbird", "ReleaseChannel": "release"},
            0.99,
            "accept_everything",
            Result.ACCEPT,
        ),
    ],
)
def test_mozilla_rules(crash, draw, rule, result):
    assert (mozilla(crash, draw).rule_name, mozilla(crash, draw).result) == (rule, result)


def test_mozilla_infobar_rule():
    crash = {
        "ProductName": "Firefox",
        "SubmittedFromInfobar": "true",
        "Version": "55.0",
        "BuildID": "20171225",
    }  # not a 14-digit BuildID, so the age rule does not apply
    assert mozilla(crash).rule_name == "infobar_is_true"


@pytest.mark.parametrize(
    ("build", "draw", "rule"),
    [
        (9600, 0.5, "is_firefox_esr_unsupported_windows"),
        (9600, 0.1, "is_alpha_beta_esr"),
        (19045, 0.5, "is_alpha_beta_esr"),
    ],
)
def test_mozilla_esr_on_old_windows(build, draw, rule):
    environment = {"system": {"os": {"name": "Windows_NT", "windowsBuildNumber": build}}}
    crash = {**FIREFOX, "ReleaseChannel": "esr", "TelemetryEnvironment": json.dumps(environment)}
    assert mozilla(crash, draw).rule_name == rule


def test_mozilla_rule_order_is_socorros():
    assert [rule.name for rule in load_rules("mozilla")] == [
        "has_old_buildid",
        "has_hangid_and_browser",
        "infobar_is_true",
        "b2g",
        "unsupported_product",
        "unsupported_packagename",
        "throttleable_0",
        "has_comments",
        "has_phc",
        "is_background",
        "is_shutdownkill",
        "is_firefox_esr_unsupported_windows",
        "is_alpha_beta_esr",
        "is_nightly",
        "is_firefox_desktop",
        "accept_everything",
    ]


def test_empty_product_list_accepts_any_product():
    throttler = Throttler(build_rules(products=(), package_names={}), draw=lambda: 0.5)
    assert throttler.throttle({"ProductName": "Anything"}).rule_name == "accept_everything"


TOML_RULES = """
[[rules]]
name = "drop_test"
result = "reject"
when = { ProductName = { equals = "Test" } }

[[rules]]
name = "sample_release"
result = { percent = 10, matched = "ACCEPT", otherwise = "REJECT" }
when = { ReleaseChannel = { in = ["release", "esr"] }, Version = { matches = "^1[0-9]+\\\\." } }

[[rules]]
name = "defer_no_dump"
result = "DEFER"
when = { Hang = { present = false }, ProductName = { startswith = "Fire" } }

[[rules]]
name = "rest"
result = "ACCEPT"
"""

YAML_RULES = """
rules:
  - name: drop_test
    result: REJECT
    when: {ProductName: {equals: Test}}
  - name: rest
    result: ACCEPT
"""


def test_toml_rule_file(tmp_path: Path):
    path = tmp_path / "rules.toml"
    path.write_text(TOML_RULES)
    throttler = Throttler(load_rules(str(path)), draw=lambda: 0.5)
    assert throttler.throttle({"ProductName": "Test"}).rule_name == "drop_test"
    release = {"ProductName": "X", "ReleaseChannel": "esr", "Version": "115.0"}
    assert throttler.throttle(release) == Decision(Result.REJECT, "sample_release", 10)
    assert throttler.throttle({**release, "Version": "9.0"}).rule_name == "rest"
    assert throttler.throttle({"ProductName": "Firefox"}).result is Result.DEFER
    assert throttler.throttle({"ProductName": "Firefox", "Hang": "1"}).rule_name == "rest"


def test_yaml_rule_file(tmp_path: Path):
    path = tmp_path / "rules.yaml"
    path.write_text(YAML_RULES)
    throttler = Throttler(load_rules(str(path)))
    assert throttler.throttle({"ProductName": "Test"}).result is Result.REJECT
    assert throttler.throttle({}).rule_name == "rest"


def test_shipped_example_rule_file_loads():
    rules = load_rules(str(Path(__file__).parents[3] / "antenna" / "rulesets" / "example.toml"))
    assert rules[-1].name == "accept_everything"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules = 3", "top-level `rules` list"),
        ("[[rules]]\nname = 'x'", "needs `name` and `result`"),
        ("[[rules]]\nname = 'x'\nresult = 'MAYBE'", "unknown result"),
        (
            "[[rules]]\nname = 'x'\nresult = 'ACCEPT'\nwhen = { A = { like = 'x' } }",
            "unknown operator",
        ),
        (
            "[[rules]]\nname = 'x'\nresult = 'ACCEPT'\nwhen = { A = { matches = '(' } }",
            "bad regular",
        ),
        ("[[rules]]\nname = 'x y'\nresult = 'ACCEPT'", "letters, digits"),
        ("[[rules]]\nname = 'x'\nresult = 'ACCEPT'\nextra = 1", "unknown keys"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_bad_rule_files_say_what_is_wrong(tmp_path: Path, text, message):
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(InvalidRule, match=message):
        load_rules(str(path))


@pytest.mark.parametrize(
    "spec",
    ["nonsense", "antenna.rulesets.default:MISSING", "no.such:RULES", "/does/not/exist.toml"],
)
def test_unknown_rule_sets(spec):
    with pytest.raises(InvalidRule):
        load_rules(spec)


def test_python_rule_set_by_path():
    assert load_rules("antenna.rulesets.mozilla:RULES")[0].name == "has_old_buildid"
