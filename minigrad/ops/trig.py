"""Trigonometric and hyperbolic functions, NumPy's names (arcsin ...) with
PyTorch's aliases (asin ...). Each VJP is the textbook derivative, written
with minigrad operations so that it can be differentiated again."""
from __future__ import annotations

import numpy as np

from minigrad.ops.elementwise import sqrt
from minigrad.ops.primitive import primitive

# ----------------------------------------------------------------------------
# Trigonometric:  sin' = cos,  cos' = -sin,  tan' = 1 + tan^2
# ----------------------------------------------------------------------------

sin = primitive("sin", np.sin,
                lambda g, ans, x: g * cos(x), saves="x")
cos = primitive("cos", np.cos,
                lambda g, ans, x: -g * sin(x), saves="x")
tan = primitive("tan", np.tan,
                lambda g, ans, x: g * (1.0 + ans * ans), saves="output")

# ----------------------------------------------------------------------------
# Inverses:  arcsin' = 1/sqrt(1 - x^2),  arccos' = -1/sqrt(1 - x^2),
# arctan' = 1/(1 + x^2). Outside [-1, 1] arcsin and arccos are nan (NumPy, PyTorch).
# ----------------------------------------------------------------------------

arcsin = primitive("arcsin", np.arcsin,
                   lambda g, ans, x: g / sqrt(1.0 - x * x), saves="x")
arccos = primitive("arccos", np.arccos,
                   lambda g, ans, x: -g / sqrt(1.0 - x * x), saves="x")
arctan = primitive("arctan", np.arctan,
                   lambda g, ans, x: g / (1.0 + x * x), saves="x")

# ----------------------------------------------------------------------------
# Hyperbolic:  sinh' = cosh,  cosh' = sinh  (tanh is in elementwise.py)
# ----------------------------------------------------------------------------

sinh = primitive("sinh", np.sinh,
                 lambda g, ans, x: g * cosh(x), saves="x")
cosh = primitive("cosh", np.cosh,
                 lambda g, ans, x: g * sinh(x), saves="x")

# PyTorch's spellings of the same functions.
asin, acos, atan = arcsin, arccos, arctan
