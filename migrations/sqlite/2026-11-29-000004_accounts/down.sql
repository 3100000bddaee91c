DROP TABLE oidc_pending;
DROP TABLE registry_change_requests;
DROP TABLE audit_log;
DROP TABLE login_attempts;
DROP TABLE sessions;
DROP TABLE role_grants;
DROP TABLE identities;
DROP TABLE users;
