"""The geo package stays a plain library."""

import ast
import subprocess
import sys
from pathlib import Path

import geo

ROOT = Path(__file__).resolve().parents[2]


def test_importing_geo_does_not_import_flask():
    code = "import sys, geo; sys.exit(any(m.split('.')[0] == 'flask' for m in sys.modules))"
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr


def test_modules_import_only_the_standard_library_and_the_chosen_dependencies():
    allowed = set(sys.stdlib_module_names) | {
        "geo", "shapely", "sqlalchemy", "geoalchemy2", "opening_hours", "osmium", "__future__"
    }
    sources = sorted((ROOT / "geo").glob("*.py"))
    assert len(sources) >= 8
    for source in sources:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{source.name} imports {name}"


def test_public_names_are_exported():
    for name in geo.__all__:
        assert hasattr(geo, name), name
