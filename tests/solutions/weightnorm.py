"""Solution to tutorials/exercises/weightnorm_backward.py, and a planted bug."""


def weightnorm_backward(dout, cache):
    """dw = dout.T x; dg = sum(dw v)/||v||; dv = g/||v|| (dw - v_hat sum(dw v_hat))."""
    x, g, v, norm, w = cache["x"], cache["g"], cache["v"], cache["norm"], cache["w"]
    dx = dout @ w
    dw = dout.T @ x
    v_hat = v / norm
    dg = (dw * v_hat).sum(axis=1, keepdims=True)
    dv = g / norm * (dw - v_hat * dg)
    return dx, dg, dv


def dv_missing_norm_path(dout, cache):
    """Treats ||v|| as a constant: dv = g / ||v|| * dw."""
    dx, dg, _ = weightnorm_backward(dout, cache)
    dw = dout.T @ cache["x"]
    return dx, dg, cache["g"] / cache["norm"] * dw


BUGS = {"dv_missing_norm_path": "v"}
