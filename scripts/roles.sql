-- The two database roles Ops Intel uses; safe to run again. Run as a superuser.
--   ops_owner  owns each Ops Intel database and everything in it; migrations run as it.
--   ops_app    the application: owns nothing, is no superuser and cannot bypass row-level security.
do $$ begin
    if not exists (select 1 from pg_roles where rolname = 'ops_owner') then
        create role ops_owner login nosuperuser nocreatedb nocreaterole nobypassrls;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'ops_app') then
        create role ops_app login nosuperuser nocreatedb nocreaterole nobypassrls;
    end if;
exception when duplicate_object or unique_violation then
    null; -- another session created them at the same moment
end $$;

-- Bounds on the application's work, whatever route its connections take (a pooler included, so
-- they are settings of the role rather than of a connection). A statement running longer is
-- cancelled and its request answered 503, so one slow query cannot hold a connection, and every
-- request queued behind it, indefinitely; a lock not granted in time is given up the same way;
-- a transaction left open and idle is ended. Migrations run as ops_owner, without these bounds.
do $$
declare
    wanted text[] := array['statement_timeout=15s', 'lock_timeout=5s',
                           'idle_in_transaction_session_timeout=60s'];
    setting text;
begin
    -- Runs of this script at the same moment (parallel tests) take turns here.
    perform pg_advisory_xact_lock(hashtext('ops-intel roles.sql'));
    foreach setting in array wanted loop
        if not exists (select 1 from pg_db_role_setting
                       where setrole = 'ops_app'::regrole and setdatabase = 0
                         and setting = any (setconfig)) then
            execute format('alter role ops_app set %I = %L',
                           split_part(setting, '=', 1), split_part(setting, '=', 2));
        end if;
    end loop;
end $$;
