"""axe-core in the browser tests: check a page against WCAG 2.0 and 2.1, levels A and AA.

axe-core's script comes with the `axe-playwright-python` package (requirements-dev.txt); it is
injected into the page and run there, with the page as the user sees it at that moment (shadow
DOMs included, hidden elements left out). Nothing here imports pytest.
"""

from __future__ import annotations

from typing import Any

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
SERIOUS = ("serious", "critical")


def axe_results(page, tags: tuple[str, ...] = WCAG_TAGS) -> dict[str, Any]:
    """axe-core's results for the page: only the rules with these tags, only the violations."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    return Axe().run(page, options=options).response


def serious_violations(page) -> list[dict[str, Any]]:
    """The WCAG 2.0/2.1 A and AA violations on the page whose impact is serious or critical, as
    axe-core reports them (id, impact, help, helpUrl, nodes with target, html and
    failureSummary)."""
    return [v for v in axe_results(page)["violations"] if v.get("impact") in SERIOUS]


def _selector(target: Any) -> str:
    """An axe target: a CSS selector, or a list of them that goes into shadow DOMs and frames."""
    if isinstance(target, list):
        return " >>> ".join(_selector(part) for part in target)
    return str(target)


def _first_check(node: dict[str, Any]) -> str:
    """What the first failed check says (for colour contrast: the colours and the ratio)."""
    for kind in ("any", "all", "none"):
        for check in node.get(kind) or []:
            if check.get("message"):
                return check["message"]
    return (node.get("failureSummary") or "").replace("\n", " ")


def describe(violations: list[dict[str, Any]], nodes: int = 3, width: int = 200) -> str:
    """The violations, readable in an assertion message: per rule its id, impact, help and link,
    then its first `nodes` elements (selector, HTML, what failed)."""
    if not violations:
        return "no axe violations"
    lines = [f"{len(violations)} axe rule(s) violated:"]
    for v in violations:
        found = v.get("nodes", [])
        lines.append(
            f"- {v.get('id')} ({v.get('impact')}): {v.get('help')} "
            f"[{len(found)} element(s)] {v.get('helpUrl', '')}".rstrip()
        )
        for node in found[:nodes]:
            where = _selector(node.get("target", []))
            where = where if len(where) <= width else "…" + where[-width:]  # the end says most
            lines.append(f"    at   {where}")
            lines.append(f"    html {' '.join(str(node.get('html', '')).split())[:width]}")
            lines.append(f"    why  {_first_check(node)[:width]}")
        if len(found) > nodes:
            lines.append(f"    ... and {len(found) - nodes} more")
    return "\n".join(lines)
