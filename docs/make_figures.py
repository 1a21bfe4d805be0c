"""Draw the computation graphs shown in the documentation, as PNGs next to this file.

    python docs/make_figures.py            # all of them
    python docs/make_figures.py tanh       # the ones whose name contains "tanh"

Each figure is a few lines of minigrad: build the graph, draw_graph() it,
save_graph() it. Without Graphviz's dot program the .dot text is written instead.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import layers
import minigrad as mg
from minigrad import nn
from minigrad.draw import draw_graph, save_graph

HERE = Path(__file__).resolve().parent


def batchnorm2d(mode):
    """BatchNorm2d's forward: every primitive (autograd) or one Function node (manual)."""
    bn = layers.BatchNorm2d(3, backward=mode)
    x = mg.Tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 4)), requires_grad=True,
                  name="x")
    return draw_graph(bn(x), legend=True,
                      title=f"BatchNorm2d(3) on x of shape (2, 3, 4, 4), backward={mode!r}")


def tanh_backward():
    """The graph that computed the gradients of y = tanh(x * w + b)."""
    x = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
    w = mg.Tensor([0.5, -1.0, 0.2], requires_grad=True, name="w")
    b = mg.Tensor([0.1, 0.2, 0.3], requires_grad=True, name="b")
    y = mg.tanh(x * w + b)
    y.backward(mg.Tensor(np.ones(3), name="dy"), create_graph=True)
    return draw_graph(x.grad, w.grad, b.grad, backward_of=y, legend=True,
                      title="y = tanh(x * w + b): the graph that computed the gradients")


def mlp_layernorm(collapse=False):
    """A small MLP with a LayerNorm: its forward inside the modules' clusters,
    or collapsed to one node per module and followed by the loss."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), layers.LayerNorm(8), nn.ReLU(), nn.Linear(8, 3))
    x = mg.Tensor(np.random.default_rng(1).standard_normal((5, 4)), name="x")
    logits = model(x)
    if not collapse:
        return draw_graph(logits, names={"logits": logits}, legend=True,
                          title="Sequential(Linear, LayerNorm, ReLU, Linear)")
    loss = nn.functional.cross_entropy(logits, np.array([0, 2, 1, 1, 0]))
    return draw_graph(loss, names={"loss": loss}, collapse=True, legend=True,
                      title="the same MLP, collapse=True, and its cross-entropy loss")


FIGURES = {
    "batchnorm2d_autograd": lambda: batchnorm2d("autograd"),
    "batchnorm2d_manual": lambda: batchnorm2d("manual"),
    "tanh_backward": tanh_backward,
    "mlp_layernorm": mlp_layernorm,
    "mlp_layernorm_collapsed": lambda: mlp_layernorm(collapse=True),
}


if __name__ == "__main__":
    wanted = sys.argv[1:]
    for name, make in FIGURES.items():
        if not wanted or any(w in name for w in wanted):
            print("wrote", save_graph(make(), HERE / f"{name}.png"))
