"""Validate parsed YAML against the model and turn every failure into a located diagnostic.

pydantic reports all errors of a document at once; each carries a path such as
``("criteria", 1, "determination")`` that ``YamlDocument`` maps back to a line and
column, so an author sees ``policy/x.yaml:42:9: criteria[1].determination: …``.
"""

from __future__ import annotations

import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from policypress.errors import Diagnostic
from policypress.yamlsource import Path_, YamlDocument

ModelT = TypeVar("ModelT", bound=BaseModel)


def field_name(path: Path_) -> str:
    """``("criteria", 1, "text")`` as ``criteria[1].text``: how messages name a field."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def validate_document(document: YamlDocument, model: type[ModelT]) -> tuple[ModelT | None, list[Diagnostic]]:
    """The document as ``model``, or ``None`` and one diagnostic per problem."""
    if not isinstance(document.data, dict):
        found = "an empty file" if document.data is None else type(document.data).__name__
        return None, [Diagnostic(document.file, 1, 1, "schema.type", f"expected a mapping of fields, got {found}")]
    try:
        return model.model_validate(document.data), []
    except ValidationError as exc:
        return None, [_diagnostic(document, model, error) for error in exc.errors(include_url=False)]


def _diagnostic(document: YamlDocument, model: type[BaseModel], error: Any) -> Diagnostic:
    path: Path_ = tuple(p for p in error["loc"] if isinstance(p, str | int))
    kind = error["type"]
    name = field_name(path)
    if kind == "extra_forbidden":
        line, col = document.key_position(path)
        known = _known_fields(model, path[:-1])
        guess = difflib.get_close_matches(str(path[-1]), known, n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else f"; expected one of: {', '.join(known)}"
        return Diagnostic(document.file, line, col, "schema.unknown_field", f"{name}: unknown field{hint}")
    if kind == "missing":
        line, col = document.key_position(path[:-1]) if len(path) > 1 else (1, 1)
        return Diagnostic(document.file, line, col, "schema.missing", f"{name}: required field is missing")
    line, col = document.position(path)
    message = error["msg"]
    if kind == "literal_error":
        message = f"expected one of {error['ctx']['expected'].replace(' or ', ', ')}"
    elif kind == "too_short" and error["ctx"].get("min_length") == 1:
        return Diagnostic(document.file, line, col, "schema.empty", f"{name}: must not be empty")
    elif message.startswith("Input should be "):
        message = "expected " + message[len("Input should be ") :]
    elif message.startswith("String should match pattern "):
        message = "expected text matching " + message[len("String should match pattern ") :]
    return Diagnostic(document.file, line, col, f"schema.{kind}", f"{name}: {message}, got {error['input']!r}")


def _known_fields(model: type[BaseModel], path: Path_) -> list[str]:
    """Field names of the (sub)model at ``path``, for did-you-mean hints."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
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
