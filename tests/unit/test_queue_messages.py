"""Queue message bodies: crash ids with an optional ruleset, validated before publishing."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jansky.crashid import InvalidCrashId, create_crash_id, date_from_crash_id
from jansky.queue.base import Message
from jansky.queue.messages import is_valid_body, make_body, validate_bodies, validate_body

CRASH_ID = "de1bb258-cbbf-4589-a673-34f800160918"
BODY_SHAPE = re.compile(
    r"^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{6}[0-9]{6}(:[a-z_]{1,40})?$"
)

crash_ids = st.builds(
    "{}{}{:%y%m%d}".format,
    st.from_regex(r"\A[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{5}\Z"),
    st.sampled_from("0123456789"),
    st.dates(datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)),
)
rulesets = st.from_regex(r"\A[a-z_]{1,40}\Z")


@given(crash_id=crash_ids, ruleset=st.none() | rulesets)
def test_valid_bodies_are_returned_unchanged(crash_id: str, ruleset: str | None) -> None:
    body = crash_id if ruleset is None else f"{crash_id}:{ruleset}"
    assert validate_body(body) == body
    assert is_valid_body(body)
    message = Message(queue="standard", body=body, receipt="r", receive_count=1)
    assert (message.crash_id, message.ruleset) == (crash_id, ruleset)


@given(st.text(max_size=100))
def test_any_text_is_accepted_only_in_the_body_shape(text: str) -> None:
    shaped = bool(BODY_SHAPE.match(text) and not text.endswith("\n"))
    assert is_valid_body(text) == (shaped and date_from_crash_id(text[:36]) is not None)


@given(crash_id=crash_ids, suffix=st.text(min_size=1, max_size=60))
def test_suffixes_other_than_a_ruleset_are_rejected(crash_id: str, suffix: str) -> None:
    body = f"{crash_id}:{suffix}"
    if re.fullmatch(r"[a-z_]{1,40}", suffix):
        assert validate_body(body) == body
    else:
        with pytest.raises(InvalidCrashId):
            validate_body(body)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "test",
        CRASH_ID.upper(),
        CRASH_ID[:-1],
        CRASH_ID + "0",
        f"../{CRASH_ID}",
        f"{CRASH_ID[:8]}/{CRASH_ID[9:]}",
        f"{CRASH_ID[:8]}\\{CRASH_ID[9:]}",
        "..",
        f"{CRASH_ID}\n",
        f" {CRASH_ID}",
        f"bp-{CRASH_ID}",
        f"{CRASH_ID}:",
        f"{CRASH_ID}:Default",
        f"{CRASH_ID}:../default",
        f"{CRASH_ID}:default:default",
        f"{CRASH_ID}:{'a' * 41}",
        f"{CRASH_ID[:-6]}991399",
    ],
)
def test_hostile_bodies_are_rejected_with_the_body_in_the_message(body: str) -> None:
    with pytest.raises(InvalidCrashId) as excinfo:
        validate_body(body)
    assert repr(body)[:40] in str(excinfo.value)
    assert not is_valid_body(body)


@pytest.mark.parametrize("body", [None, 42, CRASH_ID.encode()])
def test_non_strings_are_rejected(body: object) -> None:
    with pytest.raises(InvalidCrashId, match="expected a string"):
        validate_body(body)


def test_validate_bodies_checks_every_body_and_refuses_a_bare_string() -> None:
    good = create_crash_id()
    assert validate_bodies([good, f"{good}:default"]) == [good, f"{good}:default"]
    with pytest.raises(InvalidCrashId, match="'nope'"):
        validate_bodies([good, "nope"])
    with pytest.raises(TypeError, match="sequence of bodies"):
        validate_bodies(good)


def test_make_body_adds_the_ruleset_and_validates() -> None:
    assert make_body(CRASH_ID) == CRASH_ID
    assert make_body(CRASH_ID, "regenerate_signature") == f"{CRASH_ID}:regenerate_signature"
    with pytest.raises(InvalidCrashId):
        make_body(CRASH_ID, "Regenerate")
    with pytest.raises(InvalidCrashId):
        make_body("../../etc/passwd")
