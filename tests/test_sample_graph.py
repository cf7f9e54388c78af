"""One sample's graph: every value and gradient against an independent loop-based computation and
central finite differences of ℓᵢ; the rows' parts add up to the record's gradients; the charts
are valid Vega-Lite and say the row's numbers."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pytest
from core_helpers import random_problem
from test_charts import assert_readable, schema_validator, spec, walk

import charts
import core
from core.sample_graph import SampleGraph, every_row, sample_graph
from core.trainer import StepRecord

EPS = np.finfo(np.float64).eps
SIZES = list(itertools.product(range(1, 5), range(1, 9)))  # (inputs, hidden units)
BATCHES = (1, 5, 16)
TRAIN_ROWS = 40


def make_record(n_in: int, hidden: int, batch: int, seed: int = 0, steps: int = 2) -> StepRecord:
    """A real step record of a random problem (non-zero biases); the last of `steps` steps."""
    params, X, y = random_problem(n_in, hidden, max(TRAIN_ROWS, batch), seed)
    trainer = core.Trainer(X, y, params, batch_size=batch, shuffle_seed=seed)
    rec = None
    for _ in range(steps):
        rec = trainer.step(0.1)
    return rec


def rows_to_check(m: int) -> list[int]:
    return sorted({0, m // 2, m - 1})


# ---- an independent computation: the seed's formulas as loops over scalars ------------------


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def loss_from(W1, b1, W2, b2, x, y, m, start="x", value=None):
    """ℓ = (1/2m)(ŷ - y)² for one row, computed with loops; `start` names a layer ("x", "z1",
    "a1", "z2") whose values are given instead of computed from the layer before."""
    n, h = len(W1), len(W2)
    if start == "x":
        x = value if value is not None else x
        z1 = [math.fsum([x[k] * W1[k][j] for k in range(n)] + [b1[j]]) for j in range(h)]
    if start in ("x", "z1"):
        z1 = value if start == "z1" else z1
        a1 = [sigmoid(z) for z in z1]
    if start in ("x", "z1", "a1"):
        a1 = value if start == "a1" else a1
        z2 = math.fsum([a1[j] * W2[j] for j in range(h)] + [b2])
    if start == "z2":
        z2 = value
    return (z2 - y) ** 2 / (2 * m)


def reference(rec: StepRecord, i: int) -> dict[str, object]:
    """Row i's forward and backward pass from the seed's formulas, one scalar at a time."""
    m, n = rec.X.shape
    W1 = rec.params_before.W1.tolist()
    b1 = rec.params_before.b1[0].tolist()
    W2 = rec.params_before.W2[:, 0].tolist()
    b2 = float(rec.params_before.b2[0, 0])
    h = len(W2)
    x, y = rec.X[i].tolist(), float(rec.y[i, 0])
    z1 = [math.fsum([x[k] * W1[k][j] for k in range(n)] + [b1[j]]) for j in range(h)]
    a1 = [sigmoid(z) for z in z1]
    z2 = math.fsum([a1[j] * W2[j] for j in range(h)] + [b2])
    dz2 = (z2 - y) / m
    da1 = [dz2 * W2[j] for j in range(h)]
    dz1 = [da1[j] * a1[j] * (1 - a1[j]) for j in range(h)]
    dx = [math.fsum(dz1[j] * W1[k][j] for j in range(h)) for k in range(n)]
    return {
        "x": x, "z1": z1, "a1": a1, "z2": z2, "y": y, "loss": (z2 - y) ** 2 / (2 * m),
        "dz2": dz2, "da1": da1, "dz1": dz1, "dx": dx,
        "dW1": [[x[k] * dz1[j] for j in range(h)] for k in range(n)],
        "db1": dz1, "dW2": [a1[j] * dz2 for j in range(h)], "db2": dz2,
        "params": (W1, b1, W2, b2),
    }  # fmt: skip


def central(f, v: float) -> float:
    """df/dv by central differences at h and h/2, combined by Richardson extrapolation (error
    O(h⁴)); h is 1e-4 of the value's size (at least 1e-4)."""
    h = 1e-4 * max(1.0, abs(v))

    def d(step: float) -> float:
        return (f(v + step) - f(v - step)) / (2 * step)

    return (4 * d(h / 2) - d(h)) / 3


def close(numeric: float, analytic: float, scale: float) -> bool:
    """Agreement to 1e-7 relative, or within the rounding of differences of losses of size
    `scale` (ε·scale/h, taken generously)."""
    return abs(numeric - analytic) <= 1e-7 * max(abs(numeric), abs(analytic)) + 1e-9 * scale


# ---- values and gradients -------------------------------------------------------------------


@pytest.mark.parametrize(("n_in", "hidden"), SIZES)
@pytest.mark.parametrize("batch", BATCHES)
def test_values_and_gradients_match_loops_and_the_record(n_in, hidden, batch):
    rec = make_record(n_in, hidden, batch)
    for i in rows_to_check(batch):
        g = sample_graph(rec, i)
        ref = reference(rec, i)
        # exactly the storyboard's numbers: the record's own arrays
        assert g.i == i and g.m == batch and g.row == rec.indices[i]
        np.testing.assert_array_equal(g.x, rec.X[i])
        np.testing.assert_array_equal(g.z1, rec.fwd.Z1[i])
        np.testing.assert_array_equal(g.a1, rec.fwd.A1[i])
        assert (g.z2, g.a2, g.y) == (rec.fwd.Z2[i, 0], rec.fwd.A2[i, 0], rec.y[i, 0])
        assert g.dz2 == rec.grads.delta2[i, 0]
        np.testing.assert_array_equal(g.dz1, rec.grads.delta1[i])
        np.testing.assert_array_equal(g.da1, (rec.grads.delta2 @ rec.params_before.W2.T)[i])
        assert g.batch_loss == rec.loss_before
        assert g.params is rec.params_before
        # the same numbers, from the formulas one scalar at a time
        tol = {"rtol": 1e-12, "atol": 1e-15}
        for name in ("z1", "a1", "z2", "y", "loss", "dz2", "da1", "dz1", "dx"):
            np.testing.assert_allclose(getattr(g, name), ref[name], **tol, err_msg=name)
        np.testing.assert_allclose(g.sums.dW1.row, ref["dW1"], **tol)
        np.testing.assert_allclose(g.sums.db1.row[0], ref["db1"], **tol)
        np.testing.assert_allclose(g.sums.dW2.row[:, 0], ref["dW2"], **tol)
        np.testing.assert_allclose(g.sums.db2.row[0, 0], ref["db2"], **tol)


def nudged(values: list, k: int, v: float) -> list:
    """`values` with entry k replaced by v."""
    return [v if j == k else a for j, a in enumerate(values)]


def loss_of_weight(ref: dict, m: int, param: str, index: tuple[int, int]):
    """ℓᵢ as a function of one weight or bias, the rest as they are."""
    W1, b1, W2, b2 = ref["params"]
    k, j = index

    def ell(v: float) -> float:
        if param == "W1":
            weights = (nudged(W1, k, nudged(W1[k], j, v)), b1, W2, b2)
        elif param == "b1":
            weights = (W1, nudged(b1, j, v), W2, b2)
        elif param == "W2":
            weights = (W1, b1, nudged(W2, k, v), b2)
        else:
            weights = (W1, b1, W2, v)
        return loss_from(*weights, ref["x"], ref["y"], m)

    return ell


def loss_of_node(ref: dict, m: int, layer: str, k: int):
    """ℓᵢ as a function of one node's value, the layers before it held fixed."""
    start, values = {"input": ("x", ref["x"]), "z1": ("z1", ref["z1"]), "a1": ("a1", ref["a1"]),
                     "z2": ("z2", [ref["z2"]])}[layer]  # fmt: skip

    def ell(v: float) -> float:
        value = nudged(values, k, v)
        value = value[0] if start == "z2" else value
        return loss_from(*ref["params"], ref["x"], ref["y"], m, start, value)

    return ell


@pytest.mark.parametrize(("n_in", "hidden"), SIZES)
def test_gradients_match_finite_differences_of_the_rows_loss(n_in, hidden):
    batch = 5
    rec = make_record(n_in, hidden, batch, seed=n_in * 10 + hidden)
    for i in rows_to_check(batch):
        g = sample_graph(rec, i)
        ref = reference(rec, i)
        scale = max(g.loss, 1e-3)
        # every edge: ∂ℓᵢ/∂w is this row's contribution to the weight's gradient
        for e in g.edges:
            numeric = central(loss_of_weight(ref, batch, e.param, e.index), e.weight)
            assert close(numeric, e.contribution, scale), (e, numeric)
        # every node: ∂ℓᵢ/∂(node)
        for node in g.nodes:
            if node.layer == "loss":
                assert node.grad == 1.0 and node.value == g.loss
                continue
            numeric = central(loss_of_node(ref, batch, node.layer, node.index), node.value)
            assert close(numeric, node.grad, scale), (node, numeric)


# ---- the batch's sum ------------------------------------------------------------------------


@pytest.mark.parametrize(("n_in", "hidden"), SIZES)
@pytest.mark.parametrize("batch", BATCHES)
def test_the_rows_parts_add_up_to_the_records_gradients(n_in, hidden, batch):
    rec = make_record(n_in, hidden, batch, seed=3)
    g = sample_graph(rec, batch - 1)
    grads = {"dW1": rec.grads.dW1, "db1": rec.grads.db1, "dW2": rec.grads.dW2, "db2": rec.grads.db2}
    for name, s in g.sums._asdict().items():
        assert s.total is grads[name]  # the record's gradient itself
        assert s.rows.shape == (batch, *s.total.shape) and s.row.shape == s.total.shape
        summed = s.rows.sum(axis=0)
        # Any order of adding m terms is within about m·ε·Σ|terms| of the exact sum; measured
        # here the differences are at most a few ε·Σ|terms| (about 1e-15 relative).
        size = np.abs(s.rows).sum(axis=0)
        assert np.all(np.abs(summed - s.total) <= 4 * EPS * size), name
        if name in ("db1", "db2"):  # rowsum of δ: the same numbers, added the same way
            np.testing.assert_array_equal(summed, s.total)
    # every row's graph has the same batch matrices, and its own row in them
    for i in range(batch):
        gi = sample_graph(rec, i)
        for name, s in gi.sums._asdict().items():
            np.testing.assert_array_equal(s.rows[i], s.row, err_msg=name)
            np.testing.assert_array_equal(s.rows, getattr(g.sums, name).rows, err_msg=name)


@pytest.mark.parametrize("batch", BATCHES)
def test_the_rows_losses_add_up_to_the_batch_loss(batch):
    for n_in, hidden in ((1, 1), (2, 3), (4, 8)):
        rec = make_record(n_in, hidden, batch, seed=7)
        shares = [sample_graph(rec, i).loss for i in range(batch)]
        assert math.fsum(shares) == pytest.approx(rec.loss_before, rel=4 * batch * EPS, abs=0)
        assert all(share >= 0 for share in shares)


def test_every_row_matches_the_seeds_matrix_products():
    rec = make_record(3, 4, 16)
    dW1, db1, dW2, db2 = every_row(rec)
    X, A1, d1, d2 = rec.X, rec.fwd.A1, rec.grads.delta1, rec.grads.delta2
    for i in range(16):
        np.testing.assert_array_equal(dW1[i], np.outer(X[i], d1[i]))
        np.testing.assert_array_equal(db1[i, 0], d1[i])
        np.testing.assert_array_equal(dW2[i, :, 0], A1[i] * d2[i, 0])
        assert db2[i, 0, 0] == d2[i, 0]


# ---- the record ----------------------------------------------------------------------------


def test_nodes_and_edges_cover_the_graph():
    rec = make_record(2, 3, 5)
    g = sample_graph(rec, 1)
    assert isinstance(g, SampleGraph) and (g.n, g.h) == (2, 3)
    assert [nd.name for nd in g.nodes] == [
        "x1", "x2", "z1_1", "z1_2", "z1_3", "a1_1", "a1_2", "a1_3", "z2", "loss"
    ]  # fmt: skip
    names = [e.name for e in g.edges]
    assert names[:6] == ["W1[1,1]", "W1[1,2]", "W1[1,3]", "W1[2,1]", "W1[2,2]", "W1[2,3]"]
    assert names[6:] == ["b1[1]", "b1[2]", "b1[3]", "W2[1]", "W2[2]", "W2[3]", "b2"]
    P = rec.params_before
    for e in g.edges:
        assert e.weight == getattr(P, e.param)[e.index]
        assert e.contribution == getattr(g.sums, "d" + e.param).row[e.index]
    by = {e.name: e for e in g.edges}
    assert (by["W1[2,3]"].source, by["W1[2,3]"].target) == ("x2", "z1_3")
    assert (by["W2[2]"].source, by["W2[2]"].target) == ("a1_2", "z2")
    assert by["b1[1]"].source == by["b2"].source == "1"


def test_arrays_are_read_only_and_rows_are_checked():
    rec = make_record(2, 3, 5)
    g = sample_graph(rec, 0)
    for a in (
        g.x,
        g.z1,
        g.a1,
        g.da1,
        g.dz1,
        g.dx,
        *(s.row for s in g.sums),
        *(s.rows for s in g.sums),
    ):
        assert not a.flags.writeable
    for bad in (-1, 5):
        with pytest.raises(IndexError, match="0 to 4"):
            sample_graph(rec, bad)
    with pytest.raises(TypeError):
        sample_graph(rec, 1.0)
    assert sample_graph(rec, np.int64(4)).i == 4


# ---- the charts ----------------------------------------------------------------------------


def chart_cases():
    for n_in, hidden, batch in ((1, 1, 1), (2, 3, 16), (4, 8, 5), (4, 8, 100), (3, 2, 65)):
        rec = make_record(n_in, hidden, batch, steps=1)
        g = sample_graph(rec, batch // 2)
        names = ("horsepower", "x2", "a <b>", "weight_lbs")[:n_in]
        yield f"{n_in}-{hidden}-m{batch}", g, names


CASE_NAMES = ("1-1-m1", "2-3-m16", "4-8-m5", "4-8-m100", "3-2-m65")


@functools.cache
def cases() -> dict[str, tuple[SampleGraph, tuple[str, ...]]]:
    return {name: (g, names) for name, g, names in chart_cases()}


def built(name: str):
    g, names = cases()[name]
    return g, charts.sample_graph_chart(g, names), charts.batch_sum_chart(g)


def rows_of(chart, key: str) -> list[dict]:
    found = [rows for rows in spec(chart)["datasets"].values() if rows and key in rows[0]]
    assert len(found) == 1, key
    return found[0]


def font_sizes(s: dict) -> list[tuple[str, object]]:
    """Every font size in a spec, in order ("config" left out: enlarge_text adds it)."""
    body = {k: v for k, v in s.items() if k not in ("config", "datasets")}
    keys = ("fontSize", "labelFontSize", "titleFontSize", "subtitleFontSize")
    return [(key, d[key]) for d in walk(body) for key in keys if key in d]


@pytest.mark.parametrize("name", list(CASE_NAMES))
def test_the_charts_are_valid_readable_and_stay_valid_enlarged(name):
    _, graph, sums = built(name)
    for chart in (graph, sums):
        s = spec(chart)
        schema_validator().validate(s)
        assert_readable(s)
        assert sum(len(rows) for rows in s["datasets"].values()) <= charts.MAX_ROWS
        assert chart["$schema"].endswith("/v6.json")
        big = spec(charts.enlarge_text(chart, 1.5))
        schema_validator().validate(big)
        # every font size set in the spec grows by 1.5, once (no dict is shared between layers)
        before, after = font_sizes(s), font_sizes(big)
        assert before and len(before) == len(after)
        for (key, small), (key2, large) in zip(before, after, strict=True):
            assert key == key2
            if isinstance(small, dict):
                assert large == {"expr": f"({small['expr']}) * 1.5"}
            else:
                assert large == pytest.approx(1.5 * small)


@pytest.mark.parametrize("name", list(CASE_NAMES))
def test_the_graph_labels_every_node_with_its_value_and_gradient(name):
    g, graph, _ = built(name)
    boxes = {(row["line1"], row["line2"]) for row in rows_of(graph, "kind")}
    r = g.i + 1
    sub = charts.sample_graph.sub
    for node in g.nodes:
        v, d = charts.common.spoken(node.value), charts.common.spoken(node.grad)
        k = node.index + 1
        expected = {
            "input": (f"x{k} = {v}", f"∂ℓ/∂x{k} = {d}"),
            "z1": (f"z1{sub(k)} = {v}", f"∂ℓ/∂z = {d}"),
            "a1": (f"a1{sub(k)} = {v}", f"∂ℓ/∂a = {d}"),
            "z2": (f"ŷ = z2 = {v}", f"∂ℓ/∂ŷ = {d}"),
            "loss": (f"ℓ{sub(r)} = {v}", "∂ℓ/∂ℓ = 1"),
        }[node.layer]
        assert expected in boxes
    assert len(boxes) == len(g.nodes) + 1  # and the two bias boxes' "1"
    assert not any("-" in line for pair in boxes for line in pair)  # U+2212 minus signs
    full = {row["value"] for row in rows_of(graph, "kind")}
    assert repr(float(g.loss)) in full and repr(float(g.a2)) in full
    assert sum(1 for row in rows_of(graph, "kind") if row["kind"] == "bias") == 2
    # the description says the row's numbers
    text = graph["description"]
    assert f"Batch row {r} of {g.m} (training row #{g.row + 1})" in text
    assert f"= {charts.common.spoken(g.loss)} of the batch loss" in text
    assert f"ŷ = z2 = {charts.common.spoken(g.a2)}" in text
    assert "a <b>" in text or g.n < 3


@pytest.mark.parametrize("name", list(CASE_NAMES))
def test_edge_width_follows_this_rows_gradient_part_and_colour_its_sign(name):
    g, graph, _ = built(name)
    edges = rows_of(graph, "width")
    assert len(edges) == g.n * g.h + 2 * g.h + 1
    by = {row["name"]: row for row in edges}
    c = {e.name: e.contribution for e in g.edges}
    biggest = max(abs(v) for v in c.values())
    for e in g.edges:
        row = by[e.name]
        assert row["contribution_full"] == repr(e.contribution)
        assert row["weight_full"] == repr(e.weight)
        expected = 0.5 + 7.5 * abs(e.contribution) / biggest if biggest else 0.5
        assert row["width"] == pytest.approx(expected)
        assert row["sign"] == (
            "positive" if e.contribution > 0 else "negative" if e.contribution < 0 else "zero"
        )
    assert "edge width ∝ |this row's part of the weight's gradient|" in " ".join(
        graph["title"]["subtitle"]
    )
    (colour,) = [d["color"] for d in walk(graph) if isinstance(d.get("color"), dict)]
    assert colour["scale"]["range"][:2] == [charts.common.POSITIVE, charts.common.NEGATIVE]


@pytest.mark.parametrize("name", list(CASE_NAMES))
def test_the_batch_sum_chart_stacks_every_rows_part_into_the_gradient(name):
    g, _, sums = built(name)
    segments = rows_of(sums, "lo")
    ticks = rows_of(sums, "total")
    totals = [*g.sums.dW1.total.ravel(), *g.sums.dW2.total.ravel()]
    assert [t["full"] for t in ticks] == [repr(float(v)) for v in totals]  # exactly the record's
    grouped = g.m > charts.sample_graph.MAX_SEGMENT_ROWS
    per_entry = 3 if grouped else g.m
    assert len(segments) == len(totals) * per_entry
    r = g.i + 1
    for t in ticks:
        mine = [s for s in segments if s["entry"] == t["entry"]]
        parts = [float(s["full"]) for s in mine]
        assert math.fsum(parts) == pytest.approx(t["total"], rel=1e-12, abs=1e-15)
        (this,) = [s for s in mine if s["this"]]
        assert this["who"].startswith(f"row {r}")
        # stacked: positive parts right of 0, negative parts left, without gaps
        up = sorted((s["lo"], s["hi"]) for s in mine if float(s["full"]) > 0)
        down = sorted((s["lo"], s["hi"]) for s in mine if float(s["full"]) < 0)
        for chain, start in ((up, 0.0), (down[::-1], 0.0)):
            edge = start
            for lo, hi in chain:
                assert edge in (lo, hi)
                edge = hi if edge == lo else lo
    # this row's segments are outlined (a thick black stroke), not told by colour alone
    outlined = [d for d in walk(sums) if d.get("transform") == [{"filter": "datum.this"}]]
    assert outlined and outlined[0]["mark"]["strokeWidth"] >= 3
    assert f"row {r}'s part outlined in black" in " ".join(sums["title"]["subtitle"])
    text = sums["description"]
    first = charts.common.spoken(g.sums.dW1.row[0, 0])
    assert f"∇W1[1,1] = {charts.common.spoken(totals[0])}, row {r} gives {first}" in text
    assert ("grouped" in text) is grouped


def test_no_contribution_at_all_gives_thin_grey_edges():
    rec = make_record(2, 3, 5)
    zero = rec._replace(
        grads=rec.grads._replace(
            delta2=np.zeros_like(rec.grads.delta2), delta1=np.zeros_like(rec.grads.delta1)
        )
    )
    g = sample_graph(zero, 0)
    chart = charts.sample_graph_chart(g)
    schema_validator().validate(spec(chart))
    assert {row["width"] for row in rows_of(chart, "width")} == {0.5}
    assert {row["sign"] for row in rows_of(chart, "width")} == {"zero"}
    schema_validator().validate(spec(charts.batch_sum_chart(g)))
