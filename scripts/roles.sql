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
