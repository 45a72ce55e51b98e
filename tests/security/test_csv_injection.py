"""CSV exports never hand a spreadsheet a formula (services/csv_safe.py, used by every export)."""

import csv
import io

import pytest

from bienveilleurs.services.csv_safe import csv_text, safe_cell

from ..factories import make_resource, make_structure

DANGEROUS = ["=1+1", "+33 cmd", "-2+3", "@SUM(A1)", "\tx", "\rx",
             '=HYPERLINK("http://evil.example","x")']


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_cells_are_defused(value):
    assert safe_cell(value).startswith("'") and safe_cell(value)[1:] == value


@pytest.mark.parametrize("value", ["-0.1234", "+12", "49.4944", "Centre social", "", "a=b"])
def test_ordinary_cells_are_left_alone(value):
    assert safe_cell(value) == value


def _cells(text):
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
            for cell in row]


def test_a_whole_file_has_no_formula_cell():
    text = csv_text(["nom", "note"], [[value, value] for value in DANGEROUS])
    for cell in _cells(text):
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        assert not (cell.startswith("-") and not cell[1:2].isdigit()), cell


def test_the_resources_csv_export_defuses_names_from_imports(app, db):
    structure = make_structure(name="@Structure piégée")
    make_resource(structure=structure, name='=HYPERLINK("http://evil.example","Aide")',
                  description="+cmd|' /C calc'!A0", phone="-0.5")
    result = app.test_cli_runner().invoke(args=["resources", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    cells = _cells(result.stdout)
    assert "'=HYPERLINK(\"http://evil.example\",\"Aide\")" in cells
    assert "'+cmd|' /C calc'!A0" in cells and "'@Structure piégée" in cells
    assert "-0.5" in cells  # a plain number stays a number
    assert not [c for c in cells if c.startswith(("=", "+", "@"))]
