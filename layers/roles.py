"""The roles of SPEC §1 and §6 (三员: admin and auditor kept apart), in one table.

They live here because the layer registry says which roles read and edit each layer; the
accounts app stores a user's role from this table.
"""

ADMIN = "admin"
SURVEYOR = "surveyor"
DISPATCHER = "dispatcher"
PLANNER = "planner"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"

ROLES = {
    ADMIN: "系统管理员",
    SURVEYOR: "普查员",
    DISPATCHER: "受理派遣员",
    PLANNER: "规划管理员",
    SUPERVISOR: "监督员",
    AUDITOR: "审计员",
}

EVERYONE = frozenset(ROLES)
