"""The "Postures" result tab: built-in posture classes per person over time and the share of time in each;
and a taught classifier from the library applied to this analysis (class timeline, time per class, reps)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from components.identity import current_user
from components.result_context import ResultContext
from poselab.assess.postures import POSTURES, posture_shares, postures_frame
from poselab.errors import PoseLabError


def _timeline(table: pd.DataFrame, column: str, order: list[str], time_s: float) -> object:
    frame = table.assign(who=[f"person {p}" for p in table["person"]])
    figure = px.scatter(frame, x="time_s", y=column, color=column, facet_row="who",
                        category_orders={column: order}, height=120 + 160 * frame["who"].nunique())
    figure.add_vline(x=time_s, line_dash="dot", line_color="#1f77b4")
    figure.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 30}, showlegend=False)
    return figure


def postures_view(ctx: ResultContext) -> None:
    table = postures_frame(ctx.sequence)
    if table.empty:
        st.info("No person was found, so there are no postures.")
        return
    st.plotly_chart(_timeline(table, "posture", list(POSTURES), ctx.time_s), key=f"{ctx.key}.postures",
                    config={"displaylogo": False})
    shares = pd.DataFrame(posture_shares(table)).fillna(0.0).rename(columns=lambda p: f"person {p}")
    st.dataframe((100 * shares).round(1).rename_axis("posture (% of time)"))
    _taught(ctx)


def _taught(ctx: ResultContext) -> None:
    from poselab.assess.taught import class_reps, classes_frame
    from poselab.store.classifiers import list_classifiers, load_classifier

    user = current_user()  # a person's taught classifiers are their own
    names = list_classifiers(user=user)
    st.markdown("**Taught classes**")
    if not names:
        st.caption("No classifier yet: mark frames with class names in the Library and train one.")
        return
    name = st.selectbox("Classifier", names, key=f"{ctx.key}.classifier")
    try:
        classifier = load_classifier(name, user=user)
    except PoseLabError as error:
        st.error(str(error))
        return
    table = classes_frame(classifier, ctx.sequence)
    if table.empty:
        st.info("No person was found, so there are no classes.")
        return
    st.plotly_chart(_timeline(table, "class", classifier.classes, ctx.time_s), key=f"{ctx.key}.classes",
                    config={"displaylogo": False})
    report = class_reps(classifier, ctx.sequence)
    st.dataframe(pd.DataFrame({cls: {"reps": info["count"], "unfinished": info["unfinished"]}
                               for cls, info in report["classes"].items()}).T.rename_axis("class"))
