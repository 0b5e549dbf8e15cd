"""Grade passback with LTI Assignment and Grade Services 2.0 (and the NRPS client).

https://www.imsglobal.org/spec/lti-ags/v2p0/ . ``payloads`` builds what is sent (pure),
``tokens`` caches platform access tokens in the database, ``ags`` is the one AGS adapter,
``outbox`` is where the journey queues scores (same transaction as the attempt),
``dispatcher`` delivers them, finding or creating line items with ``line_items``,
``worker`` runs it (inline thread or ``lti-tool grades worker``) and ``cli`` is the
``lti-tool grades`` command group.
"""
