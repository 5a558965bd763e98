"""Assessments from a pose sequence: ergonomic scores, fall events, posture classes."""

from poselab.assess.ergo_angles import Calibration, PostureAngles, calibrate, measure
from poselab.assess.ergonomics import ErgoInputs, ErgoResult, assess, rescore, scores_frame
from poselab.assess.falls import FallEvent, detect_falls, events_json
from poselab.assess.postures import POSTURES, classify_postures, posture_shares, postures_frame

"""Assessments from a pose sequence: ergonomic scores, fall events, posture classes."""



__all__ = [
    "POSTURES",
    "Calibration",
    "ErgoInputs",
    "ErgoResult",
    "FallEvent",
    "PostureAngles",
    "assess",
    "calibrate",
    "classify_postures",
    "detect_falls",
    "events_json",
    "measure",
    "posture_shares",
    "postures_frame",
    "rescore",
    "scores_frame",
]
