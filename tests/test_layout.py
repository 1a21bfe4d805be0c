"""The rooms of the house (minigrad/__init__.py's map): which part may import which,
the engine without the drawing library, and files short enough to read in one sitting."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "minigrad"

# Each room and the rooms below it that it may import. The engine is the files at
# the top of minigrad/ and the derivative table in ops/.
ENGINE = "engine"
MAY_IMPORT = {
    ENGINE: {ENGINE},
    "nn": {ENGINE, "nn"},
    "optim": {ENGINE, "nn", "optim"},
    "datasets": {ENGINE, "datasets"},
    "draw": {ENGINE, "draw"},
    "coursework": {ENGINE, "coursework"},
}


def room_of_module(name):
    """'minigrad.draw.graph' -> 'draw'; engine modules -> ENGINE; None outside minigrad."""
    parts = name.split(".")
    if parts[0] != "minigrad":
        return None
    if len(parts) == 1:
        return "facade"
    if parts[1] == "__main__":          # python -m minigrad: the command line
        return "cli"
    return parts[1] if parts[1] in ("nn", "optim", "datasets", "draw", "coursework", "cli") \
        else ENGINE


def room_of_file(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return room_of_module(".".join(parts)), ".".join(parts)


def imported_modules(path):
    """Every module a file imports, at the top or inside a function, absolute names."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            yield module
            for alias in node.names:        # from minigrad import nn -> minigrad.nn
                yield f"{module}.{alias.name}"
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant):
                yield node.args[0].value


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_command_line_imports_layers(path):
    room, _ = room_of_file(path)
    if room == "cli":
        return
    bad = [m for m in imported_modules(path) if m == "layers" or m.startswith("layers.")]
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: only minigrad/cli/ may import layers"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_lower_room_never_imports_a_higher_one(path):
    room, name = room_of_file(path)
    if room in ("facade", "cli"):
        return
    allowed = MAY_IMPORT[room]
    bad = []
    for module in imported_modules(path):
        target = room_of_module(module)
        # (outside minigrad, or "from minigrad import X", whose X is checked on its own)
        if target in (None, "facade"):
            continue
        if target not in allowed:
            bad.append(module)
    assert not bad, f"{name} (room {room}) imports {bad}; it may import only {sorted(allowed)}"


def test_the_engine_works_without_the_graphviz_package():
    code = ("import sys; sys.modules['graphviz'] = None\n"
            "import minigrad as mg\n"
            "x = mg.Tensor([1.0], requires_grad=True)\n"
            "(x * x).sum().backward()\n"
            "assert x.grad.data.tolist() == [2.0]\n"
            "try:\n"
            "    mg.draw_graph(x * x)\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "pip install graphviz" in result.stdout


@pytest.mark.parametrize("folder", ["minigrad", "layers"])
def test_no_file_is_too_long_to_read_in_one_sitting(folder):
    long = {str(p.relative_to(ROOT)): n for p in sorted((ROOT / folder).rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > 450}
    assert not long, f"files over 450 lines: {long}"
