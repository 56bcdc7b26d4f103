"""The roles of SPEC §1 and §6, in one table.

三员 (three-role separation): the system administrator runs the platform and its data; the
security administrator manages users, roles, jurisdictions, passwords, lockouts and tokens; the
auditor reads the audit log. The security administrator and the auditor read no business data.

They live here because the layer registry says which roles read and edit each layer; the
accounts app stores a user's role from this table.
"""

ADMIN = "admin"
SURVEYOR = "surveyor"
DISPATCHER = "dispatcher"
PLANNER = "planner"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"
SECADMIN = "secadmin"

ROLES = {
    ADMIN: "系统管理员",
    SURVEYOR: "普查员",
    DISPATCHER: "受理派遣员",
    PLANNER: "规划管理员",
    SUPERVISOR: "监督员",
    AUDITOR: "审计员",
    SECADMIN: "安全管理员",
}

# The roles that work with the city's data: every role but the two that 三员 keeps away from it.
EVERYONE = frozenset(ROLES) - {AUDITOR, SECADMIN}
