"""Chart builders: pure functions from arrays to Altair charts (no Streamlit here).

Every chart has a title, projector-sized fonts, rounded tooltips with the full value beside them,
and at most about 10,000 data rows; whatever is sampled or thinned is named in the subtitle.
Colours: orange < 0 < blue for signed values, viridis for activations in [0, 1].
"""

from ui.charts_common import MAX_ROWS, fmt_sig
from ui.charts_fit import fit_curve, prediction_surface, y_vs_yhat
from ui.charts_grid import hidden_unit_maps, input_grid
from ui.charts_matrix import edge_width, matrix_heatmap, network_diagram
from ui.charts_series import grad_norm_chart, loss_chart

__all__ = [
    "MAX_ROWS",
    "edge_width",
    "fit_curve",
    "fmt_sig",
    "grad_norm_chart",
    "hidden_unit_maps",
    "input_grid",
    "loss_chart",
    "matrix_heatmap",
    "network_diagram",
    "prediction_surface",
    "y_vs_yhat",
]
