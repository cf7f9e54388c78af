"""An AI study partner drives the app over Streamlit's agent API (`server.enableAgentApi`):
it presses Step and reads δ1 and ∇W1 by name from the storyboard in the response. The shipped
configuration keeps the API off."""

from __future__ import annotations

import json
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from browser.server import app_server

ROOT = Path(__file__).resolve().parent.parent
AGENT_ON = ("--server.enableAgentApi=true",)


def interact(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{url}/_stcore/agent/interact",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def nodes(tree: dict) -> Iterator[dict]:
    yield tree
    for child in tree.get("children", []):
        yield from nodes(child)


def by_key(snapshot: dict, key: str) -> dict:
    (node,) = [n for n in nodes(snapshot["tree"]) if n.get("key") == key]
    return node


def matrices(snapshot: dict) -> dict[str, np.ndarray]:
    """The storyboard's matrices by their names as the page shows them (δ1, ∇W1, ...), with
    every shown cell's full value."""
    data = by_key(snapshot, "storyboard")["props"]["data"]
    out = {}
    for band in data["bands"]:
        for item in band["items"]:
            for block in item["blocks"] if item["kind"] == "group" else [item]:
                if block["kind"] == "block":
                    cells = [[float(cell[2]) for cell in row] for row in block["cells"]]
                    out[block["name"]] = np.array(cells)
    return out


@pytest.fixture(scope="module")
def agent_url() -> Iterator[str]:
    with app_server(extra_args=AGENT_ON) as url:
        yield url


def test_the_shipped_configuration_keeps_the_agent_api_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"].get("enableAgentApi", False) is False
    with app_server() as url, pytest.raises(urllib.error.HTTPError) as refused:
        interact(url, {})
    assert refused.value.code in (403, 404)


def test_an_assistant_steps_and_reads_delta1_and_the_gradient_of_w1_by_name(agent_url):
    snapshot = interact(agent_url, {})
    session = snapshot["session_id"]
    assert by_key(snapshot, "btn_step")["props"]["label"] == "Step"
    # A batch of 6 rows: the storyboard then shows every row, so the gradient can be checked.
    snapshot = interact(agent_url, {"session_id": session, "widget_state": {"batch_size": 6}})
    snapshot = interact(agent_url, {"session_id": session, "trigger": {"key": "btn_step"}})
    shown = matrices(snapshot)
    X, delta1, dW1 = shown["X"], shown["δ1"], shown["∇W1"]
    assert delta1.shape == (6, 3) and dW1.shape == (2, 3) and X.shape == (6, 2)
    np.testing.assert_allclose(dW1, X.T @ delta1, rtol=1e-12, atol=1e-15)  # ∇W1 = Xᵀδ1
    np.testing.assert_allclose(shown["∇b1"], delta1.sum(axis=0, keepdims=True), rtol=1e-12)
    step = [n for n in nodes(snapshot["tree"]) if n.get("type") == "metric"]
    assert any(n["props"].get("label") == "Step" and n["props"].get("value") == "1" for n in step)


def test_the_matrix_views_name_their_tables_for_an_assistant(agent_url):
    session = interact(agent_url, {})["session_id"]
    interact(agent_url, {"session_id": session, "trigger": {"key": "btn_step"}})
    snapshot = interact(
        agent_url, {"session_id": session, "widget_state": {"view": "Backward pass"}}
    )
    keyed = {n["key"]: n for n in nodes(snapshot["tree"]) if n.get("type") == "dataframe"}
    assert {"matrix_delta2", "matrix_delta1", "matrix_dW1", "matrix_db1"} <= set(keyed)
    delta1 = keyed["matrix_delta1"]["data"]
    assert (delta1["row_count"], [c["name"] for c in delta1["columns"]][:3]) == (
        16,
        ["h1", "h2", "h3"],
    )
    snapshot = interact(agent_url, {"session_id": session, "widget_state": {"view": "Update"}})
    keys = {n.get("key") for n in nodes(snapshot["tree"]) if n.get("type") == "dataframe"}
    assert {"update_W1_before", "update_W1_change", "update_W1_after"} <= keys
