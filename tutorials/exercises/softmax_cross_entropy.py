"""Exercise (lesson 3): the gradient of softmax cross-entropy, (softmax - onehot) / N.

Lesson 3's network ends with F.cross_entropy(logits, labels): for logits z of shape (N, C)
and integer labels y of shape (N,),

    p     = softmax(z) row by row:  p_ic = exp(z_ic) / sum_k exp(z_ik)
    loss  = (1/N) sum_i -log p_{i, y_i}          the MEAN over the batch

Your task: write softmax_cross_entropy(logits, labels) -> (loss, dlogits): the loss (a float)
and its gradient with respect to the logits, of shape (N, C). Derive dlogits on paper first:
for one row, d(-log p_y)/dz_c = p_c - [c == y]; the mean over the batch divides by N.
  1. Compute p stably: subtract each row's max from the logits first (softmax does not change,
     and exp never overflows; the grader tries logits near 1000).
  2. loss = mean of -log p[i, labels[i]] (log of a softmax: z - max - log(sum exp(z - max))
     is safer than log(p)).
  3. dlogits = (p - onehot(labels)) / N.
Common slips: a forgotten / N (the grader says "an extra factor N"); a sign; the sum over the
batch instead of the mean; exp of large logits (NaN).

Grade it (exit status 0 when every part is right), about 15 minutes:

    minigrad check tutorials/exercises/softmax_cross_entropy.py --exercise softmax_cross_entropy

It compares with minigrad's F.cross_entropy and its autograd on three seeded batches.
A worked solution is in tutorials/solutions/softmax_cross_entropy.py: open it after you have
tried.
"""
import numpy as np


def softmax_cross_entropy(logits, labels):
    """(loss, dlogits) of the mean cross-entropy; logits (N, C), labels (N,) integers."""
    raise NotImplementedError(
        "return (loss, dlogits): the mean cross-entropy of softmax(logits) and its gradient "
        "(softmax - onehot(labels)) / N, of shape (N, C); subtract each row's max first")
