"""Lesson 15: backprop by hand. A whole network's backward pass written out, line by line.

What you will learn
  * how to backpropagate through a real network yourself: cross-entropy, the last Linear layer,
    tanh, BatchNorm (through its mean and variance, then with lesson 5's closed form) and the
    first Linear layer, each gradient one line of NumPy;
  * how to check such work the way the engine's authors do: keep every intermediate of the
    forward (`retain_grad`) and compare each of your gradients with autograd's, in one table;
  * that an SGD step is one line once the gradients are known, and equal to optim.SGD's;
  * how backward() walks BatchNorm's nine operations, in the backward player.

Time: about 60 minutes to read and run, plus about 30 for the exercise.
Assumes: lessons 2 (VJPs: the gradient of a matmul, a sum over broadcast axes), 3 (the network,
  cross-entropy) and 5 (BatchNorm's backward).
Ends with: exercise network_backward (exercises/network_backward.py), graded by `minigrad check`;
  then 2 questions, worked answers in answers/15_backprop_by_hand.py.

Run it:  python tutorials/15_backprop_by_hand.py --out DIR   (--fast: no slide frames)
Figures: comparison.png (how far each hand-written gradient is from autograd's),
         bn_backward_walk.html (backward() through BatchNorm, step by step: open it in a browser),
         bn_walk_frames/bn_walk_NNN.png (the same steps as slides; not with --fast).
"""
# %%
import textwrap

import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
import layers
from minigrad import nn, optim
from minigrad.draw import backward_steps, save_backward_steps
from minigrad.nn import functional as F
from minigrad.datasets import load_digits, train_test_split

from _lesson import setup, section, check, check_pytorch, save_plot, save_player

try:                        # PyTorch is an optional second opinion
    import torch
except ImportError:
    torch = None

args = setup()
np.set_printoptions(precision=4, suppress=True)
BATCH, HIDDEN, EPS = 32, 64, 1e-5

# %% [markdown]
# ## 1. The network and one batch
# Lesson 3's network with a BatchNorm between the first Linear layer and the nonlinearity, as
# lesson 10 trains it, and tanh instead of ReLU (its derivative is more interesting):
#     64 pixels -> Linear(64, 64) -> BatchNorm1d(64) -> tanh -> Linear(64, 10) -> cross-entropy.
# One batch of 32 training images is all we need: the point is one backward pass, exactly.
# The layers start as minigrad builds them, except that BatchNorm's gamma and beta and both
# biases are jittered. A freshly made network has gamma = 1, beta = 0: a hand-written gradient
# that forgot a factor gamma would still come out right, and the mistake would hide.

# %%
section("1. The network and one batch")
images, labels = load_digits(flatten=True)
(x_train, y_train), _ = train_test_split(images, labels, test_fraction=0.25, seed=0)
x, y = x_train[:BATCH], y_train[:BATCH]
N = len(x)

mg.manual_seed(15)
net = nn.Sequential(nn.Linear(64, HIDDEN), layers.BatchNorm1d(HIDDEN, eps=EPS), nn.Tanh(),
                    nn.Linear(HIDDEN, 10))
rng = np.random.default_rng(15)
with mg.no_grad():
    net[1].weight.data[...] = 1 + 0.3 * rng.standard_normal(HIDDEN)      # gamma
    net[1].bias.data[...] = 0.3 * rng.standard_normal(HIDDEN)            # beta
    net[0].bias.data[...] = 0.3 * rng.standard_normal(HIDDEN)
    net[3].bias.data[...] = 0.3 * rng.standard_normal(10)
W1, b1, gamma, beta, W2, b2 = (net[0].weight, net[0].bias, net[1].weight, net[1].bias,
                               net[3].weight, net[3].bias)
print(net)
print(f"batch: x {x.shape}, labels {y.tolist()}")

# %% [markdown]
# ## 2. The forward pass, one intermediate per line
# The same computation as `net(x)` followed by `F.cross_entropy`, but every value that the
# backward pass will need gets a name, and `retain_grad()` asks the engine to keep its gradient
# (normally only leaves keep one). Names, in the order they are computed:
#   bn_in       the first Linear's output, BatchNorm's input          x @ W1.T + b1
#   bn_mean, bn_diff, bn_diff2, bn_var, bn_std_inv, bn_hat            BatchNorm, step by step
#   hpre        BatchNorm's output, the tanh's input ("pre-activation")  gamma * bn_hat + beta
#   h           tanh(hpre)
#   logits      h @ W2.T + b2
#   shifted, counts, counts_sum, log_norm, logprobs                   cross-entropy, step by step
# The variance is the biased one (divide by N), the one BatchNorm normalises with in training.
# Cross-entropy is written the stable way: subtract each row's largest logit before exp. That
# shift is computed from the data but kept out of the graph (`detach`): the loss does not depend
# on it (it cancels between counts and counts_sum), so its gradient would be 0 anyway.


# %%
def batchnorm_steps(bn_in, gamma, beta):
    """BatchNorm1d's training-mode forward, one named intermediate per operation."""
    s = {"bn_in": bn_in}
    s["bn_mean"] = bn_in.mean(axis=0, keepdims=True)                   # (1, H)
    s["bn_diff"] = bn_in - s["bn_mean"]                                # (N, H)
    s["bn_diff2"] = s["bn_diff"] ** 2
    s["bn_var"] = s["bn_diff2"].mean(axis=0, keepdims=True)            # biased: 1/N
    s["bn_std_inv"] = (s["bn_var"] + EPS) ** -0.5                      # 1 / sqrt(var + eps)
    s["bn_hat"] = s["bn_diff"] * s["bn_std_inv"]
    s["hpre"] = gamma * s["bn_hat"] + beta
    return s


section("2. The forward pass, one intermediate per line")
X = mg.tensor(x)
onehot = np.eye(10)[y]                                                 # (N, 10), a constant
fwd = batchnorm_steps(X @ W1.T + b1, gamma, beta)
fwd["h"] = mg.tanh(fwd["hpre"])
fwd["logits"] = fwd["h"] @ W2.T + b2
fwd["shifted"] = fwd["logits"] - fwd["logits"].max(axis=1, keepdims=True).detach()
fwd["counts"] = mg.exp(fwd["shifted"])
fwd["counts_sum"] = fwd["counts"].sum(axis=1, keepdims=True)
fwd["log_norm"] = mg.log(fwd["counts_sum"])
fwd["logprobs"] = fwd["shifted"] - fwd["log_norm"]                     # log softmax
loss = -(fwd["logprobs"] * onehot).sum() / N
for t in fwd.values():
    t.retain_grad()
for name, t in fwd.items():
    print(f"  {name:11s} {str(t.shape):9s}")
print(f"loss {loss.item():.6f}")
reference_loss = F.cross_entropy(net(X), y).item()
check("the step-by-step forward gives the modules' loss (net(x), F.cross_entropy) to 1e-12",
      abs(loss.item() - reference_loss) < 1e-12, f"{loss.item():.12f} vs {reference_loss:.12f}")
loss.backward()
# From here on, `v` holds every forward value as a plain NumPy array: the backward by hand
# below uses only these, as a student with pencil and paper would.
v = {name: t.data for name, t in fwd.items()}
W1_, gamma_, beta_, W2_ = (p.data.copy() for p in (W1, gamma, beta, W2))   # before any update

# %% [markdown]
# ## 3. Cross-entropy, backward
# Walk the forward lines in reverse. For each line `out = f(a, b)`, the gradients of its inputs
# are the gradient of `out` times the local derivatives, and a value used on several lines
# collects (adds) what each line sends it. The loss is -(1/N) sum over the batch of the
# log-probability of the right class, so
#   dlogprobs   = -onehot / N
#   logprobs    = shifted - log_norm: both get dlogprobs, log_norm summed over its broadcast axis
#   log_norm    = log(counts_sum): d/dx log x = 1/x
#   counts_sum  = sum of counts over the row: every count gets the row's gradient
#   counts      = exp(shifted): d/dx e^x = e^x = counts; shifted ADDS this to what it has
#   logits      = shifted + a constant: dlogits = dshifted
# Lesson 3 promised the result in one line: dlogits = (softmax(logits) - onehot) / N.

# %%
section("3. Cross-entropy, backward")
d = {}
d["logprobs"] = -onehot / N
d["shifted"] = d["logprobs"].copy()                                    # first use of shifted
d["log_norm"] = -d["logprobs"].sum(axis=1, keepdims=True)
d["counts_sum"] = d["log_norm"] / v["counts_sum"]
d["counts"] = np.ones_like(v["counts"]) * d["counts_sum"]
d["shifted"] += v["counts"] * d["counts"]                              # second use: add
d["logits"] = d["shifted"]
softmax = v["counts"] / v["counts_sum"]
dlogits_closed = (softmax - onehot) / N
print("dlogits of example 0 (times N):", (d["logits"][0] * N).round(4))
print(f"its label is {y[0]}: softmax minus 1 there, softmax elsewhere")
check("the step-by-step dlogits equals the closed form (softmax - onehot) / N to 1e-15",
      np.abs(d["logits"] - dlogits_closed).max() < 1e-15)

# %% [markdown]
# ## 4. The second Linear layer and tanh
# logits = h @ W2.T + b2 is lesson 2's matmul twice over:
#   dh  = dlogits @ W2          (N, 10) @ (10, 64) -> (N, 64), the shape of h
#   dW2 = dlogits.T @ h         (10, N) @ (N, 64)  -> (10, 64), the shape of W2
#   db2 = dlogits summed over the batch: b2 was broadcast to every row, so it collects from all.
# A quick test of any such line: its result must have the shape of what it is the gradient of.
# tanh's local derivative is 1 - tanh^2, and tanh is already stored as h:
#   dhpre = dh * (1 - h ** 2)

# %%
section("4. The second Linear layer and tanh")
d["h"] = d["logits"] @ W2_
d["W2"] = d["logits"].T @ v["h"]
d["b2"] = d["logits"].sum(axis=0)
d["hpre"] = d["h"] * (1 - v["h"] ** 2)
for name, shape in (("h", v["h"].shape), ("W2", W2_.shape), ("b2", b2.shape),
                    ("hpre", v["hpre"].shape)):
    print(f"  d{name:5s} {str(d[name].shape):9s} (the shape of {name}: {shape})")
check("every gradient has the shape of its variable",
      d["h"].shape == v["h"].shape and d["W2"].shape == W2_.shape and d["b2"].shape == b2.shape
      and d["hpre"].shape == v["hpre"].shape)

# %% [markdown]
# ## 5. BatchNorm, backward: step by step, then in one line
# First the affine part, hpre = gamma * bn_hat + beta: gamma and beta are shared by the whole
# batch, so their gradients are sums over it. Then each forward line of BatchNorm in reverse.
# Two places need care. bn_diff is used twice (in bn_diff2 and in bn_hat), so it adds two
# contributions; bn_in is used twice too (in bn_mean and in bn_diff). And a mean over N values
# sends each of them 1/N of the gradient. Lesson 5 collapsed all of it into
#   dbn_in = gamma * bn_std_inv / N * (N * dhpre - sum(dhpre) - bn_hat * sum(dhpre * bn_hat))
# (sums over the batch), which must agree with the step-by-step result.

# %%
section("5. BatchNorm, backward: step by step and closed form")
d["gamma"] = (d["hpre"] * v["bn_hat"]).sum(axis=0)
d["beta"] = d["hpre"].sum(axis=0)
d["bn_hat"] = gamma_ * d["hpre"]
d["bn_std_inv"] = (d["bn_hat"] * v["bn_diff"]).sum(axis=0, keepdims=True)
d["bn_diff"] = d["bn_hat"] * v["bn_std_inv"]                           # first use of bn_diff
d["bn_var"] = d["bn_std_inv"] * -0.5 * (v["bn_var"] + EPS) ** -1.5
d["bn_diff2"] = np.ones_like(v["bn_diff2"]) * d["bn_var"] / N          # a mean: 1/N to each
d["bn_diff"] += 2 * v["bn_diff"] * d["bn_diff2"]                       # second use: add
d["bn_mean"] = -d["bn_diff"].sum(axis=0, keepdims=True)
d["bn_in"] = d["bn_diff"] + np.ones_like(v["bn_in"]) * d["bn_mean"] / N   # both uses of bn_in
dbn_in_closed = gamma_ * v["bn_std_inv"] / N * (
    N * d["hpre"] - d["hpre"].sum(axis=0) - v["bn_hat"] * (d["hpre"] * v["bn_hat"]).sum(axis=0))
difference = np.abs(d["bn_in"] - dbn_in_closed).max()
check("lesson 5's closed form gives the step-by-step dbn_in to 1e-15", difference < 1e-15,
      f"max |diff| {difference:.1e}")
print(f"dbn_mean is the mean path; its largest entry: {np.abs(d['bn_mean']).max():.2e}")

# %% [markdown]
# ## 6. The first Linear layer
# bn_in = x @ W1.T + b1, as in section 4: dW1 = dbn_in.T @ x and db1 = dbn_in summed over the
# batch. (The pixels x are data, not parameters: no gradient needed for them.)

# %%
section("6. The first Linear layer")
d["W1"] = d["bn_in"].T @ x
d["b1"] = d["bn_in"].sum(axis=0)
print(f"dW1 {d['W1'].shape}, db1 {d['b1'].shape}; largest |db1| = {np.abs(d['b1']).max():.1e}")
check("db1 is zero up to rounding (1e-15): a question at the end asks why",
      np.abs(d["b1"]).max() < 1e-15)

# %% [markdown]
# ## 7. Every gradient against autograd
# The table compares each hand-written gradient with the one autograd stored in that tensor's
# .grad: "exact" when every bit agrees, else the largest absolute difference. Exact agreement
# happens when the NumPy line does the same arithmetic in the same order as the engine's
# derivative table; otherwise the two differ by rounding, a few units of 1e-16 times the values.
# Anything larger is a mistake. The two closed forms (sections 3 and 5) get a row each too: the
# same gradient, computed in another order. (makemore's "backprop ninja" lecture checks its
# work with the same kind of table.)

# %%
section("7. Every gradient against autograd")
tensors = dict(fwd, W1=W1, b1=b1, gamma=gamma, beta=beta, W2=W2, b2=b2)
order = ["logprobs", "log_norm", "counts_sum", "counts", "shifted", "logits", "h", "W2", "b2",
         "hpre", "gamma", "beta", "bn_hat", "bn_std_inv", "bn_var", "bn_diff2", "bn_diff",
         "bn_mean", "bn_in", "W1", "b1"]
comparisons = [(f"d{name}", d[name], tensors[name].grad.data) for name in order]
comparisons.insert(order.index("logits") + 1,
                   ("dlogits, closed form", dlogits_closed, fwd["logits"].grad.data))
comparisons.insert(order.index("bn_in") + 2,
                   ("dbn_in, closed form", dbn_in_closed, fwd["bn_in"].grad.data))
rows = []
print(f"  {'gradient':21s} {'shape':9s} {'exact':6s} {'max |diff|':>10s} {'max |grad|':>10s}")
for label, ours, autograd in comparisons:
    exact = ours.shape == autograd.shape and np.array_equal(ours, autograd)
    diff = float(np.abs(ours - autograd).max())
    rows.append((label, ours.shape == autograd.shape, exact, diff, float(np.abs(autograd).max())))
    print(f"  {label:21s} {str(ours.shape):9s} {str(exact):6s} {diff:10.1e} {rows[-1][4]:10.1e}")
check(f"all {len(rows)} hand-written gradients have autograd's shapes", all(r[1] for r in rows))
check("and each agrees with autograd to 1e-15 times its size (or 1e-16 if it is ~0)",
      all(r[3] <= 1e-15 * max(r[4], 0.1) for r in rows),
      f"{sum(r[2] for r in rows)} of {len(rows)} bit for bit")
steps_exact = sum(r[2] for r in rows if "closed" not in r[0])
print(f"{steps_exact} of {len(order)} step-by-step lines agree bit for bit; the closed forms "
      f"differ from autograd by {rows[order.index('logits') + 1][3]:.0e} and "
      f"{rows[order.index('bn_in') + 2][3]:.0e}: rounding, in a different order of operations")


def torch_agrees(torch):
    """The same network in PyTorch (float64): its gradients against ours."""
    t = {name: torch.tensor(p.data, requires_grad=True) for name, p in
         (("W1", W1), ("b1", b1), ("gamma", gamma), ("beta", beta), ("W2", W2), ("b2", b2))}
    z = torch.nn.functional.linear(torch.tensor(x), t["W1"], t["b1"])
    z = torch.nn.functional.batch_norm(z, None, None, t["gamma"], t["beta"], training=True,
                                       eps=EPS)
    out = torch.nn.functional.linear(torch.tanh(z), t["W2"], t["b2"])
    torch.nn.functional.cross_entropy(out, torch.tensor(y)).backward()
    worst = max(float(np.abs(t[k].grad.numpy() - d[k]).max()) for k in t)
    return worst < 1e-14, f"max |diff| {worst:.1e}"


check_pytorch("PyTorch's autograd on the same network gives our six parameter gradients "
              "to 1e-14", torch, torch_agrees)

fig, ax = plt.subplots(figsize=(8, 6.5))
floor = 1e-20                                       # where "exact" (a difference of 0) is drawn
positions = np.arange(len(rows))[::-1]
for pos, (label, _, exact, diff, size) in zip(positions, rows):
    ax.hlines(pos, floor / 3, max(diff, floor), color="0.85", lw=1)
    ax.plot(max(diff, floor), pos, "o", color="tab:green" if exact else "tab:orange", ms=7)
    ax.plot(size * np.finfo(float).eps, pos, "|", color="k", ms=11)
ax.plot([], [], "o", color="tab:green", label="exact: the same bits as autograd")
ax.plot([], [], "o", color="tab:orange", label="not exact: rounding")
ax.plot([], [], "|", color="k", ms=11, label="float64's rounding step at the gradient's size")
ax.set_yticks(positions, [r[0] for r in rows])
ax.set(xscale="log", xlim=(floor / 3, 1e-11), xlabel="max |hand-written - autograd|",
       title="Backprop by hand: every intermediate's gradient against autograd")
ax.set_xticks([floor, 1e-18, 1e-16, 1e-14, 1e-12],
              ["0 (exact)", "$10^{-18}$", "$10^{-16}$", "$10^{-14}$", "$10^{-12}$"])
ax.legend(loc="upper right", fontsize=8)
save_plot(fig, "comparison")

# %% [markdown]
# ## 8. One SGD step, by hand
# With the gradients known, plain SGD is one line per parameter: p <- p - lr * dp. optim.SGD
# does exactly that with autograd's gradients (no momentum here); the two must give the same
# parameters, and the loss on this batch must go down.

# %%
section("8. One SGD step, by hand and with optim.SGD")
lr = 0.1
params = {"W1": W1, "b1": b1, "gamma": gamma, "beta": beta, "W2": W2, "b2": b2}
by_hand = {name: p.data - lr * d[name] for name, p in params.items()}
optim.SGD(list(params.values()), lr=lr).step()          # uses the .grad autograd filled
worst = max(float(np.abs(p.data - by_hand[name]).max()) for name, p in params.items())
same_bits = sum(np.array_equal(p.data, by_hand[name]) for name, p in params.items())
print(f"largest difference after the step: {worst:.1e} ({same_bits} of 6 parameters bit for bit)")
check("the hand-written SGD step gives optim.SGD's parameters to 1e-16", worst < 1e-16)
with mg.no_grad():
    loss_after = F.cross_entropy(net(X), y).item()
print(f"loss on the batch: {loss.item():.4f} before, {loss_after:.4f} after the step")
check("the step lowers the loss on the batch it was computed on", loss_after < loss.item())

# %% [markdown]
# ## 9. BatchNorm's backward in the backward player
# The player (minigrad.draw.save_backward_steps) replays what backward() does, node by node,
# over a drawing of the graph: which operation runs, what it sends to each input, where two
# gradients meet and are added. Here it walks BatchNorm alone: a fresh leaf bn_in holding the
# same values, the same forward (batchnorm_steps), and as the gradient arriving at hpre the
# dhpre we computed by hand. Open bn_backward_walk.html in a browser and step through it next
# to section 5: each step is one of our lines. Step 10 is the subtraction bn_diff = bn_in -
# bn_mean, where the two contributions to dbn_diff have arrived and been added. In the full
# run the same frames are also saved as slides, bn_walk_frames/bn_walk_001.png, ... (frame 11
# shows that step 10). The player's last step is bn_in's gradient: ours.

# %%
section("9. BatchNorm's backward in the backward player")
leaves = {"bn_in": mg.tensor(v["bn_in"], requires_grad=True, name="bn_in"),
          "gamma": mg.tensor(gamma_, requires_grad=True, name="gamma"),
          "beta": mg.tensor(beta_, requires_grad=True, name="beta")}
walk = batchnorm_steps(leaves["bn_in"], leaves["gamma"], leaves["beta"])
names = {name: walk[name] for name in walk if name != "bn_in"}
steps = list(backward_steps(walk["hpre"], d["hpre"], names=names))
for step in steps:                                  # each caption in full, wrapped
    print(textwrap.fill(step.caption, 98, initial_indent=f"  {step.number:2d}. ",
                        subsequent_indent=" " * 6))
at_leaves = {step.leaf.name: step.leaf_grad for step in steps if step.is_leaf}
worst = max(float(np.abs(at_leaves[k] - d[k]).max()) for k in ("bn_in", "gamma", "beta"))
check("the player's walk ends with our dbn_in, dgamma and dbeta (to 1e-15)", worst < 1e-15,
      f"max |diff| {worst:.1e}")
check("step 10 is the subtraction bn_diff = bn_in - bn_mean, where bn_diff's two gradients "
      "are added", steps[9].label.startswith("sub") and len(steps[9].arrivals[0]) == 2)
save_player(walk["hpre"], "bn_backward_walk", gradient=d["hpre"], names=names,
            title="BatchNorm1d's backward, one operation at a time")
if args.fast:
    print("(--fast: the slide frames bn_walk_frames/*.png are skipped)")
else:
    frames_dir = args.out / "bn_walk_frames"
    frames_dir.mkdir(exist_ok=True)
    player = save_backward_steps(walk["hpre"], frames_dir / "bn_walk.png", gradient=d["hpre"],
                                 names=names, title="BatchNorm1d's backward")
    print(f"saved {len(player.files)} slide frames: {player.files[0].name} ... "
          f"{player.files[-1].name} in {frames_dir}")
    check("slide bn_walk_011.png shows step 10 (slide 1 is the graph before the walk)",
          player.files[10].name == "bn_walk_011.png"
          and player.frames[10]["heading"].startswith("step 10 "))

# %% [markdown]
# ## Summary
# * A backward pass is the forward read in reverse: one line per forward line, each gradient
#   the upstream gradient times a local derivative, summed over broadcast axes and over the
#   places a value is used.
# * Shapes are a free test: a gradient always has its variable's shape.
# * Keep the intermediates, compare each with autograd: a mistake then shows at the first line
#   where it happens, not at the end.

# %%
print("\nNext: lesson 16 puts normalization where it is used, in residual nets and transformers.")

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **The whole network's backward, by hand** (about 30 min). Write the backward pass of this
#    lesson's network, layer by layer, from its saved forward values: dlogits, dW2, db2, dh,
#    dhpre, dgamma, dbeta, dbn_in, dW1, db1, each graded against autograd on its own.
#    File: tutorials/exercises/network_backward.py. Grade it:
#        minigrad check tutorials/exercises/network_backward.py --exercise network_backward
#    Worked solution: tutorials/solutions/network_backward.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. Every row of dlogits sums to zero. Why? What does it say about adding the same number to
#    all ten logits of an example?
# 2. BatchNorm's dbn_in sums to zero over the batch, for every feature. Why, and what does that
#    mean for db1 and for the bias b1 during training?
# Worked answers, each checked in code: tutorials/answers/15_backprop_by_hand.py (run it with python).
