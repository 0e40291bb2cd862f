"""Hypothesis strategies for Super Search parameters: valid by construction, or anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from jansky.search.documents import INT_RANGES
from jansky.search.fields import get_registry

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
REGISTRY = get_registry()
FIELDS = [field for field in REGISTRY]
AGGREGATABLE = [f.name for f in FIELDS if f.aggregatable and f.validation_type != "datetime"]
HISTOGRAMMABLE = [f.name for f in FIELDS if f.histogrammable]
HOSTILE_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "(a|a)*" * 30 + "b",
            "(.*){20}x",
            ".*.*.*.*.*.*.*.*x",
            "[" * 50,
            "\\",
            "\"'; DROP TABLE crashes; --",
            "%_*?",
            "x" * 9_999,
            "\ud7ff\uffff",
        ]
    ),
)

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


def _value_for(field, now: datetime) -> st.SearchStrategy[str]:
    kind = field.validation_type
    negate = st.sampled_from(["", "!"])
    if kind == "str":
        plain = _TEXT.filter(lambda t: not t.startswith(("!", "=", "~", "^", "$", "@", "__")))
        op = st.sampled_from(["", "=", "~", "^", "$"])
        regex = st.sampled_from(["@.*", "@a+b?", "@[a-z]{1,3}", '@"lit.eral"', "@(x|y)*"])
        body = st.one_of(st.tuples(op, plain).map("".join), regex, st.just("__null__"))
    elif kind in ("int", "float"):
        low, high = INT_RANGES.get(field.storage_type, INT_RANGES["long"])
        number = st.integers(low, high).map(str)
        if kind == "float":
            number = st.one_of(number, st.floats(allow_nan=False, allow_infinity=False).map(repr))
        op = st.sampled_from(["", ">", ">=", "<", "<="])
        body = st.one_of(st.tuples(op, number).map("".join), st.just("__null__"))
    elif kind == "datetime":
        moment = st.integers(0, 300 * 24).map(lambda h: (now - timedelta(hours=h)).isoformat())
        body = st.tuples(st.sampled_from([">", ">=", "<", "<="]), moment).map("".join)
        return body
    elif kind == "bool":
        body = st.sampled_from(["__true__", "__null__", "true", "false", "yes", "0"])
    else:
        body = st.one_of(_TEXT.filter(lambda t: not t.startswith(("!", "__"))), st.just("__null__"))
    return st.tuples(negate, body).map("".join)


@st.composite
def valid_params(draw, now: datetime = NOW) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        if field.validation_type == "datetime":
            continue
        params[field.name] = draw(st.lists(_value_for(field, now), min_size=1, max_size=3))
    if draw(st.booleans()):
        params["_columns"] = draw(
            st.lists(st.sampled_from([f.name for f in FIELDS]), min_size=1, max_size=4)
        )
    if draw(st.booleans()):
        params["_sort"] = [
            draw(st.sampled_from(["", "-"])) + name
            for name in draw(st.lists(st.sampled_from(AGGREGATABLE), max_size=2))
        ]
    params["_results_number"] = [str(draw(st.integers(0, 1000)))]
    params["_results_offset"] = [str(draw(st.integers(0, 9000)))]
    params["_facets_size"] = [str(draw(st.integers(0, 100)))]
    leaves = st.one_of(
        st.sampled_from(AGGREGATABLE),
        st.sampled_from(AGGREGATABLE).map(lambda n: f"_cardinality.{n}"),
        st.sampled_from(HISTOGRAMMABLE).map(lambda n: f"_histogram.{n}"),
    )
    params["_facets"] = draw(st.lists(leaves, max_size=3))
    if draw(st.booleans()):
        chain = draw(st.lists(st.sampled_from(AGGREGATABLE), min_size=1, max_size=3))
        params["_aggs." + ".".join(chain)] = draw(st.lists(leaves, max_size=2))
    if draw(st.booleans()):
        name = draw(st.sampled_from(HISTOGRAMMABLE))
        params[f"_histogram.{name}"] = draw(st.lists(leaves, max_size=2))
        field = REGISTRY.get(name)
        if field.validation_type == "datetime":
            interval = draw(st.sampled_from(["day", "1h", "week", "month", "year"]))
        else:
            interval = str(draw(st.integers(1, 10**9)))
        params[f"_histogram_interval.{name}"] = [interval]
    if draw(st.booleans()):
        low = draw(st.integers(1, 40))
        params["date"] = [
            f">={(now - timedelta(days=low)).isoformat()}",
            f"<{(now - timedelta(days=low - draw(st.integers(0, 60)))).isoformat()}",
        ]
    return params


KEYS = st.one_of(
    st.sampled_from([f.name for f in FIELDS]),
    st.sampled_from(
        [
            "_columns",
            "_sort",
            "_facets",
            "_results_number",
            "_results_offset",
            "_facets_size",
            "_return_query",
            "_aggs.product",
            "_aggs.product.version.platform.cpu_arch",
            "_aggs.",
            "_histogram.date",
            "_histogram.uptime",
            "_histogram_interval.date",
            "_histogram_interval.uptime",
            "_histogram.signature",
            "_cardinality.x",
        ]
    ),
    st.text(max_size=10),
)
VALUES = st.one_of(
    HOSTILE_TEXT,
    st.tuples(
        st.sampled_from(["", "!", "=", "~", "^", "$", "@", ">", ">=", "<", "<=", "!~", "!@"]),
        HOSTILE_TEXT,
    ).map("".join),
    st.sampled_from(["__null__", "__true__", "-1", "1001", "10001", "99999999999999999999999"]),
)
any_params = st.dictionaries(KEYS, st.lists(VALUES, max_size=3), max_size=5)
