"""The anonymity view rule, in one place.

Every response, search hit, live event, notification and export that names a post's author goes
through `author_view`. A post "anonymous to peers" shows its author to instructors and TAs only;
"anonymous to all" shows it to nobody (its author sees it as theirs). Nothing else in the forum
decides who may see an author.
"""

from __future__ import annotations

from typing import Protocol

from forum.schemas import Author

ANONYMOUS_NAME = "Anonymous"


class Viewer(Protocol):
    user_id: int

    @property
    def is_staff(self) -> bool: ...


class JobViewer:
    """A viewer outside a request (notifications, digests, live events): id and role."""

    def __init__(self, user_id: int, role: str) -> None:
        self.user_id = user_id
        self.role = role

    @property
    def is_staff(self) -> bool:
        return self.role in ("instructor", "ta")


def may_see_author(viewer: Viewer, author_id: int | None, anonymity: str) -> bool:
    if anonymity == "none":
        return True
    if author_id is not None and author_id == viewer.user_id:
        return True
    return anonymity == "peers" and viewer.is_staff


def author_view(
    viewer: Viewer, author_id: int | None, name: str, anonymity: str, role: str | None = None
) -> Author:
    """The author of a post as `viewer` may see them."""
    anonymous = anonymity != "none"
    is_me = author_id is not None and author_id == viewer.user_id
    if may_see_author(viewer, author_id, anonymity):
        return Author(id=author_id, name=name, anonymous=anonymous, is_me=is_me, role=role)
    return Author(id=None, name=ANONYMOUS_NAME, anonymous=True)


def author_for_storage(author_id: int, name: str, anonymity: str, role: str | None) -> dict:
    """What may leave the database about an author (live events in Redis): never the author of a
    post anonymous to all; a peers-anonymous author stays, for staff, and is cut per viewer."""
    if anonymity == "all":
        return {"id": None, "name": ANONYMOUS_NAME, "anonymity": "all", "role": None}
    return {"id": author_id, "name": name, "anonymity": anonymity, "role": role}


def author_from_storage(viewer: Viewer, stored: dict) -> Author:
    return author_view(
        viewer, stored.get("id"), stored.get("name", ""), stored["anonymity"], stored.get("role")
    )
