"""Commitment to change, followed up (issue 16 item 3).

ACCME asks providers to look for change in learners; a learner who says at the evaluation
that they will change their practice is asked, some weeks later, whether they did and what
stood in the way. ``schedule`` listens to the journey's "activity completed" event and
schedules the follow-up when the activity asks for one (``follow_up`` in activity.yaml);
``queue`` is the outbox queue that mails it when due; ``answers`` records what the learner
says through the link in the mail, or their opt-out; ``views`` serves that link.
"""
