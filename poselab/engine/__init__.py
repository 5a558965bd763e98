"""Landmarks from frames in one process: models, the landmarker (only MediaPipe import), slots, pipeline."""
