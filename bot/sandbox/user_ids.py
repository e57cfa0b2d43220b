"""The three ids of a sandbox person (open_id, union_id, user_id) as a request's user_id_type names them."""
from __future__ import annotations

from bot.sandbox.directory import Directory, User

ID_TYPES = ("open_id", "union_id", "user_id")


def user_ref(user: User, id_type: str) -> str:
    """The person's id of the given type."""
    return {"open_id": user.open_id, "union_id": user.union_id, "user_id": user.user_id}[id_type]


def find_user(directory: Directory, ident: str, id_type: str) -> User | None:
    """The person with this id of the given type, or None."""
    if id_type == "open_id":
        return directory.user(ident)
    return next((u for u in directory.users if user_ref(u, id_type) == ident), None)
