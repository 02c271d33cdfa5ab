-- safemigrate.mode: enforce (default) | warn | off, superuser-only.
SHOW safemigrate.mode;
SELECT name, setting, enumvals, context, short_desc
  FROM pg_settings WHERE name LIKE 'safemigrate.%' ORDER BY name;
SET safemigrate.mode = warn;
SHOW safemigrate.mode;
SET safemigrate.mode = 'bogus';
RESET safemigrate.mode;
SHOW safemigrate.mode;

-- An ordinary role can neither weaken nor change the policy, by any route.
CREATE ROLE regress_sm_user LOGIN;
SET ROLE regress_sm_user;
SET safemigrate.mode = off;
BEGIN;
SET LOCAL safemigrate.mode = warn;
ROLLBACK;
SELECT set_config('safemigrate.mode', 'off', false);
ALTER ROLE regress_sm_user SET safemigrate.mode = off;
SHOW safemigrate.mode;
RESET ROLE;

-- A superuser can set it per role and per database (e.g. off for pg_restore).
ALTER ROLE regress_sm_user SET safemigrate.mode = warn;
SELECT rolname, rolconfig FROM pg_roles WHERE rolname = 'regress_sm_user';
ALTER ROLE regress_sm_user RESET safemigrate.mode;
DROP ROLE regress_sm_user;
