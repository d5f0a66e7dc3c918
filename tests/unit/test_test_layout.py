"""The tests' own house rules: test modules in folders by what they cost, none importing another
(shared builders live in tests/support/, shared fixtures in tests/conftest.py), and the fidelity
harness judging "nothing beyond" only on a run that took every test file, whichever folder it is in."""
from __future__ import annotations

import ast

from aws_fidelity import whole_run
from conftest import ROOT

TESTS = ROOT / "tests"
FOLDERS = ("unit", "integration", "e2e", "infrastructure")
TEST_FILES = sorted(p for p in TESTS.rglob("test_*.py") if "support" not in p.relative_to(TESTS).parts)


def imported_modules(path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_no_test_module_imports_another():
    test_modules = {p.stem for p in TEST_FILES}
    offenders = {
        str(path.relative_to(TESTS)): sorted(imported_modules(path) & test_modules)
        for path in TEST_FILES
        if imported_modules(path) & test_modules
    }
    assert offenders == {}, "import shared builders from tests/support/, fixtures from tests/conftest.py"


def test_the_scan_sees_an_import_of_a_test_module(tmp_path):
    module = tmp_path / "test_example.py"
    module.write_text("def test_x():\n    from test_flow import pdf_text\n", "utf-8")
    assert "test_flow" in imported_modules(module)


def test_every_test_file_is_in_a_folder_by_cost():
    assert len(TEST_FILES) > 50
    misplaced = [str(p.relative_to(TESTS)) for p in TEST_FILES if p.relative_to(TESTS).parts[0] not in FOLDERS]
    assert misplaced == [], f"put each test file in one of tests/{{{','.join(FOLDERS)}}}/"
    names = [p.name for p in TEST_FILES]
    assert len(names) == len(set(names)), "test files are imported by their name alone: one name, one file"


def test_every_local_cloud_test_is_marked_e2e_so_make_unit_leaves_it_out():
    unmarked = [p.name for p in (TESTS / "e2e").glob("test_*.py") if "pytestmark = pytest.mark.e2e" not in p.read_text("utf-8")]
    assert unmarked == []


def test_only_a_run_of_every_test_file_is_whole():
    tests = str(TESTS)
    everything = [f"{tests}/{folder}" for folder in FOLDERS]
    assert whole_run([tests])
    assert whole_run([str(ROOT)])
    assert whole_run(everything)
    assert not whole_run(everything[:-1])
    assert not whole_run([f"{tests}/unit", f"{tests}/integration"])
    assert not whole_run([f"{tests}/integration/test_flow.py"])
    assert not whole_run([f"{tests}/integration/test_flow.py::test_rejected_application"])
    assert not whole_run([tests], keyword="flow")
    assert not whole_run([tests], deselect=[f"{tests}/integration/test_flow.py::test_rejected_application"])
