"""Dependencies point inward: reputation/ never imports the outer layers."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_CORE = {
    "scrapy",
    "twisted",
    "apscheduler",
    "aiosmtplib",
    "aiosmtpd",
    "spiders",
    "alerts",
    "repmon",
    "click",
    "rich",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_outer_layer() -> None:
    bad = []
    for path in sorted((ROOT / "reputation").rglob("*.py")):
        for name in sorted(_imports(path) & FORBIDDEN_IN_CORE):
            bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_spiders_and_alerts_do_not_import_each_other_or_the_cli() -> None:
    bad = []
    for package, forbidden in (
        ("spiders", {"alerts", "repmon", "apscheduler"}),
        ("alerts", {"spiders", "repmon", "scrapy", "twisted"}),
    ):
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in sorted(_imports(path) & forbidden):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_the_checker_sees_imports() -> None:
    probe = ROOT / "tests" / "test_architecture.py"
    assert {"ast", "pathlib"} <= _imports(probe)
