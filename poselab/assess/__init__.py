"""Assessments from a pose sequence: ergonomic scores, fall events, posture classes."""

from poselab.assess.ergo_angles import Calibration, PostureAngles, calibrate, measure
from poselab.assess.ergonomics import ErgoInputs, ErgoResult, assess, rescore, scores_frame
from poselab.assess.falls import FallEvent, detect_falls, events_json

__all__ = [
    "Calibration",
    "ErgoInputs",
    "ErgoResult",
    "FallEvent",
    "PostureAngles",
    "assess",
    "calibrate",
    "detect_falls",
    "events_json",
    "measure",
    "rescore",
    "scores_frame",
]
