"""The operator's rules for platforms that register themselves (LTI Dynamic Registration).

Kept in the database, one row, so every worker applies the same rules and the operator
changes them from the console without a restart.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.models.admin import RegistrationPolicy

POLICY_ID = 1


def registration_policy(session: Session) -> RegistrationPolicy:
    """The policy; until an operator saves one, the defaults (open, deployments held)."""
    policy = session.get(RegistrationPolicy, POLICY_ID)
    if policy is None:
        return RegistrationPolicy(
            id=POLICY_ID, require_approval=False, trust_new_deployments=False, updated_by=""
        )
    return policy


def update_policy(
    session: Session, *, require_approval: bool, trust_new_deployments: bool, operator: str
) -> RegistrationPolicy:
    policy = session.get(RegistrationPolicy, POLICY_ID)
    if policy is None:
        policy = RegistrationPolicy(id=POLICY_ID)
        session.add(policy)
    policy.require_approval = require_approval
    policy.trust_new_deployments = trust_new_deployments
    policy.updated_by = operator
    policy.updated_at = utcnow()
    session.flush()
    return policy
