"""Batch analysis of many clips on Dask distributed (issue 17): one task per clip, on a LocalCluster or a cluster."""
