"""Motion from landmarks: smoothing, joint angles, repetitions, quality figures, comparisons."""
