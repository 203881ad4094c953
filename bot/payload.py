"""A Slack request's body, once its signature is verified: parsed once, cleaned, and checked
against the shapes Bolt and our listeners read.

Slack sends JSON (events), a form (slash commands) or a form whose `payload` field is JSON
(interactivity). Parsing it here, once, instead of leaving it to Bolt, means that a body Slack
would never send is answered 400 instead of failing somewhere inside Bolt; and Bolt then gets
the very dictionary that was checked (Bolt's own guess reads a slash command whose text
contains the word "payload" as an empty body).

Text is cleaned of what no store keeps: NUL characters (PostgreSQL refuses them in text) and
lone surrogates (`"\\ud800"` in JSON; not encodable as UTF-8). The schema below is loose on
purpose: unknown fields pass, Slack adds fields every year; what it pins down is the type of
each field that Bolt's matchers and our listeners read, so that none of them meets a list
where it reads a string.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any
from urllib.parse import parse_qsl

import msgspec
from msgspec import UNSET, Meta, UnsetType

MAX_DEPTH = 40  # Block Kit nests a dozen levels at most; deeper is not a Slack request
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class PayloadError(ValueError):
    """A verified request whose body is not one Slack sends; the message says why."""


def clean(text: str) -> str:
    """The text without NUL characters, lone surrogates replaced by U+FFFD."""
    if not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def _cleaned(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise PayloadError(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k): _cleaned(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v, depth + 1) for v in value]
    return value


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise PayloadError(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as e:
        raise PayloadError(f"not valid JSON ({e})") from None


def parse(text: str, content_type: str) -> dict[str, Any]:
    """The request's body as Slack meant it, cleaned and checked; PayloadError otherwise."""
    media = content_type.partition(";")[0].strip().lower()
    if media == "application/json" or (not media and text.lstrip().startswith("{")):
        data = _json(text)
    elif media in ("application/x-www-form-urlencoded", ""):
        data = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in data:
            data = _json(data["payload"])
    else:
        raise PayloadError(f"unexpected content type {media!r}")
    return checked(data)


def checked(data: Any) -> dict[str, Any]:
    """A parsed body (Socket Mode hands them over parsed), cleaned and checked."""
    if not isinstance(data, dict):
        raise PayloadError("the body is not an object")
    data = _cleaned(data)
    try:
        msgspec.convert(data, _Envelope)
    except msgspec.ValidationError as e:
        raise PayloadError(str(e)) from None
    return data


# The shapes read by Bolt (`slack_bolt.request.internals`, `payload_utils`, its listener
# matchers) and by our listeners. Fields Slack sends as null are `| None`; `| UnsetType`: may
# be missing, never null (Bolt reads them as `body.get("event", {}).get(...)`); the others
# must be what they say.

Ts = Annotated[str, Meta(pattern=r"^(\d{1,12}(\.\d{1,9})?)?$")]  # "1507280000.000100"
Url = Annotated[str, Meta(pattern=r"^(https?://\S+)?$")]


class _Loose(msgspec.Struct, kw_only=True):
    """Unknown fields are ignored: only the known ones are checked."""


class _Named(_Loose):  # user, team, channel, enterprise objects of interactivity payloads
    id: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None
    name: str | None = None


class _File(_Loose):
    title: str | None = None
    name: str | None = None


class _Message(_Loose):
    type: str = ""
    subtype: str = ""
    user: str = ""
    text: str = ""
    ts: Ts = ""
    thread_ts: Ts = ""
    bot_id: str | None = None
    files: list[_File] = []


class _Item(_Loose):
    channel: str | _Named | None = None


class _Event(_Loose):
    type: str
    subtype: str = ""
    user: str = ""
    text: str = ""
    ts: Ts = ""
    thread_ts: Ts = ""
    event_ts: Ts = ""
    deleted_ts: Ts = ""
    channel: str = ""
    channel_type: str = ""
    tab: str = ""
    bot_id: str | None = None
    user_team: str | None = None
    team: str | None = None
    message: _Message | UnsetType = UNSET
    previous_message: _Message | UnsetType = UNSET
    files: list[_File] = []
    item: _Item | UnsetType = UNSET
    assistant_thread: dict | None = None
    inputs: dict | None = None
    bot_access_token: str | None = None
    function_execution_id: str | None = None


class _Authorization(_Loose):
    team_id: str | None = None
    user_id: str | None = None
    enterprise_id: str | None = None
    is_bot: bool | None = None
    is_enterprise_install: bool | None = None


class _Action(_Loose):
    type: str = ""
    action_id: str = ""
    block_id: str = ""
    value: str = ""


class _InputValue(_Loose):
    type: str = ""
    value: str | None = None  # an empty optional input comes as null


class _ViewState(_Loose):
    values: dict[str, dict[str, _InputValue]] = {}


class _View(_Loose):
    type: str
    id: str = ""
    callback_id: str = ""
    private_metadata: str = ""
    state: _ViewState | UnsetType = UNSET
    team_id: str | None = None
    app_installed_team_id: str | None = None


class _ResponseUrl(_Loose):
    response_url: Url = ""


class _Envelope(_Loose):
    type: str = ""
    token: str = ""
    challenge: str = ""
    ssl_check: str = ""
    api_app_id: str = ""
    team_id: str = ""
    enterprise_id: str | None = None
    context_team_id: str | None = None
    context_enterprise_id: str | None = None
    is_enterprise_install: bool | str | None = None
    is_ext_shared_channel: bool | None = None
    event_id: str = ""
    event_time: int | None = None
    event: _Event | UnsetType = UNSET
    authorizations: list[_Authorization] | None = None
    # slash commands
    command: str = ""
    text: str = ""
    user_id: str = ""
    channel_id: str = ""
    trigger_id: str = ""
    response_url: Url = ""
    # interactivity
    callback_id: str = ""
    user: _Named | UnsetType = UNSET
    team: _Named | str | None = None
    enterprise: _Named | str | None = None
    channel: _Named | str | None = None
    container: dict | None = None
    message: dict | None = None
    actions: Annotated[list[_Action], Meta(min_length=1)] | UnsetType = UNSET
    view: _View | UnsetType = UNSET
    response_urls: list[_ResponseUrl] | UnsetType = UNSET
    thread_ts: Ts = ""
    function_data: dict | None = None
    function_execution_id: str | None = None
    bot_access_token: str | None = None

    def __post_init__(self) -> None:
        """What one field alone does not say (each would stop Bolt with a KeyError)."""
        if self.type == "interactive_message" and self.callback_id and not self.actions:
            raise ValueError("an interactive message without actions")
        if self.type == "workflow_step_edit" or (self.view and self.view.type == "workflow_step"):
            raise ValueError("workflow steps from apps are retired")
