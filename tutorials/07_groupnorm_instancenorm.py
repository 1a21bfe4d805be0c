"""Lesson 7: GroupNorm and InstanceNorm - one formula, a family from LayerNorm to InstanceNorm.

What you will learn
  * that BatchNorm, LayerNorm, InstanceNorm and GroupNorm compute the same thing,
        x_hat = (x - mean_R x) / sqrt(var_R x + eps),
    and that their normalisation step differs only in the reduction set R, the elements that
    share one mean and variance (the layers differ in more than that: the shape of the affine
    weight and bias, and whether they keep running statistics for eval mode);
  * for an image batch (N, C, H, W):
        BatchNorm     one statistic per channel,            R = (N, H, W)
        LayerNorm     one per sample,                       R = (C, H, W)
        InstanceNorm  one per (sample, channel),            R = (H, W)
        GroupNorm(G)  one per (sample, group of C/G channels), R = (C/G channels, H, W)
  * that GroupNorm(1, C) is LayerNorm and GroupNorm(C, C) is InstanceNorm, checked numerically;
  * how to SEE a reduction set: the gradient of one output element is nonzero exactly on the
    inputs that share its statistics (the figure is drawn from those gradients);
  * why only BatchNorm makes one sample's output depend on the rest of the batch;
  * the seeds' mistakes about axes and layouts, run and corrected in section 5: NHWC statistics
    taken over NCHW's axes (E2), "LayerNorm is InstanceNorm in NLP" (E9), BatchNorm on text as
    one statistic per word position (E21).

Time: about 30 minutes to read and run, plus about 50 for the exercises.
Assumes: lessons 4 and 6 (statistics over the batch, over the features).
Ends with: exercises groupnorm (exercises/groupnorm_backward.py) and instancenorm
  (exercises/instancenorm_backward.py), graded by `minigrad check`; then 2 questions, worked
  answers in answers/07_groupnorm_instancenorm.py.

Run it:  python tutorials/07_groupnorm_instancenorm.py --out DIR
Figure:  reduction_sets.png (which elements each layer normalises together).
"""
# %%
import warnings

import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
import layers

from _lesson import setup, section, check, check_pytorch, save_plot, seed_mistake

try:                        # PyTorch is optional: the claims about it are also checked against it
    import torch
except ImportError:
    torch = None


def pytorch_run(torch, layer, x):
    """A PyTorch layer, in float64, on the array x; returns the output as an array."""
    with torch.no_grad():
        return layer.double()(torch.tensor(x)).numpy()

args = setup()
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(7)
eps = 1e-5

# %% [markdown]
# ## 1. GroupNorm by hand
# GroupNorm(G, C) splits the C channels into G groups of C/G consecutive channels. Viewing x as
# (N, G, K) with K = (C/G)*H*W, each row of K numbers is standardised, and the result is reshaped
# back. The learnable weight and bias are per CHANNEL, shape (C,), as in BatchNorm.

# %%
section("1. GroupNorm = reshape to (N, G, K), normalise each row, reshape back, affine")
N, C, H, W = 3, 6, 2, 2
G = 3
x = rng.normal(loc=1.0, scale=2.0, size=(N, C, H, W))
gn = layers.GroupNorm(G, C)
gn.weight.data[...] = rng.normal(size=C)
gn.bias.data[...] = rng.normal(size=C)

rows = x.reshape(N, G, -1)                           # (3, 3, 8): K = 2 channels * 2 * 2
x_hat = ((rows - rows.mean(axis=-1, keepdims=True))
         / np.sqrt(rows.var(axis=-1, keepdims=True) + eps)).reshape(x.shape)
by_hand = gn.weight.data.reshape(1, C, 1, 1) * x_hat + gn.bias.data.reshape(1, C, 1, 1)
print(f"x {x.shape}, G = {G}: viewed as {rows.shape}, {N * G} means of K = {rows.shape[-1]} values")
check("GroupNorm equals the reshape recipe with a per-channel affine",
      np.abs(gn(mg.tensor(x)).data - by_hand).max() < 1e-12)

try:
    layers.GroupNorm(4, 6)
    refused = False
except ValueError as err:
    refused = True
    print("GroupNorm(4, 6) -> ValueError:", err)
check("the channels must split evenly into groups", refused)

# %% [markdown]
# ## 2. The two ends of the family
# With G = 1 the single group is the whole sample, R = (C, H, W): that is LayerNorm([C, H, W]).
# With G = C every group is one channel, R = (H, W): that is InstanceNorm. Only the affine differs:
# GroupNorm's is per channel, LayerNorm's per element (C, H, W), InstanceNorm has none by default.
# At initialisation (weight 1, bias 0) the affines are the identity, so the outputs must agree.

# %%
section("2. GroupNorm(1, C) = LayerNorm, GroupNorm(C, C) = InstanceNorm")
X = mg.tensor(x)
gn_one = layers.GroupNorm(1, C)(X).data
ln = layers.LayerNorm((C, H, W))(X).data
gn_all = layers.GroupNorm(C, C)(X).data
inorm = layers.InstanceNorm2d(C)(X).data
check("GroupNorm(1, C) equals LayerNorm([C, H, W])", np.abs(gn_one - ln).max() < 1e-12,
      f"max diff {np.abs(gn_one - ln).max():.1e}")
check("GroupNorm(C, C) equals InstanceNorm2d(C)", np.abs(gn_all - inorm).max() < 1e-12,
      f"max diff {np.abs(gn_all - inorm).max():.1e}")
check_pytorch("PyTorch's affines: GroupNorm's is (C,), LayerNorm's (C, H, W), InstanceNorm2d has "
              "none by default; and its GroupNorm(1, C), GroupNorm(C, C) give the same outputs", torch,
              lambda torch: tuple(torch.nn.GroupNorm(G, C).weight.shape) == (C,)
              and tuple(torch.nn.LayerNorm((C, H, W)).weight.shape) == (C, H, W)
              and torch.nn.InstanceNorm2d(C).weight is None
              and np.allclose(pytorch_run(torch, torch.nn.GroupNorm(1, C), x), ln, atol=1e-12)
              and np.allclose(pytorch_run(torch, torch.nn.GroupNorm(C, C), x), inorm, atol=1e-12))

# With a trained affine they still agree if LayerNorm's per-element weight is the per-channel one
# repeated over H and W (it has more freedom: it could differ from pixel to pixel).
gn1 = layers.GroupNorm(1, C)
gn1.weight.data[...], gn1.bias.data[...] = gn.weight.data, gn.bias.data
ln_layer = layers.LayerNorm((C, H, W))
ln_layer.weight.data[...] = np.broadcast_to(gn.weight.data.reshape(C, 1, 1), (C, H, W))
ln_layer.bias.data[...] = np.broadcast_to(gn.bias.data.reshape(C, 1, 1), (C, H, W))
check("with LayerNorm's weight = GroupNorm's weight repeated over (H, W), they still agree",
      np.abs(gn1(X).data - ln_layer(X).data).max() < 1e-12)

print("\n G  statistics per batch  values per statistic")
for groups in (1, 2, 3, 6):
    print(f"{groups:2d}  {N * groups:9d}            {C // groups * H * W:6d}"
          + ("   (LayerNorm)" if groups == 1 else "   (InstanceNorm)" if groups == C else ""))

# %% [markdown]
# ## 3. Seeing the reduction set through the gradient
# Output y[n, c, h, w] depends on its own input and, through the mean and variance, on every input
# in its reduction set, and on nothing else. So the gradient of that ONE output element with respect
# to x is nonzero exactly on the reduction set. Autograd computes it for us; we compare it with
# the set we expect from the table above, and then draw it.

# %%
section("3. Which inputs influence one output element")
norms = {
    "BatchNorm2d(C)": (layers.BatchNorm2d(C), lambda n, c: (slice(None), [c])),
    "LayerNorm([C,H,W])": (layers.LayerNorm((C, H, W)), lambda n, c: ([n], slice(None))),
    "InstanceNorm2d(C)": (layers.InstanceNorm2d(C), lambda n, c: ([n], [c])),
    f"GroupNorm({G}, C)": (layers.GroupNorm(G, C),
                           lambda n, c: ([n], list(range(c // (C // G) * (C // G),
                                                        (c // (C // G) + 1) * (C // G))))),
}
n0, c0 = 1, 2                          # the output element y[1, 2, 0, 0]
masks = {}
for name, (layer, expected_index) in norms.items():
    Xg = mg.tensor(x, requires_grad=True)
    layer(Xg)[n0, c0, 0, 0].backward()
    mask = Xg.grad.data != 0
    expected = np.zeros(x.shape, dtype=bool)
    samples, channels = expected_index(n0, c0)
    expected[np.ix_(np.arange(N)[samples], np.arange(C)[channels],
                    np.arange(H), np.arange(W))] = True
    masks[name] = mask
    print(f"{name:20s} y[{n0},{c0},0,0] depends on {mask.sum():2d} inputs: samples "
          f"{np.unique(np.nonzero(mask)[0]).tolist()}, channels {np.unique(np.nonzero(mask)[1]).tolist()}")
    check(f"{name}: the nonzero gradient is exactly the expected reduction set",
          np.array_equal(mask, expected))
check("only BatchNorm's output depends on other samples of the batch",
      [name for name, mask in masks.items() if mask.any(axis=(1, 2, 3)).sum() > 1]
      == ["BatchNorm2d(C)"])

fig = plt.figure(figsize=(13, 3.8))
for k, (name, mask) in enumerate(masks.items()):
    ax = fig.add_subplot(1, 4, k + 1, projection="3d")
    cube = mask.reshape(N, C, H * W)                  # axes: sample, channel, pixel (H*W)
    ax.voxels(~cube, facecolors=(0.8, 0.8, 0.8, 0.18), edgecolor=(0.4, 0.4, 0.4, 0.35),
              linewidth=0.3)
    ax.voxels(cube, facecolors=(0.16, 0.45, 0.85, 0.9), edgecolor=(0.1, 0.2, 0.4, 0.8),
              linewidth=0.4)
    ax.set_xlabel("N (sample)", fontsize=8, labelpad=-8)
    ax.set_ylabel("C (channel)", fontsize=8, labelpad=-8)
    ax.set_zlabel("H·W", fontsize=8, labelpad=-10)
    ax.set_xticks([]), ax.set_yticks([]), ax.set_zticks([])
    ax.set_box_aspect(cube.shape)
    ax.view_init(elev=22, azim=-60)
    ax.set_title(f"{name}\n{mask.sum()} inputs share y[{n0},{c0},0,0]'s statistics", fontsize=9)
fig.suptitle(f"Reduction sets on an (N, C, H, W) = {x.shape} batch: blue = nonzero gradient "
             f"of one output element", fontsize=10)
save_plot(fig, "reduction_sets")

# %% [markdown]
# ## 4. A gotcha: a 2-D input means different things
# BatchNorm1d reads a 2-D input as (N, C): a batch of feature vectors, normalised per column.
# InstanceNorm1d reads a 2-D input as ONE unbatched sample (C, L): each row (a channel) is
# normalised over its L values. Same array, different reduction sets (PyTorch does the same).

# %%
section("4. A 2-D input to BatchNorm1d and to InstanceNorm1d")
table = rng.normal(size=(4, 5))
bn_out = layers.BatchNorm1d(5)(mg.tensor(table)).data
with warnings.catch_warnings():
    warnings.simplefilter("ignore")                   # num_features is unused without affine
    in_out = layers.InstanceNorm1d(4)(mg.tensor(table)).data
check("BatchNorm1d on (4, 5) normalises each of the 5 columns", np.abs(bn_out.mean(axis=0)).max() < 1e-12)
check("InstanceNorm1d on (4, 5) normalises each of the 4 rows", np.abs(in_out.mean(axis=1)).max() < 1e-12)
check("so the two outputs differ", np.abs(bn_out - in_out).max() > 0.1)
check_pytorch("PyTorch's BatchNorm1d and InstanceNorm1d read the (4, 5) array the same two ways",
              torch, lambda torch: np.allclose(pytorch_run(torch, torch.nn.BatchNorm1d(5), table), bn_out)
              and np.allclose(pytorch_run(torch, torch.nn.InstanceNorm1d(4), table), in_out))

# %% [markdown]
# ## 5. The seeds' mistakes about axes and layouts
# Lesson 11 indexes the seeds' 31 mistakes. Three are about which axes a layer reduces over,
# which depends on the LAYOUT PyTorch expects: (N, C, H, W) for images, (N, C, L) for sequences.
# Each claim about PyTorch is also checked against PyTorch when it is installed.

# %%
section("5. The seeds' mistakes about axes and layouts")


seed_mistake("E2", "000", "当输入维度为 (N, H, W, C) 时 … x.mean(dim=(0, 2, 3))",
             "the text lays an image batch out as (N, H, W, C), the code reduces over dims (0, 2, 3)",
             "(0, 2, 3) are the batch and spatial axes only in PyTorch's (N, C, H, W). For "
             "(N, H, W, C) the per-channel statistics are over (0, 1, 2)")
nhwc = rng.normal(size=(2, 3, 4, 5)) + np.arange(5)          # (N, H, W, C) = (2, 3, 4, 5)
bn2d_nchw = layers.BatchNorm2d(5)(mg.tensor(nhwc.transpose(0, 3, 1, 2))).data
over_012 = (nhwc - nhwc.mean(axis=(0, 1, 2))) / np.sqrt(nhwc.var(axis=(0, 1, 2)) + eps)
check("E2: dims (0, 2, 3) of an NHWC tensor leave one mean per image ROW (3 of them), not per "
      "channel (5); (0, 1, 2) match BatchNorm2d on the NCHW transpose",
      nhwc.mean(axis=(0, 2, 3)).shape == (3,)
      and np.allclose(over_012, bn2d_nchw.transpose(0, 2, 3, 1), atol=1e-12))
check_pytorch("E2: PyTorch's BatchNorm2d on the NCHW transpose agrees", torch,
              lambda torch: np.allclose(pytorch_run(torch, torch.nn.BatchNorm2d(5),
                                                    nhwc.transpose(0, 3, 1, 2)), bn2d_nchw))
seed_mistake("E9", "000", "LayerNorm … 在 NLP 中使用的时候更像是 InstanceNorm",
             "LayerNorm in NLP is more like InstanceNorm (it normalises each token)",
             "only if an (N, S, D) batch is read as (N, C = S, L = D), tokens as channels. In "
             "PyTorch's (N, C, L) layout a sequence is (N, D, S), and InstanceNorm then normalises "
             "each FEATURE over time, which is not LayerNorm. The affine differs too: LayerNorm's "
             "is per feature, InstanceNorm's per channel")
tokens = rng.normal(size=(2, 5, 8))                                 # (N, S, D)
ln_out = layers.LayerNorm(8, elementwise_affine=False)(mg.tensor(tokens)).data
as_channels = layers.InstanceNorm1d(5)(mg.tensor(tokens)).data      # tokens read as channels
in_sequence = layers.InstanceNorm1d(8)(mg.tensor(tokens.transpose(0, 2, 1))).data.transpose(0, 2, 1)
check("E9: InstanceNorm1d on (N, S, D) read as (N, C=S, L=D) equals LayerNorm(D); on the (N, D, S) "
      "layout it does not",
      np.allclose(as_channels, ln_out, atol=1e-12) and not np.allclose(in_sequence, ln_out))
check_pytorch("E9: so does PyTorch's InstanceNorm1d", torch,
              lambda torch: np.allclose(pytorch_run(torch, torch.nn.InstanceNorm1d(5), tokens),
                                        ln_out, atol=1e-12))
seed_mistake("E21", "002", "BN就是对每句话的第一个词进行操作",
             "BN on text operates on the first word of every sentence (a BN per position)",
             "BatchNorm1d on a sequence batch (N, D, S) has one statistic per FEATURE, pooled over "
             "the batch and all positions; a per-position BN would keep one per (feature, position)")
sequence = rng.normal(size=(4, 8, 5)) + np.linspace(-2, 2, 5)   # (N, D, S), position-dependent mean
bn_seq = layers.BatchNorm1d(8)(mg.tensor(sequence)).data
check("E21: each feature has mean 0 over (N, S) together, but the first position alone does not",
      np.abs(bn_seq.mean(axis=(0, 2))).max() < 1e-12 and np.abs(bn_seq[:, :, 0].mean(axis=0)).max() > 0.5)
check_pytorch("E21: PyTorch's BatchNorm1d on (N, D, S) gives the same output", torch,
              lambda torch: np.allclose(pytorch_run(torch, torch.nn.BatchNorm1d(8), sequence), bn_seq))

# %% [markdown]
# ## Summary
# * One formula, four reduction sets. GroupNorm's G slides from LayerNorm (G = 1) to
#   InstanceNorm (G = C); its affine is per channel.
# * Only BatchNorm pools over the batch axis, so only BatchNorm depends on the batch size and on
#   the other samples. GroupNorm does not, which is why it is used with micro-batches (lesson 10).

# %%
print("\nNext: lesson 8 normalizes the weights instead of the activations.")

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **GroupNorm's backward** (about 30 min). Derive GroupNorm's backward for x of shape (N, C,
#    H, W) in G groups.
#    File: tutorials/exercises/groupnorm_backward.py. Grade it:
#        minigrad check tutorials/exercises/groupnorm_backward.py --exercise groupnorm
#    Worked solution: tutorials/solutions/groupnorm_backward.py.
# 2. **InstanceNorm's backward** (about 20 min). Derive InstanceNorm's backward: each (sample,
#    channel) normalised over its H x W values, with a per-channel affine.
#    File: tutorials/exercises/instancenorm_backward.py. Grade it:
#        minigrad check tutorials/exercises/instancenorm_backward.py --exercise instancenorm
#    Worked solution: tutorials/solutions/instancenorm_backward.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. GroupNorm(1, C) normalises exactly like LayerNorm([C, H, W]). Where do the two layers still
#    differ? Count their parameters for C = 4 and 5x5 images.
# 2. What would InstanceNorm2d compute for 1x1 images in training, and what does PyTorch (and
#    minigrad) do with such an input?
# Worked answers, each checked in code: tutorials/answers/07_groupnorm_instancenorm.py (run it with python).
