"""Console pages for day-to-day operation: launches, the outbox, keys, registration rules."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from lti_tool.admin import queries
from lti_tool.admin.blueprint import bp
from lti_tool.admin.security import current_operator
from lti_tool.extensions import db, services
from lti_tool.grades.outbox import outbox_counts, resend, resend_all_dead
from lti_tool.keys import KeyStoreError
from lti_tool.registration.policy import registration_policy, update_policy

log = logging.getLogger("lti_tool.admin")


@bp.get("/launches")
def launches() -> str:
    session = db()
    return render_template(
        "admin/launches.html",
        launches=queries.recent_launches(session, limit=100),
        failures=queries.recent_failures(session, limit=100),
    )


@bp.get("/outbox")
@bp.get("/grades")
def grades() -> str:
    """The one page for every queue of the outbox; scores in detail."""
    session = db()
    outbox = services().outbox
    return render_template(
        "admin/grades.html",
        queues=outbox.queues,
        queue_counts=outbox.counts(session),
        dead_mail=outbox.queue("certificate_mail").dead_letters(session, 200),
        counts=outbox_counts(session),
        undelivered=queries.undelivered_scores(session),
        dead=queries.dead_scores(session),
    )


@bp.post("/grades/resend")
def grades_resend() -> Response:
    session = db()
    if request.form.get("all") == "1":
        requeued = resend_all_dead(session)
    else:
        ids = [int(value) for value in request.form.getlist("ids") if value.isdigit()]
        requeued = resend(session, ids)
    log.info("operator %s resent scores %s", current_operator().username, requeued)
    flash(
        f"{len(requeued)} score(s) queued again."
        if requeued
        else "Nothing was queued: those scores are not dead letters any more, or a newer "
        "score for the same learner replaced them."
    )
    return redirect(url_for("admin.grades"))


@bp.post("/outbox/<queue>/resend")
def outbox_resend(queue: str) -> Response:
    session = db()
    outbox = services().outbox
    if queue not in outbox.queues:
        flash(f"There is no queue {queue!r}.")
        return redirect(url_for("admin.grades"))
    ids = (
        None
        if request.form.get("all") == "1"
        else [int(value) for value in request.form.getlist("ids") if value.isdigit()]
    )
    requeued = outbox.resend(session, queue, ids)
    log.info("operator %s resent %s jobs %s", current_operator().username, queue, requeued)
    flash(f"{len(requeued)} job(s) queued again." if requeued else "Nothing was queued again.")
    return redirect(url_for("admin.grades"))


@bp.get("/keys")
def keys() -> str:
    store = services().key_store
    signing = store.signing_key().kid
    return render_template(
        "admin/keys.html",
        keys=store.keys(),
        signing=signing,
        ready_after=store.propagation,
    )


@bp.post("/keys/rotate")
def keys_rotate() -> Response:
    store = services().key_store
    key = store.rotate()
    ready = key.published_at + store.propagation
    log.warning("operator %s rotated keys: new kid %s", current_operator().username, key.kid)
    flash(
        f"Published key {key.kid}. It starts signing at {ready:%Y-%m-%d %H:%M} UTC, once "
        "platforms have had time to fetch it; retire the old key after that."
    )
    return redirect(url_for("admin.keys"))


@bp.post("/keys/<kid>/<any(retire, delete):action>")
def keys_change(kid: str, action: str) -> Response:
    store = services().key_store
    published = store.keys()
    live = [key.kid for key in published if key.retired_at is None]
    if action == "retire" and live == [kid]:
        # KeyStore.retire would write the manifest before refusing; refuse first.
        flash("This is the only live key: rotate first, then retire it.", "error")
        return redirect(url_for("admin.keys"))
    try:
        if action == "retire":
            store.retire(kid)
        else:
            store.delete(kid)
    except KeyStoreError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.keys"))
    log.warning("operator %s did %s on key %s", current_operator().username, action, kid)
    flash(f"Key {kid}: {action} done.")
    return redirect(url_for("admin.keys"))


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> Response | str:
    session = db()
    if request.method == "POST":
        update_policy(
            session,
            require_approval=request.form.get("require_approval") == "on",
            trust_new_deployments=request.form.get("trust_new_deployments") == "on",
            operator=current_operator().username,
        )
        flash("Registration rules saved.")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", policy=registration_policy(session))
