"""A local stand-in for the CPE Monitor web service, for development, the sandbox and tests.

It speaks the wire format of ``lti_tool.certificates.cpe_monitor_wire`` and answers the way
the service is publicly described: it accepts a valid completion once, rejects an e-Profile
ID it does not know or whose birth date does not match (one answer for both, as NABP gives),
rejects a second report of the same learner for the same UAN, rejects UANs that are not this
provider's and dates outside the activity's active period, refuses wrong credentials with
HTTP 401, and can be told to answer HTTP 503 to simulate an outage.

Run on loopback only (it keeps seeded birth dates and accepts passwords in the query string,
like the real GET interface)::

    .venv/bin/python -m lti_tool.certificates.cpe_monitor_standin --port 8765

then point ``CpeMonitorSettings.endpoint_url`` at
``http://127.0.0.1:8765/service/cpemonitorservice.asmx/SubmitCPEActivityJSON``.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from flask import Flask, Response, jsonify, request

from lti_tool.certificates import cpe_monitor_wire as wire

STANDIN_PROVIDER_NUMBER = "0574"
STANDIN_USERNAME = "standin-provider"
STANDIN_PASSWORD = "standin-password"  # noqa: S105 - a loopback test double's fixed login

# e-Profile ID -> birth MMDD. Made-up learners; NABP's test data is not public.
SEEDED_EPROFILES = {
    "4123456": "0314",
    "4200001": "1102",
    "4300002": "0229",
}


@dataclass(frozen=True, slots=True)
class ActivityWindow:
    release: date
    expiration: date


# The cervical dystonia activity from the seed page.
SEEDED_ACTIVITIES = {
    "0574-0000-26-009-H01-P": ActivityWindow(date(2026, 1, 14), date(2028, 1, 14)),
}


@dataclass
class StandinState:
    """What the stand-in remembers; shared by request threads, so guarded by a lock."""

    eprofiles: dict[str, str]
    activities: dict[str, ActivityWindow]
    provider_number: str = STANDIN_PROVIDER_NUMBER
    username: str = STANDIN_USERNAME
    password: str = STANDIN_PASSWORD
    accepted: set[tuple[str, str]] = field(default_factory=set)
    outage_remaining: int = 0  # requests still to answer with 503; -1 means until cleared
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_with_503(self, requests: int = -1) -> None:
        """Answer the next ``requests`` calls (all, if -1) with HTTP 503."""
        with self.lock:
            self.outage_remaining = requests

    def recover(self) -> None:
        with self.lock:
            self.outage_remaining = 0

    def consume_outage(self) -> bool:
        """Whether this request falls in a simulated outage."""
        with self.lock:
            if self.outage_remaining == 0:
                return False
            if self.outage_remaining > 0:
                self.outage_remaining -= 1
            return True

    def judge(self, submission: wire.Submission) -> wire.Verdict:
        """Accept or reject ``submission`` and remember acceptances."""

        def rejected(code: str) -> wire.Verdict:
            return wire.Verdict(False, code, wire.REJECTION_CODES[code])

        try:
            wire.validate(submission)
        except wire.MalformedSubmission as error:
            return wire.Verdict(False, "INVALID_FIELD", str(error))
        window = self.activities.get(submission.uan)
        if window is None or submission.provider_number != self.provider_number:
            return rejected("UAN_UNKNOWN")
        if self.eprofiles.get(submission.nabp_eprofile_id) != submission.birth_mmdd:
            return rejected("EPID_DOB_MISMATCH")
        if not window.release <= submission.participation_date <= window.expiration:
            return rejected("DATE_OUT_OF_RANGE")
        key = (submission.nabp_eprofile_id, submission.uan)
        with self.lock:
            if key in self.accepted:
                return rejected("DUPLICATE")
            self.accepted.add(key)
        return wire.Verdict(True)


def create_standin_app(
    eprofiles: Mapping[str, str] = SEEDED_EPROFILES,
    activities: Mapping[str, ActivityWindow] = SEEDED_ACTIVITIES,
) -> Flask:
    """The stand-in as a Flask app; its state is ``app.extensions["cpe_monitor_standin"]``."""
    app = Flask(__name__)
    state = StandinState(dict(eprofiles), dict(activities))
    app.extensions["cpe_monitor_standin"] = state

    @app.get(wire.SUBMIT_PATH)
    def submit_cpe_activity() -> Response | tuple[Response, int]:
        if state.consume_outage():
            return Response("Service Unavailable", status=503, mimetype="text/plain")
        try:
            submission, username, password = wire.decode_submission(request.args)
        except wire.MalformedSubmission as error:
            verdict = wire.Verdict(False, "INVALID_FIELD", str(error))
            return Response(wire.encode_verdict(verdict), mimetype="application/json")
        if (username, password) != (state.username, state.password):
            return Response("Unauthorized", status=401, mimetype="text/plain")
        verdict = state.judge(submission)
        return Response(wire.encode_verdict(verdict), mimetype="application/json")

    @app.post("/_standin/outage")
    def start_outage() -> tuple[Response, int]:
        payload = request.get_json(silent=True) or {}
        state.fail_with_503(int(payload.get("requests", -1)))
        return jsonify(outage_remaining=state.outage_remaining), 200

    @app.delete("/_standin/outage")
    def end_outage() -> tuple[Response, int]:
        state.recover()
        return jsonify(outage_remaining=0), 200

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="CPE Monitor stand-in on loopback")
    parser.add_argument("--port", type=int, default=8765)
    arguments = parser.parse_args(argv)
    # Loopback only: the stand-in holds birth dates and takes passwords in URLs.
    create_standin_app().run(host="127.0.0.1", port=arguments.port)


if __name__ == "__main__":
    main()
