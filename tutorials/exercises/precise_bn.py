"""Exercise (lesson 10): re-estimate BatchNorm's running statistics after training.

Lesson 10 trains with a micro-batch of 2: BatchNorm's running statistics, moved a little by
every tiny batch (momentum 0.1), end up a noisy estimate, and eval mode uses nothing else. A
cheap repair, used in practice ("precise BN"), leaves the weights alone and re-estimates the
statistics on many batches afterwards, as the plain average of their batch statistics:

    running_mean = (1/K) sum_k mean_k          running_var = (1/K) sum_k var_k (unbiased)

which is what layers.BatchNorm1d (and PyTorch) compute when momentum is None: the factor of
the k-th batch is then 1/k, a cumulative average.

Your task: write reestimate_bn(model, batches) for a minigrad model (an nn.Module, e.g. a
Sequential of Linear, BatchNorm1d and ReLU layers) and a list of input arrays:
  1. for every BatchNorm module in model.modules() (test with hasattr(m, "running_mean")):
     reset its running statistics (m.reset_running_stats()) and remember its momentum, then
     set m.momentum = None;
  2. run every batch through the model in training mode, without recording a graph (with
     mg.no_grad(): model(mg.Tensor(x)));
  3. put each momentum back and leave the model in eval mode; return the model.
The weights must not change, and no .grad may appear.
Common slips: forgetting the reset (the old, noisy statistics stay in the average); leaving
momentum at 0.1 (an exponential average dominated by the last batches); eval mode during the
passes (nothing is updated); a model left in training mode.

Grade it (exit status 0 when every part is right), about 20 minutes:

    minigrad check tutorials/exercises/precise_bn.py --exercise precise_bn

It builds a seeded network with two BatchNorm1d layers whose running statistics are garbage,
calls your function with 12 batches and compares both layers' statistics with an average
computed in NumPy, then the model's eval output, its momentum, its mode and its weights.
A worked solution is in tutorials/solutions/precise_bn.py: open it after you have tried.
"""
import minigrad as mg


def reestimate_bn(model, batches):
    """Re-estimate every BatchNorm's running statistics on `batches`; return the model."""
    raise NotImplementedError(
        "reset every BatchNorm's running statistics, set its momentum to None, run the batches "
        "in training mode under mg.no_grad(), restore the momentum and return the model in "
        "eval mode (steps 1-3)")
