"""The Live page's fall alert, the session's event list and each person's current posture, refreshed with the
other live panels from the processor's rolling window."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from poselab.assess.events import FallWatcher, current_postures
from poselab.sequence import PoseSequence

ALERT_FOR_S = 30.0  # the banner stays this long after a fall


def live_events_panel(history: PoseSequence | None, key: str) -> None:
    watcher: FallWatcher = st.session_state.setdefault(f"{key}.falls", FallWatcher())
    watcher.update(history)
    now_s = float(history.time_s[-1]) if history is not None and history.num_frames else 0.0
    recent = [e for e in watcher.events if now_s - e.impact_s <= ALERT_FOR_S]
    for event in recent:
        st.error(f"FALL: person {event.person} fell at {event.impact_s:.1f} s of the stream "
                 f"(confidence {event.confidence:.2f})", icon=":material/emergency:")
    postures = current_postures(history)
    if postures:
        st.caption("Posture now: " + " · ".join(f"person {p}: **{name}**" for p, name in postures.items()))
    if watcher.events:
        with st.expander(f"Fall events this session ({len(watcher.events)})"):
            st.dataframe(pd.DataFrame([e.to_dict() for e in watcher.events]), hide_index=True)
