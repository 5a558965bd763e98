"""Running an analysis serially or over processes: analyze_clip, workers, seams, cores, isolated runs."""
