"""The architecture, as rules on the import graph and on where vocabularies are spelled.

- Dependencies point inward: reputation/ (the core) never imports the outer layers; spiders/
  and alerts/ import the core, never each other or the CLI.
- Pure modules (the classifier, the detectors and the lifecycle, the digest build, mail
  rendering) import no SQLAlchemy, directly or through the project's modules, and read no clock.
- No module is in an import cycle (a package's own modules import each other, not its façade).
- Every package says in its docstring what it owns; no two modules of a package have names
  that differ by a suffix (digest/digests, classify/classifying).
- The categories, the flags and the alert kinds are spelled once, in reputation/vocabulary.py.
"""

import ast
from functools import cache
from pathlib import Path

import pytest

from alerts.kinds import Detection
from reputation.vocabulary import ALERT_KINDS, CATEGORIES, FLAGS

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("reputation", "spiders", "alerts", "repmon", "templates")
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
PURE = (
    "reputation.vocabulary",
    "reputation.findings",
    "reputation.isoweek",
    "reputation.published",
    "reputation.classifier.classify",
    "reputation.classifier.sentiment",
    "reputation.classifier.topics",
    "reputation.classifier.bagofwords",
    "reputation.classifier.lexicon",
    "reputation.classifier.evaluation",
    "reputation.imports.normalize",
    "reputation.imports.npi",
    "reputation.imports.incoming",
    "reputation.crawls.health",
    "reputation.digests.build",
    "reputation.mail.render",
    "reputation.mail.message",
    "alerts.kinds",
    "alerts.detectors",
    "alerts.clusters",
    "alerts.ratingdrop",
    "alerts.lifecycle",
    "alerts.backtest",
    "alerts.simulation",
)
CLOCKS = {"now", "utcnow", "today"}  # datetime.now(UTC), date.today() ...
TIMERS = {"time", "monotonic", "perf_counter"}  # time.time() ...


def _module_path(name: str) -> Path:
    base = ROOT / name.replace(".", "/")
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported(path: Path) -> set[str]:
    """Every module name an import names (absolute imports: the project uses no others)."""
    names: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _imports(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imported(path)}


def _project_module(name: str) -> str | None:
    """The project module `name` refers to (a module, or the package holding a name)."""
    while name:
        if name.split(".")[0] in PACKAGES and _module_path(name).exists():
            return name
        name = name.rpartition(".")[0]
    return None


def _reach(start: str) -> set[str]:
    """Every module `start` imports, directly or through the project's own modules."""
    seen, todo, outside = {start}, [start], set()
    while todo:
        for name in _imported(_module_path(todo.pop())):
            module = _project_module(name)
            if module is None:
                outside.add(name.split(".")[0])
            elif module not in seen:
                seen.add(module)
                todo.append(module)
    return outside | seen


def test_core_imports_no_outer_layer() -> None:
    bad = []
    for path in sorted((ROOT / "reputation").rglob("*.py")):
        for name in sorted(_imports(path) & FORBIDDEN_IN_CORE):
            bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_spiders_and_alerts_do_not_import_each_other_or_the_cli() -> None:
    bad = []
    for package, forbidden in (
        ("spiders", {"alerts", "repmon", "apscheduler", "aiosmtplib"}),
        ("alerts", {"spiders", "repmon", "scrapy", "twisted", "apscheduler", "aiosmtplib"}),
    ):
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in sorted(_imports(path) & forbidden):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_reach_no_sqlalchemy_and_read_no_clock(module: str) -> None:
    reached = _reach(module)
    assert "sqlalchemy" not in reached and "alembic" not in reached, (
        f"{module} reaches SQLAlchemy through {sorted(m for m in reached if '.' in m)}"
    )
    clocks = [
        f"line {node.lineno}: .{node.func.attr}()"
        for node in ast.walk(_tree(_module_path(module)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and (
            node.func.attr in CLOCKS
            or (
                node.func.attr in TIMERS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "time"
            )
        )
    ]
    assert not clocks, f"{module} reads a clock: {clocks}"


def _packages() -> list[Path]:
    return sorted(
        p.parent
        for top in ("reputation", "alerts", "repmon", "spiders")
        for p in (ROOT / top).rglob("__init__.py")
        if "migrations" not in p.parts and "sandbox" not in p.parts
    )


@pytest.mark.parametrize("package", _packages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_package_says_what_it_owns(package: Path) -> None:
    doc = ast.get_docstring(_tree(package / "__init__.py")) or ""
    assert len(doc.split()) >= 8, f"{package.relative_to(ROOT)}/__init__.py needs a docstring"


@pytest.mark.parametrize("package", _packages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_two_modules_differ_by_a_suffix(package: Path) -> None:
    names = sorted(
        p.stem if p.is_file() else p.name
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    )
    twins = [(a, b) for a in names for b in names if a != b and b.startswith(a)]
    assert not twins, f"{package.relative_to(ROOT)}: {twins}"


def _string_collections(path: Path) -> list[tuple[int, set[str]]]:
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) >= 2:
            values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if len(values) == len(node.elts) and all(isinstance(v, str) for v in values):
                found.append((node.lineno, set(values)))
    return found


def test_categories_flags_and_alert_kinds_are_spelled_once() -> None:
    bad = []
    for top in ("reputation", "alerts", "repmon"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if path.name == "vocabulary.py" or "migrations" in path.parts:
                continue
            for line, values in _string_collections(path):
                spelled = values <= set(FLAGS) or values == set(CATEGORIES)
                if spelled or (len(values) >= 3 and values <= set(ALERT_KINDS)):
                    bad.append(f"{path.relative_to(ROOT)}:{line} spells {sorted(values)}")
    assert not bad, "use reputation.vocabulary:\n" + "\n".join(bad)


def test_the_closed_list_of_alert_kinds_is_the_vocabulary() -> None:
    assert sorted(kind.kind for kind in Detection.__args__) == sorted(ALERT_KINDS)


def _modules(top: str) -> list[str]:
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / top).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_no_module_is_in_an_import_cycle() -> None:
    modules = [m for top in ("reputation", "alerts", "repmon", "spiders") for m in _modules(top)]
    cycles = []
    for start in modules:
        direct = {_project_module(n) for n in _imported(_module_path(start))} - {None, start}
        if any(start in _reach(m) for m in direct if m is not None):
            cycles.append(start)
    assert not cycles, f"modules in an import cycle: {cycles}"


def test_the_checker_sees_imports_and_reach() -> None:
    probe = ROOT / "tests" / "test_architecture.py"
    assert {"ast", "pathlib", "pytest"} <= _imports(probe)
    assert "sqlalchemy" in _reach("reputation.storage.queries")
    assert "reputation.vocabulary" in _reach("reputation.findings")
