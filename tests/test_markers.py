"""The markers of pyproject.toml stay true: a test that reads the reference models carries
`shared_models` (cases parametrized with their paths get it from conftest.py)."""

import ast

from conftest import TESTS_DIR

SHARED_NAMES = {"shared_model", "shared_models_dir", "shared_model_paths", "SHARED_MODELS"}


def _marks(node) -> set[str]:
    marks = set()
    for decorator in node.decorator_list:
        text = ast.unparse(decorator)
        if text.startswith("pytest.mark."):
            marks.add(text.removeprefix("pytest.mark.").split("(")[0])
    return marks


def _module_marks(tree) -> set[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytestmark" for t in node.targets):
            return {n.attr for n in ast.walk(node.value) if isinstance(n, ast.Attribute)} & {"shared_models"}
    return set()


def test_tests_reading_reference_models_are_marked_shared_models():
    unmarked = []
    for path in sorted(TESTS_DIR.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_marks = _module_marks(tree)
        for node in tree.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {a.arg for a in node.args.args}
            if used & SHARED_NAMES and "shared_models" not in _marks(node) | module_marks:
                unmarked.append(f"{path.name}::{node.name}")
    assert unmarked == [], "add @pytest.mark.shared_models to these tests"
