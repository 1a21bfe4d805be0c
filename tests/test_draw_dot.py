"""How drawings look and are saved (minigrad/draw/dot.py): words for values, SVG
through Graphviz's dot (labels and tooltips), each format, and saving without dot or
when dot fails."""
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

import minigrad as mg
from minigrad.draw import draw_graph
from minigrad.draw.dot import save_graph, summary


def neuron():
    x, w, b = (mg.Tensor(v, requires_grad=True, name=n) for v, n in
               (([1.0, 2, 3], "x"), ([0.5, -1, 2], "w"), ([0.1, 0.2, 0.3], "b")))
    return x, w, b, mg.tanh(x * w + b)


def test_summary_reads_like_the_values():
    assert summary(np.array([1.0, 2.5])) == "[1, 2.5]"
    assert summary(np.float64(3.0)) == "3"
    assert summary(np.arange(10.0)) == "min 0  max 9  mean 4.5  norm 16.88"
    assert summary(np.arange(10.0), short=True) == "[0 … 9]"
    assert summary(np.array([True, False, True])) == "2 of 3 true"


def test_svg_parses_and_carries_labels_and_tooltips(dot):
    x, w, b, y = neuron()
    y.sum().backward(retain_graph=True)
    svg = draw_graph(y, legend=True, title="a neuron").pipe(format="svg")
    root = ET.fromstring(svg)
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"x", "w", "b", "mul", "add", "tanh", "output", "a neuron",
            "input (requires grad)"} <= texts
    tips = [a.get("{http://www.w3.org/1999/xlink}title") for a in
            root.iter("{http://www.w3.org/2000/svg}a")]
    x_tip = next(t for t in tips if t and t.startswith("x (input)"))
    assert "value: [1, 2, 3]" in x_tip and "grad: [0.3558" in x_tip and "\n" in x_tip


@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_save_graph_renders_each_format(dot, tmp_path, fmt, magic):
    path = save_graph(draw_graph(neuron()[-1]), tmp_path / f"g.{fmt}")
    assert path == tmp_path / f"g.{fmt}" and path.read_bytes().startswith(magic)


def test_save_graph_dot_format_needs_no_dot(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("minigrad.draw.dot.shutil.which", lambda name: None)
    g = draw_graph(neuron()[-1])
    assert save_graph(g, tmp_path / "g.gv", "dot").read_text() == g.source
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("how", ["not on PATH", "fails to start"])
def test_without_dot_save_writes_dot_text_and_one_hint_line(tmp_path, monkeypatch, capsys, how):
    if how == "not on PATH":
        monkeypatch.setattr("minigrad.draw.dot.shutil.which", lambda name: None)
    else:
        monkeypatch.setattr("minigrad.draw.dot.shutil.which", lambda name: "/usr/bin/dot")

        def missing(self, *args, **kwargs):
            raise graphviz.ExecutableNotFound(["dot"])
        monkeypatch.setattr(graphviz.Digraph, "pipe", missing)
    g = draw_graph(neuron()[-1])
    path = save_graph(g, tmp_path / "neuron.png")
    assert path == tmp_path / "neuron.dot" and path.read_text() == g.source
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and "apt-get install graphviz" in lines[0]
    assert "brew install graphviz" in lines[0] and "Traceback" not in out.err + out.out


def test_when_dot_fails_save_writes_dot_text_and_says_why(tmp_path, monkeypatch, capsys):
    # A Graphviz built without png support exits 1 with 'Format: "png" not recognized'.
    monkeypatch.setattr("minigrad.draw.dot.shutil.which", lambda name: "/usr/bin/dot")

    def fails(self, *args, **kwargs):
        raise graphviz.CalledProcessError(1, ["dot", "-Tpng"], stderr=b'Format: "png" not '
                                          b'recognized. Use one of: svg dot\nmore\n')
    monkeypatch.setattr(graphviz.Digraph, "pipe", fails)
    g = draw_graph(neuron()[-1])
    assert save_graph(g, tmp_path / "n.png") == tmp_path / "n.dot"
    assert (tmp_path / "n.dot").read_text() == g.source
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and 'Format: "png" not recognized' in lines[0]
    assert not (tmp_path / "neuron.png").exists()


def test_an_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="format must be one of"):
        save_graph(draw_graph(neuron()[-1]), tmp_path / "g.jpg")
