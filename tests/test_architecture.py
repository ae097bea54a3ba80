"""The package's shape, checked on every run (docs/architecture.md): imports point one way, from the
entry points and features down to the ground; module-level imports form no cycle; no file grows past
500 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
MAX_LINES = 500

# lowest first; a module may import its own layer and the layers before it, never one after it
LAYERS: list[tuple[str, ...]] = [
    ("app", "app.core"),
    ("app.observability",),
    ("app.auth", "app.documents"),
    ("app.engines",),
    ("app.serving",),
    ("app.http",),
    ("app.features",),  # the package's own docstring only
    ("app.features.ocr",),
    ("app.features.structure",),
    ("app.features.extraction",),
    ("app.features.jobs", "app.features.system"),
    ("app.web",),
    ("app.main", "app.__main__", "app.model_server"),
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in APP.rglob("*.py"):
        name = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def layer_of(module: str) -> int:
    """The layer of the longest prefix that names one (``app.features.ocr.pipeline`` → features.ocr)."""
    best, rank = -1, -1
    for i, names in enumerate(LAYERS):
        for prefix in names:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    assert rank >= 0, f"{module} belongs to no layer: add its folder to LAYERS"
    return rank


def _target(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str, top_level_only: bool = False) -> list[tuple[str, int]]:
    """(imported app module, line) for every import of ``module``; with ``top_level_only`` only those
    that run when the module is imported (not inside functions or ``if TYPE_CHECKING:``)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in nodes:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            names = [f"{base}.{a.name}" for a in node.names]
        for name in names:
            target = _target(name) if name.startswith("app") else None
            if target and target != module:
                out.append((target, node.lineno))
    return out


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_no_import_runs_back_up() -> None:
    upward = [
        f"{module}:{line} imports {target} ({LAYERS[layer_of(target)][0]} is above {LAYERS[layer_of(module)][0]})"
        for module in sorted(MODULES)
        for target, line in imports(module)
        if layer_of(target) > layer_of(module)
    ]
    assert not upward, "\n".join(upward)


def test_module_level_imports_have_no_cycle() -> None:
    graph = {m: sorted({t for t, _ in imports(m, top_level_only=True)}) for m in MODULES}
    # a package imports its own submodules freely (re-exports); a cycle through one is still a cycle
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_file_over_the_limit(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(APP.parent)} has {lines} lines (limit {MAX_LINES})"


WEB_FILES = sorted(p for p in (APP / "web" / "static").iterdir() if p.suffix in {".js", ".css", ".html"})


@pytest.mark.parametrize("path", WEB_FILES, ids=[p.name for p in WEB_FILES])
def test_no_web_file_over_the_limit(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(APP.parent)} has {lines} lines (limit {MAX_LINES})"


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The rule itself: a core module importing a feature is reported (the check can fail)."""
    assert layer_of("app.features.ocr.pipeline") > layer_of("app.serving.tasks") > layer_of("app.core.config")
    assert layer_of("app.model_server.app") > layer_of("app.features.jobs.runner")
    fake = "app.core._probe"
    MODULES[fake] = tmp_path / "probe.py"
    MODULES[fake].write_text("def f():\n    from app.features.ocr.pipeline import OcrOptions\n", encoding="utf-8")
    try:
        assert imports(fake) == [("app.features.ocr.pipeline", 2)]
        assert layer_of(imports(fake)[0][0]) > layer_of(fake)
    finally:
        del MODULES[fake]
