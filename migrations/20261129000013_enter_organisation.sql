-- The member check and the tenant settings in one statement: the caller's membership of the
-- organisation a slug names (any slug it has had), with what the access check needs, and, when
-- there is one, the rest of the transaction acts for the caller in that organisation. A request
-- runs it once, inside the one transaction its functions share.
drop function app_resolve_organisation(text, uuid);

create function app_enter_organisation(p_slug text, p_user_id uuid)
returns table (org_id uuid, slug text, name text, role text, require_two_factor boolean,
               verified boolean, has_two_factor boolean)
language plpgsql security definer set search_path = pg_catalog, public, pg_temp as $$
begin
    for org_id, slug, name, role, require_two_factor, verified, has_two_factor in
        select o.org_id, o.slug::text, o.name, m.role, o.require_two_factor,
               u.email_verified_at is not null,
               exists (select 1 from user_two_factor t where t.user_id = p_user_id and t.enabled_at is not null)
        from organisation_slugs s
        join organisations o on o.org_id = s.org_id
        join memberships m on m.org_id = o.org_id and m.user_id = p_user_id
        join users u on u.user_id = p_user_id
        where s.slug = p_slug::citext
    loop
        perform set_config('app.org_id', org_id::text, true);
        perform set_config('app.user_id', p_user_id::text, true);
        return next;
    end loop;
end $$;

revoke all on function app_enter_organisation(text, uuid) from public;
grant execute on function app_enter_organisation(text, uuid) to ops_app;
