"""Provenance rules of an activity: who controlled content, and what each cited source is.

An activity must not present text as written by someone who did not write it, and every
person in control of content is disclosed with a role (ACCME Standards for Integrity and
Independence, Standard 3: https://accme.org/standard-3-identify-mitigate-and-disclose-relevant-financial-relationships/).
Sections cite sources by key (``[@walter-2020]``) so that each cited study carries its
design, funding and limits in ``activity.yaml``; an unknown key is an error, because a
citation nobody can weigh is exactly how a supporter's message slips in unqualified.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lti_tool.course.checks import Finding
from lti_tool.course.schema import ActivityMeta, ContentRole, Source

CITATION = re.compile(r"\[@([^\]\s]+)\]")


def cite(markdown: str, sources: Sequence[Source]) -> str:
    """The section with each ``[@key]`` replaced by the source's label, e.g. "(Walter 2020)"."""
    labels = {source.key: source.label for source in sources}

    def label(match: re.Match[str]) -> str:
        key = match.group(1)
        return f"({labels[key]})" if key in labels else match.group(0)

    return CITATION.sub(label, markdown)


def cited_keys(markdown: str) -> list[tuple[int, str]]:
    """(1-based line, key) of every citation in a section."""
    return [
        (number, match.group(1))
        for number, line in enumerate(markdown.splitlines(), start=1)
        for match in CITATION.finditer(line)
    ]


def check_citations(file: str, markdown: str, meta_sources: Sequence[Source]) -> list[Finding]:
    known = {source.key for source in meta_sources}
    return [
        Finding(
            file,
            (),
            f"[@{key}] is not in activity.yaml sources: add it with its design, funding and limits",
            line,
        )
        for line, key in cited_keys(markdown)
        if key not in known
    ]


def check_content_control(meta: ActivityMeta, file: str) -> list[Finding]:
    findings: list[Finding] = []
    listed = {person.name for person in meta.content_control}
    for group in ("faculty", "planners"):
        for index, person in enumerate(getattr(meta, group)):
            if person.name not in listed:
                findings.append(
                    Finding(
                        file,
                        (group, index, "name"),
                        f"{person.name} is not in content_control: say what they did "
                        "(wrote, reviewed, planned or only presented) and their role",
                    )
                )
    roles = {role for person in meta.content_control for role in person.roles}
    if ContentRole.AUTHOR not in roles:
        findings.append(
            Finding(
                file,
                ("content_control",),
                "name who wrote the content (a contributor with the role author)",
            )
        )
    keys = [source.key for source in meta.sources]
    for index, key in enumerate(keys):
        if keys.index(key) != index:
            findings.append(Finding(file, ("sources", index, "key"), "duplicate source key"))
    return findings
