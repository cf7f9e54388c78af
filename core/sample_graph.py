"""One sample's path through the network: how batch row i's error reaches each weight.

The batch loss L = (1/2m)·||A2 - y||² is a sum over the batch's rows of

    ℓᵢ = (1/2m)(a2ᵢ - yᵢ)²,

row i's share of L. Row i alone is a graph of scalars, x1..xn → z1ⱼ → a1ⱼ → z2 = a2 = ŷ → ℓᵢ,
and backprop on ℓᵢ alone gives row i's part of every gradient; the m rows' parts add up to the
batch's ∇W1, ∇b1, ∇W2, ∇b2 (the seed's Xᵀδ1, rowsum(δ1), A1ᵀδ2 and rowsum(δ2) are those sums).

Every number is read from the step's record (the arrays the storyboard shows) or made from them
by one product, written one formula a line. Indices are 0-based here; labels are 1-based.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from core.network import Params
from core.trainer import StepRecord


class Node(NamedTuple):
    """One scalar of row i's graph: its value and the derivative of ℓᵢ with respect to it."""

    name: str  # "x1", "z1_2", "a1_2", "z2", "loss" (1-based)
    layer: str  # "input", "z1", "a1", "z2" or "loss"
    index: int  # k for an input, j for a hidden unit, 0 otherwise (0-based)
    value: float
    grad: float  # ∂ℓᵢ/∂(this node)


class Edge(NamedTuple):
    """One weight or bias of the graph and row i's contribution to its gradient."""

    name: str  # "W1[1,2]", "b1[2]", "W2[2]" or "b2" (1-based)
    param: str  # "W1", "b1", "W2" or "b2"
    index: tuple[int, int]  # the entry of the parameter's matrix (0-based)
    source: str  # the node it leaves ("1" for a bias)
    target: str  # the node it enters
    weight: float  # the parameter's value before the step
    contribution: float  # row i's part of the parameter's gradient: ∂ℓᵢ/∂(this weight)


class BatchSum(NamedTuple):
    """How the batch's rows build one gradient: row i's part, every row's part, the sum."""

    row: np.ndarray  # row i's contributions, the gradient's shape
    rows: np.ndarray  # every row's contributions, (m, *shape); rows[i] is `row`
    total: np.ndarray  # the record's gradient, = rows.sum(axis=0) up to rounding


class Sums(NamedTuple):
    """The four gradients as sums over the batch's rows."""

    dW1: BatchSum  # (n, h): ∇W1[k,j] = Σᵢ X[i,k] δ1[i,j]
    db1: BatchSum  # (1, h): ∇b1[j] = Σᵢ δ1[i,j]
    dW2: BatchSum  # (h, 1): ∇W2[j] = Σᵢ A1[i,j] δ2[i]
    db2: BatchSum  # (1, 1): ∇b2 = Σᵢ δ2[i]


class SampleGraph(NamedTuple):
    """Batch row i as a graph of scalars, with ∂ℓᵢ/∂(·) for every node and weight.

    Shapes: x, dx (n,); z1, a1, dz1, da1 (h,); the rest are numbers. `params` are the weights
    before the step, with which the record's forward and backward passes were computed.
    """

    i: int  # the row in the batch (0-based)
    row: int  # the row of the training set it is (0-based)
    m: int  # rows in the batch
    x: np.ndarray  # X[i]
    z1: np.ndarray  # Z1[i]
    a1: np.ndarray  # A1[i]
    z2: float  # Z2[i]
    a2: float  # A2[i] = ŷᵢ
    y: float  # y[i]
    loss: float  # ℓᵢ = (1/2m)(a2 - y)²
    batch_loss: float  # L, the sum of the m rows' ℓ
    dz2: float  # ∂ℓᵢ/∂z2 = δ2[i]
    da1: np.ndarray  # ∂ℓᵢ/∂a1ⱼ = δ2[i] W2[j]
    dz1: np.ndarray  # ∂ℓᵢ/∂z1ⱼ = δ1[i,j]
    dx: np.ndarray  # ∂ℓᵢ/∂xₖ = Σⱼ δ1[i,j] W1[k,j]
    params: Params
    sums: Sums
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def h(self) -> int:
        return self.z1.shape[0]


def _frozen(a: np.ndarray) -> np.ndarray:
    out = np.array(a, dtype=np.float64)
    out.setflags(write=False)
    return out


def every_row(rec: StepRecord) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every batch row's contribution to ∇W1, ∇b1, ∇W2 and ∇b2, each (m, *the gradient's shape);
    summed over the rows (axis 0) they are the record's gradients."""
    X, A1 = rec.X, rec.fwd.A1
    delta2, delta1 = rec.grads.delta2, rec.grads.delta1
    dW1_rows = X[:, :, None] * delta1[:, None, :]  # (m, n, h): X[i,k] δ1[i,j]
    db1_rows = delta1[:, None, :]  # (m, 1, h): δ1[i,j]
    dW2_rows = A1[:, :, None] * delta2[:, None, :]  # (m, h, 1): A1[i,j] δ2[i]
    db2_rows = delta2[:, None, :]  # (m, 1, 1): δ2[i]
    return dW1_rows, db1_rows, dW2_rows, db2_rows


def sample_graph(rec: StepRecord, i: int) -> SampleGraph:
    """Row i (0-based) of the step's batch as a scalar graph, with its gradients."""
    m, n = rec.X.shape
    i = operator.index(i)
    if not 0 <= i < m:
        raise IndexError(f"Batch row index {i} is out of range: it must be 0 to {m - 1}.")
    W1, b1, W2, b2 = rec.params_before
    h = W1.shape[1]
    # forward, as the record computed it
    x = rec.X[i]  # (n,)
    z1 = rec.fwd.Z1[i]  # (h,): z1ⱼ = Σₖ xₖ W1[k,j] + b1[j]
    a1 = rec.fwd.A1[i]  # (h,): a1ⱼ = σ(z1ⱼ)
    z2 = float(rec.fwd.Z2[i, 0])  # z2 = Σⱼ a1ⱼ W2[j] + b2
    a2 = float(rec.fwd.A2[i, 0])  # a2 = z2 = ŷ, the linear output
    y = float(rec.y[i, 0])
    loss = (a2 - y) ** 2 / (2 * m)  # ℓᵢ, row i's share of L
    # backward: derivatives of ℓᵢ
    dz2 = float(rec.grads.delta2[i, 0])  # ∂ℓᵢ/∂z2 = (a2 - y)/m = δ2[i]
    da1 = dz2 * W2[:, 0]  # (h,): ∂ℓᵢ/∂a1ⱼ = δ2[i] W2[j]
    dz1 = rec.grads.delta1[i]  # (h,): ∂ℓᵢ/∂z1ⱼ = δ2[i] W2[j] a1ⱼ(1 - a1ⱼ) = δ1[i,j]
    dx = W1 @ dz1  # (n, h)(h,) -> (n,): ∂ℓᵢ/∂xₖ = Σⱼ δ1[i,j] W1[k,j]
    # row i's part of each gradient
    dW1 = np.outer(x, dz1)  # (n, h): ∂ℓᵢ/∂W1[k,j] = xₖ δ1[i,j]
    db1 = dz1[None, :]  # (1, h): ∂ℓᵢ/∂b1[j] = δ1[i,j]
    dW2 = a1[:, None] * dz2  # (h, 1): ∂ℓᵢ/∂W2[j] = a1ⱼ δ2[i]
    db2 = np.array([[dz2]])  # (1, 1): ∂ℓᵢ/∂b2 = δ2[i]

    g = rec.grads
    sums = Sums(
        *(
            BatchSum(row=_frozen(part), rows=_frozen(rows), total=total)
            for part, rows, total in zip(
                (dW1, db1, dW2, db2), every_row(rec), (g.dW1, g.db1, g.dW2, g.db2), strict=True
            )
        )
    )
    nodes = (
        *(Node(f"x{k + 1}", "input", k, float(x[k]), float(dx[k])) for k in range(n)),
        *(Node(f"z1_{j + 1}", "z1", j, float(z1[j]), float(dz1[j])) for j in range(h)),
        *(Node(f"a1_{j + 1}", "a1", j, float(a1[j]), float(da1[j])) for j in range(h)),
        Node("z2", "z2", 0, z2, dz2),
        Node("loss", "loss", 0, loss, 1.0),  # ∂ℓᵢ/∂ℓᵢ = 1
    )
    edges = (
        *(
            Edge(f"W1[{k + 1},{j + 1}]", "W1", (k, j), f"x{k + 1}", f"z1_{j + 1}",
                 float(W1[k, j]), float(dW1[k, j]))
            for k in range(n)
            for j in range(h)
        ),
        *(
            Edge(f"b1[{j + 1}]", "b1", (0, j), "1", f"z1_{j + 1}", float(b1[0, j]),
                 float(db1[0, j]))
            for j in range(h)
        ),
        *(
            Edge(f"W2[{j + 1}]", "W2", (j, 0), f"a1_{j + 1}", "z2", float(W2[j, 0]),
                 float(dW2[j, 0]))
            for j in range(h)
        ),
        Edge("b2", "b2", (0, 0), "1", "z2", float(b2[0, 0]), dz2),
    )  # fmt: skip
    return SampleGraph(
        i=i,
        row=int(rec.indices[i]),
        m=m,
        x=_frozen(x),
        z1=_frozen(z1),
        a1=_frozen(a1),
        z2=z2,
        a2=a2,
        y=y,
        loss=loss,
        batch_loss=float(rec.loss_before),
        dz2=dz2,
        da1=_frozen(da1),
        dz1=_frozen(dz1),
        dx=_frozen(dx),
        params=rec.params_before,
        sums=sums,
        nodes=nodes,
        edges=edges,
    )
