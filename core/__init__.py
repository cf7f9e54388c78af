"""The maths and data layer of Backprop Step-by-Step: numpy and pandas only, no UI."""

from core.batches import BatchPlan
from core.gradcheck import GradCheck, GradEntry, gradient_check, relative_error
from core.history import History
from core.metrics import Metrics, regression_metrics
from core.network import (
    INIT_SCHEMES,
    Backward,
    Forward,
    Params,
    backward,
    forward,
    init_params,
    mse_loss,
    sgd_update,
    sigmoid,
)
from core.trainer import Divergence, StepRecord, Trainer, TrainTest

__all__ = [
    "INIT_SCHEMES",
    "Backward",
    "BatchPlan",
    "Divergence",
    "Forward",
    "GradCheck",
    "GradEntry",
    "History",
    "Metrics",
    "Params",
    "StepRecord",
    "TrainTest",
    "Trainer",
    "backward",
    "forward",
    "gradient_check",
    "init_params",
    "mse_loss",
    "regression_metrics",
    "relative_error",
    "sgd_update",
    "sigmoid",
]
