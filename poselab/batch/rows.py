"""The batch table: one row per clip, written as ``batch.csv`` and ``batch.parquet`` in the output folder.

Columns: input, status (done, failed, skipped), error, frames, fps, duration_s, people_seen, detection_rate,
elapsed_s, worker, output, library_id (with ``--save``). A row is a plain dict so it crosses between
processes and machines as it is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

COLUMNS = ("input", "status", "error", "frames", "fps", "duration_s", "people_seen", "detection_rate",
           "elapsed_s", "worker", "output", "library_id")
STATUSES = ("done", "failed", "skipped")
TABLE_CSV = "batch.csv"
TABLE_PARQUET = "batch.parquet"


def make_row(input_path: Path | str, status: str, output: Path | str = "", error: str = "",
             summary: dict[str, Any] | None = None, elapsed_s: float | None = None, worker: str = "",
             library_id: str = "") -> dict[str, Any]:
    summary = summary or {}
    return {
        "input": str(input_path), "status": status, "error": error,
        "frames": summary.get("frames"), "fps": summary.get("fps"), "duration_s": summary.get("duration_s"),
        "people_seen": summary.get("people_seen"), "detection_rate": summary.get("detection_rate"),
        "elapsed_s": round(elapsed_s, 3) if elapsed_s is not None else None, "worker": worker,
        "output": str(output) if status != "failed" else "", "library_id": library_id,
    }


def write_table(rows: list[dict[str, Any]], out: Path) -> None:
    """batch.csv and batch.parquet, each replaced in one step (a reader never sees half a table)."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("frames", "people_seen"):
        frame[column] = frame[column].astype("Int64")
    for column in ("fps", "duration_s", "detection_rate", "elapsed_s"):
        frame[column] = frame[column].astype("Float64")
    for name, write in ((TABLE_CSV, lambda p: frame.to_csv(p, index=False)),
                        (TABLE_PARQUET, lambda p: frame.to_parquet(p, index=False))):
        temporary = out / f".{name}.tmp"
        write(temporary)
        os.replace(temporary, out / name)


def summary_lines(rows: list[dict[str, Any]]) -> list[str]:
    """What the command prints at the end: the counts, then each failed clip with its reason."""
    counts = {status: sum(r["status"] == status for r in rows) for status in STATUSES}
    lines = [f"{len(rows)} clips: {counts['done']} done, {counts['skipped']} skipped (already done), "
             f"{counts['failed']} failed"]
    lines += [f"failed: {r['input']}: {r['error']}" for r in rows if r["status"] == "failed"]
    return lines


def exit_code(rows: list[dict[str, Any]]) -> int:
    """0 when every clip is done or skipped, 1 when some failed."""
    return 1 if any(r["status"] == "failed" for r in rows) else 0
