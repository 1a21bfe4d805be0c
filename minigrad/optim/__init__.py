"""Optimizers (SGD, Adam, AdamW, RMSprop) and learning-rate schedulers
(optim.lr_scheduler: StepLR, CosineAnnealingLR), as in PyTorch."""
from minigrad.optim import lr_scheduler
from minigrad.optim.optimizers import SGD, Adam, AdamW, Optimizer, RMSprop

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
