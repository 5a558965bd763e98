"""The Library's "Classes" tab: mark frame ranges of saved analyses with class names of your own, then train a
k-nearest-neighbour classifier on every mark (saved in the library by name; the Postures tab applies it)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from poselab.assess.taught import train
from poselab.errors import PoseLabError
from poselab.store.classifiers import load_marks, save_classifier, save_marks
from poselab.store.library import Entry, Library


def classes_editor(library: Library, entry: Entry) -> None:
    """``library``: the user's (their marks and classifiers are theirs; marks may name entries shared with
    them, which they can read)."""
    user = library.user
    sequence = library.load(entry.id).sequence
    marks = load_marks(user=user)
    first_col, person_col, label_col = st.columns([3, 1, 2])
    first, last = first_col.slider("Frames", 0, max(sequence.num_frames - 1, 1), (0, 0), key="classes.range",
                                   help="The frame range to mark (frame numbers as in the frame inspector, from 0)")
    person = person_col.number_input("Person", 0, max(sequence.num_slots - 1, 0), 0, key="classes.person")
    label = label_col.text_input("Class name", key="classes.label", placeholder="e.g. squat down")
    if st.button("Add mark", key="classes.add", disabled=not label.strip()):
        marks.append({"analysis": entry.id, "name": entry.name, "person": int(person), "first": int(first),
                      "last": int(last), "label": label.strip()})
        save_marks(marks, user=user)
    if not marks:
        st.caption("No marks yet.")
        return
    table = pd.DataFrame(marks)[["name", "person", "first", "last", "label"]]
    st.dataframe(table, hide_index=True, width="stretch")
    # The table is drawn on a canvas: this line is the mark count a reader (and a screen reader) can see.
    frames = (table["last"] - table["first"] + 1).groupby(table["label"], sort=False).sum()
    st.caption("Marked: " + ", ".join(f"{label} {count} frame(s)" for label, count in frames.items()))
    if st.button("Clear all marks", key="classes.clear"):
        save_marks([], user=user)
        st.rerun()
    name = st.text_input("Classifier name", key="classes.name", placeholder="e.g. squat phases")
    if st.button("Train classifier", key="classes.train", type="primary", disabled=not name.strip()):
        try:
            sequences = {m["analysis"]: library.load(m["analysis"]).sequence for m in marks}
            classifier = train(name.strip(), [(sequences[m["analysis"]], m["person"], m["first"], m["last"],
                                               m["label"]) for m in marks])
            save_classifier(classifier, user=user)
        except PoseLabError as error:
            st.error(str(error))
            return
        st.success(f"Saved classifier {classifier.name!r}: {len(classifier.labels)} frames, classes "
                   f"{', '.join(classifier.classes)}; leave-one-out accuracy "
                   f"{100 * classifier.leave_one_out_accuracy():.0f} %")
        if thin := classifier.thin_classes():
            st.warning(f"Mark more frames of {', '.join(thin)}: a class needs {classifier.top_by_mean} or more "
                       "frames to win the neighbours' vote.")
