"""Library page: every saved analysis; open, rename, annotate, download or delete one."""

from components.library_view import library_page

library_page()
