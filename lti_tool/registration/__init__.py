"""Getting the tool registered with an LMS, and checking that the registration works.

- LTI Dynamic Registration 1.0 at ``/lti/register`` (:mod:`dynamic`),
  https://www.imsglobal.org/spec/lti-dr/v1p0
- Canvas's developer-key JSON at ``/lti/config/canvas.json`` and the values for a manual
  registration at ``/lti/setup`` (:mod:`tool_profile`)
- the self-check of a registered platform (:mod:`self_check`), from ``lti-tool platforms
  check`` and the admin console.

Wiring: ``app.register_blueprint(lti_tool.registration.views.bp)`` and
``platforms.add_command(lti_tool.registration.commands.check)``.
"""
