"""The line-aware YAML reader: positions, and what it refuses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from policypress.errors import SourceError
from policypress.sources.yamlsource import MAX_FILE_BYTES, load_yaml, parse_yaml


def messages(text: str) -> list[str]:
    with pytest.raises(SourceError) as caught:
        parse_yaml(text, "p.yaml")
    return [d.format() for d in caught.value.diagnostics]


def test_positions_of_values_and_keys() -> None:
    doc = parse_yaml("id: X.Y\ncriteria:\n  - text: a\n    determination: maybe\n", "p.yaml")
    assert doc.data == {"id": "X.Y", "criteria": [{"text": "a", "determination": "maybe"}]}
    assert doc.position(("criteria", 0, "determination")) == (4, 20)
    assert doc.key_position(("criteria", 0, "determination")) == (4, 5)
    assert doc.position(("criteria", 0, "missing")) == (3, 5)


def test_yaml_11_scalars_are_resolved_so_the_schema_can_refuse_them() -> None:
    doc = parse_yaml('a: NO\nb: 0755\nc: "0755"\nd: 2024-11-01\ne: 2024-09\nf: null\n', "p.yaml")
    assert doc.data == {
        "a": False,
        "b": 493,
        "c": "0755",
        "d": dt.date(2024, 11, 1),
        "e": "2024-09",
        "f": None,
    }


def test_block_scalars_are_text() -> None:
    doc = parse_yaml("a: >-\n  one\n  two\nb: |\n  x\n", "p.yaml")
    assert doc.data == {"a": "one two", "b": "x\n"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\na: 2\n", "p.yaml:2:1: duplicate key 'a' (first defined on line 1) [yaml.duplicate_key]"),
        (
            "a: !!python/object/apply:os.system [ls]\n",
            "p.yaml:1:4: tags such as 'tag:yaml.org,2002:python/object/apply:os.system' are not allowed "
            "in policy files [yaml.tag]",
        ),
        (
            "a: !!str 1\n",
            "p.yaml:1:4: tags such as 'tag:yaml.org,2002:str' are not allowed in policy files [yaml.tag]",
        ),
        ("a: &x [1]\n", "p.yaml:1:4: anchors (&name) are not allowed in policy files [yaml.anchor]"),
        ("1: x\n", "p.yaml:1:1: keys must be text; got int 1 [yaml.key_type]"),
        (
            "a: 1\n---\nb: 2\n",
            "p.yaml:2:1: a policy file holds exactly one YAML document [yaml.multiple_documents]",
        ),
        (
            "a: [1\n",
            "p.yaml:2:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence that "
            "starts on line 1) [yaml.syntax]",
        ),
    ],
)
def test_refusals(text: str, expected: str) -> None:
    assert expected in messages(text)


def test_alias_bomb_is_refused_without_expansion() -> None:
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\n"
    found = messages(bomb)
    assert any("[yaml.alias]" in m for m in found)


def test_non_utf8_and_oversize_files(tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"title: caf\xe9\n")
    with pytest.raises(SourceError) as caught:
        load_yaml(latin, "latin.yaml")
    assert caught.value.diagnostics[0].format() == "latin.yaml:1:11: file is not valid UTF-8 [yaml.encoding]"
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(SourceError) as caught:
        load_yaml(big, "big.yaml")
    assert caught.value.diagnostics[0].code == "yaml.too_large"
