"""Owners and sharing: each user sees their own and what is shared with them; anything else is "not found"
(the same words as an unknown id); shared entries are read-only; the administrator sees and reassigns all."""

from __future__ import annotations

from pathlib import Path

import pytest

from poselab.errors import InputError, PoseLabError
from poselab.store.library import Library
from poselab.store.owners import LOCAL_USER, Principal
from tests.store.test_library import make_analysis

pytestmark = pytest.mark.usefixtures("library_database")

ANN = Principal("https://idp.example", "ann-1", email="Ann@Example.org", name="Ann")
BOB = Principal("https://idp.example", "bob-2", email="bob@example.org", name="Bob")


def test_principal_key_and_local_user() -> None:
    assert ANN.key == "https://idp.example|ann-1"
    assert LOCAL_USER.key == "local|local" and LOCAL_USER.name == "local user"
    assert Principal.from_key(ANN.key) == Principal("https://idp.example", "ann-1")


def test_each_user_sees_only_their_own(tmp_path: Path) -> None:
    ann, bob = Library(user=ANN), Library(user=BOB)
    mine = ann.save(make_analysis(tmp_path / "a", name="ann's squat"))
    theirs = bob.save(make_analysis(tmp_path / "b", name="bob's lunge"))
    assert mine.owner_key == ANN.key and not mine.read_only
    assert [e.id for e in ann.list()] == [mine.id] and [e.id for e in bob.list()] == [theirs.id]
    unknown = pytest.raises(InputError, match=r"no analysis has the id")
    for action in (lambda: bob.load(mine.id), lambda: bob.get(mine.id[:4]), lambda: bob.rename(mine.id, "x"),
                   lambda: bob.delete(mine.id), lambda: bob.set_notes(mine.id, "x"),
                   lambda: bob.set_tags(mine.id, ["x"]), lambda: bob.share(mine.id, BOB.key),
                   lambda: bob.shares(mine.id)):
        with unknown as caught:
            action()
        assert mine.id in str(caught.value) or mine.id[:4] in str(caught.value)
    with pytest.raises(InputError) as missing:
        bob.load("000000000000")
    with pytest.raises(InputError) as hidden:
        bob.load(mine.id)
    assert str(hidden.value) == str(missing.value).replace("000000000000", mine.id)
    # the run cache answers only with one's own results
    assert ann.find_cached("abc123", mine.settings_key).id == mine.id
    assert bob.find_cached("abc123", mine.settings_key).id == theirs.id
    assert {e.id for e in Library().list()} == {mine.id, theirs.id}  # the administrator sees all


def test_sharing_is_read_only_and_revocable(tmp_path: Path) -> None:
    ann, bob = Library(user=ANN), Library(user=BOB)
    bob.remember_user(BOB)
    ann.remember_user(ANN)
    entry = ann.save(make_analysis(tmp_path / "a", name="squat"))
    with pytest.raises(InputError, match="nobody with the e-mail"):
        ann.share(entry.id, "carol@example.org")
    assert ann.share(entry.id, "BOB@example.org") == [BOB.key]
    ann.share(entry.id, BOB.key)  # twice is harmless
    assert [p.email for p in ann.shares(entry.id)] == ["bob@example.org"]
    seen = bob.list()
    assert [(e.id, e.read_only, e.owner_key) for e in seen] == [(entry.id, True, ANN.key)]
    assert bob.load(entry.id).name == "squat"
    for action in (lambda: bob.rename(entry.id, "mine now"), lambda: bob.delete(entry.id),
                   lambda: bob.set_notes(entry.id, "x"), lambda: bob.share(entry.id, BOB.key)):
        with pytest.raises(PoseLabError, match="shared with you read-only"):
            action()
    assert ann.get(entry.id).name == "squat"
    ann.unshare(entry.id, BOB.key)
    assert bob.list() == []
    with pytest.raises(InputError, match="no analysis has"):
        bob.load(entry.id)


def test_users_are_remembered_and_the_administrator_reassigns(tmp_path: Path) -> None:
    admin = Library()
    Library(user=ANN).remember_user(ANN)
    Library(user=BOB).remember_user(Principal(BOB.issuer, BOB.subject, email="bob@new.org", name="Robert"))
    assert [(u.key, u.email, u.name) for u in admin.list_users()] == [
        (ANN.key, "ann@example.org", "Ann"), (BOB.key, "bob@new.org", "Robert")]
    entry = Library(user=ANN).save(make_analysis(tmp_path / "a"))
    Library(user=ANN).share(entry.id, BOB.key)
    with pytest.raises(PoseLabError, match="only the administrator"):
        Library(user=ANN).reassign(entry.id, BOB.key)
    moved = admin.reassign(entry.id, "bob@new.org")
    assert moved.owner_key == BOB.key and admin.shares(entry.id) == []
    assert Library(user=ANN).list() == [] and not Library(user=BOB).get(entry.id).read_only
    assert [e.id for e in admin.list(owner=BOB.key)] == [entry.id] and admin.list(owner=ANN.key) == []


def test_rows_without_a_user_belong_to_the_local_user(tmp_path: Path) -> None:
    entry = Library().save(make_analysis(tmp_path / "a"))
    assert entry.owner_key == LOCAL_USER.key
    assert [e.id for e in Library(user=LOCAL_USER).list()] == [entry.id]


def test_library_cli_lists_by_owner_and_reassigns(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import json

    from poselab.cli.commands import main

    Library(user=BOB).remember_user(BOB)
    entry = Library(user=ANN).save(make_analysis(tmp_path / "a"))
    assert main(["library", "list", "--json", "--owner", BOB.key]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["library", "reassign", entry.id[:6], "--to", "bob@example.org"]) == 0
    assert BOB.key in capsys.readouterr().err
    assert main(["library", "list", "--json", "--owner", BOB.key]) == 0
    assert [e["id"] for e in json.loads(capsys.readouterr().out)] == [entry.id]
    assert main(["library", "users"]) == 0 and "bob@example.org" in capsys.readouterr().out
    assert main(["library", "reassign", "nope", "--to", BOB.key]) == 2
    assert "no analysis has the id 'nope'" in capsys.readouterr().err
