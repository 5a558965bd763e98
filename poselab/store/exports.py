"""Export files for other tools: landmarks (CSV, Parquet, JSON), angles CSV, OpenSim .trc, and one zip of all.

The .trc holds the world landmarks of one person in metres, turned from MediaPipe's camera-like axes
(x right, y down, z away from the camera) to OpenSim's (X right, Y up, Z toward the camera): (x, -y, -z).
"""

from __future__ import annotations

import json
import math
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from poselab.assess.ergo_output import EXPORT_NOTES
from poselab.media.decode import SUPPORTED_TYPES
from poselab.motion import angles
from poselab.motion.reps import RepSpec, count_reps
from poselab.motion.smoothing import SmoothingSettings
from poselab.sequence import PoseSequence
from poselab.skeleton import LANDMARK_NAMES
from poselab.store.analysis import Analysis
from poselab.store.tables import LANDMARK_COLUMNS, landmarks_frame, summary

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


@dataclass(frozen=True)
class ExportOptions:
    """What the exports take from the user's view: the angles' smoothing, space and visibility threshold,
    the rep counter's angle and thresholds (None: no reps file), and the library's notes and tags."""

    smoothing: SmoothingSettings = field(default_factory=SmoothingSettings)
    space: str = "world"
    visibility_threshold: float = 0.5
    reps: RepSpec | None = None
    person: int = 0
    notes: str = ""
    tags: tuple[str, ...] = ()


def angles_export(sequence: PoseSequence, options: ExportOptions = ExportOptions()) -> pd.DataFrame | None:
    """The angles.csv table: one row per frame x detected person; ``<angle>_deg`` after the chosen smoothing,
    then ``<angle>_vel_deg_s`` (its angular velocity). None when no frame has a pose."""
    smoothed = options.smoothing.apply(sequence) if options.smoothing.method != "none" else sequence
    series = angles.compute_angles(smoothed, options.space, options.visibility_threshold)
    table = angles.series_frame(series, sequence.detected())
    if not len(table):
        return None
    velocity = angles.angular_velocity_deg_s(series.values_deg, series.time_s)
    frames, slots = table["frame"].to_numpy(), table["person"].to_numpy()
    for column, name in enumerate(series.names):
        table[f"{name}_vel_deg_s"] = velocity[frames, slots, column].round(2)
    return table


def reps_export(sequence: PoseSequence, options: ExportOptions) -> pd.DataFrame | None:
    """reps.csv: one row per repetition of ``options.reps`` on the smoothed angle (None without a spec)."""
    spec = options.reps
    if spec is None:
        return None
    smoothed = options.smoothing.apply(sequence) if options.smoothing.method != "none" else sequence
    series = angles.compute_angles(smoothed, options.space, options.visibility_threshold,
                                   angles=(angles.ANGLE_BY_NAME[spec.angle],))
    values = series.of(spec.angle, options.person) if sequence.num_slots > options.person else \
        np.full(sequence.num_frames, np.nan)
    reps = count_reps(series.time_s, values, spec.low_deg, spec.high_deg)
    return pd.DataFrame([{"rep": i + 1, "angle": spec.angle, "person": options.person, "low_deg": spec.low_deg,
                          "high_deg": spec.high_deg, **rep.to_dict()} for i, rep in enumerate(reps)],
                        columns=REPS_COLUMNS)


REPS_COLUMNS = ["rep", "angle", "person", "low_deg", "high_deg", "start_s", "end_s", "min_deg", "max_deg",
                "duration_s"]


def export_all(analysis: Analysis, out: Path, options: ExportOptions = ExportOptions()) -> list[Path]:
    """Every export of one analysis into ``out`` plus ``<stem>.zip`` of them all with a README."""
    out.mkdir(parents=True, exist_ok=True)
    sequence = analysis.sequence
    stem = safe_stem(analysis.name)
    written = [out / "landmarks.csv", out / "landmarks.parquet", out / "landmarks.json", out / f"{stem}.trc",
               out / "summary.json"]
    landmarks_frame(sequence).to_csv(written[0], index=False, float_format="%.6g")
    write_landmarks_parquet(sequence, written[1])
    write_landmarks_json(sequence, written[2])
    write_trc(sequence, written[3])
    written[4].write_text(json.dumps(summary(sequence) | {"name": analysis.name}, indent=2) + "\n")
    angle_table = angles_export(sequence, options)
    if angle_table is not None:
        angle_table.to_csv(out / "angles.csv", index=False, float_format="%.6g")
        written.append(out / "angles.csv")
    reps = reps_export(sequence, options)
    if reps is not None:
        reps.to_csv(out / "reps.csv", index=False)
        written.append(out / "reps.csv")
    if analysis.annotated_path is not None:
        shutil.copyfile(analysis.annotated_path, out / "annotated.mp4")
        written.append(out / "annotated.mp4")
    written += _ergonomics(analysis, out)
    readme = out / "README.md"
    readme.write_text(readme_text(analysis, [p.name for p in written], angle_table, options))
    written.append(readme)
    archive = out / f"{stem}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in written:
            # An MP4 is already compressed: store it as is rather than spend CPU deflating it.
            kind = zipfile.ZIP_STORED if path.suffix == ".mp4" else zipfile.ZIP_DEFLATED
            bundle.write(path, arcname=f"{stem}/{path.name}", compress_type=kind)
    return [*written, archive]


def download_name(analysis_name: str, file_name: str) -> str:
    """What a browser saves an export as: named after the analysis, so two analyses' files never collide
    (``pose_squats.mp4``'s landmarks.csv -> ``pose_squats_landmarks.csv``; its .trc and .zip keep the stem)."""
    stem = safe_stem(analysis_name)
    if file_name.startswith(stem):
        return file_name
    return f"{stem}_{file_name}"


def _ergonomics(analysis: Analysis, out: Path) -> list[Path]:
    """rula.csv, reba.csv, ergonomics.json and the HTML report (issue 15), default inputs flagged."""
    from poselab.assess.ergo_output import export_ergonomics
    from poselab.media.decode import read_frame_at

    source = analysis.source_path
    return export_ergonomics(analysis.sequence, out, None if source is None else lambda t: read_frame_at(source, t))


def readme_text(analysis: Analysis, files: list[str], angle_table: pd.DataFrame | None,
                options: ExportOptions = ExportOptions()) -> str:
    info = analysis.sequence.video
    settings = ", ".join(f"{k} = {v}" for k, v in analysis.settings.to_dict().items())
    lines = [
        f"# PoseLab export: {analysis.name}", "",
        f"Source: {info.source_name or '?'} ({info.width}x{info.height}, {info.fps:.3g} fps, "
        f"{analysis.sequence.num_frames} frames).", "",
        f"Model settings: {settings}.", "",
        f"Tags: {', '.join(options.tags) or '(none)'}", "",
        "Notes:" + (f"\n\n{options.notes.strip()}" if options.notes.strip() else " (none)"), "",
        "## Files", "",
        *[f"- `{name}`: {_file_note(name)}" for name in files], "",
        "## Landmark columns (landmarks.csv, .parquet; the same fields nest in landmarks.json)", "",
        "One row per frame x person x landmark.", "",
        "| column | unit / meaning |", "| --- | --- |",
        *[f"| `{column}` | {unit} |" for column, unit in LANDMARK_UNITS.items()], "",
        "Rows exist only for frames where the person was found. Landmark names: " + ", ".join(LANDMARK_NAMES) + ".",
        "", "## OpenSim marker file (.trc)", "",
        "World landmarks of person 0 in metres, Frame# from 1, Time in seconds. Axes turned to OpenSim's "
        "convention: X = world_x_m, Y = -world_y_m (up), Z = -world_z_m (toward the camera). Blank = not found.",
    ]
    if angle_table is not None:
        smoothing = ", ".join(f"{k} = {v}" for k, v in options.smoothing.to_dict().items())
        lines += ["", "## Angle columns (angles.csv)", "",
                  "One row per frame x person (frames where the person was found; `frame` from 0). Angles from "
                  f"the {options.space} landmarks, landmarks below visibility {options.visibility_threshold:g} "
                  f"left out, after smoothing: {smoothing}. Joint angles are 180 when straight; trunk incline "
                  "is 0 upright. Blank = not measured.", "",
                  *[f"- `{c}`" + _angle_unit(c) for c in angle_table.columns]]
    if options.reps is not None:
        spec = options.reps
        lines += ["", "## Repetitions (reps.csv)", "",
                  f"One row per repetition of `{spec.angle}` (person {options.person}): a rep starts when the "
                  f"angle drops below {spec.low_deg:g} deg and ends when it is back above {spec.high_deg:g} deg. "
                  "Times in seconds from the clip start, angles in degrees."]
    return "\n".join(lines) + "\n"


def _angle_unit(column: str) -> str:
    if column.endswith("_vel_deg_s"):
        return ": angular velocity, degrees per second"
    if column.endswith("_deg"):
        return ": degrees"
    return {"frame": ": frame index from 0", "time_s": ": seconds from the clip start",
            "person": ": person slot from 0"}.get(column, "")


def _file_note(name: str) -> str:
    return _FILE_NOTES.get(name) or _FILE_NOTES.get(Path(name).suffix, "")


_FILE_NOTES = {
    "landmarks.csv": "landmarks, one row per frame x person x landmark",
    "angles.csv": "joint angles and angular velocities, one row per frame x person",
    "reps.csv": "repetitions, one row per rep",
    ".parquet": "the landmarks table as Parquet (typed columns)",
    ".json": "landmarks nested per frame and person, with the summary and units",
    ".trc": "OpenSim marker trajectories (see below)",
    ".mp4": "the clip with the skeleton drawn (H.264)",
    "summary.json": "figures of the run: frames, fps, detection rate, settings",
    "README.md": "this file",
    **EXPORT_NOTES,
}


def _frame_rate(sequence: PoseSequence) -> float:
    if sequence.video.fps > 0:
        return float(sequence.video.fps)
    steps = np.diff(sequence.time_s)
    return float(1 / np.median(steps)) if steps.size and np.median(steps) > 0 else 1.0


def _num(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)


def safe_stem(name: str) -> str:
    """A file-name stem from an analysis name: a media suffix dropped (``pose_squats.mp4`` -> ``pose_squats``),
    anything but letters, digits, - and _ turned into _."""
    name = name.strip()
    if Path(name).suffix.lower().lstrip(".") in SUPPORTED_TYPES:
        name = Path(name).stem
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_")
    return stem[:60] or "analysis"
