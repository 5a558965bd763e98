"""Batch page: analyse many clips at once on the Dask cluster; the results go to the Library."""

from components.batch_view import batch_page

batch_page()
