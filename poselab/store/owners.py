"""Who owns what in the library: a signed-in person is their OpenID Connect issuer + subject.

The e-mail and display name are for people to read (and to share by); the key is what rows store, because
an e-mail can change hands and a display name is not unique.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """A user as the identity provider names them."""

    issuer: str
    subject: str
    email: str = ""
    name: str = ""

    @property
    def key(self) -> str:
        return f"{self.issuer}|{self.subject}"

    @property
    def label(self) -> str:
        """What a person would recognise: name, else e-mail, else the key."""
        return self.name or self.email or self.key

    @classmethod
    def from_key(cls, key: str, email: str = "", name: str = "") -> Principal:
        issuer, _, subject = key.partition("|")
        return cls(issuer, subject, email=email, name=name)


# The one user of a PoseLab without sign-in; rows made before owners existed belong to it.
LOCAL_USER = Principal("local", "local", name="local user")


def owner_folder(owner_key: str) -> str:
    """A file-system-safe folder name for an owner (keys hold URLs and '|')."""
    return hashlib.sha256(owner_key.encode()).hexdigest()[:20]
