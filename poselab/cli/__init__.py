"""The command line, ``python -m poselab``: analyze, models, library."""
