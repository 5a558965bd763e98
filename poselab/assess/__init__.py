"""Assessments from a pose sequence: ergonomic scores (RULA, REBA) now; falls and posture classes later."""

from poselab.assess.ergo_angles import Calibration, PostureAngles, calibrate, measure
from poselab.assess.ergonomics import ErgoInputs, ErgoResult, assess, rescore, scores_frame

__all__ = ["Calibration", "ErgoInputs", "ErgoResult", "PostureAngles", "assess", "calibrate", "measure", "rescore",
           "scores_frame"]
