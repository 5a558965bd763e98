"""Loaded by the browser tests' dashboard server only (PYTHONPATH): WebRTC stack logs into the server log.

aioice and streamlit-webrtc say at INFO why a live connection ended (for example "Consent to send
expired"), which Streamlit's logging setup leaves out; a failing live test then shows the cause.
"""

import logging
import sys

_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter("%(asctime)s webrtc-log %(name)s %(levelname)s %(message)s"))
for _name in ("aioice", "aiortc", "streamlit_webrtc"):
    _logger = logging.getLogger(_name)
    _logger.setLevel(logging.INFO)
    _logger.addHandler(_handler)
    _logger.propagate = False
