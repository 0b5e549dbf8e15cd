"""The learner journey in the browser: overview and disclosures, pre-test, content, post-test,
evaluation and completion, under ``/a/<launch_token>/activity/``.

Views (``views.py``) parse the request and render; the services (``state.py``,
``steps.py``, ``attempts.py``, ``placement.py``) persist what the domain state machine in
``lti_tool.course.progression`` decides, in ``Participation``, ``Attempt``,
``EvaluationResponse`` and ``AuditEvent`` rows; ``events.py`` is where other packages hook
in (grades). The request boundary commits (``lti_tool.web``).
"""
