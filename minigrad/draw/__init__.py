"""Drawing: pictures of a finished computation graph. This part only reads the
graph the engine recorded; the engine never imports it.

  graph.py     what is drawn: operations, tensors, module clusters (draw_graph)
  read.py      reading the recorded nodes, also after backward() released them
  collapse.py  shortening a big drawing: modules as one box, chains as one node
  dot.py       how it looks and how it is saved (save_graph: SVG, PNG, PDF, DOT)

The graphviz Python package is imported only when a drawing is made.
"""
from minigrad.draw.dot import FORMATS, save_graph, summary
from minigrad.draw.graph import draw_graph

__all__ = ["draw_graph", "save_graph", "summary", "FORMATS"]
