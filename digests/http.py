"""Digest links on `coalition serve`: unsubscribe (RFC 8058 one-click) and view in browser."""

from __future__ import annotations

import html

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from digests.compose import render_delivery
from digests.tokens import person_for, well_formed
from store.models import Digest, DigestCopy, DigestDelivery

_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:-apple-system,"Segoe UI",Roboto,Arial,sans-serif;max-width:32rem;
margin:3rem auto;padding:0 1rem;line-height:1.5}}button{{font-size:1rem;padding:.5rem 1rem}}
</style></head><body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), body=body), status_code=status)


_NOT_SHOWN = {
    "pending": "This digest has not been sent yet.",
    "claimed": "This digest has not been sent yet.",
    "sending": "This digest is being sent.",
    "failed": "This digest could not be delivered.",
    "skipped": "This digest was not sent (nothing to report, or the subscription had ended).",
}


def _unsubscribe_not_valid() -> HTMLResponse:
    return _page("Link not valid", "<p>This unsubscribe link is not valid. Reply to any "
                 "digest to reach the secretariat.</p>", 400)


MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger one names no row (and breaks a query)


def routes(runtime) -> list[Route]:
    secret = runtime.config.secrets.unsubscribe_secret
    previous = runtime.config.secrets.previous_secrets

    def unsubscribe(request: Request):
        token = request.query_params.get("token", "")
        if not well_formed(token):
            return _unsubscribe_not_valid()
        with Session(runtime.engine) as session:
            person = person_for(session, token, secret, previous)
            if person is None:
                return _unsubscribe_not_valid()
            if request.method == "GET":
                return _page("Unsubscribe", (
                    f"<p>Stop the weekly digest for {html.escape(person.email)}?</p>"
                    f'<form method="post"><input type="hidden" name="token" '
                    f'value="{html.escape(token)}"><button type="submit">Unsubscribe</button>'
                    "</form>"))
            person.digest_subscribed = False  # idempotent: a second click changes nothing
            session.add(person)
            session.commit()
            return _page("Unsubscribed", f"<p>{html.escape(person.email)} will no longer "
                         "receive the weekly digest. Use <code>subscribe</code> in Slack to "
                         "come back.</p>")

    def view_in_browser(request: Request):
        token = request.query_params.get("token", "")
        delivery_id = request.path_params["delivery_id"]
        if not 0 < delivery_id <= MAX_ID:
            return _page("Link not valid", "<p>There is no such digest.</p>", 404)
        if not well_formed(token):
            return _page("Link not valid", "<p>This link is not valid.</p>", 400)
        with Session(runtime.engine) as session:
            person = person_for(session, token, secret, previous)
            delivery = session.get(DigestDelivery, delivery_id)
            if person is None or delivery is None or delivery.person_id != person.id:
                return _page("Link not valid", "<p>This link is not valid.</p>", 400)
            digest = session.get(Digest, delivery.digest_id)
            title = f"Digest {digest.period}"
            if delivery.status in _NOT_SHOWN:  # sent and ambiguous ones were handed over
                return _page(title, f"<p>{_NOT_SHOWN[delivery.status]}</p>", 404)
            kept = session.exec(select(DigestCopy).where(
                DigestCopy.key == delivery.copy_key)).first() if delivery.copy_key else None
            page = render_delivery(config=runtime.config, digest=digest, delivery=delivery,
                                   person=person, kept=kept)
            if page is None:
                return _page(title, "<p>No copy of this digest was kept (it was sent by an "
                             "earlier version of Coalition Desk): it cannot be shown.</p>", 404)
            return HTMLResponse(page)

    return [Route("/unsubscribe", unsubscribe, methods=["GET", "POST"]),
            Route("/digest/{delivery_id:int}", view_in_browser)]
