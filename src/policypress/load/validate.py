"""Validate parsed YAML against the model and turn every failure into a located diagnostic.

pydantic reports all errors of a document at once; each carries a path such as
``("criteria", 1, "determination")`` that ``YamlDocument`` maps back to a line and
column, so an author sees ``policy/x.yaml:42:9: criteria[1].determination: …``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from policypress.errors import Diagnostic, Path_, field_name
from policypress.model.policy import BLOCK_MODELS, BLOCK_TAG_PREFIX, POLICY_ID_PATTERN, YEAR_MONTH_PATTERN
from policypress.sources.yamlsource import YamlDocument

ModelT = TypeVar("ModelT", bound=BaseModel)


def validate_document(document: YamlDocument, model: type[ModelT]) -> tuple[ModelT | None, list[Diagnostic]]:
    """The document as ``model``, or ``None`` and one diagnostic per problem."""
    if not isinstance(document.data, dict):
        found = "an empty file" if document.data is None else type(document.data).__name__
        return None, [Diagnostic(document.file, 1, 1, "schema.type", f"expected a mapping of fields, got {found}")]
    controls = list(_control_characters(document, document.data, ()))
    try:
        valid = model.model_validate(document.data)
        return (None, controls) if controls else (valid, [])
    except ValidationError as exc:
        errors = _one_per_day_or_month([e for e in exc.errors(include_url=False) if not _is_consequence(e)])
    # a misspelt field also makes the real one "missing": report only the misspelling
    guessed = {(*_path(e)[:-1], g) for e in errors if (g := _guess(model, e)) is not None}
    return None, controls + [
        _diagnostic(document, model, e) for e in errors if not (e["type"] == "missing" and _path(e) in guessed)
    ]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters other than tab and line feed: invisible, and some (NUL) break HTML and XML."""


def _control_characters(document: YamlDocument, value: Any, path: Path_) -> Iterator[Diagnostic]:
    """Every text of the document holding a control character, at its line."""
    if isinstance(value, str):
        if match := _CONTROL.search(value):
            line, col = document.position(path)
            char = match.group()
            yield Diagnostic(
                document.file,
                line,
                col,
                "schema.control_character",
                f"{field_name(path) or 'value'}: holds the control character U+{ord(char):04X}, which no "
                "reader sees and which breaks HTML and XML; remove it",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _control_characters(document, item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _control_characters(document, item, (*path, index))


_DAY_OR_MONTH_MEMBERS = ("date", "constrained-str")
"""How pydantic names the two members of ``DayOrMonth`` in an error's location."""


def _one_per_day_or_month(errors: list[Any]) -> list[Any]:
    """A value that is neither a day nor a month fails both members of ``DayOrMonth``: report it once."""
    merged: list[Any] = []
    seen: set[tuple[Any, ...]] = set()
    for error in errors:
        loc = tuple(error["loc"])
        if loc and loc[-1] in _DAY_OR_MONTH_MEMBERS:
            if loc[:-1] in seen:
                continue
            seen.add(loc[:-1])
            merged.append({**error, "loc": loc[:-1], "type": "day_or_month", "msg": "day_or_month"})
            continue
        merged.append(error)
    return merged


def _path(error: Any) -> Path_:
    return tuple(
        p for p in error["loc"] if isinstance(p, int) or (isinstance(p, str) and not p.startswith(BLOCK_TAG_PREFIX))
    )


def _is_consequence(error: Any) -> bool:
    """A list reported "too short after validation" only because one of its items was invalid."""
    if error["type"] != "too_short":
        return False
    given = error.get("input")
    return isinstance(given, list | tuple) and len(given) >= error["ctx"].get("min_length", 0)


def _guess(model: type[BaseModel], error: Any) -> str | None:
    """For an unknown field, the known field it most likely misspells."""
    if error["type"] != "extra_forbidden":
        return None
    path = _path(error)
    matches = difflib.get_close_matches(str(path[-1]), _known_fields(model, error["loc"][:-1]), n=1)
    return matches[0] if matches else None


PATTERN_WORDS = {
    YEAR_MONTH_PATTERN: "a month written YYYY-MM (e.g. 2024-09)",
    POLICY_ID_PATTERN: "a reference number such as WA.CP.MP.166 (capitals and digits between dots)",
}
"""How a pattern is explained to an author, instead of showing the regular expression."""


def _diagnostic(document: YamlDocument, model: type[BaseModel], error: Any) -> Diagnostic:
    path = _path(error)
    kind = error["type"]
    name = field_name(path)
    if kind == "extra_forbidden":
        line, col = document.key_position(path)
        guess = _guess(model, error)
        known = ", ".join(_known_fields(model, error["loc"][:-1]))
        hint = f"; did you mean {guess!r}?" if guess else f"; expected one of: {known}"
        return Diagnostic(document.file, line, col, "schema.unknown_field", f"{name}: unknown field{hint}")
    if kind == "missing":
        line, col = document.key_position(path[:-1]) if len(path) > 1 else (1, 1)
        return Diagnostic(document.file, line, col, "schema.missing", f"{name}: required field is missing")
    line, col = document.position(path)
    if kind in ("too_short", "string_too_short") and error["ctx"].get("min_length") == 1:
        return Diagnostic(document.file, line, col, "schema.empty", f"{name}: must not be empty")
    message = error["msg"]
    if kind == "day_or_month":
        return Diagnostic(
            document.file,
            line,
            col,
            "schema.day_or_month",
            f"{name}: expected a day written YYYY-MM-DD (e.g. 2025-01-15) or a month written YYYY-MM "
            f"(e.g. 2025-01), got {_shown(error['input'])}",
        )
    if kind in _DATE_ERRORS:
        return Diagnostic(document.file, line, col, "schema.date", f"{name}: {_date_words(error['input'])}")
    if kind == "literal_error":
        message = f"expected one of {error['ctx']['expected'].replace(' or ', ', ')}"
    elif kind == "string_pattern_mismatch":
        pattern = error["ctx"]["pattern"]
        message = f"expected {PATTERN_WORDS.get(pattern, f'text matching {pattern!r}')}"
    elif kind == "string_type" and isinstance(error["input"], dt.date) and path in document.unquoted:
        return Diagnostic(
            document.file,
            line,
            col,
            "schema.full_date",
            f"{name}: expected a month written YYYY-MM, got the date {document.unquoted[path]}; "
            f"write {error['input']:%Y-%m}",
        )
    elif kind == "string_type" and path in document.unquoted:
        written = document.unquoted[path]
        return Diagnostic(
            document.file,
            line,
            col,
            "schema.unquoted",
            f"{name}: expected text, got {written} (YAML reads it unquoted as {_shown(error['input'])}); "
            f'write it in quotes: "{written}"',
        )
    elif message.startswith("Input should be "):
        message = "expected " + message[len("Input should be ") :]
    return Diagnostic(document.file, line, col, f"schema.{kind}", f"{name}: {message}, got {_shown(error['input'])}")


_DATE_ERRORS = frozenset({"date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact"})
"""pydantic's kinds of "not a date", told to an author in one sentence (``_date_words``)."""
_US_DATE = re.compile(r"^(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}|\d{2})$")


def _date_words(given: Any) -> str:
    """What an author reads for a value that is not a date: the form to write, and, for a US date, the date."""
    words = f"write dates as YYYY-MM-DD, e.g. 2024-11-01; got {_shown(given)}"
    match = _US_DATE.match(str(given).strip()) if isinstance(given, str) else None
    if match:
        year = match["year"] if len(match["year"]) == 4 else f"20{match['year']}"
        try:
            written = dt.date(int(year), int(match["month"]), int(match["day"]))
        except ValueError:
            return words
        return f"{words}; if that is month/day/year, write {written.isoformat()}"
    if isinstance(given, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", given.strip()):
        return f"{words}, which is not a day of the calendar"
    return words


def _shown(value: Any) -> str:
    """A YAML value as an author would recognise it (a date as written, not ``datetime.date(…)``)."""
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return repr(value)


def _known_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (sub)model at an error's location ``loc``, for did-you-mean hints."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if isinstance(part, str) and part in BLOCK_MODELS:
            current = BLOCK_MODELS[part]
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = _inner_model(field.annotation)
    return list(getattr(current, "model_fields", {}))


def _inner_model(annotation: Any) -> Any:
    """The model class inside ``tuple[X, ...]`` or ``X | None``, else the annotation itself."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        inner = _inner_model(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation
