"""Export files for other tools: landmarks (CSV, Parquet, JSON), angles CSV, OpenSim .trc, and one zip of all.

The .trc holds the world landmarks of one person in metres, turned from MediaPipe's camera-like axes
(x right, y down, z away from the camera) to OpenSim's (X right, Y up, Z toward the camera): (x, -y, -z).
"""

from __future__ import annotations

import json
import math
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from poselab import angles
from poselab.analysis import Analysis
from poselab.assess.ergo_output import EXPORT_NOTES
from poselab.export import LANDMARK_COLUMNS, landmarks_frame, summary
from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_NAMES

LANDMARK_UNITS = {
    "frame": "frame index from 0", "time_s": "seconds from the clip start", "person": "person slot from 0",
    "landmark": "BlazePose landmark name", "x_px": "pixels from the left of the upright frame",
    "y_px": "pixels from the top of the upright frame", "z": "relative depth, same scale as x / width",
    "visibility": "0..1 likelihood the landmark is visible", "presence": "0..1 likelihood it is in the frame",
    "world_x_m": "metres, origin between the hips, x right", "world_y_m": "metres, y down",
    "world_z_m": "metres, z away from the camera",
}


def angles_frame(sequence: PoseSequence) -> pd.DataFrame | None:
    """Joint angles (world landmarks, degrees) per frame and person; None when no frame has a pose."""
    table = angles.angles_frame(sequence)
    return table if len(table) else None


def write_trc(sequence: PoseSequence, path: Path, person: int = 0) -> None:
    """An OpenSim marker file (TRC, PathFileType 4) of one person's world landmarks, in metres."""
    rate = _frame_rate(sequence)
    frames = sequence.num_frames
    names = list(LANDMARK_NAMES)
    xyz = sequence.world_xyz_m[:, person].astype(np.float64) * np.array([1.0, -1.0, -1.0])
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"{rate:.6g}\t{rate:.6g}\t{frames}\t{len(names)}\tm\t{rate:.6g}\t1\t{frames}",
        "Frame#\tTime\t" + "\t".join(f"{name}\t\t" for name in names).rstrip("\t"),
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, len(names) + 1)),
        "",
    ]
    for index in range(frames):
        # OpenSim reads an empty field as a missing marker: frames without a person stay blank, not zero.
        values = ["" if math.isnan(v) else f"{v:.6f}" for v in xyz[index].ravel()]
        lines.append(f"{index + 1}\t{sequence.time_s[index]:.6f}\t" + "\t".join(values))
    path.write_text("\n".join(lines) + "\n")


def read_trc_header(path: Path) -> dict[str, Any]:
    """The header fields and marker names of a .trc (what a validator and the tests look at)."""
    lines = path.read_text().split("\n")
    keys, values = lines[1].split("\t"), lines[2].split("\t")
    header: dict[str, Any] = dict(zip(keys, values, strict=True))
    header["markers"] = [name for name in lines[3].split("\t")[2:] if name]
    header["axes"] = lines[4].split("\t")[2:]
    header["rows"] = [row.split("\t") for row in lines[6:] if row.strip()]
    return header


def write_landmarks_parquet(sequence: PoseSequence, path: Path) -> None:
    landmarks_frame(sequence).to_parquet(path, index=False)


def write_landmarks_json(sequence: PoseSequence, path: Path) -> None:
    """Nested per frame and person: {frames: [{frame, time_s, people: [{person, landmarks: {name: {...}}}]}]}."""
    table = landmarks_frame(sequence)
    values = [c for c in LANDMARK_COLUMNS if c not in ("frame", "time_s", "person", "landmark")]
    frames = []
    for (frame, time_s), rows in table.groupby(["frame", "time_s"], sort=True):
        people = []
        for person, block in rows.groupby("person", sort=True):
            marks = {row.landmark: {c: _num(getattr(row, c)) for c in values} for row in block.itertuples()}
            people.append({"person": int(person), "landmarks": marks})
        frames.append({"frame": int(frame), "time_s": float(time_s), "people": people})
    document = {"summary": summary(sequence), "units": LANDMARK_UNITS, "landmark_names": list(LANDMARK_NAMES),
                "frames": frames}
    path.write_text(json.dumps(document, allow_nan=False))


def export_all(analysis: Analysis, out: Path) -> list[Path]:
    """Every export of one analysis into ``out`` plus ``<stem>.zip`` of them all with a README."""
    out.mkdir(parents=True, exist_ok=True)
    sequence = analysis.sequence
    stem = _safe_stem(analysis.name)
    written = [out / "landmarks.csv", out / "landmarks.parquet", out / "landmarks.json", out / f"{stem}.trc",
               out / "summary.json"]
    landmarks_frame(sequence).to_csv(written[0], index=False, float_format="%.6g")
    write_landmarks_parquet(sequence, written[1])
    write_landmarks_json(sequence, written[2])
    write_trc(sequence, written[3])
    written[4].write_text(json.dumps(summary(sequence) | {"name": analysis.name}, indent=2) + "\n")
    angles = angles_frame(sequence)
    if angles is not None:
        angles.to_csv(out / "angles.csv", index=False, float_format="%.6g")
        written.append(out / "angles.csv")
    if analysis.annotated_path is not None:
        shutil.copyfile(analysis.annotated_path, out / "annotated.mp4")
        written.append(out / "annotated.mp4")
    written += _ergonomics(analysis, out)
    readme = out / "README.md"
    readme.write_text(readme_text(analysis, [p.name for p in written], angles))
    written.append(readme)
    archive = out / f"{stem}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in written:
            # An MP4 is already compressed: store it as is rather than spend CPU deflating it.
            kind = zipfile.ZIP_STORED if path.suffix == ".mp4" else zipfile.ZIP_DEFLATED
            bundle.write(path, arcname=f"{stem}/{path.name}", compress_type=kind)
    return [*written, archive]


def _ergonomics(analysis: Analysis, out: Path) -> list[Path]:
    """rula.csv, reba.csv, ergonomics.json and the HTML report (issue 15), default inputs flagged."""
    from poselab.assess.ergo_output import export_ergonomics
    from poselab.video import read_frame_at

    source = analysis.source_path
    return export_ergonomics(analysis.sequence, out, None if source is None else lambda t: read_frame_at(source, t))


def readme_text(analysis: Analysis, files: list[str], angles: pd.DataFrame | None) -> str:
    info = analysis.sequence.video
    lines = [
        f"# PoseLab export: {analysis.name}", "",
        f"Source: {info.source_name or '?'} ({info.width}x{info.height}, {info.fps:.3g} fps, "
        f"{analysis.sequence.num_frames} frames). Model: {analysis.settings.model}.", "",
        "## Files", "",
        *[f"- `{name}`: {_FILE_NOTES.get(name) or _FILE_NOTES.get(Path(name).suffix, '')}" for name in files], "",
        "## Landmark columns (landmarks.csv, .parquet; the same fields nest in landmarks.json)", "",
        "| column | unit / meaning |", "| --- | --- |",
        *[f"| `{column}` | {unit} |" for column, unit in LANDMARK_UNITS.items()], "",
        "Rows exist only for frames where the person was found. Landmark names: " + ", ".join(LANDMARK_NAMES) + ".",
        "", "## OpenSim marker file (.trc)", "",
        "World landmarks of person 0 in metres, Frame# from 1, Time in seconds. Axes turned to OpenSim's "
        "convention: X = world_x_m, Y = -world_y_m (up), Z = -world_z_m (toward the camera). Blank = not found.",
    ]
    if angles is not None:
        lines += ["", "## Angle columns (angles.csv)", "",
                  *[f"- `{c}`" + (": degrees" if c.endswith("_deg") else "") for c in angles.columns]]
    return "\n".join(lines) + "\n"


_FILE_NOTES = {
    ".csv": "table, one row per frame x person x landmark (angles.csv: one row per frame)",
    ".parquet": "the same table as Parquet (typed columns)",
    ".json": "landmarks nested per frame and person, with the summary and units",
    ".trc": "OpenSim marker trajectories (see below)",
    ".mp4": "the clip with the skeleton drawn (H.264)",
    "summary.json": "figures of the run: frames, fps, detection rate, settings",
    **EXPORT_NOTES,
}


def _frame_rate(sequence: PoseSequence) -> float:
    if sequence.video.fps > 0:
        return float(sequence.video.fps)
    steps = np.diff(sequence.time_s)
    return float(1 / np.median(steps)) if steps.size and np.median(steps) > 0 else 1.0


def _num(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)


def _safe_stem(name: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name.strip()).strip("_")
    return stem[:60] or "analysis"
