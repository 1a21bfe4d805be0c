"""Drawing: pictures of a finished computation graph. This part only reads the
graph the engine recorded; the engine never imports it.

  graph.py     what is drawn: operations, tensors, module clusters (draw_graph)
  read.py      reading the recorded nodes, also after backward() released them
  collapse.py  shortening a big drawing: modules as one box, chains as one node
  dot.py       how it looks and how it is saved (save_graph: SVG, PNG, PDF, DOT)
  steps.py     the backward walk replayed step by step, with captions (backward_steps)
  player.py    those steps over the drawing: a web page or slide frames (save_backward_steps)
  page.py      the player's page, its script and its highlight colours

The graphviz Python package is imported only when a drawing is made.
"""
from minigrad.draw.dot import FORMATS, save_graph, summary
from minigrad.draw.graph import draw_graph
from minigrad.draw.player import STEP_FORMATS, BackwardPlayer, save_backward_steps
from minigrad.draw.steps import backward_steps

__all__ = ["draw_graph", "save_graph", "summary", "FORMATS", "backward_steps",
           "save_backward_steps", "BackwardPlayer", "STEP_FORMATS"]
