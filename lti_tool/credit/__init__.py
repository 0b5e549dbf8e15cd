"""Credit for a completed activity: CME registration, the claim, certificates, their mail,
verification, the transcript and NABP CPE Monitor reporting (the issue's items 1-8).

* ``forms`` / ``profile`` — the registration and claim form; the learner's profile (PII sealed
  by ``lti_tool.pii``).
* ``issue`` — claim and issue (the domain core decides, lti_tool/course/credit_rules.py), and
  corrections that replace a certificate; ``documents`` maps facts onto the printed document.
* ``mail_outbox`` — mail queued with the certificate, sent after the commit, retried.
* ``cpe_reports`` — the CPE Monitor queue: submit, correct, export, 60-day flags.
* ``views`` (``/a/<launch_token>/certificates/…``) and ``verify`` (public
  ``/certificates/verify/<number>``) — the pages; ``commands`` — ``lti-tool reports`` and
  ``lti-tool keys rotate-pii``; ``settings`` — what this package is configured with.
"""
