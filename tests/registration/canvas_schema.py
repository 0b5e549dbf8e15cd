"""What Canvas requires of an LTI 1.3 developer-key JSON configuration, as a checker.

Written from Canvas's documentation ("Configuring LTI Advantage Tools", Anatomy of a JSON
configuration: https://canvas.instructure.com/doc/api/file.lti_dev_key_config.html) and
the JSON schema Canvas validates pasted configurations with (``Schemas::Lti::ToolConfiguration``
in canvas-lms): required keys, string and URL formats, the allowed scopes, placement names,
message types and privacy levels.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

REQUIRED = ("title", "description", "oidc_initiation_url", "target_link_uri")
ALLOWED_SCOPES = {
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    "https://canvas.instructure.com/lti/public_jwk/scope/update",
    "https://canvas.instructure.com/lti/account_lookup/scope/show",
    "https://canvas.instructure.com/lti-ags/progress/scope/show",
}
PLACEMENTS = {
    "account_navigation", "similarity_detection", "assignment_edit", "assignment_group_menu",
    "assignment_index_menu", "assignment_menu", "assignment_selection", "assignment_view",
    "collaboration", "conference_selection", "course_assignments_menu",
    "course_home_sub_navigation", "course_navigation", "course_settings_sub_navigation",
    "discussion_topic_menu", "discussion_topic_index_menu", "editor_button", "file_menu",
    "file_index_menu", "global_navigation", "homework_submission", "link_selection",
    "migration_selection", "module_group_menu", "module_index_menu", "module_menu",
    "post_grades", "quiz_index_menu", "quiz_menu", "resource_selection",
    "submission_type_selection", "student_context_card", "tool_configuration",
    "user_navigation", "wiki_index_menu", "wiki_page_menu",
}  # fmt: skip
MESSAGE_TYPES = {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
PRIVACY_LEVELS = {"public", "email_only", "name_only", "anonymous"}


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def canvas_problems(config: Any) -> list[str]:
    """Every way ``config`` falls short of what Canvas accepts (empty when it is fine)."""
    if not isinstance(config, dict):
        return ["the configuration must be a JSON object"]
    problems = [f"{key} is required" for key in REQUIRED if key not in config]
    for key in ("title", "description"):
        if key in config and (not isinstance(config[key], str) or not config[key].strip()):
            problems.append(f"{key} must be a non-empty string")
    for key in ("oidc_initiation_url", "target_link_uri"):
        if key in config and not _is_url(config[key]):
            problems.append(f"{key} must be an absolute http(s) URL")
    if "public_jwk" not in config and "public_jwk_url" not in config:
        problems.append("public_jwk or public_jwk_url is required")
    if "public_jwk_url" in config and not _is_url(config["public_jwk_url"]):
        problems.append("public_jwk_url must be an absolute http(s) URL")
    scopes = config.get("scopes", [])
    if not isinstance(scopes, list):
        problems.append("scopes must be a list")
    else:
        problems += [f"scope {scope!r} is not one Canvas allows" for scope in scopes
                     if scope not in ALLOWED_SCOPES]  # fmt: skip
    custom = config.get("custom_fields", {})
    if not isinstance(custom, dict | str):
        problems.append("custom_fields must be an object")
    elif isinstance(custom, dict):
        problems += [f"custom field {name!r} must be a string" for name, value in custom.items()
                     if not isinstance(value, str)]  # fmt: skip
    extensions = config.get("extensions", [])
    if not isinstance(extensions, list):
        return [*problems, "extensions must be a list"]
    for index, extension in enumerate(extensions):
        problems += _extension_problems(index, extension)
    return problems


def _extension_problems(index: int, extension: Any) -> list[str]:
    where = f"extensions[{index}]"
    if not isinstance(extension, dict):
        return [f"{where} must be an object"]
    problems = [f"{where}.{key} is required" for key in ("platform", "settings")
                if key not in extension]  # fmt: skip
    if extension.get("platform") not in (None, "canvas.instructure.com"):
        problems.append(f"{where}.platform must be canvas.instructure.com for Canvas")
    if "privacy_level" in extension and extension["privacy_level"] not in PRIVACY_LEVELS:
        problems.append(f"{where}.privacy_level {extension['privacy_level']!r} is not allowed")
    settings = extension.get("settings", {})
    if not isinstance(settings, dict) or not isinstance(settings.get("placements"), list):
        return [*problems, f"{where}.settings.placements must be a list"]
    for number, placement in enumerate(settings["placements"]):
        at = f"{where}.settings.placements[{number}]"
        if not isinstance(placement, dict):
            problems.append(f"{at} must be an object")
            continue
        name = placement.get("placement")
        if name not in PLACEMENTS:
            problems.append(f"{at}.placement {name!r} is not a Canvas placement")
        message_type = placement.get("message_type", "LtiResourceLinkRequest")
        if message_type not in MESSAGE_TYPES:
            problems.append(f"{at}.message_type {message_type!r} is not allowed")
        if "target_link_uri" in placement and not _is_url(placement["target_link_uri"]):
            problems.append(f"{at}.target_link_uri must be an absolute http(s) URL")
        for size in ("selection_width", "selection_height"):
            if size in placement and not isinstance(placement[size], int | float):
                problems.append(f"{at}.{size} must be a number")
    return problems
