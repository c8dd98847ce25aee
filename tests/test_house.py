"""The shape of the code base: every import points down (app -> tabs -> shared parts), the tabs
never import each other, only the UI rooms import gradio, every tab has its four rooms, training
is never imported by the app, and no file or function outgrows the house's limits.  Read from the
source with ast, so nothing is imported or run.

    .venv/bin/python -m pytest -q tests/test_house.py
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
TABS = ("digits", "text", "train")
ROOMS = ("controls", "handlers", "page", "events")
# the shared parts under every tab (pure: no gradio)
SHARED = {"demo.answers", "demo.cells", "demo.checkpoint", "demo.checks", "demo.errors", "demo.fields",
          "demo.i18n", "demo.render", "demo.runtime"}
# the UI modules beside the tabs (gradio), and each tab's rooms that may use gradio
UI_SHARED = {"demo.ui_common", "demo.ui_heatmap", "demo.ui_serving", "demo.ui_tour", "demo.ui_words"}
TAB_UI = ("page", "events", "pad", "input_view")
MAX_FILE_LINES, MAX_FUNCTION_LINES = 500, 60


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
    """0 shared parts, 1 a tab's pure modules (and the pure app-level ones), 2 UI, 3 the app."""
    if m in SHARED:
        return 0
    if m in ("demo.app", "demo"):
        return 3
    if m in UI_SHARED or m.rsplit(".", 1)[-1] in TAB_UI:
        return 2
    return 1


def is_ui(m: str) -> bool:
    return layer(m) >= 2


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
            assert layer(n) <= layer(m), f"{m} imports {n} (upwards)"
            if layer(m) == 0:
                assert layer(n) == 0, f"shared {m} imports {n}"


# The training library trains the other tabs' networks: it may import their models, nothing else.
SHARED_MODELS = {"train": {"demo.digits.model", "demo.text.model"}}


def test_tabs_never_import_each_other():
    for m, deps in GRAPH.items():
        for a in TABS:
            for b in TABS:
                if a != b and m.startswith(f"demo.{a}"):
                    other = {n for n in deps if n == f"demo.{b}" or n.startswith(f"demo.{b}.")}
                    assert not other - SHARED_MODELS.get(a, set()), f"{m} imports {b}"


def test_only_the_ui_imports_gradio():
    for m, p in MODULES.items():
        if any(i == "gradio" or i.startswith("gradio.") for i in imports(p)):
            assert is_ui(m), f"{m} imports gradio but is not UI code"


def test_every_tab_has_its_four_rooms_and_the_app_lists_it():
    app = (DEMO / "app.py").read_text(encoding="utf-8")
    links = (DEMO / "links.py").read_text(encoding="utf-8")
    for tab in TABS:
        for room in ROOMS:
            assert f"demo.{tab}.{room}" in MODULES, f"demo/{tab}/{room}.py is missing"
        assert f'"{tab}": {tab}_events' in app and f'"{tab}": {tab}_controls.TABLE' in links, tab
        for m in MODULES:   # the pure handlers never reach gradio, even through a helper
            if m.startswith(f"demo.{tab}.") and not is_ui(m):
                assert not any(is_ui(n) for n in GRAPH[m]), f"{m} imports UI code"


def test_demo_never_imports_training_or_uses_sys_path():
    for m, p in MODULES.items():
        assert not any(i == "training" or i.startswith("training.") for i in imports(p)), m
        assert "sys.path" not in p.read_text(encoding="utf-8"), m


def test_every_module_says_what_it_does():
    for m, p in MODULES.items():
        doc = ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{m} has no module docstring"


def test_files_and_functions_stay_small():
    for m, p in MODULES.items():
        source = p.read_text(encoding="utf-8")
        assert source.count("\n") <= MAX_FILE_LINES, f"{m}: {source.count(chr(10))} lines"
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                assert n <= MAX_FUNCTION_LINES, f"{m}.{node.name}: {n} lines"
