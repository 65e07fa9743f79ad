-- PostgreSQL makes the claim line's reference its primary key here (see the PostgreSQL
-- migration). In SQLite the id is the row id itself and costs no index, so nothing changes;
-- this file keeps the two databases' migration numbers in step.
SELECT 1;
