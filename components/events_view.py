"""The "Events" result tab: fall events per person on a timeline, each with a thumbnail of its impact frame and
a button that moves the frame inspector there."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from components.analyze_views import overlay_image
from components.result_context import ResultContext, go_to_frame
from poselab.assess.falls import FallEvent, detect_falls

THUMB_WIDTH_PX = 220


def _frame_of(ctx: ResultContext, time_s: float) -> int:
    return int(np.argmin(np.abs(ctx.sequence.time_s - time_s)))



def _timeline(ctx: ResultContext, events: list[FallEvent]) -> go.Figure:
    sequence = ctx.sequence
    figure = go.Figure()
    seen = sequence.detected()
    for person in range(sequence.num_slots):
        times = sequence.time_s[seen[:, person]]
        figure.add_trace(go.Scatter(x=times, y=[f"person {person}"] * len(times), mode="markers",
                                    marker={"size": 4, "color": "#bbbbbb"}, name=f"person {person} seen",
                                    showlegend=False))
    for event in events:
        figure.add_trace(go.Scatter(x=[event.start_s, event.impact_s, event.end_s],
                                    y=[f"person {event.person}"] * 3, mode="lines+markers",
                                    line={"color": "#d62728", "width": 6}, marker={"size": [6, 14, 6]},
                                    name=f"fall at {event.impact_s:.2f} s", showlegend=False))
    figure.add_vline(x=ctx.time_s, line_dash="dot", line_color="#1f77b4")
    figure.update_layout(height=90 + 40 * max(1, sequence.num_slots), margin={"l": 10, "r": 10, "t": 10, "b": 30},
                         xaxis_title="time (s)")
    return figure


def events_view(ctx: ResultContext) -> None:
    events = detect_falls(ctx.sequence)
    st.plotly_chart(_timeline(ctx, events), key=f"{ctx.key}.events_timeline", config={"displaylogo": False})
    if not events:
        st.success("No fall found in this clip.")
        return
    st.error(f"{len(events)} fall event(s)", icon=":material/warning:")
    for number, event in enumerate(events):
        index = _frame_of(ctx, event.impact_s)
        thumb_col, text_col = st.columns([1, 3])
        with thumb_col:
            image_rgb = overlay_image(ctx.analysis, index, ctx.display)
            if image_rgb is not None:
                st.image(image_rgb, width=THUMB_WIDTH_PX)
        with text_col:
            still = "still down when the clip ended" if event.clip_ended else "back up"
            st.markdown(f"**Fall of person {event.person}** at **{event.impact_s:.2f} s** "
                        f"(descent from {event.start_s:.2f} s) · confidence {event.confidence:.2f} · "
                        f"down for {event.down_for_s:.1f} s, {still}")
            st.button(f"Go to frame {index + 1}", key=f"{ctx.key}.event{number}", on_click=go_to_frame,
                      args=(ctx.key, index))
