"""The dev LMS as a platform: its own signing key, its URLs, its people, the claims it signs."""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import asyncpg
import msgspec
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization, RSAKey

from agora.demo import DEMO_CONTEXT_ID, DEMO_PEOPLE, DEV_CLIENT_ID, DEV_DEPLOYMENT_ID, DEV_ISSUER
from agora.devlms.queries import Link
from agora.lti import claims as c
from agora.lti import keys as tool_keys
from agora.settings import Settings

KEY_ID = "dev-lms-1"
ROLE_URIS: dict[str, list[str]] = {
    "instructor": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
    "ta": ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
    "learner": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
}
COURSE_TITLE, COURSE_LABEL = "Climate Science 101", "CLIM101"
# Handed back by the tool in its deep-linking response: proves the answer is to our request.
DEEP_LINK_DATA = "dev-lms-deep-link"
FORUM_LINK = Link(id=0, title="Course forum", custom={"agora_target": "forum"}, line_item=None)


class Person(msgspec.Struct, frozen=True, kw_only=True):
    """One of the demo course's people, as the dev LMS knows them."""

    sub: str
    name: str
    given: str
    family: str
    role: str

    @property
    def email(self) -> str:
        return f"{self.sub}@dev-lms.agora.test"


PEOPLE = [
    Person(sub=sub, name=name, given=given, family=family, role=role)
    for sub, name, given, family, role in DEMO_PEOPLE
]


# The demo course's groups, as an LMS's group sets hold them (LTI Course Groups): a team
# assignment's instructor can build its teams from one set. (set id, set name, group id, group
# name, members' subs)
GROUP_SETS = [("project-teams", "Project teams"), ("lab-sections", "Lab sections")]
GROUPS = [
    ("project-teams", "team-sun", "Team Sun", ("dev-learner-1", "dev-learner-2")),
    ("project-teams", "team-moon", "Team Moon", ("dev-learner-3", "dev-learner-4")),
    ("lab-sections", "lab-tuesday", "Tuesday lab", ("dev-learner-1", "dev-learner-3")),
    ("lab-sections", "lab-thursday", "Thursday lab", ("dev-learner-2", "dev-learner-4")),
]


def groups_of(sub: str) -> list[str]:
    return [group for _, group, _, members in GROUPS if sub in members]


def person(sub: str) -> Person | None:
    return next((p for p in PEOPLE if p.sub == sub), None)


class Urls(msgspec.Struct, frozen=True, kw_only=True):
    """The dev LMS's endpoints and the tool's, all under the server's base URL."""

    lms: str
    token: str
    lineitems: str
    memberships: str
    groups: str
    group_sets: str
    deep_link_return: str
    launch: str
    login: str


def urls(settings: Settings) -> Urls:
    base = settings.base_url
    return Urls(
        lms=f"{base}/dev/lms",
        token=f"{base}/dev/lms/token",
        lineitems=f"{base}/dev/lms/lineitems",
        memberships=f"{base}/dev/lms/memberships",
        groups=f"{base}/dev/lms/groups",
        group_sets=f"{base}/dev/lms/group-sets",
        deep_link_return=f"{base}/dev/lms/deep-link/return",
        launch=f"{base}/lti/launch",
        login=f"{base}/lti/login",
    )


# ---- the dev LMS's own key --------------------------------------------------------------------


@lru_cache(maxsize=4)
def _key_at(path: str) -> RSAKey:
    file = Path(path)
    if file.exists():
        return RSAKey.import_key(file.read_text(), parameters={"kid": KEY_ID})
    file.parent.mkdir(parents=True, exist_ok=True)
    key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID})
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.as_pem(private=True))
    return key


def platform_key(settings: Settings) -> RSAKey:
    """The dev LMS's RSA key, created on first use in the data directory."""
    return _key_at(str(settings.data_path / "dev-lms" / "key.pem"))


def public_jwks(settings: Settings) -> dict[str, Any]:
    return {
        "keys": [{**platform_key(settings).as_dict(private=False), "use": "sig", "alg": "RS256"}]
    }


# ---- what it signs and what it verifies -------------------------------------------------------


def launch_claims(
    settings: Settings, who: Person, nonce: str, link: Link | None, *, locale: str = "en"
) -> dict[str, Any]:
    """The id_token claims of a launch into `link`, or of a deep-linking request when None,
    asking for the pages in `locale` (the person's language, as an LMS sends it)."""
    u, now = urls(settings), int(time.time())
    claims: dict[str, Any] = {
        "iss": DEV_ISSUER,
        "aud": DEV_CLIENT_ID,
        "sub": who.sub,
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "name": who.name,
        "given_name": who.given,
        "family_name": who.family,
        "email": who.email,
        "locale": locale,
        c.VERSION: "1.3.0",
        c.DEPLOYMENT_ID: DEV_DEPLOYMENT_ID,
        c.ROLES: ROLE_URIS[who.role],
        c.CONTEXT: {
            "id": DEMO_CONTEXT_ID,
            "title": COURSE_TITLE,
            "label": COURSE_LABEL,
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        },
        c.TOOL_PLATFORM: {"guid": "agora-dev-lms", "name": "Agora dev LMS"},
        c.LAUNCH_PRESENTATION: {
            "locale": locale,
            "document_target": "window",
            "return_url": u.lms,
        },
        c.AGS_ENDPOINT: {
            "scope": [c.SCOPE_LINEITEM, c.SCOPE_SCORE, c.SCOPE_RESULT],
            "lineitems": u.lineitems,
        },
        c.NRPS: {"context_memberships_url": u.memberships, "service_versions": ["2.0"]},
        c.GROUPS: {
            "scope": [c.SCOPE_GROUPS],
            "context_groups_url": u.groups,
            "context_group_sets_url": u.group_sets,
            "service_versions": ["1.0"],
        },
    }
    if link is None:
        claims[c.MESSAGE_TYPE] = c.DEEP_LINKING_REQUEST
        claims[c.DL_SETTINGS] = {
            "deep_link_return_url": u.deep_link_return,
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True,
            "accept_lineitem": True,
            "data": DEEP_LINK_DATA,
        }
    else:
        claims[c.MESSAGE_TYPE] = c.RESOURCE_LINK_REQUEST
        claims[c.RESOURCE_LINK] = {"id": f"dev-link-{link.id}", "title": link.title}
        claims[c.TARGET_LINK_URI] = u.launch
        claims[c.CUSTOM] = link.custom
    return claims


def sign_launch(settings: Settings, claims: dict[str, Any]) -> str:
    key = platform_key(settings)
    return jwt.encode(
        {"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key, algorithms=["RS256"]
    )


async def tool_claims(connection: asyncpg.Connection, token: str) -> dict[str, Any] | None:
    """Claims of a JWT signed by the tool (its keys read directly: same process, same DB)."""
    try:
        jwks = cast(KeySetSerialization, await tool_keys.public_jwks(connection))
        published = KeySet.import_key_set(jwks)
        claims: dict[str, Any] = jwt.decode(token, published, algorithms=["RS256"]).claims
    except (JoseError, ValueError, TypeError):
        return None
    return claims
