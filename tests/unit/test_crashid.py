"""Crash ids: shape, throttle digit, date, validation and user input."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jansky import crashid

VALID = "de1bb258-cbbf-4589-a673-34f800160918"


def test_created_id_has_uuid4_prefix_throttle_digit_and_utc_date() -> None:
    when = datetime.datetime(
        2026, 11, 22, 23, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))
    )
    crash_id = crashid.create_crash_id(when, crashid.THROTTLE_DEFER)
    assert len(crash_id) == 36
    assert crash_id[14] == "4"
    assert [crash_id[i] for i in (8, 13, 18, 23)] == ["-"] * 4
    assert crash_id[-7] == "1"
    # 23:30 at UTC-5 is already the next day in UTC.
    assert crash_id.endswith("261123")
    assert crashid.date_from_crash_id(crash_id) == datetime.date(2026, 11, 23)
    assert crashid.is_valid_crash_id(crash_id)


def test_created_ids_are_unique() -> None:
    assert len({crashid.create_crash_id() for _ in range(1000)}) == 1000


def test_throttle_result_must_be_one_digit() -> None:
    with pytest.raises(ValueError, match="one digit"):
        crashid.create_crash_id(throttle_result=10)


@pytest.mark.parametrize(
    ("candidate", "strict", "valid"),
    [
        (VALID, True, True),
        ("00000000-0000-0000-0000-000000000101", True, True),
        ("00000000-0000-0000-0000-000000000000", False, False),
        ("de1bb258-cbbf-4589-a673-34f800240229", True, True),
        ("de1bb258-cbbf-4589-a673-34f802160918", True, False),
        ("de1bb258-cbbf-4589-a673-34f802160918", False, True),
        (VALID.upper(), False, False),
        ("bp-" + VALID, False, False),
        (VALID[:-1], False, False),
        (VALID + "0", False, False),
        (VALID + "\n", False, False),
        ("de1bb258-cbbf-4589-a673-34f80016091x", False, False),
        ("../../../../etc/passwd-0000-000000000", False, False),
        ("de1bb258/cbbf-4589-a673-34f800160918", False, False),
        (None, False, False),
        (12345, False, False),
    ],
)
def test_validation(candidate: object, strict: bool, valid: bool) -> None:
    assert crashid.is_valid_crash_id(candidate, strict=strict) is valid
    if valid:
        assert crashid.validate_crash_id(candidate, strict=strict) == candidate
    else:
        with pytest.raises(crashid.InvalidCrashId, match="invalid crash id"):
            crashid.validate_crash_id(candidate, strict=strict)


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize(
    ("digits", "why"),
    [
        ("991399", "month 13"),
        ("990132", "day 32"),
        ("230229", "29 February of a year that is not a leap year"),
        ("000000", "month 0"),
        ("260431", "31 April"),
    ],
)
def test_the_last_six_digits_must_be_a_real_date(digits: str, why: str, strict: bool) -> None:
    crash_id = VALID[:-6] + digits
    assert crashid.is_valid_crash_id(crash_id, strict=strict) is False, why
    with pytest.raises(crashid.InvalidCrashId, match=f"{digits} is not a real date .YYMMDD."):
        crashid.validate_crash_id(crash_id, strict=strict)
    with pytest.raises(crashid.InvalidCrashId, match="not a real date"):
        crashid.parse_crash_id(f"bp-{crash_id}", strict=strict)


def test_parse_accepts_bp_prefix_and_whitespace() -> None:
    assert crashid.parse_crash_id(f"  bp-{VALID}\n") == VALID
    with pytest.raises(crashid.InvalidCrashId):
        crashid.parse_crash_id(f"bp-bp-{VALID}")


def test_error_message_is_bounded_for_huge_input() -> None:
    with pytest.raises(crashid.InvalidCrashId) as caught:
        crashid.validate_crash_id("x" * 100_000)
    assert len(str(caught.value)) < 200


def test_date_and_throttle_digit_are_read_back() -> None:
    assert crashid.date_from_crash_id(VALID) == datetime.date(2016, 9, 18)
    assert crashid.throttle_result_from_crash_id(VALID) == 0
    assert crashid.date_from_crash_id("00000000-0000-0000-0000-000000000000") is None


@given(
    st.datetimes(
        min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2099, 12, 31)
    ),
    st.sampled_from([0, 1, 3]),
)
def test_every_created_id_round_trips(when: datetime.datetime, throttle: int) -> None:
    crash_id = crashid.create_crash_id(when.replace(tzinfo=datetime.UTC), throttle)
    assert crashid.validate_crash_id(crash_id) == crash_id
    assert crashid.date_from_crash_id(crash_id) == when.date()
    assert crashid.throttle_result_from_crash_id(crash_id) == throttle


@given(st.text(max_size=60))
def test_arbitrary_text_is_either_valid_or_rejected_cleanly(text: str) -> None:
    if crashid.is_valid_crash_id(text, strict=False):
        assert crashid.validate_crash_id(text) == text
    else:
        with pytest.raises(crashid.InvalidCrashId):
            crashid.validate_crash_id(text)
