"""The shape of the code base: every import points down (app -> tabs -> shared parts), the tabs
never import each other, only the UI modules import gradio, and training is never imported by
the app.  Read from the source with ast, so nothing is imported or run.

    .venv/bin/python -m pytest -q tests/test_house.py
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
SHARED = {"demo.cells", "demo.checkpoint", "demo.render", "demo.runtime"}
UI = {"demo.app", "demo.ui_common", "demo.ui_heatmap", "demo.ui_serving", "demo.ui_tour"}  # plus every tab package's tab.py, pad.py and input_view.py


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module name imported anywhere in the file (top level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}  # from demo import render
    return found


MODULES = {module_name(p): p for p in DEMO.rglob("*.py")}
# `from demo import render` names the package too; demo/__init__.py holds only the docs.
GRAPH = {m: {i for i in imports(p) if i in MODULES and i not in (m, "demo")} for m, p in MODULES.items()}


def layer(m: str) -> int:
    """0 shared parts, 1 a tab's pure modules, 2 a tab's UI, 3 the app (and package docs)."""
    if m in SHARED:
        return 0
    if m in ("demo.ui_common", "demo.ui_heatmap", "demo.ui_tour"):
        return 1
    if m in ("demo.app", "demo"):
        return 3
    return 2 if m.rsplit(".", 1)[-1] in ("tab", "pad", "input_view") else 1


def test_no_import_circle():
    state = {}

    def visit(m, path):
        if state.get(m) == "open":
            raise AssertionError("import circle: " + " -> ".join(path + [m]))
        if state.get(m) != "done":
            state[m] = "open"
            for n in GRAPH[m]:
                if not (m.startswith(n + ".") and n in ("demo.digits", "demo.text")):  # package docs
                    visit(n, path + [m])
            state[m] = "done"

    for m in GRAPH:
        visit(m, [])


def test_every_import_points_down():
    for m, deps in GRAPH.items():
        for n in deps:
            if n in ("demo.digits", "demo.text") and m.startswith(n + "."):
                continue  # `from demo.digits import ...` inside the package means its __init__
            assert layer(n) <= layer(m) or (layer(n) == layer(m) == 1), f"{m} imports {n} (upwards)"
            if layer(m) == 0:
                assert layer(n) == 0, f"shared {m} imports {n}"


def test_tabs_never_import_each_other():
    for m, deps in GRAPH.items():
        for a, b in (("demo.digits", "demo.text"), ("demo.text", "demo.digits")):
            if m.startswith(a):
                assert not any(n == b or n.startswith(b + ".") for n in deps), f"{m} imports {b}"


def test_only_the_ui_imports_gradio():
    for m, p in MODULES.items():
        if any(i == "gradio" or i.startswith("gradio.") for i in imports(p)):
            assert m in UI or layer(m) == 2, f"{m} imports gradio but is not UI code"


def test_demo_never_imports_training_or_uses_sys_path():
    for m, p in MODULES.items():
        assert not any(i == "training" or i.startswith("training.") for i in imports(p)), m
        assert "sys.path" not in p.read_text(encoding="utf-8"), m


def test_every_module_says_what_it_does():
    for m, p in MODULES.items():
        doc = ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{m} has no module docstring"
