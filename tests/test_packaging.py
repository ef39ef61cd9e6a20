"""An installed wheel carries every file the code reads at run time (templates, migrations)."""

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_DATA = {
    "templates": ROOT / "templates",
    "reputation.storage": ROOT / "reputation" / "storage",
    "reputation.classifier": ROOT / "reputation" / "classifier",
}


def test_every_template_and_data_file_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    included = config["setuptools"]["packages"]["find"]["include"]
    patterns = config["setuptools"]["package-data"]
    missing = []
    for package, folder in RUNTIME_DATA.items():
        assert any(fnmatch.fnmatch(package, p) for p in included), f"{package} is not packaged"
        assert (folder / "__init__.py").exists(), f"{package} is not an importable package"
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_dir() or (path.suffix == ".py" and "/" not in rel) or "__pycache__" in rel:
                continue
            if not any(fnmatch.fnmatch(rel, p) for p in patterns.get(package, [])):
                missing.append(f"{package}/{rel}")
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


def test_the_code_finds_templates_through_the_package() -> None:
    from reputation.mail.render import TEMPLATES
    from reputation.reply import SHIPPED_TEMPLATES
    from templates import FOLDER

    assert TEMPLATES == FOLDER and SHIPPED_TEMPLATES.parent == FOLDER
    assert (FOLDER / "alert.subject.txt").exists() and SHIPPED_TEMPLATES.exists()
