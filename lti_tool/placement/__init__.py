"""Deep Linking 2.0: an instructor places CME activities in a course.

https://www.imsglobal.org/spec/lti-dl/v2p0 — on an ``LtiDeepLinkingRequest`` the instructor
picks from the open catalog (``views``; the platform's settings and the choice are checked in
``choice``); the tool answers with a signed ``LtiDeepLinkingResponse`` posted to the
platform's ``deep_link_return_url``, one ``ltiResourceLink`` content item per activity
(built in ``lti_tool.placement.response``, where pylti1p3 is used).
"""
