"""The SOAR edge: every SOAR REST call fn_slack makes, and the data-table engine the link, claims and question
tables are declared on (see doc/architecture.md, "The SOAR edge")."""
