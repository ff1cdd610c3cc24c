-- Erasure (UK GDPR article 17). Deleting an account or an organisation deletes its rows through
-- their foreign keys; what follows reaches the rows that hold a person without belonging to them:
-- other organisations' audit logs and timelines, the account log, the outbox, throttles, other
-- devices' sessions. Audit entries keep the event and lose the person.

-- Emails sent for an organisation (invitations to it, its payment and export notices) go with it.
-- (Not `org_id`: the outbox is no tenant's table.)
alter table email_outbox add column sent_for uuid references organisations on delete cascade;
create index email_outbox_sent_for on email_outbox (sent_for) where sent_for is not null;
-- An email whose recipient is forgotten once it is delivered: the receipt of an erasure.
alter table email_outbox add column forget_recipient boolean not null default false;
comment on column email_outbox.forget_recipient is
    'the address is replaced once delivered (the receipt sent to a deleted account)';

-- The owner may anonymise the account log and clear the outbox and email tokens, through the
-- function below only (the application still may not read or change the account log).
create policy owner_erases on audit_events for update to current_user using (true) with check (true);
create policy owner_erases on email_outbox for delete to current_user using (true);
create policy owner_erases on email_tokens for delete to current_user using (true);

-- Removes or anonymises every row outside the account's own that holds the person, ahead of the
-- account's deletion (which removes the rest by cascade); returns what it did, for the receipt.
create function app_erase_person(p_user_id uuid)
returns table (audit_entries bigint, account_log_entries bigint, emails bigint,
               invitations bigint, timeline_entries bigint, sessions bigint, throttles bigint)
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
declare
    v_email text;
    v_lower text;
    v_name text;
    v_org uuid;
    v_member_of uuid[];
    n bigint;
    gone constant text := 'a deleted person';
begin
    select u.email::text, u.name into v_email, v_name from users u where u.user_id = p_user_id;
    if v_email is null then
        raise exception 'no such account';
    end if;
    v_lower := lower(v_email);
    select coalesce(array_agg(m.org_id), '{}') into v_member_of from memberships m where m.user_id = p_user_id;
    audit_entries := 0;
    invitations := 0;
    timeline_entries := 0;
    for v_org in select o.org_id from organisations o loop
        perform set_config('app.org_id', v_org::text, true);
        -- Their own entries lose who did them and from where; entries naming their address
        -- (invited, removed, changed) name no one; where they were a member, their name goes too.
        update org_audit_events e set
            actor_email = case when e.actor_user_id = p_user_id or lower(e.actor_email) = v_lower
                               then null else e.actor_email end,
            ip = case when e.actor_user_id = p_user_id then null else e.ip end,
            user_agent = case when e.actor_user_id = p_user_id then null else e.user_agent end,
            target = replace(replace(e.target, v_email, gone), v_lower, gone),
            summary = case when v_org = any(v_member_of) and length(v_name) >= 3
                           then replace(replace(replace(e.summary, v_email, gone), v_lower, gone), v_name, gone)
                           else replace(replace(e.summary, v_email, gone), v_lower, gone) end
        where e.org_id = v_org
          and (e.actor_user_id = p_user_id or lower(e.actor_email) = v_lower
               or strpos(lower(coalesce(e.target, '') || ' ' || e.summary), v_lower) > 0
               or (v_org = any(v_member_of) and length(v_name) >= 3 and strpos(e.summary, v_name) > 0));
        get diagnostics n = row_count;
        audit_entries := audit_entries + n;
        delete from public.invitations i where i.org_id = v_org and i.email = v_email::citext;
        get diagnostics n = row_count;
        invitations := invitations + n;
        if v_org = any(v_member_of) then
            update issue_events v set
                old_value = case when v.old_value = v_name then gone else v.old_value end,
                new_value = case when v.new_value = v_name then gone else v.new_value end
            where v.org_id = v_org and v.field = 'assignee' and (v.old_value = v_name or v.new_value = v_name);
            get diagnostics n = row_count;
            timeline_entries := timeline_entries + n;
        end if;
    end loop;
    perform set_config('app.org_id', '', true);

    update audit_events a set ip = null, user_agent = null, details = a.details - 'email'
    where a.actor_user_id = p_user_id or lower(a.details ->> 'email') = v_lower;
    get diagnostics account_log_entries = row_count;
    delete from email_outbox o where lower(o.to_address) = v_lower;
    get diagnostics emails = row_count;
    delete from email_tokens t where t.new_email = v_email::citext;
    delete from tower_sessions.session s
    where position(convert_to(p_user_id::text, 'UTF8') in s.data) > 0;
    get diagnostics sessions = row_count;
    delete from auth_throttle t
    where t.key = p_user_id::text or lower(t.key) = v_lower or lower(t.key) like v_lower || ' from %';
    get diagnostics throttles = row_count;
    return next;
end $$;
revoke all on function app_erase_person(uuid) from public;
grant execute on function app_erase_person(uuid) to ops_app;

-- What an organisation's deletion must finish outside its own rows: the subscription to cancel
-- (by a job, after the deletion commits), and the record of Stripe's events about its customer.
create function app_erase_organisation_billing(p_org_id uuid)
returns table (subscription_id text)
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
declare
    customer text;
begin
    perform set_config('app.org_id', p_org_id::text, true);
    select b.customer_id, b.subscription_id into customer, subscription_id
    from billing_accounts b where b.org_id = p_org_id;
    if customer is not null then
        delete from stripe_events e where e.customer_id = customer or e.object_id = customer;
    end if;
    return next;
end $$;
revoke all on function app_erase_organisation_billing(uuid) from public;
grant execute on function app_erase_organisation_billing(uuid) to ops_app;
