"""Lesson 11: the seeds' 31 mistakes, an index: what each said, what is right, where it is shown.

The project started from five Chinese blog posts about normalization layers (the "seeds", not
shipped with minigrad): 000 BatchNorm & LayerNorm, 001 an overview, 002 BN vs LN, 003 a NumPy
BatchNorm, 004 BN/LN formulas and an LN backward. They explain well and contain 31 real mistakes,
E1-E31 (wrong formulas, code that crashes or silently computes something else, conventions mixed
up, claims stronger than the papers). Each is taught in the lesson whose idea it gets wrong:
quoted, translated, corrected, and run where it is numeric, every PyTorch claim checked against
PyTorch when it is installed.

What you will learn
  * where to find each mistake: one line per code, what the seed said and what is right, and the
    lesson and section that show it; this page checks that each code really is there, and which
    ones that section demonstrates numerically;
  * a habit: a formula from a blog post is a hypothesis; run it against a reference (a library,
    autograd, finite differences) before you trust it, and choose the tolerance with care.

Time: about 15 minutes to read and run, plus about 15 for the exercise.
Assumes: the lessons it points to (3-10, 17): read it after them, as a map of the seeds' mistakes.
Ends with: exercise seed_running_variance (exercises/seed_running_variance.py), graded by
  `minigrad check`; then 2 questions, worked answers in answers/11_seed_misconceptions.py.

Run it:  python tutorials/11_seed_misconceptions.py --out DIR
Figure:  mistakes_by_lesson.png (which lesson corrects which mistake, run or in words).
"""
# %%
import re
from pathlib import Path

import numpy as np
import matplotlib.pyplot as plt

import _lesson
from _lesson import setup, section, check, save_plot

args = setup()
COURSE = Path(_lesson.__file__).resolve().parent      # the lessons sit beside their helper

# %% [markdown]
# ## 1. The index
# One line per mistake: code, seed, where it is shown (lesson:section), what the seed said, and
# what is right. E14 has two halves, so two places.

# %%
section("1. The 31 mistakes and where each is corrected")
INDEX = """\
E1  000 4:9,17:3   LayerNorm cures internal covariate shift | ICS was BN's motivation; Santurkar et al. found a smoother landscape
E2  000 7:5        NHWC data, statistics over dims (0, 2, 3) | those are NCHW's axes; NHWC needs (0, 1, 2)
E3  000 4:9        running = 0.1 * running + 0.9 * batch | PyTorch: 0.9 * running + 0.1 * batch
E4  000 4:9        running_var from the biased variance | it stores the unbiased one, times m/(m-1)
E5  000 4:9        eval subtracts a (C,) mean from (N, C, H, W) | it broadcasts along W; needs (1, C, 1, 1)
E6  000 4:9        buffer reassigned from a graph expression | history grows every step; update in place
E7  000 6:6        LayerNorm's gamma, beta shaped (N,) | they follow normalized_shape, e.g. (D,)
E8  000 6:6        LayerNorm keeps running statistics | it has none; train equals eval
E9  000 7:5        LayerNorm in NLP is like InstanceNorm | only if (N, S, D) is read as (N, C=S, L=D)
E10 001 8:8        std = weight.std(dim=(1,2,3) + 1e-5 | does not parse; intent: unbiased, eps outside
E11 001 8:8        WS (and GN+WS) for RNN, LSTM, GRU | the sources treat conv layers only
E12 001 10:7       GN+WS always beats BN | matches or beats; here it matches BN at batch 32
E13 001 6:6        LayerNorm normalises each feature | each sample, across its features
E14 001 8:8,10:7   authors' names; GN beats LN in practice | Salimans, Ba, Qiao; a CNN finding, not a rule
E15 002 4:9        BN makes data Gaussian | it fixes two moments; skewed data stays skewed
E16 002 4:9        output variance is gamma | it is gamma^2
E17 002 4:9        gamma = sigma, beta = mu undo BN | sqrt(var + eps), and only in eval mode
E18 002 4:9,17:3   BN solves ICS, then it does not ("ISC") | a contradiction and a typo; see E1
E19 002 3:6        IID data cannot overfit | 20 IID digits are memorised, the test set is not
E20 002 6:6        LN: C = sequence, one statistic per sentence | per token: N*S statistics
E21 002 7:5        BN on text acts per word position | one statistic per feature over (N, S)
E22 003 4:9        running mean takes 1 - momentum of the batch | inverted against PyTorch
E23 003 4:9        running variance from np.var (ddof 0) | the unbiased variance
E24 003 4:9        MyBN agrees with PyTorch | only to 1e-3, running statistics not at all
E25 003 4:9        PyTorch does not init gamma, beta to 1, 0 | it does, since PR #12325 (2018)
E26 003 4:9        "identity transform": BN reproduces its input | it CAN represent the identity
E27 004 4:9        momentum near 1 weighs the old value | Keras' convention; PyTorch's is 1 minus it
E28 004 4:9        running variance may start at 0 | it starts at 1; 0 makes eval 316x too large
E29 004 4:9        running variance averages biased variances | converges to (m-1)/m of the truth
E30 004 4:9        gamma, beta shaped like the data | one per feature or channel
E31 004 6:3        LN backward: dvar = 1/2 sum dx_hat (x - mu) / s | -1/2 sum dx_hat (x - mu) / s^3
"""
LESSONS = {int(p.name[:2]): p for p in COURSE.glob("[0-9][0-9]_*.py")}
CHECKED = re.compile(r'check(?:_pytorch)?\(\s*f?"(E\d+(?:, E\d+)*):')


def section_text(lesson, number):
    """The text of section `number` of a lesson: from its '# ## N.' heading to the next one."""
    text = LESSONS[lesson].read_text(encoding="utf-8")
    start = text.index(f"# ## {number}. ")
    end = text.find("\n# ## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


rows, numeric, missing = [], set(), []
for line in INDEX.splitlines():
    code, seed, places, said_right = line.split(maxsplit=3)
    said, right = said_right.split(" | ")
    for place in places.split(","):
        lesson, number = place.split(":")
        text = section_text(int(lesson), number)
        missing += [] if re.search(rf"\b{code}\b", text) else [f"{code} in {place}"]
        run_there = any(code in found.split(", ") for found in CHECKED.findall(text))
        numeric |= {code} if run_there else set()
        rows.append((code, int(lesson), run_there))
    print(f"  {code:4s} seed {seed}  lesson {places:9s} {said}\n{'':20s}-> {right}")
check("each code is in the lesson and section the index gives (read from the lesson files)",
      not missing, ", ".join(missing) or f"{len(rows)} places in {len(LESSONS)} lesson files")
codes = sorted({r[0] for r in rows}, key=lambda c: int(c[1:]))
check("the index holds every code from E1 to E31, once", codes == [f"E{k}" for k in range(1, 32)]
      and len(INDEX.splitlines()) == 31)
words_only = [c for c in codes if c not in numeric]
print(f"\n{len(numeric)} of 31 are run and checked where they are taught; in words only: "
      f"{', '.join(words_only)} (a claim about the literature and names).")
check("every mistake except the one about the literature and names is run numerically; the "
      "mechanism ones, E1 and E18, by lesson 17's experiment", words_only == ["E11"])

# %% [markdown]
# ## 2. The map
# The same index as a picture: which lesson corrects which mistake, a filled dot where the
# lesson runs it and asserts the correction, an open one where it is stated in words.

# %%
section("2. Which lesson corrects which mistake")
lessons = sorted({r[1] for r in rows})
fig, ax = plt.subplots(figsize=(11, 3.2))
for code, lesson, run_there in rows:
    ax.plot(int(code[1:]), lessons.index(lesson), "o", ms=9, color="tab:blue",
            markerfacecolor="tab:blue" if run_there else "white")
ax.set_yticks(range(len(lessons)), [f"lesson {k}" for k in lessons])
ax.set_xticks(range(1, 32), [f"E{k}" for k in range(1, 32)], rotation=90, fontsize=8)
ax.set_xlim(0.3, 31.7)
ax.invert_yaxis()
ax.grid(alpha=0.3)
ax.set_title("The seeds' 31 mistakes, and the lesson that corrects each "
             "(filled: run and checked; open: in words)")
save_plot(fig, "mistakes_by_lesson")
print("\nNext: lesson 12 differentiates through a normalization layer twice.")

# %% [markdown]
# ## Your turn
# Graded exercises: edit the file, run the command (exit status 0 when all is right; the
# report names what is wrong and how). Open the worked solution only after you have tried.
# 1. **Reproduce and fix E29, the running variance of biased variances** (about 15 min). E29
#    (lesson 4): a running variance updated with biased batch variances converges to (m - 1)/m
#    of the truth. Reproduce it on 2000 seeded batches, derive the factor, and fix the update.
#    File: tutorials/exercises/seed_running_variance.py. Grade it:
#        minigrad check tutorials/exercises/seed_running_variance.py --exercise seed_running_variance
#    Worked solution: tutorials/solutions/seed_running_variance.py.

# %% [markdown]
# ## Questions
# Try them before you look at the worked answers.
# 1. Seed 003 checked its BatchNorm against PyTorch and saw agreement, with eps = 1e-3 against
#    PyTorch's 1e-5 (E24). How large is the output difference that eps makes, for a feature of
#    variance v, and which tolerance would have caught it?
# 2. The momentum mistakes (E3, E22, E27) weigh a new batch 0.9 instead of 0.1. Starting from 0,
#    with every batch mean equal to mu, after how many batches is PyTorch's running mean within
#    1 % of mu, and the seed's? What does that say about the seed's "running" estimate?
# Worked answers, each checked in code: tutorials/answers/11_seed_misconceptions.py (run it with python).
