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
  * why only BatchNorm makes one sample's output depend on the rest of the batch.

Run it:  python tutorials/07_groupnorm_instancenorm.py --out DIR
Figure:  reduction_sets.png (which elements each layer normalises together).
"""
# %%
import warnings

import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
import layers

from _lesson import setup, section, check, save_plot

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

# %% [markdown]
# ## Summary
# * One formula, four reduction sets. GroupNorm's G slides from LayerNorm (G = 1) to
#   InstanceNorm (G = C); its affine is per channel.
# * Only BatchNorm pools over the batch axis, so only BatchNorm depends on the batch size and on
#   the other samples. GroupNorm does not, which is why it is used with micro-batches (lesson 10).

# %%
print("\nNext: lesson 8 normalizes the weights instead of the activations.")

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. GroupNorm(1, C) normalises exactly like LayerNorm([C, H, W]). Where do the two layers still
#    differ? Count their parameters for C = 4 and 5x5 images.
# 2. What would InstanceNorm2d compute for 1x1 images in training, and what does PyTorch (and
#    minigrad) do with such an input?
# Worked answers, each checked in code: tutorials/answers/07_groupnorm_instancenorm.py (run it with python).
