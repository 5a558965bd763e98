"""Compare page: two saved analyses side by side, their curves aligned, and what changed."""

from components.compare_view import compare_page

compare_page()
