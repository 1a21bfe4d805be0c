"""The backward player (minigrad/draw/player.py, page.py) and `minigrad graph --steps`: one
self-contained page whose frames name nodes and edges that exist in its drawing; slide frames
as numbered files; collapse and max_nodes shorten the walk; no dot, no crash.
(tests/test_draw_browser.py clicks through the page in a real browser.)"""
import json
import sys
import re
import xml.etree.ElementTree as ElementTree

import pytest

import layers
import minigrad as mg
from minigrad.cli import main
from minigrad.draw import BackwardPlayer, save_backward_steps


def neuron():
    x = mg.Tensor(1.5, requires_grad=True, name="x")
    w = mg.Tensor(0.8, requires_grad=True, name="w")
    b = mg.Tensor(-0.4, requires_grad=True, name="b")
    y = mg.tanh(w * x + b)
    return y * y, {"y": y}


def frames_of(page):
    return json.loads(re.search(r'<script type="application/json" id="frames">(.*?)</script>',
                                page, re.S)[1].replace("<\\/", "</"))


def test_the_page_is_one_file_whose_frames_point_into_its_drawing(dot, tmp_path):
    loss, names = neuron()
    player = save_backward_steps(loss, tmp_path / "walk.html", names=names)
    assert player.files == [tmp_path / "walk.html"]
    page = player.files[0].read_text(encoding="utf-8")
    # Nothing to fetch: no src/href attributes, no stylesheet links, no url() or @import.
    assert not re.search(r"\b(src|href)\s*=|<link|url\(|@import", page)
    frames = frames_of(page)
    assert len(frames) == len(player.steps) + 1 == 8       # the start, then one per step
    assert [f["caption"] for f in frames[1:]] == [s.caption for s in player.steps]
    currents = [f["current"][0] for f in frames[1:]]
    assert len(set(currents)) == len(currents)              # each step lights its own node
    svg = page[page.index("<svg"):page.index("</svg>")]
    for f in frames:
        for name in f["current"] + f["receive"]:
            assert f'class="node mg-n-{name}"' in svg, name
        for tail, head in f["flow"]:
            assert f'class="edge mg-e-{tail}-{head}"' in svg, (tail, head)
    assert frames[1]["rows"] == [[1, "g at mul#2", "1"]]
    assert frames[-1]["rows"][0][1] == "w.grad"
    assert player._repr_html_().startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')


def test_slide_frames_as_numbered_files(dot, tmp_path):
    loss, names = neuron()
    player = BackwardPlayer(loss, names=names)
    files = player.save(tmp_path / "walk.svg")
    assert [f.name for f in files] == [f"walk_{k:03d}.svg" for k in range(1, 9)]
    third = ElementTree.parse(files[2]).getroot()
    marked = {e.get("class") for e in third.iter() if "mg-current" in (e.get("class") or "")}
    assert len(marked) == 1
    caption = " ".join(t.text for t in third.iter("{http://www.w3.org/2000/svg}tspan"))
    assert caption == player.steps[1].caption
    pngs = player.save(tmp_path / "walk.png")
    assert [p.name for p in pngs] == [f"walk_{k:03d}.png" for k in range(1, 9)]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_an_animated_gif_when_pillow_is_there(dot, tmp_path):
    image = pytest.importorskip("PIL.Image")
    x = mg.Tensor(2.0, requires_grad=True, name="x")
    (path,) = save_backward_steps(mg.exp(x), tmp_path / "walk.gif").files
    with image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 3


def test_collapsed_modules_and_max_nodes_keep_a_big_walk_short(dot, tmp_path, rng):
    model = mg.nn.Sequential(layers.BatchNorm1d(3), mg.nn.Linear(3, 2), mg.nn.Tanh())
    x = mg.Tensor(rng.standard_normal((4, 3)), requires_grad=True, name="x")
    out = model(x).sum()
    full = BackwardPlayer(out)
    collapsed = BackwardPlayer(out, collapse=True)
    short = BackwardPlayer(out, max_nodes=3)
    assert len(full.frames) == len(full.steps) + 1
    assert len(collapsed.frames) < len(full.frames) / 2
    module_frames = [f for f in collapsed.frames if len(f["steps"]) > 1]
    assert module_frames and all(f["current"][0].startswith("m") for f in module_frames)
    assert any(f["current"] == ["more"] and len(f["steps"]) > 1 for f in short.frames)
    for player in (collapsed, short):
        svg = player.svg()
        assert all(f'mg-n-{n}"' in svg for f in player.frames for n in f["current"])


def test_without_dot_the_graph_is_saved_as_dot_text(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("minigrad.draw.player.shutil.which", lambda name: None)
    loss, _ = neuron()
    (path,) = save_backward_steps(loss, tmp_path / "walk.html").files
    assert path == tmp_path / "walk.dot" and path.read_text().startswith("digraph")
    assert "Graphviz's dot program was not found" in capsys.readouterr().err


def test_format_must_be_a_player_format(tmp_path):
    loss, _ = neuron()
    with pytest.raises(ValueError, match=r"format must be one of \('html', 'svg', 'png', 'gif'\)"):
        save_backward_steps(loss, tmp_path / "walk.pdf")


def test_cli_help_has_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["graph", "--steps", "--help"])
    out = capsys.readouterr().out
    assert "minigrad graph --steps --expr" in out and "-o walk.html" in out


@pytest.mark.parametrize("mode, steps", [("autograd", 14), ("manual", 4)])
def test_cli_writes_the_batchnorm_player(dot, tmp_path, capsys, mode, steps):
    path = tmp_path / "bn.html"
    assert main(["graph", "--steps", "BatchNorm2d", "--mode", mode, "-o", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {path} ({steps + 1} frames, {steps} steps)"
    frames = frames_of(path.read_text(encoding="utf-8"))
    functions = [f for f in frames if "hand-written backward (dx = inv_std" in f["caption"]]
    assert len(functions) == (mode == "manual")


def test_cli_writes_png_frames_and_refuses_what_it_cannot_do(dot, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--steps", "--expr", "tanh(x*w)", "--shape", "1", "--format", "png"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"expression_steps_{k:03d}.png" for k in range(1, 6)]
    assert main(["graph", "--steps", "LayerNorm", "--format", "pdf"]) == 2
    assert main(["graph", "--steps", "LayerNorm", "--view", "backward"]) == 2
    err = capsys.readouterr().err
    assert "--format pdf is not one of html, svg, png, gif" in err and "leave out --view" in err


def test_cli_gif_without_pillow_says_what_to_install(dot, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "PIL", None)          # `from PIL import Image` now fails
    assert main(["graph", "--steps", "--expr", "exp(x)", "--shape", "1",
                 "-o", str(tmp_path / "walk.gif")]) == 1
    assert "an animated gif needs Pillow (pip install pillow" in capsys.readouterr().err
