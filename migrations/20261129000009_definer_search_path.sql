-- A function that runs with its owner's rights must not resolve names through objects another
-- role could create. pg_catalog comes first, and pg_temp (searched first when left implicit)
-- goes last, so a temporary table or function of the caller's can never stand in for ours.
do $$
declare f regprocedure;
begin
    for f in
        select p.oid::regprocedure
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where p.prosecdef and n.nspname = 'public'
    loop
        execute format('alter function %s set search_path = pg_catalog, public, pg_temp', f);
    end loop;
end $$;
