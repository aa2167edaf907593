"""The common JUnit XML shape (what Jenkins, GitLab and GitHub's test reporters accept), checked
structurally: which elements may appear where, which attributes they carry, and that every
count attribute equals what the file holds. No schema library is needed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_DECIMAL = re.compile(r"^\d+(\.\d+)?$")
_SUITES_ATTRIBUTES = {"name", "tests", "failures", "errors", "skipped", "disabled", "time"}
_SUITE_ATTRIBUTES = _SUITES_ATTRIBUTES | {"id", "package", "hostname", "timestamp"}
_CASE_ATTRIBUTES = {"name", "classname", "time", "assertions", "status", "file", "line"}
_RESULT_ATTRIBUTES = {"message", "type"}


def _count(element: ET.Element, name: str, expected: int) -> None:
    value = element.get(name)
    assert value is not None and value.isdigit() and int(value) == expected, \
        f"<{element.tag} name={element.get('name')!r}> {name}={value!r}, the file holds {expected}"


def _time(element: ET.Element) -> None:
    if element.get("time") is not None:
        assert _DECIMAL.match(element.get("time")), f"<{element.tag}> time={element.get('time')!r} is not a decimal"


def check_junit(text: str) -> ET.Element:
    """Parse JUnit XML text and check its shape and counts; returns the <testsuites> root."""
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites", root.tag
    assert set(root.attrib) <= _SUITES_ATTRIBUTES, set(root.attrib) - _SUITES_ATTRIBUTES
    _time(root)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root:
        assert suite.tag == "testsuite", suite.tag
        assert set(suite.attrib) <= _SUITE_ATTRIBUTES, set(suite.attrib) - _SUITE_ATTRIBUTES
        assert suite.get("name"), "a testsuite without a name"
        _time(suite)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        seen_case = False
        for child in suite:
            if child.tag == "properties":
                assert not seen_case, "<properties> after a <testcase>"
                for prop in child:
                    assert prop.tag == "property" and set(prop.attrib) == {"name", "value"}, prop.attrib
                continue
            if child.tag in ("system-out", "system-err"):
                continue
            assert child.tag == "testcase", child.tag
            seen_case = True
            assert set(child.attrib) <= _CASE_ATTRIBUTES, set(child.attrib) - _CASE_ATTRIBUTES
            assert child.get("name") and child.get("classname"), child.attrib
            _time(child)
            counts["tests"] += 1
            results = [c for c in child if c.tag in ("failure", "error", "skipped")]
            assert len(results) <= 1, f"testcase {child.get('name')!r} has {len(results)} results"
            assert all(c.tag in ("failure", "error", "skipped", "system-out", "system-err") for c in child)
            for result in results:
                assert set(result.attrib) <= _RESULT_ATTRIBUTES, result.attrib
                counts[{"failure": "failures", "error": "errors", "skipped": "skipped"}[result.tag]] += 1
        for name, value in counts.items():
            _count(suite, name, value)
            totals[name] += value
    for name, value in totals.items():
        _count(root, name, value)
    return root


def cases(root: ET.Element) -> dict[tuple[str, str], ET.Element]:
    """(classname, name) -> <testcase>; names must be unique within a class."""
    found = {}
    for case in root.iter("testcase"):
        key = (case.get("classname"), case.get("name"))
        assert key not in found, f"duplicate testcase {key}"
        found[key] = case
    return found
