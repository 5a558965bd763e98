"""The Library's "Sharing" tab: let named colleagues open one of your analyses (read-only), see who can, and
take it back. Only with sign-in configured: a single-user PoseLab has nobody to share with.

People are offered by the name and e-mail they signed in with (``Library.list_users``); the share itself
names their issuer + subject, so a reused e-mail address never inherits it.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from poselab.errors import PoseLabError
from poselab.store.library import Entry, Library
from poselab.store.owners import Principal


def person_label(person: Principal) -> str:
    if person.name and person.email:
        return f"{person.name} ({person.email})"
    return person.label


def owner_labels(library: Library) -> dict[str, str]:
    """Every known user's key -> what people read (for "shared by ..." captions)."""
    try:
        return {p.key: person_label(p) for p in library.list_users()}
    except PoseLabError:
        return {}


def sharing_tab(library: Library, entry: Entry, me: Principal) -> None:
    if entry.read_only:
        st.caption("Shared with you read-only: only its owner can share it.")
        return
    try:
        shared_with = library.shares(entry.id)
        others = [p for p in library.list_users() if p.key != me.key]
    except PoseLabError as error:
        st.error(str(error))
        return
    if shared_with:
        st.write("Shared with:")
        for person in shared_with:
            name_col, button_col = st.columns([4, 1])
            name_col.write(person_label(person))
            if button_col.button("Stop sharing", key=f"library.unshare.{entry.id}.{person.key}",
                                 icon=":material/person_remove:"):
                _act(lambda p=person: library.unshare(entry.id, p.key), f"No longer shared with {person.label}")
    else:
        st.caption("Not shared: only you can see it.")
    candidates = [p for p in others if p.key not in {s.key for s in shared_with}]
    if not candidates:
        st.caption("Colleagues appear here once they have signed in to PoseLab.")
        return
    by_key = {p.key: p for p in candidates}
    with st.form(f"library.share.{entry.id}", border=False):
        chosen = st.selectbox("Share with", list(by_key), format_func=lambda k: person_label(by_key[k]),
                              key=f"library.share_with.{entry.id}",
                              help="They can open, compare and download it, but not change or delete it.")
        if st.form_submit_button("Share", icon=":material/person_add:"):
            _act(lambda: library.share(entry.id, chosen), f"Shared with {by_key[chosen].label}")


def _act(change: Callable[[], object], done: str) -> None:
    try:
        change()
    except PoseLabError as error:
        st.error(str(error))
        return
    st.toast(done, icon=":material/group:")
    st.rerun()
