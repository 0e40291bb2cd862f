"""`jansky search`: options become Super Search parameters; errors become exit codes."""

from __future__ import annotations

import argparse
import json

import pytest

from jansky.search import command
from jansky.search.corpus import Corpus
from jansky.search.sqlite.backend import SqliteSearch
from tests.unit.search.strategies import NOW


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="jansky search")
    command.configure(parser)
    return parser.parse_args(argv)


def test_options_become_params() -> None:
    args = parse(
        [
            "--product=Firefox",
            "--product=Fenix",
            "--signature=!~OOM",
            "--_sort=-date",
            "--_aggs.product.version=platform",
            "--_histogram.date=product",
            "--url=__null__",
            "--param",
            "_aggs.product.version.platform=cpu_arch",
        ]
    )
    assert command.collect_params(args) == {
        "product": ["Firefox", "Fenix"],
        "signature": ["!~OOM"],
        "_sort": ["-date"],
        "_aggs.product.version": ["platform"],
        "_histogram.date": ["product"],
        "url": ["__null__"],
        "_aggs.product.version.platform": ["cpu_arch"],
    }


def test_misspelt_field_is_an_error() -> None:
    with pytest.raises(SystemExit):
        parse(["--signatur=x"])


def test_run_prints_the_response(tmp_path, capsys) -> None:
    url = f"sqlite://{tmp_path / 'search.db'}"
    backend = SqliteSearch(tmp_path / "search.db")
    backend.index_crashes(Corpus(NOW.now(NOW.tzinfo), days=2).crashes(10))
    backend.close()
    assert command.run(parse(["--search-url", url, "--_results_number=2", "--compact"])) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["total"] == 10 and len(result["hits"]) == 2
    assert command.run(parse(["--search-url", url, "--date=2024-01-01"])) == 2
    assert "date must have a prefix operator" in capsys.readouterr().err
    assert command.run(parse(["--search-url", "nope://x"])) == 1


def test_fields(capsys) -> None:
    assert command.run(parse(["--fields", "--compact"])) == 0
    assert "signature" in json.loads(capsys.readouterr().out)
