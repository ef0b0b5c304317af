"""LTI 1.3 claim names and the role mapping (roles come only from the signed roles claim)."""

from __future__ import annotations

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
VERSION = LTI + "version"
MESSAGE_TYPE = LTI + "message_type"
DEPLOYMENT_ID = LTI + "deployment_id"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
RESOURCE_LINK = LTI + "resource_link"
TARGET_LINK_URI = LTI + "target_link_uri"
CUSTOM = LTI + "custom"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
TOOL_PLATFORM = LTI + "tool_platform"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
DL_MSG = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
GROUPS = "https://purl.imsglobal.org/spec/lti-gs/claim/groupsservice"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
MESSAGE_TYPES = frozenset({RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST})

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_RESULT = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCOPE_GROUPS = "https://purl.imsglobal.org/spec/lti-gs/scope/contextgroup.readonly"

CONTEXT_ROLE_PREFIXES = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership#",
    "http://purl.imsglobal.org/vocab/lis/v2/membership/",
    "urn:lti:role:ims/lis/",
)
INSTRUCTOR_NAMES = frozenset({"Instructor", "Administrator"})
TA_NAMES = frozenset({"TeachingAssistant", "Mentor", "Grader"})
RANK = {"learner": 0, "ta": 1, "instructor": 2}


def _role(uri: str) -> str | None:
    """The Agora role of one LTI context role, or None for a non-context (system, institution)."""
    if "/" not in uri and "#" not in uri and ":" not in uri:
        name, parent = uri, ""  # a simple name, as some platforms and NRPS send
    else:
        prefix = next((p for p in CONTEXT_ROLE_PREFIXES if uri.startswith(p)), None)
        if prefix is None:
            return None
        rest = uri[len(prefix) :]
        parent, _, name = rest.rpartition("#")
        if not name:
            parent, _, name = rest.rpartition("/")
        name = name or rest
    if name in TA_NAMES or parent.endswith("Mentor"):
        return "ta"
    if name in INSTRUCTOR_NAMES or parent.endswith(("Instructor", "Administrator")):
        return "instructor"
    return "learner"


def map_roles(roles: object) -> str:
    """instructor > ta > learner from LTI context roles; anything unknown is a learner."""
    best = "learner"
    if not isinstance(roles, list):
        return best
    for uri in roles:
        if isinstance(uri, str):
            role = _role(uri.strip())
            if role and RANK[role] > RANK[best]:
                best = role
    return best
