"""Grade passback with LTI Assignment and Grade Services 2.0 (and the NRPS client).

https://www.imsglobal.org/spec/lti-ags/v2p0/ . ``payloads`` builds what is sent (pure),
``tokens`` caches platform access tokens in the database, ``ags`` is the one AGS adapter,
``outbox`` is where the journey queues scores (same transaction as the attempt),
``dispatcher`` is the outbox's score queue (``lti_tool.outbox`` claims, retries and runs it),
finding or creating line items with ``line_items``; ``worker`` builds it from the tool's
services and ``commands`` is the ``lti-tool grades`` command group.
"""
