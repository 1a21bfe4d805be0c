"""Every kind of module (minigrad.nn and layers, weight_norm included) survives
pickle and deepcopy: the copy computes exactly what the original computes, and
owns its parameters."""
import copy
import inspect
import pickle

import numpy as np
import pytest

import layers
import minigrad as mg
from minigrad import nn

rng = np.random.default_rng(0)
IMAGES = rng.standard_normal((2, 4, 5, 5))      # (N, C, H, W)
ROWS = rng.standard_normal((3, 4))              # (N, features)
SEQUENCE = rng.standard_normal((3, 2, 4))       # (L, N, embed) for attention
PROBS = 1 / (1 + np.exp(-ROWS))
CLASSES = np.array([0, 3, 1])

# class name -> (make the module, its inputs)
CASES = {
    "AvgPool2d": (lambda: nn.AvgPool2d(2, padding=1), (IMAGES,)),
    "BCELoss": (lambda: nn.BCELoss(), (PROBS, (PROBS > 0.5) * 1.0)),
    "BCEWithLogitsLoss": (lambda: nn.BCEWithLogitsLoss(), (ROWS, (ROWS > 0) * 1.0)),
    "Conv1d": (lambda: nn.Conv1d(4, 2, 3, padding=1), (IMAGES[:, :, 0],)),
    "Conv2d": (lambda: nn.Conv2d(4, 3, 3, padding=1), (IMAGES,)),
    "CrossEntropyLoss": (lambda: nn.CrossEntropyLoss(), (ROWS, CLASSES)),
    "Dropout": (lambda: nn.Dropout(0.5), (ROWS,)),
    "Embedding": (lambda: nn.Embedding(6, 3, padding_idx=0), (np.array([[0, 2], [5, 1]]),)),
    "Flatten": (lambda: nn.Flatten(), (IMAGES,)),
    "HuberLoss": (lambda: nn.HuberLoss(delta=0.5), (ROWS, ROWS[::-1])),
    "Linear": (lambda: nn.Linear(4, 3), (ROWS,)),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=1), (ROWS,)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2, stride=1), (IMAGES,)),
    "MSELoss": (lambda: nn.MSELoss(), (ROWS, ROWS[::-1])),
    "ModuleList": (lambda: nn.ModuleList([nn.Linear(4, 3)]), None),
    "MultiheadAttention": (lambda: nn.MultiheadAttention(4, 2), (SEQUENCE,) * 3),
    "NLLLoss": (lambda: nn.NLLLoss(), (ROWS, CLASSES)),
    "Sequential": (lambda: nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)), (ROWS,)),
    "SmoothL1Loss": (lambda: nn.SmoothL1Loss(beta=0.5), (ROWS, ROWS[::-1])),
    "Softmax": (lambda: nn.Softmax(dim=1), (ROWS,)),
    "BatchChannelNorm2d": (lambda: layers.BatchChannelNorm2d(4, 2), (IMAGES,)),
    "BatchNorm1d": (lambda: layers.BatchNorm1d(4), (ROWS,)),
    "BatchNorm2d": (lambda: layers.BatchNorm2d(4, backward="manual"), (IMAGES,)),
    "GroupNorm": (lambda: layers.GroupNorm(2, 4), (IMAGES,)),
    "InstanceNorm1d": (lambda: layers.InstanceNorm1d(4, affine=True), (IMAGES[:, :, 0],)),
    "InstanceNorm2d": (lambda: layers.InstanceNorm2d(4, track_running_stats=True), (IMAGES,)),
    "LayerNorm": (lambda: layers.LayerNorm(4), (ROWS,)),
    "RMSNorm": (lambda: layers.RMSNorm(4), (ROWS,)),
    "WSConv2d": (lambda: layers.WSConv2d(4, 3, 3), (IMAGES,)),
    "WSLinear": (lambda: layers.WSLinear(4, 3), (ROWS,)),
    "weight_norm(Linear)": (lambda: layers.weight_norm(nn.Linear(4, 3)), (ROWS,)),
    "weight_norm(Conv2d, dim=None, manual)": (
        lambda: layers.weight_norm(nn.Conv2d(4, 3, 3), dim=None, backward="manual"), (IMAGES,)),
}


def module_classes():
    """Every Module subclass minigrad.nn and layers export (Module itself aside)."""
    found = {}
    for package in (nn, layers):
        for name in dir(package):
            value = getattr(package, name)
            if inspect.isclass(value) and issubclass(value, nn.Module) and value is not nn.Module:
                found[name] = value
    return found


def simple_case(cls):
    """For a module without a line in CASES: the first of a few usual constructions
    (no arguments, 4 features, 4 -> 3 channels with kernel 3, kernel 2) that runs
    on rows, sequences or images. None when none does."""
    for args in ((), (4,), (4, 3), (4, 3, 3), (2,)):
        for inputs in ((ROWS,), (IMAGES[:, :, 0],), (IMAGES,)):
            try:
                run(cls(*args), inputs)
            except Exception:
                continue
            return lambda: cls(*args), inputs
    return None


def run(module, inputs):
    if inputs is None:                          # a container without forward
        return [run(m, (ROWS,)) for m in module]
    out = module(*[mg.Tensor(x) for x in inputs])
    return [o.data for o in out] if isinstance(out, tuple) else [out.data]


def test_every_module_kind_has_a_case():
    missing = [name for name, cls in module_classes().items()
               if name not in CASES and simple_case(cls) is None]
    assert not missing, f"add a line to CASES for {missing}: how to make one and its input"
    assert simple_case(nn.Conv2d) is not None and simple_case(nn.Linear) is not None


def all_cases():
    cases = dict(CASES)
    for name, cls in module_classes().items():
        if name not in cases and simple_case(cls) is not None:
            cases[name] = simple_case(cls)
    return cases


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
@pytest.mark.parametrize("case", sorted(all_cases()))
def test_a_copy_computes_the_same_and_owns_its_parameters(case, how):
    make, inputs = all_cases()[case]
    module = make()
    if case == "Dropout":
        module.eval()                           # the same output needs no random mask
    twin = pickle.loads(pickle.dumps(module)) if how == "pickle" else copy.deepcopy(module)
    assert type(twin) is type(module)
    for ours, theirs in zip(run(module, inputs), run(twin, inputs)):
        np.testing.assert_array_equal(ours, theirs)
    originals = dict(module.named_parameters())
    for name, p in twin.named_parameters():
        assert p is not originals[name] and p.data is not originals[name].data
    assert list(twin.state_dict()) == list(module.state_dict())
