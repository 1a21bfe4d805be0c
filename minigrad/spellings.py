"""PyTorch's spellings of NumPy's keyword arguments, accepted in one place.

Students move between NumPy (`x.sum(axis=1, keepdims=True)`) and PyTorch
(`x.sum(dim=1, keepdim=True)`). Every minigrad function is written with NumPy's
names; `@numpy_or_torch_names` lets it be called with PyTorch's too:

    dim=       -> axis=        keepdim=    -> keepdims=       correction= -> ddof=
    dims=      -> axis=        (flip and roll take several: torch.flip(x, dims=(0, 1)))

Giving both spellings of one argument is a TypeError, as a repeated keyword is.
"""
from __future__ import annotations

import functools
import inspect

TORCH_TO_NUMPY = {"dim": "axis", "dims": "axis", "keepdim": "keepdims", "correction": "ddof"}


def numpy_or_torch_names(fn):
    """Decorate fn (written with axis=/keepdims=/ddof=) to accept dim=/keepdim=/correction=."""
    parameters = inspect.signature(fn).parameters
    positional = [p for p, v in parameters.items()
                  if v.kind in (v.POSITIONAL_ONLY, v.POSITIONAL_OR_KEYWORD)]
    # where each NumPy name sits among the positional parameters, to see if a call gave it
    # there (a keyword-only one can only come as a keyword)
    positions = {name: positional.index(name) if name in positional else float("inf")
                 for name in TORCH_TO_NUMPY.values() if name in parameters}
    if not positions:
        raise TypeError(f"numpy_or_torch_names: {fn.__qualname__} takes none of "
                        f"{sorted(TORCH_TO_NUMPY.values())}")
    name = fn.__name__

    @functools.wraps(fn)
    def accepting_both(*args, **kwargs):
        if not kwargs or kwargs.keys().isdisjoint(TORCH_TO_NUMPY):
            return fn(*args, **kwargs)          # the usual case: nothing to rename
        for torch_name, numpy_name in TORCH_TO_NUMPY.items():
            if torch_name not in kwargs or numpy_name not in positions:
                continue
            if numpy_name in kwargs or len(args) > positions[numpy_name]:
                raise TypeError(f"{name}: got both {numpy_name}= and {torch_name}= (the same "
                                f"argument in NumPy's and PyTorch's spelling); give one")
            kwargs[numpy_name] = kwargs.pop(torch_name)
        return fn(*args, **kwargs)

    spellings = ", ".join(f"{t}= for {n}=" for t, n in TORCH_TO_NUMPY.items()
                          if n in positions and t != "dims")       # (dims=: flip and roll only)
    note = f"Also takes PyTorch's spellings: {spellings}."
    accepting_both.__doc__ = f"{fn.__doc__.rstrip()}\n\n    {note}" if fn.__doc__ else note
    return accepting_both
