"""Chart builders: pure functions from arrays to Vega-Lite v6 specs as plain dicts (no Streamlit
here); show one with st.vega_lite_chart.

Every chart has a title, projector-sized fonts, rounded tooltips with the full value beside them,
and at most about 10,000 data rows; whatever is sampled or thinned is named in the subtitle.
Colours: orange < 0 < blue for signed values, viridis for activations in [0, 1].
Every spec has a "description" made from its data, which the browser gives screen readers as
the chart's label; `enlarge_text(spec, 1.5)` makes every font of a spec half as big again for a
projector.
"""

from charts.common import MAX_ROWS, Spec, enlarge_text, fmt_sig, spec_to_json_safe
from charts.fit import Focus, fit_curve, prediction_surface, y_vs_yhat
from charts.grid import hidden_unit_maps, input_grid
from charts.matrix import edge_width, matrix_heatmap, network_diagram
from charts.sample_graph import batch_sum_chart, sample_graph_chart
from charts.series import grad_norm_chart, loss_chart, spans_decades

__all__ = [
    "MAX_ROWS",
    "Focus",
    "Spec",
    "batch_sum_chart",
    "edge_width",
    "enlarge_text",
    "fit_curve",
    "fmt_sig",
    "grad_norm_chart",
    "hidden_unit_maps",
    "input_grid",
    "loss_chart",
    "matrix_heatmap",
    "network_diagram",
    "prediction_surface",
    "sample_graph_chart",
    "spans_decades",
    "spec_to_json_safe",
    "y_vs_yhat",
]
