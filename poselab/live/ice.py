"""ICE servers (STUN/TURN) for the live webcam's WebRTC connection, from JSON configuration."""

from __future__ import annotations

import json

from poselab.errors import InputError

ICE_ENV = "POSELAB_ICE_SERVERS"


def parse_ice_servers(text: str | None) -> list[dict]:
    """ICE servers from JSON (a list of {"urls": ..., "username": ..., "credential": ...}).

    Empty or unset means none: host candidates only, which is all localhost and a LAN need, and
    never a call to a public STUN server that an offline site cannot reach anyway.
    """
    if not text or not text.strip():
        return []
    try:
        servers = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{ICE_ENV} is not valid JSON: {error}") from error
    if isinstance(servers, dict):
        servers = servers.get("iceServers", [servers] if "urls" in servers else [])
    if not isinstance(servers, list) or not all(isinstance(s, dict) and "urls" in s for s in servers):
        raise InputError(f'{ICE_ENV} must be a JSON list of {{"urls": ...}} objects')
    return servers
