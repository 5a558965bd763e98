"""Small browser-side helpers for what Streamlit cannot do from Python.

``keep_3d_camera(name)``: Streamlit derives a Plotly chart's element id from its figure, so every frame-slider
step builds the frame's 3D chart anew and Plotly's ``uirevision`` finds no earlier view to keep: a rotated or
zoomed view snapped back. The script remembers the camera the user left (Plotly's ``plotly_relayout`` event)
per chart and puts it back on each new drawing of that chart. Charts are found by the class Streamlit gives a
keyed container (``st-key-<key>``); one watcher per browser tab serves every such chart.
"""

from __future__ import annotations

import re

import streamlit as st

CAMERA_PREFIX = "keepcam-"

_KEEP_CAMERA_JS = """<script>
if (!window.poselabCameras) {
  window.poselabCameras = {};
  setInterval(() => {
    for (const box of document.querySelectorAll('[class*="st-key-keepcam-"]')) {
      const name = Array.from(box.classList).find(c => c.startsWith('st-key-keepcam-'));
      const plot = box.querySelector('.js-plotly-plot');
      const scene = plot && plot._fullLayout && plot._fullLayout.scene && plot._fullLayout.scene._scene;
      if (!scene || plot.poselabData === plot.data) continue;
      plot.poselabData = plot.data;  // a new drawing (a new chart, or new data in this one)
      const saved = window.poselabCameras[name];
      if (saved) {
        scene.setViewport({camera: {...saved, projection: saved.projection || {type: 'perspective'}},
                           aspectratio: scene.glplot.getAspectratio()});
      }
      if (!plot.poselabListening) {
        plot.poselabListening = true;
        plot.on('plotly_relayout', change => {
          if (change['scene.camera']) window.poselabCameras[name] = change['scene.camera'];
        });
      }
    }
  }, 50);
}
</script>"""


def camera_key(name: str) -> str:
    """The container key whose 3D chart keeps its camera (``name``: unique on the page)."""
    return CAMERA_PREFIX + re.sub(r"[^a-zA-Z0-9_-]", "-", name)


def keep_3d_camera() -> None:
    """Installs the camera keeper in the browser tab (once; later calls draw the same inert element)."""
    st.html(_KEEP_CAMERA_JS, unsafe_allow_javascript=True)
