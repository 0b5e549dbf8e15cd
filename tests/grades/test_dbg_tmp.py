import time
from dataclasses import replace
import pytest
from lti_tool.grades.worker import drain
from .support import FAST, Lms

@pytest.mark.parametrize("i", range(8))
def test_dbg(lms: Lms, i) -> None:
    learner = lms.learner("moodle", "learner06")
    row = lms.submit_posttest(learner, correct=7)
    lms.driver("moodle").set_fault(path_contains="/scores", delay_seconds=1.0, count=1)
    policy = replace(FAST, http_timeout_seconds=0.4, backoff_base_seconds=2.5, backoff_cap_seconds=5)
    t = time.monotonic()
    drain(lms.dispatcher(policy), timeout=20)
    el = time.monotonic() - t
    if el > 3:
        print("SLOW", el, [(c["at"], c["path"][-30:], c["status"]) for c in lms.calls()], [(r.status, r.last_error, r.attempts) for r in lms.rows()])
