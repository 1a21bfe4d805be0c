"""Lesson 3: a first network, trained on real handwritten digits with minigrad.nn and minigrad.optim.

What you will learn
  * the digits dataset that ships with minigrad: 1,797 scans of 0-9 at 8x8 pixels;
  * how a network is a Module holding Parameters, and what `net.parameters()` hands the optimizer;
  * the five lines of a training step: forward, loss, zero_grad, backward, step;
  * why the first loss of a 10-class classifier is about ln(10) = 2.30;
  * how to measure what it learned on examples it never saw (the test set);
  * a seed's mistake corrected (E19): IID data can still be overfitted, shown on 20 digits.

Time: about 30 minutes to read and run, plus about 15 for the exercise.
Assumes: lessons 1-2 (the backward walk; gradients of broadcast operations).
Ends with: exercise softmax_cross_entropy (exercises/softmax_cross_entropy.py), graded by
  `minigrad check`; then 2 questions, worked answers in answers/03_first_network.py.

Run it:  python tutorials/03_first_network.py --out DIR   (add --fast for a 2-second version)
Figures: digits.png (the data), loss_curve.png (training), mistakes.png (what it gets wrong).
"""
# %%
import math
import time

import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.datasets import load_digits, train_test_split

from _lesson import setup, section, check, check_pytorch, save_plot, seed_mistake

try:                        # PyTorch is optional: section 2 checks its state_dict keys against it
    import torch
except ImportError:
    torch = None

args = setup()
EPOCHS = 3 if args.fast else 15
BATCH = 32

# %% [markdown]
# ## 1. The data
# Each image is 8x8 grey levels (originally counts 0..16, scaled to [0, 1]); the label is the
# digit. We keep a quarter of the images aside as a test set: the network never trains on them,
# so its accuracy there estimates how it does on new handwriting.

# %%
section("1. The data")
images, labels = load_digits()
(x_train, y_train), (x_test, y_test) = train_test_split(images, labels, test_fraction=0.25, seed=0)
print(f"images {images.shape} in [{images.min()}, {images.max()}], labels {labels.shape}")
print(f"train: {len(x_train)} images, test: {len(x_test)} images")
print("examples per digit (train):", np.bincount(y_train).tolist())
check("the train and test sets together are the whole dataset",
      len(x_train) + len(x_test) == len(images))

fig, axes = plt.subplots(3, 10, figsize=(10, 3.5), layout="constrained")   # room for the title
for digit in range(10):
    for row, index in enumerate(np.flatnonzero(y_train == digit)[:3]):
        axes[row, digit].imshow(x_train[index], cmap="gray_r", vmin=0, vmax=1)
        axes[row, digit].set_axis_off()
    axes[0, digit].set_title(str(digit))
fig.suptitle("The 8x8 digits: three training examples of each class")
save_plot(fig, "digits")

# %% [markdown]
# ## 2. The model
# A multilayer perceptron: flatten the 8x8 image into 64 numbers, a Linear layer to 64 hidden
# units, ReLU, and a Linear layer to 10 scores ("logits"), one per digit. `nn.Sequential`
# registers its children, each Linear registers a `weight` and a `bias` Parameter, and
# `named_parameters()` walks the tree: those tensors are what the optimizer will change.
# Sequential names its children "0", "1", "2", "3" (Flatten and ReLU have no parameters), so the
# names read "1.weight", the weight of child 1 - the same keys a PyTorch state_dict would use.

# %%
section("2. The model")
mg.manual_seed(0)                                   # the initial weights are drawn from this seed
net = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
n_params = 0
for name, p in net.named_parameters():
    print(f"  {name:10s} shape {str(p.shape):9s} requires_grad={p.requires_grad}")
    n_params += p.size
print(f"{n_params} trainable numbers in total (64*64 + 64 + 64*10 + 10)")
check("the parameter count is 64*64 + 64 + 64*10 + 10", n_params == 64 * 64 + 64 + 64 * 10 + 10)
check_pytorch("the same Sequential in PyTorch has the same state_dict keys, in the same order",
              torch, lambda torch: list(torch.nn.Sequential(
                  torch.nn.Flatten(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
                  torch.nn.Linear(64, 10)).state_dict()) == list(net.state_dict()))

# %% [markdown]
# ## 3. One training step, slowly
# With random weights the 10 logits are nearly equal, so softmax gives each class about 1/10
# and the cross-entropy -log p(correct class) starts near -log(1/10) = ln 10 = 2.30.
# `backward()` fills `p.grad` for every parameter (same shape as p), and `step()` moves each
# parameter a little against its gradient. On the same batch, the loss should then be lower.

# %%
section("3. One training step, slowly")
x_batch, y_batch = x_train[:BATCH], y_train[:BATCH]
# momentum=0.9: each step moves along a running sum of past gradients (velocity <- 0.9 *
# velocity + grad; p <- p - lr * velocity), which smooths the noise of single batches. (Lesson 4
# meets another "momentum", BatchNorm's rate for its running statistics: a different thing.)
optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

logits = net(x_batch)                               # forward: (32, 8, 8) -> (32, 10)
loss = F.cross_entropy(logits, y_batch)             # mean of -log softmax(logits)[label]
print(f"logits {logits.shape}; loss at initialisation {loss.item():.4f} (ln 10 = {math.log(10):.4f})")
check("the initial loss is close to ln(10): the untrained net guesses uniformly",
      abs(loss.item() - math.log(10)) < 0.3)
optimizer.zero_grad()                               # gradients accumulate, so clear them first
loss.backward()                                     # reverse mode: d loss / d every parameter
for name, p in net.named_parameters():
    print(f"  {name:10s} grad shape {str(p.grad.shape):9s} norm of the gradient {np.linalg.norm(p.grad.data):.4f}")
check("every parameter received a gradient of its own shape",
      all(p.grad is not None and p.grad.shape == p.shape for p in net.parameters()))
optimizer.step()                                    # p <- p - lr * (momentum-smoothed) grad
with mg.no_grad():                                  # evaluation only: record no graph
    loss_after = F.cross_entropy(net(x_batch), y_batch).item()
print(f"loss on the same batch after one step: {loss_after:.4f}")
check("one SGD step lowers the loss on the batch it was computed on", loss_after < loss.item())

# %% [markdown]
# ## 4. Training
# The same five lines in a loop: each epoch visits the training images once, in a new random
# order, in mini-batches of 32. After each epoch we measure accuracy on the train and test sets
# (under `no_grad`, since nothing will be differentiated).

# %%
section("4. Training")


def accuracy(x, y):
    with mg.no_grad():
        return float((net(x).data.argmax(axis=1) == y).mean())


order_rng = np.random.default_rng(0)
step_losses, epoch_rows = [], []
start = time.perf_counter()
for epoch in range(1, EPOCHS + 1):
    order = order_rng.permutation(len(x_train))
    epoch_losses = []
    for i in range(0, len(order), BATCH):
        batch = order[i:i + BATCH]
        loss = F.cross_entropy(net(x_train[batch]), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        epoch_losses.append(loss.item())
    step_losses += epoch_losses
    row = (epoch, np.mean(epoch_losses), accuracy(x_train, y_train), accuracy(x_test, y_test))
    epoch_rows.append(row)
    print(f"epoch {row[0]:2d}  mean loss {row[1]:.4f}  train acc {row[2]:6.1%}  test acc {row[3]:6.1%}")
print(f"{len(step_losses)} steps in {time.perf_counter() - start:.1f} s")

# %% [markdown]
# ## 5. What it learned
# Training accuracy measures memorisation as much as learning; the test accuracy, on
# handwriting from the same 13 writers but unseen images, is the honest number. Chance is 10%.

# %%
section("5. What it learned")
final_train, final_test = epoch_rows[-1][2], epoch_rows[-1][3]
print(f"final train accuracy {final_train:.1%}, test accuracy {final_test:.1%} (chance: 10%)")
check("the test accuracy is far above chance (over 85%)", final_test > 0.85)
check("the mean training loss fell from the first epoch to the last",
      epoch_rows[-1][1] < epoch_rows[0][1])

fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
ax_loss.plot(step_losses, color="tab:blue", alpha=0.35, lw=0.8, label="loss of each mini-batch")
steps_per_epoch = len(step_losses) // EPOCHS
ax_loss.plot([r[0] * steps_per_epoch for r in epoch_rows], [r[1] for r in epoch_rows], "o-",
             color="tab:blue", label="mean over the epoch")
ax_loss.axhline(math.log(10), color="gray", ls=":", label="ln 10 (uniform guess)")
ax_loss.set(yscale="log", xlabel="step", ylabel="cross-entropy", title="training loss")
ax_loss.legend(loc="lower left")
ax_acc.plot([r[0] for r in epoch_rows], [r[2] for r in epoch_rows], "o-", label="train")
ax_acc.plot([r[0] for r in epoch_rows], [r[3] for r in epoch_rows], "s-", label="test")
ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0.8, 1.0))
ax_acc.legend()
save_plot(fig, "loss_curve")

with mg.no_grad():
    predicted = net(x_test).data.argmax(axis=1)
wrong = np.flatnonzero(predicted != y_test)
print(f"{len(wrong)} of {len(y_test)} test images are misclassified; mistakes.png shows the first 8")
fig, axes = plt.subplots(1, 8, figsize=(10, 1.9))
for ax, index in zip(axes, wrong[:8]):
    ax.imshow(x_test[index], cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"{y_test[index]} read as {predicted[index]}", fontsize=9)
for ax in axes:
    ax.set_axis_off()
fig.suptitle("Test images the network gets wrong (true label, prediction)")
save_plot(fig, "mistakes")

# %% [markdown]
# ## 6. The seeds' mistakes about data and overfitting
# The project started from five blog posts about normalization (the "seeds"); lesson 11 indexes
# their 31 mistakes and where each is corrected. One belongs here. The test split above is IID
# by construction (a random quarter of one collection), and still train and test accuracy can
# differ: IID data says how the test set relates to the training set, not that a flexible model
# cannot memorise too few examples. Below, the same network trains on 20 random training images.

# %%
section("6. The seeds' mistakes about data and overfitting")
seed_mistake("E19", "002", "独立同分布的数据 … 不会出现像过拟合等问题",
             "independent, identically distributed data does not have problems like overfitting",
             "overfitting comes from fitting noise or quirks with too flexible a model for too "
             "little data; IID sampling does not prevent it")
mg.manual_seed(0)
small_net = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
small_opt = optim.SGD(small_net.parameters(), lr=0.1, momentum=0.9)
few = np.random.default_rng(19).choice(len(x_train), size=20, replace=False)   # 20 IID images
for step in range(150):
    small_loss = F.cross_entropy(small_net(x_train[few]), y_train[few])
    small_opt.zero_grad()
    small_loss.backward()
    small_opt.step()
with mg.no_grad():
    memorised = float((small_net(x_train[few]).data.argmax(axis=1) == y_train[few]).mean())
    unseen = float((small_net(x_test).data.argmax(axis=1) == y_test).mean())
print(f"20 IID training images: loss {small_loss.item():.4f}, train accuracy {memorised:.0%}, "
      f"test accuracy {unseen:.1%} (the full training set gave {final_test:.1%})")
check("E19: on IID data the network memorises its 20 training images (100 %)", memorised == 1.0)
check("E19: and does far worse on new images from the same distribution (20+ points below)",
      unseen < memorised - 0.2 and unseen < final_test)

# %%
print("\nNext: lesson 4 opens up BatchNorm, the layer that lesson 10 adds to this kind of network.")

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **The softmax cross-entropy gradient (softmax - onehot) / N** (about 15 min). Write the
#    mean softmax cross-entropy of a batch and its gradient (softmax - onehot) / N, stable for
#    logits near 1000.
#    File: tutorials/exercises/softmax_cross_entropy.py. Grade it:
#        minigrad check tutorials/exercises/softmax_cross_entropy.py --exercise softmax_cross_entropy
#    Worked solution: tutorials/solutions/softmax_cross_entropy.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. What is the gradient of the last Linear layer's bias, in terms of softmax(logits) and the
#    one-hot labels? What do its entries sum to?
# 2. An untrained network with small weights classifies into 26 classes. About what loss does it
#    start from, and what would a much larger first loss tell you?
# Worked answers, each checked in code: tutorials/answers/03_first_network.py (run it with python).
