"""Graph drawing (minigrad/draw/graph.py): what the DOT text contains for known small
graphs, clusters for modules, collapsing and caps, the backward graph,
determinism, and drawings made after backward()."""
import re

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
from minigrad import nn
from minigrad.draw import draw_graph

STATEMENT = re.compile(r"^\s*(\w+) \[(.*)\]$", re.M)
EDGE = re.compile(r"^\s*(\w+) -> (\w+)", re.M)


def parse(graph):
    """{node name: its attribute text}, [(tail, head)] of a drawing, legend excluded."""
    nodes = {name: attrs for name, attrs in STATEMENT.findall(graph.source)
             if "->" not in name and name not in ("graph", "node", "edge")
             and not name.startswith("legend")}
    return nodes, EDGE.findall(graph.source)


def title(attrs):
    """The bold first line of a node's label."""
    return re.search(r"<B>(.*?)</B>", attrs).group(1)


def titles(graph):
    return sorted(title(a) for a in parse(graph)[0].values())


def leaf(values, name=None):
    return mg.Tensor(np.asarray(values, dtype=float), requires_grad=True, name=name)


def neuron():
    x, w, b = leaf([1.0, 2, 3], "x"), leaf([0.5, -1, 2], "w"), leaf([0.1, 0.2, 0.3], "b")
    return x, w, b, mg.tanh(x * w + b)


# ----------------------------------------------------------------------------
# Known small graphs: one node per operation and tensor, one edge per dependency
# ----------------------------------------------------------------------------

def test_a_neuron_has_its_operations_tensors_and_dependencies():
    x, w, b, y = neuron()
    nodes, edges = parse(draw_graph(y))
    assert sorted(title(a) for a in nodes.values()) == ["add", "b", "mul", "output", "tanh",
                                                          "w", "x"]
    named = {title(a): n for n, a in nodes.items()}
    expected = [("x", "mul"), ("w", "mul"), ("mul", "add"), ("b", "add"), ("add", "tanh"),
                ("tanh", "output")]
    assert sorted(edges) == sorted((named[a], named[b]) for a, b in expected)
    assert "(3,) float64" in nodes[named["x"]] and "→ (3,)" in nodes[named["mul"]]


def test_an_input_used_twice_gives_two_edges():
    x = leaf([1.0, 2.0], "x")
    nodes, edges = parse(draw_graph(x * x))
    named = {title(a): n for n, a in nodes.items()}
    assert sorted(named) == ["mul", "output", "x"]
    expected = [("x", "mul"), ("x", "mul"), ("mul", "output")]
    assert sorted(edges) == sorted((named[a], named[b]) for a, b in expected)


def test_constants_get_boxes_and_scalars_go_into_the_label():
    x = leaf([1.0, 2.0, 3.0], "x")
    c = mg.Tensor([4.0, 5.0, 6.0], name="c")
    g = draw_graph((2 * x) / 3 + c)
    nodes, edges = parse(g)
    assert titles(g) == ["add", "c", "div", "mul", "output", "x"]
    assert "2 × ·" in g.source and "/ 3" in g.source
    c_attrs = next(a for a in nodes.values() if title(a) == "c")
    assert "dashed" in c_attrs and "[4, 5, 6]" in c_attrs          # grey, with its values
    assert len(edges) == 5


def test_kinds_are_told_apart_by_shape_and_colour():
    x, w, b, y = neuron()
    nodes, _ = parse(draw_graph(y))
    by_title = {title(a): a for a in nodes.values()}
    assert "shape=\"box\"" in by_title["x"] and "#dae8fc" in by_title["x"]       # input
    assert "#f8cecc" in by_title["output"] and "bold" in by_title["output"]
    assert "shape=" not in by_title["mul"]                                     # the default ellipse


def test_a_leaf_root_is_a_single_box():
    nodes, edges = parse(draw_graph(leaf([1.0], "x")))
    assert [title(a) for a in nodes.values()] == ["x"] and edges == []


def test_names_label_intermediate_results_and_retained_grads_show():
    x = leaf([1.0, -2.0], "x")
    h = x * 3
    h.retain_grad()
    out = mg.relu(h).sum()
    g = draw_graph(out, names={"h": h, "loss": out})
    assert titles(g) == ["h", "loss", "mul", "relu", "sum", "x"]
    nodes, edges = parse(g)
    assert len(edges) == 5                 # x->mul, mul->h, h->relu, relu->sum, sum->loss
    out.backward(retain_graph=True)
    g = draw_graph(out, names={"h": h}, show_grad=True)
    h_attrs = next(a for a in parse(g)[0].values() if title(a) == "h")
    assert "grad [1, 0]" in h_attrs and "grad: [1, 0]" in h_attrs        # label and tooltip


def test_intermediates_true_draws_every_result():
    x, w, b, y = neuron()
    nodes, edges = parse(draw_graph(y, intermediates=True))
    assert len(nodes) == 3 + 3 + 2 + 1 and len(edges) == 6 + 2


def test_a_user_function_is_one_double_ellipse():
    class Cube(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    g = draw_graph(Cube.apply(leaf([1.0, 2.0], "x")))
    assert titles(g) == ["Cube", "output", "x"]
    assert "peripheries=\"2\"" in g.source and "hand-written backward" in g.source


def test_outputs_of_a_function_with_several_say_which_they_are():
    class Split(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x + 1, x.sum()

        @staticmethod
        def backward(ctx, g1, g2, g3):
            return g1 * 2 + g2 + g3

    _, second, third = Split.apply(leaf([1.0, 2.0], "x"))
    g = draw_graph(second, third)
    nodes, _ = parse(g)
    split = next(n for n, a in nodes.items() if title(a) == "Split")
    assert sorted(re.findall(rf"{split} -> \w+ \[label=(\d)\]", g.source)) == ["1", "2"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "mul", "sub", "tanh", "exp"]),
                          st.integers(0, 100), st.integers(0, 100)), min_size=1, max_size=12),
       st.integers(1, 3))
def test_random_graphs_have_one_node_per_op_and_one_edge_per_input(program, n_leaves):
    leaves = [leaf(np.ones(2) * (i + 1), f"x{i}") for i in range(n_leaves)]
    values, n_ops, n_edges = list(leaves), 0, 0
    for op, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        values.append(getattr(mg, op)(a) if op in ("tanh", "exp") else
                      {"add": a + b, "mul": a * b, "sub": a - b}[op])
        n_ops, n_edges = n_ops + 1, n_edges + (1 if op in ("tanh", "exp") else 2)
    out = values[0]
    for v in values[1:]:                   # use everything, so every op is reachable
        out = out + v
    n_ops, n_edges = n_ops + len(values) - 1, n_edges + 2 * (len(values) - 1)
    first = draw_graph(out)
    nodes, edges = parse(first)
    assert len(nodes) == n_ops + n_leaves + 1
    assert len(edges) == n_edges + 1
    assert draw_graph(out).source == first.source


# ----------------------------------------------------------------------------
# Determinism and reading only
# ----------------------------------------------------------------------------

def test_the_same_graph_gives_the_same_source():
    sources = {draw_graph(neuron()[-1], legend=True).source for _ in range(3)}
    assert len(sources) == 1
    assert "0x" not in sources.pop()         # no id() or repr addresses leak in


DRAW_IN_A_PROCESS = """
import numpy as np, minigrad as mg, layers
from minigrad import nn
mg.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 4), layers.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
x = mg.Tensor(np.ones((5, 3)), requires_grad=True, name="x")
y = net(x).sum()
y.backward(create_graph=True)
print(draw_graph(y, legend=True, show_grad=True).source)
print(draw_graph(x.grad, backward_of=y, collapse=True).source)
""".replace("draw_graph", "mg.draw_graph")


def test_the_source_is_the_same_in_another_process():
    # Set or hash order, or id(), in the output would differ between processes.
    import os
    import subprocess
    import sys
    sources = {subprocess.run([sys.executable, "-c", DRAW_IN_A_PROCESS], capture_output=True,
                              text=True, check=True,
                              env=dict(os.environ, PYTHONHASHSEED=str(seed))).stdout
               for seed in (1, 2)}
    assert len(sources) == 1 and "->" in sources.pop()


def test_drawing_changes_nothing_in_the_graph():
    x, w, b, y = neuron()
    node = y.grad_fn
    before = (node.inputs, node.saved_output, node.released, node.hooks, node.out_shapes,
              node.edges)
    draw_graph(y, intermediates=True, show_values=True)
    after = (node.inputs, node.saved_output, node.released, node.hooks, node.out_shapes,
             node.edges)
    assert all(p is q for p, q in zip(before, after))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, (1 - np.tanh([0.6, -1.8, 6.3]) ** 2) * [0.5, -1, 2])


def test_after_backward_released_nodes_still_draw_with_gradients():
    x, w, b, y = neuron()
    y.sum().backward()
    assert y.grad_fn.released
    g = draw_graph(y, show_grad=True)
    assert titles(g) == ["add", "b", "mul", "output", "tanh", "w", "x"]
    assert "saved values released by backward()" in g.source
    assert "grad [0.3558, -0.1036, 2.698e-05]" in g.source          # x.grad, to 4 digits


# ----------------------------------------------------------------------------
# Modules as clusters
# ----------------------------------------------------------------------------

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(3, 2)
        self.register_buffer("scale", np.array([2.0, 3.0]))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()

    def forward(self, x):
        return self.block(x).sum()


def cluster_labels(graph):
    return re.findall(r"subgraph cluster_\d+ \{\s*[^\n]*label=\"?([^\"\n]*?)\"? labeljust",
                      graph.source)


def test_modules_become_nested_labelled_clusters_with_dotted_parameter_names():
    x = leaf(np.ones((5, 4)), "x")
    g = draw_graph(Net()(x))
    assert cluster_labels(g) == ["Net", "Block (block)", "Linear (fc1)", "Tanh (act)",
                                 "Linear (fc2)"]
    fc1 = g.source.index("Linear (fc1)")
    assert g.source.index("block.fc1.weight") > fc1 and g.source.index("Tanh (act)") > fc1
    nodes, _ = parse(g)
    by_title = {title(a): a for a in nodes.values()}
    assert "#d5e8d4" in by_title["block.fc2.bias"]                     # parameter
    assert "#fff2cc" in by_title["block.scale"]                        # buffer
    assert g.source.count("subgraph") == 5
    assert len(parse(draw_graph(Net()(x), clusters=False))[0]) == len(nodes)
    assert "subgraph" not in draw_graph(Net()(x), clusters=False).source


@pytest.mark.parametrize("collapse, modules", [
    (True, ["Linear (fc1)", "Linear (fc2)", "Tanh (act)"]),
    (2, ["Block (block)"]),
    ({"Tanh"}, ["Tanh (act)"]),
    ("fc1", ["Linear (fc1)"]),
    ("Linear (fc1)", []),
])
def test_collapse_draws_a_module_call_as_one_node(collapse, modules):
    x = leaf(np.ones((5, 4)), "x")
    g = draw_graph(Net()(x), collapse=collapse)
    nodes, edges = parse(g)
    collapsed = sorted(title(a) for a in nodes.values() if "box3d" in a)
    assert collapsed == modules
    if not modules:
        return
    assert not set(modules) & set(cluster_labels(g))
    assert len(set(edges)) == len(edges)                                # merged, not repeated
    if collapse is True:
        # Linear is one operation (x @ W.T + b as one entry), with its two parameters
        assert "1 operation · 2 parameters" in g.source and "1 operation<" in g.source
        assert "block.fc1.weight" not in g.source                       # inside the module
        named = {title(a): n for n, a in nodes.items()}
        assert (named["x"], named["Linear (fc1)"]) in edges
        assert (named["Linear (fc1)"], named["Tanh (act)"]) in edges


def test_batchnorm_manual_is_one_function_node_and_autograd_its_primitives():
    import layers
    x = leaf(np.random.default_rng(0).standard_normal((2, 3, 4, 4)), "x")
    manual = draw_graph(layers.BatchNorm2d(3, backward="manual")(x))
    autograd = draw_graph(layers.BatchNorm2d(3, backward="autograd")(x))
    assert cluster_labels(manual) == ["BatchNorm2d"] == cluster_labels(autograd)
    assert manual.source.count('peripheries="2"') == 1
    assert 'peripheries="2"' not in autograd.source
    ops = [a for a in parse(autograd)[0].values() if "shape=" not in a]
    assert {"mean", "sub", "rsqrt"} <= {title(a) for a in ops} and len(ops) > 8
    assert "weight" in titles(manual) and "bias" in titles(manual)


# ----------------------------------------------------------------------------
# The backward graph
# ----------------------------------------------------------------------------

def test_the_backward_graph_fades_reused_forward_operations():
    x = leaf([0.5, -1.0], "x")
    y = mg.tanh(x)
    y.sum().backward(create_graph=True)
    g = draw_graph(x.grad, backward_of=y)
    nodes, _ = parse(g)
    faded = [title(a) for a in nodes.values() if "#888888" in a]
    bright = [title(a) for a in nodes.values() if "shape=" not in a]
    assert faded == ["tanh"] and bright                     # 1 - tanh^2 reuses tanh's output
    assert "x.grad" in titles(g)
    unfaded = draw_graph(x.grad)
    assert "#888888" not in unfaded.source and titles(unfaded) == titles(g)


def test_a_second_derivative_graph_draws_from_grad():
    x = leaf([0.5], "x")
    (gx,) = mg.grad(x ** 3, x, create_graph=True)
    g = draw_graph(gx, names={"dy/dx": gx})
    assert "dy/dx" in titles(g) and "x" in titles(g)


# ----------------------------------------------------------------------------
# Big graphs
# ----------------------------------------------------------------------------

def chain(n):
    x = leaf([0.1, 0.2], "x")
    h = x
    for _ in range(n):
        h = mg.tanh(h)
    return h


def test_max_nodes_keeps_the_nearest_operations_and_counts_the_rest():
    g = draw_graph(chain(50), max_nodes=10)
    nodes, edges = parse(g)
    assert len(nodes) == 10 + 1 + 1 and "… 40 more operations" in g.source
    assert "x" not in titles(g)
    assert ("more", min(n for n in nodes if n.startswith("n"))) in edges
    with_boxes = draw_graph(chain(50), max_nodes=10, intermediates=True)
    assert len(parse(with_boxes)[0]) == 10 + 1 + 1 + 9     # a box between each pair drawn


def test_collapse_chains_draws_a_run_as_one_node():
    g = draw_graph(chain(100), collapse_chains=True)
    assert titles(g) == ["output", "tanh × 100", "x"] and len(parse(g)[1]) == 2
    x = leaf([1.0], "x")
    g = draw_graph(mg.exp(mg.exp(x)) * mg.tanh(x), collapse_chains=2)
    assert titles(g) == ["exp × 2", "mul", "output", "tanh", "x"]


def test_ten_thousand_operations_draw_whole_without_recursion_when_asked():
    g = draw_graph(chain(10_000), max_nodes=None)
    nodes, edges = parse(g)
    assert len(nodes) == 10_002 and len(edges) == 10_001


def test_a_big_graph_is_cut_by_default_with_a_notice_saying_how_to_draw_it_whole():
    y = chain(10_000)
    with pytest.warns(UserWarning, match=r"10,000 operations.*2,000 nearest.*max_nodes=None"):
        nodes, _ = parse(draw_graph(y))
    assert len(nodes) == 2_000 + 2 and "… 8,000 more operations" in str(nodes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # a small graph, or an explicit choice: no notice
        parse(draw_graph(chain(1_000)))
        assert len(parse(draw_graph(y, max_nodes=5_000))[0]) == 5_000 + 2


def test_a_collapsed_drawing_is_whole_and_warns_only_when_still_too_big():
    y = chain(3_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nodes, _ = parse(draw_graph(y * 1.0, collapse_chains=True))
    assert len(nodes) < 10
    with pytest.warns(UserWarning, match="even shortened the drawing has 3,00"):
        draw_graph((y + 1.0).tanh(), collapse=True)         # no modules: nothing to collapse


# ----------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------

def test_bad_arguments_say_what_is_wrong():
    y = neuron()[-1]
    with pytest.raises(ValueError, match="at least one tensor"):
        draw_graph()
    with pytest.raises(TypeError, match="expected Tensors, got ndarray"):
        draw_graph(np.ones(2))
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['colour'\]"):
        draw_graph(y, colour="red")
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        draw_graph(y, max_nodes=0)


def test_slices_and_indices_read_like_numpy():
    x = leaf(np.arange(12.0).reshape(3, 4), "x")
    assert "index=(1:, ::2)" in draw_graph(x[1:, ::2]).source
    assert "index=(:2, 3)" in draw_graph(x[:2, 3]).source


def test_named_results_keep_their_boxes_after_backward():
    # backward() releases each node's saved inputs; names given to results must survive it.
    x = mg.Tensor(1.5, requires_grad=True, name="x")
    u = x * 2.0
    u.name = "u"
    loss = u.tanh()
    before = draw_graph(loss).source
    loss.backward()
    after = draw_graph(loss).source
    assert "<B>u</B>" in before and "<B>u</B>" in after
    assert after.count("->") == before.count("->")


def test_constants_and_attributes_survive_backward():
    # A drawing made after backward() must show what one made before it did: the constant
    # input x, the reduced axes, the divisor, the concatenation axis (a keyword).
    x = mg.Tensor(np.arange(6.0).reshape(2, 3), name="x")
    w = leaf(np.ones((3, 2)), "w")
    h = mg.concatenate([x @ w, x], axis=1)
    loss = h.sum(axis=0).mean() / 4
    labels = re.compile(r"label=(<.*?>) tooltip")
    before = draw_graph(loss).source
    loss.backward()
    after = draw_graph(loss).source
    assert labels.findall(after) == labels.findall(before)
    assert EDGE.findall(after) == EDGE.findall(before)
    assert "<B>x</B>" in after and "axis=1" in after and "/ 4" in after


def test_backward_still_frees_constant_arrays():
    # What release keeps for drawing must not hold the constants' memory: weak references.
    import gc
    import weakref
    x = leaf([1.0, 2.0, 3.0], "x")
    c = np.array([4.0, 5.0, 6.0])
    seen = weakref.ref(c)
    y = (x * c).sum()
    del c
    y.backward()
    gc.collect()
    assert seen() is None
    assert "<B>mul</B>" in draw_graph(y).source


def test_a_retained_gradient_shows_after_backward():
    # The classroom picture: retain_grad() on an intermediate, backward(), show_grad=True.
    x = leaf([1.0, -2.0], "x")
    h = x * 3.0
    h.retain_grad()
    y = (h * h).sum()
    y.backward()
    assert "grad [6, -12]" in draw_graph(y, show_grad=True).source    # h.grad = 2 h, on h's box


def test_names_given_to_draw_graph_survive_backward():
    x = leaf([1.0, -2.0], "x")
    h = x * 3.0
    y = (h * h).sum()
    y.backward()
    assert "<B>hidden</B>" in draw_graph(y, names={"hidden": h}).source


def test_a_constant_of_a_variadic_op_is_not_named_after_a_keyword():
    # concatenate's forward is (*xs, axis): its second input is not "axis".
    x = leaf([[1.0, 2.0]], "x")
    titles_ = titles(draw_graph(mg.concatenate([x, np.ones((1, 2))], axis=0)))
    assert "axis" not in titles_ and "constant" in titles_


def test_eval_mode_batchnorm_shows_its_running_mean_as_a_buffer():
    # In eval mode BatchNorm subtracts a reshaped view of running_mean: still the buffer.
    import layers
    net = nn.Sequential(nn.Linear(3, 2), layers.BatchNorm1d(2))
    net.eval()
    source = draw_graph(net(leaf(np.ones((4, 3)), "x"))).source
    box = re.search(r"\n(\t+)(t\d+) \[label=<<B>1\.running_mean</B>.*\n", source)
    assert box and "#fff2cc" in box.group(0)                             # a buffer's colours
    cluster = source[source.index('label="BatchNorm1d (1)"'):]
    assert box.group(2) + " [" in cluster[:cluster.index("}")]             # in BatchNorm's cluster


def test_a_bare_array_made_in_a_forward_sits_in_its_module():
    class Shift(nn.Module):
        def forward(self, x):
            return x - np.array([1.0, 2.0])          # made here: drawn inside the cluster

    source = draw_graph(Shift()(leaf([[0.0, 0.0]], "x"))).source
    cluster = source[source.index("label=Shift"):]
    assert "<B>constant</B>" in cluster[:cluster.index("}")]
    assert "<B>x</B>" not in cluster[:cluster.index("}")]   # the input stays outside
