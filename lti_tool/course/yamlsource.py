"""YAML parsing that remembers where every value came from.

Authors need "activity.yaml:42: credits.physician.max_credits: ..." rather than a pydantic
location tuple, so the file is composed into a node tree (which keeps line marks) and then
constructed from that same tree; ``YamlDocument.locate`` walks the tree along an error
location. PyYAML's safe loader follows YAML 1.1, which would turn ``no`` into ``False`` and
``1.25`` into a float; this loader keeps only ``true``/``false`` as booleans and reads
decimals as ``Decimal`` so credit amounts are never floats. Duplicate keys, which PyYAML
silently lets the last one win, are reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import yaml

from lti_tool.course.errors import ValidationIssue

_BOOL_TAG = "tag:yaml.org,2002:bool"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _ActivityYamlLoader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 booleans and Decimal numbers."""


_ActivityYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ActivityYamlLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | float:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        # .inf / .nan and sexagesimal floats: no credit amount looks like these; let the
        # schema reject the float with a readable message.
        return float(loader.construct_yaml_float(node))


_ActivityYamlLoader.add_constructor(_FLOAT_TAG, _construct_decimal)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    # "2026-02-30" looks like a date to YAML but is none; keep the text so the schema reports
    # an invalid date on the right field and line instead of the parser raising.
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return str(loader.construct_scalar(node))


_ActivityYamlLoader.add_constructor(_TIMESTAMP_TAG, _construct_timestamp)


@dataclass(frozen=True)
class YamlDocument:
    file: str
    data: object
    root: yaml.Node | None

    def locate(self, loc: Sequence[str | int]) -> tuple[int | None, str]:
        """The 1-based line and dotted field path for a pydantic-style location."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        parts: list[str] = []
        for element in loc:
            if isinstance(node, yaml.MappingNode):
                pair = _find_pair(node, element)
                if pair is None:
                    parts.append(str(element))
                    node = None
                    continue
                key, node = pair
                parts.append(str(key.value))
                line = key.start_mark.line + 1
            elif isinstance(node, yaml.SequenceNode) and isinstance(element, int):
                if element >= len(node.value):
                    parts.append(f"[{element}]")
                    node = None
                    continue
                node = node.value[element]
                parts.append(f"[{element}]")
                line = node.start_mark.line + 1
            else:
                parts.append(f"[{element}]" if isinstance(element, int) else str(element))
                node = None
        return line, _join(parts)

    def issue(self, loc: Sequence[str | int], message: str) -> ValidationIssue:
        line, field = self.locate(loc)
        return ValidationIssue(self.file, line, field or None, message)


def _find_pair(node: yaml.MappingNode, element: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    # Mappings that the schema turns into tuples (credits, choices) are addressed by index.
    if isinstance(element, int):
        return node.value[element] if 0 <= element < len(node.value) else None
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == element:
            return key, value
    return None


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        out += part if part.startswith("[") or not out else f".{part}"
    return out


def _duplicate_keys(
    document: YamlDocument, node: yaml.Node, path: tuple[str | int, ...]
) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for index, (key, value) in enumerate(node.value):
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else repr(key)
            if name in seen:
                _, field = document.locate(path)
                issues.append(
                    ValidationIssue(
                        document.file,
                        key.start_mark.line + 1,
                        f"{field}.{name}" if field else name,
                        "duplicate key (YAML would silently keep only the last one)",
                    )
                )
            seen.add(name)
            issues.extend(_duplicate_keys(document, value, (*path, index)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            issues.extend(_duplicate_keys(document, item, (*path, index)))
    return issues


def parse_yaml(file: str, raw: bytes) -> tuple[YamlDocument | None, list[ValidationIssue]]:
    """Parse one YAML file; never raises for bad input, returns issues instead."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [ValidationIssue(file, line, None, "the file is not valid UTF-8")]
    loader = _ActivityYamlLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        issue = ValidationIssue(
            file, mark.line + 1 if mark else None, None, f"YAML syntax error: {problem}"
        )
        return None, [issue]
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        # A value PyYAML cannot build (none known after the constructors above); still an
        # issue for the author, never a traceback.
        return None, [ValidationIssue(file, None, None, f"YAML error: {exc}")]
    finally:
        loader.dispose()
    document = YamlDocument(file, data, root)
    issues = _duplicate_keys(document, root, ()) if root is not None else []
    if not isinstance(data, dict):
        issues.append(
            ValidationIssue(file, 1, None, "the file must be a YAML mapping (key: value)")
        )
    return document, issues
