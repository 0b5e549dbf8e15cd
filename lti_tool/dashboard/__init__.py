"""The instructor dashboard: the course roster and where each learner stands.

The roster comes from the platform through Names and Role Provisioning Services
(https://www.imsglobal.org/spec/lti-nrps/v2p0, ``grades.nrps``); each learner's place in the
activity comes from the tool's own records (``service``), summed up by one pure function
(``status``). The table exports as CSV (``export``).
"""
