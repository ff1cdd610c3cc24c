-- Retention: customer conversations, audit entries and the AI record older than the configured
-- ages are deleted by a daily job (`retention.expire`). The application may not delete audit
-- entries (they are append-only) nor act across organisations, so the job calls this one function:
-- it runs as the owner, takes only the three ages, and deletes only by age. Organisations' rows
-- are deleted one organisation at a time under their tenant policy, so the triggers that follow a
-- change (data versions) see the organisation they belong to. A conversation goes whole when its
-- last message is older than its age: its messages and attachments with it, the AI record keeping
-- the request without the conversation it was about.

-- The owner may clear the account log by age, through the function below only (the application
-- still may not read, change or delete it).
create policy owner_expires on audit_events for delete to current_user using (true);

create function app_expire_records(inbox_days integer, audit_days integer, ai_days integer)
returns table (conversations bigint, org_audit_entries bigint, account_audit_entries bigint, ai_requests bigint)
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
declare
    org uuid;
    n bigint;
begin
    if inbox_days is null or audit_days is null or ai_days is null
       or least(inbox_days, audit_days, ai_days) < 1 then
        raise exception 'each retention period is at least one day';
    end if;
    conversations := 0;
    org_audit_entries := 0;
    ai_requests := 0;
    for org in select o.org_id from organisations o loop
        perform set_config('app.org_id', org::text, true);
        delete from inbox_threads t
        where t.org_id = org and t.last_message_at < now() - make_interval(days => inbox_days);
        get diagnostics n = row_count;
        conversations := conversations + n;
        delete from org_audit_events e
        where e.org_id = org and e.occurred_at < now() - make_interval(days => audit_days);
        get diagnostics n = row_count;
        org_audit_entries := org_audit_entries + n;
        delete from public.ai_requests r
        where r.org_id = org and r.created_at < now() - make_interval(days => ai_days);
        get diagnostics n = row_count;
        ai_requests := ai_requests + n;
    end loop;
    perform set_config('app.org_id', '', true);
    delete from audit_events a where a.occurred_at < now() - make_interval(days => audit_days);
    get diagnostics account_audit_entries = row_count;
    return next;
end $$;

revoke all on function app_expire_records(integer, integer, integer) from public;
grant execute on function app_expire_records(integer, integer, integer) to ops_app;
