"""The training loss over a 2-D slice of parameter space, with the path training took.

A slice is a centre θ (all parameters in one vector, as `Params.flat` orders them) and two
directions d1, d2: the loss is evaluated at θ + α·d1 + β·d2 on a grid of (α, β). The directions
are one of
- two parameters: unit vectors along two chosen weights, so the axes are those weights' values;
- two random directions, each normalised per layer to the norm of that layer's weights (Li et
  al. 2018, "Visualizing the Loss Landscape of Neural Nets"), so that the slice has the scale of
  the network and not of the random draw;
- the top two principal directions of the path so far (the parameters after every step, minus
  the centre), where most of the movement was.

The grid is evaluated vectorised: all grid points at once over a chunk of training rows, in
float32 (a picture, not the training: the training and its history stay float64).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from core.network import Params

MAX_GRID = 41
# Grid points × rows × hidden units in one chunk: 2 MB of float32, which stays in the CPU's cache
# (chunks of 16 MB made the same work four times slower).
CHUNK_ELEMENTS = 500_000
PARAMETERS, RANDOM, PCA = "Two parameters", "Random directions", "PCA of the path"
MODES = (PCA, RANDOM, PARAMETERS)
MAX_PATH = 2_000  # path points kept for the picture, evenly spaced, first and last included
MIN_SPAN = 0.5  # the slice reaches at least this far along each direction
MARGIN = 1.3  # and this much beyond the path


class Slice(NamedTuple):
    """Where the slice lies: its centre, its two directions and what to call them."""

    center: np.ndarray  # flat parameters, float64
    d1: np.ndarray
    d2: np.ndarray
    labels: tuple[str, str]  # axis titles
    note: str  # how the directions were made, for the caption


class Landscape(NamedTuple):
    """The loss on the grid and the path projected onto the slice."""

    slice: Slice
    alphas: np.ndarray  # (g,) offsets along d1
    betas: np.ndarray  # (g,) offsets along d2
    loss: np.ndarray  # (g, g): loss[b, a] at center + alphas[a]·d1 + betas[b]·d2
    path: np.ndarray  # (≤ MAX_PATH, 2) the parameters after `steps` in slice coordinates
    step_from: np.ndarray  # (2,) the shown step's weights before its update
    step_to: np.ndarray  # (2,) and after it: the arrow −η∇
    residual: float  # how far the path lies off the slice (0 when it lies in it), relative
    steps: np.ndarray  # the step after which each kept path point was (a long path is thinned)


def param_names(n_in: int, n_hidden: int) -> list[str]:
    """W1[1,1], ..., b1[2], W2[3], b2: 1-based, in the order of `Params.flat`."""
    names = [f"W1[{k + 1},{j + 1}]" for k in range(n_in) for j in range(n_hidden)]
    names += [f"b1[{j + 1}]" for j in range(n_hidden)]
    names += [f"W2[{j + 1}]" for j in range(n_hidden)]
    return [*names, "b2"]


def _layers(n_in: int, n_hidden: int) -> list[slice]:
    """The flat positions of layer 1 (W1, b1) and layer 2 (W2, b2)."""
    first = n_in * n_hidden + n_hidden
    return [slice(0, first), slice(first, first + n_hidden + 1)]


# ----------------------------------------------------------------------------------- directions


def parameter_slice(center: Params, first: str, second: str) -> Slice:
    names = param_names(*center.shape)
    if first == second:
        raise ValueError("Choose two different parameters.")
    d1, d2 = np.zeros(len(names)), np.zeros(len(names))
    d1[names.index(first)] = 1.0
    d2[names.index(second)] = 1.0
    note = f"{first} and {second} vary, every other weight stays as it is at the shown step"
    return Slice(center.flat(), d1, d2, (first, second), note)


def random_slice(center: Params, seed: int) -> Slice:
    """Two Gaussian directions, each layer's part scaled to the norm of that layer's weights
    (to 1 where the layer's weights are all zero)."""
    theta = center.flat()
    rng = np.random.default_rng(seed)
    directions = []
    for _ in range(2):
        d = rng.standard_normal(theta.size)
        for part in _layers(*center.shape):
            norm = np.linalg.norm(theta[part]) or 1.0
            d[part] *= norm / np.linalg.norm(d[part])
        directions.append(d)
    note = f"two random directions (seed {seed}), each layer scaled to its weights' norm"
    return Slice(theta, *directions, ("direction 1", "direction 2"), note)


def _scatter(path: np.ndarray, theta: np.ndarray, chunk: int = 8192) -> np.ndarray | None:
    """The P×P scatter matrix of the path's moves from the centre about their mean (about zero
    when there are only one or two), built a chunk of steps at a time: a 100,000-step path then
    costs P×P floats instead of copies of the whole path."""

    def moving():
        for start in range(0, len(path), chunk):
            m = path[start : start + chunk] - theta
            yield m[np.linalg.norm(m, axis=1) > 0]

    count = sum(len(m) for m in moving())
    if count == 0:
        return None
    mean = sum(m.sum(axis=0) for m in moving()) / count if count > 2 else np.zeros_like(theta)
    return sum((m - mean).T @ (m - mean) for m in moving())


def pca_slice(center: Params, path: np.ndarray, seed: int = 0) -> Slice:
    """The top two principal directions of the path minus the centre; where the path has fewer
    than two independent directions, random ones fill in."""
    theta = center.flat()
    directions, shares = [], []
    cov = _scatter(np.asarray(path, dtype=float), theta)
    if cov is not None:
        energy, vectors = np.linalg.eigh(cov)  # ascending
        energy, vectors = energy[::-1].clip(min=0), vectors[:, ::-1]
        total = max(float(energy.sum()), 1e-300)
        for k in range(min(2, len(energy))):
            if energy[k] > 1e-10 * max(energy[0], 1e-300):  # above eigh's rounding noise
                directions.append(vectors[:, k])
                shares.append(energy[k] / total)
    if len(directions) < 2:
        fill = random_slice(center, seed)
        for d in (fill.d1, fill.d2)[: 2 - len(directions)]:
            for kept in directions:  # orthogonal to what the path gave
                d = d - (d @ kept) * kept
            directions.append(d / (np.linalg.norm(d) or 1.0))
            shares.append(float("nan"))
    labels = tuple(
        f"direction {k + 1} (random)"
        if np.isnan(share)
        else f"PC{k + 1} ({share:.0%} of the path's variance)"
        for k, share in enumerate(shares)
    )
    note = "the two directions the path moved along most (principal components)"
    if any(np.isnan(shares)):
        note += "; the path so far moved along fewer than two, so a random direction fills in"
    return Slice(theta, directions[0], directions[1], labels, note)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------- the loss


def loss_grid(
    X: np.ndarray,
    y: np.ndarray,
    sl: Slice,
    alphas: np.ndarray,
    betas: np.ndarray,
    n_in: int,
    n_hidden: int,
) -> np.ndarray:
    """(1/2m)‖A2 − y‖² over all rows of X at every grid point, as loss[b, a]."""
    a, b = np.meshgrid(alphas, betas)  # (g, g) each, b along rows
    thetas = sl.center + a.reshape(-1, 1) * sl.d1 + b.reshape(-1, 1) * sl.d2  # (G, P)
    G, h = thetas.shape[0], n_hidden
    sizes = np.cumsum([n_in * h, h, h])
    W1, b1, W2, b2 = np.split(thetas.astype(np.float32), sizes, axis=1)
    # Z1 for every grid point at once: X (r, n) @ W1 laid out as (n, h·G), unit by unit, so
    # that each hidden unit's values for all grid points sit side by side.
    W1 = np.ascontiguousarray(W1.reshape(G, n_in, h).transpose(1, 2, 0).reshape(n_in, h * G))
    b1 = np.ascontiguousarray(b1.T).reshape(h * G)
    W2 = np.ascontiguousarray(W2.T)  # (h, G)
    b2 = b2.reshape(G)
    X32, y32 = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.float32).reshape(-1, 1)
    m = X32.shape[0]
    total = np.zeros(G, dtype=np.float64)
    chunk = max(1, CHUNK_ELEMENTS // (G * h))
    for start in range(0, m, chunk):
        # einsum, not a BLAS product: one thread, so a busy server's other work does not leave
        # BLAS threads waiting on each other (that made a 1,000-row grid take 20 to 160 ms).
        Z1 = np.einsum("rn,nk->rk", X32[start : start + chunk], W1)
        Z1 += b1
        A1 = _sigmoid_inplace(Z1).reshape(-1, h, G)
        Z2 = A1[:, 0, :] * W2[0]  # A2 = A1·W2 + b2, one hidden unit at a time
        for j in range(1, h):
            Z2 += A1[:, j, :] * W2[j]
        Z2 += b2
        Z2 -= y32[start : start + chunk]
        np.square(Z2, out=Z2)
        total += Z2.sum(axis=0, dtype=np.float64)
    return (total / (2 * max(m, 1))).reshape(len(betas), len(alphas))


def _sigmoid_inplace(Z: np.ndarray) -> np.ndarray:
    """σ(Z) = 1 / (1 + e^−Z), computed in Z's own memory."""
    np.negative(Z, out=Z)
    with np.errstate(over="ignore"):  # e^−Z beyond float32 is inf, and 1 / (1 + inf) is 0
        np.exp(Z, out=Z)
    Z += 1
    return np.reciprocal(Z, out=Z)


def coordinates(points: np.ndarray, sl: Slice, chunk: int = 8192) -> tuple[np.ndarray, float]:
    """Points (T, P) in slice coordinates (T, 2), by least squares, and how far off the slice
    they lie relative to how far they are from the centre (0 when they lie in it). A chunk of
    points at a time, so a long path is never copied whole."""
    D = np.stack([sl.d1, sl.d2], axis=1)  # (P, 2)
    solve = np.linalg.pinv(D)  # (2, P): least squares for every point at once
    points = np.atleast_2d(points)
    coords = np.empty((len(points), 2))
    off = total = 0.0
    for start in range(0, len(points), chunk):
        offsets = points[start : start + chunk] - sl.center
        c = offsets @ solve.T
        coords[start : start + chunk] = c
        off += float(np.sum((offsets - c @ D.T) ** 2))
        total += float(np.sum(offsets**2))
    return coords, float(np.sqrt(off / total)) if total > 0 else 0.0


def landscape(
    X: np.ndarray,
    y: np.ndarray,
    sl: Slice,
    path: np.ndarray,
    before: Params,
    after: Params,
    grid: int = MAX_GRID,
) -> Landscape:
    """The loss on a grid × grid slice that holds the projected path and the step's arrow."""
    grid = int(np.clip(grid, 3, MAX_GRID))
    n_in, n_hidden = before.shape
    path_xy, residual = coordinates(path, sl)
    ends, _ = coordinates(np.stack([before.flat(), after.flat()]), sl)
    reach = np.abs(np.vstack([path_xy, ends])).max(axis=0) * MARGIN
    span = np.maximum(reach, MIN_SPAN)
    alphas = np.linspace(-span[0], span[0], grid)
    betas = np.linspace(-span[1], span[1], grid)
    loss = loss_grid(X, y, sl, alphas, betas, n_in, n_hidden)
    keep = np.unique(np.linspace(0, len(path_xy) - 1, min(len(path_xy), MAX_PATH)).astype(int))
    return Landscape(sl, alphas, betas, loss, path_xy[keep], ends[0], ends[1], residual, keep)
