"""The ergonomic assessment as one self-contained HTML file (inline CSS, SVG and JPEG; prints on A4).

Sections: the clip, the inputs (user-set or default), the calibration, per method the level timeline of each
person, the share of time per level, the worst moments with their frames and breakdowns, and the limits.
"""

from __future__ import annotations

import base64
import html
import time
from typing import Any

import numpy as np

from poselab import __version__
from poselab.assess.ergo_summary import LEVEL_KEY, LEVEL_TEXT, LIMITS, level_shares, worst_moments
from poselab.assess.ergonomics import ErgoResult

LEVEL_RGB = {  # by level: green -> red
    "rula": {1: "#3a9d4f", 2: "#e8c547", 3: "#ee8a2f", 4: "#d23a32"},
    "reba": {1: "#3a9d4f", 2: "#9cc65a", 3: "#e8c547", 4: "#ee8a2f", 5: "#d23a32"},
}
METHOD_TITLE = {"rula": "RULA (McAtamney & Corlett 1993)", "reba": "REBA (Hignett & McAtamney 2000)"}
LEVEL_NAME = {"rula": "action level", "reba": "risk level"}
UNSCORED_RGB = "#d0d0d0"

CSS = """
@page { size: A4; margin: 14mm; }
body { font: 10.5pt/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; max-width: 190mm;
       margin: 0 auto; padding: 8px; }
h1 { font-size: 17pt; margin: 0 0 2px; } h2 { font-size: 13pt; margin: 18px 0 6px; border-bottom: 1px solid #999; }
h3 { font-size: 11pt; margin: 10px 0 4px; }
table { border-collapse: collapse; margin: 4px 0 8px; } td, th { border: 1px solid #bbb; padding: 2px 6px;
       text-align: left; vertical-align: top; } th { background: #eee; }
.muted { color: #666; } .flag { color: #8a5a00; font-weight: 600; }
.moment { display: flex; gap: 10px; align-items: flex-start; break-inside: avoid; margin-bottom: 10px; }
.moment img { max-width: 85mm; max-height: 85mm; border: 1px solid #999; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border: 1px solid #555; }
section { break-inside: auto; } .method { break-before: page; }
@media print { body { max-width: none; } a { color: inherit; text-decoration: none; } }
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _jpeg_data_uri(image_rgb: np.ndarray, max_side_px: int = 640) -> str:
    import cv2

    height, width = image_rgb.shape[:2]
    scale = min(1.0, max_side_px / max(height, width))
    if scale < 1.0:
        image_rgb = cv2.resize(image_rgb, (int(width * scale), int(height * scale)), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 82])
    return "data:image/jpeg;base64," + base64.b64encode(data.tobytes()).decode() if ok else ""


def timeline_svg(result: ErgoResult, method: str, slot: int, width_px: int = 680, height_px: int = 26) -> str:
    """A band along time coloured by the person's level (worse side) per frame; grey where unscored."""
    levels = result.scores(method)[LEVEL_KEY[method]][:, slot]
    with np.errstate(invalid="ignore"):
        level = np.fmax(levels[:, 0], levels[:, 1])
    detected = result.sequence.detected()[:, slot]
    frames = len(level)
    if not frames:
        return ""
    step = width_px / frames
    colours = [None if not detected[i] else LEVEL_RGB[method][int(level[i])] if np.isfinite(level[i])
               else UNSCORED_RGB for i in range(frames)]
    rects = []
    start = 0
    for index in range(1, frames + 1):  # one rectangle per run of one colour: small files for long clips
        if index < frames and colours[index] == colours[start]:
            continue
        if colours[start] is not None:
            rects.append(f'<rect x="{start * step:.2f}" y="0" width="{(index - start) * step + 0.3:.2f}" '
                         f'height="{height_px}" fill="{colours[start]}"/>')
        start = index
    duration = float(result.sequence.time_s[-1] - result.sequence.time_s[0]) if frames > 1 else 0.0
    axis = (f'<text x="0" y="{height_px + 12}" font-size="10">0 s</text>'
            f'<text x="{width_px}" y="{height_px + 12}" font-size="10" text-anchor="end">{duration:.1f} s</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_px}" height="{height_px + 14}" '
            f'viewBox="0 0 {width_px} {height_px + 14}" role="img" aria-label="{method} level over time">'
            f'<rect width="{width_px}" height="{height_px}" fill="#f4f4f4"/>{"".join(rects)}{axis}</svg>')


def _legend(method: str) -> str:
    items = [f'<span class="swatch" style="background:{LEVEL_RGB[method][level]}"></span>{level} {_e(text)}'
             for level, text in LEVEL_TEXT[method].items()]
    items.append(f'<span class="swatch" style="background:{UNSCORED_RGB}"></span>not scored')
    return '<p class="muted">' + " &nbsp; ".join(items) + "</p>"


def _inputs_table(result: ErgoResult) -> str:
    rows = []
    for name, item in result.inputs.described().items():
        source = ('<span class="flag">default (not seen by the camera)</span>' if item["source"] == "default"
                  else "set by the user")
        rows.append(f"<tr><td>{_e(name)}</td><td>{_e(item['value'])}</td><td>{source}</td>"
                    f"<td>{_e(item['meaning'])}</td></tr>")
    return "<table><tr><th>input</th><th>value</th><th>source</th><th>meaning</th></tr>" + "".join(rows) + "</table>"


def _calibration_text(result: ErgoResult) -> str:
    calibration = result.angles.calibration
    if calibration is None:
        return ('<p class="flag">No calibration frame: the camera is assumed level, and raised shoulders are '
                "not assessed.</p>")
    people = calibration.to_dict()["people"]
    parts = [f"person {p}: camera tilt {v['tilt_deg']:.1f}°, neck offset {v['neck_offset_deg']:.1f}°"
             for p, v in people.items()]
    return f"<p>Calibrated on frame {calibration.frame}: " + "; ".join(parts) + ".</p>"


def _shares_table(method: str, people: dict[str, dict[str, Any]]) -> str:
    levels = list(LEVEL_TEXT[method])
    head = "".join(f"<th>{LEVEL_NAME[method]} {level}</th>" for level in levels)
    rows = []
    for person, facts in people.items():
        cells = "".join(f"<td>{100 * facts['share_by_level'][str(level)]:.0f} %</td>" for level in levels)
        rows.append(f"<tr><td>{_e(person)}</td>{cells}<td>{facts['seconds_scored']:.1f} s</td>"
                    f"<td>{100 * facts['unscored_share']:.0f} %</td><td>{facts['max_score']}</td></tr>")
    return (f"<table><tr><th>person</th>{head}<th>time scored</th><th>not scored</th><th>highest score</th></tr>"
            + "".join(rows) + "</table>")


def _moment_html(result: ErgoResult, method: str, moment: dict[str, Any], image_rgb: np.ndarray | None) -> str:
    from poselab.assess.ergo_draw import ergo_frame

    figure = ""
    if image_rgb is not None:
        drawn = ergo_frame(image_rgb, result, moment["frame"], moment["person"])
        figure = f'<img alt="frame {moment["frame"]}" src="{_jpeg_data_uri(drawn)}">'
    breakdown = "".join(f"<tr><td>{_e(k)}</td><td>{'–' if v is None else v}</td></tr>"
                        for k, v in moment["breakdown"].items())
    angles = ", ".join(f"{k.replace('_', ' ')} {v:.0f}°" for k, v in moment["angles_deg"].items() if v is not None)
    level = moment["breakdown"][LEVEL_KEY[method]]
    title = (f"t = {moment['time_s']:.2f} s (frame {moment['frame']}), person {moment['person']}, "
             f"{moment['side']} side: score {moment['breakdown']['score']}, {LEVEL_NAME[method]} {level}")
    return (f'<div class="moment">{figure}<div><h3>{_e(title)}</h3><table>{breakdown}</table>'
            f'<p class="muted">Angles ({moment["side"]} side): {_e(angles)}</p></div></div>')


def _method_section(result: ErgoResult, method: str, frames_rgb: dict[int, np.ndarray]) -> str:
    people = level_shares(result, method)
    timelines = "".join(f"<h3>Person {p}</h3>{timeline_svg(result, method, int(p))}" for p in people)
    moments = "".join(_moment_html(result, method, m, frames_rgb.get(m["frame"]))
                      for m in worst_moments(result, method))
    return (f'<section class="method"><h2>{METHOD_TITLE[method]}</h2>'
            f"<h3>{LEVEL_NAME[method].capitalize()} over time (worse side per frame)</h3>{_legend(method)}{timelines}"
            f"<h3>Share of time per {LEVEL_NAME[method]}</h3>{_shares_table(method, people)}"
            f"<h3>Worst moments</h3>{moments or '<p>No frame could be scored.</p>'}</section>")


def report_html(result: ErgoResult, methods: tuple[str, ...], frames_rgb: dict[int, np.ndarray], title: str) -> str:
    """The whole report as one HTML string."""
    info = result.sequence.video
    clip = (f"{_e(title or 'clip')}: {result.sequence.num_frames} frames, {info.duration_s:.1f} s"
            + (f", {info.fps:.0f} fps" if info.fps else "")
            + (f", {info.width}×{info.height} px" if info.width else ""))
    limits = "".join(f"<li>{_e(text)}</li>" for text in LIMITS)
    body = (f"<h1>Ergonomic assessment</h1><p class=\"muted\">{clip}<br>PoseLab {__version__}, "
            f"{time.strftime('%Y-%m-%d %H:%M')}</p>"
            f"<h2>Inputs</h2>{_inputs_table(result)}<h2>Calibration</h2>{_calibration_text(result)}"
            + "".join(_method_section(result, method, frames_rgb) for method in methods)
            + f"<h2>Limits of this assessment</h2><ul>{limits}</ul>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Ergonomic assessment: {_e(title)}'
            f"</title><style>{CSS}</style></head><body>{body}</body></html>\n")
