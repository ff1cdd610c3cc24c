-- A counter per organisation that moves whenever its issues, businesses or members change, so
-- what is computed from them (the dashboard's figures, pages of issues) can be kept and reused
-- while it stands still, by every server instance alike: each reads the counter in the
-- statement that enters the organisation.
-- It moves once per transaction, however many rows the transaction writes.
create table org_data_versions (
    org_id  uuid primary key references organisations on delete cascade,
    version bigint not null default 0,
    -- The transaction that last moved it.
    moved_by xid8 not null default pg_current_xact_id()
);

-- Every organisation that has data starts with a counter: only new organisations get theirs on
-- their first write, and a deletion (below) never needs to make one.
insert into org_data_versions (org_id) select org_id from organisations;

alter table org_data_versions enable row level security;
alter table org_data_versions force row level security;
create policy tenant on org_data_versions using (org_id = app_org_id()) with check (org_id = app_org_id());
-- The counters move through the owner's trigger function below, whatever the writer's setting.
create policy owner_moves on org_data_versions to current_user using (true) with check (true);
grant select on org_data_versions to ops_app;

-- Runs inside the writer's transaction, with the owner's rights: the rows a write touched may
-- belong to an organisation other than the writer's setting names (a user's deletion clears
-- their assignments everywhere), and each one's counter moves all the same. A trigger function
-- cannot be called on its own, so this gives the application no way to move a counter at will.
create function org_data_moved() returns trigger
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
begin
    if tg_op = 'DELETE' then
        -- Rows deleted with their organisation find its counter gone already, or about to go.
        update org_data_versions v set version = v.version + 1, moved_by = pg_current_xact_id()
        where v.org_id = old.org_id and v.moved_by <> pg_current_xact_id();
    else
        insert into org_data_versions as v (org_id, version) values (new.org_id, 1)
        on conflict (org_id) do update set version = v.version + 1, moved_by = pg_current_xact_id()
            where v.moved_by <> pg_current_xact_id();
    end if;
    return null;
end $$;

create trigger issues_moved after insert or update or delete on issues
    for each row execute function org_data_moved();
create trigger businesses_moved after insert or update or delete on businesses
    for each row execute function org_data_moved();
revoke all on function org_data_moved() from public;

-- Issue lists show each assignee's name, which only fellow members may read: a change of
-- membership, or of a member's name, changes what an organisation's lists show, and so moves
-- its counter too.
create trigger memberships_moved after insert or update or delete on memberships
    for each row execute function org_data_moved();

-- A renamed user moves the version of every organisation they belong to (with the owner's
-- rights: the caller acts for the user, and sees none of those organisations' rows).
create function user_renamed() returns trigger
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
begin
    update org_data_versions v set version = v.version + 1, moved_by = pg_current_xact_id()
    where v.org_id in (select m.org_id from memberships m where m.user_id = new.user_id)
      and v.moved_by <> pg_current_xact_id();
    return null;
end $$;
revoke all on function user_renamed() from public;

create trigger users_renamed after update of name on users
    for each row when (old.name is distinct from new.name) execute function user_renamed();

-- Entering an organisation also reads its counter, and can check the caller's sign-in in the
-- same statement, which saves a signed-in request its separate check (app_session_alive) while
-- the browser's session shows the sign-in was seen within the last minute. Given the sign-in the
-- session names, `sign_in` says whether it stands ('current') or has ended ('ended': nothing is
-- entered). Without one (the request has checked it already), the sign-in is not looked at and
-- `sign_in` is null. Always one row; the organisation's columns are null when the caller is no
-- member of it or there is no such slug.
drop function app_enter_organisation(text, uuid);
create function app_enter_organisation(p_slug text, p_user_id uuid, p_user_session_id uuid,
                                       p_lifetime_secs float8)
returns table (sign_in text, org_id uuid, slug text, name text, role text,
               require_two_factor boolean, verified boolean, has_two_factor boolean,
               data_version bigint)
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
begin
    sign_in := null;
    if p_user_session_id is not null then
        select 'current' into sign_in
        from user_sessions s
        where s.user_session_id = p_user_session_id and s.user_id = p_user_id
          and s.created_at > now() - make_interval(secs => p_lifetime_secs);
        if not found then
            sign_in := 'ended';
            return next;
            return;
        end if;
    end if;
    select o.org_id, o.slug::text, o.name, m.role, o.require_two_factor,
           u.email_verified_at is not null,
           exists (select 1 from user_two_factor t where t.user_id = p_user_id and t.enabled_at is not null),
           coalesce((select v.version from org_data_versions v where v.org_id = o.org_id), 0)
    into org_id, slug, name, role, require_two_factor, verified, has_two_factor, data_version
    from organisation_slugs s
    join organisations o on o.org_id = s.org_id
    join memberships m on m.org_id = o.org_id and m.user_id = p_user_id
    join users u on u.user_id = p_user_id
    where s.slug = p_slug::citext;
    if found then
        perform set_config('app.org_id', org_id::text, true);
        perform set_config('app.user_id', p_user_id::text, true);
    end if;
    return next;
end $$;
revoke all on function app_enter_organisation(text, uuid, uuid, float8) from public;
grant execute on function app_enter_organisation(text, uuid, uuid, float8) to ops_app;
