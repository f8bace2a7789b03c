"""axe-core (the accessibility engine, from node_modules: package.json) in a Playwright
page: which of the page's accessibility rules fail, and how badly.

axe is added to the browser context as an init script, which the browser runs through
its debugging protocol, so the page's Content-Security-Policy (no inline script) stays
in force while it is checked.
"""
from __future__ import annotations

from pathlib import Path

from conftest import require

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary}))}));
}"""


def install_axe(context) -> None:
    """Make ``axe`` available on every page the browser context opens from now on."""
    require(AXE.is_file(), "axe-core is not installed (run npm install)")
    context.add_init_script(path=str(AXE))


def axe_violations(page, impacts=BLOCKING) -> list[dict]:
    """The axe violations of the page as it is now, with an impact in ``impacts``."""
    return [v for v in page.evaluate(_RUN) if v["impact"] in impacts]


def describe(violations: list[dict]) -> str:
    """One line per failing element, to read in a test's failure message."""
    return "\n".join(f"[{v['impact']}] {v['id']} ({v['help']}): {node['target']}: {node['summary']}"
                     for v in violations for node in v["nodes"])
