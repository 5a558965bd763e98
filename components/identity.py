"""Who is using PoseLab: a signed-in person (Streamlit's ``st.login``, OpenID Connect) or the one local user.

Sign-in is on when ``.streamlit/secrets.toml`` (or a file named by ``--secrets.files``) has an ``[auth]``
section: then every page needs it, and a visitor sees the sign-in screen and nothing else. Without it PoseLab
is one person's tool on their own machine, as before: no login, everything in the local library.

``current_user()`` is what every library call passes as ``user=``: the page gate in app.py is not the only
check, because Streamlit can run a page script without app.py (a deep link as a server's first request runs
``pages/*.py`` in its legacy multipage mode), so asking for the user also stops a visitor who is not signed in.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from poselab.errors import PoseLabError
from poselab.store.library import Library
from poselab.store.owners import LOCAL_USER, Principal

_REMEMBERED = "identity.remembered"  # the principal key already written to the library's users table
_log = logging.getLogger(__name__)


def auth_configured() -> bool:
    """Whether the secrets hold an ``[auth]`` section (sign-in required for every page)."""
    try:
        return bool(st.secrets.get("auth"))
    except (FileNotFoundError, KeyError, PoseLabError):
        return False
    except Exception:  # a malformed secrets file: Streamlit reports it itself on st.login
        _log.warning("could not read the secrets file", exc_info=True)
        return False


def signed_in() -> bool:
    return bool(st.user.get("is_logged_in"))


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The identity token's issuer and subject name a person for good (an e-mail address can change hands)."""
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not issuer or not subject:
        raise PoseLabError("the sign-in provider sent no issuer or subject: PoseLab cannot tell who you are")
    return Principal(issuer=issuer, subject=subject, email=str(claims.get("email") or ""),
                     name=str(claims.get("name") or claims.get("preferred_username") or ""))


def current_user() -> Principal:
    """The signed-in person, or ``LOCAL_USER`` without sign-in; a visitor not signed in gets the sign-in screen
    and the script stops there."""
    if not auth_configured():
        return LOCAL_USER
    if not signed_in():
        sign_in_screen()
        st.stop()
    principal = principal_from_claims(dict(st.user.to_dict()))
    if st.session_state.get(_REMEMBERED) != principal.key:
        # So others can share with this person by name or e-mail: written once per session, never read back
        # as a proof of anything (the identity always comes from the signed token in st.user).
        try:
            Library(user=principal).remember_user(principal)
            st.session_state[_REMEMBERED] = principal.key
        except PoseLabError as error:
            _log.warning("could not record %s in the users table: %s", principal.key, error)
    return principal


def sign_in_screen() -> None:
    st.title(":material/accessibility_new: PoseLab")
    st.write("Sign in to see your analyses. Each person's clips and results are private to them unless they "
             "share one.")
    st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login, key="identity.sign_in")


def gate(pages: Sequence[StreamlitPage]) -> list[StreamlitPage]:
    """The pages a visitor may see: all of them (with who is signed in in the sidebar), or, when sign-in is
    configured and nobody is signed in, the sign-in screen alone."""
    if not auth_configured():
        st.sidebar.caption(":material/person: Single-user mode: no sign-in; every analysis on this machine is "
                           "yours.")
        return list(pages)
    if not signed_in():
        return [st.Page(sign_in_screen, title="Sign in", icon=":material/login:", url_path="sign-in")]
    try:
        user = current_user()
    except PoseLabError as error:  # a provider that sends no subject: say so, never a traceback
        st.error(f"Signed in, but {error}.")
        st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="identity.sign_out")
        st.stop()
    with st.sidebar:
        st.caption(f":material/account_circle: Signed in as **{user.name or user.email or user.subject}**"
                   + (f" · {user.email}" if user.email and user.name else ""))
        st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="identity.sign_out")
    return list(pages)
