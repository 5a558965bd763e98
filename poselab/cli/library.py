"""The library on the command line: ``analyze --save`` and ``python -m poselab library list|export|delete|
users|reassign``. The command line on the server is the administrator's: it sees every user's analyses.

Kept apart from ``commands.py`` so that module only wires the parser and the commands.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from poselab.cli.staging import staging_dir
from poselab.errors import StorageError
from poselab.sequence import PoseSequence
from poselab.settings import InferenceSettings
from poselab.store.analysis import ANNOTATED_FILE, content_hash
from poselab.store.library import Draft, Library, link_or_copy
from poselab.store.owners import Principal


def add_library_parser(commands: argparse._SubParsersAction) -> None:
    library = commands.add_parser("library", help="list, export or delete stored analyses")
    actions = library.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="stored analyses, newest first")
    listing.add_argument("--json", action="store_true", help="a JSON list of objects (id, name, created, status…)")
    listing.add_argument("--all", action="store_true", help="include analyses still being written")
    listing.add_argument("--owner", metavar="KEY", help="only this owner's (issuer|subject, see `library users`)")
    export = actions.add_parser("export", help="write every export of one analysis (CSV, Parquet, JSON, TRC, zip)")
    export.add_argument("id", help="analysis id (or a unique prefix of it)")
    export.add_argument("--out", type=Path, required=True, help="folder to write the files into")
    delete = actions.add_parser("delete", help="remove an analysis and its files")
    delete.add_argument("id", help="analysis id (or a unique prefix of it)")
    actions.add_parser("users", help="who has signed in (key, e-mail, name, last seen)")
    reassign = actions.add_parser("reassign", help="give an analysis to another user")
    reassign.add_argument("id", help="analysis id (or a unique prefix of it)")
    reassign.add_argument("--to", required=True, metavar="KEY", help="the new owner's key (issuer|subject) or e-mail")


def run_library(args: argparse.Namespace) -> int:
    library = Library()
    if args.action == "list":
        entries = library.list(include_pending=args.all, owner=args.owner)
        if args.json:
            print(json.dumps([e.to_json() for e in entries], indent=2))
            return 0
        for e in entries:
            frames = e.summary.get("frames", "?")
            print(f"{e.id}  {e.created}  {e.status:8}  {frames!s:>6} frames  {e.name}  ({e.source_name})"
                  f"  owner {e.owner_key}")
        if not entries:
            print("the library is empty: save an analysis with `analyze ... --save`", file=sys.stderr)
        return 0
    if args.action == "export":
        from poselab.store.exports import ExportOptions, export_all

        entry = library.get(args.id)
        analysis = library.load(entry.id)
        with staging_dir(args.out) as staging:
            try:
                written = export_all(analysis, staging, ExportOptions(notes=entry.notes, tags=entry.tags))
            except OSError as error:
                raise StorageError(f"cannot write the export ({error.strerror or error}); nothing was written") \
                    from None
        for path in written:
            print(args.out / path.name)
        return 0
    if args.action == "users":
        for user in library.list_users():
            print(f"{user.key}  {user.email or '-'}  {user.name or '-'}")
        return 0
    if args.action == "reassign":
        entry = library.reassign(args.id, args.to)
        print(f"{entry.id} ({entry.name}) now belongs to {entry.owner_key}", file=sys.stderr)
        return 0
    entry = library.get(args.id)
    library.delete(entry.id)
    print(f"deleted {entry.id} ({entry.name})", file=sys.stderr)
    return 0


@dataclass
class CliSave:
    """The library entry an ``analyze --save`` run fills; ``finish`` publishes it."""

    library: Library
    draft: Draft
    entry_id: str = ""

    def finish(self, sequence: PoseSequence, video: Path | None) -> None:
        if video is not None and video.is_file():
            try:
                link_or_copy(video, self.draft.folder / ANNOTATED_FILE)
            except OSError as error:
                raise StorageError(f"cannot save the annotated video to the library: {error.strerror}") from None
        entry = self.library.commit(self.draft, sequence)
        self.entry_id = entry.id
        print(f"saved to the library as {entry.id} ({entry.name})", file=sys.stderr)


def owner_key(text: str) -> str:
    """``--owner``: an owner's key as the library stores it (what ``library users`` lists)."""
    issuer, bar, subject = text.partition("|")
    if not (bar and issuer and subject):
        raise argparse.ArgumentTypeError(f"{text!r} is not an owner key (issuer|subject, see `library users`)")
    return text


@contextlib.contextmanager
def library_draft(args: argparse.Namespace, settings: InferenceSettings) -> Iterator[CliSave | None]:
    """With ``--save``: a pending library entry (source copied in) for the run; else None."""
    if not getattr(args, "save", False):
        yield None
        return
    owner = getattr(args, "owner", None)
    library = Library(user=Principal.from_key(owner) if owner else None)  # None: the local user's entry
    digest = content_hash(args.input)
    with library.saving(args.input.stem, settings, source=args.input, content_hash=digest, kind="cli") as draft:
        yield CliSave(library, draft)
