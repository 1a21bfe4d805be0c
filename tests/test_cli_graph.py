"""The `minigrad graph` command (minigrad/cli/graph.py): layers and expressions,
both views and modes, every format, exit codes, and the missing-dot path."""
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from minigrad.cli import main

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg_path):
    return {t.text for t in ET.parse(svg_path).getroot().iter(SVG + "text")}


def test_help_shows_an_example(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["graph", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "minigrad graph BatchNorm2d --shape 2,3,4,4 --mode manual" in out
    assert "--expr" in out and "LayerNorm" in out and "--view {forward,backward}" in out


def test_batchnorm_backward_graph_in_manual_mode_as_svg(dot, tmp_path, capsys):
    path = tmp_path / "bn.svg"
    assert main(["graph", "BatchNorm2d", "--shape", "2,3,4,4", "--mode", "manual",
                 "--view", "backward", "--format", "svg", "-o", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {path}"
    labels = texts(path)
    assert {"dx", "dweight", "dy", "x", "weight"} <= labels
    assert any(t and "backward graph" in t for t in labels)


@pytest.mark.parametrize("mode", ["autograd", "manual"])
def test_forward_view_shows_the_layer_cluster(tmp_path, mode):
    path = tmp_path / "bn.dot"
    assert main(["graph", "BatchNorm2d", "--mode", mode, "-o", str(path)]) == 0
    source = path.read_text()
    assert "label=BatchNorm2d" in source
    assert ('peripheries="2"' in source) == (mode == "manual")


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_expression_in_each_format(dot, tmp_path, monkeypatch, fmt, magic):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--expr", "tanh(x*w + b)", "--shape", "3", "--format", fmt]) == 0
    assert (tmp_path / f"expression_forward.{fmt}").read_bytes().startswith(magic)


def test_expression_backward_with_per_variable_shapes(tmp_path):
    path = tmp_path / "e.dot"
    assert main(["graph", "--expr", "sum(relu(x @ W), axis=0)", "--shape", "x=2,3",
                 "--shape", "W=3,4", "--view", "backward", "-o", str(path)]) == 0
    source = path.read_text()
    assert "<B>dx</B>" in source and "<B>dW</B>" in source and "(3, 4) float64" in source


def test_collapse_and_layers_with_groups(tmp_path):
    path = tmp_path / "gn.dot"
    assert main(["graph", "GroupNorm", "--shape", "2,4,3,3", "--groups", "2", "--collapse",
                 "-o", str(path)]) == 0
    assert "box3d" in path.read_text() and "GroupNorm" in path.read_text()


def test_without_dot_the_command_writes_dot_and_one_hint(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("minigrad.draw.dot.shutil.which", lambda name: None)
    assert main(["graph", "LayerNorm", "-o", str(tmp_path / "ln.svg")]) == 0
    out = capsys.readouterr()
    assert (tmp_path / "ln.dot").read_text().startswith("digraph")
    assert not (tmp_path / "ln.svg").exists()
    assert len(out.err.strip().splitlines()) == 1 and "install graphviz" in out.err
    assert out.out.strip() == f"wrote {tmp_path / 'ln.dot'}"


@pytest.mark.parametrize("argv, message", [
    (["Foo"], "unknown layer 'Foo'; the layers are BatchNorm1d, BatchNorm2d"),
    ([], "name a layer or give --expr"),
    (["BatchNorm2d", "--expr", "x"], "name a layer or give --expr"),
    (["BatchNorm2d", "--shape", "3"], "the input shape (3,) has too few dimensions"),
    (["BatchNorm2d", "--shape", "2,4"], "BatchNorm2d"),
    (["LayerNorm", "--shape", "2,x"], "--shape takes comma-separated integers"),
    (["--expr", "import os"], "cannot read the expression"),
    (["--expr", "__import__('os')"], "cannot draw"),
    (["--expr", "x @ y", "--shape", "x=2,3", "--shape", "y=4"], "matmul: shapes (2, 3) and (4,)"),
    (["--expr", "2 + 3"], "does not depend on any input"),
    (["LayerNorm", "-o", "ln.xyz"], "cannot tell the format"),
    (["LayerNorm", "-o", "ln.svg", "--format", "png"], "ln.svg ends in .svg but --format is png"),
    (["LayerNorm", "--shape", "x=2,5"], "NAME=SHAPE is for --expr"),
    (["LayerNorm", "--shape", "2,5", "--shape", "3,5"], "a layer takes one --shape"),
    (["--expr", "sum(x, axis=eval('1'))"], "tuples and keyword arguments hold numbers"),
])
def test_bad_requests_exit_2_with_one_clear_line(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_the_console_entry_point_runs(tmp_path):
    result = subprocess.run([sys.executable, "-m", "minigrad", "graph", "--expr", "x * x",
                             "--format", "dot", "-o", str(tmp_path / "sq.dot")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    edges = [line for line in (tmp_path / "sq.dot").read_text().splitlines()
             if "->" in line and "invis" not in line]     # (the legend's own edges are invisible)
    assert len(edges) == 3


def test_a_dotted_folder_is_not_a_file_suffix(tmp_path, monkeypatch):
    monkeypatch.setattr("minigrad.draw.dot.shutil.which", lambda name: None)     # no dot: DOT text
    folder = tmp_path / "run.v2"
    folder.mkdir()
    assert main(["graph", "LayerNorm", "-o", str(folder / "ln")]) == 0      # no suffix: svg
    assert (folder / "ln.dot").read_text().startswith("digraph")


def test_an_unwritable_output_is_one_line_not_a_traceback(tmp_path, capsys):
    assert main(["graph", "LayerNorm", "-o", str(tmp_path / "missing" / "ln.dot")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("minigrad graph: cannot write") and len(err.strip().splitlines()) == 1


def test_layer_names_ignore_case(tmp_path):
    assert main(["graph", "batchnorm2d", "-o", str(tmp_path / "bn.dot")]) == 0
    assert "BatchNorm2d" in (tmp_path / "bn.dot").read_text()


def test_reshape_and_transpose_take_a_tuple(tmp_path):
    path = tmp_path / "e.dot"
    assert main(["graph", "--expr", "transpose(reshape(x, (3, 2)), (1, 0))", "--shape", "6",
                 "-o", str(path)]) == 0
    assert "shape=(3, 2)" in path.read_text() and "axes=(1, 0)" in path.read_text()


def test_the_backward_view_shows_every_vjp_even_of_a_linear_expression(tmp_path):
    # dx of 3*x is 3*dy: with dy a constant it had no graph at all (one lonely box).
    path = tmp_path / "e.dot"
    assert main(["graph", "--expr", "sum(3 * x)", "--view", "backward", "-o", str(path)]) == 0
    source = path.read_text()
    assert "<B>dy</B>" in source and "<B>mul</B>" in source and "<B>dx</B>" in source


def test_nan_values_draw_without_numpy_warnings(tmp_path):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # the random x has negative entries
        assert main(["graph", "--expr", "log(x)", "--shape", "6", "-o",
                     str(tmp_path / "l.dot")]) == 0
