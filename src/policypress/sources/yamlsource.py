"""Read policy YAML safely and remember where every value came from.

Policies are edited by hand, so every later error must point back to a line and
column. This module walks libyaml's event stream (the C parser: fast) and builds
plain Python values together with a map from each value's path, such as
``("criteria", 1, "determination")``, to its position. It refuses what a policy
never needs and what makes YAML dangerous or surprising: tags (``!!python/…``),
anchors and aliases (alias bombs), duplicate keys, non-string keys, several
documents in one file, non-UTF-8 bytes and oversize files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode

from policypress.errors import Diagnostic, Path_, SourceError

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml is part of the pinned PyYAML wheels
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 1_000_000
"""A policy is a few dozen kilobytes; anything near a megabyte is a mistake or an attack."""

_RESOLVER = yaml.resolver.Resolver()
_TYPED_FIRST_CHARACTERS = frozenset(key for key in _RESOLVER.yaml_implicit_resolvers if key)
"""The first characters with which a plain scalar can be read as something other than text."""
_CONSTRUCTOR = SafeConstructor()


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file: its data and the 1-based line/column of every value and key."""

    file: str
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(repr=False)
    key_positions: dict[Path_, tuple[int, int]] = field(repr=False)
    unquoted: dict[Path_, str] = field(repr=False, default_factory=dict)
    """The source text of every unquoted scalar YAML read as something other than text (``0755`` -> 493)."""
    ends: dict[Path_, tuple[int, int]] = field(repr=False, default_factory=dict)
    """Where each text scalar's source ends (line, column just after it), to find words inside it."""
    text: str = field(repr=False, default="")

    def position(self, path: Path_) -> tuple[int, int]:
        """Line and column of the value at ``path``, or of its nearest ancestor that exists."""
        return _nearest_position(self.positions, path)

    def key_position(self, path: Path_) -> tuple[int, int]:
        """Line and column of the key naming ``path`` (falls back to the value's position)."""
        return self.key_positions.get(tuple(path)) or self.position(path)

    def position_of(self, path: Path_, needle: str, occurrence: int = 0) -> tuple[int, int]:
        """Line and column of the ``occurrence``-th ``needle`` inside the text at ``path`` (a citation key,
        say), so a message points at the word, not at the start of a long paragraph."""
        return _position_in_source(self.text, self.positions, self.ends, path, needle, occurrence)

    def stored_positions(self) -> str:
        """The value positions as compact JSON, for ``StoredPositions`` (a cache keeps them instead of the file)."""
        return json.dumps(
            [[list(path), *where, *self.ends.get(path, ())] for path, where in self.positions.items()],
            separators=(",", ":"),
        )


class StoredPositions:
    """The value positions of a document read earlier (``YamlDocument.stored_positions``), decoded when first
    asked; ``raw`` is the file's bytes, read only to find a word inside a value."""

    def __init__(self, stored: str, raw: bytes = b"") -> None:
        self._stored = stored
        self._raw = raw
        self._positions: dict[Path_, tuple[int, int]] | None = None
        self._ends: dict[Path_, tuple[int, int]] = {}

    def _decoded(self) -> dict[Path_, tuple[int, int]]:
        if self._positions is None:
            self._positions = {}
            for path, line, col, *end in json.loads(self._stored):
                self._positions[tuple(path)] = (line, col)
                if len(end) == 2:
                    self._ends[tuple(path)] = (end[0], end[1])
        return self._positions

    def position(self, path: Path_) -> tuple[int, int]:
        """Line and column of the value at ``path``, or of its nearest ancestor that exists."""
        return _nearest_position(self._decoded(), path)

    def position_of(self, path: Path_, needle: str, occurrence: int = 0) -> tuple[int, int]:
        """As ``YamlDocument.position_of``."""
        positions = self._decoded()
        text = self._raw.decode("utf-8", errors="replace")
        return _position_in_source(text, positions, self._ends, path, needle, occurrence)


def _position_in_source(
    text: str,
    positions: dict[Path_, tuple[int, int]],
    ends: dict[Path_, tuple[int, int]],
    path: Path_,
    needle: str,
    occurrence: int,
) -> tuple[int, int]:
    """The ``occurrence``-th ``needle`` between the start and end of the scalar at ``path`` in ``text``;
    the scalar's own position when the source does not hold it as written (an escape, a fold inside it)."""
    start, end = positions.get(tuple(path)), ends.get(tuple(path))
    if start is None or end is None or not needle:
        return _nearest_position(positions, path)
    lines = text.split("\n")
    if end[0] > len(lines):
        return start

    def offset(line: int, col: int) -> int:
        return sum(len(lines[i]) + 1 for i in range(line - 1)) + col - 1

    first, last = offset(*start), offset(*end)
    found = first - 1
    for _ in range(occurrence + 1):
        found = text.find(needle, found + 1, last)
        if found < 0:
            return start
    line = text.count("\n", 0, found) + 1
    return line, found - (text.rfind("\n", 0, found) + 1) + 1


def _nearest_position(positions: dict[Path_, tuple[int, int]], path: Path_) -> tuple[int, int]:
    """The position of ``path``, else of its nearest ancestor that has one, else the file's start."""
    for end in range(len(path), -1, -1):
        found = positions.get(tuple(path[:end]))
        if found is not None:
            return found
    return (1, 1)


def load_yaml(path: Path, display: str, raw: bytes | None = None) -> YamlDocument:
    """Read and parse one YAML file (or its ``raw`` bytes, already read); raise ``SourceError`` naming
    ``display`` on any problem."""
    if raw is None:
        raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise SourceError(
            [
                _diag(
                    display,
                    1,
                    1,
                    "yaml.too_large",
                    f"file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}",
                )
            ]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError([_diag(display, line, col, "yaml.encoding", "file is not valid UTF-8")]) from None
    return parse_yaml(text, display)


def check_config_file(path: Path, display: str) -> None:
    """Refuse in ``mkdocs.yml`` what policy files refuse and MkDocs would not: more than
    ``MAX_FILE_BYTES``, anchors and aliases (an alias bomb expands to gigabytes), nesting
    beyond ``MAX_NESTING``. Tags stay allowed (``!ENV``, ``!relative`` are MkDocs' own)."""
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise SourceError(
            [_diag(display, 1, 1, "yaml.too_large", f"file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}")]
        )
    problems: list[Diagnostic] = []
    depth = 0
    try:
        for event in yaml.parse(raw.decode("utf-8", errors="replace"), Loader=yaml.SafeLoader):
            mark = event.start_mark
            if isinstance(event, yaml.AliasEvent) and not any(p.code == "yaml.alias" for p in problems):
                problems.append(
                    _diag(
                        display,
                        mark.line + 1,
                        mark.column + 1,
                        "yaml.alias",
                        "aliases (*name) are not allowed in mkdocs.yml",
                    )
                )
            elif getattr(event, "anchor", None) is not None and not any(p.code == "yaml.anchor" for p in problems):
                problems.append(
                    _diag(
                        display,
                        mark.line + 1,
                        mark.column + 1,
                        "yaml.anchor",
                        "anchors (&name) are not allowed in mkdocs.yml",
                    )
                )
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                if depth > MAX_NESTING:
                    problems.append(
                        _diag(
                            display,
                            mark.line + 1,
                            mark.column + 1,
                            "yaml.too_deep",
                            f"nested more than {MAX_NESTING} levels deep",
                        )
                    )
                    break
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # a syntax error: MkDocs reports it with its own message
    if problems:
        raise SourceError(problems)


def parse_yaml(text: str, display: str) -> YamlDocument:
    """Parse YAML text (one document) into data plus positions."""
    builder = _Builder(display)
    try:
        events = list(yaml.parse(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        raise SourceError([_diag(display, line, col, "yaml.syntax", f"YAML syntax error: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise SourceError([_diag(display, 1, 1, "yaml.syntax", f"YAML syntax error: {exc}")]) from None
    data = builder.build(events)
    if builder.diagnostics:
        raise SourceError(builder.diagnostics)
    return YamlDocument(display, data, builder.positions, builder.key_positions, builder.unquoted, builder.ends, text)


def _diag(file: str, line: int, col: int, code: str, message: str) -> Diagnostic:
    return Diagnostic(file, line, col, code, message)


MAX_NESTING = 64
"""How deep values may nest in a source file (a policy with five levels of criteria nests about 12);
deeper is refused with its line instead of exhausting the recursion of whatever reads it."""


class _Builder:
    """Turns a flat event list into nested values, recording positions and refusals."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.key_positions: dict[Path_, tuple[int, int]] = {}
        self.unquoted: dict[Path_, str] = {}
        self.ends: dict[Path_, tuple[int, int]] = {}
        self.diagnostics: list[Diagnostic] = []
        self._events: list[yaml.Event] = []
        self._index = 0

    def build(self, events: list[yaml.Event]) -> Any:
        documents = [e for e in events if isinstance(e, yaml.DocumentStartEvent)]
        if len(documents) > 1:
            mark = documents[1].start_mark
            self._refuse(mark, "yaml.multiple_documents", "a policy file holds exactly one YAML document")
            return None
        self._events = [
            e
            for e in events
            if not isinstance(
                e,
                yaml.StreamStartEvent | yaml.StreamEndEvent | yaml.DocumentStartEvent | yaml.DocumentEndEvent,
            )
        ]
        if not self._events:
            return None
        return self._value(())

    def _refuse(self, mark: yaml.Mark, code: str, message: str) -> None:
        self.diagnostics.append(_diag(self.display, mark.line + 1, mark.column + 1, code, message))

    def _next(self) -> yaml.Event:
        event = self._events[self._index]
        self._index += 1
        return event

    def _skip_collection(self) -> None:
        """Consume the rest of a sequence or mapping whose start was just read, without recursion."""
        depth = 1
        while depth:
            event = self._next()
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1

    def _value(self, path: Path_) -> Any:
        event = self._next()
        self.positions[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
        if len(path) >= MAX_NESTING and isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self._refuse(
                event.start_mark, "yaml.too_deep", f"values are nested more than {MAX_NESTING} levels deep here"
            )
            self._skip_collection()
            return None
        if isinstance(event, yaml.AliasEvent):
            self._refuse(event.start_mark, "yaml.alias", "aliases (*name) are not allowed in policy files")
            return None
        if event.anchor is not None:
            self._refuse(event.start_mark, "yaml.anchor", "anchors (&name) are not allowed in policy files")
        tag = getattr(event, "tag", None)
        if tag is not None:
            self._refuse(event.start_mark, "yaml.tag", f"tags such as {tag!r} are not allowed in policy files")
        if isinstance(event, yaml.ScalarEvent):
            value = self._scalar(event)
            if isinstance(value, str):
                self.ends[path] = (event.end_mark.line + 1, event.end_mark.column + 1)
            elif value is not None:
                self.unquoted[path] = event.value
            return value
        if isinstance(event, yaml.SequenceStartEvent):
            items: list[Any] = []
            while not isinstance(self._events[self._index], yaml.SequenceEndEvent):
                items.append(self._value((*path, len(items))))
            self._next()
            return items
        return self._mapping(path)

    def _mapping(self, path: Path_) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        while not isinstance(self._events[self._index], yaml.MappingEndEvent):
            key_event = self._events[self._index]
            key = self._value((*path, "<key>"))
            key_pos = (key_event.start_mark.line + 1, key_event.start_mark.column + 1)
            if not isinstance(key, str):
                self._refuse(
                    key_event.start_mark,
                    "yaml.key_type",
                    f"keys must be text; got {type(key).__name__} {key!r}",
                )
                key = str(key)
            if key in mapping:
                first_line = self.key_positions[(*path, key)][0]
                self._refuse(
                    key_event.start_mark,
                    "yaml.duplicate_key",
                    f"duplicate key {key!r} (first defined on line {first_line})",
                )
                self._value((*path, key, "<duplicate>"))
                continue
            self.key_positions[(*path, key)] = key_pos
            mapping[key] = self._value((*path, key))
        self._next()
        self.positions.pop((*path, "<key>"), None)
        return mapping

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        if event.style in ("'", '"', "|", ">"):
            return event.value
        if event.value and event.value[0] not in _TYPED_FIRST_CHARACTERS:
            return event.value  # plain text: YAML types no scalar starting this way (most words)
        tag = _RESOLVER.resolve(ScalarNode, event.value, (True, False))
        if tag == "tag:yaml.org,2002:str":
            return event.value
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
        except (ValueError, yaml.YAMLError):
            return event.value
