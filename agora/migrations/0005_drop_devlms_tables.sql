-- Why: the dev LMS's tables leave the production schema: the dev LMS (agora.devlms) now creates
-- its own tables (agora/devlms/schema.sql) only where it runs (AGORA_DEV=1), after these
-- migrations. Migrations are forward-only, so 0002 still creates them and this drops them.

DROP TABLE IF EXISTS devlms_scores;
DROP TABLE IF EXISTS devlms_lineitems;
DROP TABLE IF EXISTS devlms_links;
