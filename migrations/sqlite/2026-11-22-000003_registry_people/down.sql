DROP TABLE registry_imports;
DROP TABLE application_status_history;
DROP TABLE applications;
DROP TABLE household_members;
DROP TABLE persons;
DROP TABLE households;
